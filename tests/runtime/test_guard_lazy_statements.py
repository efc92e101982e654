"""The ``__import__`` wrappers are armed only once a banned module can be a cache hit."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.runtime.conftest import run_python

PROGRAM = textwrap.dedent(
    """
    import builtins, importlib, sys
    sys.path.insert(0, ".")
    original = builtins.__import__
    import runtime_guard
    guard = runtime_guard.install(inherit=False)
    print("armed after install:", builtins.__import__ is not original, guard.statements_armed)
    import acme.jobs.clean          # a guarded module that never touches the banned one
    print("armed after clean import:", builtins.__import__ is not original)
    import acme.scripts.load    # an allowed importer loads the banned module: arm
    print("armed after allowed load:", builtins.__import__ is not original, importlib.__import__ is not original)
    try:
        import acme.jobs.form_import    # now a cache hit from a guarded module
    except runtime_guard.ForbiddenImportError as error:
        print("cache hit refused:", error.module, error.importer)
    guard.uninstall()
    print("restored:", builtins.__import__ is original)
    """
)


def test_statement_wrappers_arm_on_first_banned_load(acme_root: Path) -> None:
    done = run_python(["-c", PROGRAM], acme_root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "armed after install: False False",
        "armed after clean import: False",
        "armed after allowed load: True True",
        "cache hit refused: acme.svc.store.raw acme.jobs.form_import",
        "restored: True",
    ]


def test_statement_wrappers_armed_at_install_when_banned_module_preloaded(acme_root: Path) -> None:
    program = (
        "import builtins, sys\nsys.path.insert(0, '.')\noriginal = builtins.__import__\n"
        "import acme.scripts.load\nimport runtime_guard\nguard = runtime_guard.install(inherit=False)\n"
        "print(builtins.__import__ is not original)\n"
        "try:\n    import acme.jobs.form_from_pkg\nexcept runtime_guard.ForbiddenImportError as error:\n"
        "    print('refused', error.importer)\n"
    )
    done = run_python(["-c", program], acme_root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True", "refused acme.jobs.form_from_pkg"]
