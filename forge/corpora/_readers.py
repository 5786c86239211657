"""Restartable streaming corpora: each ``iter()`` re-reads the source, nothing is held in memory.

A corpus yields sentences as lists of str tokens. Files are read in 1 MiB
chunks, so a single-line text8-style file streams in pieces of
``max_sentence_length`` tokens instead of one 100 MB line.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from forge.corpora._tokenizers import Tokenizer, get_tokenizer
from forge.errors import BadInputError, MissingDataError

__all__ = ["Corpus", "TextCorpus", "ListCorpus", "as_corpus"]

CHUNK_CHARS = 1 << 20
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


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
                    raise BadInputError(f"Sentence {i} of the in-memory corpus contains the non-string "
                                        f"token {t!r}; tokens must be str.")
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

    def __init__(self, source: str | Path | Sequence[str | Path], tokenizer: str | Tokenizer | None = "regex",
                 max_sentence_length: int = 10000, encoding: str = "utf-8"):
        self.source = source
        self.tokenizer = tokenizer
        self.max_sentence_length = max_sentence_length
        self.encoding = encoding
        self.files = _expand(source)
        get_tokenizer(tokenizer)  # fail early on an unknown name
        if max_sentence_length < 1:
            raise BadInputError(f"max_sentence_length must be >= 1, got {max_sentence_length}.")

    def __repr__(self) -> str:
        return f"TextCorpus({[str(f) for f in self.files][:3]}{'...' if len(self.files) > 3 else ''}, tokenizer={self.tokenizer!r})"

    def __iter__(self) -> Iterator[list[str]]:
        tok = get_tokenizer(self.tokenizer)
        for path in self.files:
            for line in _read_lines(path, self.encoding):
                tokens = tok(line)
                for start in range(0, len(tokens), self.max_sentence_length):
                    yield tokens[start:start + self.max_sentence_length]

    def line_sentence_file(self) -> Path | None:
        # gensim's corpus_file reader splits a plain file on whitespace but trains only on the first
        # 10000 words of each line, so a file with longer lines (text8) must be re-cut first
        if (len(self.files) == 1 and self.tokenizer == "whitespace" and self.files[0].suffix not in _OPENERS
                and self.max_sentence_length <= GENSIM_MAX_WORDS
                and max_tokens_per_line(self.files[0]) <= self.max_sentence_length):
            return self.files[0]
        return None


GENSIM_MAX_WORDS = 10000  # gensim.models.word2vec.MAX_WORDS_IN_BATCH


def max_tokens_per_line(path: Path) -> int:
    """The largest number of whitespace-separated tokens on one line, read in binary chunks."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _MAX_TOKENS_CACHE:
        return _MAX_TOKENS_CACHE[key]
    longest = current = 0
    in_token = False
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_CHARS):
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
    longest = max(longest, current)
    _MAX_TOKENS_CACHE[key] = longest
    return longest


_MAX_TOKENS_CACHE: dict[tuple[str, int, int], int] = {}


def as_corpus(data: Iterable[Sequence[str]] | str | Path) -> Iterable[list[str]]:
    """Accept a corpus object, a path (read with ``TextCorpus``) or a list of sentences."""
    if isinstance(data, (str, Path)):
        return TextCorpus(data)
    if isinstance(data, (list, tuple)):
        return ListCorpus(data)
    if isinstance(data, Iterator):
        raise BadInputError("The corpus is a one-shot iterator (e.g. a generator); encoders read the corpus "
                            "more than once. Pass a list, a forge.corpora.TextCorpus or another restartable iterable.")
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
        else:
            raise MissingDataError(f"Corpus file {path} does not exist; check the path "
                                   f"(relative paths are relative to {Path.cwd()}).")
    if not files:
        raise BadInputError("TextCorpus got an empty list of files.")
    return files


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    opener = _OPENERS.get(path.suffix, open)
    return opener(path, "rt", encoding=encoding, newline=None)  # type: ignore[call-overload]


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
                    raise BadInputError(f"{path} looks like a binary file (NUL byte near line {line_no}); "
                                        f"a corpus must be text, one sentence per line.")
                pending += chunk
                lines = pending.split("\n")
                pending = lines.pop()
                line_no += len(lines)
                yield from lines
                if len(pending) > CHUNK_CHARS:  # a very long line: emit up to its last space
                    cut = pending.rfind(" ")
                    if cut > 0:
                        yield pending[:cut]
                        pending = pending[cut + 1:]
            if pending:
                yield pending
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path} is not valid {encoding} text near line {line_no} ({exc.reason} at byte "
                            f"{exc.start} of a chunk); is it a binary file? Pass encoding=... if it is text "
                            f"in another encoding.") from None
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise BadInputError(f"Cannot read corpus file {path}: {exc}. Is the compressed file truncated?") from None
