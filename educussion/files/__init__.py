"""The one file store: every uploaded file (post attachments, verification evidence), its checks, its
downloads and the text search reads in it."""
