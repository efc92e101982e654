"""The ``costguard`` console script: a small table of subcommands, each imported when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runtime_guard.cli import COMMANDS

COSTGUARD = str(Path(sys.executable).with_name("costguard"))


def costguard(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COSTGUARD, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_help_lists_every_command() -> None:
    result = costguard("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert f"  {name}  " in result.stdout


def test_no_command_and_an_unknown_one_exit_2_with_one_line() -> None:
    for args in ((), ("frobnicate",)):
        result = costguard(*args)
        assert (result.returncode, result.stdout) == (2, "")
        assert len(result.stderr.splitlines()) == 1 and "usage: costguard <command>" in result.stderr
    assert "unknown command 'frobnicate'" in costguard("frobnicate").stderr


def test_a_command_gets_its_arguments_and_its_exit_status(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\n', encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "a" / "c.py").write_text("import a.b\n", encoding="utf-8")
    result = costguard("check", "--format", "text", "a", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == "a/c.py:1:8: CG101 a.b is banned in a\n"


def test_commands_are_imported_lazily() -> None:
    code = "import sys, runtime_guard.cli\nprint('flake8_costguard.check' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    for entry, _ in COMMANDS.values():
        assert ":" in entry
