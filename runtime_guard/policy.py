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

    [[tool.costguard.operation]]
    service = "s3"                                 # botocore service name
    operations = ["GetObject", "ListObjectsV2"]    # botocore operation names
    within = ["secfilings.services", "secfilings.workers"]
    allow = []                                     # optional
    reason = "each call is a billed S3 request"    # optional
    use_instead = "secfilings.services.api.athena.lookup_index"  # optional

    [tool.costguard]
    roots = ["src", "lib"]  # optional: import roots, relative to this file (default: markers)
    strict = false          # optional: policy warnings become errors

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
import stat
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "Ban",
    "OperationBan",
    "MAX_POLICY_BYTES",
    "find_policy_file",
    "policy_warnings",
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
    "clear_caches",
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
_OPERATION_KEYS = ("service", "operations", "within", "allow", "reason", "use_instead")
_TOP_KEYS = ("ban", "operation", "runtime", "prices", "roots", "strict")

#: A policy file is read whole; anything larger is refused (``--costguard-config /dev/zero``).
MAX_POLICY_BYTES = 4 * 1024 * 1024
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


def _longest_prefix(name: str, prefixes: tuple[str, ...]) -> str:
    """The longest of ``prefixes`` that ``name`` is within (``name`` itself when none is)."""
    best = ""
    for prefix in prefixes:
        if is_within(name, prefix) and len(prefix) > len(best):
            best = prefix
    return best or name


def _ban_message(what: str, scope: str, reason: str, use_instead: str) -> str:
    text = f"{what} is banned in {scope}"
    if reason:
        text += f": {reason}"
    if use_instead:
        text += f"; use {use_instead}"
    return text


class Ban(NamedTuple):
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
        return _ban_message(self.module, importer_scope or ", ".join(self.within), self.reason, self.use_instead)

    def scope_of(self, importer: str) -> str:
        """The ``within`` prefix that makes ``importer`` guarded (the longest one)."""
        return _longest_prefix(importer, self.within)


class OperationBan(NamedTuple):
    """One ``[[tool.costguard.operation]]`` table: billed AWS operations banned in guarded code."""

    service: str
    operations: tuple[str, ...]
    within: tuple[str, ...]
    allow: tuple[str, ...] = ()
    reason: str = ""
    use_instead: str = ""

    def bans(self, service: str, operation: str) -> bool:
        """True when calling ``operation`` of botocore service ``service`` is banned."""
        return service == self.service and operation in self.operations

    def guards(self, caller: str) -> bool:
        """True when the ban applies to code in module ``caller`` (``allow`` wins)."""
        return _within_any(caller, self.within) and not _within_any(caller, self.allow)

    def scope_of(self, caller: str) -> str:
        """The ``within`` prefix that makes ``caller`` guarded (the longest one)."""
        return _longest_prefix(caller, self.within)

    def message(self, operation: str, caller_scope: str | None = None) -> str:
        """``s3.GetObject is banned in <scope>: <reason>; use <use_instead>``."""
        scope = caller_scope or ", ".join(self.within)
        return _ban_message(f"{self.service}.{operation}", scope, self.reason, self.use_instead)


class RuntimeSettings(NamedTuple):
    """``[tool.costguard.runtime]``."""

    mode: str = "raise"


class Policy(NamedTuple):
    """The whole ``[tool.costguard]`` table, validated."""

    bans: tuple[Ban, ...] = ()
    runtime: RuntimeSettings = RuntimeSettings()
    prices: Mapping[str, float] = MappingProxyType({})
    source: Path | None = None
    #: ``[[tool.costguard.operation]]`` tables.
    operations: tuple[OperationBan, ...] = ()
    #: Import roots as absolute paths (``roots`` resolved against the policy file's folder);
    #: empty means the default roots (the nearest folder with pyproject.toml / setup.cfg, its src/).
    roots: tuple[str, ...] = ()
    #: ``strict = true``: policy warnings (a first-party module that does not exist) are errors.
    strict: bool = False

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


_SERVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _parse_operation(path: Path | None, index: int, table: Any) -> OperationBan:
    where = f"tool.costguard.operation[{index}]"
    if not isinstance(table, dict):
        raise PolicyError(path, where, f"expected a table ([[tool.costguard.operation]]), got {type(table).__name__}")
    for key in table:
        if key not in _OPERATION_KEYS:
            raise PolicyError(path, f"{where}.{key}", f"unknown key (expected one of: {', '.join(_OPERATION_KEYS)})")
    for key, what in (("service", "the botocore service name"), ("operations", "the operation names"), ("within", "the callers the ban applies to")):
        if key not in table:
            raise PolicyError(path, f"{where}.{key}", f"missing ({what})")
    service = _string(path, f"{where}.service", table["service"])
    if not service or not set(service) <= _SERVICE_CHARS:
        raise PolicyError(path, f"{where}.service", f"expected a botocore service name such as 's3' or 'dynamodb', got {service!r}")
    raw_operations = table["operations"]
    if not isinstance(raw_operations, list) or not raw_operations:
        raise PolicyError(path, f"{where}.operations", f"expected a non-empty list of operation names, got {raw_operations!r}")
    operations = []
    for i, name in enumerate(raw_operations):
        key = f"{where}.operations[{i}]"
        name = _string(path, key, name)
        if not (name.isascii() and name.isidentifier() and name[:1].isupper()):
            raise PolicyError(path, key, f"expected a botocore operation name such as 'GetObject', got {name!r}")
        operations.append(name)
    return OperationBan(
        service=service,
        operations=tuple(operations),
        within=_module_list(path, f"{where}.within", table["within"], required=True),
        allow=_module_list(path, f"{where}.allow", table.get("allow", []), required=False),
        reason=_string(path, f"{where}.reason", table.get("reason", "")),
        use_instead=_string(path, f"{where}.use_instead", table.get("use_instead", "")),
    )


def _parse_roots(path: Path | None, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PolicyError(path, "tool.costguard.roots", f"expected a list of folder paths (strings), got {value!r}")
    base = os.path.dirname(os.path.abspath(path)) if path is not None else os.getcwd()
    roots = []
    for i, item in enumerate(value):
        if not item or "\0" in item:
            raise PolicyError(path, f"tool.costguard.roots[{i}]", f"expected a folder path, got {item!r}")
        roots.append(os.path.normpath(os.path.join(base, item)))
    return tuple(roots)


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
    raw_operations = data.get("operation", [])
    if isinstance(raw_operations, dict):  # a single [tool.costguard.operation] table
        raw_operations = [raw_operations]
    if not isinstance(raw_operations, list):
        raise PolicyError(path, "tool.costguard.operation", f"expected [[tool.costguard.operation]] tables, got {type(raw_operations).__name__}")
    operations = tuple(_parse_operation(path, i, table) for i, table in enumerate(raw_operations))
    runtime = _parse_runtime(path, data.get("runtime", {}))
    prices = parse_prices(path, data.get("prices", {}))
    roots = _parse_roots(path, data["roots"]) if "roots" in data else ()
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise PolicyError(path, "tool.costguard.strict", f"expected true or false, got {strict!r}")
    return Policy(bans=bans, runtime=runtime, prices=prices, source=path, operations=operations, roots=roots, strict=strict)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

_policy_cache: dict[tuple[str, int, int], Policy | None] = {}
_pyproject_cache: dict[str, Path | None] = {}
_policy_file_cache: dict[str, Path | None] = {}


def clear_caches() -> None:
    """Forget every file and folder this module has looked at (tests that rewrite trees use it)."""
    _policy_cache.clear()
    _pyproject_cache.clear()
    _policy_file_cache.clear()
    _has_marker.cache_clear()
    _marker_root.cache_clear()
    _roots_near.cache_clear()
    _directory_parts.cache_clear()
    package_of_directory.cache_clear()


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


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _stat_policy_file(file_path: Path, *, regular_only: bool) -> os.stat_result:
    """stat() a policy file, or one PolicyError saying why it cannot be one."""
    try:
        info = os.stat(file_path)
    except FileNotFoundError:
        if os.path.islink(file_path):
            raise PolicyError(file_path, "file", f"a dangling symbolic link (to {os.readlink(file_path)!r})") from None
        raise PolicyError(file_path, "file", "cannot read the policy file (No such file or directory)") from None
    except OSError as exc:
        raise PolicyError(file_path, "file", f"cannot read the policy file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode) or (regular_only and not stat.S_ISREG(info.st_mode)):
        raise PolicyError(file_path, "file", f"{_file_kind(info.st_mode)}, not a policy file")
    return info


def _read_bounded(file_path: Path) -> bytes:
    try:
        with open(file_path, "rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise PolicyError(file_path, "file", f"cannot read the policy file ({exc.strerror or exc})") from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(file_path, "file", f"larger than {MAX_POLICY_BYTES // (1024 * 1024)} MiB, not a policy file")
    return data


def _parse_document(file_path: Path, data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(file_path, "toml", f"not valid UTF-8 (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(file_path, "toml", f"not valid TOML ({exc})") from None
    except RecursionError:
        raise PolicyError(file_path, "toml", "not valid TOML (nested too deeply)") from None


def _costguard_table(file_path: Path, document: dict[str, Any]) -> Any:
    if "tool" in document:
        tool = document["tool"]
        if not isinstance(tool, dict):
            raise PolicyError(file_path, "tool", f"expected a table ([tool]), got {type(tool).__name__} {tool!r}")
        if "costguard" in tool:
            return tool["costguard"]
    if file_path.name != "pyproject.toml" and any(k in document for k in _TOP_KEYS):
        return document
    return None


def load_policy(path: str | os.PathLike[str], *, required: bool = True) -> Policy | None:
    """Read and validate ``[tool.costguard]`` from a ``pyproject.toml`` (or a costguard TOML).

    A file whose top level is ``[tool.costguard]`` or, for a dedicated file, whose top level is
    the costguard table itself (``[[ban]]``, ``[runtime]``), is accepted. Returns ``None`` when
    the file has no costguard table and ``required`` is false. Every problem is one
    :class:`PolicyError` (a directory, a dangling link, invalid UTF-8 or TOML, a file larger
    than :data:`MAX_POLICY_BYTES`, a bad key). Regular files are cached per (path, mtime, size).
    """
    file_path = Path(os.path.abspath(path))
    info = _stat_policy_file(file_path, regular_only=False)
    regular = stat.S_ISREG(info.st_mode)
    cache_key = (str(file_path), info.st_mtime_ns, info.st_size)
    if regular and cache_key in _policy_cache:
        policy = _policy_cache[cache_key]
    else:
        document = _parse_document(file_path, _read_bounded(file_path))
        table = _costguard_table(file_path, document)
        policy = None if table is None else parse_policy(table, file_path)
        if regular:
            _policy_cache[cache_key] = policy
    if policy is None and required:
        raise PolicyError(file_path, "tool.costguard", "no [tool.costguard] table in this file")
    return policy


def find_policy_file(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that *has* ``[tool.costguard]``.

    As ruff does for ``[tool.ruff]``: a ``pyproject.toml`` without the table (a nested
    sub-project) is passed over and the search goes on upward. Every ``pyproject.toml`` met on
    the way must be readable: a broken one (invalid TOML or UTF-8, a directory, a FIFO, a
    dangling link, ``tool = 5``) raises :class:`PolicyError`, never a silent "no policy".
    """
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    visited: list[str] = []
    found: Path | None = None
    while True:
        cached = _policy_file_cache.get(directory, False)
        if cached is not False:
            found = cached  # type: ignore[assignment]
            break
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.lexists(candidate):
            file_path = Path(candidate)
            _stat_policy_file(file_path, regular_only=True)
            if load_policy(file_path, required=False) is not None:
                found = file_path
                break
        visited.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for key in visited:
        _policy_file_cache[key] = found
    if found is not None:
        _policy_file_cache[directory] = found
    return found


def load_policy_for(start: str | os.PathLike[str]) -> Policy | None:
    """The policy of the nearest ``pyproject.toml`` above ``start`` that has one, or None."""
    policy_file = find_policy_file(start)
    if policy_file is None:
        return None
    return load_policy(policy_file, required=False)


# ---------------------------------------------------------------------------------------------
# Module names: a file's dotted name is its path below the import root it lives under
# ---------------------------------------------------------------------------------------------

_MARKERS = ("pyproject.toml", "setup.cfg")
_SOURCE_SUFFIXES = (".pyi", ".py", ".pyw")


@functools.lru_cache(maxsize=8192)
def _has_marker(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(directory, marker)) for marker in _MARKERS)


@functools.lru_cache(maxsize=8192)
def _marker_root(directory: str) -> str | None:
    """The nearest folder at or above ``directory`` holding pyproject.toml or setup.cfg, or
    that folder's ``src/`` when ``directory`` is inside it; None when no folder above has one."""
    if _has_marker(directory):
        return directory
    parent = os.path.dirname(directory)
    if parent == directory:
        return None
    root = _marker_root(parent)
    if root is not None and root == parent and os.path.basename(directory) == "src":
        return directory
    return root


@functools.lru_cache(maxsize=4096)
def _roots_near(directory: str) -> tuple[str, ...]:
    """``roots`` of the policy that governs ``directory`` (empty when none, or when it is broken:
    naming a module never raises; the broken policy is reported by whoever loads it)."""
    try:
        policy = load_policy_for(directory)
    except PolicyError:
        return ()
    return policy.roots if policy is not None else ()


def _deepest_root(directory: str, roots: tuple[str, ...]) -> str | None:
    best: str | None = None
    for root in roots:
        if directory == root or directory.startswith(root.rstrip(os.sep) + os.sep):
            if best is None or len(root) > len(best):
                best = root
    return best


@functools.lru_cache(maxsize=8192)
def _directory_parts(directory: str, roots: tuple[str, ...]) -> tuple[str, ...]:
    """The dotted package a folder is, as parts (empty at an import root)."""
    root = _deepest_root(directory, roots) if roots else None
    if root is None:
        root = _marker_root(directory)
    if root is None:  # no marker above: the __init__.py walk
        package = package_of_directory(directory)
        return tuple(package.split(".")) if package else ()
    relative = os.path.relpath(directory, root)
    parts = () if relative == "." else tuple(relative.split(os.sep))
    for index in range(len(parts) - 1, -1, -1):  # a folder that is not an identifier ends the walk
        if not parts[index].isidentifier():
            return parts[index + 1 :]
    return parts


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


def module_name_for_path(path: str | os.PathLike[str], roots: tuple[str, ...] | None = None) -> str:
    """The dotted module name Python gives a source file, through regular and namespace packages.

    The name is the file's path below the import root it lives under: the deepest of ``roots``
    (absolute folders; ``None`` means the ``roots`` of the policy that governs the file) that
    holds it, else the nearest folder above it with ``pyproject.toml`` or ``setup.cfg``, or that
    folder's ``src/`` for files inside it. A folder whose name is not an identifier ends the walk
    (``project-core/pkg/mod.py`` is ``pkg.mod``). With no marker above the file, the
    ``__init__.py`` files above it decide (a file in a folder without one is its bare stem).
    ``pkg/sub/__init__.py`` is ``pkg.sub``; a file without a Python suffix (a console script) is
    its bare name. The lint, the runtime guard (code run by path) and
    ``costguard check`` all name modules with this one function.
    """
    directory, base = os.path.split(os.path.abspath(path))
    for suffix in _SOURCE_SUFFIXES:
        if base.endswith(suffix):
            stem = base[: -len(suffix)]
            break
    else:  # no Python suffix (a console script in a venv's bin/): no package can import it
        return base
    if roots is None:
        roots = _roots_near(directory)
    parts = _directory_parts(directory, tuple(roots))
    if stem == "__init__":
        return ".".join(parts) if parts else os.path.basename(directory)
    return ".".join((*parts, stem))


# ---------------------------------------------------------------------------------------------
# Policy warnings: first-party names that do not exist
# ---------------------------------------------------------------------------------------------


def _module_on_disk(root: str, parts: tuple[str, ...]) -> bool:
    base = os.path.join(root, *parts)
    if os.path.isdir(base):
        return True  # a regular or a namespace package
    if any(os.path.isfile(base + suffix) for suffix in _SOURCE_SUFFIXES):
        return True
    folder, leaf = os.path.split(base)
    try:
        return any(entry.startswith(leaf + ".") and entry.endswith((".so", ".pyd")) for entry in os.listdir(folder))
    except OSError:
        return False


#: How many folder levels below the policy file the default roots are looked for.
_ROOT_SEARCH_DEPTH = 3


def _roots_below(base: str) -> list[str]:
    """Folders below ``base`` where :func:`module_name_for_path` starts names by default: a
    sub-project (a folder with pyproject.toml or setup.cfg) and its ``src/``, and a folder whose
    name is not an identifier (LocalStack's ``localstack-core/``). Looked for a few levels down,
    never inside a package (a folder with ``__init__.py``), a virtual environment, or below a root."""
    found: list[str] = []
    stack = [(base, 1)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir(follow_symlinks=False))
        except OSError:
            continue
        for name in entries:
            if name.startswith((".", "__")) or name in ("node_modules", "site-packages"):
                continue
            child = os.path.join(directory, name)
            if os.path.isfile(os.path.join(child, "__init__.py")) or os.path.isfile(os.path.join(child, "pyvenv.cfg")):
                continue
            if _has_marker(child):
                found.extend((child, os.path.join(child, "src")))
            elif not name.isidentifier():
                found.append(child)
            elif depth < _ROOT_SEARCH_DEPTH:
                stack.append((child, depth + 1))
    return found


def _policy_roots(policy: Policy) -> tuple[str, ...]:
    """Where the policy's first-party packages live: its ``roots``, else the folder of the policy
    file, its ``src/`` and the folders below it that start names (sub-projects, ``x-core/``)."""
    if policy.roots:
        return policy.roots
    if policy.source is None:
        return ()
    base = os.path.dirname(os.path.abspath(policy.source))
    return (base, os.path.join(base, "src"), *_roots_below(base))


def policy_warnings(policy: Policy) -> list[PolicyError]:
    """Names the policy gives that cannot be right: a ban's ``module``, or a ``within`` /
    ``allow`` prefix, whose top-level package is on disk under the policy's roots while the
    module itself is not. Third-party names (top level not found) are not checked: a pre-commit
    environment has none of the project's dependencies. ``strict = true`` makes these errors."""
    roots = tuple(root for root in _policy_roots(policy) if os.path.isdir(root))
    if not roots:
        return []
    problems: list[PolicyError] = []

    def check(key: str, name: str) -> None:
        parts = tuple(name.split("."))
        homes = [root for root in roots if _module_on_disk(root, parts[:1])]
        if homes and not any(_module_on_disk(root, parts) for root in homes):
            where = " or ".join(homes) if len(homes) <= 2 else f"{homes[0]} and {len(homes) - 1} other roots"
            problems.append(PolicyError(policy.source, key, f"{name!r} names no module: {parts[0]} is under {where}, {name} is not"))

    for index, ban in enumerate(policy.bans):
        check(f"tool.costguard.ban[{index}].module", ban.module)
        for key, names in (("within", ban.within), ("allow", ban.allow)):
            for i, name in enumerate(names):
                check(f"tool.costguard.ban[{index}].{key}[{i}]", name)
    for index, operation in enumerate(policy.operations):
        for key, names in (("within", operation.within), ("allow", operation.allow)):
            for i, name in enumerate(names):
                check(f"tool.costguard.operation[{index}].{key}[{i}]", name)
    return problems
