"""The cache of ``costguard check``: per file, what the rules found and what the file imports.

An entry is keyed by the file's path, its module name (which depends on the folders above it)
and its content: a file whose modification time and size are unchanged is not read at all; one
whose time changed is read and hashed, and reused when its content is the same. Findings are
stored per policy (a hash of the validated bans) and the cache as a whole per costguard
version. One ``marshal`` file of plain values (no code is loaded from it), written atomically; a
cache that cannot be read is ignored, one that cannot be written is skipped (the run's result
never depends on the cache).
"""

from __future__ import annotations

import marshal
import os
from typing import TYPE_CHECKING, Any

from . import __version__

try:  # the hash alone: ``hashlib`` would first load OpenSSL's bindings (several ms per run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from runtime_guard.policy import Policy

__all__ = ["CheckCache", "content_digest", "policy_key"]

_FORMAT = 2
CACHE_FILE = "check.marshal"


def _code_version() -> str:
    """The costguard version and the state of the code the findings come from, so a changed
    rule (an upgrade, or a development checkout) never serves old findings."""
    here = os.path.dirname(os.path.realpath(__file__))
    try:
        names = [os.path.join(here, name) for name in os.listdir(here) if name.endswith(".py")]
    except OSError:
        names = []
    sources = [*names, os.path.join(os.path.dirname(here), "runtime_guard", "policy.py")]
    stamps = []
    for source in sorted(sources):
        try:
            stat = os.stat(source)
        except OSError:
            continue
        stamps.append(f"{os.path.basename(source)}:{stat.st_mtime_ns}:{stat.st_size}")
    return f"{__version__}+" + blake2b(";".join(stamps).encode(), digest_size=8).hexdigest()


def content_digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def policy_key(policy: Policy) -> str:
    """A hash of what the findings depend on: the bans and operation bans in order, the roots,
    and the costguard version (its rules)."""
    from . import __version__

    basis = repr((policy.bans, policy.operations, policy.roots, __version__))
    return blake2b(basis.encode("utf-8"), digest_size=8).hexdigest()


class CheckCache:
    """Entries: absolute path -> {module, mtime, size, digest, findings: {policy: [...]}, imports}."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.hits = self.misses = 0
        self.version = ""
        if directory is None:
            return
        try:
            with open(directory / CACHE_FILE, "rb") as handle:
                data = marshal.load(handle)
        except (OSError, ValueError, EOFError, TypeError):
            return
        self.version = _code_version()
        if isinstance(data, dict) and data.get("format") == _FORMAT and data.get("version") == self.version:
            entries = data.get("entries")
            if isinstance(entries, dict):
                self.entries = entries

    def entry(self, path: str, module: str, stat: os.stat_result) -> dict[str, Any] | None:
        """The entry when the file is unchanged by time and size (nothing read)."""
        entry = self.entries.get(path)
        if entry is not None and entry.get("module") == module and entry.get("mtime") == stat.st_mtime_ns and entry.get("size") == stat.st_size:
            return entry
        return None

    def entry_for_content(self, path: str, module: str, stat: os.stat_result, digest: str) -> dict[str, Any]:
        """The entry for this content: the old one when the content is the same, else a new one."""
        entry = self.entries.get(path)
        if entry is None or entry.get("module") != module or entry.get("digest") != digest:
            entry = {"module": module, "digest": digest, "findings": {}}
            self.entries[path] = entry
        entry["mtime"], entry["size"] = stat.st_mtime_ns, stat.st_size
        self.dirty = True
        return entry

    def save(self) -> None:
        if self.directory is None or not self.dirty:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by costguard check\n*\n", encoding="utf-8")
            # A name of our own (what tempfile.mkstemp does, without importing tempfile's
            # dependencies): this process's id and a random part, created exclusively.
            temporary = self.directory / f".check-{os.getpid()}-{os.urandom(6).hex()}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            try:
                with os.fdopen(fd, "wb") as handle:
                    marshal.dump({"format": _FORMAT, "version": self.version or _code_version(), "entries": self.entries}, handle)
                os.replace(temporary, self.directory / CACHE_FILE)
            except BaseException:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
                raise
        except OSError:
            pass
