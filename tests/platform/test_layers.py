"""The platform's layering (issue 11, item 4): the historical module paths still import the same
objects from their new homes, and import-linter's contracts in pyproject.toml hold."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FACADES = {
    "secfilings.services.api.athena.lookup_index": ["secfilings.index.base", "secfilings.index.sqlite", "secfilings.index.dynamodb"],
    "secfilings.services.api.athena.write": ["secfilings.ingest.write"],
    "secfilings.services.api.athena.write_with_dedup": ["secfilings.ingest.dedup"],
    "secfilings.services.api.athena.query": ["secfilings.sql.queries"],
}


@pytest.mark.parametrize("facade", sorted(FACADES))
def test_historical_path_exports_the_same_objects(facade: str) -> None:
    old = importlib.import_module(facade)
    for home in FACADES[facade]:
        new = importlib.import_module(home)
        for name in new.__all__:
            assert getattr(old, name) is getattr(new, name), f"{facade}.{name}"
            assert name in old.__all__


def test_endpoints_and_gateway_stay_where_the_policy_names_them() -> None:
    from secfilings.services.api.athena import companies, funds, s3_direct_read

    assert callable(companies.get_company) and callable(funds.get_fund)
    assert callable(s3_direct_read.read_object)
    assert companies.company_pk("0000000042") == "company#0000000042"


def test_cli_renderers_are_the_shared_ones() -> None:
    from secfilings import cli, render

    assert cli.write_company is render.write_company and cli.write_fund is render.write_fund


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is in the test extra"
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
    assert "KEPT" in result.stdout
