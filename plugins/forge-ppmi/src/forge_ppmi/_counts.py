"""Streaming word-context counts and positive PMI, all in SciPy sparse matrices.

The co-occurrence matrix is never dense: token ids are buffered until about
``buffer_pairs`` (word, context) pairs are pending, those pairs become one
COO block that SciPy converts to CSR (summing duplicates), and the block is
added to the running CSR total. Peak memory is the total's non-zeros plus one
block, whatever the corpus length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from forge.errors import BadInputError

__all__ = ["WINDOW_WEIGHTINGS", "count_cooccurrences", "ppmi_matrix", "window_weights"]

WINDOW_WEIGHTINGS = ("uniform", "linear", "harmonic")


def window_weights(window: int, weighting: str) -> np.ndarray:
    """Weight of a context at distance ``d = 1..window`` (shape ``(window,)``).

    ``uniform``: 1. ``linear``: ``(window - d + 1) / window``, the expected
    weight of word2vec's dynamic window (Levy et al.'s "dyn"). ``harmonic``:
    ``1 / d``, as in GloVe.

    Examples
    --------
    >>> window_weights(4, "linear").tolist()
    [1.0, 0.75, 0.5, 0.25]
    """
    d = np.arange(1, window + 1, dtype=np.float64)
    if weighting == "uniform":
        return np.ones(window)
    if weighting == "linear":
        return (window - d + 1) / window
    if weighting == "harmonic":
        return 1.0 / d
    raise BadInputError(f"window_weighting={weighting!r} is not known; choose one of {WINDOW_WEIGHTINGS}.")


def count_cooccurrences(
    corpus: Iterable[Sequence[str]],
    index: dict[str, int],
    window: int,
    weights: np.ndarray,
    buffer_pairs: int = 10_000_000,
) -> sp.csr_matrix:
    """Symmetric (V, V) CSR matrix of weighted co-occurrence counts.

    Words not in ``index`` are dropped before windowing (as word2vec drops
    rare words), so the window spans ``window`` kept words on each side.
    Windows never cross sentence boundaries.

    Examples
    --------
    >>> m = count_cooccurrences([["a", "b", "c"]], {"a": 0, "b": 1, "c": 2}, 1, np.ones(1))
    >>> m.toarray().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    n_words = len(index)
    total = sp.csr_matrix((n_words, n_words), dtype=np.float64)
    pending: list[np.ndarray] = []
    n_pending = 0
    for sentence in corpus:
        ids = np.fromiter((index.get(tok, -1) for tok in sentence), dtype=np.int32)
        ids = ids[ids >= 0]
        if len(ids) < 2:
            continue
        pending.append(ids)
        n_pending += len(ids)
        if n_pending * window >= buffer_pairs:
            total = total + _count_block(pending, n_words, window, weights)
            pending, n_pending = [], 0
    if pending:
        total = total + _count_block(pending, n_words, window, weights)
    # pairs were counted once, word on the left; the right-hand contexts are the transpose
    return (total + total.T).tocsr()


def _count_block(sentences: list[np.ndarray], n_words: int, window: int, weights: np.ndarray) -> sp.csr_matrix:
    ids = np.concatenate(sentences)  # (tokens,)
    sent = np.repeat(np.arange(len(sentences), dtype=np.int32), [len(s) for s in sentences])
    rows, cols, vals = [], [], []
    for d in range(1, min(window, len(ids) - 1) + 1):
        same = sent[:-d] == sent[d:]  # pair inside one sentence
        rows.append(ids[:-d][same])
        cols.append(ids[d:][same])
        vals.append(np.full(int(same.sum()), weights[d - 1]))
    block = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_words, n_words)
    )
    return block.tocsr()  # sums duplicate (word, context) pairs


def ppmi_matrix(
    counts: sp.spmatrix, cds: float = 0.75, neg: float = 1.0, dtype: npt.DTypeLike = np.float32
) -> sp.csr_matrix:
    """Positive (shifted) PMI with context-distribution smoothing.

    ``PPMI(w, c) = max(0, log(#(w,c) / #(w) * sum_c' #(c')^a / #(c)^a) - log(neg))``
    with ``a = cds`` (Levy, Goldberg and Dagan 2015, equations 3 and 5).
    Only the stored entries are touched, so the result is as sparse as the
    counts (sparser: non-positive cells are dropped).

    Examples
    --------
    >>> counts = sp.csr_matrix(np.array([[0, 4, 1], [4, 0, 1], [1, 1, 0]], dtype=float))
    >>> ppmi_matrix(counts, cds=1.0).toarray().round(3)  # log(4 * 12 / (5 * 5)) = 0.652
    array([[0.   , 0.652, 0.182],
           [0.652, 0.   , 0.182],
           [0.182, 0.182, 0.   ]], dtype=float32)
    """
    counts = sp.csr_matrix(counts, dtype=np.float64)
    counts.sum_duplicates()
    counts.eliminate_zeros()
    if cds <= 0:
        raise BadInputError(f"cds (context smoothing exponent) must be > 0, got {cds!r}; 0.75 is the usual value.")
    if neg <= 0:
        raise BadInputError(f"neg (PMI shift, log k) must be > 0, got {neg!r}; 1 means no shift.")
    word_totals = np.asarray(counts.sum(axis=1)).ravel()  # (V,)
    ctx_smoothed = np.asarray(counts.sum(axis=0)).ravel() ** cds  # (V,)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    pmi = (
        np.log(counts.data)
        - np.log(word_totals[rows])
        - np.log(ctx_smoothed[counts.indices])
        + np.log(ctx_smoothed.sum())
        - np.log(neg)
    )
    out = sp.csr_matrix(
        (np.maximum(pmi, 0.0).astype(dtype), counts.indices.copy(), counts.indptr.copy()), shape=counts.shape
    )
    out.eliminate_zeros()
    return out
