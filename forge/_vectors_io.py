"""Reading word-vector files: word2vec text and binary, GloVe, fastText ``.vec``, each also gzipped.

:func:`load_vector_file` streams rows into one preallocated float32 matrix, so a
file never costs much more memory than its matrix: text rows are parsed in
blocks of a few thousand lines by numpy's C float parser, binary rows are
copied straight from the file buffer.

Formats
-------
``word2vec`` / ``fasttext``
    a header line ``COUNT DIM``, then ``word v1 ... vDIM`` per line (fastText's
    ``.vec`` is the same layout).
``word2vec-binary``
    the header line, then per row ``word<SPACE>`` followed by DIM little-endian
    float32 values (optionally a newline), as written by the original C tool.
``glove``
    no header: ``word v1 ... vDIM`` per line; DIM is the number of values on
    the first line. Words may contain spaces (GloVe 840B): the last DIM fields
    are the vector, everything before them the word.

``format="auto"`` reads the first line: two integers make a header (then the
next line decides text or binary), otherwise the file must look like GloVe.
Gzip is detected from the file's magic bytes, not its name.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from forge._files import check_regular, open_regular
from forge._registry import get_encoder_class
from forge.errors import BadInputError
from forge.vocab import Vocabulary

__all__ = ["VECTOR_FORMATS", "detect_vectors_format", "keyed_vectors", "load_vector_file"]

VECTOR_FORMATS = ("auto", "word2vec", "word2vec-binary", "glove", "fasttext")
_BLOCK_BYTES = 2 << 20  # text parsed ~2 MB at a time
_BUFFER = 1 << 20


def _open(path: Path) -> BinaryIO:
    """The file, decompressed when gzipped; refused before a byte is read unless it is a regular file."""
    raw = open_regular(path, "Vector file", buffering=_BUFFER)
    try:
        if raw.peek(2)[:2] != b"\x1f\x8b":  # type: ignore[attr-defined]
            return raw
        unzipped = gzip.GzipFile(fileobj=raw, mode="rb")
        unzipped.myfileobj = raw  # type: ignore[assignment]  # GzipFile closes myfileobj on close()
        return io.BufferedReader(unzipped, buffer_size=_BUFFER)
    except BaseException:
        raw.close()
        raise


def _gzipped(path: Path) -> bool:
    with open_regular(path, "Vector file") as fh:
        return fh.read(2) == b"\x1f\x8b"


# deflate expands data at most about 1032 times: the most a gzipped file can hold
_GZIP_RATIO = 1032


def _check_capacity(path: Path, fmt: str, header: bytes, rows: int, dim: int) -> None:
    """Refuse a header whose ``rows`` x ``dim`` cannot fit in the file, before anything is allocated.

    A text row needs at least ``2 + 2 * dim`` bytes (a one-letter word, a separator and a digit per
    value, a newline); a binary row ``2 + 4 * dim`` (word, space, float32 values).
    """
    size = path.stat().st_size - len(header)
    zipped = _gzipped(path)
    capacity = size * _GZIP_RATIO if zipped else size
    per_row = 2 + (4 if fmt == "word2vec-binary" else 2) * dim
    holds = max(capacity + 1, 0) // per_row  # the last row may lack its newline
    if rows > holds:
        shown = header.strip()[:60].decode("utf-8", "replace")
        raise BadInputError(
            f"{path}: the header {shown!r} promises {rows} vectors of dimension {dim} ({fmt}), but the "
            f"file{' (gzipped)' if zipped else ''} has {size} bytes after the header: room for at most "
            f"{holds} such vectors (each needs at least {per_row} bytes"
            f"{', uncompressed; gzip expands at most ' + str(_GZIP_RATIO) + 'x' if zipped else ''}). "
            f"The header is wrong or the file is truncated: fix the header"
            + (f", or pass limit={holds} to read only the rows that can be there." if holds else ".")
        )


def _header(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _text_row(line: bytes, dim: int | None) -> bool:
    """Does ``line`` read as ``word v1 ... vDIM`` (DIM given or any)?"""
    try:
        parts = line.decode("utf-8").split()
    except UnicodeDecodeError:
        return False
    n = len(parts) - 1 if dim is None else dim
    if n < 1 or len(parts) < n + 1:
        return False
    try:
        [float(x) for x in parts[-n:]]
    except ValueError:
        return False
    return dim is None or len(parts) == dim + 1 or len(parts) > dim + 1


def detect_vectors_format(path: str | Path) -> str:
    """``"word2vec"``, ``"word2vec-binary"`` or ``"glove"`` for the file at ``path`` (see the module docstring).

    Raises :class:`forge.errors.BadInputError` saying what was tried when none fits.
    """
    path = Path(path)
    with _open(path) as fh:
        first = fh.readline()
        second = fh.peek(_BUFFER)[:_BUFFER].split(b"\n", 1)[0] if hasattr(fh, "peek") else b""
    head = _header(first)
    if head is not None:
        if _text_row(second, head[1]):
            return "word2vec"
        if b" " in second[:1000]:
            return "word2vec-binary"
        raise BadInputError(
            f"{path}: cannot tell the vector format. Tried: word2vec/fastText text (header {first.strip()[:40]!r} "
            f"is fine, but line 2 is not 'word' plus {head[1]} numbers) and word2vec binary (line 2 has no "
            f"'word<space>' start). Pass format=... explicitly if the file is one of {VECTOR_FORMATS[1:]}."
        )
    if _text_row(first, None):
        return "glove"
    shown = first[:60].decode("utf-8", "replace")
    raise BadInputError(
        f"{path}: cannot tell the vector format. Tried: a word2vec/fastText header 'COUNT DIM' on line 1 "
        f"(line 1 is {shown!r}), and a GloVe line 'word v1 v2 ...' (its fields after the first are not "
        f"all numbers). Supported: word2vec text and binary, GloVe, fastText .vec, each optionally gzipped."
    )


def _count_lines(path: Path) -> int:
    """Non-blank lines (for GloVe files, which have no header to preallocate from)."""
    n, last = 0, b"\n"
    with _open(path) as fh:
        while chunk := fh.read(_BUFFER * 8):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def load_vector_file(
    path: str | Path,
    format: str = "auto",
    limit: int | None = None,
    *,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    oov: str = "error",
) -> Any:
    """Read a word-vector file (no pretrained names: :func:`forge.load_vectors` resolves those first).

    The parameters are those of :func:`forge.load_vectors`; the result is a ``KeyedVectorsEncoder``.
    """
    path = Path(path)
    if format not in VECTOR_FORMATS:
        raise BadInputError(f"format={format!r} is not a vector format; choose one of {VECTOR_FORMATS}.")
    if not path.exists() or path.is_dir():
        raise BadInputError(
            f"No vector file at {path}"
            + (" (it is a directory: for a model saved with encoder.save() use forge.load)" if path.is_dir() else "")
            + "."
        )
    check_regular(path, "Vector file")  # a FIFO or /dev/zero: refused before a byte is read
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise BadInputError(f"limit must be a positive integer or None, got {limit!r}.")
    reader = _Reader(path, encoding, unicode_errors)
    try:
        fmt = detect_vectors_format(path) if format == "auto" else format
        if fmt == "fasttext":
            fmt = "word2vec"
        words, matrix = reader.read(fmt, limit)
    except (OSError, EOFError, zlib.error) as exc:  # a damaged gzip stream, an I/O error
        raise BadInputError(
            f"Cannot read vector file {path}: {type(exc).__name__}: {exc}. Is the (gzipped) file "
            f"truncated or damaged? Download or decompress it again."
        ) from None
    source = {"kind": "file", "path": str(path), "format": fmt, "limit": limit, "duplicates_skipped": reader.duplicates}
    return keyed_vectors(words, reader.index, matrix, oov, source)


def keyed_vectors(words: list[str], index: dict[str, int], matrix: Any, oov: str, source: dict[str, Any]) -> Any:
    """The "vectors" encoder holding ``matrix`` (row ``i`` = ``words[i]``, unique words, ``index`` their rows).

    Found by its registered name (:mod:`forge.encoders.vectors`): the core never imports the layer above.
    """
    vocab = Vocabulary.__new__(Vocabulary)  # words are unique already: reuse the caller's index
    vocab.words, vocab.index, vocab.specials = words, index, []
    vocab.counts = np.zeros(len(words), dtype=np.int64)
    enc = get_encoder_class("vectors")(vector_size=int(matrix.shape[1]), oov=oov)
    enc.validate_params()
    enc._set(vocab, matrix, source)
    return enc


class _Reader:
    def __init__(self, path: Path, encoding: str, errors: str):
        self.path, self.encoding, self.errors = path, encoding, errors
        self.duplicates = 0
        self.index: dict[str, int] = {}  # word -> row, handed to the Vocabulary (no second dict)

    def _bad(self, line_no: int, msg: str, line: bytes = b"") -> BadInputError:
        shown = line[:80].decode("utf-8", "replace").rstrip()
        return BadInputError(
            f"{self.path}, line {line_no}: {msg}"
            + (f" (line starts {shown!r})" if shown else "")
            + ". Fix or remove that line, or pass limit= to stop before it."
        )

    def _word(self, raw: bytes, line_no: int) -> str:
        try:
            return raw.decode(self.encoding, self.errors)
        except UnicodeDecodeError as exc:
            raise self._bad(
                line_no,
                f"the word is not valid {self.encoding} ({exc.reason}); pass "
                f"unicode_errors='replace' to read it anyway",
                raw,
            ) from None

    def read(self, fmt: str, limit: int | None) -> tuple[list[str], np.ndarray]:
        self.fmt = fmt
        with _open(self.path) as fh:
            first = fh.readline()
        self._check_told(fmt, first)
        if fmt == "glove":
            parts = first.split()
            if len(parts) < 2:
                raise self._bad(1, "expected 'word v1 v2 ...' (GloVe)", first)
            dim, rows, skip = len(parts) - 1, _count_lines(self.path), 0
        else:
            head = _header(first)
            if head is None:
                raise self._bad(
                    1,
                    f"expected a 'COUNT DIM' header for format {fmt!r}; a GloVe file "
                    f"has none: use format='glove' (or 'auto')",
                    first,
                )
            rows, dim = head
            skip = 1
            if dim < 1:
                raise self._bad(1, f"dimension {dim} is not positive", first)
            if rows < 1:
                raise self._bad(1, f"the header promises {rows} vectors; the file holds none to read", first)
        n = rows if limit is None else min(rows, limit)
        if fmt != "glove":
            _check_capacity(self.path, fmt, first, n, dim)
        if fmt == "word2vec-binary":
            self._check_binary_layout(first, min(rows, 8), dim)
        matrix = np.empty((n, dim), dtype=np.float32)
        with _open(self.path) as fh:
            if skip:
                fh.readline()
            words = self._binary(fh, matrix) if fmt == "word2vec-binary" else self._text(fh, matrix, skip + 1)
        if len(words) < n:
            if fmt == "glove" or self.duplicates:
                matrix = matrix[: len(words)]  # blank lines were counted; a view, no copy
            else:
                raise BadInputError(
                    f"{self.path}: the header promises {rows} vectors but the file ends after "
                    f"{len(words)}; it is truncated (or pass limit={len(words)})."
                )
        return words, matrix

    def _check_told(self, fmt: str, first: bytes) -> None:
        """The format the caller named must fit the file's first two lines (no silent garbage)."""
        with _open(self.path) as fh:
            fh.readline()
            second = fh.readline(_BUFFER)
        head = _header(first)
        shown = first.strip()[:40].decode("utf-8", "replace")
        if fmt == "glove" and head is not None:  # "COUNT DIM" is never a GloVe row: no vector has integer dim 1
            raise BadInputError(
                f"{self.path}: format='glove' was given, but line 1 {shown!r} is a word2vec/fastText "
                f"header (COUNT DIM), not a GloVe row: read as GloVe every word would get a 1-dimensional "
                f"vector. Use format='word2vec' (or 'word2vec-binary'), or format='auto'."
            )
        if fmt == "word2vec-binary" and head is not None and _text_row(second.rstrip(b"\r\n"), None):
            raise BadInputError(
                f"{self.path}: format='word2vec-binary' was given, but after the header {shown!r} line 2 "
                f"is text ('word' and {head[1]} numbers): the file is word2vec text. Use "
                f"format='word2vec' (or 'auto')."
            )

    # ------------------------------------------------------------------ text
    def _lines(self, fh: BinaryIO, line_no: int) -> Iterator[list[tuple[int, bytes]]]:
        while block := fh.readlines(_BLOCK_BYTES):
            out = []
            for raw in block:
                line = raw.rstrip(b"\r\n")
                if line.strip():
                    out.append((line_no, line))
                line_no += 1
            yield out

    def _text(self, fh: BinaryIO, matrix: np.ndarray, line_no: int) -> list[str]:
        n, dim = matrix.shape
        words: list[str] = []
        seen = self.index
        row = 0
        for block in self._lines(fh, line_no):
            if row >= n:
                break
            block = block[: n - row]
            heads, rests = [], []
            for _, line in block:
                head, _, rest = line.partition(b" ")
                heads.append(head)
                rests.append(rest)
            values = None
            with contextlib.suppress(ValueError):  # the slow path below says what is wrong
                values = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")  # C parser, ~10x float()
            if values is None or values.size != len(block) * dim:
                heads, values = self._slow_block(block, dim, exact=self.fmt != "glove")
            values = values.reshape(len(block), dim)
            for k, (ln, _) in enumerate(block):
                word = self._word(heads[k], ln)
                if word in seen:  # gensim's rule: the first vector of a duplicated word wins
                    self.duplicates += 1
                    continue
                seen[word] = row
                matrix[row] = values[k]
                words.append(word)
                row += 1
        return words

    def _slow_block(
        self, block: list[tuple[int, bytes]], dim: int, exact: bool = False
    ) -> tuple[list[bytes], np.ndarray]:
        """Line-by-line parse: words with spaces (GloVe 840B only; ``exact``: word2vec/fastText rows are a word and
        exactly ``dim`` numbers, as gensim requires), tabs, and exact errors with line numbers."""
        heads, values = [], np.empty((len(block), dim), dtype=np.float32)
        for k, (ln, line) in enumerate(block):
            parts = line.split()
            if len(parts) < dim + 1 or (exact and len(parts) > dim + 1):
                raise self._bad(
                    ln,
                    f"expected a word and {dim} numbers, found {len(parts) - 1} numbers"
                    + (" (the dimension the file gave on its first lines)" if exact else ""),
                    line,
                )
            try:
                values[k] = [float(x) for x in parts[-dim:]]
            except ValueError:
                bad = next(x for x in parts[-dim:] if not _is_float(x))
                raise self._bad(ln, f"{bad[:20].decode('utf-8', 'replace')!r} is not a number", line) from None
            heads.append(b" ".join(parts[:-dim]))
        return heads, values

    # ---------------------------------------------------------------- binary
    def _check_binary_layout(self, header: bytes, rows: int, dim: int) -> None:
        """The first rows must read as ``word<space>`` + ``4 * dim`` bytes, each followed by a newline or none of
        them: a header whose dimension is wrong shifts every row after the first and is refused here, even
        when ``limit`` would stop after one row."""
        with _open(self.path) as fh:
            fh.readline()
            blob = fh.read(min(rows, 8) * (4 * dim + 10002) + 1)
        shown = header.strip()[:40].decode("utf-8", "replace")

        def mismatch(k: int, what: str) -> BadInputError:
            return BadInputError(
                f"{self.path}: with the header's dimension {dim} ({shown!r}), vector {k} {what}: the dimension "
                f"does not match the rows, or the file is truncated or not word2vec binary. Fix the header, or try "
                f"format='auto'."
            )

        pos, newline = 0, None
        for k in range(1, rows + 1):
            while blob[pos : pos + 1] == b"\n":  # gensim skips newlines before a word
                pos += 1
            space = blob.find(b" ", pos, pos + 10001)
            end = space + 1 + 4 * dim
            if space < 0 or end > len(blob):  # the file ends inside this row (the blob holds up to 8 rows)
                raise mismatch(
                    k, f"is cut short (the file ends {len(blob) - pos} bytes into it): the file is truncated or"
                )
            if b"\n" in blob[pos:space]:
                raise mismatch(k, "has a newline inside its word")
            after = blob[end : end + 1]
            if not after:
                break
            if newline is None:
                newline = after == b"\n"
            elif (after == b"\n") != newline:
                raise mismatch(k, f"{'is not' if newline else 'is'} followed by a newline where vector 1 "
                               f"{'was' if newline else 'was not'}")  # fmt: skip
            pos = end

    # ---------------------------------------------------------------- binary (rows)
    def _binary(self, fh: BinaryIO, matrix: np.ndarray) -> list[str]:
        n, dim = matrix.shape
        width = 4 * dim
        words: list[str] = []
        seen = self.index
        buf, pos, row, offset = b"", 0, 0, 0  # offset: file position of buf[0] after the header

        def refill() -> bool:
            nonlocal buf, pos, offset
            more = fh.read(_BUFFER)
            if not more:
                return False
            offset += pos
            buf, pos = buf[pos:] + more, 0
            return True

        k = 0
        while row < n:
            k += 1
            while (space := buf.find(b" ", pos)) < 0 or len(buf) - space - 1 < width:
                if not refill():
                    if len(buf) - pos <= 1:
                        return words
                    raise BadInputError(
                        f"{self.path}: vector {k} (byte {offset + pos} after the header) is "
                        f"truncated: expected a word, a space and {width} bytes. The file is cut "
                        f"short or is not word2vec binary (try format='auto')."
                    )
            raw = buf[pos:space].lstrip(b"\n")
            if len(raw) > 10000 or b"\n" in raw:
                raise BadInputError(
                    f"{self.path}: vector {k} (byte {offset + pos} after the header) does not "
                    f"start with 'word<space>'; the file is not word2vec binary with "
                    f"dimension {dim}, or is corrupt."
                )
            word = self._word(raw, k + 1)
            vec = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
            pos = space + 1 + width
            if word in seen:
                self.duplicates += 1
                continue
            seen[word] = row
            matrix[row] = vec
            words.append(word)
            row += 1
        return words


def _is_float(x: bytes) -> bool:
    try:
        float(x)
        return True
    except ValueError:
        return False
