"""A job that looks clean: the banned import happens in the helper it uses."""

from acme.svc.common import h


def run() -> bytes:
    return h.fetch("reports/today")
