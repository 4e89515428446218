"""Content-addressed storage of fetched bytes, keyed by their sha256.

`BlobStore` is the interface; `LocalBlobStore` keeps files under a directory. An S3-compatible
store implements the same three methods (key = sha256 hex, object written once, never changed).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from dwatch.store.files import make_private_dir, tighten_tree


class BlobCorruptedError(Exception):
    """Stored bytes no longer hash to their key."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data` (idempotent) and return its sha256 hex key."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; KeyError if absent, BlobCorruptedError if damaged."""
        ...

    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Files readable by this account only: directories 0700, blobs 0600 (`mkstemp`'s mode)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        tighten_tree(root)  # a store from before blobs were private

    def path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a sha256 hex key: {key!r}")
        # Two levels of fan-out keep directories small.
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = sha256_hex(data)
        target = self.path(key)
        if target.exists():
            return key
        make_private_dir(target.parent)
        # Write to a temporary file in the same directory, then rename: readers see the whole file
        # or none, and a crash leaves at most a stray temporary file, never a truncated blob.
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None
        if sha256_hex(data) != key:
            raise BlobCorruptedError(key)
        return data

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()
