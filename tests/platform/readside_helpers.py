"""Helpers of the read-side tests (endpoints, sync, scripts, command line): lakes holding the
bundled real filings, and the rows of the lake read straight from its NDJSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from secfilings.config import Settings, open_platform
from secfilings.demo import bundled_data
from secfilings.workers.form4_parser.worker import ingest_paths


def ingest_bundled(platform: Any) -> Any:
    """Ingest every bundled filing (one lone information table is rejected on purpose)."""
    return ingest_paths(platform, [bundled_data() / "form4", bundled_data() / "13f"])


def bundled_lake(folder: Path, index_mode: str = "read-fallback") -> Settings:
    """A folder lake under ``folder`` with the bundled filings ingested; returns its settings."""
    settings = Settings(lake=str(folder), index_mode=index_mode)
    with open_platform(settings) as platform:
        report = ingest_bundled(platform)
    assert report.new >= 10, report.as_dict()
    return settings


def lake_rows(lake: Path, table: str) -> list[dict[str, Any]]:
    """Every row of ``table``, read from the lake's files (not through the code under test)."""
    rows: list[dict[str, Any]] = []
    for path in sorted((lake / "tables" / table).rglob("*.json")):
        rows.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return rows


def with_mode(settings: Settings, mode: str) -> Iterator[Any]:
    with open_platform(settings.with_changes(index_mode=mode)) as platform:
        yield platform
