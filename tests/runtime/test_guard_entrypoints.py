"""The ways to turn the guard on from outside a program: the .pth start-up switch,
``python -m runtime_guard``, and ``-X importtime`` runs with their analyser."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

import runtime_guard
from tests.runtime.conftest import add_runtime_dependencies, clean_env, run_python
from tests.runtime.guard_project import BANNED

GUARDED_IMPORT = "import acme.jobs.form_import"


def shipped_pth() -> Path:
    """The start-up file the distribution installs (in the package folder and site-packages)."""
    candidates = [Path(runtime_guard.__file__).parent / "costguard_runtime.pth"]
    candidates += [Path(p) / "costguard_runtime.pth" for p in site.getsitepackages()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise AssertionError(f"costguard_runtime.pth not found in {candidates}")


@pytest.fixture(scope="module")
def start_up_venv(acme_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare virtualenv whose site-packages holds our .pth between two preloading .pth files."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env(), timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True, env=clean_env(),
        ).stdout.strip()
    )
    package_root = Path(runtime_guard.__file__).resolve().parent.parent
    add_runtime_dependencies(site_packages)
    (site_packages / "00_paths.pth").write_text(f"{acme_root}\n{package_root}\n", encoding="utf-8")
    preload = 'import os; os.environ.get("ACME_PRELOAD") == "{when}" and __import__("acme.scripts.load")\n'
    (site_packages / "aa_preload.pth").write_text(preload.format(when="before"), encoding="utf-8")
    (site_packages / "costguard_runtime.pth").write_text(shipped_pth().read_text(encoding="utf-8"), encoding="utf-8")
    (site_packages / "zz_preload.pth").write_text(preload.format(when="after"), encoding="utf-8")
    return python


PROBE = """
import json, sys
hook = sys.modules.get("runtime_guard.hook")
state = {
    "guard_loaded": "runtime_guard" in sys.modules,
    "guard_active": hook is not None and hook.active_guard() is not None,
    "preloaded": "acme.svc.store.raw" in sys.modules,
}
try:
    import acme.jobs.form_import
    state["outcome"] = "ok"
except ImportError as exc:
    state["outcome"] = type(exc).__name__
    state["importer"] = getattr(exc, "importer", None)
print(json.dumps(state))
"""


def probe(python: Path, cwd: Path, **env: str) -> dict[str, object]:
    done = subprocess.run([str(python), "-c", PROBE], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("when", ["before", "after"])
def test_pth_start_up_guards_with_preloaded_modules(start_up_venv: Path, acme_root: Path, when: str) -> None:
    state = probe(start_up_venv, acme_root, COSTGUARD_RUNTIME="raise", ACME_PRELOAD=when)
    assert state == {
        "guard_loaded": True,
        "guard_active": True,
        "preloaded": True,
        "outcome": "ForbiddenImportError",
        "importer": "acme.jobs.form_import",
    }


def test_pth_start_up_costs_nothing_when_unset(start_up_venv: Path, acme_root: Path) -> None:
    state = probe(start_up_venv, acme_root)
    # Nothing of the guard at start-up; the first load is still caught by protect() in the module.
    assert state == {
        "guard_loaded": False,
        "guard_active": False,
        "preloaded": False,
        "outcome": "ForbiddenImportError",
        "importer": "acme.jobs.form_import",
    }
    # A preloaded banned module imports runtime_guard for its protect() call, but no hook is on.
    state = probe(start_up_venv, acme_root, ACME_PRELOAD="after")
    assert state == {"guard_loaded": True, "guard_active": False, "preloaded": True, "outcome": "ok"}


def test_pth_start_up_off_and_env_precedence(start_up_venv: Path, acme_root: Path) -> None:
    assert probe(start_up_venv, acme_root, COSTGUARD_RUNTIME="off")["outcome"] == "ok"
    # COSTGUARD_RUNTIME=warn beats the policy file's mode = "raise": the import goes through.
    done = subprocess.run(
        [str(start_up_venv), "-c", GUARDED_IMPORT], cwd=acme_root, env=clean_env(COSTGUARD_RUNTIME="warn"),
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0
    assert "CostguardWarning: acme.svc.store.raw is banned in acme.jobs" in done.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"COSTGUARD_RUNTIME": "raise", "COSTGUARD_CONFIG": "/nonexistent/policy.toml"}, "cannot read the policy file"),
        ({"COSTGUARD_RUNTIME": "sometimes"}, "expected one of raise, warn, log, off"),
        ({"COSTGUARD_RUNTIME": "raise", "COSTGUARD_CONFIG": "BAD"}, "tool.costguard.ban[0].within: missing"),
    ],
)
def test_bad_start_up_never_breaks_the_interpreter(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[tool.costguard.ban]]\nmodule = "a.b"\n', encoding="utf-8")
    env = {k: (str(bad) if v == "BAD" else v) for k, v in env.items()}
    done = run_python(["-m", "pip", "--version"], tmp_path, **env)
    assert done.returncode == 0
    assert done.stdout.startswith("pip ")
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("costguard: ") and expected in lines[0]


def test_run_module_under_the_guard_keeps_argv_and_exit_code(acme_root: Path) -> None:
    done = run_python(["-m", "runtime_guard", "-m", "acme.scripts.exits", "7", "--flag", "x"], acme_root)
    assert done.returncode == 7
    assert done.stdout == "argv=['7', '--flag', 'x']\n"


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("acme.nowhere", "No module named acme.nowhere"),
        ("acme", "No module named acme.__main__; 'acme' is a package and cannot be directly executed"),
    ],
)
def test_run_module_that_cannot_be_found_is_one_line(acme_root: Path, module: str, message: str) -> None:
    done = run_python(["-m", "runtime_guard", "-m", module], acme_root)
    assert done.returncode == 1  # as `python -m`
    assert done.stderr == f"costguard: {message}\n"


def test_run_script_under_the_guard(acme_root: Path, tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(f"import sys\nprint(sys.argv)\n{GUARDED_IMPORT}\n", encoding="utf-8")
    done = run_python(["-m", "runtime_guard", str(script), "a", "-b"], acme_root, PYTHONPATH=str(acme_root))
    assert done.returncode == 1
    assert done.stdout == f"[{str(script)!r}, 'a', '-b']\n"
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"runtime_guard.errors.ForbiddenImportError: {BANNED} is banned in acme.jobs (imported by acme.jobs.form_import; import chain: job -> acme.jobs.form_import -> {BANNED})")
    # The flag beats COSTGUARD_RUNTIME and the file: warn lets the program finish.
    done = run_python(["-m", "runtime_guard", "--mode", "warn", str(script)], acme_root, PYTHONPATH=str(acme_root), COSTGUARD_RUNTIME="raise")
    assert done.returncode == 0
    assert "CostguardWarning" in done.stderr


def test_run_with_a_bad_policy_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.costguard.runtime]\nmode = "loud"\n', encoding="utf-8")
    (tmp_path / "prog.py").write_text("print('ran')\n", encoding="utf-8")
    done = run_python(["-m", "runtime_guard", "prog.py"], tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"costguard: {tmp_path / 'pyproject.toml'}: tool.costguard.runtime.mode: expected one of raise, warn, log, off, got 'loud'\n"


def test_importtime_runs_and_analysis(acme_root: Path, tmp_path: Path) -> None:
    guarded = run_python(["-X", "importtime", "-c", GUARDED_IMPORT], acme_root, COSTGUARD_RUNTIME="raise")
    assert guarded.returncode == 1
    assert "import time:" in guarded.stderr
    assert "ForbiddenImportError: acme.svc.store.raw is banned in acme.jobs" in guarded.stderr.splitlines()[-1]

    log = tmp_path / "importtime.log"
    warned = run_python(["-X", "importtime", "-c", "import acme.jobs.x"], acme_root, COSTGUARD_RUNTIME="warn")
    assert warned.returncode == 0
    log.write_text(warned.stderr, encoding="utf-8")
    report = run_python(["-m", "runtime_guard.importtime", str(log)], acme_root)
    assert report.returncode == 1, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0] == f"costguard importtime: 1 forbidden import path(s) in {log}"
    assert lines[1].startswith(f"acme.jobs.x -> acme.svc.common.h -> {BANNED}  (banned in acme.svc: ")
    assert [line.split()[0] for line in lines[2:]] == ["acme.jobs.x", "acme.svc.common.h", BANNED]
    assert all(" us  cumulative " in line for line in lines[2:])

    as_json = run_python(["-m", "runtime_guard.importtime", str(log), "--json"], acme_root)
    assert as_json.returncode == 1
    found = json.loads(as_json.stdout)["forbidden"]
    assert [(f["importer"], f["module"]) for f in found] == [("acme.svc.common.h", BANNED)]
    assert all(step["cumulative_us"] >= step["self_us"] > 0 for step in found[0]["path"])

    clean = run_python(["-X", "importtime", "-c", "import acme.jobs.clean"], acme_root)
    log.write_text(clean.stderr, encoding="utf-8")
    report = run_python(["-m", "runtime_guard.importtime", str(log)], acme_root)
    assert (report.returncode, report.stdout) == (0, f"costguard importtime: no forbidden import in {log}\n")


def test_importtime_bad_input(acme_root: Path, tmp_path: Path) -> None:
    missing = run_python(["-m", "runtime_guard.importtime", str(tmp_path / "nope.log")], acme_root)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.startswith(f"costguard importtime: {tmp_path / 'nope.log'}: cannot read")
    empty = tmp_path / "empty.log"
    empty.write_text("Traceback...\n", encoding="utf-8")
    done = run_python(["-m", "runtime_guard.importtime", str(empty)], acme_root)
    assert done.returncode == 2
    assert "no 'import time:' lines" in done.stderr


def first_line_then_close(args: list[str], cwd: Path) -> tuple[str, int, str]:
    """``python ARGS | head -1``: read one line, close the pipe, collect stderr and the status."""
    process = subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    error = process.stderr.read()
    return first, process.wait(timeout=60), error


def test_closed_pipe_is_quiet_in_importtime(acme_root: Path, tmp_path: Path) -> None:
    # Enough forbidden paths that the report is far larger than a pipe's buffer.
    lines = ["import time: self [us] | cumulative | imported package"]
    for number in range(3000):
        lines += [f"import time:        10 |         10 |   {BANNED}", f"import time:        10 |         20 | acme.jobs.x{number}"]
    log = tmp_path / "big.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        first, status, error = first_line_then_close(["-m", "runtime_guard.importtime", str(log), *extra], acme_root)
        assert first.startswith("costguard importtime: 3000 forbidden" if not extra else "{")
        assert (status, error) == (1, "")  # the status still says "found", and no traceback


def test_closed_pipe_is_quiet_under_python_m_runtime_guard(acme_root: Path, tmp_path: Path) -> None:
    script = tmp_path / "many.py"
    script.write_text("for number in range(200000):\n    print(number)\n", encoding="utf-8")
    first, status, error = first_line_then_close(["-m", "runtime_guard", str(script)], acme_root)
    assert (first, status, error) == ("0\n", 1, "")


@pytest.mark.parametrize("env", [{"COSTGUARD_RUNTIME": "raise"}, {}], ids=["environment", "install"])
def test_uncaught_refusal_shows_the_users_imports_not_the_guards_frames(acme_root: Path, env: dict[str, str]) -> None:
    setup = "" if env else "import runtime_guard; runtime_guard.install(); "
    done = run_python(["-c", f"import os, sys; sys.path.insert(0, os.getcwd()); {setup}import acme.jobs.x"], acme_root, **env)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Traceback (most recent call last):",
        '  File "<string>", line 1, in <module>',
        f'  File "{acme_root / "acme" / "jobs" / "x.py"}", line 1, in <module>',
        "    import acme.svc.common.h",
        f'  File "{acme_root / "acme" / "svc" / "common" / "h.py"}", line 1, in <module>',
        "    from acme.svc.store import raw",
        f"runtime_guard.errors.ForbiddenImportError: {BANNED} is banned in acme.svc (imported by acme.svc.common.h; "
        f"import chain: __main__ -> acme.jobs.x -> acme.svc.common.h -> {BANNED}): each call is a billed GET; use acme.svc.store.index",
    ]
