"""The write path under its historical name: a thin facade over :mod:`secfilings.ingest.write`."""

from __future__ import annotations

from secfilings.ingest.write import *  # noqa: F401,F403 - the same objects, re-exported
from secfilings.ingest.write import __all__  # noqa: F401
