"""Exports: pure writers that turn headers and rows into files people open in Excel."""
from .writers import CSV_MIMETYPE, XLSX_MIMETYPE, Heading, Sheet, csv_bytes, iter_csv, neutralise, xlsx_bytes

__all__ = ["CSV_MIMETYPE", "XLSX_MIMETYPE", "Heading", "Sheet", "csv_bytes", "iter_csv", "neutralise", "xlsx_bytes"]
