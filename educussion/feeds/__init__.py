"""Atom feeds of the public board: the whole board, each theme and each thread."""
