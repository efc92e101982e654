"""What the runtime guard adds to imports (issue 4, item 7). Not a test.

    python bench/runtime_overhead.py [--runs 15] [--modules 320]

In fresh interpreters, each importing the same set of standard-library modules (first loads)
through one generated module, alternating configurations, median of ``--runs`` runs each:

* no hook;
* ``runtime_guard.install()`` with a policy banning ``benchpkg.banned`` within ``benchpkg.services``
  (no banned module loaded: the guard keeps CPython's own ``__import__``);
* the same, *armed*: an allowed importer has loaded ``benchpkg.banned``, so cache hits are possible
  and the guard wraps ``__import__`` (one dict look-up per statement, plus a Python call);
* ``import-guard`` (PyPI, module ``import_guard``) denying the same module to the same importers.

Then the added nanoseconds per cached ``import json`` statement inside a function (the
statement every call of a function with a local import pays), against the no-hook runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SKIP = {
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__main__", "__phello__",
    "_tkinter", "lib2to3", "pydoc_data", "ensurepip", "venv", "test", "sre_compile", "sre_parse",
    "sre_constants", "asyncio.__main__", "_pydecimal", "xxsubtype", "msilib", "winreg", "winsound",
    "nturl2path", "_winapi", "_msi", "_overlapped", "nt", "ntpath_", "crypt", "nis", "ossaudiodev",
    "spwd", "telnetlib", "nntplib", "imghdr", "sndhdr", "pipes", "cgi", "cgitb", "chunk", "uu",
    "xdrlib", "audioop", "aifc", "sunau", "mailcap", "asynchat", "asyncore", "smtpd", "distutils",
}
PACKAGES = ["email", "xml", "json", "http", "urllib", "concurrent", "logging", "importlib", "unittest",
            "multiprocessing", "asyncio", "encodings", "ctypes", "sqlite3", "html", "dbm", "wsgiref",
            "xmlrpc", "collections", "curses", "zoneinfo", "tomllib", "xml.etree", "xml.dom", "xml.sax",
            "xml.parsers", "email.mime", "concurrent.futures", "lib2to3"]

POLICY = textwrap.dedent(
    """\
    [[tool.costguard.ban]]
    module = "benchpkg.banned"
    within = ["benchpkg.services"]
    reason = "benchmark"

    [tool.costguard.runtime]
    mode = "raise"
    """
)

CHILD = textwrap.dedent(
    """\
    import json, sys, time, timeit
    config, workdir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, workdir)
    # Every configuration loads both guards' code first (nothing is switched on by importing
    # them), so the timed import set and its cached modules are the same in all of them.
    import runtime_guard, runtime_guard.hook, import_guard
    start = time.perf_counter_ns()
    if config.startswith("runtime_guard"):
        runtime_guard.install(policy=workdir + "/policy.toml", inherit=False)
        if config == "runtime_guard armed":
            # An allowed importer (this script) loads the banned module: from now on a cache hit is
            # possible, so the guard wraps __import__ (it does not while no banned module is loaded).
            import benchpkg.banned
    elif config == "import-guard":
        from import_guard import guard
        guard.set_deny_rules({"benchpkg.services": "benchpkg.banned"})
        guard.enable(strict=True)
    setup_ns = time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    import bench_imports
    import_ns = time.perf_counter_ns() - start
    loops = 5_000 if config == "import-guard" else 200_000  # import-guard's cached import costs ~80 us
    cached_ns = min(timeit.repeat(bench_imports.cached_json, number=loops, repeat=5)) / loops * 1e9
    print(json.dumps({"setup_ns": setup_ns, "import_ns": import_ns, "cached_ns": cached_ns,
                      "count": len(bench_imports.MODULES)}))
    """
)

PROBE = textwrap.dedent(
    """\
    import importlib, json, pkgutil, sys, io, contextlib
    skip, packages = json.loads(sys.argv[1])
    names = sorted(n for n in sys.stdlib_module_names if n not in skip)
    for package in packages:
        try:
            module = importlib.import_module(package)
        except Exception:
            continue
        for info in pkgutil.iter_modules(getattr(module, "__path__", []), package + "."):
            if info.name not in skip and not info.name.rpartition(".")[2].startswith(("_", "test")):
                names.append(info.name)
    good = []
    for name in sorted(set(names)):
        if name in skip or name.split(".")[0] in skip or ".__main__" in name:
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                importlib.import_module(name)
        except BaseException:
            continue
        good.append(name)
    print(json.dumps(good))
    """
)


def stdlib_modules(limit: int) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROBE, json.dumps([sorted(SKIP), PACKAGES])],
        capture_output=True, text=True, check=True, env=clean_env(),
    )
    names = json.loads(done.stdout.strip().splitlines()[-1])
    return names[:limit]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COSTGUARD_")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--modules", type=int, default=320)
    args = parser.parse_args()
    modules = stdlib_modules(args.modules)
    configs = ["no hook", "runtime_guard", "runtime_guard armed", "import-guard"]
    samples: dict[str, list[dict[str, float]]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="costguard-bench-") as workdir:
        Path(workdir, "policy.toml").write_text(POLICY, encoding="utf-8")
        body = "".join(f"import {name}\n" for name in modules)
        body += f"MODULES = {modules!r}\n\ndef cached_json():\n    import json\n"
        Path(workdir, "bench_imports.py").write_text(body, encoding="utf-8")
        Path(workdir, "benchpkg").mkdir()
        Path(workdir, "benchpkg", "__init__.py").write_text("", encoding="utf-8")
        Path(workdir, "benchpkg", "banned.py").write_text("VALUE = 1\n", encoding="utf-8")
        for run in range(args.runs):
            for config in configs[run % len(configs) :] + configs[: run % len(configs)]:  # rotate the order: no drift favours one
                done = subprocess.run(
                    [sys.executable, "-B", "-c", CHILD, config, workdir],
                    capture_output=True, text=True, env=clean_env(), check=False,
                )
                if done.returncode != 0:
                    print(f"{config}: child failed:\n{done.stderr}", file=sys.stderr)
                    return 1
                samples[config].append(json.loads(done.stdout.strip().splitlines()[-1]))
    count = int(samples["no hook"][0]["count"])
    base_import = statistics.median(s["import_ns"] for s in samples["no hook"])
    base_cached = statistics.median(s["cached_ns"] for s in samples["no hook"])
    print(f"Python {sys.version.split()[0]}, {count} standard-library modules, median of {args.runs} fresh interpreters each")
    print(f"{'configuration':<20} {'import set (ms)':>16} {'vs no hook':>11} {'setup (ms)':>11} {'cached import json (ns)':>24} {'added (ns)':>11}")
    for config in configs:
        import_ns = statistics.median(s["import_ns"] for s in samples[config])
        setup_ns = statistics.median(s["setup_ns"] for s in samples[config])
        cached = statistics.median(s["cached_ns"] for s in samples[config])
        ratio = (import_ns / base_import - 1) * 100
        print(
            f"{config:<20} {import_ns / 1e6:>16.1f} {ratio:>+10.1f}% {setup_ns / 1e6:>11.1f} {cached:>24.0f} {cached - base_cached:>+11.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
