"""Benchmark: what the costguard flake8 plugin adds to a flake8 run (issue 3, item 8).

Corpus: the running interpreter's standard library without its test folders, ban on
``http.client``. Variants, each timed as a fresh ``flake8`` process (median of N interleaved
runs, with ``-j1`` and with flake8's default job count):

  default     flake8 with its default plugins only (pyflakes, pycodestyle, mccabe)
  typical     + costguard, the ban within email, logging, xmlrpc
  worst       + costguard, the ban within every top-level package (every importer is a violation)
  tidy        + flake8-tidy-imports with the same module banned (I251)

flake8 runs every *installed* plugin whatever ``--select`` says, so each variant runs flake8
through a small driver (this file with ``--driver``) that keeps only the variant's plugins in
the list flake8's plugin finder returns; nothing in costguard knows about it. Each variant is a
fresh process, so the plugin's import time is in its figures; it is also printed on its own.

Start-up (issue 9, item 4): what installing costguard adds to one flake8 run on one file. Two
virtual environments are built in a temporary folder (``pip``; no system site-packages, which
would see this checkout): ``bare`` with flake8 alone, ``installed`` with flake8 and costguard (a
wheel of this checkout, with its dependencies), same flake8 version. Entry points are loaded for
every installed plugin, so a venv without costguard is the honest baseline (``--disable`` or the
driver's filter would still pay for the installed distribution). Commands, each a fresh process
on one guarded file that imports nothing banned and never spells a banned leaf name, interleaved
in rotating order, median of ``--startup-runs`` (at least 15):

  bare E          bare venv, ``flake8 --select E``           (the baseline)
  installed E     installed venv, ``--select E``             target: at most 10 ms slower
  installed CG    installed venv, ``--select CG``            target: at most 30 ms slower
  installed CG!   installed venv, ``--select CG`` on a file with a finding (loads libcst: for scale)

    python bench/lint_overhead.py [--runs 5] [--startup-runs 15] [--only-startup | --no-startup]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])
EXCLUDE = "test,tests,idle_test,site-packages,dist-packages,__pycache__"
DEFAULT_PACKAGES = {"flake8", "pyflakes", "pycodestyle", "mccabe"}
VARIANTS = {
    "default": set(),
    "typical": {"costguard"},
    "worst": {"costguard"},
    "tidy": {"flake8-tidy-imports"},
}
BANNED = "http.client"


def corpus_files() -> list[str]:
    excluded = set(EXCLUDE.split(","))
    files = []
    for directory, subdirs, names in os.walk(STDLIB):
        subdirs[:] = [d for d in subdirs if d not in excluded]
        files.extend(os.path.join(directory, n) for n in names if n.endswith(".py"))
    return files


def write_policies(folder: Path) -> dict[str, Path]:
    everything = sorted(
        {p.name.removesuffix(".py") for p in STDLIB.iterdir() if p.name.removesuffix(".py").isidentifier()}
    )
    policies = {"typical": ["email", "logging", "xmlrpc"], "worst": everything}
    paths = {}
    for name, within in policies.items():
        path = folder / f"{name}.toml"
        path.write_text(
            "[[tool.costguard.ban]]\n"
            f'module = "{BANNED}"\n'
            f"within = {json.dumps(within)}\n"
            'reason = "benchmark"\n',
            encoding="utf-8",
        )
        paths[name] = path
    return paths


def run_driver(packages: list[str], flake8_args: list[str], report_stages: bool) -> int:
    """Run flake8 in this process with only the default plugins plus ``packages``."""
    from flake8.main import cli
    from flake8.plugins import finder

    keep = DEFAULT_PACKAGES | set(packages)
    original = finder.find_plugins

    def find_plugins(*args, **kwargs):  # type: ignore[no-untyped-def]
        return [p for p in original(*args, **kwargs) if p.package in keep]

    finder.find_plugins = find_plugins  # type: ignore[assignment]
    devnull = open(os.devnull, "w")  # noqa: SIM115 - findings are not the point here
    stdout, sys.stdout = sys.stdout, devnull
    try:
        status = cli.main(flake8_args)
    finally:
        sys.stdout = stdout
    if report_stages:
        from flake8_costguard.checker import CostguardChecker

        print(json.dumps(CostguardChecker.stage_counts))
    return status


def flake8_command(variant: str, jobs: str, policies: dict[str, Path], report_stages: bool = False) -> list[str]:
    args = ["--isolated", "--exclude", EXCLUDE, "--jobs", jobs]
    if variant in policies:
        args += ["--costguard-config", str(policies[variant])]
    if variant == "tidy":
        args += ["--banned-modules", f"{BANNED} = benchmark"]
    packages = sorted(VARIANTS[variant])
    driver = [sys.executable, __file__, "--driver", ",".join(packages) or "-"]
    if report_stages:
        driver.append("--stages")
    return [*driver, "--", *args, str(STDLIB)]


def plugin_times(files: list[str], policies: dict[str, Path], runs: int) -> dict[str, float]:
    """Median seconds each plugin spends on the corpus in this process (trees parsed once).

    The same work flake8 hands the plugin, without flake8's own (noisy, much larger) time
    around it: a steadier figure on a shared machine.
    """
    import ast
    import tokenize
    import warnings
    from types import SimpleNamespace

    from flake8_tidy_imports import ImportChecker

    from flake8_costguard.checker import CostguardChecker
    from runtime_guard.policy import load_policy

    parsed = []
    for path in files:
        try:
            with tokenize.open(path) as handle:
                lines = handle.readlines()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed.append((path, lines, ast.parse("".join(lines))))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
    ImportChecker.parse_options(
        SimpleNamespace(banned_modules=f"{BANNED} = benchmark", ban_relative_imports=False)
    )
    loaded = {name: load_policy(path) for name, path in policies.items()}

    def costguard(name: str) -> None:
        CostguardChecker.config_policy = loaded[name]
        for path, lines, tree in parsed:
            list(CostguardChecker(tree, path, lines).run())

    def tidy() -> None:
        for _path, _lines, tree in parsed:
            list(ImportChecker(tree).run())

    jobs = {"typical": lambda: costguard("typical"), "worst": lambda: costguard("worst"), "tidy": tidy}
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            start = time.perf_counter()
            job()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


# ---------------------------------------------------------------------------------------------
# Start-up: one file, flake8 with and without costguard installed
# ---------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
STARTUP_POLICY = """\
[[tool.costguard.ban]]
module = "app.storage.s3_direct_read"
within = ["app.services"]
reason = "each call is a billed S3 GET"
"""
#: A real module (the standard library's JSON decoder) placed as guarded code: it imports
#: nothing banned and spells neither the banned leaf nor a dynamic importer's name.
STARTUP_SOURCE = STDLIB / "json" / "decoder.py"


def _pip(venv: Path, *args: str) -> None:
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: pip install {' '.join(args)} into {venv} failed:\n{done.stderr[-2000:]}")


def build_startup_venvs(folder: Path) -> dict[str, Path]:
    """``bare`` (flake8 alone) and ``installed`` (flake8 + this checkout), same flake8 and libcst."""
    flake8 = f"flake8=={importlib.metadata.version('flake8')}"
    libcst = f"libcst=={importlib.metadata.version('libcst')}"
    venvs = {}
    for name in ("bare", "installed"):
        venv = folder / name
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        venvs[name] = venv
    _pip(venvs["bare"], flake8)
    _pip(venvs["installed"], flake8, libcst, str(REPO))
    for name, venv in venvs.items():
        has = subprocess.run([str(venv / "bin" / "python"), "-c", "import importlib.util as u; print(bool(u.find_spec('flake8_costguard')))"],
                             capture_output=True, text=True, check=True, cwd=folder).stdout.strip()
        assert has == ("True" if name == "installed" else "False"), (name, has)
    return venvs


def build_startup_project(folder: Path) -> tuple[Path, str, str]:
    """A project with a policy; (root, clean guarded file, guarded file with a finding)."""
    root = folder / "project"
    for package in ("app", "app/services", "app/storage"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(STARTUP_POLICY, encoding="utf-8")
    source = STARTUP_SOURCE.read_text(encoding="utf-8")
    from flake8_costguard.importers import SPELLED_NAMES

    assert "s3_direct_read" not in source and not any(name in source for name in SPELLED_NAMES)
    (root / "app" / "services" / "decoder.py").write_text(source, encoding="utf-8")
    (root / "app" / "services" / "orders.py").write_text("import app.storage.s3_direct_read\n", encoding="utf-8")
    return root, "app/services/decoder.py", "app/services/orders.py"


def startup_times(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        venvs = build_startup_venvs(folder)
        root, clean, violating = build_startup_project(folder)
        print(f"\nstart-up: venvs built in {time.perf_counter() - started:.0f} s "
              f"(flake8 {importlib.metadata.version('flake8')}, one file: {STARTUP_SOURCE.name}, "
              f"{len(STARTUP_SOURCE.read_text(encoding='utf-8').splitlines())} lines, as guarded code)")
        commands = {
            "bare E": (venvs["bare"], "E", clean, None),  # the stdlib file has its own E findings
            "installed E": (venvs["installed"], "E", clean, None),
            "installed CG": (venvs["installed"], "CG", clean, 0),
            "installed CG!": (venvs["installed"], "CG", violating, 1),
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        load = os.getloadavg()
        for _ in range(2):  # warm the page cache and the .pyc files first
            for venv, select, path, _status in commands.values():
                subprocess.run([str(venv / "bin" / "flake8"), "--isolated", "--select", select, path], cwd=root, capture_output=True, check=False)
        for run in range(runs):
            order = names[run % len(names):] + names[: run % len(names)]
            for name in order:
                venv, select, path, status = commands[name]
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                done = subprocess.run([str(venv / "bin" / "flake8"), "--isolated", "--select", select, path],
                                      cwd=root, capture_output=True, text=True, check=False)
                samples[name].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
                ok = status is None or done.returncode == status
                assert ok and "Traceback" not in done.stderr, (name, done.returncode, done.stderr[-500:])
        load_after = os.getloadavg()
        base = statistics.median(samples["bare E"])
        print(f"start-up (median of {runs} interleaved runs; 1-min load average {load[0]:.2f} before, {load_after[0]:.2f} after)")
        print("  wall: elapsed ms; 'vs bare': difference of the medians; 'paired': median of each round's")
        print("  difference (side by side); cpu: user+sys ms of the flake8 process (less sensitive to load)")
        print(f"{'command':<14} {'wall':>7} {'min':>7} {'vs bare':>8} {'paired':>7} {'cpu':>7} {'vs bare':>8}  target")
        targets = {"installed E": "<= +10 ms", "installed CG": "<= +30 ms"}
        cpu_base = statistics.median(cpu["bare E"])
        for name, values in samples.items():
            median = statistics.median(values)
            cpu_median = statistics.median(cpu[name])
            delta = paired = cpu_delta = ""
            if name != "bare E":
                delta = f"{1000 * (median - base):+8.1f}"
                paired = f"{1000 * statistics.median(a - b for a, b in zip(values, samples['bare E'])):+7.1f}"
                cpu_delta = f"{1000 * (cpu_median - cpu_base):+8.1f}"
            print(f"{name:<14} {1000 * median:7.1f} {1000 * min(values):7.1f} {delta:>8} {paired:>7} "
                  f"{1000 * cpu_median:7.1f} {cpu_delta:>8}  {targets.get(name, '')}")
        python = str(venvs["installed"] / "bin" / "python")
        probe = ("import time, flake8.checker, flake8.main.cli; t = time.perf_counter(); import flake8_costguard.checker; "
                 "print(time.perf_counter() - t, 'libcst' in __import__('sys').modules)")
        imports = []
        for _ in range(runs):
            out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True, cwd=folder).stdout.split()
            imports.append(float(out[0]))
            assert out[1] == "False", "importing the plugin imported libcst"
        print(f"plugin import in a fresh interpreter (median of {runs}): {1000 * statistics.median(imports):.1f} ms, no libcst")


def plugin_import_time(runs: int) -> float:
    """Median seconds to import the plugin module in a fresh interpreter that has flake8 loaded."""
    probe = ("import time, flake8.checker, flake8.main.cli; t = time.perf_counter(); import flake8_costguard.checker; "
             "print(time.perf_counter() - t)")
    values = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
              for _ in range(runs)]
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-flake8", action="store_true", help="only the in-process plugin timings")
    parser.add_argument("--jobs", default="1,auto", help="flake8 job modes of the corpus runs (default: 1,auto)")
    parser.add_argument("--startup-runs", type=int, default=15, help="runs of the start-up section (at least 15)")
    parser.add_argument("--only-startup", action="store_true", help="only the start-up section")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up section (it builds two venvs with pip)")
    parser.add_argument("--driver", help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.driver is not None:
        rest = options.rest[1:] if options.rest[:1] == ["--"] else options.rest
        packages = [] if options.driver == "-" else options.driver.split(",")
        run_driver(packages, rest, options.stages)
        return
    if options.startup_runs < 15:
        parser.error("--startup-runs: at least 15 (medians of 15 interleaved runs)")
    if not options.no_startup:
        startup_times(options.startup_runs)
    if options.only_startup:
        return

    files = corpus_files()
    print(f"corpus: {STDLIB} without test folders: {len(files)} files; ban {BANNED}")
    mentions = sum(1 for f in files if BANNED.rpartition(".")[2] in Path(f).read_text("utf-8", "replace"))
    print(f"files mentioning the leaf name {BANNED.rpartition('.')[2]!r}: {mentions} ({100 * mentions / len(files):.1f}%)")
    with tempfile.TemporaryDirectory() as tmp:
        policies = write_policies(Path(tmp))
        in_process = plugin_times(files, policies, options.runs)
        imported = plugin_import_time(max(options.runs, 5))
        print(f"\nplugin time in-process (median of {options.runs}; the plugin's own work, trees parsed once)")
        for name, seconds in in_process.items():
            print(f"{name:<10} {seconds:8.3f} s {1000 * seconds / len(files):8.3f} ms/file")
        print(f"costguard's import (fresh interpreter, flake8 loaded, median of {max(options.runs, 5)}): "
              f"{1000 * imported:.1f} ms = {1000 * imported / len(files):.3f} ms/file over this corpus; "
              "the flake8 runs below include it")
        if options.no_flake8:
            return
        for policy in ("typical", "worst"):
            out = subprocess.run(flake8_command(policy, "1", policies, True), capture_output=True, text=True, check=False)
            print(f"stages ({policy}): {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]}")
        job_modes = options.jobs.split(",")
        timings: dict[tuple[str, str], list[float]] = {(v, j): [] for v in VARIANTS for j in job_modes}
        for run in range(options.runs):
            for jobs in job_modes:
                for variant in VARIANTS:
                    start = time.perf_counter()
                    subprocess.run(flake8_command(variant, jobs, policies), capture_output=True, check=False)
                    timings[(variant, jobs)].append(time.perf_counter() - start)
            print(f"run {run + 1}/{options.runs} done", flush=True)
    for jobs in job_modes:
        base = statistics.median(timings[("default", jobs)])
        print(f"\n-j{jobs}  (median of {options.runs} interleaved runs)")
        print(f"{'variant':<10} {'seconds':>8} {'ms/file':>8} {'overhead':>9}")
        for variant in VARIANTS:
            seconds = statistics.median(timings[(variant, jobs)])
            overhead = "" if variant == "default" else f"{100 * (seconds - base) / base:+8.2f}%"
            print(f"{variant:<10} {seconds:8.2f} {1000 * seconds / len(files):8.2f} {overhead:>9}")


if __name__ == "__main__":
    main()
