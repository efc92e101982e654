"""How answers look to people: the text forms of the ``company`` and ``fund`` answers.

Shared by the command line (``secfilings company``/``fund``) and the demo; ``--json`` and the
HTTP API print the answers themselves.
"""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["write_company", "write_fund"]


def _number(value: Any, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def write_company(answer: dict[str, Any], out: TextIO) -> None:
    filings = answer["filings"]
    out.write(f"{answer['name']} (CIK {answer['cik']}): {len(filings)} filing(s)\n")
    for filing in filings:
        owners = ", ".join(owner["name"] or owner["cik"] for owner in filing["reporting_owners"])
        when = filing["filed"] or filing["period"] or "?"
        out.write(
            f"  {when}  Form {filing['form_type']:<4} {filing['accession_number']:<24} {owners}"
            f" - {len(filing['transactions'])} transaction(s)\n"
        )
        for tx in filing["transactions"]:
            price = "" if tx["price_per_share"] is None else f" at ${tx['price_per_share']:,.2f}"
            kind = "derivative " if tx["derivative"] else ""
            out.write(
                f"      {tx['date'] or '?'}  {tx['code'] or '?'} {tx['acquired_disposed'] or '?'}"
                f" {_number(tx['shares']):>12} {kind}{tx['security_title']}{price}\n"
            )


def write_fund(answer: dict[str, Any], out: TextIO, limit: int | None = None) -> None:
    holdings = answer["holdings"]
    out.write(f"{answer['name']} (CIK {answer['cik']}), period {answer['period']}: {len(holdings)} holding(s)\n")
    if holdings:
        out.write(f"  {'issuer':<32} {'cusip':<9} {'value (as filed)':>16} {'shares':>12} type put/call\n")
    for holding in holdings[:limit]:
        out.write(
            f"  {(holding['issuer'] or '')[:32]:<32} {holding['cusip'] or '':<9} "
            f"{_number(holding['value']):>16} {_number(holding['shares']):>12} "
            f"{holding['share_type'] or '':<4} {holding['put_call'] or ''}\n"
        )
    if limit is not None and len(holdings) > limit:
        out.write(f"  ... and {len(holdings) - limit} more\n")
