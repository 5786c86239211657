"""Issue 9, benchmark harness: non-finite vectors, NaN notes, dataset checksums, bad inputs -> ForgeError."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import forge
from forge import bench
from forge.bench import (
    VectorView,
    evaluate_analogy,
    evaluate_polysemy,
    evaluate_similarity,
    run,
)
from forge.bench import _datasets as D
from forge.bench._parsers import (
    AnalogySet,
    ContextPairs,
    WordPairs,
    parse_bats,
    parse_csv_analogy,
    read_lines,
)
from forge.errors import BadInputError
from forge.vocab import Vocabulary

WORDS = ["man", "woman", "king", "queen", "apple", "broken"]
VECS = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, -1], [0, 0, 0]], dtype=np.float32)


def _vectors(bad: float = np.nan) -> tuple[list[str], np.ndarray]:
    mat = VECS.copy()
    mat[5] = bad
    return WORDS, mat


@pytest.fixture
def registered():
    """Names registered by a test are removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        if name in D._REGISTRY:
            bench.unregister_dataset(name)


def _register(registered, name, path, fmt="pairs", **kw):
    registered.append(name)
    return bench.register_dataset(name, path, fmt, overwrite=True, **kw)


# ---------------------------------------------------------- item 4: non-finite vectors
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("repeats", [1, 40])  # 1: the batched kernel; 40 questions on 4 words: tiled
@pytest.mark.parametrize("sparse", [False, True])
def test_a_nonfinite_row_never_wins_an_analogy(bad, repeats, sparse):
    _check_nonfinite_analogy(bad, repeats, sparse, "cpu")


@pytest.mark.cuda
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nonfinite_row_never_wins_an_analogy_on_cuda(bad):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    _check_nonfinite_analogy(bad, 1, False, "cuda")


def _check_nonfinite_analogy(bad, repeats, sparse, device):
    words, mat = _vectors(bad)
    source = (words, sp.csr_matrix(mat) if sparse else mat)
    qs = AnalogySet(
        ["man"] * repeats, ["woman"] * repeats, ["king"] * repeats, [("queen",)] * repeats, ["royals"] * repeats
    )
    view = VectorView(source)
    res = evaluate_analogy(view, qs, device=device)
    assert view.nonfinite == ["broken"] and view.lookup("broken") is None
    for method in ("3cosadd", "3cosmul"):
        row = next(r for r in res.rows if r["metric"] == f"accuracy_{method}" and not r["section"])
        assert (row["value"], row["n"]) == (1.0, repeats)


def test_nonfinite_words_are_left_out_of_similarity_and_recorded_by_run():
    words, mat = _vectors()
    pairs = WordPairs(
        ["man", "man", "king", "apple"], ["woman", "broken", "queen", "man"], np.array([8.0, 5.0, 7.0, 1.0])
    )
    res = evaluate_similarity(VectorView((words, mat)), pairs)
    assert res.n_covered == 3 and np.isfinite(res.main()["value"]) and np.isnan(res.items["pred"][1])
    mean = evaluate_similarity(VectorView((words, mat)), pairs, oov="mean")  # the mean skips the NaN row
    assert np.all(np.isfinite(mean.items["pred"]))
    rep = run({"v": (words, mat)}, ["wordsim353"], progress=False)
    assert rep.protocol["encoders"]["v"]["nonfinite_words"] == ["broken"]
    assert "broken" in rep.protocol["errors"]["v"] and "NaN or infinite" in rep.protocol["errors"]["v"]


@pytest.mark.parametrize("oov", ["drop", "zero", "mean"])
def test_all_rows_nonfinite(oov):
    rep = run({"v": (["king", "queen"], np.full((2, 3), np.nan))}, ["wordsim353"], oov=oov, progress=False)
    assert rep.protocol["encoders"]["v"]["nonfinite_words"] == ["king", "queen"]
    assert np.isnan(rep.main_scores()["value"].iloc[0]) and "v/wordsim353" in rep.protocol["errors"]


class _NaNContextual(forge.BaseEncoder):
    """Contextual toy whose vectors for the word 'bad' are NaN."""

    name = "nan-contextual"
    _tags = {"contextual": True}

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, corpus):
        words = sorted({w for s in corpus for w in s})
        self.vocab_ = Vocabulary(["<unk>", *words], specials=["<unk>"])
        self.table_ = np.random.default_rng(self.seed).normal(size=(len(self.vocab_), 4))
        self.table_[self.vocab_["bad"]] = np.nan
        return self

    @property
    def dim(self) -> int:
        return 4

    def _static_matrix(self):
        return self.table_

    def embed(self, sentences):
        out = []
        for sent in sentences:
            rows = self.table_[[self.vocab_[w] for w in sent]]
            out.append(rows + 0.5 * rows.mean(0, keepdims=True))  # NaN for every token next to 'bad'
        return out


def test_contextual_nan_vectors_are_left_out_with_a_note():
    enc = _NaNContextual().fit([["good", "bad", "fine", "ok", "the"]])
    items = ContextPairs(
        ["good", "bad", "fine", "ok"],
        ["good", "bad", "fine", "ok"],
        [["the", "good"], ["the", "bad"], ["the", "fine"], ["ok", "the", "good"]],
        [["good", "ok"], ["bad", "the"], ["fine", "good"], ["the", "ok"]],
        [1, 1, 1, 0],
        [0, 0, 0, 1],
        scores=np.array([1.0, 2.0, 3.0, 4.0]),
    )
    res = evaluate_polysemy(VectorView(enc), items)
    assert res.n_covered == 3 and np.isnan(res.items["pred"][1]) and np.isfinite(res.main()["value"])
    assert any("NaN or infinite vector" in n and "'bad'" in n for n in res.notes)


# ---------------------------------------------------------- item 4: NaN results carry a note
@pytest.mark.parametrize(("gold", "expected"), [([5.0], "only 1 item"), ([3.0, 3.0, 3.0], "same gold score")])
def test_nan_correlations_carry_a_note(tmp_path, registered, gold, expected):
    words, mat = WORDS[:5], VECS[:5]
    pairs = [("man", "woman"), ("king", "queen"), ("apple", "man")][: len(gold)]
    res = evaluate_similarity(
        VectorView((words, mat)), WordPairs([a for a, _ in pairs], [b for _, b in pairs], np.array(gold))
    )
    assert np.isnan(res.main()["value"]) and any(expected in n for n in res.notes)
    path = tmp_path / "pairs.txt"
    path.write_text("".join(f"{a} {b} {g}\n" for (a, b), g in zip(pairs, gold)))
    _register(registered, "t-nan", path)
    rep = run({"v": (words, mat)}, ["t-nan"], progress=False)
    assert expected in rep.protocol["errors"]["v/t-nan"]


def test_nearly_constant_predictions_give_nan_with_a_note():
    """float32 cosines 1.0 / 0.99999994 differ only by rounding: their ranks are noise, not a score."""
    words = ["a", "b", "c", "d"]
    mat = np.array([[1, 0], [1, 1e-4], [1, 2e-4], [1, 3e-4]], dtype=np.float32)
    pairs = WordPairs(["a", "b", "c"], ["b", "c", "d"], np.array([1.0, 5.0, 9.0]))
    res = evaluate_similarity(VectorView((words, mat)), pairs)
    assert np.isnan(res.main()["value"]) and any("same similarity" in n for n in res.notes)


def test_a_score_without_confidence_interval_carries_a_note(tmp_path, registered):
    path = tmp_path / "three.txt"
    path.write_text("man woman 8\nking queen 7\napple man 1\n")
    _register(registered, "t-three", path)
    rep = run({"v": (WORDS[:5], VECS[:5])}, ["t-three"], progress=False)
    main = rep.main_scores().iloc[0]
    assert np.isfinite(main["value"]) and np.isnan(main["ci_low"])
    assert "only 3 items" in rep.protocol["errors"]["v/t-three"]


def test_no_covered_item_and_empty_sections_carry_a_note():
    view = VectorView((WORDS[:5], VECS[:5]))
    res = evaluate_similarity(view, WordPairs(["zz"], ["yy"], np.array([1.0])))
    assert res.n_covered == 0 and any("no item is scored" in n for n in res.notes)
    qs = AnalogySet(["man", "zz"], ["woman", "a"], ["king", "b"], [("queen",), ("c",)], ["royals", "unknown"])
    res = evaluate_analogy(view, qs, device="cpu")
    assert any("unknown" in n and "no covered question" in n for n in res.notes)
    empty = evaluate_analogy(view, AnalogySet([], [], [], [], []), device="cpu")  # was ZeroDivisionError
    assert np.isnan(empty.main()["value"]) and empty.notes
    wic = ContextPairs(["zz"], ["zz"], [["zz"]], [["zz"]], [0], [0], labels=np.array([True]), splits=["test"])
    res = evaluate_polysemy(view, wic)
    assert np.isnan(res.main()["value"]) and res.notes


# ---------------------------------------------------------- item 9: vectors given as a pair
@pytest.mark.parametrize(
    ("source", "match"),
    [
        ((["a", "b"], np.eye(3)), "2 words but 3 matrix rows"),
        ((["a", "b"], np.ones(2)), "must be 2-D"),
        ((["a", "b"], "hello"), "must hold real numbers"),
        ((["a", "b"], np.array([["x", "y"], ["z", "w"]])), "must hold real numbers"),
        ((["a", "b"], [[1.0, 2.0], [3.0]]), "not a rectangular array"),
        (([1, 2], np.eye(2)), "every word must be a str"),
        ((["a", "b"], np.zeros((2, 0))), "0 columns"),
        ((5, np.eye(2)), "words must be a list of strings"),
    ],
)
def test_bad_words_matrix_pairs_are_refused(source, match):
    with pytest.raises(BadInputError, match=match):
        VectorView(source)
    with pytest.raises(BadInputError, match=match):
        run({"v": source}, ["wordsim353"], progress=False)


@pytest.mark.parametrize("value", [-1, -300000, 2.5, "10", True])
def test_bad_restrict_vocab_is_refused(value):
    with pytest.raises(BadInputError, match="restrict_vocab"):
        VectorView((["a", "b"], np.eye(2)), restrict_vocab=value)
    with pytest.raises(BadInputError, match="restrict_vocab"):
        run({"v": (["a", "b"], np.eye(2))}, ["wordsim353"], restrict_vocab=value, progress=False)


# ---------------------------------------------------------- item 9: dataset files
def test_bats_relation_with_one_line(tmp_path, registered):
    rel = tmp_path / "bats" / "1_x"
    rel.mkdir(parents=True)
    (rel / "I01 [one].txt").write_text("cat\tcats\n")
    with pytest.raises(BadInputError, match=r"I01 \[one\].txt holds only one word pair"):
        parse_bats(tmp_path / "bats")
    _register(registered, "t-bats1", tmp_path / "bats", "bats")
    with pytest.raises(BadInputError, match="only one word pair"):  # was ZeroDivisionError in run
        run({"v": (WORDS, VECS)}, ["t-bats1"], progress=False)


def test_register_dataset_on_a_symlink_loop(tmp_path):
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    with pytest.raises(BadInputError, match="symlink loop"):
        bench.register_dataset("t-loop", loop)
    assert "t-loop" not in D._REGISTRY


def test_a_huge_csv_field_is_a_forge_error(tmp_path, registered):
    path = tmp_path / "big.csv"
    path.write_bytes(b"word1,word2,word3,target\n" + b"a" * (50 << 20) + b",b,c,d\n")  # a 50 MB field
    _register(registered, "t-big", path, "csv-analogy")
    with pytest.raises(BadInputError, match=r"big.csv, line 2: not a valid CSV line \(field larger"):
        bench.load_dataset("t-big")


def test_csv_unclosed_quote_does_not_swallow_the_file(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('word1,word2,word3,target\nman,king,woman,"queen\nboy,girl,son,daughter\n')
    with pytest.raises(BadInputError, match="line 2: not a valid CSV line"):
        parse_csv_analogy(path)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sep": ""}, "sep='' is not valid"),
        ({"sep": 3}, "sep=3 is not valid"),
        ({"encoding": "no-such-codec"}, "encoding='no-such-codec' is not a text encoding"),
        ({"encoding": "base64"}, "not a text encoding"),
        ({"score_col": "2"}, "score_col='2' is not valid"),
        ({"word_cols": (0,)}, "word_cols"),
        ({"header": "yes"}, "header='yes'"),
        ({"duplicates": "max"}, "duplicates='max'"),
        ({"delimiter": ","}, "Unknown option.*'delimiter'.*accepts"),
    ],
)
def test_register_dataset_checks_parser_options(fixtures, options, match):
    with pytest.raises(BadInputError, match=match):
        bench.register_dataset("t-opt", fixtures / "bench" / "pairs_comma.csv", **options)
    assert "t-opt" not in D._REGISTRY


def test_register_dataset_checks_options_of_other_formats(fixtures):
    with pytest.raises(BadInputError, match="Unknown option.*'sep'.*'google'"):
        bench.register_dataset("t-opt", fixtures / "bench" / "analogy_google.txt", "google", sep=",")
    with pytest.raises(BadInputError, match="encoding='x' is not a text encoding"):
        bench.register_dataset("t-opt", fixtures / "bench" / "wic", "wic", encoding="x")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": 123}, "Dataset name 123 is not valid"),
        ({"name": "a,b"}, "without commas"),
        ({"name": " x"}, "surrounding spaces"),
        ({"path": None}, "path=None is not a file or folder path"),
        ({"scale": "0-10"}, "scale='0-10' is not valid"),
        ({"scale": (10, 0)}, "low < high"),
        ({"scale": (0, float("nan"))}, "scale="),
        ({"transform": "upper"}, "transform='upper' is not callable"),
    ],
)
def test_register_dataset_checks_its_arguments(fixtures, kwargs, match):
    args = {"name": "t-args", "path": fixtures / "bench" / "pairs_comma.csv", **kwargs}
    with pytest.raises(BadInputError, match=match):
        bench.register_dataset(args.pop("name"), args.pop("path"), **args)
    assert "t-args" not in D._REGISTRY


def test_unreadable_and_special_files_are_forge_errors(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="not a regular file"):  # used to block forever
        read_lines(fifo)
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("cat dog 3.5\n".encode("utf-16-le"))  # no BOM: valid UTF-8 with NULs
    with pytest.raises(BadInputError, match="NUL character"):
        read_lines(utf16)
    with pytest.raises(BadInputError, match="not a text encoding"):
        read_lines(utf16, encoding="nope")


# ---------------------------------------------------------- item 6: checksums
def test_wic_sha256_is_honoured(fixtures, registered):
    wic = fixtures / "bench" / "wic"
    _register(registered, "t-wic", wic, "wic")
    digest = bench.load_dataset("t-wic").sha256
    _register(registered, "t-wic-bad", wic, "wic", sha256="0" * 64)
    with pytest.raises(BadInputError, match="Checksum mismatch for dataset 't-wic-bad'"):
        bench.load_dataset("t-wic-bad")
    _register(registered, "t-wic-ok", wic, "wic", sha256="sha256:" + digest.upper())
    assert bench.load_dataset("t-wic-ok").sha256 == digest


def test_wic_per_file_sha256_names_the_changed_file(fixtures, tmp_path, registered):
    wic = tmp_path / "wic"
    shutil.copytree(fixtures / "bench" / "wic", wic)
    files = {
        f"{s}/{s}.{p}.txt": D._digest(wic / s / f"{s}.{p}.txt")
        for s in ("train", "dev", "test")
        for p in ("data", "gold")
    }
    _register(registered, "t-wic-files", wic, "wic", sha256=files)
    assert len(bench.load_dataset("t-wic-files")) == 8
    (wic / "dev" / "dev.gold.txt").write_text("T\nT\n")
    with pytest.raises(BadInputError, match=r"dev.gold.txt has sha256"):
        bench.load_dataset("t-wic-files")
    with pytest.raises(BadInputError, match="must give exactly the files"):
        bench.register_dataset("t-wic-x", wic, "wic", sha256={"train/train.data.txt": "0" * 64})


@pytest.mark.parametrize("spelling", [str.upper, lambda d: "sha256:" + d, lambda d: " SHA256:" + d.upper() + "\n"])
def test_sha256_spellings_are_accepted(fixtures, registered, spelling):
    path = fixtures / "bench" / "pairs_comma.csv"
    digest = D._digest(path)
    _register(registered, "t-spell", path, sha256=spelling(digest))
    assert bench.load_dataset("t-spell").sha256 == digest


@pytest.mark.parametrize("value", ["0" * 63, "g" * 64, "md5:" + "0" * 64, 12])
def test_malformed_sha256_is_refused_at_registration(fixtures, value):
    with pytest.raises(BadInputError, match="not a sha256 digest"):
        bench.register_dataset("t-sha", fixtures / "bench" / "pairs_comma.csv", sha256=value)


def test_folder_checksum_error_names_the_changed_file(fixtures, tmp_path, registered):
    bats = tmp_path / "bats"
    shutil.copytree(fixtures / "bench" / "bats", bats)
    files = {p.relative_to(bats).as_posix(): D._digest(p) for p in bats.rglob("*.txt")}
    _register(registered, "t-bats-files", bats, "bats", sha256=files)
    assert bench.load_dataset("t-bats-files").sha256 == D._digest(bats)
    changed = bats / "3_Encyclopedic_semantics" / "E01 [country - capital].txt"
    changed.write_text(changed.read_text().replace("a", "e"))
    (bats / "1_Inflectional_morphology" / "I99 [new].txt").write_text("a\tb\nc\td\n")
    with pytest.raises(
        BadInputError,
        match=r"changed: '3_Encyclopedic_semantics/E01 \[country - capital\].txt'; "
        r"not in the original: '1_Inflectional_morphology/I99 \[new\].txt'",
    ):
        bench.load_dataset("t-bats-files")
    _register(registered, "t-bats-one", bats, "bats", sha256="0" * 64)  # one digest: the folder is named
    with pytest.raises(BadInputError, match=f"Checksum mismatch.*{bats.name}"):
        bench.load_dataset("t-bats-one")


def test_builtin_bats_checksum_error_names_the_changed_file(data_dir, tmp_path, monkeypatch):
    shutil.copytree(data_dir / "bats_3.0", tmp_path / "bats_3.0")
    target = tmp_path / "bats_3.0" / "2_Derivational_morphology" / "D05 [adj+ness_reg].txt"
    target.write_bytes(target.read_bytes()[:-10])  # truncated
    (tmp_path / "bats_3.0" / "1_Inflectional_morphology" / "I01 [noun - plural_reg].txt").unlink()
    monkeypatch.setenv("FORGE_DATA_DIR", str(tmp_path))
    with pytest.raises(
        BadInputError,
        match=r"changed: '2_Derivational_morphology/D05 \[adj\+ness_reg\].txt'; "
        r"missing: '1_Inflectional_morphology/I01 \[noun - plural_reg\].txt'",
    ):
        bench.load_dataset("bats")


# ---------------------------------------------------------- item 4, as a property


@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(
    n=st.integers(5, 25),
    dim=st.integers(1, 5),
    seed=st.integers(0, 10_000),
    bad=st.lists(st.tuples(st.integers(0, 24), st.sampled_from([np.nan, np.inf, -np.inf, 1e300])), max_size=6),
    n_questions=st.sampled_from([1, 3, 60]),
)
def test_nonfinite_rows_score_like_absent_words(n, dim, seed, bad, n_questions):
    """With non-finite rows, every score equals the score of the same vectors without those words."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n)]
    mat = rng.normal(size=(n, dim))
    bad_rows = sorted({i for i, _ in bad if i < n})
    for i, value in bad:
        if i < n:
            mat[i, rng.integers(dim)] = value
    keep = [i for i in range(n) if i not in bad_rows]
    if not keep:
        return
    q = rng.integers(n, size=(n_questions, 4))
    qs = AnalogySet(
        *([words[i] for i in q[:, k]] for k in range(3)), [(words[i],) for i in q[:, 3]], ["s"] * n_questions
    )
    pairs = WordPairs([words[i] for i in q[:, 0]], [words[i] for i in q[:, 1]], rng.normal(size=n_questions))
    full, clean = VectorView((words, mat)), VectorView(([words[i] for i in keep], mat[keep]))
    for a, b in (
        (evaluate_analogy(full, qs, device="cpu"), evaluate_analogy(clean, qs, device="cpu")),
        (evaluate_similarity(full, pairs), evaluate_similarity(clean, pairs)),
    ):
        assert a.n_covered == b.n_covered
        np.testing.assert_array_equal([r["value"] for r in a.rows], [r["value"] for r in b.rows])
    assert full.nonfinite == [words[i] for i in bad_rows]
