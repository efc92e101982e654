"""The read path's SQL under its historical name: a thin facade over :mod:`secfilings.sql.queries`."""

from __future__ import annotations

from secfilings.sql.queries import *  # noqa: F401,F403 - the same objects, re-exported
from secfilings.sql.queries import __all__  # noqa: F401
