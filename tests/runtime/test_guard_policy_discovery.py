"""Item 1: the policy is found wherever the program runs: the working directory, the program's
location (a script's folder, the package of ``python -m``), and the policy an installed
distribution ships; ``COSTGUARD_RUNTIME=require`` makes a missing or broken policy fatal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import runtime_guard
from runtime_guard.config import program_location
from tests.runtime.conftest import add_runtime_dependencies, clean_env, run_python
from tests.runtime.guard_project import BANNED

REPO = Path(runtime_guard.__file__).resolve().parent.parent
S3 = "secfilings.services.api.athena.s3_direct_read"
GUARDED_EXEC = f"exec('import {S3}', {{'__name__': 'secfilings.workers.probe'}})"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with no pyproject.toml at or above it."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert not any((p / "pyproject.toml").exists() for p in (folder, *folder.parents))
    return folder


def test_script_location_finds_its_projects_policy(acme_root: Path, elsewhere: Path) -> None:
    script = acme_root / "acme" / "jobs" / "run_x.py"
    script.write_text("import sys\nsys.path.insert(0, %r)\nimport acme.jobs.x\n" % str(acme_root), encoding="utf-8")
    done = run_python([str(script)], elsewhere, COSTGUARD_RUNTIME="raise")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(
        f"runtime_guard.errors.ForbiddenImportError: {BANNED} is banned in acme.svc (imported by acme.svc.common.h;"
    ), done.stderr


def test_python_m_package_location_finds_its_projects_policy(acme_root: Path, elsewhere: Path) -> None:
    done = run_python(["-m", "acme.jobs.x"], elsewhere, COSTGUARD_RUNTIME="raise", PYTHONPATH=str(acme_root))
    assert done.returncode == 1
    assert f"ForbiddenImportError: {BANNED} is banned in acme.svc (imported by acme.svc.common.h;" in done.stderr


def test_python_m_runtime_guard_looks_through_to_the_program(acme_root: Path, elsewhere: Path) -> None:
    done = run_python(["-m", "runtime_guard", "-m", "acme.jobs.x"], elsewhere, PYTHONPATH=str(acme_root))
    assert done.returncode == 1
    assert f"ForbiddenImportError: {BANNED} is banned in acme.svc (imported by acme.svc.common.h;" in done.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["python", "-X", "dev", "-W", "ignore", "job.py", "-m", "x"], "job.py"),
        (["python", "-Xdev", "-B", "job.py"], "job.py"),
        (["python", "-c", "import x", "job.py"], None),
        (["python", "-Bc", "import x"], None),
        (["python", "-"], None),
        (["python"], None),
        (["python", "-m", "acme.jobs.x"], "acme"),
        (["python", "-macme.jobs.x"], "acme"),
        (["python", "-m", "runtime_guard", "--mode", "warn", "-m", "acme.jobs.x", "arg"], "acme"),
        (["python", "-m", "runtime_guard", "--policy=p.toml", "job.py"], "job.py"),
        (["python", "-m", "nowhere_at_all"], None),
    ],
)
def test_program_location_from_the_command_line(acme_root: Path, argv: list[str], expected: str | None) -> None:
    found = program_location(argv, [str(acme_root)])
    if expected is None:
        assert found is None
    elif expected == "acme":
        assert found == str(acme_root / "acme")
    else:
        assert found == str(Path.cwd() / expected)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """costguard's own wheel, built from this checkout, installed into a fresh virtualenv."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(REPO)],
        check=True, capture_output=True, text=True, env=clean_env(), timeout=300,
    )
    (wheel,) = (work / "dist").glob("costguard-*.whl")
    venv = work / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env(), timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True, capture_output=True, text=True, env=clean_env(), timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env=clean_env(), timeout=60,
    ).stdout.strip()
    add_runtime_dependencies(Path(purelib))
    return python


def run_installed(python: Path, code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", code], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=120)


def test_installed_wheel_ships_the_repositorys_policy(installed_wheel: Path, elsewhere: Path) -> None:
    code = "from runtime_guard.config import installed_policy; p = installed_policy(); print(p.source); print([b.module for b in p.bans])"
    done = run_installed(installed_wheel, code, elsewhere)
    assert done.returncode == 0, done.stderr
    source, bans = done.stdout.splitlines()
    assert source.endswith("/site-packages/secfilings/costguard_policy.toml")
    assert Path(source).read_text(encoding="utf-8") == (REPO / "pyproject.toml").read_text(encoding="utf-8")  # built, not kept
    assert bans == repr([S3])
    assert not (Path(source).parent / "guard_policy.toml").exists()


@pytest.mark.parametrize("mode", ["raise", "require"])
def test_installed_wheel_is_guarded_from_another_directory(installed_wheel: Path, elsewhere: Path, mode: str) -> None:
    done = run_installed(installed_wheel, GUARDED_EXEC, elsewhere, COSTGUARD_RUNTIME=mode)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"runtime_guard.errors.ForbiddenImportError: {S3} is banned in secfilings.workers (imported by secfilings.workers.probe;")
    allowed = run_installed(installed_wheel, f"import {S3}; print('ok')", Path("/"), COSTGUARD_RUNTIME=mode)
    assert (allowed.returncode, allowed.stdout, allowed.stderr) == (0, "ok\n", "")


def test_installed_wheel_protects_itself_without_the_hook(installed_wheel: Path, elsewhere: Path) -> None:
    # No COSTGUARD_RUNTIME: protect() inside s3_direct_read finds the installed policy itself.
    done = run_installed(installed_wheel, GUARDED_EXEC, elsewhere)
    assert done.returncode == 1
    assert f"ForbiddenImportError: {S3} is banned in secfilings.workers (imported by secfilings.workers.probe;" in done.stderr


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the guard on its path and its .pth, but no distribution shipping a policy."""
    venv = tmp_path_factory.mktemp("bare") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env(), timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True, env=clean_env(),
        ).stdout.strip()
    )
    add_runtime_dependencies(site_packages)
    (site_packages / "00_paths.pth").write_text(f"{REPO}\n", encoding="utf-8")
    (site_packages / "costguard_runtime.pth").write_text((REPO / "runtime_guard" / "costguard_runtime.pth").read_text(encoding="utf-8"), encoding="utf-8")
    return python


@pytest.mark.parametrize(("mode", "status", "ran"), [("require", 2, False), ("raise", 0, True)])
def test_a_guard_that_cannot_even_import_stops_a_require_run(tmp_path: Path, mode: str, status: int, ran: bool) -> None:
    """A broken installation (seen: Python 3.10 without tomli) fails the import of the guard's
    own modules; ``require`` must still stop before user code, ``raise`` still only warns."""
    broken = tmp_path / "broken" / "runtime_guard"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("", encoding="utf-8")
    (broken / "_startup.py").write_text((REPO / "runtime_guard" / "_startup.py").read_text(encoding="utf-8"), encoding="utf-8")
    (broken / "config.py").write_text("raise ImportError(\"No module named 'tomli'\")\n", encoding="utf-8")
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env(), timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env=clean_env(), timeout=60,
    ).stdout.strip()
    (Path(purelib) / "00_paths.pth").write_text(f"{broken.parent}\n", encoding="utf-8")
    (Path(purelib) / "costguard_runtime.pth").write_text((REPO / "runtime_guard" / "costguard_runtime.pth").read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [str(python), "-c", "print('user code ran')"], cwd=tmp_path, capture_output=True, text=True,
        env=clean_env(COSTGUARD_RUNTIME=mode), timeout=60,
    )
    assert done.returncode == status, done.stderr
    assert ("user code ran" in done.stdout) is ran
    assert done.stderr.splitlines() == ["costguard: the runtime guard could not start: No module named 'tomli'"]


@pytest.mark.parametrize("config", [None, "missing", "broken"])
def test_require_makes_a_missing_or_broken_policy_fatal(bare_venv: Path, elsewhere: Path, config: str | None) -> None:
    env = {"COSTGUARD_RUNTIME": "require"}
    if config == "missing":
        env["COSTGUARD_CONFIG"] = str(elsewhere / "nope.toml")
    elif config == "broken":
        (elsewhere / "broken.toml").write_text('[[tool.costguard.ban]]\nmodule = "a.b"\n', encoding="utf-8")
        env["COSTGUARD_CONFIG"] = str(elsewhere / "broken.toml")
    done = run_installed(bare_venv, "print('user code ran')", elsewhere, **env)
    assert done.returncode == 2
    assert done.stdout == ""  # before any user code
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("costguard: COSTGUARD_RUNTIME=require and no usable policy"), done.stderr
    # raise keeps its promise: one warning line, and the program runs
    env["COSTGUARD_RUNTIME"] = "raise"
    done = run_installed(bare_venv, "print('user code ran')", elsewhere, **env)
    assert (done.returncode, done.stdout) == (0, "user code ran\n")
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("costguard: COSTGUARD_RUNTIME is set but the runtime guard is off")


def test_require_with_a_policy_guards(bare_venv: Path, acme_root: Path) -> None:
    done = run_installed(bare_venv, "import sys; sys.path.insert(0, '.'); import acme.jobs.form_import", acme_root, COSTGUARD_RUNTIME="require")
    assert done.returncode == 1
    assert f"ForbiddenImportError: {BANNED} is banned in acme.jobs (imported by acme.jobs.form_import;" in done.stderr


def test_installed_policies_apply_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime_guard import config

    first = tmp_path / "one" / "costguard_policy.toml"
    second = tmp_path / "two" / "costguard_policy.toml"
    for file, module, mode in ((first, "one.raw", "warn"), (second, "two.raw", "raise")):
        file.parent.mkdir()
        file.write_text(
            f'[[tool.costguard.ban]]\nmodule = "{module}"\nwithin = ["{module.split(".")[0]}.jobs"]\n'
            f'[tool.costguard.runtime]\nmode = "{mode}"\n',
            encoding="utf-8",
        )
    monkeypatch.setattr(config, "installed_policy_files", lambda: [first, second])
    merged = config.installed_policy()
    assert merged is not None
    assert [(ban.module, ban.within) for ban in merged.bans] == [("one.raw", ("one.jobs",)), ("two.raw", ("two.jobs",))]
    assert merged.runtime.mode == "warn" and merged.source is None  # the first one's mode; no single file
    monkeypatch.setattr(config, "installed_policy_files", lambda: [second])
    assert config.installed_policy().source == second  # type: ignore[union-attr]
