"""The write path, a domain package shared by the workers and the API: a parsed filing becomes
its raw document, table rows (NDJSON) and lookup items (:mod:`.write`), written once under its
accession number (:mod:`.dedup`)."""
