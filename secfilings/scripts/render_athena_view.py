"""Write the Athena DDL of the ``top_companies`` view from its one source.

``secfilings/sql/top_companies.sql`` holds the view's SELECT; DuckDB loads it as it is, and the
Athena DDL ``infra/athena/ddl/top_companies.sql`` is :data:`HEADER`, the ``CREATE OR REPLACE
VIEW`` line and that text with each lake table after FROM/JOIN read through its view
(``ownership_filings`` -> ``ownership_filings_all``, ``secfilings.sql.engine.with_read_views``,
as ``AthenaEngine`` sends its queries), so the view counts compacted rows too. Run ``python -m secfilings.scripts.render_athena_view``
(prints the DDL) or with a path argument (writes it there); a test checks that they agree.
"""

from __future__ import annotations

import sys
from importlib import resources

__all__ = ["HEADER", "view_select", "athena_view_ddl", "main"]

HEADER = (
    "-- Athena (Trino) DDL of the top_companies view. GENERATED from secfilings/sql/top_companies.sql,\n"
    "-- the view's one source: this header, the CREATE line, then that file's text with each table\n"
    "-- read through its <table>_all view (./compacted/<table>_all.sql: compacted and fresh rows).\n"
    "-- Regenerate: python -m secfilings.scripts.render_athena_view infra/athena/ddl/top_companies.sql\n"
)


def view_select() -> str:
    """The view's SELECT, as DuckDB loads it."""
    return resources.files("secfilings.sql").joinpath("top_companies.sql").read_text(encoding="utf-8")


def athena_view_ddl() -> str:
    from secfilings.sql.engine import with_read_views  # noqa: PLC0415

    return HEADER + "CREATE OR REPLACE VIEW top_companies AS\n" + with_read_views(view_select())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ddl = athena_view_ddl()
    if args:
        with open(args[0], "w", encoding="utf-8", newline="\n") as handle:
            handle.write(ddl)
    else:
        sys.stdout.write(ddl)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
