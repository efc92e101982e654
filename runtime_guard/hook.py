"""The import hook: a ``sys.meta_path`` finder for first loads plus thin wrappers of
``builtins.__import__``, ``importlib.__import__``, ``importlib.import_module`` and
``runpy.run_module`` for everything served from ``sys.modules``.

The fast path of ``builtins.__import__`` is one dictionary look-up on the importer's module
name; only imports made by guarded modules resolve their target.

The two ``__import__`` wrappers exist only for cache hits, and a cache hit of a banned module
needs the banned module in ``sys.modules``. So they are armed lazily: at ``install()`` when a
banned module is already loaded, else the first time the finder sees a banned module being
loaded (by anyone, allowed importers included) or a protected module executes. A program that
never loads a banned module keeps CPython's own ``__import__`` and pays nothing per statement.
"""

from __future__ import annotations

import builtins
import importlib
import os
import runpy
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

from runtime_guard.checker import TRANSITIVE_ONLY, Checker
from runtime_guard.config import ENV_CONFIG, ENV_MODE, PolicySource, resolve_mode, resolve_policy
from runtime_guard.frames import importer_frame, module_name
from runtime_guard.policy import Policy, PolicyError

__all__ = ["Guard", "install", "uninstall", "active_checker", "active_guard", "GuardFinder"]

_lock = threading.RLock()
_active: "Guard | None" = None


def active_checker() -> Checker | None:
    guard = _active
    return guard.checker if guard is not None and guard.installed else None


def active_guard() -> "Guard | None":
    return _active


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


class GuardFinder:
    """A ``sys.meta_path`` finder that finds nothing: it only checks first loads of banned modules."""

    def __init__(self, checker: Checker, on_banned_load: Callable[[], None] | None = None) -> None:
        self.checker = checker
        self.on_banned_load = on_banned_load

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        checker = self.checker
        if checker.is_banned(fullname):
            if self.on_banned_load is not None:
                self.on_banned_load()  # a banned module is arriving: cache hits become possible
            frame = importer_frame(sys._getframe(1))
            if frame is not None:
                importer = module_name(frame.f_globals)
                checker.check(checker.decide(frame.f_globals), importer, (fullname,), frame)
        return None

    def invalidate_caches(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<costguard GuardFinder mode={self.checker.mode}>"


def _make_import_wrapper(checker: Checker, original: Callable[..., ModuleType]) -> Callable[..., ModuleType]:
    decisions = checker.decisions
    decide = checker.decide
    getframe = sys._getframe
    transitive_roots = checker.transitive_roots

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
                bans = decide(caller)
                if bans:
                    targets = statement_targets(name, caller, fromlist, level)
                    checker.check(bans, module_name(caller), targets, getframe(1))
                return original(name, globals, locals, fromlist, level)  # CPython's own answer for these globals
            bans = decide(globals)
        if bans:
            if bans is TRANSITIVE_ONLY and not level and name.partition(".")[0] not in transitive_roots:
                return original(name, globals, locals, fromlist, level)
            frame = getframe(1)
            checker.check(bans, module_name(globals), statement_targets(name, globals, fromlist, level), frame)  # type: ignore[arg-type]
        return original(name, globals, locals, fromlist, level)

    __import__.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return __import__


def _make_import_module_wrapper(checker: Checker, original: Callable[..., ModuleType]) -> Callable[..., ModuleType]:
    def import_module(name: str, package: str | None = None) -> ModuleType:
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            target = _resolve_relative(name[level:], package, level)
        else:
            target = name
        if target is not None and checker.is_banned(target):
            frame = importer_frame(sys._getframe(1))
            if frame is not None:
                checker.check(checker.decide(frame.f_globals), module_name(frame.f_globals), (target,), frame)
        return original(name, package)

    import_module.__doc__ = original.__doc__
    import_module.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return import_module


def _make_run_module_wrapper(checker: Checker, original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def run_module(mod_name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if checker.is_banned(mod_name):
            frame = importer_frame(sys._getframe(1))
            if frame is not None:
                checker.check(checker.decide(frame.f_globals), module_name(frame.f_globals), (mod_name,), frame)
        return original(mod_name, *args, **kwargs)

    run_module.__doc__ = original.__doc__
    run_module.__costguard_wrapper__ = original  # type: ignore[attr-defined]
    return run_module


class Guard:
    """The handle ``install()`` returns; a context manager that uninstalls on exit."""

    def __init__(self, checker: Checker, inherit: bool) -> None:
        self.checker = checker
        self.inherit = inherit
        self.installed = False
        self._finder: GuardFinder | None = None
        self._patches: list[tuple[Any, str, Any, Any]] = []
        self._saved_env: dict[str, str | None] = {}
        self.statements_armed = False

    @property
    def policy(self) -> Policy:
        return self.checker.policy

    @property
    def mode(self) -> str:
        return self.checker.mode

    def _patch(self, owner: Any, attribute: str, wrapper: Any) -> None:
        original = getattr(owner, attribute)
        setattr(owner, attribute, wrapper)
        self._patches.append((owner, attribute, original, wrapper))

    def arm_statements(self) -> None:
        """Wrap ``builtins.__import__`` and ``importlib.__import__`` (idempotent, thread-safe).

        Needed only once a banned module can be served from ``sys.modules``.
        """
        if self.statements_armed:
            return
        with _lock:
            if self.statements_armed or not self.installed or self.checker.mode == "off":
                return
            checker = self.checker
            self._patch(builtins, "__import__", _make_import_wrapper(checker, builtins.__import__))
            self._patch(importlib, "__import__", _make_import_wrapper(checker, importlib.__import__))
            self.statements_armed = True

    def _banned_module_loaded(self) -> bool:
        is_banned = self.checker.is_banned
        return any(is_banned(name) for name in list(sys.modules))

    def _activate(self) -> None:
        checker = self.checker
        if checker.mode != "off":
            self._finder = GuardFinder(checker, self.arm_statements)
            sys.meta_path.insert(0, self._finder)
            self._patch(importlib, "import_module", _make_import_module_wrapper(checker, importlib.import_module))
            self._patch(runpy, "run_module", _make_run_module_wrapper(checker, runpy.run_module))
        if self.inherit:
            values = {ENV_MODE: checker.mode}
            if checker.policy.source is not None:
                values[ENV_CONFIG] = str(checker.policy.source)
            for key, value in values.items():
                self._saved_env[key] = os.environ.get(key)
                os.environ[key] = value
        self.installed = True
        if checker.mode != "off" and self._banned_module_loaded():
            self.arm_statements()

    def uninstall(self) -> None:
        """Remove every hook (idempotent). Wrappers something else has wrapped since are disarmed."""
        global _active
        with _lock:
            if not self.installed:
                return
            for owner, attribute, original, wrapper in reversed(self._patches):
                if getattr(owner, attribute) is wrapper:
                    setattr(owner, attribute, original)
            self._patches.clear()
            self.statements_armed = False
            # Anything still holding a wrapper now passes straight through.
            self.checker.mode = "off"
            self.checker.decisions.clear()
            if self._finder is not None and self._finder in sys.meta_path:
                sys.meta_path.remove(self._finder)
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env.clear()
            self.installed = False
            if _active is self:
                _active = None
            from runtime_guard.operations import follow_guard  # [[tool.costguard.operation]] bans

            follow_guard()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        state = "installed" if self.installed else "uninstalled"
        return f"<costguard Guard {state} mode={self.mode} policy={self.policy.source}>"


def install(policy: PolicySource = None, mode: str | None = None, *, inherit: bool = True) -> Guard:
    """Turn the guard on for this process (and, unless ``inherit=False``, for its children).

    ``policy`` is a :class:`Policy`, a path to a TOML file, or None for ``COSTGUARD_CONFIG`` or
    the nearest ``pyproject.toml`` from the working directory upward. ``mode`` overrides
    ``COSTGUARD_RUNTIME``, which overrides ``[tool.costguard.runtime] mode``. A second call
    while a guard is installed returns the installed guard (no second layer). Raises
    :class:`PolicyError` for a bad policy or when none is found.
    """
    global _active
    with _lock:
        if _active is not None and _active.installed:
            return _active
        found = resolve_policy(policy)
        if found is None:
            raise PolicyError(
                os.path.join(os.getcwd(), "pyproject.toml"),
                "tool.costguard",
                f"no [tool.costguard] policy found from {os.getcwd()} upward (set {ENV_CONFIG} or pass policy=)",
            )
        guard = Guard(Checker(found, resolve_mode(mode, found)), inherit)
        guard._activate()
        _active = guard
        from runtime_guard.operations import follow_guard  # [[tool.costguard.operation]] bans

        follow_guard()
        return guard


def uninstall() -> None:
    """Remove the installed guard, if any."""
    with _lock:
        if _active is not None:
            _active.uninstall()
