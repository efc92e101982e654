"""Scenario driver run in a fresh interpreter by the runtime guard's tests (not a test module).

``python guard_scenarios.py SETUP NAME...`` with the project root as the working directory (or
``ACME_ROOT``). SETUP: ``hook`` (``runtime_guard.install()``), ``protect`` (no hook: only the
guard inside the banned module), ``none`` (whatever start-up did). Prints one JSON line per
scenario: ``{"name", "outcome": "forbidden"|"ok"|"error", ...}``. Each scenario starts with no
``acme`` module loaded, so a first load is really a first load.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import threading
import warnings
from typing import Any, Callable

ROOT = os.environ.get("ACME_ROOT") or os.getcwd()
sys.path.insert(0, ROOT)

from runtime_guard import ForbiddenImportError  # noqa: E402

SCENARIOS: dict[str, Callable[[], Any]] = {}


def forget() -> None:
    for name in [n for n in sys.modules if n == "acme" or n.startswith("acme.") or n == "loose_raw"]:
        del sys.modules[name]


def scenario(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(func: Callable[[], Any]) -> Callable[[], Any]:
        SCENARIOS[name] = func
        return func

    return register


def importing(module: str, preload: tuple[str, ...] = ()) -> Callable[[], Any]:
    def run() -> Any:
        for name in preload:
            __import__(name)
        __import__(module)
        return None

    return run


FORMS = [
    "import", "import_as", "from_pkg", "from_mod", "star", "submodule", "in_function", "import_module",
    "import_module_relative", "dunder_import", "dunder_import_fromlist", "importlib_dunder_import",
    "importlib_dunder_import_fromlist", "resolve_name", "run_module", "lazy_loader",
]
for form in FORMS:
    SCENARIOS[f"first:{form}"] = importing(f"acme.jobs.form_{form}")
    SCENARIOS[f"cached:{form}"] = importing(f"acme.jobs.form_{form}", ("acme.scripts.load",))
SCENARIOS["cached:reload"] = importing("acme.jobs.form_reload", ("acme.scripts.load",))
SCENARIOS["first:relative_pkg"] = importing("acme.svc.store.rel_pkg")
SCENARIOS["first:relative_mod"] = importing("acme.svc.store.rel_mod")
SCENARIOS["cached:relative_pkg"] = importing("acme.svc.store.rel_pkg", ("acme.scripts.load",))
SCENARIOS["cached:relative_mod"] = importing("acme.svc.store.rel_mod", ("acme.scripts.load",))
for form in ["spec_from_file_location", "run_path", "run_path_main", "run_module_main"]:
    SCENARIOS[f"path:{form}"] = importing(f"acme.jobs.form_{form}")
SCENARIOS["helper_chain"] = importing("acme.jobs.x")
SCENARIOS["allowed_imports_guarded_helper"] = importing("acme.scripts.uses_helper")
SCENARIOS["transitive"] = importing("acme.jobs.through_script_cloud")
SCENARIOS["never:scripts"] = importing("acme.scripts.load")
SCENARIOS["never:clean"] = importing("acme.jobs.clean")
SCENARIOS["never:prefix"] = importing("acme.jobs.prefix")
SCENARIOS["never:through_script"] = importing("acme.jobs.through_script")
SCENARIOS["never:cloud_from_scripts"] = importing("acme.scripts.load_cloud")


@scenario("path:zip")
def from_zip() -> Any:
    import tempfile
    import zipfile

    archive = os.path.join(tempfile.mkdtemp(prefix="dist-", dir=ROOT), "acme.zip")  # built inside the project
    with zipfile.ZipFile(archive, "w") as bundle:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, "acme")):
            for file in files:
                if file.endswith(".py"):
                    full = os.path.join(folder, file)
                    bundle.write(full, os.path.relpath(full, ROOT))
    saved = list(sys.path)
    sys.path[:] = [archive] + [p for p in saved if os.path.abspath(p or ".") != os.path.abspath(ROOT)]
    try:
        import acme.jobs.form_import  # noqa: F401

        return {"file": sys.modules["acme.jobs.form_import"].__file__}
    finally:
        sys.path[:] = saved


@scenario("never:own_calls")
def own_calls() -> Any:
    import acme.scripts.load
    import acme.svc.store.raw.fast

    return [acme.scripts.load.read_twice(), acme.svc.store.raw.fast.read_fast("z")]


@scenario("call_from_guarded")
def call_from_guarded() -> Any:
    import acme.jobs.calls_read

    return acme.jobs.calls_read.use()


@scenario("repeat")
def repeat() -> Any:
    import acme.scripts.load  # noqa: F401
    import acme.jobs.lazy_use

    raised = 0
    for _ in range(3):
        try:
            acme.jobs.lazy_use.use()
        except ForbiddenImportError:
            raised += 1
    return raised


@scenario("thread")
def in_thread() -> Any:
    caught: list[BaseException] = []

    def target() -> None:
        try:
            import acme.jobs.form_import  # noqa: F401
        except BaseException as exc:  # noqa: BLE001
            caught.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if caught:
        raise caught[0]


@scenario("pickle")
def pickled() -> Any:
    try:
        import acme.jobs.form_import  # noqa: F401
    except ForbiddenImportError as exc:
        copy = pickle.loads(pickle.dumps(exc))
        same = all(getattr(copy, a) == getattr(exc, a) for a in ("module", "importer", "chain", "reason", "use_instead"))
        return {"same": same and str(copy) == str(exc) and type(copy) is type(exc)}
    return {"same": None}


def _multiprocessing(method: str) -> Any:
    import multiprocessing

    import acme.scripts.mp_entry

    context = multiprocessing.get_context(method)
    queue = context.Queue()
    process = context.Process(target=acme.scripts.mp_entry.guarded_import, args=(queue,))
    process.start()
    result = queue.get(timeout=60)
    process.join(60)
    if isinstance(result, BaseException):
        raise result
    return result


SCENARIOS["mp_fork"] = lambda: _multiprocessing("fork")
SCENARIOS["mp_spawn"] = lambda: _multiprocessing("spawn")


@scenario("subprocess")
def child() -> Any:
    done = subprocess.run(
        [sys.executable, "-c", "import acme.jobs.form_import"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return {"returncode": done.returncode, "last": last}


@scenario("warn_twice")
def warn_twice() -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import acme.jobs.form_import  # noqa: F401
        forget()
        import acme.jobs.form_import  # noqa: F401,F811  (same importer again)
        import acme.jobs.form_from_pkg  # noqa: F401  (another importer)
        import acme.jobs.lazy_use

        acme.jobs.lazy_use.use()
    return [(w.category.__name__, str(w.message)) for w in caught]


@scenario("log_twice")
def log_twice() -> Any:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("runtime_guard")
    logger.addHandler(Keep())
    import acme.jobs.form_import  # noqa: F401

    forget()
    import acme.jobs.form_import  # noqa: F401,F811
    import acme.jobs.form_from_pkg  # noqa: F401

    return [(r.levelname, r.getMessage()) for r in records]


@scenario("install_idempotent")
def install_idempotent() -> Any:
    import builtins

    import runtime_guard
    from runtime_guard.hook import GuardFinder

    handles: list[Any] = []
    threads = [threading.Thread(target=lambda: handles.append(runtime_guard.install())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrapper = builtins.__import__
    state = {
        "same_handle": len({id(h) for h in handles}) == 1 and len(handles) == 8,
        "finders": sum(isinstance(f, GuardFinder) for f in sys.meta_path),
        "one_layer": not hasattr(getattr(wrapper, "__costguard_wrapper__", None), "__costguard_wrapper__"),
        "env": [os.environ.get("COSTGUARD_RUNTIME"), os.environ.get("COSTGUARD_CONFIG")],
    }
    with handles[0]:
        try:
            import acme.jobs.form_import  # noqa: F401
        except ForbiddenImportError:
            state["raised_inside"] = True
    forget()
    import acme.scripts.load  # noqa: F401
    import acme.jobs.form_import  # noqa: F401,F811  (a cache hit: no hook any more)

    state["after_exit"] = {
        "finders": sum(isinstance(f, GuardFinder) for f in sys.meta_path),
        "import_restored": not hasattr(builtins.__import__, "__costguard_wrapper__"),
        "env": [os.environ.get("COSTGUARD_RUNTIME"), os.environ.get("COSTGUARD_CONFIG")],
    }
    with runtime_guard.install(mode="warn", inherit=False) as again:
        state["reinstalled"] = [again.installed, again.mode, os.environ.get("COSTGUARD_RUNTIME")]
    state["after_second_exit"] = again.installed
    return state


def run(name: str) -> dict[str, Any]:
    forget()
    try:
        try:
            value = SCENARIOS[name]()
        except ImportError as exc:
            # runpy wraps errors raised while it imports a package's parents: unwrap the guard's
            if not isinstance(exc, ForbiddenImportError) and isinstance(exc.__cause__, ForbiddenImportError):
                raise exc.__cause__ from None
            raise
    except ForbiddenImportError as exc:
        return {
            "name": name,
            "outcome": "forbidden",
            "module": exc.module,
            "importer": exc.importer,
            "chain": list(exc.chain),
            "message": str(exc),
        }
    except BaseException as exc:  # noqa: BLE001
        return {"name": name, "outcome": "error", "error": f"{type(exc).__name__}: {exc}"}
    return {"name": name, "outcome": "ok", "value": value}


def main() -> None:
    setup, names = sys.argv[1], sys.argv[2:]
    if setup == "hook":
        import runtime_guard

        runtime_guard.install()
    for name in names:
        print(json.dumps(run(name), default=repr), flush=True)


if __name__ == "__main__":
    main()
