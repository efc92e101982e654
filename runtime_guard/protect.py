"""``protect(__name__)``: the guard inside a banned module itself (defence in depth).

It catches what no import hook sees: the module executed from a file path
(``spec_from_file_location``, ``runpy.run_path``, ``python path/to/mod.py``), as ``__main__``,
from a zip, or before any hook was installed; and every later call of its public functions
from guarded code.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable, TypeVar

from runtime_guard.checker import Checker
from runtime_guard.config import installed_policy, policy_near, resolve_mode
from runtime_guard.frames import importer_frame, module_name
from runtime_guard.policy import Policy, PolicyError, load_policy, module_name_for_path

__all__ = ["protect", "Protection"]

__tracebackhide__ = True  # pytest hides every frame of this module

F = TypeVar("F", bound=Callable[..., Any])


def _own(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


class Protection:
    """The decorator ``protect()`` returns: wrap public functions so each call checks its caller.

    Each check consults the guard that is active at that moment (its policy and mode, ``off``
    included); with no guard installed, the checker ``protect()`` built from the module's own
    policy. ``pinned`` (an explicit ``policy=`` or ``mode=`` given to ``protect()``) always wins.
    """

    def __init__(self, module: str, checker: Checker | None, pinned: bool = False) -> None:
        self.module = module
        self.checker = checker
        self.pinned = pinned

    def __bool__(self) -> bool:
        return self.checker is not None

    def current_checker(self) -> Checker | None:
        """The checker that decides now."""
        if not self.pinned:
            from runtime_guard.hook import active_checker

            active = active_checker()
            if active is not None and (active.mode == "off" or active.is_banned(self.module)):
                return active
        return self.checker

    def check_caller(self, depth: int = 1) -> None:
        """Check the code ``depth`` frames above the caller of this method."""
        checker = self.current_checker()
        if checker is None or checker.mode == "off":
            return
        frame = importer_frame(sys._getframe(depth + 1), exclude=self.module)
        if frame is None:
            return
        caller = module_name(frame.f_globals)
        if caller is None or _own(caller, self.module):
            return
        bans = checker.decisions.get(caller) if caller != "__main__" else None
        if bans is None:
            bans = checker.decide(frame.f_globals)
        if bans:
            error = checker.check(bans, caller, (self.module,), frame, kind="call")
            if error is not None:
                raise error

    def __call__(self, func: F) -> F:
        if self.checker is None:
            return func
        check = self.check_caller

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            check(1)
            return func(*args, **kwargs)

        guarded.__costguard_protected__ = self.module  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]


def _names_of(namespace: dict[str, Any], name: str) -> list[str]:
    """The names this module may run as: ``name``, its spec's, and the one its file path gives."""
    candidates = [name]
    spec = namespace.get("__spec__")
    if spec is not None and getattr(spec, "name", None):
        candidates.append(spec.name)
    real = module_name(namespace)
    if real:
        candidates.append(real)
    file = namespace.get("__file__")
    if file:
        try:
            candidates.append(module_name_for_path(file))
        except (OSError, ValueError):
            pass
    return candidates


def _banned_name(names: list[str], policy: Policy) -> str | None:
    for candidate in names:
        if any(ban.bans(candidate) for ban in policy.bans):
            return candidate
    return None


def _policy_for(names: list[str], file: str | None, policy: Policy | str | os.PathLike[str] | None) -> Policy | None:
    """The policy that bans one of ``names``: explicit, COSTGUARD_CONFIG, the cwd's, the file's,
    then the policies installed distributions ship (so an installed wheel protects itself).

    A bad policy file is an error only when no other candidate bans the module.
    """
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy)
    configured = os.environ.get("COSTGUARD_CONFIG")
    if configured:
        return load_policy(configured)
    problem: PolicyError | None = None
    for start in (os.getcwd(), file):
        if not start:
            continue
        try:
            found = policy_near(start)
        except PolicyError as exc:  # e.g. an unrelated project's broken pyproject.toml in the cwd
            problem = problem or exc
            continue
        if found is not None and _banned_name(names, found) is not None:
            return found
    try:
        found = installed_policy()
    except PolicyError as exc:
        problem = problem or exc
    else:
        if found is not None and _banned_name(names, found) is not None:
            return found
    if problem is not None:
        raise problem
    return None


def protect(
    name: str,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    mode: str | None = None,
) -> Protection:
    """Check who is executing the calling module now, and return a decorator for its functions.

    Call it at the top of a banned module: ``guarded = protect(__name__)``. The importer (the
    first frame outside the import machinery and outside the module) is checked against the
    policy at once; ``@guarded`` functions check their caller on every call. Both raise
    :class:`ForbiddenImportError` (or warn/log, following the mode). With no policy that bans the
    module, or mode ``off``, it does nothing and the decorator returns functions unchanged.
    The module's own code and its submodules are never blocked.
    """
    frame = sys._getframe(1)
    namespace = frame.f_globals
    from runtime_guard import hook

    active = hook.active_checker()
    names = _names_of(namespace, name)
    try:
        if active is not None and policy is None:
            found: Policy | None = active.policy
        else:
            found = _policy_for(names, namespace.get("__file__"), policy)
        if found is None:
            return Protection(name, None)
        module = _banned_name(names, found)
        if module is None:
            return Protection(name, None)
        pinned = policy is not None or mode is not None
        if active is not None and not pinned:
            # The module's own fallback for when no guard is on any more: its policy, the
            # environment's or the policy's mode.
            checker = Checker(found, resolve_mode(None, found))
        else:
            checker = Checker(found, resolve_mode(mode, found))
    except PolicyError as exc:
        raise PolicyError(exc.path, exc.key, f"{exc.problem} (while protecting {name})") from None
    protection = Protection(module, checker, pinned)
    checker = protection.current_checker() or checker
    if checker.mode == "off":
        return protection
    importer = importer_frame(frame.f_back, exclude=module)
    if importer is not None:
        importer_name = module_name(importer.f_globals)
        if importer_name is not None and not _own(importer_name, module):
            bans = checker.decide(importer.f_globals)
            if bans:
                error = checker.check(bans, importer_name, (module,), importer, kind="execute")
                if error is not None:
                    raise error
    return protection
