"""Backups of a SQLite instance: the database, the evidence files and the search index, restorable together."""
