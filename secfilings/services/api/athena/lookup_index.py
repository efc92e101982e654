"""The lookup index under its historical name (the policy's ``use_instead``): a thin facade.

The adapters live in :mod:`secfilings.index` (``base``: the contract and helpers, ``sqlite``,
``dynamodb``); this module re-exports the same objects, so ``from
secfilings.services.api.athena.lookup_index import SqliteLookupIndex, put_lookup`` keeps working.
"""

from __future__ import annotations

from secfilings.index import base as _base
from secfilings.index.base import *  # noqa: F401,F403 - the same objects, re-exported
from secfilings.index.dynamodb import DynamoLookupIndex
from secfilings.index.sqlite import SqliteLookupIndex

__all__ = [*_base.__all__, "SqliteLookupIndex", "DynamoLookupIndex"]
