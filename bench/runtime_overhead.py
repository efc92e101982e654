"""What the runtime guard adds to imports (issues 4 and 10, item 7). Not a test.

    python bench/runtime_overhead.py [--runs 15] [--modules 320] [--compare-with DIR]

In fresh interpreters, each importing the same set of standard-library modules (first loads)
through one generated module, configurations interleaved (order rotated per round), median of
``--runs`` runs each. The policy bans ``benchpkg.banned`` within ``benchpkg.services``.

* no hook; the import set made by an ordinary module, or by a guarded one (``benchpkg.services``);
* ``runtime_guard.install()``: its statement wrappers are on from install() (issue 10, item 2);
* *armed*: an allowed importer has loaded ``benchpkg.banned`` (cache hits of it are possible);
  the import set made by an ordinary module, and by a guarded module;
* installed and uninstalled again: only the audit hook is left, inert (it cannot be removed);
* ``import-guard`` (PyPI, module ``import_guard``) denying the same module to the same importers;
* with ``--compare-with DIR`` (a folder holding another revision's ``runtime_guard``, e.g.
  ``git archive main runtime_guard | tar -x -C DIR``), that revision's guard rows, same rounds.

Per configuration also: nanoseconds per cached ``import json`` inside a function of an ordinary
module, of a guarded module and of ``__main__``, and per ``exec()`` of a tiny code object (one
``exec`` audit event: what the audit hook costs a program that never touches a banned module).
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
    import json, os, sys, time, timeit
    setup, target, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, workdir)
    # Every configuration loads both guards' code first (nothing is switched on by importing
    # them), so the timed import set and its cached modules are the same in all of them.
    import runtime_guard, runtime_guard.hook, import_guard
    import benchpkg.services.calls, bench_calls
    start = time.perf_counter_ns()
    if setup in ("install", "armed", "inert"):
        guard = runtime_guard.install(policy=workdir + "/policy.toml", inherit=False)
        if setup == "armed":
            # An allowed importer (this script) loads the banned module: cache hits are possible.
            import benchpkg.banned
        elif setup == "inert":
            guard.uninstall()  # the audit hook cannot be removed: it stays, inert
    elif setup == "import-guard":
        from import_guard import guard
        guard.set_deny_rules({"benchpkg.services": "benchpkg.banned"})
        guard.enable(strict=True)
    setup_ns = time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    __import__(target)
    import_ns = time.perf_counter_ns() - start

    def main_cached_json():
        import json

    loops = 5_000 if setup == "import-guard" else 200_000  # import-guard's cached import costs ~30-80 us
    def best(func, number=loops):
        return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e9
    code = compile("pass", "<bench>", "exec")
    namespace = {}
    print(json.dumps({
        "setup_ns": setup_ns, "import_ns": import_ns, "count": len(sys.modules[target].MODULES),
        "cached_ns": best(bench_calls.cached_json),
        "guarded_cached_ns": best(benchpkg.services.calls.cached_json),
        "main_cached_ns": best(main_cached_json),
        "exec_ns": best(lambda: exec(code, namespace), 200_000),
    }))
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


PAIRED = textwrap.dedent(
    """\
    # One interpreter, the guard installed and armed; each round times the same statements with
    # CPython's own __import__ and with the guard's wrapper, back to back (and exec() with the
    # audit hook consulted or inert), so machine noise hits both sides of each pair alike.
    import json, statistics, sys, timeit, builtins
    workdir, rounds = sys.argv[1], int(sys.argv[2])
    sys.path.insert(0, workdir)
    import runtime_guard
    from runtime_guard import hook
    import benchpkg.services.calls, bench_calls
    runtime_guard.install(policy=workdir + "/policy.toml", inherit=False)
    import benchpkg.banned  # armed: a banned module is loaded
    wrapper = builtins.__import__
    original = wrapper.__costguard_wrapper__

    def main_cached_json():
        import json

    code = compile("pass", "<bench>", "exec")
    namespace = {}
    cases = {"ordinary module": bench_calls.cached_json, "guarded module": benchpkg.services.calls.cached_json,
             "__main__": main_cached_json}
    added = {name: [] for name in cases}
    added["exec (audit hook)"] = []
    base = {name: [] for name in added}
    loops = 100_000
    for _ in range(rounds):
        for name, func in cases.items():
            builtins.__import__ = original
            plain = min(timeit.repeat(func, number=loops, repeat=3)) / loops * 1e9
            builtins.__import__ = wrapper
            guarded = min(timeit.repeat(func, number=loops, repeat=3)) / loops * 1e9
            added[name].append(guarded - plain)
            base[name].append(plain)
        if not hasattr(hook, "_state"):  # a revision without the audit hook
            continue
        checker = hook._state.checker
        hook._state.checker = None  # the audit hook inert (as after the last uninstall)
        inert = min(timeit.repeat(lambda: exec(code, namespace), number=loops, repeat=3)) / loops * 1e9
        hook._state.checker = checker
        active = min(timeit.repeat(lambda: exec(code, namespace), number=loops, repeat=3)) / loops * 1e9
        added["exec (audit hook)"].append(active - inert)
        base["exec (audit hook)"].append(inert)
    print(json.dumps({name: [statistics.median(base[name]), statistics.median(values)] for name, values in added.items() if values}))
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


# (label, guard set-up, module whose import statements form the import set)
CONFIGS = [
    ("no hook", "none", "bench_imports"),
    ("no hook, guarded importer", "none", "benchpkg.services.bench_imports"),
    ("runtime_guard", "install", "bench_imports"),
    ("runtime_guard armed", "armed", "bench_imports"),
    ("runtime_guard armed, guarded importer", "armed", "benchpkg.services.bench_imports"),
    ("runtime_guard uninstalled (audit hook inert)", "inert", "bench_imports"),
    ("import-guard", "import-guard", "bench_imports"),
]
COMPARED = ("install", "armed")  # the guard configurations repeated with --compare-with's copy


def baseline_of(label: str, target: str) -> str:
    return "no hook, guarded importer" if target.startswith("benchpkg.") else "no hook"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--modules", type=int, default=320)
    parser.add_argument("--paired-rounds", type=int, default=21, help="rounds of the in-process paired timing")
    parser.add_argument("--paired-only", action="store_true", help="only the in-process paired timing")
    parser.add_argument(
        "--compare-with", metavar="DIR", default=None,
        help="a folder holding another revision's runtime_guard package (e.g. `git archive main runtime_guard`): "
        "its guard rows are measured in the same rounds",
    )
    args = parser.parse_args()
    modules = stdlib_modules(args.modules)
    configs = [(label, setup, target, None) for label, setup, target in CONFIGS]
    if args.compare_with:
        tag = os.path.basename(os.path.abspath(args.compare_with))
        configs += [
            (f"{label} [{tag}]", setup, target, os.path.abspath(args.compare_with))
            for label, setup, target in CONFIGS if setup in COMPARED
        ]
    samples: dict[str, list[dict[str, float]]] = {c[0]: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="costguard-bench-") as workdir:
        Path(workdir, "policy.toml").write_text(POLICY, encoding="utf-8")
        body = "".join(f"import {name}\n" for name in modules)
        body += f"MODULES = {modules!r}\n"
        Path(workdir, "bench_imports.py").write_text(body, encoding="utf-8")
        calls = "def cached_json():\n    import json\n"
        Path(workdir, "bench_calls.py").write_text(calls, encoding="utf-8")
        Path(workdir, "benchpkg", "services").mkdir(parents=True)
        Path(workdir, "benchpkg", "__init__.py").write_text("", encoding="utf-8")
        Path(workdir, "benchpkg", "services", "__init__.py").write_text("", encoding="utf-8")
        Path(workdir, "benchpkg", "services", "bench_imports.py").write_text(body, encoding="utf-8")
        Path(workdir, "benchpkg", "services", "calls.py").write_text(calls, encoding="utf-8")
        Path(workdir, "benchpkg", "banned.py").write_text("VALUE = 1\n", encoding="utf-8")
        for run in range(0 if args.paired_only else args.runs):
            for label, setup, target, path in configs[run % len(configs) :] + configs[: run % len(configs)]:  # rotate
                env = clean_env()
                if path:
                    env["PYTHONPATH"] = path
                done = subprocess.run(
                    [sys.executable, "-B", "-c", CHILD, setup, target, workdir],
                    capture_output=True, text=True, env=env, check=False, cwd=workdir,  # not the cwd: its runtime_guard would shadow DIR
                )
                if done.returncode != 0:
                    print(f"{label}: child failed:\n{done.stderr}", file=sys.stderr)
                    return 1
                samples[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
        paired = {}
        for tag, path in [("", None)] + ([(f" [{os.path.basename(os.path.abspath(args.compare_with))}]", os.path.abspath(args.compare_with))] if args.compare_with else []):
            env = clean_env()
            if path:
                env["PYTHONPATH"] = path
            done = subprocess.run(
                [sys.executable, "-B", "-c", PAIRED, workdir, str(args.paired_rounds)],
                capture_output=True, text=True, env=env, check=False, cwd=workdir,
            )
            if done.returncode != 0:
                print(f"paired{tag}: child failed:\n{done.stderr}", file=sys.stderr)
                return 1
            paired[tag] = json.loads(done.stdout.strip().splitlines()[-1])

    def median(label: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[label])

    if args.paired_only:
        configs = []
    else:
        count = int(samples["no hook"][0]["count"])
    if configs:
        print(f"Python {sys.version.split()[0]}, {count} standard-library modules, median of {args.runs} fresh interpreters each")
    print("import set: first loads of every module, imported by an ordinary module (or a guarded one);")
    print("cached: ns per cached `import json` in a function of an ordinary module, a guarded module and __main__")
    print("(added = against the no-hook runs); exec: ns per exec() of a tiny code object (one audit event)")
    header = f"{'configuration':<52} {'import set (ms)':>15} {'vs no hook':>10} {'setup (ms)':>10} " \
             f"{'cached':>7} {'added':>6} {'guarded':>8} {'added':>6} {'__main__':>8} {'added':>6} {'exec':>6} {'added':>6}"
    print(header)
    for label, _setup, target, _path in configs:
        base = baseline_of(label, target)
        import_ns = median(label, "import_ns")
        ratio = (import_ns / median(base, "import_ns") - 1) * 100
        cells = []
        for key in ("cached_ns", "guarded_cached_ns", "main_cached_ns", "exec_ns"):
            value = median(label, key)
            cells += [f"{value:>{8 if key != 'cached_ns' else 7}.0f}", f"{value - median('no hook', key):>+6.0f}"]
        print(
            f"{label:<52} {import_ns / 1e6:>15.1f} {ratio:>+9.1f}% {median(label, 'setup_ns') / 1e6:>10.1f} "
            + " ".join(cells)
        )
    print()
    print(f"paired in one interpreter, guard installed and armed, median of {args.paired_rounds} rounds "
          "(without the guard -> added by it, ns per cached `import json` / per exec())")
    for tag, figures in paired.items():
        for name, (plain, extra) in figures.items():
            print(f"  {name + tag:<40} {plain:>7.0f} ns  {extra:>+6.0f} ns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
