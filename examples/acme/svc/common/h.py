"""A helper in the guarded service layer that still reads the bucket directly."""

from acme.svc.store import raw


def fetch(key: str) -> bytes:
    return raw.read_object(key)
