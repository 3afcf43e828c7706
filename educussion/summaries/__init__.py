"""Thread conclusions (まとめ), outcomes, key points (論点) and 「参考になった」 marks."""
