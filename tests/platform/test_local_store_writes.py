"""The folder lake's atomic writes: temporary files live in ``<root>/.tmp/``, never in a listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secfilings.lake.objects import TMP_FOLDER, LocalObjectStore
from secfilings.scripts.verify_s3_partitions import verify_partitions

KEY = "raw/form=4/year=2025/month=05/0001234567-25-000001.xml"

# a writer that dies between writing its temporary file and moving it onto the key
_DYING_WRITER = """
import os, sys
from secfilings.lake.objects import LocalObjectStore
os.replace = lambda *args: os._exit(7)
LocalObjectStore(sys.argv[1]).put(sys.argv[2], b"<never-visible/>")
"""


def _tmp_files(root: Path) -> list[str]:
    folder = root / TMP_FOLDER
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_put_leaves_only_the_object_and_listings_skip_the_temporary_folder(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    store.put(KEY, b"<a/>")
    store.put(KEY, b"<bb/>")  # overwrite
    assert os.listdir(store.path(KEY).parent) == [os.path.basename(KEY)]
    assert (tmp_path / "lake" / TMP_FOLDER).is_dir()
    assert _tmp_files(tmp_path / "lake") == []
    assert store.list("").keys == [(KEY, 5)]
    assert store.list("", "/").common_prefixes == ["raw/"]


def test_temporary_folder_is_reserved(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    key = f"{TMP_FOLDER}/x.xml"
    with pytest.raises(ValueError, match="reserved") as caught:
        store.put(key, b"x")
    assert repr(key) in str(caught.value)
    assert store.list(f"{TMP_FOLDER}/").keys == []


def test_put_after_its_folder_was_pruned(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    store.put(KEY, b"a")
    store.delete(KEY)  # the partition folders go with the last object
    assert not store.path(KEY).parent.exists()
    other = KEY.replace("000001", "000002")
    store.put(other, b"b")
    assert store.get(other) == b"b"


def test_a_writer_dying_mid_put_leaves_nothing_visible_and_is_swept(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    store = LocalObjectStore(root)
    store.put("raw/form=4/year=2025/month=05/0001234567-25-000009.xml", b"<old/>")
    died = subprocess.run([sys.executable, "-c", _DYING_WRITER, str(root), KEY], check=False)
    assert died.returncode == 7
    orphans = _tmp_files(root)
    assert len(orphans) == 1  # the dead writer's bytes, under .tmp/ only
    assert store.head(KEY) is None
    assert [key for key, _ in store.list("").keys] == ["raw/form=4/year=2025/month=05/0001234567-25-000009.xml"]
    report = verify_partitions(store)
    assert report.ok, report.problems
    LocalObjectStore(root).put(KEY, b"<new/>")  # a new writer on this host removes the orphan
    assert _tmp_files(root) == []
    assert store.get(KEY) == b"<new/>"
