"""Benchmark: ``costguard check`` beside ``ruff check --select TID251`` and ``lint-imports``.

Two corpora, each timed as fresh processes, interleaved (one run of every variant per round),
medians of N rounds, ratios of the medians:

  stdlib   the running interpreter's standard library without its test folders (the corpus of
           bench/lint_overhead.py), ban on ``http.client``:
             typical  within email, logging, xmlrpc   (ruff: TID251 with per-file-ignores
                      for every other file)
             worst    within every top-level package  (ruff: TID251 everywhere)
  moto     the moto sdist from PyPI (``pip download --no-binary :all: moto``), a transitive ban
           on ``moto.s3.models`` within moto.sqs, moto.sns and moto.dynamodb (CG104), beside
           import-linter's forbidden contract with the same source and forbidden modules.

cold = no cache (costguard: an empty --cache-dir; ruff and lint-imports: --no-cache);
warm = a second run with the cache of the previous one. Needs the bench extra (ruff,
import-linter) and, for moto, network access to PyPI (or --moto DIR with an unpacked sdist).

    python bench/check_speed.py [--runs 7] [--moto DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lint_overhead import BANNED, STDLIB, corpus_files  # noqa: E402

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        sys.exit(f"check_speed: {name} is not installed next to {sys.executable} (pip install -e '.[bench]')")
    return str(path)


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"check_speed: {' '.join(command[:3])}... failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


def stdlib_variants(work: Path) -> dict[str, tuple[list[str], Path, dict[str, str] | None, Path | None]]:
    everything = sorted({p.name.removesuffix(".py") for p in STDLIB.iterdir() if p.name.removesuffix(".py").isidentifier()})
    typical = ["email", "logging", "xmlrpc"]
    files = [os.path.relpath(f, STDLIB) for f in corpus_files()]
    (work / "files.txt").write_text("\n".join(files), encoding="utf-8")
    variants = {}
    for name, within in (("typical", typical), ("worst", everything)):
        policy = work / f"{name}.toml"
        policy.write_text(
            f'[[ban]]\nmodule = "{BANNED}"\nwithin = {within!r}\nreason = "benchmark"\n'.replace("'", '"'), encoding="utf-8"
        )
        ruff_config = work / f"ruff-{name}.toml"
        ignores = ""
        if name == "typical":
            ignores = '[lint.per-file-ignores]\n"!{' + ",".join(f"{p}/**" for p in typical) + '}" = ["TID251"]\n'
        ruff_config.write_text(
            '[lint]\nselect = ["TID251"]\n[lint.flake8-tidy-imports.banned-api]\n'
            f'"{BANNED}".msg = "benchmark"\n' + ignores,
            encoding="utf-8",
        )
        cg_cache = work / f"cg-cache-{name}"
        ruff_cache = work / f"ruff-cache-{name}"
        variants[f"{name} costguard"] = (
            [tool("costguard"), "check", "--config", str(policy), "--cache-dir", str(cg_cache), *files], STDLIB, None, cg_cache)
        variants[f"{name} ruff"] = (
            [tool("ruff"), "check", "--config", str(ruff_config), "--cache-dir", str(ruff_cache), "--output-format", "concise",
             "--no-fix", *files], STDLIB, None, ruff_cache)
    return variants


def moto_tree(work: Path, given: str | None) -> Path:
    if given:
        return Path(given).resolve()
    download = work / "moto-sdist"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "moto", "-d", str(download)],
                   check=True)
    archive = next(download.glob("moto-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(work / "moto", filter="data")
    return next((work / "moto").glob("moto-*"))


def moto_variants(work: Path, tree: Path) -> dict[str, tuple[list[str], Path, dict[str, str] | None, Path | None]]:
    sources = ["moto.sqs", "moto.sns", "moto.dynamodb"]
    policy = work / "moto.toml"
    policy.write_text(f'[[ban]]\nmodule = "moto.s3.models"\nwithin = {sources!r}\ntransitive = true\n'.replace("'", '"'), encoding="utf-8")
    contract = work / "moto.importlinter"
    contract.write_text(
        "[importlinter]\nroot_package = moto\n\n[importlinter:contract:1]\nname = no s3 models\ntype = forbidden\n"
        "source_modules =\n" + "".join(f"    {s}\n" for s in sources) + "forbidden_modules =\n    moto.s3.models\n",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(tree))
    cg_cache = work / "cg-cache-moto"
    li_cache = work / "li-cache-moto"
    return {
        # Run from the package folder: the graph covers the working directory, as import-linter's
        # covers the root package (the sdist's tests/ folder is not part of either).
        "transitive costguard": ([tool("costguard"), "check", "--config", str(policy), "--cache-dir", str(cg_cache), "."], tree / "moto", None, cg_cache),
        "transitive lint-imports": ([tool("lint-imports"), str(contract), "--cache-dir", str(li_cache)], tree, env, li_cache),
    }


def measure(variants: dict, runs: int) -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warm": []} for name in variants}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        for name, (command, cwd, env, cache) in variants.items():
            if cache is not None:
                shutil.rmtree(cache, ignore_errors=True)
            cold, outputs[name] = timed(command, cwd, env)
            warm, _ = timed(command, cwd, env)
            times[name]["cold"].append(cold)
            times[name]["warm"].append(warm)
    for name, output in outputs.items():
        findings = sum(1 for line in output.splitlines() if ": CG1" in line or ": TID251" in line)
        if findings:
            print(f"  {name}: {findings} findings")
    return times


def report(times: dict[str, dict[str, list[float]]], pairs: list[tuple[str, str]]) -> None:
    print(f"{'variant':<26} {'cold s':>8} {'warm s':>8}")
    for name, runs in times.items():
        print(f"{name:<26} {statistics.median(runs['cold']):>8.3f} {statistics.median(runs['warm']):>8.3f}")
    for ours, theirs in pairs:
        cold = statistics.median(times[ours]["cold"]) / statistics.median(times[theirs]["cold"])
        warm = statistics.median(times[ours]["warm"]) / statistics.median(times[theirs]["warm"])
        print(f"ratio {ours} / {theirs}: cold {cold:.2f}x, warm {warm:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--moto", help="an unpacked moto sdist (default: download it from PyPI)")
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; load average before: {os.getloadavg()}")
    # Byte-compile this checkout first, as pip does for an installed wheel: with
    # PYTHONDONTWRITEBYTECODE set (or a read-only tree) an editable install would otherwise
    # compile costguard's modules again in every timed run (~50 ms of the typical run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "flake8_costguard"), str(HERE.parent / "runtime_guard")],
                   check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="check-speed-") as folder:
        work = Path(folder)
        variants = stdlib_variants(work)
        print(f"stdlib corpus: {len(corpus_files())} files under {STDLIB}; ban on {BANNED}; {args.runs} interleaved rounds")
        times = measure(variants, args.runs)
        report(times, [("typical costguard", "typical ruff"), ("worst costguard", "worst ruff")])
        if not args.skip_moto:
            tree = moto_tree(work, args.moto)
            count = sum(1 for _ in (tree / "moto").rglob("*.py"))
            print(f"\nmoto tree: {tree.name}, {count} files; transitive ban on moto.s3.models within moto.sqs, moto.sns, moto.dynamodb")
            times = measure(moto_variants(work, tree), args.runs)
            report(times, [("transitive costguard", "transitive lint-imports")])
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
