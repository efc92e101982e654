"""The way it should be: the API reads through the index."""

from acme.svc.store import index


def report(key: str) -> bytes:
    return index.get(key)
