"""The gensim KeyedVectors surface and gensim's evaluators, equal to gensim on the same vectors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forge
from forge.bench import evaluate_word_analogies, evaluate_word_pairs
from forge.bench._analogy_kernel import solve_analogies
from forge.encoders import KeyedVectorsEncoder


@pytest.fixture(scope="module")
def pair():
    kv = KeyedVectors.load_word2vec_format(datapath("word2vec_pre_kv_c"))
    return forge.load_vectors(datapath("word2vec_pre_kv_c")), kv


@pytest.fixture(scope="module")
def planted():
    """Vectors where many Google analogies hold (b = a + section offset + noise): a mix of right and wrong."""
    rng = np.random.default_rng(0)
    words: dict[str, np.ndarray] = {}
    offsets: dict[str, np.ndarray] = {}
    section = ""
    dim = 30
    for line in Path(datapath("questions-words.txt")).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line
            offsets[section] = rng.standard_normal(dim)
            continue
        a, b, c, d = line.lower().split()
        for x, y in ((a, b), (c, d)):
            if x not in words:
                words[x] = rng.standard_normal(dim)
            if y not in words:
                words[y] = words[x] + offsets[section] + 0.9 * rng.standard_normal(dim)
    names = list(words)
    names += [n.capitalize() for n in names[:40]]  # case variants of question words
    extra = [f"filler{i}" for i in range(300)]
    mat = np.vstack([np.stack([words[n.lower()] for n in names]), rng.standard_normal((300, dim))])
    mat[len(words) : len(names)] += 0.05 * rng.standard_normal((len(names) - len(words), dim))  # no exact ties
    kv = KeyedVectors(dim)
    kv.add_vectors(names + extra, mat.astype(np.float32))
    return KeyedVectorsEncoder.from_keyed_vectors(kv), kv


def _names(result):
    return [w for w, _ in result]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"positive": ["the", "of"], "negative": ["and"], "topn": 5},
        {"positive": "said"},
        {"positive": ["said"], "restrict_vocab": 200, "topn": 3},
        {"positive": [("the", 2.0), "in"], "negative": ["he"]},
        {"positive": ["he"], "clip_start": 10, "clip_end": 500, "topn": 4},
    ],
)
def test_most_similar_equals_gensim(pair, kwargs):
    enc, kv = pair
    ours, theirs = enc.most_similar(**kwargs), kv.most_similar(**kwargs)
    assert _names(ours) == _names(theirs)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


def test_most_similar_old_call_and_vectors(pair):
    enc, kv = pair
    assert _names(enc.most_similar("he", topn=3)) == _names(kv.most_similar("he", topn=3))
    vec = kv["he"]
    assert _names(enc.most_similar(vec, topn=3)) == _names(kv.most_similar(vec, topn=3))
    np.testing.assert_allclose(
        enc.most_similar(positive=["he"], topn=None), kv.most_similar(positive=["he"], topn=None), rtol=1e-5, atol=1e-6
    )
    assert enc.most_similar("he", topn=0) == []
    assert enc.most_similar("he", 4) == enc.most_similar("he", topn=4)  # forge's positional topn still works


def test_cosmul_doesnt_match_n_similarity_rank_getitem(pair):
    enc, kv = pair
    args = {"positive": ["he", "said"], "negative": ["the"], "topn": 6}
    ours, theirs = enc.most_similar_cosmul(**args), kv.most_similar_cosmul(**args)
    assert _names(ours) == _names(theirs)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)
    words = kv.index_to_key[:8]
    assert enc.doesnt_match(words) == kv.doesnt_match(words)
    assert enc.n_similarity(words[:3], words[3:7]) == pytest.approx(
        float(kv.n_similarity(words[:3], words[3:7])), abs=1e-6
    )
    for w2 in kv.index_to_key[20:25]:
        assert enc.rank("he", w2) == kv.rank("he", w2)
    np.testing.assert_array_equal(enc["he"], kv["he"])
    np.testing.assert_array_equal(enc[["he", "said"]], kv[["he", "said"]])
    assert enc[["he", "said"]].shape == (2, enc.dim)


def test_surface_on_word2vec_encoder_too():
    corpus = [["king", "queen", "man", "woman", "royal"]] * 40
    enc = forge.create("skipgram", vector_size=8, min_count=1, epochs=2, workers=1, progress=False).fit(corpus)
    kv = enc.keyed_vectors
    assert _names(enc.most_similar(positive=["king", "woman"], negative=["man"], topn=2)) == _names(
        kv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    )
    assert enc.doesnt_match(["king", "queen", "royal"]) == kv.doesnt_match(["king", "queen", "royal"])


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("opts", [{}, {"dummy4unknown": True}, {"restrict_vocab": 300, "case_insensitive": False}])
def test_evaluate_word_pairs_equals_gensim(pair, name, opts):
    enc, kv = pair
    pearson, spearman, oov = evaluate_word_pairs(enc, datapath(name), **opts)
    g_pearson, g_spearman, g_oov = kv.evaluate_word_pairs(datapath(name), **opts)
    assert oov == g_oov
    # these vectors' cosines are all ~0.9997: float32 rounding (forge and gensim normalise differently)
    # moves Pearson by up to 1e-4 when only 4 pairs are covered; ranks (Spearman) are unaffected
    assert pearson.statistic == pytest.approx(g_pearson.statistic, abs=3e-4)
    assert spearman.statistic == pytest.approx(g_spearman.statistic, abs=1e-5)
    assert spearman.pvalue == pytest.approx(g_spearman.pvalue, rel=1e-3)


@pytest.mark.parametrize("opts", [{}, {"dummy4unknown": True}, {"restrict_vocab": 400}, {"case_insensitive": False}])
def test_evaluate_word_analogies_equals_gensim(planted, opts):
    enc, kv = planted
    score, sections = evaluate_word_analogies(enc, datapath("questions-words.txt"), **opts)
    g_score, g_sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), **opts)
    assert 0.05 < g_score < 0.95 or opts, "the planted vectors must give a mix of right and wrong answers"
    assert score == g_score
    assert sections == g_sections


def test_evaluators_accept_pairs_and_reject_bad_input(planted, tmp_path):
    enc, kv = planted
    words, mat = list(kv.index_to_key), kv.vectors
    assert (
        evaluate_word_analogies((words, mat), datapath("questions-words.txt"))[0]
        == evaluate_word_analogies(enc, datapath("questions-words.txt"))[0]
    )
    bad = tmp_path / "q.txt"
    bad.write_text("a b c d\n", encoding="utf-8")
    with pytest.raises(forge.errors.BadInputError, match="line 1: missing ': section'"):
        evaluate_word_analogies(enc, bad)
    with pytest.raises(forge.errors.BadInputError, match="No valid similarity judgements"):
        evaluate_word_pairs(enc, bad)


def test_kernel_tie_rule_is_deterministic_lowest_row():
    # candidates 4 and 5 are identical: an exact tie, the lower row must win on every backend and chunking
    W = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8], [0, 0.6, 0.8]], dtype=np.float32)
    ia, ib, ic = np.array([0]), np.array([1]), np.array([2])
    rows, cols = np.zeros(3, dtype=np.int64), np.array([0, 1, 2])
    for use_torch in (False, True):
        for chunk in (1, 2, 4, 16):
            best, top1, top2 = solve_analogies(W, ia, ib, ic, rows, cols, chunk=chunk, use_torch=use_torch)
            assert best[0] == 4 and top1[0] == top2[0]


def test_kernel_torch_and_numpy_agree(planted):
    enc, _ = planted
    unit = enc._unit_matrix()
    rng = np.random.default_rng(1)
    ia, ib, ic = (rng.integers(0, 500, 300) for _ in range(3))
    rows = np.repeat(np.arange(300), 3)
    cols = np.stack([ia, ib, ic], axis=1).ravel()
    for method in ("3cosadd", "3cosmul"):
        a = solve_analogies(unit, ia, ib, ic, rows, cols, method=method, chunk=700, use_torch=False)
        b = solve_analogies(unit, ia, ib, ic, rows, cols, method=method, chunk=700, use_torch=True)
        clear = (a[1] - a[2]) > 1e-5
        np.testing.assert_array_equal(a[0][clear], b[0][clear])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-5)


_SEPS = [" ", "  ", "\t", " \t ", "\u3000", "\x0b", "\x1c", "\u2028"]


@st.composite
def _analogy_file(draw, words: list[str]) -> str:
    """Messy Google-format files: headers, blank and short/long lines, odd whitespace, \\r, mixed case."""
    word = st.sampled_from(words).map(lambda w: w.upper() if len(w) % 2 else w) | st.sampled_from(["zzq", "Zorp"])
    lines = []
    if draw(st.booleans()):
        lines.append(": " + draw(st.sampled_from(["capital", " spaced ", "x : y", ""])))
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from([": sec", ":: not a header", " : indented", ":nospace", ""])))
        else:
            n = draw(st.sampled_from([4, 4, 4, 4, 3, 5]))
            toks = [draw(word) for _ in range(n)]
            sep = [draw(st.sampled_from(_SEPS)) for _ in range(n - 1)]
            line = "".join(t + s for t, s in zip(toks, [*sep, ""]))
            lines.append(draw(st.sampled_from(["", " ", "\t"])) + line + draw(st.sampled_from(["", " ", "\r", "\t\r"])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_evaluate_word_analogies_equals_gensim_on_messy_files(planted, tmp_path_factory, data):
    """The regex reader keeps gensim's line rules: sections, 4-word questions, skipped lines, the header error."""
    enc, kv = planted
    text = data.draw(_analogy_file(list(kv.index_to_key[:60])))
    path = tmp_path_factory.mktemp("messy") / "q.txt"
    path.write_bytes(text.encode("utf-8"))
    opts = data.draw(st.sampled_from([{}, {"case_insensitive": False}, {"dummy4unknown": True}]))
    try:
        g_score, g_sections = kv.evaluate_word_analogies(str(path), **opts)
    except ValueError as exc:  # gensim: "Missing section header before line #..."
        assert "section header" in str(exc)
        with pytest.raises(forge.errors.BadInputError, match="missing ': section' header"):
            evaluate_word_analogies(enc, path, **opts)
        return
    except ZeroDivisionError:  # gensim divides by zero when no question is answered
        g_score, g_sections = None, None
    score, sections = evaluate_word_analogies(enc, path, **opts)
    if g_sections is None:
        assert score == 0.0 and not sections[-1]["correct"] and not sections[-1]["incorrect"]
        return
    assert sections == g_sections
    assert score == g_score


# ------------------------------------------- the surface on every encoder (issue 18)
_CORPUS = [["the", "king", "saw", "a", "dog"], ["the", "queen", "saw", "a", "cat"], ["a", "man", "met", "the", "king"]]


def test_no_encoder_narrows_the_gensim_calls():
    """The old ``most_similar(word, topn)`` overrides (one-hot, recurrent) are gone: one signature, KeyedMixin's."""
    root = Path(forge.__file__).parent
    narrowed = [str(p) for p in root.rglob("*.py") if "ignore[override]" in p.read_text(encoding="utf-8")]
    assert not narrowed
    from forge._keyed import KeyedMixin
    from forge.encoders import OneHotEncoder

    classes = [OneHotEncoder]
    if importlib.util.find_spec("torch") is not None:  # the neural encoders import torch
        classes += [forge.get_encoder_class("lstm"), forge.get_encoder_class("transformer")]
    for cls in classes:
        assert cls.most_similar is KeyedMixin.most_similar and cls.most_similar_cosmul is KeyedMixin.most_similar_cosmul


def test_onehot_answers_gensim_calls_and_stays_sparse():
    enc = forge.create("onehot").fit(_CORPUS)
    # every other word is at cosine 0: the neighbours are the next words in vocabulary order, as before
    assert enc.most_similar(positive=["king"], topn=3) == [(w, 0.0) for w in enc.vocabulary.words if w != "king"][:3]
    assert enc.most_similar("king", 3) == enc.most_similar(positive=["king"], topn=3)
    got = enc.most_similar(positive=["king", "dog"], negative=["cat"], topn=2)
    assert [w for w, _ in got] == [w for w in enc.vocabulary.words if w not in ("king", "dog", "cat")][:2]
    assert enc.most_similar_cosmul(positive=["king"], topn=1)[0][1] == pytest.approx(0.5, abs=1e-5)
    assert enc.rank("king", "the") == 1 and enc[["king", "the"]].shape == (2, enc.dim)
    assert hasattr(enc._unit_matrix(), "tocsr"), "one-hot vectors are never made a dense V x V matrix"


@pytest.mark.parametrize("name", ["bilstm"])
def test_recurrent_gensim_calls_equal_gensim_on_static_matrix(name):
    """bilstm/birnn/bigru: the public static_matrix() is (V, 2e) and every query uses it (cosmul raised before)."""
    pytest.importorskip("torch")
    params = {**forge.get_encoder_class(name).test_params, "hidden_size": 8}
    enc = forge.create(name, **params).fit(_CORPUS * 5)
    matrix = enc.static_matrix()
    assert matrix.shape == (len(enc.vocabulary), enc.static_dim)
    specials = {"<pad>", "<s>", "</s>"} & set(enc.vocabulary)
    assert specials, "the recurrent vocabulary has its boundary tokens"
    words = list(enc.vocabulary)
    keep = [i for i, w in enumerate(words) if w not in specials]  # <pad> is a zero row: gensim divides by 0
    kv = KeyedVectors(enc.static_dim)
    kv.add_vectors([words[i] for i in keep], np.asarray(matrix, dtype=np.float32)[keep])
    calls = [
        ("most_similar", {"positive": ["king", "cat"], "negative": ["dog"]}),
        ("most_similar_cosmul", {"positive": ["king", "cat"], "negative": ["dog"]}),
        ("most_similar", {"positive": ["queen"]}),
    ]
    for method, kwargs in calls:
        ours = getattr(enc, method)(**kwargs, topn=4)
        theirs = getattr(kv, method)(**kwargs, topn=4)
        assert _names(ours) == _names(theirs), method
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4, atol=1e-5)
    assert enc.doesnt_match(["king", "queen", "dog"]) == kv.doesnt_match(["king", "queen", "dog"])
    assert enc.n_similarity(["king", "dog"], ["cat"]) == pytest.approx(
        kv.n_similarity(["king", "dog"], ["cat"]), abs=1e-5
    )
