"""forge-ppmi: the forge conformance suite, plus checks against dense reference computations."""

from __future__ import annotations

import subprocess
import sys

import forge
import numpy as np
import pytest
import scipy.sparse as sp
from forge.errors import BadInputError, CorruptModelError
from forge.testing import TINY_CORPUS, parametrize_with_checks

from forge_ppmi import PPMIEncoder, count_cooccurrences, ppmi_matrix, truncated_svd, window_weights


@parametrize_with_checks(
    {
        "ppmi": lambda: PPMIEncoder(**PPMIEncoder.test_params),
        "ppmi-arpack-shifted": lambda: PPMIEncoder(
            **PPMIEncoder.test_params, svd="arpack", neg=2, window_weighting="uniform"
        ),
    }
)
def test_conformance(check):
    check()


# ------------------------------------------------------------ the entry point
def test_registered_through_entry_point():
    enc = forge.create("ppmi", vector_size=8)
    assert type(enc) is PPMIEncoder and enc.vector_size == 8
    assert forge.get_encoder_class("ppmi") is PPMIEncoder
    assert "ppmi" not in forge.broken_plugins()


def test_forge_list_shows_it():
    out = subprocess.run([sys.executable, "-m", "forge", "list"], capture_output=True, text=True, check=True).stdout
    line = next(row for row in out.splitlines() if row.strip().startswith("ppmi "))
    assert "PMI" in line and "BROKEN" not in line


# ------------------------------------------------------------------- counting
def _random_corpus(seed: int, n_sentences: int = 60, vocab: int = 12) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"w{i}" for i in rng.integers(0, vocab, rng.integers(0, 9))] for _ in range(n_sentences)]


def _dense_counts(corpus, index, window, weights):
    m = np.zeros((len(index), len(index)))
    for sent in corpus:
        ids = [index[t] for t in sent if t in index]
        for i, a in enumerate(ids):
            for j, b in enumerate(ids):
                if i != j and abs(i - j) <= window:
                    m[a, b] += weights[abs(i - j) - 1]
    return m


@pytest.mark.parametrize("weighting", ["uniform", "linear", "harmonic"])
@pytest.mark.parametrize("buffer_pairs", [1, 7, 10_000_000])
def test_counts_match_dense_reference(weighting, buffer_pairs):
    corpus = _random_corpus(0)
    index = {f"w{i}": i for i in range(10)}  # w10, w11 are out of vocabulary: dropped before windowing
    weights = window_weights(3, weighting)
    got = count_cooccurrences(corpus, index, 3, weights, buffer_pairs=buffer_pairs)
    assert sp.issparse(got) and got.shape == (10, 10)
    np.testing.assert_allclose(got.toarray(), _dense_counts(corpus, index, 3, weights))


def test_window_never_crosses_sentences():
    got = count_cooccurrences([["a", "b"], ["c", "d"]], {"a": 0, "b": 1, "c": 2, "d": 3}, 5, np.ones(5))
    assert got[1, 2] == 0 and got[0, 1] == 1 and got[2, 3] == 1


def test_unknown_weighting_is_rejected():
    with pytest.raises(BadInputError, match="triangular"):
        window_weights(3, "triangular")


# ------------------------------------------------------------------------ PMI
def _dense_ppmi(m, cds, neg):
    with np.errstate(divide="ignore"):
        ctx = m.sum(axis=0) ** cds
        pmi = np.log(m) - np.log(m.sum(axis=1, keepdims=True)) - np.log(ctx) + np.log(ctx.sum()) - np.log(neg)
    return np.where(m > 0, np.maximum(pmi, 0), 0)


@pytest.mark.parametrize(("cds", "neg"), [(1.0, 1), (0.75, 1), (0.75, 5)])
def test_ppmi_matches_dense_reference(cds, neg):
    index = {f"w{i}": i for i in range(12)}
    counts = count_cooccurrences(_random_corpus(1, 200), index, 2, window_weights(2, "uniform"))
    got = ppmi_matrix(counts, cds=cds, neg=neg)
    np.testing.assert_allclose(got.toarray(), _dense_ppmi(counts.toarray(), cds, neg), rtol=1e-5, atol=1e-6)
    assert (got.data > 0).all(), "zeros and negatives are not stored"


def test_shift_makes_it_sparser():
    index = {f"w{i}": i for i in range(12)}
    counts = count_cooccurrences(_random_corpus(2, 200), index, 2, window_weights(2, "uniform"))
    assert ppmi_matrix(counts, neg=5).nnz < ppmi_matrix(counts, neg=1).nnz


@pytest.mark.parametrize("bad", [{"cds": 0}, {"neg": 0}])
def test_bad_smoothing_or_shift_is_rejected(bad):
    with pytest.raises(BadInputError, match="must be > 0"):
        ppmi_matrix(sp.csr_matrix(np.ones((3, 3))), **bad)


# ------------------------------------------------------------------------ SVD
@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_svd_matches_dense(algorithm):
    rng = np.random.default_rng(3)
    m = sp.random(60, 60, density=0.2, random_state=4, format="csr")
    m = m + m.T + sp.diags(np.linspace(10, 1, 60))
    u, s = truncated_svd(m, 5, algorithm, n_iter=8, seed=int(rng.integers(100)))
    u_ref, s_ref, _ = np.linalg.svd(m.toarray())
    np.testing.assert_allclose(s, s_ref[:5], rtol=1e-4)
    # same subspace, same signs after the sign fix
    np.testing.assert_allclose(np.abs(u.T @ u_ref[:, :5]), np.eye(5), atol=1e-3)
    assert np.all(u[np.argmax(np.abs(u), axis=0), np.arange(5)] > 0)


def test_svd_of_a_rank_deficient_matrix():
    """More sketch columns than the rank: the Cholesky orthonormalisation falls back to QR."""
    rng = np.random.default_rng(6)
    low = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 30))
    u, s = truncated_svd(sp.csr_matrix(low), 2, n_iter=3)
    np.testing.assert_allclose(s, np.linalg.svd(low, compute_uv=False)[:2], rtol=1e-6)
    np.testing.assert_allclose(u.T @ u, np.eye(2), atol=1e-8)


def test_svd_rank_checked():
    with pytest.raises(BadInputError, match="vector_size=4 must be between 1 and 3"):
        truncated_svd(sp.identity(4, format="csr"), 4)


# -------------------------------------------------------------------- encoder
def test_eig_weighting():
    base = {"vector_size": 4, "window": 2, "min_count": 1}
    u = PPMIEncoder(**base, eig=0.0).fit(TINY_CORPUS)
    us = PPMIEncoder(**base, eig=1.0).fit(TINY_CORPUS)
    np.testing.assert_allclose(u.vectors_.T @ u.vectors_, np.eye(4), atol=1e-4)  # U has orthonormal columns
    np.testing.assert_allclose(us.vectors_, u.vectors_ * u.singular_values_, rtol=1e-4, atol=1e-5)
    assert list(u.singular_values_) == sorted(u.singular_values_, reverse=True)


def test_vector_size_too_large_is_a_clear_error():
    with pytest.raises(BadInputError, match="vector_size=500"):
        PPMIEncoder(vector_size=500, min_count=1).fit(TINY_CORPUS)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"window_weighting": "dyn"}, "window_weighting"),
        ({"svd": "lanczos"}, "svd='lanczos'"),
        ({"window": 0}, r"window=0 is not valid for PPMIEncoder; expected an integer >= 1"),
        ({"n_iter": -1}, "n_iter"),
    ],
)
def test_bad_params_rejected_in_fit(bad, match):
    enc = PPMIEncoder(**{**PPMIEncoder.test_params, **bad})  # construction never validates
    with pytest.raises(BadInputError, match=match):
        enc.fit(TINY_CORPUS)


def test_max_vocab_and_min_count():
    enc = PPMIEncoder(vector_size=3, window=2, min_count=1, max_vocab=10).fit(TINY_CORPUS)
    assert len(enc.vocabulary) == 10 and enc.vectors_.shape == (10, 3)
    full = forge.Vocabulary.build(TINY_CORPUS)
    assert list(enc.vocabulary) == full.words[:10], "max_vocab keeps the most frequent words"
    rare = PPMIEncoder(vector_size=3, window=2, min_count=55).fit(TINY_CORPUS)
    assert rare.vocabulary.counts.min() >= 55 and len(rare.vocabulary) < len(full)


def test_buffer_size_does_not_change_result():
    small = PPMIEncoder(vector_size=4, window=2, min_count=1, buffer_pairs=50).fit(TINY_CORPUS)
    big = PPMIEncoder(vector_size=4, window=2, min_count=1).fit(TINY_CORPUS)
    np.testing.assert_allclose(small.vectors_, big.vectors_, rtol=1e-4, atol=1e-5)


def test_related_words_are_closer():
    enc = PPMIEncoder(vector_size=6, window=2, min_count=1).fit(TINY_CORPUS)
    # in the tiny grammar "king" and "queen" fill the same slot; "river" never does
    assert enc.similarity("king", "queen") > enc.similarity("king", "river")


def test_load_rejects_mismatched_vectors(tmp_path):
    enc = PPMIEncoder(**PPMIEncoder.test_params).fit(TINY_CORPUS)
    path = enc.save(tmp_path / "m")
    np.save(path / "vectors.npy", np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(CorruptModelError, match=r"vectors.npy (has \d+ bytes|holds .*shape)"):
        forge.load(path)


def test_keyed_vectors_interop():
    enc = PPMIEncoder(**PPMIEncoder.test_params).fit(TINY_CORPUS)
    kv = enc.keyed_vectors
    assert kv.index_to_key == list(enc.vocabulary) and kv.vectors.shape == enc.vectors_.shape
    np.testing.assert_array_equal(kv["king"], enc.vector("king"))
    assert kv.similarity("king", "queen") == pytest.approx(enc.similarity("king", "queen"), abs=1e-6)


def test_a_million_tokens_stay_sparse():
    """Zipfian corpus of 1M tokens, 20k types: counting and SVD finish without a dense V x V matrix."""
    rng = np.random.default_rng(5)
    words = np.array([f"t{i}" for i in range(20_000)])
    ranks = np.minimum(rng.zipf(1.3, 1_000_000) - 1, 19_999)
    corpus = [list(words[ranks[i : i + 1000]]) for i in range(0, len(ranks), 1000)]
    enc = PPMIEncoder(vector_size=32, window=3, min_count=2, buffer_pairs=500_000).fit(corpus)
    vocab = len(enc.vocabulary)
    assert enc.nnz_ < vocab * vocab / 4, "the PPMI matrix must stay sparse"
    assert enc.vectors_.shape == (vocab, 32) and np.isfinite(enc.vectors_).all()


def test_set_params_and_load_refuse_what_fit_refuses(tmp_path):
    """One declaration (``param_constraints``), one check: set_params and an edited config.json are refused too."""
    import json

    with pytest.raises(BadInputError, match="svd='lanczos' is not valid for PPMIEncoder; expected one of"):
        PPMIEncoder().set_params(svd="lanczos")
    path = PPMIEncoder(**PPMIEncoder.test_params).fit(TINY_CORPUS).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    config["params"]["window_weighting"] = "dyn"
    del config["params_sha256"]  # the documented way to edit a saved model on purpose
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(CorruptModelError, match="window_weighting='dyn' is not valid"):
        forge.load(path)
