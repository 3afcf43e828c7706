"""The board: themes, threads, replies and edits."""
