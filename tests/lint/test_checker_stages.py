"""The checker's cheap stages stay sound for names built from pieces: a banned leaf split across
literals (or spelled with an escape) never appears in the text, yet the file is still checked,
because every dynamic import the rules resolve spells its importer's name (issue 9, item 2)."""

from __future__ import annotations

from pathlib import Path

from .test_flake8_behaviour import MESSAGE, flake8
from .test_plugin_startup import RUN_FLAKE8, fresh_python, project

SPLIT_LEAF = r'''import importlib

importlib.import_module("shop.storage.s3_direct" + "_read")
importlib.import_module("shop.storage.s3\x5fdirect_read")
importlib.import_module("shop.storage.s3_direct" "_read")
'''


def stages(root: Path) -> dict:
    run = fresh_python(RUN_FLAKE8, "--isolated", "-j1", "--select", "CG", "shop/services/orders.py", cwd=root)
    return {key: run["stages"][key] for key in ("within", "mentions", "candidates", "exact", "libcst")} | {
        "status": run["status"], "libcst_loaded": run["libcst"],
    }


def test_a_leaf_split_across_literals_or_escaped_is_still_found(tmp_path: Path) -> None:
    target = project(tmp_path, SPLIT_LEAF)
    assert "s3_direct_read" not in target.read_text(encoding="utf-8")
    result = flake8(tmp_path, "--select", "CG", "shop")
    assert result.stdout.splitlines() == [
        f"shop/services/orders.py:3:25: CG102 {MESSAGE}",
        f"shop/services/orders.py:4:25: CG102 {MESSAGE}",
        f"shop/services/orders.py:5:25: CG102 {MESSAGE}",
    ]
    assert (result.returncode, result.stderr) == (1, "")


def test_a_file_spelling_no_leaf_and_no_importer_stops_at_the_text_stage(tmp_path: Path) -> None:
    project(tmp_path, 'import json\n\nPIECES = "s3_direct" + "_read"\nprint(json.dumps(PIECES))\n')
    assert stages(tmp_path) == {
        "within": 1, "mentions": 0, "candidates": 0, "exact": 0, "libcst": 0, "status": 0, "libcst_loaded": False,
    }


def test_an_importer_with_unrelated_names_stops_at_the_ast_stage(tmp_path: Path) -> None:
    project(tmp_path, 'import importlib\n\nBASE = "json"\nimportlib.import_module(BASE + ".decoder")\n')
    assert stages(tmp_path) == {
        "within": 1, "mentions": 1, "candidates": 0, "exact": 0, "libcst": 0, "status": 0, "libcst_loaded": False,
    }


def test_unrelated_calls_building_the_leaf_are_resolved_without_libcst(tmp_path: Path) -> None:
    project(tmp_path, 'from importlib import import_module\n\nprint("shop.storage.s3_direct" + "_read")\n')
    assert stages(tmp_path) == {
        "within": 1, "mentions": 1, "candidates": 1, "exact": 1, "libcst": 0, "status": 0, "libcst_loaded": False,
    }
