"""Item 5: every install() is a handle of its own; the last owner restores everything; overrides."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.conftest import run_scenarios


def test_handles_overrides_and_the_last_owner(acme_root: Path) -> None:
    result = run_scenarios(acme_root, "none", ["ownership"])["ownership"]
    assert result["outcome"] == "ok", result
    policy_file = str(acme_root / "pyproject.toml")
    assert result["value"] == {
        "handles": 8,  # eight install() calls from eight threads: eight handles ...
        "finders": 1,  # ... over one set of hooks
        "armed_at_install": True,
        "one_layer": True,
        "env": ["raise", policy_file],
        "before": ["refused", "refused"],
        # seven handles that did not create the hooks uninstalled: the guard holds, calls included
        "others_gone": ["refused", "refused", True, True],
        # an explicit override switches the mode for its lifetime only (and is not inherited)
        "override_off": ["ok", "ok", True, "raise"],
        "after_override": ["refused", "refused", True],
        "override_warn": ["ok", 1],
        "creator_gone": ["refused", True],
        "all_gone": {
            "import_restored": True,
            "excepthook_restored": True,
            "finders": 0,
            "env": [None, None],
            "cached_import": "ok",
            "by_path_inert": "ok",
            "call": "refused",
        },
    }
