"""The ``fund`` endpoint: a fund's latest 13F holdings, index first.

``get_fund(platform, cik)`` answers ``{"cik", "name", "period", "holdings": [{"issuer", "cusip",
"value", "shares", "share_type", "put_call"}]}`` (issue 5, item 9) or None when the fund is
unknown. The latest filing is the one with the latest period, then the greatest accession
number. ``value`` is as filed: whole dollars for filings made from 2023-01-03 on, thousands of
dollars before. Index modes as in :mod:`secfilings.services.api.athena.companies`; it never
reads an object from the lake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from secfilings.model import normalize_cik
from secfilings.index.keys import fund_pk, fund_sk
from secfilings.sql.queries import FUND_LATEST_SQL, fund_answer
from secfilings.services.api.athena.read_through import read_through

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform

__all__ = ["get_fund", "fund_pk", "fund_sk", "fund_from_items", "HOLDING_KEYS"]

HOLDING_KEYS = ("issuer", "cusip", "value", "shares", "share_type", "put_call")


def _answer(cik10: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cik": cik10,
        "name": item.get("name"),
        "period": item.get("period"),
        "holdings": [{key: h.get(key) for key in HOLDING_KEYS} for h in item.get("holdings") or []],
    }


def fund_from_items(cik10: str, items: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The answer from index items: the latest filing's (None when there are none)."""
    ordered = sorted(items, key=lambda i: (i.get("period") or "", i.get("accession_number") or ""))
    return _answer(cik10, ordered[-1]) if ordered else None


def get_fund(platform: Platform, cik: str | int, *, stage: str = "all") -> dict[str, Any] | None:
    """The fund answer for ``cik`` (with or without leading zeros), or None if unknown.

    ``stage``: see :func:`~secfilings.services.api.athena.read_through.read_through`."""
    cik10 = normalize_cik(cik)

    def from_sql() -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
        item = fund_answer(platform.sql.query(FUND_LATEST_SQL, [cik10]))
        if item is None:
            return None, []
        return _answer(cik10, item), [(fund_sk(item), item)]

    return read_through(platform, fund_pk(cik10), lambda items: fund_from_items(cik10, items), from_sql, stage=stage)
