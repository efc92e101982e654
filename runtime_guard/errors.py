"""The guard's error and warning classes (they cross process and pytest-xdist boundaries)."""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["ForbiddenImportError", "CostguardWarning", "format_message"]


def format_message(module: str, importer: str, chain: Sequence[str], reason: str, use_instead: str, scope: str = "") -> str:
    """One line naming the banned module, the importer, the scope, the reason, the replacement and the chain."""
    text = f"{module} is banned in {scope or importer} (imported by {importer}"
    if chain:
        text += f"; import chain: {' -> '.join(chain)}"
    text += ")"
    if reason:
        text += f": {reason}"
    if use_instead:
        text += f"; use {use_instead}"
    return text


class ForbiddenImportError(ImportError):
    """A guarded module reached a module its policy bans.

    Attributes: ``module`` (the banned module), ``importer`` (the module whose code ran the
    import or the call), ``chain`` (the imports in progress, outermost first, ending with the
    banned module), ``reason``, ``use_instead`` and ``scope`` (the ``within`` prefix that applies).
    """

    def __init__(
        self,
        module: str,
        importer: str,
        chain: Sequence[str] = (),
        reason: str = "",
        use_instead: str = "",
        scope: str = "",
    ) -> None:
        self.module = module
        self.importer = importer
        self.chain = tuple(chain)
        self.reason = reason
        self.use_instead = use_instead
        self.scope = scope
        super().__init__(format_message(module, importer, self.chain, reason, use_instead, scope), name=module)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.module, self.importer, self.chain, self.reason, self.use_instead, self.scope))


class CostguardWarning(UserWarning):
    """Emitted once per (importer, module) by the guard in ``warn`` mode."""
