"""The two general in-context formats: marked pairs (CoSimLex-style) and sentence pairs on consecutive lines."""

from __future__ import annotations

import numpy as np
import pytest

import forge
from forge.bench import load_dataset, register_dataset, run, unregister_dataset
from forge.bench._context_formats import parse_marked_pairs, parse_sentence_pairs, split_marked
from forge.errors import BadInputError


@pytest.mark.parametrize(
    ("text", "tokens", "marks"),
    [
        ("The <strong>cat</strong> sat.", ["The", "cat", "sat."], [1]),
        ("a <b> big cat </b> and <B>dog</B>", ["a", "big", "cat", "and", "dog"], [2, 4]),
        ('"<em>Cats</em>" <i>run</i>', ['"', "Cats", '"', "run"], [1, 3]),
        ("no marks here", ["no", "marks", "here"], []),
    ],
)
def test_split_marked(text, tokens, marks):
    assert split_marked(text) == (tokens, marks)


def test_marked_pairs_cosimlex_layout(fixtures):
    items = parse_marked_pairs(fixtures / "bench" / "marked_pairs_cosimlex.tsv")
    # 3 rows with two contexts + 1 row with one: 7 items; punctuation and quotes around targets stripped
    assert len(items) == 7 and items.slot == [1, 2, 1, 2, 1, 2, 1]
    assert items.word1[5] == "Cats" and items.word2[5] == "dogs"
    assert items.context1 == items.context2
    assert items.scores.tolist() == [7.5, 5.1, 6.0, 6.8, 3.2, 6.5, 4.4]
    for k in range(len(items)):
        assert items.context1[k][items.index1[k]] == items.word1[k]


def test_marked_pairs_single_context_other_marks(fixtures):
    items = parse_marked_pairs(fixtures / "bench" / "marked_pairs_single.tsv")
    assert items.word1 == ["king", "man", "cat"] and items.word2 == ["queen", "woman", "dog"]


def test_marked_pairs_errors(fixtures, tmp_path):
    with pytest.raises(BadInputError, match=r"marked_pairs_one_mark\.tsv, line 2: .*exactly two target words"):
        parse_marked_pairs(fixtures / "bench" / "marked_pairs_one_mark.tsv")
    bad = tmp_path / "h.tsv"
    bad.write_text("sentence\trating\nthe <b>a</b> <b>b</b>\t3\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="line 1: the header must name context"):
        parse_marked_pairs(bad)
    bad.write_text("context\tscore\nthe <b>a</b> <b>b</b>\thigh\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="line 2: score must be a number"):
        parse_marked_pairs(bad)


def test_sentence_pairs_zero_based_graded(fixtures):
    items = parse_sentence_pairs(fixtures / "bench" / "sentence_pairs.tsv")
    assert items.word1 == items.word2 == ["king", "man", "queen"]  # "man," lost its comma
    assert items.scores.tolist() == [3.5, 1.0, 4.25]  # the two lines' scores averaged
    assert items.labels is None


def test_sentence_pairs_one_based_labels(fixtures):
    items = parse_sentence_pairs(fixtures / "bench" / "sentence_pairs_labels_1based.tsv")
    assert items.word1 == items.word2 == ["king", "queen"] and items.index1 == [1, 2]
    assert items.labels.tolist() == [True, False] and items.splits == ["test", "test"]
    forced = parse_sentence_pairs(fixtures / "bench" / "sentence_pairs_labels_1based.tsv", index_base=0)
    assert forced.index1 == [2, 3]


def test_sentence_pairs_errors(fixtures, tmp_path):
    with pytest.raises(BadInputError, match="must be even"):
        parse_sentence_pairs(fixtures / "bench" / "sentence_pairs_odd.tsv")
    bad = tmp_path / "s.tsv"
    bad.write_text("a b\t9\t1\nc d\t0\t1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="line 1: target_index 9 is outside the sentence"):
        parse_sentence_pairs(bad)
    bad.write_text("a b\tx\t1\nc d\t0\t1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="line 1: target_index 'x' is not an integer"):
        parse_sentence_pairs(bad)
    bad.write_text("a b\t0\t1\nc d\t0\tT\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="mixes numeric scores and T/F labels"):
        parse_sentence_pairs(bad)


class _PositionEncoder(forge.BaseEncoder):
    """A tiny contextual encoder: a word's vector is its static vector plus its position in the sentence."""

    _tags = {"contextual": True, "requires_fit": True}

    def __init__(self):
        pass

    def fit(self, corpus):
        words = sorted({w for s in corpus for w in s})
        self.vocab_ = forge.Vocabulary(words)
        rng = np.random.default_rng(0)
        self.table_ = rng.standard_normal((len(words), 4)).astype(np.float32)
        return self

    @property
    def dim(self):
        return 4

    def _static_matrix(self):
        return self.table_

    def embed(self, sentences):
        out = []
        for s in sentences:
            rows = np.stack([self.table_[self.vocab_[w]] for w in s]) if s else np.zeros((0, 4), np.float32)
            out.append(rows + 0.3 * np.arange(len(s), dtype=np.float32)[:, None])
        return out


@pytest.mark.parametrize(
    ("fmt", "file"), [("marked-pairs", "marked_pairs_cosimlex.tsv"), ("sentence-pairs", "sentence_pairs.tsv")]
)
def test_formats_run_through_the_benchmark(fixtures, fmt, file):
    name = f"test-{fmt}"
    register_dataset(name, fixtures / "bench" / file, fmt, overwrite=True)
    try:
        ds = load_dataset(name)
        assert ds.kind == "polysemy"
        words = sorted({w.lower() for c in ds.data.context1 + ds.data.context2 for w in c})
        static = forge.encoders.KeyedVectorsEncoder.from_arrays(
            words, np.random.default_rng(1).standard_normal((len(words), 5))
        )
        ctx = _PositionEncoder().fit([words])
        report = run({"static": static, "ctx": ctx}, [name], progress=False)
    finally:
        unregister_dataset(name)
    frame = report.frame.set_index(["encoder", "metric"])["value"]
    assert np.isfinite(frame[("ctx", "spearman")])
    if fmt == "sentence-pairs":  # the same word on both lines: a static encoder gives cosine 1 everywhere
        assert np.isnan(frame[("static", "spearman")])
    else:
        assert np.isfinite(frame[("static", "spearman")])
        assert np.isnan(frame[("static", "pearson_change")])  # a static encoder predicts no change
        assert np.isfinite(frame[("ctx", "pearson_change")])
        assert report.frame.query("metric == 'pearson_change'")["n"].tolist() == [3, 3]
