"""Files only their owner can read: the register's directories are created 0700 and its files
0600 whatever the umask, since they hold breach and suspension details, emails and keys."""

import errno
import os
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 (an existing directory is left as it is);
    `OSError` if that cannot be done."""
    missing: list[Path] = []
    at = path
    while not at.is_dir():
        missing.append(at)
        if at.parent == at:
            break
        at = at.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIRECTORY)
        except FileExistsError:
            if not directory.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(directory)) from None
            continue
        # mkdir's mode is masked by the umask; chmod is not
        os.chmod(directory, PRIVATE_DIRECTORY)
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty as 0600 unless it exists; True if this call created it."""
    try:
        write_private_file(path, b"")
    except FileExistsError:
        return False
    return True


def append_private_file(path: Path) -> BinaryIO:
    """Open `path` to append to, creating it as 0600 if it is not there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    return os.fdopen(fd, "ab")


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new file of `data` as 0600; `FileExistsError` if it is already there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)
        handle.write(data)
