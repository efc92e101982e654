"""The de-duplicated write under its historical name: a thin facade over :mod:`secfilings.ingest.dedup`."""

from __future__ import annotations

from secfilings.ingest.dedup import *  # noqa: F401,F403 - the same objects, re-exported
from secfilings.ingest.dedup import __all__  # noqa: F401
