"""The import hook: one set of process-wide hooks, shared by every ``install()`` handle.

The hooks (installed by the first handle, removed by the last one):

* thin wrappers of ``builtins.__import__`` and ``importlib.__import__`` (every import statement,
  first load or cache hit; the fast path is one dictionary look-up on the importer's name), of
  ``importlib.import_module`` and of ``runpy.run_module``;
* a ``sys.meta_path`` finder that finds nothing and checks first loads made by other means
  (``importlib.util.find_spec``, ``reload``);
* an audit hook (``sys.addaudithook``) on ``exec`` events: the code object's ``co_filename``
  names the file being executed, so a banned module's file executed by path
  (``spec_from_file_location``, ``runpy.run_path``, ``pkgutil`` loaders, ``exec_module`` of a
  cached spec, a zip, a loader of another import hook) is refused too. An audit hook cannot be
  removed: after the last uninstall it stays, inert (one comparison per audit event).

Why the decision holds whatever comes after (issue 10, items 2 and 3): the statement wrappers
are armed from ``install()`` on (not when the finder first sees a banned load), so they decide
before CPython's import runs; no finder inserted ahead of ours, no meta-path reordering and no
thread waiting on a module lock can take an import statement past them, and any execution of a
banned file, by whichever loader, raises the ``exec`` audit event.

Ownership (item 5): each ``install()`` returns its own :class:`Guard` handle. The handles form a
stack: the newest installed one is *active* (its policy and mode decide), and an ``install()``
with an explicit ``mode`` or ``policy`` is an override for as long as its handle lives.
Uninstalling a handle removes only that handle; the hooks go when the last handle goes.
"""

from __future__ import annotations

import builtins
import importlib
import os
import runpy
import sys
import threading
from types import CodeType, FrameType, ModuleType, TracebackType
from typing import Any, Callable, Mapping, Sequence

from runtime_guard.checker import Checker
from runtime_guard.config import ENV_CONFIG, ENV_MODE, PolicySource, resolve_mode, resolve_policy
from runtime_guard.errors import ForbiddenImportError
from runtime_guard.frames import importer_frame, is_machinery_frame, module_name
from runtime_guard.policy import Policy, PolicyError, is_within, module_name_for_path

__all__ = ["Guard", "install", "uninstall", "override", "active_checker", "active_guard", "GuardFinder"]

__tracebackhide__ = True  # pytest hides every frame of this module

_lock = threading.RLock()
_stack: list["Guard"] = []  # installed handles, oldest first; the last one is active


class _State:
    """What the hooks read at each call: the active checker (None: no guard, the hooks are inert)."""

    __slots__ = ("checker",)

    def __init__(self) -> None:
        self.checker: Checker | None = None


_state = _State()
# importer name -> the bans guarding it, for the active checker (cleared whenever it changes).
_decisions: dict[str, Any] = {}
# First components of the active checker's banned modules (updated in place).
_roots: set[str] = set()
# absolute import name -> whether it may reach a banned module (its first component is a root);
# a cache, so a guarded module's cached import pays one dict look-up, not a split.
_reaches: dict[str, bool] = {}
# co_filename -> the banned module that file is, or None (cleared whenever the checker changes).
_file_modules: dict[str, str | None] = {}
# Stored for "__main__": its bans depend on its file, not its name (looked up on the slow path).
_BY_FILE: tuple[Any, ...] = ("<decided by the __main__ file>",)
_hooks_on = False
_audit_added = False
_patches: list[tuple[Any, str, Any, Any]] = []
_finder: "GuardFinder | None" = None
_base_env: dict[str, str | None] | None = None


def active_checker() -> Checker | None:
    """The checker of the active handle, or None when no guard is installed."""
    return _state.checker


def active_guard() -> "Guard | None":
    """The active handle (the newest installed one), or None."""
    stack = _stack
    return stack[-1] if stack else None


# ---------------------------------------------------------------------------------------------
# Decisions and targets
# ---------------------------------------------------------------------------------------------


def _resolve_relative(name: str, package: str | None, level: int) -> str | None:
    if not level:
        return name
    if not package:
        return None
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    base = bits[0]
    return f"{base}.{name}" if name else base


def _package_of(namespace: Mapping[str, Any]) -> str | None:
    package = namespace.get("__package__")
    if package is not None:
        return package  # type: ignore[no-any-return]
    spec = namespace.get("__spec__")
    if spec is not None:
        return spec.parent  # type: ignore[no-any-return]
    name = namespace.get("__name__")
    if name is None:
        return None
    return name if "__path__" in namespace else name.rpartition(".")[0]


def statement_targets(name: str, namespace: Mapping[str, Any], fromlist: Sequence[str] | None, level: int) -> list[str]:
    """The modules an import statement may load: the named one and each ``from`` name under it
    (for ``*``, each name in the package's ``__all__``)."""
    base = _resolve_relative(name, _package_of(namespace), level) if level else name
    if not base:
        return []
    targets = [base]
    if fromlist:
        for item in fromlist:
            if item == "*":  # the submodules the package's __all__ names are imported too
                names = getattr(sys.modules.get(base), "__all__", None)
                if isinstance(names, (list, tuple)):
                    targets.extend(f"{base}.{entry}" for entry in names if isinstance(entry, str))
            elif isinstance(item, str):
                targets.append(f"{base}.{item}")
    return targets


def _decide(namespace: Mapping[str, Any] | None) -> Any:
    """The bans guarding code with globals ``namespace`` under the active checker (cached by name)."""
    checker = _state.checker
    if checker is None or namespace is None:
        return ()
    name = namespace.get("__name__")
    if not isinstance(name, str):
        return checker.decide(namespace)
    if name == "__main__" or name.startswith("<"):
        with _lock:
            if _state.checker is checker:
                _decisions[name] = _BY_FILE
        return checker.decide(namespace)
    bans = checker.bans_guarding(name)
    with _lock:
        if _state.checker is checker:  # not a decision of a checker switched away meanwhile
            _decisions[name] = bans
    return bans


def _statement_error(
    bans: Any, name: str, namespace: Mapping[str, Any], fromlist: Sequence[str] | None, level: int, frame: FrameType
) -> ForbiddenImportError | None:
    checker = _state.checker
    if checker is None:
        return None
    if bans is _BY_FILE:
        bans = checker.decide(namespace)
        if not bans:
            return None
    return checker.check(bans, module_name(namespace), statement_targets(name, namespace, fromlist, level), frame)


def _may_reach(name: str) -> bool:
    reaches = name.partition(".")[0] in _roots
    _reaches[name] = reaches
    return reaches


def _make_import_wrapper(original: Callable[..., ModuleType]) -> Callable[..., ModuleType]:
    decisions = _decisions
    reaches = _reaches
    getframe = sys._getframe

    def __import__(  # noqa: A001 - the name the traceback shows
        name: str,
        globals: Mapping[str, Any] | None = None,  # noqa: A002
        locals: Mapping[str, Any] | None = None,  # noqa: A002
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        try:
            bans = decisions[globals["__name__"]]  # type: ignore[index]
        except (KeyError, TypeError):
            if not isinstance(globals, dict):  # None (or not a dict): the calling module is the importer
                caller = getframe(1).f_globals
                bans = _decide(caller)
                if bans and (level or _may_reach(name)):
                    error = _statement_error(bans, name, caller, fromlist, level, getframe(1))
                    if error is not None:
                        raise error
                return original(name, globals, locals, fromlist, level)  # CPython's own answer for these globals
            bans = _decide(globals)
        if bans:
            if not level:
                try:
                    reach = reaches[name]
                except KeyError:
                    reach = _may_reach(name)
                if not reach:  # an absolute name outside every banned module's top package
                    return original(name, globals, locals, fromlist, level)
            error = _statement_error(bans, name, globals, fromlist, level, getframe(1))  # type: ignore[arg-type]
            if error is not None:
                raise error
        return original(name, globals, locals, fromlist, level)

    __import__.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return __import__


def _check_by_name(target: str | None, frame: FrameType | None) -> None:
    checker = _state.checker
    if checker is None or target is None or not checker.is_banned(target):
        return
    found = importer_frame(frame)
    if found is not None:
        error = checker.check(checker.decide(found.f_globals), module_name(found.f_globals), (target,), found)
        if error is not None:
            raise error


def _make_import_module_wrapper(original: Callable[..., ModuleType]) -> Callable[..., ModuleType]:
    def import_module(name: str, package: str | None = None) -> ModuleType:
        if _state.checker is not None:
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                target = _resolve_relative(name[level:], package, level)
            else:
                target = name
            _check_by_name(target, sys._getframe(1))
        return original(name, package)

    import_module.__doc__ = original.__doc__
    import_module.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return import_module


def _make_run_module_wrapper(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def run_module(mod_name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        _check_by_name(mod_name, sys._getframe(1))
        return original(mod_name, *args, **kwargs)

    run_module.__doc__ = original.__doc__
    run_module.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return run_module


class GuardFinder:
    """A ``sys.meta_path`` finder that finds nothing: it checks first loads of banned modules
    made without an import statement or ``import_module`` (``find_spec``, ``reload``)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        _check_by_name(fullname, sys._getframe(1))
        return None

    def invalidate_caches(self) -> None:
        return None

    def __repr__(self) -> str:
        checker = _state.checker
        return f"<costguard GuardFinder mode={checker.mode if checker else 'inert'}>"


# ---------------------------------------------------------------------------------------------
# By-path execution: the exec audit event
# ---------------------------------------------------------------------------------------------

# Methods of loaders (ours, importlib's, other import hooks') that run a module's code for the
# code that asked for it: their frames are skipped when looking for who executes a file.
_LOADER_METHODS = frozenset({"exec_module", "load_module", "_load_module_shim", "_exec", "_load", "create_module"})


def _archive_module(filename: str) -> str | None:
    """The dotted name of a file inside an archive on ``sys.path`` (a zip): its path in the archive."""
    head = filename
    while True:
        parent = os.path.dirname(head)
        if parent == head:
            return None
        head = parent
        if os.path.isfile(head):
            inner = os.path.relpath(filename, head).replace(os.sep, "/")
            break
        if os.path.isdir(head):
            return None
    stem = inner[:-3] if inner.endswith(".py") else inner.rpartition(".")[0] or inner
    parts = [part for part in stem.split("/") if part]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _banned_module_of_file(filename: str, checker: Checker) -> str | None:
    if not any(leaf in filename for leaf in checker.leaves):  # every banned file's path spells a leaf
        return None
    candidates: list[str] = []
    try:
        candidates.append(module_name_for_path(filename))
    except (OSError, ValueError):
        pass
    if not os.path.exists(filename):
        inner = _archive_module(filename)
        if inner:
            candidates.append(inner)
    for candidate in candidates:
        if checker.is_banned(candidate):
            return candidate
    return None


def _executor_frame(frame: FrameType | None, banned: str) -> FrameType | None:
    """The first frame outside the import machinery, loaders, the guard and the banned module."""
    while frame is not None:
        if not (is_machinery_frame(frame) or frame.f_code.co_name in _LOADER_METHODS):
            real = module_name(frame.f_globals)
            if real is None or not is_within(real, banned):
                return frame
        frame = frame.f_back
    return None


def _exec_error(code: CodeType) -> ForbiddenImportError | None:
    checker = _state.checker
    if checker is None or checker.mode == "off" or not isinstance(code, CodeType) or code.co_name != "<module>":
        return None
    filename = code.co_filename
    try:
        module = _file_modules[filename]
    except KeyError:
        module = _file_modules[filename] = _banned_module_of_file(filename, checker)
    if module is None:
        return None
    banned = checker.banned_root(module) or module
    # Only now: sys._getframe raises an audit event of its own (every audit hook pays for it).
    found = _executor_frame(sys._getframe(2), banned)  # 0: here, 1: _audit, 2: the caller of exec
    if found is None:
        return None
    importer = module_name(found.f_globals)
    if importer is None:
        return None
    bans = checker.decide(found.f_globals)
    if not bans:
        return None
    return checker.check(bans, importer, (module,), found)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Added once and never removable: with no guard installed this is one comparison per event;
    # with one, an exec of a file known not to be banned is one more dict look-up.
    if event == "exec" and _state.checker is not None:
        try:
            if _file_modules.get(args[0].co_filename, _UNKNOWN) is None:
                return
            error = _exec_error(args[0])
        except Exception:  # no code object, or anything unexpected:
            return  # an audit hook must never break the program it watches
        if error is not None:
            raise error


_UNKNOWN = object()


# ---------------------------------------------------------------------------------------------
# Hooks and handles
# ---------------------------------------------------------------------------------------------


def _without_guard_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback ``tb`` with the guard's own frames left out."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_GUARD_DIR):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt: TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """An uncaught refusal is printed without the guard's frames: the user's imports, then the message."""
    hook = _previous_excepthook or sys.__excepthook__
    if isinstance(value, ForbiddenImportError):
        tb = _without_guard_frames(tb)
        value.__traceback__ = tb
    hook(kind, value, tb)


_GUARD_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_previous_excepthook: Any = None


def _patch(owner: Any, attribute: str, wrapper: Any) -> None:
    original = getattr(owner, attribute)
    setattr(owner, attribute, wrapper)
    _patches.append((owner, attribute, original, wrapper))


def _add_hooks() -> None:
    global _hooks_on, _audit_added, _finder
    _patch(builtins, "__import__", _make_import_wrapper(builtins.__import__))
    _patch(importlib, "__import__", _make_import_wrapper(importlib.__import__))
    _patch(importlib, "import_module", _make_import_module_wrapper(importlib.import_module))
    _patch(runpy, "run_module", _make_run_module_wrapper(runpy.run_module))
    global _previous_excepthook
    _previous_excepthook = sys.excepthook
    _patch(sys, "excepthook", _excepthook)
    _finder = GuardFinder()
    sys.meta_path.insert(0, _finder)
    if not _audit_added:
        sys.addaudithook(_audit)
        _audit_added = True
    _hooks_on = True


def _remove_hooks() -> None:
    global _hooks_on, _finder
    for owner, attribute, original, wrapper in reversed(_patches):
        if getattr(owner, attribute) is wrapper:
            setattr(owner, attribute, original)
    # A wrapper something else has wrapped since stays in place: with no checker it passes through.
    _patches.clear()
    if _finder is not None and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    _hooks_on = False


def _switch(checker: Checker | None) -> None:
    """Make ``checker`` the one every hook consults (under ``_lock``)."""
    if _state.checker is checker:
        return
    _state.checker = None  # decisions of the old checker are not stored from here on
    _decisions.clear()
    _file_modules.clear()
    _roots.clear()
    _reaches.clear()
    if checker is not None and checker.mode != "off":
        _roots.update(checker.roots)
        if checker.transitive:  # a transitive ban may be reached through any import
            _roots.update(checker.transitive_roots)
    _state.checker = checker


def _sync_env() -> None:
    """``COSTGUARD_RUNTIME``/``COSTGUARD_CONFIG`` follow the newest handle that asked to be inherited."""
    global _base_env
    heir = next((guard for guard in reversed(_stack) if guard.inherit), None)
    if heir is None:
        if _base_env is not None:
            for key, value in _base_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            _base_env = None
        return
    if _base_env is None:
        _base_env = {key: os.environ.get(key) for key in (ENV_MODE, ENV_CONFIG)}
    os.environ[ENV_MODE] = heir.checker.mode
    source = heir.checker.policy.source
    if source is not None:
        os.environ[ENV_CONFIG] = str(source)
    else:
        os.environ.pop(ENV_CONFIG, None)


def _refresh() -> None:
    if not _stack:
        _switch(None)
        if _hooks_on:
            _remove_hooks()
    else:
        if not _hooks_on:
            _add_hooks()
        _switch(_stack[-1].checker)
    _sync_env()
    from runtime_guard.operations import follow_guard  # [[tool.costguard.operation]] bans

    follow_guard()


class Guard:
    """One ``install()``'s handle; a context manager that uninstalls it on exit.

    ``uninstall()`` removes this handle only: the hooks stay while another handle is installed,
    and the active policy and mode become the previous handle's.
    """

    def __init__(self, checker: Checker, inherit: bool) -> None:
        self.checker = checker
        self.inherit = inherit
        self.installed = False

    @property
    def policy(self) -> Policy:
        return self.checker.policy

    @property
    def mode(self) -> str:
        return self.checker.mode

    @property
    def active(self) -> bool:
        """True when this handle's policy and mode are the ones deciding now."""
        return self.installed and active_guard() is self

    def uninstall(self) -> None:
        """Remove this handle (idempotent); the last handle's uninstall removes every hook."""
        with _lock:
            if not self.installed:
                return
            _stack.remove(self)
            self.installed = False
            _refresh()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        state = "active" if self.active else ("installed" if self.installed else "uninstalled")
        return f"<costguard Guard {state} mode={self.mode} policy={self.policy.source}>"


def install(
    policy: PolicySource = None,
    mode: str | None = None,
    *,
    inherit: bool = True,
    program: str | None = None,
) -> Guard:
    """Turn the guard on for this process (and, unless ``inherit=False``, for its children).

    ``policy`` is a :class:`Policy`, a path to a TOML file, or None. With None and a guard
    already installed, the new handle shares that guard's policy; with no guard, the policy is
    found as :func:`runtime_guard.config.resolve_policy` says (``COSTGUARD_CONFIG``, the working
    directory, the program's location, installed distributions). ``mode`` overrides
    ``COSTGUARD_RUNTIME``, which overrides ``[tool.costguard.runtime] mode``.

    Every call returns a new handle. A handle with an explicit ``mode`` or ``policy`` is an
    override: it decides while it is installed, and its ``uninstall()`` gives the decision back
    to the handle below it. Raises :class:`PolicyError` for a bad policy or when none is found.
    """
    with _lock:
        below = active_guard()
        if policy is None and below is not None:
            if mode is None or mode == below.mode:
                checker = below.checker  # join the running guard: same policy, same mode
            else:
                checker = Checker(below.policy, resolve_mode(mode, below.policy))
        else:
            found = resolve_policy(policy, program=program)
            if found is None:
                raise PolicyError(
                    os.path.join(os.getcwd(), "pyproject.toml"),
                    "tool.costguard",
                    f"no [tool.costguard] policy found from {os.getcwd()} upward, from the program's location or "
                    f"in an installed distribution (set {ENV_CONFIG} or pass policy=)",
                )
            checker = Checker(found, resolve_mode(mode, found))
        guard = Guard(checker, inherit)
        guard.installed = True
        _stack.append(guard)
        _refresh()
        return guard


def override(mode: str, *, inherit: bool = False) -> Guard:
    """A handle that runs the installed guard's policy in ``mode`` until it is uninstalled
    (the way to change a running guard's mode without touching anyone else's handle)."""
    with _lock:
        if active_guard() is None:
            raise PolicyError("<runtime>", "override", "no runtime guard is installed to override")
        return install(mode=mode, inherit=inherit)


def uninstall() -> None:
    """Remove every handle and hook (for a program's own shutdown; handles prefer ``guard.uninstall()``)."""
    with _lock:
        for guard in list(_stack):
            guard.installed = False
        _stack.clear()
        _refresh()
