"""The standard-library functions that import a module named by a string (CG102).

No imports: the checker's text stage reads ``SPELLED_NAMES`` before the rules are loaded.
"""

from __future__ import annotations

__all__ = ["DYNAMIC_IMPORTERS", "SPELLED_NAMES"]

#: qualified name of the function -> the kind of call it is (how its arguments name modules)
DYNAMIC_IMPORTERS: dict[str, str] = {
    "importlib.import_module": "import_module",
    "importlib.__import__": "__import__",
    "builtins.__import__": "__import__",
    "importlib.util.find_spec": "find_spec",
    "pkgutil.resolve_name": "resolve_name",
    "runpy.run_module": "run_module",
}

#: Every call the rules can resolve to one of those functions spells its last name somewhere in
#: the file (in the call, or in the ``from ... import`` that binds an alias of it). A file that
#: spells none of them and no banned leaf name has nothing CG101-CG103 can report.
SPELLED_NAMES: tuple[str, ...] = tuple(sorted({name.rpartition(".")[2] for name in DYNAMIC_IMPORTERS}))
