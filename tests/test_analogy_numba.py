"""The fused numba analogy kernel returns exactly the numpy path's answers (skipped without numba)."""

from __future__ import annotations

import numpy as np
import pytest

from forge.bench._analogy_kernel import solve_analogies

pytest.importorskip("numba")


def _questions(seed: int = 3, vocab: int = 600, dim: int = 16, n: int = 400):
    # dyadic vectors (multiples of 1/16, |x| <= 1/2): every cosine is exact in float32 whatever order BLAS sums
    # in, so both paths see the same S bit for bit and must return the same bits (and many exact ties)
    rng = np.random.default_rng(seed)
    W = (rng.integers(-8, 9, (vocab, dim)) / 16).astype(np.float32)
    W[vocab - 1] = W[vocab - 2]  # an exact tie between two candidates
    ia, ib, ic = (rng.integers(0, 60, n) for _ in range(3))  # few distinct words, shared (a, b) pairs
    rows = np.repeat(np.arange(n), 3)
    cols = np.stack([ia, ib, ic], axis=1).ravel()
    extra = rng.integers(0, vocab, 50)  # extra banned rows (case variants in real use)
    return W, ia, ib, ic, np.r_[rows, np.arange(50)], np.r_[cols, extra]


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize("runner_up", [True, False])
@pytest.mark.parametrize("chunk", [None, 97, 4096])
def test_numba_equals_numpy_bit_for_bit(method, runner_up, chunk):
    W, ia, ib, ic, rows, cols = _questions()
    kw = {"method": method, "runner_up": runner_up, "chunk": chunk or 4096}
    ref = solve_analogies(W, ia, ib, ic, rows, cols, use_numba=False, **kw)
    got = solve_analogies(W, ia, ib, ic, rows, cols, use_numba=True, **kw)
    for x, y in zip(ref, got):
        np.testing.assert_array_equal(x, y)
    banned = set(zip(rows.tolist(), cols.tolist()))
    assert not any((k, int(b)) in banned for k, b in enumerate(got[0]))


def test_numba_tie_rule_lowest_row():
    W = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8], [0, 0.6, 0.8]], dtype=np.float32)
    ia, ib, ic = np.array([0]), np.array([1]), np.array([2])
    rows, cols = np.zeros(3, dtype=np.int64), np.array([0, 1, 2])
    for chunk in (1, 2, 4, 16):
        best, top1, top2 = solve_analogies(W, ia, ib, ic, rows, cols, chunk=chunk, use_numba=True)
        assert best[0] == 4 and top1[0] == top2[0]


def test_numba_path_skipped_for_non_finite_vectors():
    W, ia, ib, ic, rows, cols = _questions()
    W[5, 0] = np.nan  # the numpy path handles NaN (argmax semantics); the kernel assumes finite scores
    ref = solve_analogies(W, ia, ib, ic, rows, cols, use_numba=False)
    got = solve_analogies(W, ia, ib, ic, rows, cols, use_numba=True)
    for x, y in zip(ref, got):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("use_numba", [True, False])
@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_norms_chunk_by_chunk_equal_dividing_first(use_numba, method):
    """solve_analogies(raw, norms=n) divides one chunk at a time: the same bits as solving on raw / n."""
    rng = np.random.default_rng(5)
    raw = rng.standard_normal((700, 24)).astype(np.float32) * rng.uniform(0.1, 9, (700, 1)).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", raw, raw))
    _, ia, ib, ic, rows, cols = _questions(vocab=700, dim=24)
    kw = {"method": method, "runner_up": True, "chunk": 131, "use_numba": use_numba}
    ref = solve_analogies(raw / norms[:, None], ia, ib, ic, rows, cols, **kw)
    got = solve_analogies(raw, ia, ib, ic, rows, cols, norms=norms, **kw)
    for x, y in zip(ref, got):
        np.testing.assert_array_equal(x, y)
