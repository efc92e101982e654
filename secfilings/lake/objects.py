"""Object stores: the lake's bytes, in a local folder (embedded default) or in S3.

Both stores take the same keys (relative, ``/``-separated) and answer ``list`` with the same
delimiter semantics as S3's ``ListObjectsV2``: with a delimiter, keys below the next delimiter
after the prefix are rolled up into ``common_prefixes``. Listing is paginated; every page is one
billable LIST request.

``LocalObjectStore`` records, through :mod:`secfilings.meter`, each request it stands in for.
``S3ObjectStore`` records nothing: the real boto3 calls are counted from botocore's events.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import secrets
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from secfilings import meter

__all__ = [
    "ListResult",
    "ObjectStore",
    "LocalObjectStore",
    "S3ObjectStore",
    "validate_key",
    "delete_keys",
    "DELETE_BATCH",
    "DEFAULT_PAGE_SIZE",
]

DEFAULT_PAGE_SIZE = 1000  # S3's MaxKeys default and maximum
_TMP_SUFFIX = ".tmp-secfilings"
TMP_FOLDER = ".tmp"  # a folder lake's in-flight writes: reserved, never listed
_TMP_NAME = re.compile(r"^(?P<host>[A-Za-z0-9.-]*)-(?P<pid>\d+)-[0-9a-f]+-\d+" + re.escape(_TMP_SUFFIX) + "$")
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


@dataclass
class ListResult:
    """Every page of a listing: ``keys`` as (key, size), ``common_prefixes``, ``pages`` requested.

    ``versions`` maps each key to a token that changes whenever the object is written again
    (S3: its ETag; a folder: the file's inode and modification time, as every put writes a new
    file), from the listing itself (no extra request): a rewrite of the same size is still seen
    as a change.
    """

    keys: list[tuple[str, int]] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    pages: int = 0
    versions: dict[str, str] = field(default_factory=dict, compare=False)  # each store's own tokens


@runtime_checkable
class ObjectStore(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def head(self, key: str) -> int | None: ...

    def list(self, prefix: str = "", delimiter: str | None = None) -> ListResult: ...

    def delete(self, key: str) -> None: ...


#: DeleteObjects' limit: keys per request.
DELETE_BATCH = 1000


def delete_keys(store: Any, keys: "list[str] | tuple[str, ...]") -> int:
    """Delete ``keys`` from ``store``: its ``delete_many`` (S3: DeleteObjects, up to 1,000 keys a
    request) when it has one, else one ``delete`` each; returns the requests made."""
    many = getattr(store, "delete_many", None)
    if many is not None:
        return int(many(list(keys)))
    for key in keys:
        store.delete(key)
    return len(keys)


# segments of plain characters, none starting with a dot: safe without the checks below
_PLAIN_KEY = re.compile(r"[\w=+,@-][\w.=+,@-]*(?:/[\w=+,@-][\w.=+,@-]*)*", re.ASCII)


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise ``ValueError`` naming it."""
    if type(key) is str and _PLAIN_KEY.fullmatch(key):
        return key
    if not isinstance(key, str) or not key:
        raise ValueError(f"invalid object key {key!r}: empty")
    if "\x00" in key:
        raise ValueError(f"invalid object key {key!r}: contains a NUL character")
    if "\\" in key:
        raise ValueError(f"invalid object key {key!r}: contains a backslash")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise ValueError(f"invalid object key {key!r}: absolute keys escape the lake")
    parts = key.split("/")
    if any(part in ("..", ".") for part in parts):
        raise ValueError(f"invalid object key {key!r}: '..' or '.' would escape the lake")
    if any(part == "" for part in parts):
        raise ValueError(f"invalid object key {key!r}: empty path segment")
    return key


def _validate_prefix(prefix: str) -> str:
    if prefix == "":
        return prefix
    # a prefix may end with "/" or be a partial name; the rest must be a valid key
    body = prefix[:-1] if prefix.endswith("/") else prefix
    if body == "":
        raise ValueError(f"invalid list prefix {prefix!r}: absolute prefixes escape the lake")
    validate_key(body)
    return prefix


def _paginate(
    items: list[tuple[str, int]], prefix: str, delimiter: str | None, page_size: int
) -> ListResult:
    """Apply S3's ListObjectsV2 rules to sorted (key, size) items: roll-up, then pages.

    A page holds up to ``page_size`` entries, keys and common prefixes counted together, as S3
    counts them against MaxKeys. An empty listing still costs one request.
    """
    entries: list[tuple[str, int | None]] = []  # (key, size) or (common_prefix, None)
    seen_prefixes: set[str] = set()
    for key, size in items:
        if not key.startswith(prefix):
            continue
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut != -1:
                common = key[: cut + len(delimiter)]
                if common not in seen_prefixes:
                    seen_prefixes.add(common)
                    entries.append((common, None))
                continue
        entries.append((key, size))
    result = ListResult()
    result.pages = max(1, -(-len(entries) // page_size))
    for name, size in entries:
        if size is None:
            result.common_prefixes.append(name)
        else:
            result.keys.append((name, size))
    return result


class LocalObjectStore:
    """A folder holding the lake: key ``a/b/c.json`` is the file ``<root>/a/b/c.json``.

    ``put`` is atomic: the bytes go to a temporary file in ``<root>/.tmp/`` (same filesystem,
    unique name per process and write), which ``os.replace`` then moves onto the key's file, so
    a reader (or a listing) sees the old object or the new one, never part of one, and a crash
    leaves at most an orphan under ``.tmp/``, which listings never show (and which the next
    process on the same host removes once its writer is gone). ``.tmp`` is reserved: no key may
    start with it. Durability is the operating system's: there is no fsync (a power cut may lose
    the latest writes, never expose a partial file under its key).
    """

    def __init__(self, root: str | os.PathLike[str], *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError(f"invalid page_size {page_size!r}: must be at least 1")
        self.root = Path(root).resolve()
        self.page_size = page_size
        self.url = self.root.as_uri()
        self._root = str(self.root)
        self._folders: set[str] = set()  # folders known to exist (put creates them once)
        self._tmp_lock = threading.Lock()
        self._tmp_pid = -1  # the process the temporary names below belong to (forks get new ones)
        self._tmp_prefix = ""
        self._tmp_count = itertools.count()

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file that holds ``key`` (validated; never outside the root)."""
        return Path(self._file(key))

    def _file(self, key: str) -> str:
        parts = validate_key(key).split("/")
        if parts[0] == TMP_FOLDER:
            raise ValueError(f"invalid object key {key!r}: {TMP_FOLDER}/ is reserved for in-flight writes")
        return os.path.join(self._root, *parts)

    def _temp_file(self) -> str:
        if self._tmp_pid != os.getpid():  # first write of this process (or of a forked child)
            with self._tmp_lock:
                if self._tmp_pid != os.getpid():
                    folder = os.path.join(self._root, TMP_FOLDER)
                    os.makedirs(folder, exist_ok=True)
                    host = _host_tag()
                    _sweep_orphans(folder, host)
                    self._tmp_prefix = os.path.join(folder, f"{host}-{os.getpid()}-{secrets.token_hex(4)}-")
                    self._tmp_count = itertools.count()
                    self._tmp_pid = os.getpid()
        return f"{self._tmp_prefix}{next(self._tmp_count)}{_TMP_SUFFIX}"

    def put(self, key: str, data: bytes) -> None:
        target = self._file(key)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        try:
            self._write_and_move(self._temp_file(), data, target, folder)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            # the key's folder is on another filesystem (a mount inside the lake): stage beside it
            name = os.path.basename(self._temp_file())
            self._write_and_move(os.path.join(folder, "." + name), data, target, folder)
        meter.record("s3.PUT")
        meter.record("s3.bytes_in", len(data))

    def _write_and_move(self, tmp: str, data: bytes, target: str, folder: str) -> None:
        try:
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
        except FileNotFoundError:  # someone removed the temporary folder: make it again
            os.makedirs(os.path.dirname(tmp), exist_ok=True)
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            try:
                os.replace(tmp, target)
            except FileNotFoundError:  # the folder was pruned meanwhile (a delete emptied it)
                self._folders.discard(folder)
                os.makedirs(folder, exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def get(self, key: str) -> bytes:
        target = self.path(key)
        meter.record("s3.GET")
        try:
            data = target.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None
        meter.record("s3.bytes_out", len(data))
        return data

    def head(self, key: str) -> int | None:
        target = self.path(key)
        meter.record("s3.HEAD")
        try:
            stat = target.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not target.is_file():
            return None
        return stat.st_size

    def delete(self, key: str) -> None:
        target = self.path(key)
        meter.record("s3.DELETE")
        try:
            target.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return  # S3 deletes of absent keys succeed too
        self._prune(target.parent)

    def delete_many(self, keys: list[str]) -> int:
        """Delete every key (absent ones too, as S3 does); one ``s3.DELETE`` per batch of 1,000
        keys, the requests S3's DeleteObjects would make. Returns that number."""
        paths = [self.path(key) for key in keys]  # every key validated before any is deleted
        requests = -(-len(paths) // DELETE_BATCH)
        meter.record("s3.DELETE", requests)
        for target in paths:
            try:
                target.unlink()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
            self._prune(target.parent)
        return requests

    def _prune(self, parent: Path) -> None:
        # drop now-empty folders up to the root, so empty "partitions" vanish as on S3
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "", delimiter: str | None = None) -> ListResult:
        _validate_prefix(prefix)
        versions: dict[str, str] = {}
        items = sorted(self._walk(prefix, versions))
        result = _paginate(items, prefix, delimiter, self.page_size)
        result.versions = {key: versions[key] for key, _size in result.keys if key in versions}
        meter.record("s3.LIST", result.pages)
        return result

    def _walk(self, prefix: str, versions: dict[str, str] | None = None) -> list[tuple[str, int]]:
        # start from the deepest folder the prefix names, to avoid walking the whole lake
        folder_part = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        if folder_part.split("/")[0] == TMP_FOLDER:
            return []  # in-flight writes are never objects
        start = self.root.joinpath(*folder_part.split("/")) if folder_part else self.root
        if not start.is_dir():
            return []
        found: list[tuple[str, int]] = []
        for dirpath, dirnames, filenames in os.walk(start):
            if dirpath == self._root and TMP_FOLDER in dirnames:
                dirnames.remove(TMP_FOLDER)
            rel_dir = os.path.relpath(dirpath, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            if not dirnames and not filenames and rel_dir and rel_dir.startswith(prefix):
                found.append((rel_dir, 0))  # an empty folder: what S3 shows as a folder marker
            for name in filenames:
                if name.endswith(_TMP_SUFFIX):
                    continue  # an in-flight atomic write
                key = rel_dir + name
                if key.startswith(prefix):
                    try:
                        stat = os.stat(os.path.join(dirpath, name))
                    except FileNotFoundError:
                        continue
                    found.append((key, stat.st_size))
                    if versions is not None:
                        versions[key] = f"{stat.st_ino}-{stat.st_mtime_ns}"
        return found


def _host_tag() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "", socket.gethostname())[:40]


def _sweep_orphans(folder: str, host: str) -> None:
    """Remove temporary files left in ``folder`` by dead processes of this host (a crash mid-put)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TMP_NAME.match(name)
        if match is None or match.group("host") != host or _pid_alive(int(match.group("pid"))):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class S3ObjectStore:
    """An S3 bucket (under an optional prefix) through a boto3 S3 client."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        client: Any = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if not bucket:
            raise ValueError("invalid S3 bucket '': empty")
        if page_size < 1 or page_size > 1000:
            raise ValueError(f"invalid page_size {page_size!r}: must be 1 to 1000")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
        if client is None:
            from secfilings.aws import client as make_client

            client = make_client("s3")
        self.bucket = bucket
        self.prefix = prefix + "/" if prefix else ""
        self.client = client
        self.page_size = page_size
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.url!r})"

    def _full(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None
        return response["Body"].read()

    def head(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(response["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def delete_many(self, keys: list[str]) -> int:
        """DeleteObjects in batches of up to 1,000 keys (absent keys succeed, as with DELETE);
        returns the requests made. A key S3 could not delete raises ``OSError`` naming it."""
        full = [self._full(key) for key in keys]  # every key validated before any is deleted
        requests = 0
        for start in range(0, len(full), DELETE_BATCH):
            batch = full[start : start + DELETE_BATCH]
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            requests += 1
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise OSError(
                    f"S3 DeleteObjects could not delete {len(errors)} key(s), first"
                    f" {first.get('Key')!r}: {first.get('Code')} {first.get('Message', '')}".rstrip()
                )
        return requests

    def list(self, prefix: str = "", delimiter: str | None = None) -> ListResult:
        _validate_prefix(prefix)
        result = ListResult()
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": self.prefix + prefix,
            "MaxKeys": self.page_size,
        }
        if delimiter:
            kwargs["Delimiter"] = delimiter
        strip = len(self.prefix)
        while True:
            page = self.client.list_objects_v2(**kwargs)
            result.pages += 1
            for item in page.get("Contents", ()):
                key = item["Key"][strip:]
                result.keys.append((key, int(item["Size"])))
                if item.get("ETag"):
                    result.versions[key] = str(item["ETag"])
            for common in page.get("CommonPrefixes", ()):
                result.common_prefixes.append(common["Prefix"][strip:])
            if not page.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
        return result
