"""Opening files forge reads: regular files only, checked before a byte is read, and one sha256.

Every reader (datasets, corpora, vector files, saved models, caches) opens its
input through :func:`open_regular`: the file is opened without blocking
(``O_NONBLOCK``, so a FIFO with no writer cannot hang the open), then
``fstat`` of the open descriptor must say "regular file" before anything is
read. A pipe, socket, character device (``/dev/zero`` never ends) or block
device is a :class:`~forge.errors.BadInputError` naming the path and its
kind. Checking the descriptor rather than the path leaves no window for the
path to be swapped between the check and the read.

:func:`sha256_file` is the one digest of a file in forge: it reads in bounded
1 MiB chunks through :func:`open_regular`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from forge.errors import BadInputError

__all__ = ["CHUNK", "check_regular", "file_kind", "open_regular", "sha256_file"]

CHUNK = 1 << 20  # bytes read at a time when hashing: memory stays bounded whatever the file


def file_kind(mode: int) -> str:
    """A reader's word for what ``mode`` (``st_mode``) is: 'a directory', 'a FIFO (named pipe)'..."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refusal(path: Path, mode: int, what: str) -> BadInputError:
    return BadInputError(
        f"{what} {path} is {file_kind(mode)}, not a regular file: forge reads only regular files "
        f"(a pipe or device may never end). Save the data to a file first and pass that path."
    )


def check_regular(path: str | Path, what: str = "File") -> None:
    """Raise :class:`BadInputError` unless ``path`` exists and is a regular file (symlinks followed).

    A missing path raises ``FileNotFoundError`` as :func:`os.stat` does, so callers keep their own
    "not found" messages.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _refusal(Path(path), mode, what)


def open_regular(path: str | Path, what: str = "File", buffering: int = -1) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file before reading a byte.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = Path(p).write_text("hi")
    >>> with open_regular(p) as fh:
    ...     fh.read()
    b'hi'
    >>> open_regular("/dev/null")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    forge.errors.BadInputError: File /dev/null is a character device, not a regular file ...
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refusal(Path(path), mode, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # regular files never block; restore ordinary semantics
        return open(fd, "rb", buffering=buffering, closefd=True)
    except BaseException:
        os.close(fd)
        raise


# (device, inode, size, mtime, ctime) -> digest of files forge itself just hashed while saving; any
# change to a file changes its ctime (which no user call can set), so a stale entry never matches
_RECENT: dict[tuple[int, int, int, int, int], str] = {}


def sha256_file(path: str | Path, what: str = "File", *, reuse: bool = False) -> str:
    """The sha256 (64 hex digits) of the regular file at ``path``, read in bounded chunks.

    ``reuse=True`` (saving only: the marker of a folder forge has just written) takes the digest
    from an earlier call on the very same, unchanged file instead of reading it twice.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = Path(p).write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open_regular(path, what, buffering=0) as handle:
        st = os.fstat(handle.fileno())
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if reuse and key in _RECENT:
            return _RECENT[key]
        while block := handle.read(CHUNK):
            digest.update(block)
    if len(_RECENT) > 4096:
        _RECENT.clear()
    _RECENT[key] = digest.hexdigest()
    return _RECENT[key]
