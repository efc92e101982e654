"""The ``fund`` endpoint: a fund's 13F holdings for one quarter, index first.

``get_fund(platform, cik)`` answers the latest quarter the lake holds for the fund (or None when
the fund is unknown); ``period="YYYY-MM-DD"`` any stored quarter; ``history=True`` the list of
quarters with their filings; ``aggregate=True`` sums the rows of one position across
sub-managers. Every field is described in docs/fields.md.

A quarter is made of every filing of that period, in filing order (filing date, then originals
before amendments, then accession number):

- the original ``13F-HR``, or a ``13F-HR/A`` ``RESTATEMENT``, is the *base*: a later one
  replaces the base and whatever was added to it (an amendment whose type is not written counts
  as a restatement);
- a ``13F-HR/A`` ``NEW HOLDINGS`` adds its rows to the base;
- a filing whose information table did not come with it (a cover page ingested alone) changes
  nothing: it is listed with ``"role": "table missing"`` and the answer says
  ``"table_missing": true``;
- a ``13F-NT`` (or a cover whose ``reportType`` is ``13F NOTICE``) is listed as a ``notice``: it holds no rows.

Each holding names the filing it comes from (``accession_number``); the top-level filing
fields are the base's (else the latest filing's). ``value`` is as filed and ``value_usd`` in
whole dollars (x 1,000 for filings made before 2023-01-03). Index modes as in
:mod:`secfilings.services.api.athena.companies`; it never reads an object from the lake.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from secfilings.documents import FUND_HOLDING_KEYS
from secfilings.errors import NotFound
from secfilings.index.keys import fund_pk, fund_sk
from secfilings.model import InvalidIdentifier, normalize_cik
from secfilings.services.api.athena.read_through import AnswerMemo, read_through
from secfilings.sql.queries import FUND_FILINGS_SQL, fund_entries, fund_filings_by_accession_sql

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform

__all__ = [
    "get_fund",
    "fund_pk",
    "fund_sk",
    "fund_from_items",
    "fund_quarter",
    "fund_history",
    "aggregate_holdings",
    "parse_period",
    "HOLDING_KEYS",
    "FILING_KEYS",
    "AGGREGATE_KEYS",
]

#: A holding of the answer: the row as filed, its value in dollars, and the filing it comes from.
HOLDING_KEYS = (*FUND_HOLDING_KEYS, "accession_number")
#: A filing of a quarter (``filings[]``, and the top-level fields of the answer but ``role``).
FILING_KEYS = (
    "accession_number", "form_type", "filed", "report_type", "amendment_type",
    "table_entry_total", "table_value_total", "value_unit", "has_table", "role",
)
#: A position summed across sub-managers (``--aggregate``): one per (CUSIP, share type, put/call).
AGGREGATE_KEYS = (
    "issuer", "title_of_class", "cusip", "share_type", "put_call", "value_usd", "shares",
    "voting_sole", "voting_shared", "voting_none", "rows",
)
NOTICE_REPORT = "13F NOTICE"  # reportType "13F NOTICE" (schema X0202) or "13F NOTICE REPORT"


def parse_period(text: str) -> date:
    """``--period`` / ``?period=``: a quarter end as ``YYYY-MM-DD``; one line naming the input
    otherwise (a usage error: exit status 2, HTTP 400)."""
    try:
        if len(text.strip()) != 10:
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidIdentifier(f"invalid period {text!r}: expected a date YYYY-MM-DD") from None


def _is_notice(entry: Mapping[str, Any]) -> bool:
    return str(entry.get("form_type") or "").startswith("13F-NT") or str(entry.get("report_type") or "").startswith(NOTICE_REPORT)


def _filing_order(entry: Mapping[str, Any]) -> tuple[str, bool, str]:
    return (entry.get("filed") or "", bool(entry.get("is_amendment")), entry.get("accession_number") or "")


def _roles(entries: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]], dict[str, str]]:
    """The quarter's base filing, the filings added to it, and every filing's role."""
    base: Mapping[str, Any] | None = None
    added: list[Mapping[str, Any]] = []
    roles: dict[str, str] = {}
    for entry in entries:
        accession = entry["accession_number"]
        if _is_notice(entry):
            roles[accession] = "notice"
        elif not entry.get("has_table"):
            roles[accession] = "table missing"
        elif entry.get("is_amendment") and entry.get("amendment_type") == "NEW HOLDINGS":
            added.append(entry)
            roles[accession] = "new holdings"
        else:
            for replaced in ([base] if base is not None else []) + added:
                roles[replaced["accession_number"]] = "replaced"
            base, added = entry, []
            roles[accession] = "restatement" if entry.get("is_amendment") else "original"
    return base, added, roles


def _name(entries: Iterable[Mapping[str, Any]]) -> str | None:
    named = [e for e in sorted(entries, key=lambda e: (e.get("period") or "", *_filing_order(e))) if _fund_name(e)]
    return _fund_name(named[-1]) if named else None


def _fund_name(entry: Mapping[str, Any]) -> str | None:
    return entry.get("fund_name") or entry.get("name") or None  # "name": items written before issue 12


def _filing(entry: Mapping[str, Any], role: str) -> dict[str, Any]:
    fields = {key: entry.get(key) for key in FILING_KEYS if key != "role"}
    fields["has_table"] = bool(entry.get("has_table"))
    return {**fields, "role": role}


def fund_quarter(cik10: str, entries: Sequence[Mapping[str, Any]], period: str | None = None) -> dict[str, Any] | None:
    """The answer for one quarter (``period``, default the latest) from the fund's filing entries
    (index items or SQL entries alike); None when the fund has no filing for that quarter."""
    periods = sorted({e.get("period") or "" for e in entries})
    if not periods:
        return None
    chosen = period if period is not None else periods[-1]
    quarter = sorted((e for e in entries if (e.get("period") or "") == chosen), key=_filing_order)
    if not quarter:
        return None
    base, added, roles = _roles(quarter)
    head = base or (added[-1] if added else quarter[-1])
    holdings = [
        {**{key: row.get(key) for key in FUND_HOLDING_KEYS}, "accession_number": entry["accession_number"]}
        for entry in ([base] if base is not None else []) + added
        for row in entry.get("holdings") or []
    ]
    top = _filing(head, roles[head["accession_number"]])
    del top["role"], top["has_table"]
    return {
        "cik": cik10,
        "name": _name(entries),
        "period": chosen or None,
        **top,
        "table_missing": any(role == "table missing" for role in roles.values()),
        "filings": [_filing(entry, roles[entry["accession_number"]]) for entry in quarter],
        "holdings": holdings,
    }


def fund_history(cik10: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Every stored quarter (oldest first) with its filings and the number of rows it holds."""
    periods = sorted({e.get("period") or "" for e in entries})
    if not periods:
        return None
    quarters = []
    for period in periods:
        answer = fund_quarter(cik10, entries, period)
        assert answer is not None
        quarters.append({
            "period": answer["period"],
            "holding_count": len(answer["holdings"]),
            "table_missing": answer["table_missing"],
            "filings": answer["filings"],
        })
    return {"cik": cik10, "name": _name(entries), "quarters": quarters}


def _add(total: int | None, value: Any) -> int | None:
    if value is None:
        return total
    return (total or 0) + int(value)


def aggregate_holdings(holdings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of one position summed across sub-managers: one row per (CUSIP, share type, put/call)
    in order of first appearance, so option rows (``put_call``) stay apart from shares held.
    Values are summed in dollars (``value_usd``); a sum of unknown values is null."""
    positions: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for row in holdings:
        key = (row.get("cusip"), row.get("share_type"), row.get("put_call"))
        position = positions.get(key)
        if position is None:
            position = positions[key] = {
                "issuer": row.get("issuer"), "title_of_class": row.get("title_of_class"), "cusip": key[0],
                "share_type": key[1], "put_call": key[2], "value_usd": None, "shares": None,
                "voting_sole": None, "voting_shared": None, "voting_none": None, "rows": 0,
            }
        for field in ("value_usd", "shares", "voting_sole", "voting_shared", "voting_none"):
            position[field] = _add(position[field], row.get(field))
        position["rows"] += 1
    return list(positions.values())


def fund_from_items(cik10: str, items: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The latest quarter's answer from index items (None when there are none)."""
    return fund_quarter(cik10, list(items))


def _complete(platform: Platform, entries: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Index items too large for the index hold no rows (``rows_in_sql``): read those from SQL."""
    partial = sorted(e["accession_number"] for e in entries if e.get("rows_in_sql"))
    if not partial:
        return entries
    full = {e["accession_number"]: e for e in fund_entries(platform.sql.query(fund_filings_by_accession_sql(len(partial)), partial))}
    return [full.get(e["accession_number"], e) if e.get("rows_in_sql") else e for e in entries]


def get_fund(
    platform: Platform,
    cik: str | int,
    *,
    period: str | date | None = None,
    history: bool = False,
    aggregate: bool = False,
    stage: str = "all",
    memo: AnswerMemo | None = None,
) -> dict[str, Any] | None:
    """The fund answer for ``cik`` (with or without leading zeros), or None if the fund is unknown;
    :class:`NotFound` naming the stored quarters when it has no filing for ``period``.

    ``stage``, ``memo``: see :func:`~secfilings.services.api.athena.read_through.read_through`
    (a remembered answer is shared: do not change it)."""
    cik10 = normalize_cik(cik)
    wanted = (parse_period(period) if isinstance(period, str) else period).isoformat() if period else None

    def shape(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
        entries = _complete(platform, list(entries))
        if not entries:
            return None
        if history:
            return fund_history(cik10, entries)
        answer = fund_quarter(cik10, entries, wanted)
        if answer is None:
            stored = ", ".join(sorted({e.get("period") or "?" for e in entries}))
            raise NotFound(f"fund CIK {cik10}: no 13F for period {wanted} (stored: {stored})")
        if aggregate:
            answer["holdings"] = aggregate_holdings(answer["holdings"])
        return answer

    def from_sql() -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
        entries = fund_entries(platform.sql.query(FUND_FILINGS_SQL, [cik10]))
        pairs = [(fund_sk(entry), {k: v for k, v in entry.items() if k != "fund_cik"}) for entry in entries]
        return (shape(entries) if entries else None), pairs

    question = ("fund", wanted, history, aggregate)
    return read_through(platform, fund_pk(cik10), shape, from_sql, stage=stage, memo=memo, question=question)
