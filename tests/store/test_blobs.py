from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dwatch.store.blobs import BlobCorruptedError, BlobStore, LocalBlobStore


def test_content_addressed_and_idempotent(tmp_path: Path) -> None:
    blobs: BlobStore = LocalBlobStore(tmp_path)
    data = "政府信息公开工作年度报告".encode()
    key = blobs.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert blobs.put(data) == key
    assert blobs.get(key) == data
    assert blobs.exists(key)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [key]


def test_missing_and_corrupted_blobs_are_errors(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    key = blobs.put(b"original")
    with pytest.raises(KeyError):
        blobs.get(hashlib.sha256(b"other").hexdigest())
    blobs.path(key).write_bytes(b"tampered")
    with pytest.raises(BlobCorruptedError):
        blobs.get(key)
    with pytest.raises(ValueError, match="sha256"):
        blobs.get("../../etc/passwd")


def test_a_partial_write_is_never_visible_as_the_blob(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    data = b"x" * 100_000
    key = hashlib.sha256(data).hexdigest()
    # What a crash mid-write leaves behind: a temporary file next to where the blob would go.
    blobs.path(key).parent.mkdir(parents=True)
    (blobs.path(key).parent / ".tmp-crashed").write_bytes(data[:10])
    assert not blobs.exists(key)
    assert blobs.put(data) == key
    assert blobs.get(key) == data


def test_concurrent_writers_of_the_same_content(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * 4096
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: blobs.put(data), range(32)))
    assert len(keys) == 1
    key = keys.pop()
    assert blobs.get(key) == data
    assert list(tmp_path.rglob(".tmp-*")) == []
