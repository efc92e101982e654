"""The decisions: which importers a policy guards, which targets it bans, and what a violation does."""

from __future__ import annotations

import sys
import threading
import warnings
from types import FrameType
from typing import Any, Iterable, Mapping

from runtime_guard.errors import CostguardWarning, ForbiddenImportError
from runtime_guard.frames import import_chain, module_name
from runtime_guard.policy import Ban, Policy, is_within

__all__ = ["Checker", "TRANSITIVE_ONLY"]

__tracebackhide__ = True  # pytest: the guard's frames are not the user's problem

# Stored for unguarded importers when the policy has transitive bans: truthy (a tuple of one
# ban that matches nothing), so the import wrapper's fast path stays one dict look-up and one
# truth test; their imports of a transitively banned module are checked against the chain.
TRANSITIVE_ONLY: tuple[Ban, ...] = (Ban(module="<transitive-only>", within=()),)


class Checker:
    """One policy in one mode. ``decisions`` maps importer name -> the bans guarding it."""

    def __init__(self, policy: Policy, mode: str) -> None:
        self.policy = policy
        self.mode = mode
        self.bans: tuple[Ban, ...] = policy.bans
        self.banned_modules: tuple[str, ...] = tuple(ban.module for ban in self.bans)
        self.transitive: tuple[Ban, ...] = tuple(ban for ban in self.bans if ban.transitive)
        # First components of transitively banned modules: an absolute import statement whose
        # name starts elsewhere cannot reach them, so unguarded importers skip it at once.
        self.transitive_roots = frozenset(ban.module.partition(".")[0] for ban in self.transitive)
        # First components of every banned module: an absolute import statement whose name
        # starts elsewhere cannot reach one, whoever runs it.
        self.roots = frozenset(module.partition(".")[0] for module in self.banned_modules)
        # Last components: every file of a banned module (or of its submodules) has one in its path.
        self.leaves = tuple(sorted({module.rpartition(".")[2] for module in self.banned_modules}))
        self.decisions: dict[str, tuple[Ban, ...]] = {}
        self._main_decisions: dict[Any, tuple[Ban, ...]] = {}
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- importers ------------------------------------------------------------------------------

    def bans_guarding(self, name: str | None) -> tuple[Ban, ...]:
        if name is None or self.mode == "off":
            return ()
        bans = tuple(ban for ban in self.bans if ban.guards(name))
        if not bans and self.transitive:
            return TRANSITIVE_ONLY
        return bans

    def decide(self, namespace: Mapping[str, Any] | None) -> tuple[Ban, ...]:
        """The bans guarding the code that runs with globals ``namespace`` (cached by name)."""
        if namespace is None:
            return ()
        name = namespace.get("__name__")
        if name is None or name == "__main__" or name.startswith("<"):
            key = (name, namespace.get("__file__"), getattr(namespace.get("__spec__"), "name", None))
            cached = self._main_decisions.get(key)
            if cached is None:
                cached = self._main_decisions[key] = self.bans_guarding(module_name(namespace))
            return cached
        bans = self.bans_guarding(name)
        self.decisions[name] = bans
        return bans

    # -- targets --------------------------------------------------------------------------------

    def is_banned(self, target: str) -> bool:
        for module in self.banned_modules:
            if target == module or (target.startswith(module) and target[len(module) : len(module) + 1] == "."):
                return True
        return False

    def check(
        self,
        bans: Iterable[Ban],
        importer: str | None,
        targets: Iterable[str],
        frame: FrameType | None,
        kind: str = "import",
    ) -> ForbiddenImportError | None:
        """The error for the first target that one of ``bans`` forbids to ``importer``.

        In ``raise`` mode the caller raises it (from its own frame, so a traceback shows one
        frame of the guard, not four); ``warn`` and ``log`` report here and return None.
        """
        if importer is None:
            return None
        for target in targets:
            if not self.is_banned(target):
                continue
            for ban in bans:
                if ban.bans(target):
                    return self.violation(ban, importer, target, frame)
            if self.transitive:
                error = self.check_transitive(importer, target, frame)
                if error is not None:
                    return error
        return None

    def check_transitive(self, importer: str, target: str, frame: FrameType | None) -> ForbiddenImportError | None:
        """A ``transitive = true`` ban forbids every chain of imports that starts in a guarded module."""
        chain = import_chain(frame, importer, target)
        for ban in self.transitive:
            if not ban.bans(target) or is_within(importer, ban.module):
                continue
            for name in chain[:-1]:
                if ban.guards(name):
                    return self.violation(ban, name, target, frame, chain)
        return None

    def banned_root(self, target: str) -> str | None:
        """The banned module (a ban's ``module``) that ``target`` is or is inside."""
        for module in self.banned_modules:
            if is_within(target, module):
                return module
        return None

    # -- reporting ------------------------------------------------------------------------------

    def violation(
        self,
        ban: Ban,
        importer: str,
        target: str,
        frame: FrameType | None,
        chain: tuple[str, ...] | None = None,
    ) -> ForbiddenImportError | None:
        if self.mode == "off":
            return None
        if chain is None:
            chain = import_chain(frame, importer, target)
        error = ForbiddenImportError(
            module=target,
            importer=importer,
            chain=chain,
            reason=ban.reason,
            use_instead=ban.use_instead,
            scope=ban.scope_of(importer),
        )
        if self.mode == "raise":
            return error
        key = (importer, target)
        with self._lock:
            if key in self._reported:
                return None
            self._reported.add(key)
        if self.mode == "warn":
            filename = frame.f_code.co_filename if frame is not None else "<unknown>"
            lineno = frame.f_lineno if frame is not None else 0
            warnings.warn_explicit(str(error), CostguardWarning, filename, lineno or 0, module=importer)
        elif self.mode == "log":
            import logging

            logging.getLogger("runtime_guard").warning("costguard: %s", error)
        return None


def frame_at(depth: int) -> FrameType | None:
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None
