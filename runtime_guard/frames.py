"""Who is importing: module names of frames, the importer frame, and the chain of imports in progress."""

from __future__ import annotations

import os
import sys
from types import FrameType
from typing import Any, Mapping

from runtime_guard.policy import module_name_for_path

__all__ = ["MACHINERY", "is_machinery", "module_name", "importer_frame", "import_chain"]

__tracebackhide__ = True  # pytest hides every frame of this module

# Modules whose frames sit between the code that asks for an import and the import itself.
MACHINERY = frozenset(
    {
        "_frozen_importlib",
        "_frozen_importlib_external",
        "importlib",
        "importlib._bootstrap",
        "importlib._bootstrap_external",
        "importlib.util",
        "importlib.machinery",
        "importlib._abc",
        "runpy",
        "pkgutil",
        "zipimport",
    }
)

_main_names: dict[Any, str] = {}
_GUARD_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_machinery(name: str | None) -> bool:
    """Import machinery and the guard's own frames are never the importer."""
    return name in MACHINERY or (name is not None and (name == "runtime_guard" or name.startswith("runtime_guard.")))


def module_name(namespace: Mapping[str, Any]) -> str | None:
    """The real module name of code running with globals ``namespace``.

    ``__main__`` (``python -m pkg.mod``, a script by path, ``runpy``) is named after its spec, or
    after its file and the ``__init__.py`` files above it, the way the lint names files.
    """
    name = namespace.get("__name__")
    if name is None or (name != "__main__" and not name.startswith("<")):
        return name
    spec = namespace.get("__spec__")
    if spec is not None and getattr(spec, "name", None):
        return spec.name  # type: ignore[no-any-return]
    file = namespace.get("__file__")
    if not file:
        return name
    cached = _main_names.get(file)
    if cached is None:
        try:
            cached = module_name_for_path(file)
        except (OSError, ValueError):
            cached = name or "__main__"
        _main_names[file] = cached
    return cached


def is_machinery_frame(frame: FrameType) -> bool:
    """A frame of the import machinery or of the guard itself (also when run as ``__main__``)."""
    return is_machinery(frame.f_globals.get("__name__")) or frame.f_code.co_filename.startswith(_GUARD_DIR)


def importer_frame(frame: FrameType | None, exclude: str | None = None) -> FrameType | None:
    """The first frame from ``frame`` outward that is not import machinery (nor inside ``exclude``)."""
    while frame is not None:
        if not is_machinery_frame(frame):
            if exclude is None:
                return frame
            real = module_name(frame.f_globals)
            if real is None or not (real == exclude or real.startswith(exclude + ".")):
                return frame
        frame = frame.f_back
    return None


def import_chain(frame: FrameType | None, importer: str | None, target: str) -> tuple[str, ...]:
    """The modules being executed from the outermost one to ``importer``, then ``target``."""
    names: list[str] = []
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = module_name(frame.f_globals)
            if name and not is_machinery_frame(frame):
                names.append(name)
        frame = frame.f_back
    names.reverse()
    if importer and (not names or names[-1] != importer):
        names.append(importer)
    if not names or names[-1] != target:
        names.append(target)
    chain: list[str] = []
    for name in names:
        if not chain or chain[-1] != name:
            chain.append(name)
    return tuple(chain)


def caller_frame(depth: int = 2) -> FrameType | None:
    try:
        return sys._getframe(depth)
    except ValueError:
        return None
