"""Folders forge writes: atomic replacement, ownership markers, a save lock, rename-window recovery.

A folder forge saves (a model, a checkpoint, a report) holds a marker file
``.forge-KIND`` (``KIND`` is ``model``, ``checkpoint``, ``report``...) that
lists the files of the save and their sizes. forge replaces an existing
folder only when it is empty or carries the marker of the same kind and
nothing that the marker does not list; any other folder is refused with a
:class:`~forge.errors.BadInputError` naming a few of the foreign files. The
current directory (and every folder above it) is always refused.

The replacement itself is two renames (``path -> .NAME.old-XXXX``, then
``.NAME.tmp-XXXX -> path``). A process killed between them leaves the
previous copy only in ``.NAME.old-XXXX``; :func:`recover` renames a complete
copy back (readers call it when ``path`` is missing). Leftover ``.tmp-*`` /
``.old-*`` folders holding a forge marker are removed by the next save to
the same path. Saves to one path hold the lock file ``.NAME.lock`` (an
advisory ``flock``, released by the kernel even on SIGKILL); a second,
concurrent save fails at once with a forge error and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from forge._files import file_kind, open_regular, sha256_file
from forge._version import __version__
from forge.errors import BadInputError, RecoveredWarning

try:  # POSIX; elsewhere the lock is an exclusive-create file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FolderLock",
    "RecoveredWarning",
    "atomic_dir",
    "check_replaceable",
    "marker_name",
    "read_marker",
    "recover",
    "refuse_cwd",
]

log = logging.getLogger("forge")
MARKER_PREFIX = ".forge-"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def marker_name(kind: str) -> str:
    return f"{MARKER_PREFIX}{kind}"


def read_marker(folder: Path, kind: str) -> dict[str, Any] | None:
    """The marker of ``kind`` in ``folder`` (None when absent or unreadable)."""
    try:
        with open_regular(folder / marker_name(kind), "Marker") as handle:  # a FIFO there must not block
            data = json.loads(handle.read(1 << 24).decode("utf-8"))
    except (OSError, ValueError, RecursionError, BadInputError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == kind else None


def _tree(folder: Path) -> Iterator[Path]:
    """Every entry under ``folder``, never descending into a symbolic link."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in sorted(dirs):
            yield base / name
        for name in sorted(files):
            yield base / name


def _write_marker(folder: Path, kind: str, complete: bool) -> None:
    """The ownership marker: every file of the save with its size and sha256 (once complete)."""
    files = {}
    if complete:
        for p in _tree(folder):
            if p.is_file() and not p.is_symlink() and p.name != marker_name(kind):
                files[p.relative_to(folder).as_posix()] = {
                    "size": p.stat().st_size,
                    "sha256": sha256_file(p, "Saved file", reuse=True),
                }
    data = {"kind": kind, "forge_version": __version__, "complete": complete, "files": files}
    (folder / marker_name(kind)).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _listed(marker: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The marker's ``files`` when every entry is ``{"size": int, "sha256": 64 hex}`` (else None: not believed)."""
    files = marker.get("files")
    if not isinstance(files, dict):
        return None
    for name, entry in files.items():
        if (
            not isinstance(name, str)
            or not name
            or name.startswith("/")
            or "\\" in name
            or any(part in ("", ".", "..") for part in name.split("/"))
            or not isinstance(entry, dict)
            or type(entry.get("size")) is not int
            or not isinstance(entry.get("sha256"), str)
            or not _HEX64.fullmatch(entry["sha256"])
        ):
            return None
    return files


def _mismatch(folder: Path, kind: str, listed: dict[str, dict[str, Any]]) -> list[str]:
    """What in ``folder`` the marker does not prove forge wrote (empty: the folder is forge's).

    A file counts as forge's only when the marker lists it with the size and sha256 it has now;
    symbolic links and special files never do (forge writes neither), wherever they are.
    """
    bad: list[str] = []
    present: set[str] = set()
    for p in _tree(folder):
        rel = p.relative_to(folder).as_posix()
        if rel == marker_name(kind):
            continue
        if p.is_symlink() or not (p.is_file() or p.is_dir()):
            bad.append(rel)
        elif p.is_file():
            present.add(rel)
            entry = listed.get(rel)
            try:
                ok = (
                    entry is not None
                    and p.stat().st_size == entry["size"]
                    and sha256_file(p, "Saved file", reuse=True) == entry["sha256"]  # an unchanged file only
                )
            except (OSError, BadInputError):
                ok = False
            if not ok:
                bad.append(rel)
    bad += [f"{rel} (listed, missing)" for rel in listed if rel not in present and rel not in bad]
    return bad


def _is_complete(folder: Path, kind: str) -> bool:
    """The marker says the save finished and every file is listed with its size and sha256, nothing more."""
    marker = read_marker(folder, kind)
    if not marker or marker.get("complete") is not True:
        return False
    listed = _listed(marker)
    return listed is not None and not _mismatch(folder, kind, listed)


def _sizes_only_complete(folder: Path, kind: str) -> bool:
    """A complete marker of the previous forge (sizes only) matching the folder: enough to pick a copy to
    restore when ``verify`` (e.g. a model's own checksums) vouches for its content as well."""
    marker = read_marker(folder, kind)
    files = marker.get("files") if marker else None
    if not marker or marker.get("complete") is not True or not isinstance(files, dict):
        return False
    present = {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in _tree(folder)
        if p.is_file() and not p.is_symlink() and p.name != marker_name(kind)
    }
    return present == files


def _shown(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ------------------------------------------------------------------ refusing folders forge does not own
def refuse_cwd(path: Path) -> None:
    resolved, cwd = path.resolve(), Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise BadInputError(
            f"Refusing to save into {str(path)!r}: it is the current directory"
            f"{'' if resolved == cwd else ' or a folder above it'} ({resolved}), and a save "
            f"replaces its folder. Give a new sub-folder instead, e.g. {str(path / 'model')!r}."
        )


def refuse_symlink(path: Path) -> None:
    """A save never goes through a symbolic link: replacing the link would empty the folder behind it."""
    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        raise BadInputError(
            f"Refusing to save to {path}: it is a symbolic link (to {target}). forge does not save "
            f"through a link (replacing it would empty the folder behind it); save to the real folder "
            f"({path.resolve()}) directly, or remove the link first."
        )


def check_replaceable(path: Path, kind: str, legacy: Callable[[Path], bool] | None = None) -> None:
    """Raise unless a save of ``kind`` may replace ``path`` (absent, empty, or forge's own of that kind).

    The folder is forge's own when its marker lists every file in it, sub-folders included, with the
    size and sha256 it has now (``legacy(path)`` may vouch for a folder of an earlier forge instead).
    A marker that does not match is not believed; symbolic links and special files anywhere in the
    folder make it foreign; ``path`` itself must not be a symbolic link.
    """
    refuse_symlink(path)
    if not path.exists():
        return
    if not path.is_dir():
        raise BadInputError(
            f"Cannot save to {path}: it exists and is not a folder. Choose another path, or move that file away."
        )
    try:
        entries = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        raise BadInputError(f"Cannot save to {path}: its contents cannot be read ({exc}).") from None
    if not entries:
        return
    marker = read_marker(path, kind)
    listed = _listed(marker) if marker is not None else None
    if listed is not None:
        foreign = _mismatch(path, kind, listed)
        if not foreign or (legacy is not None and legacy(path)):
            return
        raise BadInputError(
            f"Refusing to replace {path}: it has a forge {kind} marker, but the marker does not match "
            f"what is there (files forge did not write, files changed since, links or special files): "
            f"{_shown(foreign)}. Move those out of the folder, or save to another path."
        )
    others = [e[len(MARKER_PREFIX) :] for e in entries if e.startswith(MARKER_PREFIX) and e != marker_name(kind)]
    if others:
        raise BadInputError(
            f"Refusing to save a {kind} into {path}: it holds a forge {others[0]}, not a {kind}. "
            f"Choose another path (forge never replaces one kind of folder with another)."
        )
    if legacy is not None and legacy(path):
        return  # written by an earlier forge (no marker, or sizes only) that proves itself otherwise
    raise BadInputError(
        f"Refusing to save into {path}: the folder is not empty and forge cannot show that it wrote "
        f"it (it holds {_shown(entries)}). forge replaces only a folder it saved itself; choose a new "
        f"or empty folder, or move those files away first."
    )


# ------------------------------------------------------------------ lock
class FolderLock:
    """An exclusive, non-blocking lock on saving ``path``: the file ``.NAME.lock`` beside it.

    ``flock`` is released by the kernel when the process dies, so a killed save never blocks the
    next one; the holder removes the file when done.
    """

    def __init__(self, path: Path, wait: bool = False):
        self.path = Path(path)
        self.file = self.path.parent / f".{self.path.name}.lock"
        self.fd: int | None = None
        self.wait = wait  # block until the holder is done (a download others will use) instead of refusing

    def _busy(self) -> BadInputError:
        return BadInputError(
            f"Cannot save to {self.path}: another process is saving there right now (it holds "
            f"{self.file}). Wait for it to finish, or save to another path."
        )

    def _not_a_lock(self, what: str) -> BadInputError:
        return BadInputError(
            f"Cannot save to {self.path}: the lock file {self.file} is {what}; forge creates its lock "
            f"files itself and never follows a link or opens anything else there. Remove {self.file} "
            f"(after checking what it is) and save again."
        )

    def _open(self) -> int:
        """A descriptor of the lock file: created exclusively, or (left by a killed save) reopened; never
        through a symbolic link and only a regular file."""
        nofollow = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        while True:
            try:
                return os.open(self.file, os.O_RDWR | os.O_CREAT | os.O_EXCL | nofollow, 0o644)
            except FileExistsError:
                pass
            if self.file.is_symlink():
                raise self._not_a_lock(f"a symbolic link (to {os.readlink(self.file)})")
            try:
                fd = os.open(self.file, os.O_RDWR | getattr(os, "O_NONBLOCK", 0) | nofollow)
            except FileNotFoundError:
                continue  # its holder removed it between our two opens: create it again
            except OSError:
                if self.file.is_symlink():
                    raise self._not_a_lock("a symbolic link") from None
                raise
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                os.close(fd)
                raise self._not_a_lock(file_kind(mode))
            return fd

    def acquire(self) -> None:
        try:
            if fcntl is None:  # pragma: no cover - Windows
                try:
                    self.fd = os.open(self.file, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    raise BadInputError(
                        f"Cannot save to {self.path}: {self.file} exists (another save is running, "
                        f"or one was killed: then delete that file)."
                    ) from None
                return
            while True:
                fd = self._open()
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise self._busy() from None
                try:  # the previous holder may have unlinked the file between our open and flock
                    st = os.lstat(self.file)
                    same = st.st_ino == os.fstat(fd).st_ino and stat.S_ISREG(st.st_mode)
                except FileNotFoundError:
                    same = False
                if same:
                    self.fd = fd
                    return
                os.close(fd)
        except OSError as exc:
            raise BadInputError(
                f"Cannot save to {self.path}: cannot create the lock file {self.file} ({exc}). "
                f"Is the folder {self.path.parent} writable?"
            ) from None

    def release(self) -> None:
        if self.fd is None:
            return
        with suppress(OSError):
            os.unlink(self.file)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# ------------------------------------------------------------------ atomic replacement
def _leftovers(path: Path, which: str) -> list[Path]:
    pattern = f".{glob_escape(path.name)}.{which}-*"
    return [
        p
        for p in path.parent.glob(pattern)
        if p.is_dir() and not p.is_symlink() and any(q.name.startswith(MARKER_PREFIX) for q in p.iterdir())
    ]


def _remove_marked(folder: Path, kind: str | None = None) -> None:
    """Delete a folder forge marked, the marker last: a kill halfway leaves it recognisable for the next save.

    With ``kind`` and a complete marker of that kind, only what the marker lists (with its size) is
    removed, sub-folders included; anything else is left where it is, with the folder and its marker.
    """
    if folder.is_symlink():  # never follow a link into a folder forge did not write
        folder.unlink()
        return
    marker = read_marker(folder, kind) if kind is not None else None
    listed = _listed(marker) if marker is not None and marker.get("complete") is True else None
    if listed is not None:
        kept = False
        for root, dirs, files in os.walk(folder, topdown=False, followlinks=False):
            base = Path(root)
            for name in files + [d for d in dirs if (base / d).is_symlink()]:
                p = base / name
                rel = p.relative_to(folder).as_posix()
                if rel == marker_name(kind or ""):
                    continue
                entry = listed.get(rel)
                try:
                    if entry is not None and not p.is_symlink() and p.is_file() and p.stat().st_size == entry["size"]:
                        p.unlink()
                        continue
                except OSError:
                    pass
                kept = True
            for name in dirs:
                with contextlib.suppress(OSError):  # not empty: it holds something the marker does not list
                    (base / name).rmdir()
        if kept:
            log.warning("%s holds files its marker does not list; forge left them there.", folder)
            return
        try:
            (folder / marker_name(kind or "")).unlink()
            folder.rmdir()
        except OSError:
            pass
        return
    entries = sorted(folder.iterdir(), key=lambda p: p.name.startswith(MARKER_PREFIX))
    for p in entries:
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError:
            return  # keep the marker: the next save tries again
    with suppress(OSError):
        folder.rmdir()


def _remove_stale(path: Path) -> None:
    """Remove ``.NAME.tmp-*`` / ``.NAME.old-*`` folders a killed save left (only those forge marked)."""
    for p in _leftovers(path, "tmp") + _leftovers(path, "old"):
        _remove_marked(p)
    stem = glob_escape(path.name)
    for p in [*path.parent.glob(f".{stem}.tmp-*"), *path.parent.glob(f".{stem}.old-*")]:
        with contextlib.suppress(OSError):
            p.rmdir()  # empty ones too (a kill right after mkdtemp): removing an empty folder loses nothing


@contextmanager
def atomic_dir(path: str | Path, kind: str = "folder", legacy: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    ``path`` must be absent, empty, or a folder forge saved as ``kind`` that holds nothing else
    (``legacy(path)`` may accept folders of an earlier forge without a marker); otherwise
    :class:`~forge.errors.BadInputError`. Concurrent saves to one path: the second fails at once.

    Examples
    --------
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "out")
    >>> with atomic_dir(d, kind="example") as tmp:
    ...     _ = (tmp / "a.txt").write_text("hi")
    >>> sorted(os.listdir(d))
    ['.forge-example', 'a.txt']
    """
    path = Path(path)
    refuse_cwd(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"Cannot save to {path}: cannot create its parent folder ({exc}).") from None
    with FolderLock(path):
        check_replaceable(path, kind, legacy)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        except OSError as exc:
            raise BadInputError(f"Cannot save to {path}: cannot write in {path.parent} ({exc}).") from None
        try:
            tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it owner-only; a saved folder is an ordinary folder
            _write_marker(tmp, kind, complete=False)
            yield tmp
            _write_marker(tmp, kind, complete=True)
            if path.exists() or path.is_symlink():
                check_replaceable(path, kind, legacy)  # again: files may have been added while we wrote
                old = path.parent / f".{path.name}.old-{secrets.token_hex(4)}"
                os.rename(path, old)
                os.rename(tmp, path)
                if old.is_symlink():  # swapped for a link after the check: remove the link, not its target
                    old.unlink()
                elif read_marker(old, kind) is None:  # an earlier forge's folder: mark it, so a kill while
                    _write_marker(old, kind, complete=False)  # deleting it leaves it recognisable
                    _remove_marked(old)
                else:
                    _remove_marked(old, kind)
            else:
                os.rename(tmp, path)
            _remove_stale(path)
        finally:
            if tmp.exists():
                _remove_marked(tmp)
                shutil.rmtree(tmp, ignore_errors=True)  # (when the marker was never written)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------ the rename window
def recover(path: str | Path, kind: str, verify: Callable[[Path], bool] | None = None) -> Path | None:
    """Restore ``path`` from a complete ``.NAME.old-*`` copy when a save was killed between its renames.

    Called by readers when ``path`` is missing (or an empty folder). A copy counts only when its
    marker says the save was complete, every listed file has its size, and ``verify(copy)`` (e.g.
    the checksums) agrees. Returns the path to read from (``path`` after the rename back; the copy
    itself when another save holds the lock), or None when there is nothing to recover.
    """
    path = Path(path)
    if path.is_dir() and any(path.iterdir()):
        return None
    if path.exists() and not path.is_dir():
        return None
    candidates = [
        p
        for p in _leftovers(path, "old")
        if (_is_complete(p, kind) or (verify is not None and _sizes_only_complete(p, kind)))
        and (verify is None or verify(p))
    ]
    if verify is not None:  # forge before markers moved the folder to .NAME.old-XXXX/x
        candidates += [
            p / "x"
            for p in path.parent.glob(f".{glob_escape(path.name)}.old-*")
            if p.is_dir()
            and not p.is_symlink()
            and [q.name for q in p.iterdir()] == ["x"]
            and (p / "x").is_dir()
            and verify(p / "x")
        ]
    if not candidates:
        return None
    best = max(candidates, key=lambda p: p.stat().st_mtime)
    lock = FolderLock(path)
    try:
        lock.acquire()
    except BadInputError:  # a save (or another reader's recovery) is running: read whichever copy is there
        return best if best.is_dir() else path
    try:
        if path.is_dir():
            path.rmdir()  # an empty folder (checked above)
        os.rename(best, path)
        if best.name == "x":
            best.parent.rmdir()
    except OSError:
        return path if path.is_dir() and any(path.iterdir()) else best
    finally:
        lock.release()
    source = best.parent.name if best.name == "x" else best.name
    msg = (
        f"{path} was missing: a save was interrupted between its two renames. forge restored the complete "
        f"previous {kind} from {source}."
    )
    log.warning(msg)
    warnings.warn(msg, RecoveredWarning, stacklevel=3)
    return path
