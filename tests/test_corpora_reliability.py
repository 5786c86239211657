"""Issue 9, corpus items: one behaviour on every corpus path, checked caches, clear errors.

Every reader (``TextCorpus`` iteration, the file handed to gensim's ``corpus_file``
mode, zip archives) refuses the same damaged inputs with a ``BadInputError`` naming
the file, and every accepted file reads to the same words on every path.
"""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from pathlib import Path

import pytest

import forge
from forge.corpora import (
    CORPUS_FILE_MAX_WORDS,
    TextCorpus,
    ZipLinesCorpus,
    gensim_corpus_file,
)
from forge.errors import BadInputError, MissingDataError

W2V = {"vector_size": 8, "min_count": 1, "epochs": 1, "workers": 1, "progress": False}
GOOD = "the king spoke to the queen\nthe queen smiled\n"

# bytes forge's own reader refuses, and what its message says
BAD_FILES = {
    "invalid_utf8.txt": (b"the king \xff\xfe spoke\n", "not valid utf-8"),
    "utf16.txt": (GOOD.encode("utf-16"), "utf-8|UTF-16"),
    "nul.txt": (b"the king\x00 spoke\nqueen\n", "binary"),
    "latin1.txt": ("caf\xe9 na\xefve\n".encode("latin-1"), "not valid utf-8"),
}


def _gensim_words(path: Path) -> list[list[str]]:
    """The sentences gensim's corpus_file reader sees: lines split on ASCII whitespace (C isspace)."""
    lines = path.read_bytes().split(b"\n")
    return [[w.decode("utf-8") for w in line.split()] for line in lines if line.split()]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_bytes_give_the_same_error_on_every_path(tmp_path, name):
    data, match = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    for tokenizer in ("whitespace", "regex"):
        corpus = TextCorpus(path, tokenizer=tokenizer)
        with pytest.raises(BadInputError, match=match) as iterating:
            list(corpus)
        assert name in str(iterating.value)
        with pytest.raises(BadInputError, match=match) as feeding, gensim_corpus_file(corpus):
            pass
        assert name in str(feeding.value)
        with pytest.raises(BadInputError, match=name):
            forge.create("skipgram", **W2V).fit(corpus)  # not a bare UnicodeDecodeError from gensim


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        GOOD.replace("\n", "\r\n"),
        GOOD.replace("\n", "\r"),
        "the king\u00a0spoke\x1cto the queen\n",
        "a\x0bb\x0cc\n",
        " ".join(["w"] * (CORPUS_FILE_MAX_WORDS * 2 + 7)) + "\nlast line",
        "\ufeffthe bom\n",
        "",
    ],
)
def test_every_accepted_file_reads_to_the_same_words_in_corpus_file_mode(tmp_path, text):
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    corpus = TextCorpus(path, tokenizer="whitespace")
    expected = [w for sentence in corpus for w in sentence]
    with gensim_corpus_file(corpus) as fed:
        seen = _gensim_words(fed)
    assert [w for s in seen for w in s] == expected
    assert all(len(s) <= CORPUS_FILE_MAX_WORDS for s in seen)
    # CR-only line ends are sentence ends there too (gensim's reader would join them into one line)
    if "\r" in text and "\r\n" not in text:
        assert fed != path and seen == list(corpus)


def test_the_feeding_file_is_removed_afterwards(tmp_path):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(GOOD)
    with gensim_corpus_file(TextCorpus(path, tokenizer="whitespace")) as fed:
        assert fed is not None and fed.exists()
    assert not fed.exists()


def _damaged_gzip(tmp_path: Path) -> Path:
    data = bytearray(gzip.compress(("the king spoke to the queen " * 4000 + "\n").encode(), mtime=0))
    for i in range(40, 60):  # inside the deflate stream: an invalid block or a CRC mismatch
        data[i] ^= 0x5A
    path = tmp_path / "damaged.txt.gz"
    path.write_bytes(bytes(data))
    return path


def test_damaged_gzip_stream_names_the_file_on_every_path(tmp_path):
    path = _damaged_gzip(tmp_path)
    with pytest.raises(BadInputError, match="damaged.txt.gz"):
        list(TextCorpus(path))
    with pytest.raises(BadInputError, match="damaged.txt.gz"):
        forge.create("cbow", **W2V).fit(TextCorpus(path, tokenizer="whitespace"))


def _zip_with_damaged_member(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ca01", "the/at king/nn spoke/vb\n" * 2000)
    data = bytearray(path.read_bytes())
    start = data.index(b"ca01") + 4 + 10  # inside the member's compressed data
    for i in range(start, start + 30):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def test_damaged_zip_member_is_a_bad_input_error_naming_file_and_member(tmp_path):
    corpus = ZipLinesCorpus(_zip_with_damaged_member(tmp_path), lambda name: True, str.split)
    with pytest.raises(BadInputError, match=r"ca01.*corpus\.zip|corpus\.zip.*ca01"):
        list(corpus)
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(BadInputError, match="not.zip"):
        list(ZipLinesCorpus(tmp_path / "not.zip", lambda name: True, str.split))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_is_refused_as_a_stream_not_called_missing(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="FIFO") as info:
        TextCorpus(fifo)
    assert not isinstance(info.value, MissingDataError) and "pipe" in str(info.value)


def test_unknown_encoding_is_refused_when_the_corpus_is_made(tmp_path):
    (tmp_path / "c.txt").write_text(GOOD)
    with pytest.raises(BadInputError, match="encoding 'klingon'"):
        TextCorpus(tmp_path / "c.txt", encoding="klingon")


# ------------------------------------------------------------------------------- the corpus cache
def _cache_file(cache: Path) -> Path:
    (path,) = [p for p in (cache / "corpora").iterdir() if p.suffix == ".txt"]
    return path


def test_gensim_default_cache_is_checked_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    words = forge.corpora.load("gensim-default", parts=("lee",)).count_tokens()
    path = _cache_file(tmp_path)
    record = json.loads(path.with_name(path.name + ".json").read_text())
    assert record["size"] == path.stat().st_size and len(record["sha256"]) == 64
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # truncated (e.g. a copy cut short): rebuilt
    assert forge.corpora.load("gensim-default", parts=("lee",)).count_tokens() == words
    assert path.read_bytes() == good
    path.write_bytes(good.replace(b"the", b"THE", 1))  # same size, other bytes: rebuilt
    assert forge.corpora.load("gensim-default", parts=("lee",)).count_tokens() == words
    assert path.read_bytes() == good
    path.with_name(path.name + ".json").unlink()  # no record (a crash between the two writes): rebuilt
    forge.corpora.load("gensim-default", parts=("lee",))
    assert path.read_bytes() == good and path.with_name(path.name + ".json").exists()
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]  # atomic writes leave nothing


def test_cache_dir_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("mine")
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path / "a-file"))
    with pytest.raises(BadInputError, match="a-file.*not a directory"):
        forge.corpora.load("gensim-default", parts=("lee",))
    assert (tmp_path / "a-file").read_text() == "mine"
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path / "a-file" / "below"))
    with pytest.raises(BadInputError, match="FORGE_CACHE_DIR"):
        forge.corpora.load("gensim-default", parts=("lee",))


def test_read_only_cache_dir_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    import tempfile

    def refuse(*args, **kwargs):  # what a read-only directory does, also when the tests run as root
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(BadInputError, match="Permission denied.*FORGE_CACHE_DIR") as info:
        forge.corpora.load("gensim-default", parts=("lee",))
    assert str(tmp_path) in str(info.value)


def test_a_valid_cache_in_a_read_only_place_is_still_used(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    first = forge.corpora.load("gensim-default", parts=("lee",))
    import tempfile

    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "no")))
    again = forge.corpora.load("gensim-default", parts=("lee",))
    assert again.files == first.files


def test_a_full_disk_while_feeding_gensim_is_a_forge_error(tmp_path, monkeypatch):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(GOOD)
    import tempfile

    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(BadInputError, match="No space left.*TMPDIR"):
        forge.create("cbow", **W2V).fit(TextCorpus(path, tokenizer="whitespace"))


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_damaged_members_of_every_zip_compression_are_bad_input_errors(tmp_path, method):
    # found by tests/test_fuzz_corpora.py: a damaged LZMA member raised a bare LZMAError
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("ca01", "".join(f"w{i}/nn spoke/vb\n" for i in range(3000)))
    data = bytearray(path.read_bytes())
    start = data.index(b"ca01") + 4 + 10  # inside the compressed stream (zlib.error, OSError, LZMAError)
    for i in range(start, start + 8):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(BadInputError, match="c.zip"):
        list(ZipLinesCorpus(path, lambda name: True, str.split))
