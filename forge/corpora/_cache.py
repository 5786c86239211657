"""Derived corpus files in forge's cache, written atomically and checked before each use.

A cache file ``NAME`` comes with ``NAME.json`` recording its size and sha256.
A file whose record is missing or does not match (a truncated copy, a crash
between the two writes, a hand edit) is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from forge._files import sha256_file
from forge._persist import atomic_file
from forge.errors import BadInputError

__all__ = ["cached_lines"]

_FORMAT = 1


def cached_lines(path: Path, build: Callable[[], Iterable[str]]) -> Path:
    """``path``, (re)built from the lines that ``build()`` yields unless its record matches it.

    Parameters
    ----------
    path : Path
        The cache file (inside ``forge._paths.cache_dir()``).
    build : callable
        Returns the lines of the file, without their ``"\\n"``.

    Returns
    -------
    Path
        ``path``, whose size and sha256 match ``path.json``.
    """
    record = path.with_name(path.name + ".json")
    if _matches(path, record):
        return path
    digest, size = hashlib.sha256(), 0
    try:
        with atomic_file(path, "wb") as out:
            for line in build():
                data = (line + "\n").encode("utf-8")
                digest.update(data)
                size += len(data)
                out.write(data)
        with atomic_file(record, "w", encoding="utf-8") as out:
            json.dump({"format": _FORMAT, "size": size, "sha256": digest.hexdigest()}, out)
    except OSError as exc:
        raise BadInputError(
            f"Cannot write forge's corpus cache {path} ({exc.strerror or exc}); set "
            f"FORGE_CACHE_DIR to a writable directory (e.g. export FORGE_CACHE_DIR=/tmp/forge-cache)."
        ) from None
    return path


def _matches(path: Path, record: Path) -> bool:
    try:
        meta = json.loads(record.read_text(encoding="utf-8"))
        if not (isinstance(meta, dict) and meta.get("format") == _FORMAT and path.stat().st_size == meta["size"]):
            return False
        return sha256_file(path, "Cached corpus") == meta["sha256"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # BadInputError too: rebuilt
        return False
