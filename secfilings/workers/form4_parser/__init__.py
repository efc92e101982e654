"""The ingestion worker: parse EDGAR ownership (Forms 3/4/5) and 13F documents, write them de-duplicated.

``ingest_paths(platform, paths)`` is the entry point (see ``worker.py``).
"""
