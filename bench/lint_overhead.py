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
the list flake8's plugin finder returns; nothing in costguard knows about it.

    python bench/lint_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-flake8", action="store_true", help="only the in-process plugin timings")
    parser.add_argument("--driver", help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.driver is not None:
        rest = options.rest[1:] if options.rest[:1] == ["--"] else options.rest
        packages = [] if options.driver == "-" else options.driver.split(",")
        run_driver(packages, rest, options.stages)
        return

    files = corpus_files()
    print(f"corpus: {STDLIB} without test folders: {len(files)} files; ban {BANNED}")
    mentions = sum(1 for f in files if BANNED.rpartition(".")[2] in Path(f).read_text("utf-8", "replace"))
    print(f"files mentioning the leaf name {BANNED.rpartition('.')[2]!r}: {mentions} ({100 * mentions / len(files):.1f}%)")
    with tempfile.TemporaryDirectory() as tmp:
        policies = write_policies(Path(tmp))
        in_process = plugin_times(files, policies, options.runs)
        print(f"\nplugin time in-process (median of {options.runs}; the plugin's own work, trees parsed once)")
        for name, seconds in in_process.items():
            print(f"{name:<10} {seconds:8.3f} s {1000 * seconds / len(files):8.3f} ms/file")
        if options.no_flake8:
            return
        for policy in ("typical", "worst"):
            out = subprocess.run(flake8_command(policy, "1", policies, True), capture_output=True, text=True, check=False)
            print(f"stages ({policy}): {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]}")
        job_modes = ["1", "auto"]
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
