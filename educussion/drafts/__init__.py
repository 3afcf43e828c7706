"""下書き: unsent replies, new threads and edits kept on the server per member and target."""
