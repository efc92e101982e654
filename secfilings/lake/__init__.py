"""The lake: an object store (a local folder or S3) holding raw documents and table rows."""
