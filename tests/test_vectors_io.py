"""forge.load_vectors: every format (also gzipped), detection, errors naming file and line, saving, mmap."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

import forge
from forge.encoders import KeyedVectorsEncoder
from forge.errors import BadInputError

DATA = Path(__file__).parent / "data" / "vectors"


def _same(enc, kv) -> None:
    assert enc.vocabulary.words == list(kv.index_to_key)
    assert enc.vectors_.dtype == np.float32
    np.testing.assert_array_equal(enc.vectors_, kv.vectors)


def _gz(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / (src.name + ".gz")
    with open(src, "rb") as fin, gzip.open(out, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    return out


# gensim's no_header=True path leaves its file handle open (a ResourceWarning, not ours)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    ("name", "binary", "no_header", "fmt"),
    [
        ("word2vec_pre_kv_c", False, False, "word2vec"),  # word2vec text, header
        ("euclidean_vectors.bin", True, False, "word2vec-binary"),
        ("test_glove.txt", False, True, "glove"),  # GloVe: no header
        ("lee_fasttext.vec", False, False, "word2vec"),  # fastText .vec
    ],
)
def test_real_files_equal_gensim(tmp_path, name, binary, no_header, fmt, gz):
    path = Path(datapath(name))
    if gz:
        path = _gz(path, tmp_path)
    enc = forge.load_vectors(path)
    assert enc.source_["format"] == fmt
    _same(enc, KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header))


@pytest.mark.parametrize("fmt", ["word2vec", "fasttext"])
def test_explicit_format_and_limit(fmt):
    enc = forge.load_vectors(datapath("word2vec_pre_kv_c"), format=fmt, limit=7)
    kv = KeyedVectors.load_word2vec_format(datapath("word2vec_pre_kv_c"), limit=7)
    _same(enc, kv)


def test_glove_limit_and_words_with_spaces():
    enc = forge.load_vectors(DATA / "glove_spaces.txt")
    assert enc.vocabulary.words == ["the", "king", ". . .", "queen"]
    np.testing.assert_allclose(enc[". . ."], [1, 2, 3])
    assert forge.load_vectors(DATA / "glove_spaces.txt", limit=2).vocabulary.words == ["the", "king"]


def test_write_then_read_back_both_word2vec_formats(tmp_path):
    enc = forge.create("vectors", vector_size=6, seed=3).fit([["a", "b", "naïve", "日本語"]] * 2)
    for binary in (False, True):
        path = tmp_path / f"v{int(binary)}.bin"
        enc.save_word2vec_format(path, binary=binary)
        back = forge.load_vectors(path)
        assert back.source_["format"] == ("word2vec-binary" if binary else "word2vec")
        assert back.vocabulary.words == enc.vocabulary.words
        np.testing.assert_array_equal(back.vectors_, enc.vectors_)
        _same(back, KeyedVectors.load_word2vec_format(str(path), binary=binary))


def test_duplicate_words_keep_first_like_gensim(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n", encoding="utf-8")
    enc = forge.load_vectors(path)
    assert enc.vocabulary.words == ["a", "b"] and enc.source_["duplicates_skipped"] == 1
    np.testing.assert_array_equal(enc["a"], [1, 2])


def test_bad_line_names_file_and_line():
    with pytest.raises(BadInputError, match=r"bad_line\.vec, line 4: expected a word and 3 numbers, found 2"):
        forge.load_vectors(DATA / "bad_line.vec")
    with pytest.raises(BadInputError, match=r"bad_number_glove\.txt, line 2: 'abc' is not a number"):
        forge.load_vectors(DATA / "bad_number_glove.txt")


def test_detection_failure_explains_what_it_tried():
    with pytest.raises(BadInputError, match="Tried: a word2vec/fastText header .* and a GloVe line"):
        forge.load_vectors(DATA / "not_vectors.txt")


def test_truncated_files(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("5 2\na 1 2\nb 3 4\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="promises 5 vectors.*truncated"):
        forge.load_vectors(path)
    assert len(forge.load_vectors(path, limit=2).vocabulary) == 2
    src = Path(datapath("euclidean_vectors.bin")).read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(src[: len(src) // 2])
    with pytest.raises(BadInputError, match="truncated"):
        forge.load_vectors(cut)


def test_other_argument_errors(tmp_path):
    with pytest.raises(BadInputError, match="format='nope'"):
        forge.load_vectors(DATA / "glove_spaces.txt", format="nope")
    with pytest.raises(BadInputError, match="No vector file"):
        forge.load_vectors(tmp_path / "missing.txt")
    with pytest.raises(BadInputError, match="GloVe file has none"):
        forge.load_vectors(DATA / "glove_spaces.txt", format="word2vec")


def test_word2vec_encoder_hint_is_right_for_glove():
    from forge.encoders import Word2VecEncoder

    with pytest.raises(BadInputError, match="no 'COUNT DIM' header line, like a GloVe file") as info:
        Word2VecEncoder.load_word2vec_format(datapath("test_glove.txt"))
    assert "binary=True" not in str(info.value)


def test_loaded_vectors_work_everywhere(tmp_path):
    enc = forge.load_vectors(datapath("word2vec_pre_kv_c"))
    report = forge.bench.run({"w2v": enc}, ["wordsim353"], progress=False)
    assert report.main_scores()["coverage"].iloc[0] > 0
    enc.save(tmp_path / "m")
    for mmap in (False, True):
        back = forge.load(tmp_path / "m", mmap=mmap)
        assert isinstance(back, KeyedVectorsEncoder) and isinstance(back.vectors_, np.memmap) == mmap
        np.testing.assert_array_equal(back.vectors_, enc.vectors_)


def test_word2vec_model_loads_memory_mapped(tmp_path):
    enc = forge.create("skipgram", vector_size=8, min_count=1, epochs=1, workers=1, progress=False)
    enc.fit([["a", "b", "c"]] * 10).save(tmp_path / "w")
    back = forge.load(tmp_path / "w", mmap=True)
    assert isinstance(back.keyed_vectors.vectors, np.memmap)
    assert back.keyed_vectors.get_vecattr("a", "count") == 10
    np.testing.assert_array_equal(back.vector("b"), enc.vector("b"))


def test_from_keyed_vectors_round_trip():
    kv = KeyedVectors.load_word2vec_format(datapath("word2vec_pre_kv_c"))
    enc = KeyedVectorsEncoder.from_keyed_vectors(kv)
    _same(enc, kv)
    _same(enc, enc.to_keyed_vectors())
