"""Task protocols: OOV policies, analogy details, polysemy (static and contextual), statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import forge
from forge.bench import VectorView, evaluate_analogy, evaluate_polysemy, evaluate_similarity, run
from forge.bench import _stats as S
from forge.bench._parsers import AnalogySet, WordPairs, parse_scws, parse_wic_tsv
from forge.bench._polysemy import best_threshold
from forge.errors import BadInputError
from forge.vocab import Vocabulary


class ToyContextual(forge.BaseEncoder):
    """A contextual encoder for tests: a token's vector is its own plus half the mean of its neighbours."""

    name = "toy-contextual"
    _tags = {"contextual": True, "order_sensitive": True}

    def __init__(self, dim: int = 6, seed: int = 0, oov: str = "error"):
        self.dim_ = dim
        self.seed = seed
        self.oov = oov

    def fit(self, corpus):
        words = sorted({w for s in corpus for w in s})
        self.vocab_ = Vocabulary(["<unk>", *words], specials=["<unk>"])
        self.table_ = np.random.default_rng(self.seed).normal(size=(len(self.vocab_), self.dim_))
        return self

    @property
    def dim(self) -> int:
        return self.dim_

    def _static_matrix(self):
        return self.table_

    def embed(self, sentences):
        out = []
        for sent in sentences:
            rows = self.table_[[self.vocab_[w] for w in sent]]  # KeyError if a token is unknown
            ctx = (rows.sum(0, keepdims=True) - rows) / max(1, len(sent) - 1)
            out.append(rows + 0.5 * ctx)
        return out


# ------------------------------------------------------------- similarity
def _toy():
    words = ["a", "b", "c", "d", "e"]
    mat = np.array([[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0]], dtype=np.float64)
    return VectorView((words, mat))


def test_similarity_oov_policies():
    pairs = WordPairs(["a", "a", "a", "b", "zz"], ["b", "c", "e", "c", "a"], np.array([9.0, 5.0, 1.0, 8.0, 3.0]))
    view = _toy()
    drop = evaluate_similarity(view, pairs)
    assert (drop.n_covered, drop.n_total, drop.main()["n"]) == (4, 5, 4)
    assert np.isnan(drop.items["pred"][4])
    zero = evaluate_similarity(view, pairs, oov="zero")
    assert zero.main()["n"] == 5 and zero.items["pred"][4] == 0.0
    mean = evaluate_similarity(view, pairs, oov="mean")
    expected = np.array([-0.0, 0.6]) @ np.array([1, 0]) / np.linalg.norm([0, 0.6])  # mean of the 5 rows
    assert mean.items["pred"][4] == pytest.approx(expected)
    sub = evaluate_similarity(view, pairs, subset=np.array([True, True, True, False, False]))
    assert sub.main()["n"] == 3
    with pytest.raises(BadInputError, match="oov='skip' is not a valid OOV policy"):
        evaluate_similarity(view, pairs, oov="skip")


def test_similarity_bootstrap_ci_brackets_value():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    mat = rng.normal(size=(60, 5))
    pairs = WordPairs(words[:30], words[30:], rng.normal(size=30))
    res = evaluate_similarity(VectorView((words, mat)), pairs, ci="bootstrap", n_boot=200)
    row = res.main()
    assert row["ci_low"] <= row["value"] <= row["ci_high"]


# ---------------------------------------------------------------- analogy
def test_analogy_alternatives_sections_and_case_variants():
    words = ["man", "woman", "king", "Queen", "queen", "empress", "apple"]
    mat = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0.9, 1, 1.1], [0, 0, 1], [0, 0, -1]], float)
    qs = AnalogySet(
        ["man", "man", "MAN"],
        ["woman", "woman", "woman"],
        ["king", "king", "king"],
        [("queen",), ("empress", "QUEEN"), ("apple",)],
        ["s1", "s1", "s2"],
    )
    res = evaluate_analogy(VectorView((words, mat)), qs, device="cpu")
    assert res.items["correct_3cosadd"].tolist() == [1.0, 1.0, 0.0]
    sections = {r["section"]: r["value"] for r in res.rows if r["metric"] == "accuracy_3cosadd"}
    assert sections == {"": pytest.approx(2 / 3), "s1": 1.0, "s2": 0.0}
    # case-sensitive: MAN is unknown
    res_cs = evaluate_analogy(VectorView((words, mat), case_insensitive=False), qs, device="cpu")
    assert res_cs.n_covered == 2
    with pytest.raises(BadInputError, match="Unknown analogy method"):
        evaluate_analogy(VectorView((words, mat)), qs, methods=("3cosavg",))


def test_analogy_excludes_question_words_and_specials():
    enc = ToyContextual(dim=3).fit([["a", "b", "c", "d"]])
    view = VectorView(enc)
    assert "<unk>" not in view.index
    qs = AnalogySet(["a"], ["b"], ["c"], [("d",)], ["s"])
    res = evaluate_analogy(view, qs, device="cpu")
    # the only candidate left besides a, b, c (and <unk>) is d
    assert res.main()["value"] == 1.0


def test_analogy_restrict_vocab_limits_candidates_and_coverage():
    words = ["a", "b", "c", "d", "x"]
    mat = np.array([[1, 0], [1, 1], [0, 1], [0, 2], [5, 5]], float)
    qs = AnalogySet(["a", "a"], ["b", "b"], ["c", "c"], [("d",), ("x",)], ["s", "s"])
    full = evaluate_analogy(VectorView((words, mat)), qs, device="cpu")
    small = evaluate_analogy(VectorView((words, mat), restrict_vocab=4), qs, device="cpu")
    assert full.n_covered == 2 and small.n_covered == 1


def test_analogy_on_sparse_onehot_runs():
    enc = forge.create("onehot").fit([["a", "b", "c", "d", "e"]])
    qs = AnalogySet(["a"], ["b"], ["c"], [("d",)], ["s"])
    res = evaluate_analogy(VectorView(enc), qs, device="cpu")
    assert res.n_covered == 1 and res.main()["value"] in (0.0, 1.0)


# --------------------------------------------------------------- polysemy
def test_scws_static_vs_contextual(fixtures):
    items = parse_scws(fixtures / "bench" / "scws.txt")
    corpus = list(items.context1 + items.context2)
    enc = ToyContextual().fit(corpus)
    static = evaluate_polysemy(VectorView((enc.vocabulary.words, enc.table_)), items)
    assert static.items["pred"][0] == pytest.approx(1.0)  # same word, context-free
    ctx = evaluate_polysemy(VectorView(enc), items)
    assert ctx.items["pred"][0] < 0.999  # contexts differ
    assert ctx.main()["metric"] == "spearman" and ctx.n_covered == 3


def test_contextual_unknown_context_tokens_become_unk(fixtures):
    items = parse_wic_tsv(fixtures / "bench" / "wic_generic_scores.tsv")
    enc = ToyContextual().fit([["bank", "cat", "king", "the"]])  # most context words unknown
    res = evaluate_polysemy(VectorView(enc), items)
    assert res.n_covered == 3 and np.isfinite(res.items["pred"]).all()


def test_wic_threshold_from_train_applied_to_test(fixtures):
    items = parse_wic_tsv(fixtures / "bench" / "wic_generic_labels.tsv")
    words = ["bank", "cat", "king", "dog"]
    view = VectorView((words, np.eye(4)))
    res = evaluate_polysemy(view, items)
    metrics = {r["metric"]: r for r in res.rows}
    assert {"threshold", "accuracy_test", "accuracy_test_oracle"} <= set(metrics)
    assert metrics["accuracy_test"]["main"] and not metrics["accuracy_test_oracle"]["main"]
    # static: every cosine is 1, train has one T and one F -> threshold at or below 1 predicts T
    assert metrics["accuracy_test"]["value"] == 0.5


def test_best_threshold():
    t, acc = best_threshold(np.array([0.2, 0.9, 0.5, 0.4]), np.array([False, True, True, False]))
    assert acc == 1.0 and 0.4 < t <= 0.5


# ------------------------------------------------------------------ stats
def test_fisher_matches_formula_and_wilson_known_value():
    lo, hi = S.fisher_ci(0.5, 103)
    z = np.arctanh(0.5)
    assert (lo, hi) == pytest.approx((np.tanh(z - 1.959964 / 10), np.tanh(z + 1.959964 / 10)), abs=1e-6)
    assert S.wilson_ci(0, 10)[0] == 0.0
    assert S.wilson_ci(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert np.isnan(S.fisher_ci(0.5, 3)[0])


def test_williams_and_paired_bootstrap():
    rng = np.random.default_rng(0)
    gold = rng.normal(size=200)
    good = gold + 0.5 * rng.normal(size=200)
    bad = gold + 3 * rng.normal(size=200)
    r12, r13, r23 = (stats.pearsonr(gold, good)[0], stats.pearsonr(gold, bad)[0], stats.pearsonr(good, bad)[0])
    assert S.williams_test(r12, r13, r23, 200) < 0.001
    assert S.williams_test(r12, r12, 1.0 - 1e-9, 200) > 0.5
    diff, lo, _hi, p = S.paired_bootstrap(gold, good, bad, S.spearman, n_boot=300)
    assert diff > 0 and lo > 0 and p < 0.01


def test_mcnemar():
    a = np.array([True] * 30 + [False] * 10)
    b = np.array([True] * 12 + [False] * 28)
    n01, n10, p = S.mcnemar(a, b)
    assert (n01, n10) == (18, 0) and p < 1e-4
    assert S.mcnemar(a, a)[2] == 1.0


# ------------------------------------------------------------------ run()
def test_run_common_pairs_and_validation():
    rng = np.random.default_rng(0)
    from forge.bench import load_dataset

    pairs = load_dataset("wordsim353").data
    words = list(dict.fromkeys(pairs.word1 + pairs.word2))
    big = (words, rng.normal(size=(len(words), 8)))
    small = (words[:80], rng.normal(size=(80, 8)))
    rep = run({"big": big, "small": small}, ["wordsim353"], common=True, progress=False)
    n = rep.main_scores().set_index("encoder")["n"]
    assert n["big"] == n["small"] < 353
    rep2 = run({"big": big, "small": small}, ["wordsim353"], progress=False)
    assert rep2.main_scores().set_index("encoder")["n"]["big"] == 353
    with pytest.raises(BadInputError, match="No encoder"):
        run({}, ["wordsim353"])
    with pytest.raises(BadInputError, match="oov="):
        run({"big": big}, ["wordsim353"], oov="skip")
    with pytest.raises(forge.errors.NotFittedError):
        run({"x": forge.create("onehot")}, ["wordsim353"])


def test_run_contextual_encoder_all_kinds(fixtures):
    from forge.bench import register_dataset, unregister_dataset

    b = fixtures / "bench"
    register_dataset("t-scws2", b / "scws.txt", format="scws", overwrite=True)
    register_dataset("t-wic2", b / "wic", format="wic", overwrite=True)
    register_dataset("t-an2", b / "analogy_google.txt", format="google", overwrite=True)
    try:
        corpus = [line.split() for line in Path(b / "scws.txt").read_text().splitlines()]
        enc = ToyContextual().fit([*corpus, ["man", "woman", "king", "queen", "cat", "run", "bank"]])
        rep = run({"ctx": enc}, ["t-scws2", "t-wic2", "t-an2"], progress=False)
        kinds = dict(zip(rep.main_scores()["dataset"], rep.main_scores()["kind"]))
        assert kinds == {"t-scws2": "polysemy", "t-wic2": "polysemy", "t-an2": "analogy"}
        assert rep.protocol["encoders"]["ctx"]["contextual"] is True
    finally:
        for name in ("t-scws2", "t-wic2", "t-an2"):
            unregister_dataset(name)


@pytest.mark.cuda
def test_analogy_on_cuda_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    view = VectorView((words, rng.normal(size=(500, 16)).astype(np.float32)))
    idx = rng.integers(0, 500, size=(300, 4))
    qs = AnalogySet(
        [words[i] for i in idx[:, 0]],
        [words[i] for i in idx[:, 1]],
        [words[i] for i in idx[:, 2]],
        [(words[i],) for i in idx[:, 3]],
        ["s"] * 300,
    )
    cpu = evaluate_analogy(view, qs, device="cpu")
    gpu = evaluate_analogy(view, qs, device="cuda")
    for key in cpu.items:
        assert np.array_equal(np.nan_to_num(cpu.items[key], nan=-1), np.nan_to_num(gpu.items[key], nan=-1))


def test_cuda_requested_without_device_is_a_clear_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    view = VectorView((["a", "b", "c", "d"], np.eye(4)))
    qs = AnalogySet(["a"], ["b"], ["c"], [("d",)], ["s"])
    with pytest.raises(forge.errors.DeviceError, match="no CUDA device"):
        evaluate_analogy(view, qs, device="cuda")
