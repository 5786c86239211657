"""Pretrained word vectors by name: fetched into forge's cache, verified, converted once, then memory-mapped.

``forge.load_vectors("glove-wiki-gigaword-100")`` looks the name up in the registry
(:mod:`forge._pretrained_records`: URL, size, checksums, format, licence), and then

1. downloads the file through pooch into ``<cache>/vectors/downloads`` (see
   :func:`forge._paths.cache_dir`; ``FORGE_CACHE_DIR`` moves it). The bytes arrive in a
   ``.part`` file; a broken transfer is resumed from where it stopped with an HTTP ``Range``
   request (retried at once, and again on the next call), so a 1.7 GB file is never fetched twice;
2. verifies it against the published checksum (sha256, else gensim-data's md5) before it enters
   the cache: a mismatch is an error and nothing is kept. A file no source publishes a checksum
   for is pinned on first download (its sha256 is recorded in ``<cache>/vectors/pins.json`` and
   later downloads must match it) with an :class:`~forge.errors.UnverifiedDownloadWarning`;
3. converts it once into ``<cache>/vectors/<name>/`` (``vectors.npy``, ``words.txt``,
   ``meta.json``), written to a temporary folder and renamed into place;
4. loads that folder with the matrix memory-mapped (read-only): a second load takes the time
   to read the word list, whatever the size of the matrix.

``FORGE_VECTORS_URL`` replaces every source with ``$FORGE_VECTORS_URL/<file>`` (a local mirror).
Records marked ``manual`` (Baidu Netdisk share pages) are downloaded by hand into the downloads
folder; forge then pins, converts and loads them the same way.
"""

from __future__ import annotations

import bz2
import dataclasses
import datetime as _dt
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from forge._folders import FolderLock
from forge._paths import cache_dir
from forge._persist import atomic_file
from forge._vectors_io import keyed_vectors, load_vector_file
from forge._version import __version__
from forge.errors import BadInputError, CorruptModelError, MissingDataError, UnknownNameError, UnverifiedDownloadWarning

__all__ = [
    "VectorsRecord",
    "fetch",
    "get_record",
    "is_pretrained_name",
    "load_pretrained",
    "load_vectors",
    "registry",
    "status",
]

_CHUNK = 1 << 20
_RETRY_PAUSE = 1.0  # seconds before retry k is k * this (tests set 0)
_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class VectorsRecord:
    """One pretrained vector file (fields as in :mod:`forge._pretrained_records`)."""

    name: str
    url: str
    file: str
    format: str
    licence: str
    description: str
    language: str = "en"
    dim: int | None = None
    n_words: int | None = None
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    member: str | None = None
    manual: bool = False

    def source(self) -> str:
        """The URL to fetch: the record's, or ``$FORGE_VECTORS_URL/<file>`` when that is set."""
        mirror = os.environ.get("FORGE_VECTORS_URL")
        return f"{mirror.rstrip('/')}/{self.file}" if mirror else self.url


_REGISTRY: dict[str, VectorsRecord] | None = None


def registry() -> dict[str, VectorsRecord]:
    """Every registered name -> its :class:`VectorsRecord` (the same dict on every call)."""
    global _REGISTRY
    if _REGISTRY is None:
        from forge._pretrained_records import (
            RECORDS,  # lazy: the records are read on the first lookup, not by import forge
        )

        _REGISTRY = {name: VectorsRecord(name=name, **fields) for name, fields in RECORDS.items()}
    return _REGISTRY


def is_pretrained_name(name: Any) -> bool:
    """Whether ``name`` is a registered pretrained-vectors name."""
    return isinstance(name, str) and name in registry()


def get_record(name: str) -> VectorsRecord:
    """The record of ``name``; an unknown name raises :class:`~forge.errors.UnknownNameError` listing them."""
    try:
        return registry()[name]
    except KeyError:
        raise UnknownNameError("pretrained vectors", name, registry()) from None


def vectors_dir() -> Path:
    """``<forge cache>/vectors``."""

    return cache_dir() / "vectors"


# ----------------------------------------------------------------------------------------------- status
def status(record: VectorsRecord) -> str:
    """``"ready"`` (converted), ``"downloaded"``, ``"partial NN%"``, or ``"-"`` (nothing cached)."""
    root = vectors_dir()
    if (root / record.name / "meta.json").is_file():
        return "ready"
    if (root / "downloads" / record.file).is_file():
        return "downloaded"
    part = _part_path(record)
    if part.is_file():
        have = part.stat().st_size
        return f"partial {100 * have / record.size:.0f}%" if record.size else f"partial {_human(have)}"
    return "-"


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover - the loop always returns


def table() -> list[dict[str, str]]:
    """One row per name: name, size, format, language, licence, cached status (for ``forge list --vectors``)."""
    pins = _read_pins()
    return [
        {
            "name": r.name,
            "size": _human(r.size or pins.get(r.file, {}).get("size")) + (" *" if r.manual else ""),
            "format": r.format,
            "language": r.language,
            "cached": status(r),
            "licence": re.split(r" \(|; ", r.licence)[0],
        }
        for r in registry().values()
    ]


# ---------------------------------------------------------------------------------------------- fetching
def _part_path(record: VectorsRecord) -> Path:
    return vectors_dir() / "downloads" / ".partial" / f"{record.file}.part"


def _pins_path() -> Path:
    return vectors_dir() / "pins.json"


def _read_pins() -> dict[str, Any]:
    path = _pins_path()
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise BadInputError(
            f"{path} is not valid JSON ({exc}); it records the sha256 forge pinned for downloads without a "
            f"published checksum. Delete it to pin them again on their next download."
        ) from None


def _pin(record: VectorsRecord, sha256: str, size: int) -> None:

    pins = _read_pins()
    pins[record.file] = {
        "sha256": sha256,
        "size": size,
        "url": record.source(),
        "pinned": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    with atomic_file(_pins_path(), "w", encoding="utf-8") as fh:
        json.dump(pins, fh, indent=1, sort_keys=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 * _CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _Interrupted(Exception):
    """The transfer broke off more often than the retries allow; the ``.part`` file is kept."""


class _ResumingDownloader:
    """A pooch downloader that appends to a kept ``.part`` file and resumes it with HTTP ``Range``.

    pooch hands it a temporary path next to the final file, verifies that path's hash and renames it
    into the cache (or deletes it on a mismatch); the ``.part`` file is moved onto that path only once
    it is complete.
    """

    def __init__(self, part: Path, size: int | None, retries: int, progress: bool):
        self.part, self.size, self.retries, self.progress = part, size, retries, progress

    def __call__(self, url: str, output_file: Any, pooch: Any = None, check_only: bool = False) -> Any:
        if check_only:  # pragma: no cover - pooch asks this only for Pooch.is_available
            return True
        self.part.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(self.retries + 1):
            error: BaseException = RuntimeError("the server answered another range than the one asked for")
            try:
                if self._get(url):
                    break
            except urllib.error.HTTPError as exc:
                if exc.code == 416:  # the range starts past the file: the part is stale, start over
                    self.part.unlink(missing_ok=True)
                elif exc.code < 500:
                    raise MissingDataError(f"{url} answered HTTP {exc.code} ({exc.reason}).") from None
                error = exc
            except (OSError, http.client.HTTPException) as exc:  # dropped connection, timeout, refused
                error = exc
            if attempt == self.retries:
                have = self.part.stat().st_size if self.part.exists() else 0
                raise _Interrupted(f"{type(error).__name__}: {error}", have) from None
            time.sleep(_RETRY_PAUSE * (attempt + 1))
        os.replace(self.part, output_file)
        return None

    def _get(self, url: str) -> bool:
        """Fetch what is missing from the part file; True when it is complete."""
        have = self.part.stat().st_size if self.part.exists() else 0
        if self.size is not None and have == self.size:
            return True
        if self.size is not None and have > self.size:
            self.part.unlink()
            have = 0

        request = urllib.request.Request(url, headers={"User-Agent": f"forge/{__version__}"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            start = 0
            if have and response.status == 206:
                match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
                start = int(match.group(1)) if match else -1
                if start != have:  # a range we did not ask for: fetch the whole file again
                    self.part.unlink()
                    return False
            length = response.headers.get("Content-Length")
            total = start + int(length) if length is not None else self.size
            bar = _bar(total, start, self.progress, url)
            try:
                with open(self.part, "ab" if start else "wb") as fh:
                    while block := response.read(_CHUNK):
                        fh.write(block)
                        bar.update(len(block))
            finally:
                bar.close()
        got = self.part.stat().st_size
        if total is not None and got < total:
            raise http.client.IncompleteRead(b"", total - got)
        return True


def _bar(total: int | None, initial: int, enabled: bool, url: str) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm  # lazy: the progress bar only when a download starts

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], leave=False)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def fetch(name: str, *, progress: bool | None = None, retries: int = 3) -> Path:
    """Download (or resume) the file of ``name`` into the cache, verified; its path.

    A file already in the cache is checked again by pooch against the checksum; see the module
    docstring for the pinning of files without a published one.
    """
    import pooch  # lazy: pooch (and requests) only when a file is fetched

    record = get_record(name)
    downloads = vectors_dir() / "downloads"
    target = downloads / record.file
    pinned = _read_pins().get(record.file, {}).get("sha256")
    sha256 = record.sha256 or pinned
    if record.manual:
        return _manual(record, target, sha256)
    known = f"sha256:{sha256}" if sha256 else f"md5:{record.md5}" if record.md5 else None
    url = record.source()
    downloader = _ResumingDownloader(
        _part_path(record), record.size, retries, sys.stderr.isatty() if progress is None else progress
    )
    try:
        pooch.retrieve(url, known_hash=known, fname=record.file, path=downloads, downloader=downloader)
    except _Interrupted as exc:
        reason, have = exc.args
        raise MissingDataError(
            f"The download of {url} for {name!r} broke off after {have:,} of "
            f"{record.size if record.size is not None else '?'} bytes ({reason}), {retries + 1} tries. The part "
            f"is kept at {_part_path(record)}: call again to resume it from there."
        ) from None
    except ValueError as exc:  # pooch's checksum mismatch (the temporary file is deleted)
        raise BadInputError(
            f"The download of {url} for {name!r} does not match its checksum: {exc} Nothing was kept in the "
            f"cache ({downloads}). The transfer was corrupted or the source changed the file; call again to "
            f"download it anew, or fetch it by hand and check it against the source's checksum."
        ) from None
    except MissingDataError:
        raise
    except OSError as exc:
        raise MissingDataError(
            f"Could not download {url} for {name!r} ({type(exc).__name__}: {exc}). Check the network, or set "
            f"FORGE_VECTORS_URL to a mirror that serves {record.file}."
        ) from None
    if not sha256:
        _trust_first(record, target, verified_by_md5=record.md5 is not None)
    return target


def _manual(record: VectorsRecord, target: Path, sha256: str | None) -> Path:
    if not target.is_file():
        raise MissingDataError(
            f"{record.name!r} cannot be downloaded by a program: its source is a share page, {record.url}. "
            f"Download {record.file} there and put it at {target}; forge then pins its sha256, converts it "
            f"and loads it."
        )
    if sha256:
        got = _sha256(target)
        if got != sha256:
            raise BadInputError(
                f"{target} has sha256 {got}, but forge pinned {sha256} for {record.file} when it first saw it "
                f"({_pins_path()}). Replace the file with the original, or delete its entry in the pins file."
            )
    else:
        _trust_first(record, target, verified_by_md5=False)
    return target


def _trust_first(record: VectorsRecord, target: Path, verified_by_md5: bool) -> None:
    """Pin the sha256 of a first download; warn when no published checksum verified it."""
    sha256 = _sha256(target)
    _pin(record, sha256, target.stat().st_size)
    if not verified_by_md5:
        warnings.warn(
            f"{record.file} ({record.name!r}) has no published checksum, so forge could not verify it: it "
            f"pinned the sha256 of this first download, {sha256}, in {_pins_path()}; later downloads are "
            f"checked against it.",
            UnverifiedDownloadWarning,
            stacklevel=4,
        )


# ------------------------------------------------------------------------------------ conversion, loading
def _unpacked(record: VectorsRecord, raw: Path, work: Path) -> Path:
    """The vector file itself: a zip member or a bz2 stream written out under ``work``; gzip is read as is."""
    if record.member is not None:
        try:
            with zipfile.ZipFile(raw) as archive, archive.open(record.member) as src:
                out = work / Path(record.member).name
                with open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise BadInputError(
                f"{raw} is not a zip archive holding {record.member} ({exc}); delete it so that it is downloaded again."
            ) from None
        return out
    with open(raw, "rb") as fh:
        magic = fh.read(3)
    if magic == b"BZh":
        out = work / raw.name.removesuffix(".bz2")
        with bz2.open(raw, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)
        return out
    return raw


def _convert(record: VectorsRecord, raw: Path, encoding: str, unicode_errors: str) -> Path:
    """Read the downloaded file once into ``<cache>/vectors/<name>/`` (npy + words + meta), atomically."""
    final = vectors_dir() / record.name
    work = vectors_dir() / f".{record.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        path = _unpacked(record, raw, work)
        fmt = "word2vec" if record.format == "fasttext" else record.format
        enc = load_vector_file(path, format=fmt, encoding=encoding, unicode_errors=unicode_errors)
        if path != raw:
            path.unlink()
        np.save(work / "vectors.npy", np.ascontiguousarray(enc.vectors_, dtype=np.float32), allow_pickle=False)
        (work / "words.txt").write_text("\n".join(enc.vocabulary.words), encoding="utf-8")
        meta = {
            "name": record.name,
            "url": record.source(),
            "file": record.file,
            "member": record.member,
            "format": record.format,
            "shape": list(enc.vectors_.shape),
            "duplicates_skipped": enc.source_.get("duplicates_skipped", 0),
            "licence": record.licence,
        }
        (work / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def load_pretrained(
    name: str,
    limit: int | None = None,
    *,
    format: str = "auto",
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    oov: str = "error",
    progress: bool | None = None,
) -> Any:
    """Fetch, verify, convert (once) and load the pretrained vectors called ``name``, memory-mapped.

    ``format`` must be ``"auto"`` or the record's own; ``encoding``/``unicode_errors`` apply to the one
    conversion. Returns a :class:`forge.encoders.KeyedVectorsEncoder` whose matrix is a read-only map of
    ``<cache>/vectors/<name>/vectors.npy``.
    """
    record = get_record(name)
    if format not in ("auto", record.format):
        raise BadInputError(
            f"format={format!r} for the pretrained vectors {name!r}, whose format is {record.format!r}; leave "
            f"format='auto' for a registered name."
        )
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise BadInputError(f"limit must be a positive integer or None, got {limit!r}.")
    folder = vectors_dir() / name
    if not (folder / "meta.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        # one process fetches and converts; another asking for the same name at the same time waits for
        # it, then opens its conversion (instead of downloading again and replacing the folder under it)
        with FolderLock(folder, wait=True):
            if not (folder / "meta.json").is_file():
                raw = fetch(name, progress=progress)
                folder = _convert(record, raw, encoding, unicode_errors)
    return _open(record, folder, limit, oov)


def _open(record: VectorsRecord, folder: Path, limit: int | None, oov: str) -> Any:
    try:
        matrix = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        words = (folder / "words.txt").read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError) as exc:
        raise CorruptModelError(
            f"The converted vectors of {record.name!r} in {folder} cannot be read ({exc}); delete that folder "
            f"and load again to convert the download anew."
        ) from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words) or matrix.dtype != np.float32:
        raise CorruptModelError(
            f"{folder}: vectors.npy has shape {matrix.shape} ({matrix.dtype}) for {len(words)} words; the "
            f"conversion is damaged. Delete that folder and load again."
        )
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    source = {
        "kind": "pretrained",
        "name": record.name,
        "url": record.source(),
        "path": str(folder),
        "format": record.format,
        "limit": limit,
        "licence": record.licence,
        "sha256": record.sha256 or _read_pins().get(record.file, {}).get("sha256"),
    }
    # the words are unique (deduplicated when converted)
    return keyed_vectors(words, dict(zip(words, range(len(words)))), matrix, oov, source)


def load_vectors(
    path: str | Path,
    format: str = "auto",
    limit: int | None = None,
    *,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    oov: str = "error",
) -> Any:
    """Read a word-vector file into a static encoder every forge call accepts.

    Parameters
    ----------
    path : str or Path
        A word2vec text or binary, GloVe or fastText ``.vec`` file, optionally gzip-compressed; or the name
        of well-known pretrained vectors (``forge list --vectors``, e.g. ``"glove-wiki-gigaword-100"``):
        downloaded once into forge's cache, verified, converted, then memory-mapped (:mod:`forge._pretrained`).
    format : {"auto", "word2vec", "word2vec-binary", "glove", "fasttext"}
        ``"auto"`` detects it (and explains what it tried when it cannot).
    limit : int, optional
        Read only the first ``limit`` vectors (files list the most frequent words first).
    encoding, unicode_errors : str
        How words are decoded (``unicode_errors="replace"`` for files with broken bytes).
    oov : {"error", "zero", "unk"}
        OOV policy of the returned encoder.

    Returns
    -------
    forge.encoders.KeyedVectorsEncoder
        A float32 ``(vocab, dim)`` matrix and its words, with the gensim-style surface
        (``kv["word"]``, ``most_similar(positive=..., negative=...)``...).

    Examples
    --------
    >>> import forge, tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "glove.txt")
    >>> _ = Path(path).write_text("the 0.1 0.2\\nking 0.3 -0.1\\n")
    >>> kv = forge.load_vectors(path)
    >>> kv.vocabulary.words, kv.dim, kv.source_["format"]
    (['the', 'king'], 2, 'glove')
    """
    if isinstance(path, str) and is_pretrained_name(path) and not Path(path).exists():
        # e.g. "glove-wiki-gigaword-100": fetched into the cache once, verified, converted, memory-mapped
        return load_pretrained(path, limit, format=format, encoding=encoding, unicode_errors=unicode_errors, oov=oov)
    return load_vector_file(path, format, limit, encoding=encoding, unicode_errors=unicode_errors, oov=oov)
