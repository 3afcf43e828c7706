"""Package data: the municipality code list (全国地方公共団体コード)."""
