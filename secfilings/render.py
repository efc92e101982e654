"""How answers look to people: the text forms of the ``company`` and ``fund`` answers.

Shared by the command line (``secfilings company``/``fund``) and the demo; ``--json`` and the
HTTP API print the answers themselves.
"""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["write_company", "write_fund", "write_fund_history"]


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


def _filing_line(filing: dict[str, Any]) -> str:
    kind = filing["form_type"] + (f" {filing['amendment_type']}" if filing.get("amendment_type") else "")
    return f"{filing['filed'] or '?'}  {kind:<24} {filing['accession_number']:<24} {filing['role']}"


def write_fund(answer: dict[str, Any], out: TextIO, limit: int | None = None) -> None:
    holdings = answer["holdings"]
    aggregated = bool(holdings) and "rows" in holdings[0]
    what = "position(s) summed across sub-managers" if aggregated else "holding(s)"
    out.write(f"{answer['name'] or '(name not given)'} (CIK {answer['cik']}), period {answer['period']}: {len(holdings)} {what}\n")
    for filing in answer.get("filings") or []:
        out.write(f"  filing {_filing_line(filing)}\n")
    if answer.get("table_missing"):
        out.write("  note: an information table is missing (a cover page came without it); its rows are not counted\n")
    if holdings:
        value = "value (dollars)" if aggregated else "value (as filed)"
        rows = " rows" if aggregated else ""
        out.write(f"  {'issuer':<32} {'cusip':<9} {value:>16} {'shares':>12} type put/call{rows}\n")
    for holding in holdings[:limit]:
        amount = holding["value_usd"] if aggregated else holding["value"]
        line = (
            f"  {(holding['issuer'] or '')[:32]:<32} {holding['cusip'] or '':<9} "
            f"{_number(amount):>16} {_number(holding['shares']):>12} "
            f"{holding['share_type'] or '':<4} {holding['put_call'] or '':<8}"
            + (f" {holding['rows']:>4}" if aggregated else "")
        )
        out.write(line.rstrip() + "\n")
    if limit is not None and len(holdings) > limit:
        out.write(f"  ... and {len(holdings) - limit} more\n")


def write_fund_history(answer: dict[str, Any], out: TextIO) -> None:
    quarters = answer["quarters"]
    out.write(f"{answer['name'] or '(name not given)'} (CIK {answer['cik']}): {len(quarters)} quarter(s)\n")
    for quarter in quarters:
        missing = ", a table is missing" if quarter["table_missing"] else ""
        out.write(f"  {quarter['period'] or '?'}: {quarter['holding_count']} holding(s){missing}\n")
        for filing in quarter["filings"]:
            out.write(f"      {_filing_line(filing)}\n")
