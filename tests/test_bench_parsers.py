"""Parsers of the benchmark formats: every layout, and bad input naming file and line."""

from __future__ import annotations

import numpy as np
import pytest

from forge.bench import _parsers as P
from forge.errors import BadInputError


@pytest.fixture
def bench(fixtures):
    return fixtures / "bench"


# ------------------------------------------------------------ word pairs
@pytest.mark.parametrize(
    ("name", "scores"),
    [
        ("pairs_tab_header_crlf.txt", [8.5, 8.3, 7.0, 0.5]),
        ("pairs_comma.csv", [4.5, 4.2, 3.5, 0.2]),
        ("pairs_space.txt", [45, 42, 35, 2]),
    ],
)
def test_word_pairs_layouts(bench, name, scores):
    pairs = P.parse_word_pairs(bench / name)
    assert pairs.word1 == ["king", "man", "cat", "car"]
    assert pairs.word2 == ["queen", "woman", "dog", "banana"]
    assert pairs.scores.tolist() == scores
    assert all(not w.endswith("\r") for w in pairs.word2)


def test_word_pairs_score_column_and_header(bench):
    pairs = P.parse_word_pairs(bench / "pairs_score_col4.txt", score_col=3)
    assert pairs.scores.tolist() == [8.5, 8.3, 7.0]
    # the default column 2 holds POS tags: the header is skipped, then line 2 is malformed
    with pytest.raises(BadInputError, match=r"pairs_score_col4.txt, line 2"):
        P.parse_word_pairs(bench / "pairs_score_col4.txt")


def test_word_pairs_line_numbers_skip_comments(bench):
    pairs = P.parse_word_pairs(bench / "pairs_space.txt")
    assert pairs.lines == [1, 2, 3, 5]


def test_word_pairs_malformed_line_names_file_and_line(bench):
    with pytest.raises(BadInputError, match=r"pairs_malformed.txt, line 3: .*numeric score.*not-a-number"):
        P.parse_word_pairs(bench / "pairs_malformed.txt")


def test_word_pairs_too_few_fields(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("a\tb\t1.0\nc\td\n")
    with pytest.raises(BadInputError, match=r"short.txt, line 2: expected at least 3 fields"):
        P.parse_word_pairs(path)


@pytest.mark.parametrize("name", ["empty.txt", "comments_only.txt"])
def test_empty_files(bench, name):
    with pytest.raises(BadInputError, match="contains no word pairs"):
        P.parse_word_pairs(bench / name)
    with pytest.raises(BadInputError, match="contains no analogy questions"):
        P.parse_google_analogy(bench / name)


def test_not_utf8_and_missing_file(bench, tmp_path):
    with pytest.raises(BadInputError, match=r"not_utf8.txt, line 1: not valid utf-8"):
        P.parse_word_pairs(bench / "not_utf8.txt")
    assert P.parse_word_pairs(bench / "not_utf8.txt", encoding="cp1252").word1 == ["café"]
    with pytest.raises(BadInputError, match="does not exist"):
        P.parse_word_pairs(tmp_path / "nope.txt")


def test_duplicates_and_reversed_pairs(bench):
    path = bench / "pairs_duplicates.txt"
    keep = P.parse_word_pairs(path)
    assert len(keep) == 5  # the published protocol: every line counts
    mean = P.parse_word_pairs(path, duplicates="mean")
    assert list(zip(mean.word1, mean.word2)) == [("money", "cash"), ("money", "bank"), ("tiger", "cat")]
    assert mean.scores.tolist() == pytest.approx([(9.15 + 9.08) / 2, (8.50 + 8.12) / 2, 7.35])
    first = P.parse_word_pairs(path, duplicates="first")
    assert first.scores.tolist() == [9.15, 8.50, 7.35]
    ordered = P.parse_word_pairs(path, duplicates="mean", symmetric=False)
    assert len(ordered) == 4  # bank/money kept apart from money/bank
    with pytest.raises(BadInputError, match="duplicates='drop' is not valid"):
        P.parse_word_pairs(path, duplicates="drop")


# --------------------------------------------------------------- analogy
def test_google_format_sections_and_alternatives(bench):
    qs = P.parse_google_analogy(bench / "analogy_google.txt")
    assert len(qs) == 4
    assert qs.sections == ["capital-common-countries"] * 2 + ["family"] * 2
    assert qs.answers[2] == ("queen", "empress")
    assert (qs.a[0], qs.b[0], qs.c[0]) == ("Athens", "Greece", "Berlin")


def test_google_format_malformed(bench):
    with pytest.raises(BadInputError, match=r"analogy_malformed.txt, line 3: expected 4 words"):
        P.parse_google_analogy(bench / "analogy_malformed.txt")


def test_csv_analogy(bench, tmp_path):
    qs = P.parse_csv_analogy(bench / "analogy_msr.csv")
    assert qs.a == ["good", "city"] and qs.answers == [("rougher",), ("years",)]
    assert qs.sections == ["JJ_JJR", "NN_NNS"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c,d\nx,y,z,w\n")
    with pytest.raises(BadInputError, match=r"bad.csv, line 1: the header must name"):
        P.parse_csv_analogy(bad)
    short = tmp_path / "short.csv"
    short.write_text(",type,word1,word2,word3,target\n0,t,a,b,c\n")
    with pytest.raises(BadInputError, match=r"short.csv, line 2"):
        P.parse_csv_analogy(short)


def test_bats_directory(bench, tmp_path):
    qs = P.parse_bats(bench / "bats")
    # 3 pairs -> 6 questions, 2 pairs -> 2 questions
    assert len(qs) == 8
    assert set(qs.sections) == {"I01 [noun - plural_reg]", "E01 [country - capital]"}
    i = qs.a.index("france")
    assert (qs.b[i], qs.c[i], qs.answers[i]) == ("paris", "germany", ("berlin", "bonn"))
    j = qs.a.index("germany")
    assert qs.b[j] == "berlin"  # the first listed answer
    assert "cars" in [a[0] for a in qs.answers]  # CRLF and no final newline handled
    with pytest.raises(BadInputError, match="holds no relation files"):
        P.parse_bats(tmp_path)


# ------------------------------------------------------------ in context
def test_scws(bench):
    items = P.parse_scws(bench / "scws.txt")
    assert len(items) == 3
    assert items.context1[0] == ["the", "bank", "lent", "money", "to", "us"]
    assert (items.index1[0], items.index2[0]) == (1, 4)
    assert items.scores.tolist() == [3.5, 6.0, 8.0]
    with pytest.raises(BadInputError, match=r"scws_unmarked.txt, line 1: .*<b> word </b>"):
        P.parse_scws(bench / "scws_unmarked.txt")


def test_wic_split_with_gold(bench, tmp_path):
    items = P.parse_wic(bench / "wic/train/train.data.txt", bench / "wic/train/train.gold.txt", split="train")
    assert len(items) == 4 and items.labels.tolist() == [False, True, True, False]
    assert items.word2[0] == "bank" and items.index2[0] == 4
    gold = tmp_path / "gold.txt"
    gold.write_text("T\n")
    with pytest.raises(BadInputError, match="line-aligned"):
        P.parse_wic(bench / "wic/train/train.data.txt", gold)
    bad = tmp_path / "data.txt"
    bad.write_text("bank\tN\t1-9\tthe bank .\ta bank .\n")
    with pytest.raises(BadInputError, match=r"data.txt, line 1: token index 1-9 is outside"):
        P.parse_wic(bad)


def test_generic_wic_tsv(bench, tmp_path):
    graded = P.parse_wic_tsv(bench / "wic_generic_scores.tsv")
    assert graded.scores.tolist() == [2.5, 8.0, 7.0] and graded.labels is None
    assert graded.index1 == [1, 1, 1] and graded.index2 == [4, 1, 4]  # marked, else first occurrence
    labelled = P.parse_wic_tsv(bench / "wic_generic_labels.tsv")
    assert labelled.labels.tolist() == [False, True, False, True]
    assert labelled.splits == ["train", "train", "test", "test"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("word1\tcontext1\tcontext2\tscore\nbank\tthe river\tthe bank\t2\n")
    with pytest.raises(BadInputError, match=r"bad.tsv, line 2: the target 'bank' does not occur"):
        P.parse_wic_tsv(bad)
    nohead = tmp_path / "nohead.tsv"
    nohead.write_text("bank\tthe bank\tthe bank\t2\n")
    with pytest.raises(BadInputError, match=r"nohead.tsv, line 1: the header must name"):
        P.parse_wic_tsv(nohead)


def test_parsed_scores_are_float_arrays(bench):
    assert P.parse_word_pairs(bench / "pairs_comma.csv").scores.dtype == np.float64
