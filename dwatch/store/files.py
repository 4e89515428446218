"""Files and directories of the store, readable by this account only: the data directory holds
password hashes, notification tokens and archived documents.

New directories are created 0700 and files 0600 by mode, not by changing the process's umask (which
would reach every other file the process writes); existing ones are tightened when the store opens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600

log = logging.getLogger(__name__)


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) as 0700; an existing directory is left as it is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        directory.chmod(PRIVATE_DIR)  # mkdir's mode is masked by the umask


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists. Any failure is left for the caller's own
    open of the file to report, in its terms."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def tighten(path: Path, mode: int) -> bool:
    """Take from `path` the permissions beyond `mode`; True if it had any. A path we cannot change
    (owned by another account) is logged, not fatal: the store still works."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if not current & ~mode:
        return False
    try:
        path.chmod(current & mode)
    except PermissionError:
        log.warning("cannot restrict the permissions of %s (mode %o): owned by another account", path, current)
        return False
    return True


def private_dir(path: Path) -> None:
    """The directory `path`, created or tightened to 0700."""
    make_private_dir(path)
    tighten(path, PRIVATE_DIR)


def tighten_tree(root: Path) -> None:
    """Tighten a directory that was open to others, and everything under it (a store created before
    files were private). A tree already private is not walked, so this is cheap at every start."""
    if not tighten(root, PRIVATE_DIR):
        return
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories:
            tighten(Path(directory, name), PRIVATE_DIR)
        for name in files:
            tighten(Path(directory, name), PRIVATE_FILE)
