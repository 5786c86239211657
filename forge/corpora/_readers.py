"""Restartable streaming corpora: each ``iter()`` re-reads the source, nothing is held in memory.

A corpus yields sentences as lists of str tokens. Files are read in 1 MiB
chunks, so a single-line text8-style file streams in pieces of
``max_sentence_length`` tokens instead of one 100 MB line.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge._files import file_kind, open_regular
from forge._sentences import refuse_flat_tokens
from forge.corpora._tokenizers import Tokenizer, get_tokenizer
from forge.errors import BadInputError, MissingDataError

__all__ = ["Corpus", "ListCorpus", "TextCorpus", "as_corpus"]

CHUNK_CHARS = 1 << 20
_OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class Corpus:
    """Base class: a restartable iterable of token lists."""

    def __iter__(self) -> Iterator[list[str]]:
        raise NotImplementedError

    def line_sentence_file(self) -> Path | None:
        """A plain file that gensim's ``corpus_file`` mode reads to exactly these sentences, or None."""
        return None

    def count_tokens(self) -> int:
        return sum(len(s) for s in self)


class ListCorpus(Corpus):
    """An in-memory corpus (for tests and small experiments).

    Items may be token lists, or raw strings that are tokenised.

    Examples
    --------
    >>> list(ListCorpus(["The cat sat.", ["a", "b"]]))
    [['the', 'cat', 'sat'], ['a', 'b']]
    """

    def __init__(self, sentences: Sequence[Sequence[str] | str], tokenizer: str | Tokenizer | None = None):
        self.sentences = sentences
        self.tokenizer = tokenizer

    def __iter__(self) -> Iterator[list[str]]:
        tok = get_tokenizer(self.tokenizer)
        for i, sent in enumerate(self.sentences):
            if isinstance(sent, str):
                yield tok(sent)
                continue
            sent = list(sent)
            for t in sent:
                if not isinstance(t, str):
                    raise BadInputError(
                        f"Sentence {i} of the in-memory corpus contains the non-string token {t!r}; tokens must be str."
                    )
            yield sent

    def __len__(self) -> int:
        return len(self.sentences)

    def __repr__(self) -> str:
        return f"ListCorpus({len(self.sentences)} sentences)"


class TextCorpus(Corpus):
    """Text files as a stream of tokenised sentences: one sentence per line.

    Parameters
    ----------
    source : path or list of paths
        A file (plain, ``.gz``, ``.bz2`` or ``.xz``), a directory (all its
        files, recursively, in sorted order) or a list of those.
    tokenizer : str or callable, default "regex"
        A registered tokenizer name (``regex``: lower-cased words;
        ``whitespace``: split on whitespace, case kept) or a callable.
    max_sentence_length : int
        Longer lines are cut into pieces of this many tokens (text8 is one
        line of 17M words).
    encoding : str
        Text encoding of the files; undecodable bytes raise a clear error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.txt"
    >>> _ = p.write_text("The cat sat.\\n\\nA dog barked!\\n")
    >>> list(TextCorpus(p))
    [['the', 'cat', 'sat'], ['a', 'dog', 'barked']]
    """

    def __init__(
        self,
        source: str | Path | Sequence[str | Path],
        tokenizer: str | Tokenizer | None = "regex",
        max_sentence_length: int = 10000,
        encoding: str = "utf-8",
    ):
        self.source = source
        self.tokenizer = tokenizer
        self.max_sentence_length = max_sentence_length
        self.encoding = encoding
        self.files = _expand(source)
        get_tokenizer(tokenizer)  # fail early on an unknown name
        if isinstance(max_sentence_length, bool) or not isinstance(max_sentence_length, int) or max_sentence_length < 1:
            raise BadInputError(f"max_sentence_length must be an integer >= 1, got {max_sentence_length!r}.")
        try:
            if not getattr(codecs.lookup(encoding), "_is_text_encoding", True):  # "rot13", "base64": not text
                raise LookupError(encoding)
        except (LookupError, TypeError):
            raise BadInputError(
                f"Unknown text encoding {encoding!r} for the corpus; pass a Python codec name "
                f"such as 'utf-8' or 'latin-1'."
            ) from None

    def __repr__(self) -> str:
        more = "..." if len(self.files) > 3 else ""
        return f"TextCorpus({[str(f) for f in self.files][:3]}{more}, tokenizer={self.tokenizer!r})"

    def __iter__(self) -> Iterator[list[str]]:
        tok = get_tokenizer(self.tokenizer)
        for path in self.files:
            for line in _read_lines(path, self.encoding):
                tokens = tok(line)
                for start in range(0, len(tokens), self.max_sentence_length):
                    yield tokens[start : start + self.max_sentence_length]

    def line_sentence_file(self) -> Path | None:
        # Hand gensim's corpus_file mode this very file only when it reads it to the same sentences and
        # trains as well as on them: one plain UTF-8 file, split on whitespace, LF or CRLF line ends,
        # no line longer than CORPUS_FILE_MAX_WORDS (see there). Anything else is re-cut by the caller.
        if (
            len(self.files) != 1
            or self.tokenizer != "whitespace"
            or self.files[0].suffix in _OPENERS
            or self.encoding.lower().replace("_", "-") not in ("utf-8", "utf8")
        ):
            return None
        stats = scan_line_file(self.files[0])  # raises the reader's own errors for NUL bytes, bad UTF-8
        if stats.lone_cr or stats.odd_space or stats.max_tokens > min(self.max_sentence_length, CORPUS_FILE_MAX_WORDS):
            return None
        return self.files[0]


# gensim's corpus_file mode reads each batch until it holds more than 10,000 words (keeping the line that
# crossed the limit) but trains on at most 10,000 of them after subsampling (MAX_SENTENCE_LEN): the rest of
# the batch is skipped. On lines of 10,000 words that skipped 27% of the words of gensim-default and cost
# about 0.06 WordSim-353 rho and 3 analogy points on the text8 prefix; on lines of at most 1,000 words it
# trains as many words as iterable mode (at sample=0, 0.7% fewer). Lines fed to corpus_file mode are
# therefore at most this long (issue 9, item 11; benchmarks/word2vec_quality.py).
CORPUS_FILE_MAX_WORDS = 1000

# whitespace for Python's str.split() but not for gensim's C++ reader (C isspace)
_ODD_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


@dataclass(frozen=True)
class LineFileStats:
    """What one binary pass over a plain text file found (see :func:`scan_line_file`)."""

    max_tokens: int  # the most whitespace-separated tokens on one line
    lone_cr: bool  # a CR not followed by LF (an old-Mac line end, which gensim does not split on)
    odd_space: bool  # a character str.split() treats as whitespace but gensim's reader does not


def scan_line_file(path: Path, encoding: str = "utf-8") -> LineFileStats:
    """Scan ``path`` once in binary chunks; the result is cached by (path, size, mtime).

    Raises the same :class:`BadInputError` as reading the file with
    :class:`TextCorpus` would, for NUL bytes and undecodable text, so that
    gensim's ``corpus_file`` mode never meets a file forge's own reader refuses.
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, encoding)
    if key in _SCAN_CACHE:
        return _SCAN_CACHE[key]
    decoder = codecs.getincrementaldecoder(encoding)()
    longest = current = 0
    in_token = prev_cr = lone_cr = odd_space = False
    line_no = 1
    with open_regular(path, "Corpus file") as handle:
        while True:
            chunk = handle.read(CHUNK_CHARS)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeError as exc:
                raise _decode_error(path, encoding, line_no, exc) from None
            if not chunk:
                break
            if b"\x00" in chunk:
                raise _binary_error(path, line_no + chunk[: chunk.index(b"\x00")].count(b"\n"))
            odd_space = odd_space or _ODD_SPACE.search(text) is not None
            if prev_cr and not chunk.startswith(b"\n"):
                lone_cr = True
            lone_cr = lone_cr or chunk[:-1].count(b"\r") > chunk.count(b"\r\n")
            prev_cr = chunk.endswith(b"\r")
            line_no += chunk.count(b"\n")
            for i, piece in enumerate(chunk.split(b"\n")):
                if i:  # a newline ended the previous line
                    longest, current, in_token = max(longest, current), 0, False
                if not piece:
                    continue
                words = len(piece.split())
                if in_token and not piece[:1].isspace():
                    words -= 1  # a token cut by the chunk boundary was already counted
                current += words
                in_token = not piece[-1:].isspace()
    stats = LineFileStats(max(longest, current), lone_cr or prev_cr, odd_space)
    _SCAN_CACHE[key] = stats
    return stats


def max_tokens_per_line(path: Path) -> int:
    """The largest number of whitespace-separated tokens on one line, read in binary chunks."""
    return scan_line_file(path).max_tokens


_SCAN_CACHE: dict[tuple[str, int, int, str], LineFileStats] = {}


def as_corpus(data: Iterable[Sequence[str]] | str | Path) -> Iterable[Sequence[str]]:
    """Accept a corpus object, a path (read with ``TextCorpus``) or a list of sentences."""
    if isinstance(data, (str, Path)):
        return TextCorpus(data)
    if isinstance(data, (list, tuple)):
        refuse_flat_tokens(data, "fit()")  # ["the", "king", ...] is not read as one-word sentences
        return ListCorpus(data)
    if isinstance(data, Iterator):
        raise BadInputError(
            "The corpus is a one-shot iterator (e.g. a generator); encoders read the corpus "
            "more than once. Pass a list, a forge.corpora.TextCorpus or another restartable iterable."
        )
    return data


def _expand(source: str | Path | Sequence[str | Path]) -> list[Path]:
    sources = [source] if isinstance(source, (str, Path)) else list(source)
    files: list[Path] = []
    for src in sources:
        path = Path(src)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not found:
                raise BadInputError(f"Corpus directory {path} contains no files.")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():  # a FIFO, socket or device: it can be read only once
            raise BadInputError(
                f"Corpus path {path} is not a regular file or directory ({_file_kind(path)}); "
                f"encoders read a corpus more than once, so save the stream to a file first "
                f"(e.g. cat {path} > corpus.txt)."
            )
        else:
            raise MissingDataError(
                f"Corpus file {path} does not exist; check the path (relative paths are relative to {Path.cwd()})."
            )
    if not files:
        raise BadInputError("TextCorpus got an empty list of files.")
    return files


def _file_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:  # a symlink loop, a permission problem
        return f"cannot be read: {exc.strerror or exc}"
    return file_kind(mode)


@contextmanager
def _open_text(path: Path, encoding: str) -> Iterator[io.TextIOBase]:
    # opened once, as a regular file: checked on the open descriptor, so a path swapped for a FIFO
    # or /dev/zero after TextCorpus() listed it is refused before a byte is read
    with open_regular(path, "Corpus file") as raw:
        opener = _OPENERS.get(path.suffix)
        binary: Any = opener(raw, "rb") if opener is not None else raw
        with io.TextIOWrapper(binary, encoding=encoding, newline=None) as text:
            yield text


def _read_lines(path: Path, encoding: str) -> Iterator[str]:
    """Lines of ``path``; a line longer than a chunk is yielded in whitespace-cut pieces."""
    pending = ""
    line_no = 1
    try:
        with _open_text(path, encoding) as handle:
            while True:
                chunk = handle.read(CHUNK_CHARS)
                if not chunk:
                    break
                if "\x00" in chunk:
                    raise _binary_error(path, line_no + chunk[: chunk.index("\x00")].count("\n"))
                pending += chunk
                lines = pending.split("\n")
                pending = lines.pop()
                line_no += len(lines)
                yield from lines
                if len(pending) > CHUNK_CHARS:  # a very long line: emit up to its last space
                    cut = pending.rfind(" ")
                    if cut > 0:
                        yield pending[:cut]
                        pending = pending[cut + 1 :]
            if pending:
                yield pending
    except UnicodeError as exc:  # UnicodeDecodeError, or a codec's own complaint (UTF-16 without a BOM)
        raise _decode_error(path, encoding, line_no, exc) from None
    except LookupError:
        raise BadInputError(
            f"Cannot read corpus file {path}: unknown text encoding {encoding!r}; pass a "
            f"Python codec name such as 'utf-8' or 'latin-1'."
        ) from None
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise BadInputError(
            f"Cannot read corpus file {path} near line {line_no}: {exc}. Is the compressed "
            f"file truncated or damaged? Re-download or re-compress it."
        ) from None


def _binary_error(path: Path, line_no: int) -> BadInputError:
    return BadInputError(
        f"{path} looks like a binary file (NUL byte near line {line_no}); a corpus must be "
        f"text, one sentence per line. A UTF-16 file has NUL bytes too: convert it to UTF-8 "
        f"(e.g. iconv -f UTF-16 -t UTF-8)."
    )


def _decode_error(path: Path, encoding: str, line_no: int, exc: UnicodeError) -> BadInputError:
    detail = f"{exc.reason} at byte {exc.start} of a chunk" if isinstance(exc, UnicodeDecodeError) else str(exc)
    return BadInputError(
        f"{path} is not valid {encoding} text near line {line_no} ({detail}); is it a binary "
        "file? Pass encoding=... if it is text in another encoding (a UTF-16 file must be "
        "converted to UTF-8 or read with encoding='utf-16')."
    )
