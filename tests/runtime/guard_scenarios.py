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

# The unprotected banned package (acme.svc.bare): by name, first load and cache hit, and by path.
BARE_FORMS = ["bare_import", "bare_from", "bare_import_module", "bare_find_spec"]
for form in BARE_FORMS:
    SCENARIOS[f"bare_first:{form}"] = importing(f"acme.jobs.{form}")
    SCENARIOS[f"bare_cached:{form}"] = importing(f"acme.jobs.{form}", ("acme.scripts.load_bare",))
BARE_BY_PATH = [
    "spec_from_file_location", "submodule_by_path", "run_path", "run_path_main", "run_path_folder",
    "exec_cached_spec", "pkgutil_loader", "exec_compiled_source", "zipimporter",
]
for form in BARE_BY_PATH:
    SCENARIOS[f"bare_path:{form}"] = importing(
        f"acme.jobs.bare_path_{form}", ("acme.scripts.load_bare",) if form == "exec_cached_spec" else ()
    )


def project_zip() -> str:
    """A zip of the project's acme/ folder (built once, inside the project), also in ACME_ZIP."""
    import tempfile
    import zipfile

    if os.environ.get("ACME_ZIP"):
        return os.environ["ACME_ZIP"]
    archive = os.path.join(tempfile.mkdtemp(prefix="dist-", dir=ROOT), "acme.zip")
    with zipfile.ZipFile(archive, "w") as bundle:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, "acme")):
            for file in files:
                if file.endswith(".py"):
                    full = os.path.join(folder, file)
                    bundle.write(full, os.path.relpath(full, ROOT))
    os.environ["ACME_ZIP"] = archive
    return archive


@scenario("bare_path:zipimporter")
def bare_zipimporter() -> Any:
    project_zip()
    return importing("acme.jobs.bare_path_zipimporter")()


@scenario("bare_path:zip_on_sys_path")
def bare_from_zip() -> Any:
    archive = project_zip()
    saved = list(sys.path)
    sys.path[:] = [archive] + [p for p in saved if os.path.abspath(p or ".") != os.path.abspath(ROOT)]
    try:
        import acme.jobs.bare_import  # noqa: F401

        return {"file": sys.modules["acme.jobs.bare_import"].__file__}
    finally:
        sys.path[:] = saved


@scenario("never:bare_by_path_from_scripts")
def bare_by_path_allowed() -> Any:
    import acme.scripts.load_bare

    namespace = acme.scripts.load_bare.run_by_path(os.path.join(ROOT, "acme", "svc", "bare", "__init__.py"))
    return namespace["VALUE"]


RACE_STATEMENTS = [
    "import acme.svc.bare",
    "from acme.svc import bare",
    "import importlib; importlib.import_module('acme.svc.bare')",
    "import acme.svc.store.raw",
    "from acme.svc.store import raw",
]


@scenario("race")
def race() -> Any:
    """Allowed and guarded threads import the banned modules at the same moment, many rounds:
    first loads (nothing preloaded) and cache hits (preloaded), statements and import_module.
    Each thread runs its own import statement as code of its own module (a guarded one,
    ``acme.jobs.thread``, or an allowed one, ``acme.scripts.thread``)."""
    import importlib

    sys.setswitchinterval(1e-6)  # switch threads as often as CPython allows
    rounds = int(os.environ.get("ACME_RACE_ROUNDS", "150"))
    tally = {"guarded_refused": 0, "guarded_passed": 0, "allowed_ok": 0, "allowed_failed": 0, "rounds": rounds}
    problems: list[str] = []
    lock = threading.Lock()
    for number in range(rounds):
        forget()
        if number % 2:
            importlib.import_module("acme.scripts.load_bare")  # cache hits this round
            importlib.import_module("acme.scripts.load")
        workers = [(kind, statement) for statement in RACE_STATEMENTS for kind in ("allowed", "guarded", "guarded")]
        barrier = threading.Barrier(len(workers))

        def work(kind: str, statement: str) -> None:
            namespace = {"__name__": f"acme.{'jobs' if kind == 'guarded' else 'scripts'}.thread", "__package__": "acme"}
            barrier.wait()
            try:
                exec(statement, namespace)
            except ForbiddenImportError:
                outcome = "refused"
            except BaseException as exc:  # noqa: BLE001
                outcome = f"error {type(exc).__name__}: {exc}"
            else:
                outcome = "ok" if "acme" in namespace or "bare" in namespace or "raw" in namespace or "importlib" in namespace else "nothing bound"
            with lock:
                if kind == "guarded":
                    tally["guarded_refused" if outcome == "refused" else "guarded_passed"] += 1
                else:
                    tally["allowed_ok" if outcome == "ok" else "allowed_failed"] += 1
                if (kind == "guarded") != (outcome == "refused") and len(problems) < 5:
                    problems.append(f"round {number}: {kind} {statement!r}: {outcome}")

        threads = [threading.Thread(target=work, args=worker) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    tally["problems"] = problems
    return tally


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


def _attempt(module: str) -> str:
    """Import ``module`` afresh: "refused", "ok", or the error."""
    for name in [n for n in sys.modules if n == module]:
        del sys.modules[name]
    try:
        __import__(module)
    except ForbiddenImportError:
        return "refused"
    except BaseException as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@scenario("ownership")
def ownership() -> Any:
    """Handles: each install() its own; only the last uninstall removes the hooks; overrides."""
    import builtins

    import runtime_guard
    from runtime_guard.hook import GuardFinder, active_guard, override

    original = builtins.__import__
    original_excepthook = sys.excepthook
    state: dict[str, Any] = {}
    handles: list[Any] = []
    threads = [threading.Thread(target=lambda: handles.append(runtime_guard.install())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrapper = builtins.__import__
    state["handles"] = len({id(h) for h in handles})
    state["finders"] = sum(isinstance(f, GuardFinder) for f in sys.meta_path)
    state["armed_at_install"] = wrapper is not original and hasattr(wrapper, "__costguard_wrapper__")
    state["one_layer"] = not hasattr(getattr(wrapper, "__costguard_wrapper__", None), "__costguard_wrapper__")
    state["env"] = [os.environ.get("COSTGUARD_RUNTIME"), os.environ.get("COSTGUARD_CONFIG")]
    import acme.scripts.load  # noqa: F401  (the banned module is loaded: imports below are cache hits)
    import acme.jobs.calls_read

    def call() -> str:
        try:
            acme.jobs.calls_read.use()
        except ForbiddenImportError:
            return "refused"
        return "ok"

    state["before"] = [_attempt("acme.jobs.form_import"), call()]
    first = handles[0]
    for handle in handles[1:]:  # every handle that did not create the hooks
        handle.uninstall()
    state["others_gone"] = [_attempt("acme.jobs.form_import"), call(), first.installed, active_guard() is first]
    with runtime_guard.install(mode="off", inherit=False) as off:  # an override, not an uninstall
        state["override_off"] = [_attempt("acme.jobs.form_import"), call(), off.active, os.environ.get("COSTGUARD_RUNTIME")]
    state["after_override"] = [_attempt("acme.jobs.form_import"), call(), active_guard() is first]
    with override("warn"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            state["override_warn"] = [_attempt("acme.jobs.form_import"), len(caught)]
    late = runtime_guard.install()  # joins after the creator ...
    first.uninstall()  # ... so the creator's uninstall leaves the hooks on
    state["creator_gone"] = [_attempt("acme.jobs.form_import"), builtins.__import__ is wrapper]
    late.uninstall()  # the last owner: everything restored
    state["all_gone"] = {
        "import_restored": builtins.__import__ is original,
        "excepthook_restored": sys.excepthook is original_excepthook,
        "finders": sum(isinstance(f, GuardFinder) for f in sys.meta_path),
        "env": [os.environ.get("COSTGUARD_RUNTIME"), os.environ.get("COSTGUARD_CONFIG")],
        "cached_import": _attempt("acme.jobs.form_import"),  # no hook: a cache hit passes
        "by_path_inert": _attempt("acme.jobs.bare_path_run_path"),  # the audit hook stays, inert
        # protect() with no guard installed: the module's own policy, checked at each call
        "call": call(),
    }
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
    base, _, extra = setup.partition("+")
    if base == "hook":
        import runtime_guard

        runtime_guard.install()
    if extra == "typeguard":  # another import hook ahead of the guard's finder, instrumenting acme
        from typeguard import install_import_hook

        install_import_hook(["acme"])
    elif extra == "reorder":  # the guard's finder moved behind every other finder
        from runtime_guard.hook import GuardFinder

        mine = [finder for finder in sys.meta_path if isinstance(finder, GuardFinder)]
        assert mine, "no guard finder to move"
        for finder in mine:
            sys.meta_path.remove(finder)
            sys.meta_path.append(finder)
    for name in names:
        print(json.dumps(run(name), default=repr), flush=True)


if __name__ == "__main__":
    main()
