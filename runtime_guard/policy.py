"""The costguard policy: one loader for ``[tool.costguard]`` shared by the lint and the guard.

Standard library only: the runtime guard may import nothing else while it is active, and the
flake8 plugin imports this module from here so both sides read the same tables the same way.

The schema (the public interface)::

    [[tool.costguard.ban]]
    module = "secfilings.services.api.athena.s3_direct_read"  # banned, with its submodules
    within = ["secfilings.services", "secfilings.workers"]     # importers the ban applies to
    allow = []                                                # exempt importers (optional)
    reason = "each call is a billed S3 GET"                   # optional
    use_instead = "secfilings.services.api.athena.lookup_index"  # optional
    transitive = false                                        # optional (runtime side)

    [tool.costguard.runtime]
    mode = "raise"          # raise | warn | log | off

    [tool.costguard.prices]  # USD per single request or unit, keyed by request kind
    "s3.GET" = 0.0000004

Module names match prefixes on dot boundaries only: ``a.b`` covers ``a.b`` and ``a.b.c`` but
never ``a.bc``.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "Ban",
    "Policy",
    "PolicyError",
    "RuntimeSettings",
    "RUNTIME_MODES",
    "PRICE_KEYS",
    "is_within",
    "find_pyproject",
    "load_policy",
    "load_policy_for",
    "module_name_for_path",
    "parse_policy",
]

RUNTIME_MODES = ("raise", "warn", "log", "off")

# Request kinds a price table may name (USD per single request, or per unit for *_units and
# per terabyte for athena.tb_scanned).
PRICE_KEYS = frozenset(
    {
        "s3.GET",
        "s3.HEAD",
        "s3.PUT",
        "s3.LIST",
        "s3.DELETE",
        "athena.query",
        "athena.tb_scanned",
        "athena.min_mb_per_query",
        "dynamodb.read_units",
        "dynamodb.write_units",
    }
)

_BAN_KEYS = ("module", "within", "allow", "reason", "use_instead", "transitive")
_TOP_KEYS = ("ban", "runtime", "prices")
_RUNTIME_KEYS = ("mode",)


class PolicyError(ValueError):
    """A policy that cannot be used. ``str()`` is one line naming the file and the key."""

    def __init__(self, path: str | os.PathLike[str] | None, key: str, problem: str) -> None:
        self.path = str(path) if path is not None else "<policy>"
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.key, self.problem))


def is_within(name: str, prefix: str) -> bool:
    """True when module ``name`` is ``prefix`` or inside it (dot boundary only)."""
    return name == prefix or (name.startswith(prefix) and name[len(prefix) : len(prefix) + 1] == ".")


def _within_any(name: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if is_within(name, prefix):
            return True
    return False


@dataclass(frozen=True)
class Ban:
    """One ``[[tool.costguard.ban]]`` table."""

    module: str
    within: tuple[str, ...]
    allow: tuple[str, ...] = ()
    reason: str = ""
    use_instead: str = ""
    transitive: bool = False

    @property
    def leaf(self) -> str:
        """The last component of the banned module: every literal import spells it."""
        return self.module.rpartition(".")[2]

    def bans(self, target: str) -> bool:
        """True when importing ``target`` means importing the banned module (or a submodule)."""
        return is_within(target, self.module)

    def guards(self, importer: str) -> bool:
        """True when the ban applies to code in module ``importer``.

        The banned module and its submodules never violate their own ban; ``allow`` wins over
        ``within``.
        """
        return (
            _within_any(importer, self.within)
            and not _within_any(importer, self.allow)
            and not is_within(importer, self.module)
        )

    def message(self, importer_scope: str | None = None) -> str:
        """``<module> is banned in <scope>: <reason>; use <use_instead>``."""
        scope = importer_scope or ", ".join(self.within)
        text = f"{self.module} is banned in {scope}"
        if self.reason:
            text += f": {self.reason}"
        if self.use_instead:
            text += f"; use {self.use_instead}"
        return text

    def scope_of(self, importer: str) -> str:
        """The ``within`` prefix that makes ``importer`` guarded (the longest one)."""
        best = ""
        for prefix in self.within:
            if is_within(importer, prefix) and len(prefix) > len(best):
                best = prefix
        return best or importer


@dataclass(frozen=True)
class RuntimeSettings:
    """``[tool.costguard.runtime]``."""

    mode: str = "raise"


@dataclass(frozen=True)
class Policy:
    """The whole ``[tool.costguard]`` table, validated."""

    bans: tuple[Ban, ...] = ()
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    prices: Mapping[str, float] = field(default_factory=dict)
    source: Path | None = None

    @property
    def banned_leaves(self) -> frozenset[str]:
        return frozenset(ban.leaf for ban in self.bans)

    def bans_guarding(self, importer: str) -> tuple[Ban, ...]:
        """The bans that apply to code in ``importer`` (empty for unguarded modules)."""
        return tuple(ban for ban in self.bans if ban.guards(importer))

    def violation(self, importer: str, target: str) -> Ban | None:
        """The ban that ``importer`` importing ``target`` breaks, or ``None``."""
        for ban in self.bans:
            if ban.bans(target) and ban.guards(importer):
                return ban
        return None


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _is_module_name(value: str) -> bool:
    parts = value.split(".")
    return all(part.isidentifier() for part in parts)


def _module_name(path: Path | None, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PolicyError(path, key, f"expected a module name (string), got {type(value).__name__} {value!r}")
    if not value:
        raise PolicyError(path, key, "must not be empty")
    if not _is_module_name(value):
        raise PolicyError(path, key, f"{value!r} is not a dotted module name")
    return value


def _module_list(path: Path | None, key: str, value: Any, *, required: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PolicyError(path, key, f"expected a list of module names, got {type(value).__name__} {value!r}")
    if required and not value:
        raise PolicyError(path, key, "must name at least one module prefix")
    return tuple(_module_name(path, f"{key}[{i}]", item) for i, item in enumerate(value))


def _string(path: Path | None, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PolicyError(path, key, f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _parse_ban(path: Path | None, index: int, table: Any) -> Ban:
    where = f"tool.costguard.ban[{index}]"
    if not isinstance(table, dict):
        raise PolicyError(path, where, f"expected a table ([[tool.costguard.ban]]), got {type(table).__name__}")
    for key in table:
        if key not in _BAN_KEYS:
            raise PolicyError(path, f"{where}.{key}", f"unknown key (expected one of: {', '.join(_BAN_KEYS)})")
    if "module" not in table:
        raise PolicyError(path, f"{where}.module", "missing (the module to ban)")
    if "within" not in table:
        raise PolicyError(path, f"{where}.within", "missing (the importers the ban applies to)")
    transitive = table.get("transitive", False)
    if not isinstance(transitive, bool):
        raise PolicyError(path, f"{where}.transitive", f"expected true or false, got {transitive!r}")
    use_instead = _string(path, f"{where}.use_instead", table.get("use_instead", ""))
    return Ban(
        module=_module_name(path, f"{where}.module", table["module"]),
        within=_module_list(path, f"{where}.within", table["within"], required=True),
        allow=_module_list(path, f"{where}.allow", table.get("allow", []), required=False),
        reason=_string(path, f"{where}.reason", table.get("reason", "")),
        use_instead=use_instead,
        transitive=transitive,
    )


def _parse_runtime(path: Path | None, table: Any) -> RuntimeSettings:
    where = "tool.costguard.runtime"
    if not isinstance(table, dict):
        raise PolicyError(path, where, f"expected a table, got {type(table).__name__}")
    for key in table:
        if key not in _RUNTIME_KEYS:
            raise PolicyError(path, f"{where}.{key}", f"unknown key (expected one of: {', '.join(_RUNTIME_KEYS)})")
    mode = table.get("mode", "raise")
    if mode not in RUNTIME_MODES:
        raise PolicyError(path, f"{where}.mode", f"expected one of {', '.join(RUNTIME_MODES)}, got {mode!r}")
    return RuntimeSettings(mode=mode)


def parse_prices(path: Path | None, table: Any, where: str = "tool.costguard.prices") -> dict[str, float]:
    """Validate a price table: request kind -> USD per request (or unit), non-negative."""
    if not isinstance(table, dict):
        raise PolicyError(path, where, f"expected a table of request kind = USD, got {type(table).__name__}")
    prices: dict[str, float] = {}
    for key, value in table.items():
        if key not in PRICE_KEYS:
            raise PolicyError(path, f"{where}.{key}", f"unknown request kind (expected one of: {', '.join(sorted(PRICE_KEYS))})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicyError(path, f"{where}.{key}", f"expected a non-negative number of USD, got {value!r}")
        prices[key] = float(value)
    return prices


def parse_policy(data: Mapping[str, Any], path: Path | None = None) -> Policy:
    """Validate the ``[tool.costguard]`` table (``data`` is that table, not the whole file)."""
    if not isinstance(data, dict):
        raise PolicyError(path, "tool.costguard", f"expected a table, got {type(data).__name__}")
    for key in data:
        if key not in _TOP_KEYS:
            raise PolicyError(path, f"tool.costguard.{key}", f"unknown key (expected one of: {', '.join(_TOP_KEYS)})")
    raw_bans = data.get("ban", [])
    if isinstance(raw_bans, dict):  # a single [tool.costguard.ban] table instead of [[...]]
        raw_bans = [raw_bans]
    if not isinstance(raw_bans, list):
        raise PolicyError(path, "tool.costguard.ban", f"expected [[tool.costguard.ban]] tables, got {type(raw_bans).__name__}")
    bans = tuple(_parse_ban(path, i, table) for i, table in enumerate(raw_bans))
    runtime = _parse_runtime(path, data.get("runtime", {}))
    prices = parse_prices(path, data.get("prices", {}))
    return Policy(bans=bans, runtime=runtime, prices=prices, source=path)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

_policy_cache: dict[tuple[str, int, int], Policy | None] = {}
_pyproject_cache: dict[str, Path | None] = {}


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (a directory or a file), or None."""
    start_path = Path(os.path.abspath(start))
    if start_path.is_file() or not start_path.exists():
        start_path = start_path.parent
    key = str(start_path)
    if key in _pyproject_cache:
        return _pyproject_cache[key]
    visited = []
    found: Path | None = None
    for directory in (start_path, *start_path.parents):
        cached = _pyproject_cache.get(str(directory), False)
        if cached is not False:
            found = cached  # type: ignore[assignment]
            break
        visited.append(str(directory))
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            found = candidate
            break
    for directory_key in visited:
        _pyproject_cache[directory_key] = found
    return found


def load_policy(path: str | os.PathLike[str], *, required: bool = True) -> Policy | None:
    """Read and validate ``[tool.costguard]`` from a ``pyproject.toml`` (or a costguard TOML).

    A file whose top level is ``[tool.costguard]`` or, for a dedicated file, whose top level is
    the costguard table itself (``[[ban]]``, ``[runtime]``), is accepted. Returns ``None`` when
    the file has no costguard table and ``required`` is false. Results are cached per file
    content version (path, mtime, size).
    """
    file_path = Path(os.path.abspath(path))
    try:
        stat = file_path.stat()
    except OSError as exc:
        raise PolicyError(file_path, "file", f"cannot read the policy file ({exc.strerror or exc})") from None
    cache_key = (str(file_path), stat.st_mtime_ns, stat.st_size)
    if cache_key in _policy_cache:
        policy = _policy_cache[cache_key]
    else:
        try:
            with open(file_path, "rb") as handle:
                document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(file_path, "toml", f"not valid TOML ({exc})") from None
        except OSError as exc:
            raise PolicyError(file_path, "file", f"cannot read the policy file ({exc.strerror or exc})") from None
        table = document.get("tool", {}).get("costguard") if isinstance(document.get("tool"), dict) else None
        if table is None and file_path.name != "pyproject.toml" and any(k in document for k in _TOP_KEYS):
            table = document
        policy = None if table is None else parse_policy(table, file_path)
        _policy_cache[cache_key] = policy
    if policy is None and required:
        raise PolicyError(file_path, "tool.costguard", "no [tool.costguard] table in this file")
    return policy


def load_policy_for(start: str | os.PathLike[str]) -> Policy | None:
    """The policy of the nearest ``pyproject.toml`` above ``start`` that exists, or None.

    A ``pyproject.toml`` without a ``[tool.costguard]`` table means "no policy" (None).
    """
    pyproject = find_pyproject(start)
    if pyproject is None:
        return None
    return load_policy(pyproject, required=False)


@functools.lru_cache(maxsize=4096)
def package_of_directory(directory: str) -> str:
    """The dotted package a directory is, from the ``__init__.py`` files ('' when it is none)."""
    if not os.path.isfile(os.path.join(directory, "__init__.py")):
        return ""
    name = os.path.basename(directory)
    if not name.isidentifier():
        return ""
    parent = os.path.dirname(directory)
    outer = package_of_directory(parent) if parent != directory else ""
    return f"{outer}.{name}" if outer else name


def module_name_for_path(path: str | os.PathLike[str]) -> str:
    """The dotted module name of a source file, from the ``__init__.py`` files above it.

    ``pkg/sub/mod.py`` with ``pkg/__init__.py`` and ``pkg/sub/__init__.py`` is ``pkg.sub.mod``;
    ``pkg/sub/__init__.py`` is ``pkg.sub``; a file in a folder without ``__init__.py`` is its
    bare stem. The lint and the guard both name modules with this one function.
    """
    directory, base = os.path.split(os.path.abspath(path))
    stem = base
    for suffix in (".pyi", ".py", ".pyw"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    package = package_of_directory(directory)
    if stem == "__init__":
        return package or os.path.basename(directory)
    return f"{package}.{stem}" if package else stem
