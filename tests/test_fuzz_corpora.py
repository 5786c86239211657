"""Property-based fuzzing of the corpus readers (issue 9): every failure is a ForgeError.

Random bytes, text in other encodings (UTF-16, Latin-1), NUL bytes, CR-only
line ends, truncated or bit-flipped gzip/bz2/xz streams and damaged zip
archives go through every corpus path: ``TextCorpus`` iteration with each
tokenizer, the file handed to gensim's ``corpus_file`` mode, and
``ZipLinesCorpus``. Each either reads, or raises a ``ForgeError`` that names
the file. What is read is the same on every path. Bounded and derandomised.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forge.corpora import TextCorpus, ZipLinesCorpus, gensim_corpus_file
from forge.errors import ForgeError

# 60 inputs per property in the suite; FORGE_FUZZ_EXAMPLES=2000 for a longer attack run
FUZZ = settings(
    max_examples=int(os.environ.get("FORGE_FUZZ_EXAMPLES", "60")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TRIED: Counter[str] = Counter()  # inputs per property, printed with -s (for the closing note)

WORDS = st.sampled_from(["the", "King", "café", "日本語", "naïve", "a-b", "don't", "x" * 40, "🙂", "e\u0301"])
SEPARATORS = st.sampled_from(
    [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\x0b", "\x1c", "\u3000", "\x00", "\ufeff", "\n\n"]
)


@st.composite
def texts(draw) -> str:
    parts = draw(st.lists(st.tuples(WORDS, SEPARATORS), max_size=40))
    return "".join(w + s for w, s in parts) + draw(st.text(max_size=20))


@st.composite
def encoded(draw) -> bytes:
    text = draw(texts())
    how = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "latin-1", "cp1252", "raw"]))
    if how == "raw":
        return draw(st.binary(max_size=300))
    return text.encode(how, errors="replace")


def _damage(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["none", "truncate", "flip", "garbage-tail"]))
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    if how == "garbage-tail":
        return data + draw(st.binary(min_size=1, max_size=20))
    return data


COMPRESS = {".gz": lambda b: gzip.compress(b, mtime=0), ".bz2": bz2.compress, ".xz": lzma.compress, "": bytes}


def _write(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="fuzz-", suffix=suffix or ".txt")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


def _read_all_paths(path: Path, encoding: str = "utf-8") -> None:
    """Read ``path`` on every corpus path; a failure must be a ForgeError naming the file."""
    for tokenizer in ("whitespace", "regex"):
        try:
            corpus = TextCorpus(path, tokenizer=tokenizer, encoding=encoding)
            read = list(corpus)
            with gensim_corpus_file(corpus) as fed:
                fed_words = None if fed is None else [w.decode("utf-8") for w in fed.read_bytes().split()]
        except ForgeError as exc:
            assert path.name in str(exc) or "encoding" in str(exc), exc
            continue
        if tokenizer == "whitespace" and fed is not None:  # gensim reads the same words as forge
            assert fed_words == [w for s in read for w in s]


@FUZZ
@given(data=encoded(), suffix=st.sampled_from(sorted(COMPRESS)), damage=st.data())
def test_text_corpus_files_read_or_give_a_forge_error(data, suffix, damage):
    TRIED["text files (plain, gz, bz2, xz; damaged)"] += 1
    blob = _damage(damage.draw, COMPRESS[suffix](data))
    path = _write(blob, ".txt" + suffix if suffix else ".txt")
    try:
        _read_all_paths(path)
    finally:
        path.unlink()


@FUZZ
@given(
    data=encoded(),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "ascii", "utf-8-sig", "nope-1", "UTF8", "rot13"]),
)
def test_any_encoding_name_reads_or_gives_a_forge_error(data, encoding):
    TRIED["text files x encoding names"] += 1
    path = _write(data, ".txt")
    try:
        _read_all_paths(path, encoding)
    except ForgeError:
        pass  # an unknown encoding name is refused when the corpus is made
    finally:
        path.unlink()


@st.composite
def zips(draw) -> bytes:
    buffer = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for i in range(draw(st.integers(0, 3))):
            archive.writestr(f"ca{i:02d}", draw(encoded()))
    return _damage(draw, buffer.getvalue())


@FUZZ
@given(blob=zips())
def test_zip_corpora_read_or_give_a_forge_error(blob):
    TRIED["zip archives (damaged)"] += 1
    path = _write(blob, ".zip")
    try:
        list(ZipLinesCorpus(path, lambda name: True, str.split))
    except ForgeError as exc:
        assert path.name in str(exc), exc
    finally:
        path.unlink()


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    print("\nfuzzed corpus inputs:", dict(TRIED), "total", sum(TRIED.values()))
