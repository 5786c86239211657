"""Exact, deterministic best candidates for analogy questions ``a:b :: c:?`` on the CPU.

Questions reuse few words (the 19,544 Google questions use ~900), so the
cosines of the U distinct question words with a chunk of the vocabulary,
``S = W[U] @ W[chunk].T`` (U, width), are one matrix product; each question's
scores are then three rows of S combined (3CosAdd ``S[b] + S[c] - S[a]``,
which ranks like the cosine with ``b - a + c``; 3CosMul on ``(1 + S) / 2``).
That replaces a (questions x dim x vocab) product by a (U x dim x vocab) one.

torch's CPU kernels (matrix product, ``index_select``, ``topk``) do the work
when torch is installed; numpy otherwise. Both give the same answers.

Tie rule (deterministic): the highest score wins; among exactly equal
scores the lowest vocabulary row (the most frequent word) wins. The
runner-up score is returned too, so callers can count near-ties (two best
candidates within 1e-6) where float32 rounding may pick either.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

__all__ = ["EPS_COSMUL", "solve_analogies"]

EPS_COSMUL = 1e-3  # Levy & Goldberg's epsilon for 3CosMul


def _torch():
    try:
        import torch  # lazy: torch is optional: import forge never loads it
    except ImportError:  # torch is an optional extra
        return None
    return torch


def solve_analogies(
    unit: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
    ic: np.ndarray,
    banned_rows: np.ndarray,
    banned_cols: np.ndarray,
    method: str = "3cosadd",
    chunk: int | None = None,
    block: int = 128,
    use_torch: bool = False,
    runner_up: bool = True,
    progress=None,
    use_numba: bool | None = None,
    norms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best candidate row per question, its score and the runner-up's score.

    Parameters
    ----------
    unit : (vocab, dim) float32 array
        Unit-length candidate vectors (row i = candidate i).
    ia, ib, ic : (n,) int arrays
        Rows of a, b, c for each question.
    banned_rows, banned_cols : int arrays
        ``(question, row)`` pairs that are never an answer (the question words, their case variants).
    method : {"3cosadd", "3cosmul"}
    chunk, block : int
        Candidates per column chunk (None: 4096) and questions per block.
    use_torch : bool
        Run the products on torch's CPU kernels (measured slower than numpy on a busy 2-core machine,
        so off by default; the answers are the same).
    runner_up : bool
        Also compute the second best score (one more pass); ``top2`` is NaN otherwise.
    progress : tqdm-like, optional
        Updated with the number of questions done, chunk by chunk.
    use_numba : bool or None
        Combine the scores in the fused numba kernel of :mod:`forge.bench._analogy_numba` (the same arithmetic
        and tie rule, without the (questions, chunk) score matrices). None (default) or True: when numba is
        installed, ``use_torch`` is off and every vector is finite; the numpy path runs otherwise (and with
        False).
    norms : (vocab,) float32 array, optional
        When given, ``unit`` holds the raw vectors and row i is divided by ``norms[i]`` one column chunk at a
        time: the same bits as dividing first, without a second (vocab, dim) matrix in memory.

    Returns
    -------
    best, top1, top2 : (n,) arrays
        Winning row (tie rule in the module docstring), its score, the second best score.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=np.float32)
    >>> best, top1, top2 = solve_analogies(W, np.array([0]), np.array([1]), np.array([2]),
    ...                                    np.array([0, 0, 0]), np.array([0, 1, 2]))
    >>> int(best[0])
    3
    """
    if method not in ("3cosadd", "3cosmul"):
        raise ValueError(f"method={method!r}; expected '3cosadd' or '3cosmul'.")
    torch = _torch() if use_torch else None
    unit = np.ascontiguousarray(unit, dtype=np.float32)
    if norms is not None:
        norms = np.asarray(norms, dtype=np.float32)[:, None]
    R, n = unit.shape[0], len(ia)
    # 4096 candidates x 128 questions: each block's scores (2 MB) stay in cache across the gather, the add and
    # the argmax (measured 2x faster than whole-vocabulary blocks on the text8 skip-gram)
    chunk_asked, chunk = chunk, chunk or 4096
    best = np.zeros(n, dtype=np.int64)
    top1 = np.full(n, -np.inf, dtype=np.float32)
    top2 = np.full(n, -np.inf if runner_up else np.nan, dtype=np.float32)
    if n == 0:
        return best, top1, top2
    # questions sharing (a, b) share the row D = S[b] - S[a] (3CosMul: S'[b] / (S'[a] + eps)); grouping them makes
    # each block one gather of S[c] plus one broadcast add of D instead of three gathers and two adds
    # (a, b) as one int64 key a * R + b: a 1-d unique, same order as unique(axis=0) on the pairs
    keys, pair_of = np.unique(np.asarray(ia, dtype=np.int64) * R + np.asarray(ib, dtype=np.int64), return_inverse=True)
    pairs = np.stack([keys // R, keys % R], axis=1)
    pair_of = pair_of.ravel()
    order = np.lexsort((np.arange(n), pair_of))  # questions grouped by pair
    words, inv = np.unique(np.concatenate([pairs[:, 0], pairs[:, 1], ic]), return_inverse=True)
    P = len(pairs)
    pa, pb, uc = inv[:P], inv[P : 2 * P], inv[2 * P :]
    # banned (question, row) pairs, re-indexed to the grouped order and sorted by column
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    b_q = rank[np.asarray(banned_rows, dtype=np.int64)]
    b_c = np.asarray(banned_cols, dtype=np.int64)
    by_col = np.argsort(b_c, kind="stable")
    b_q, b_c = b_q[by_col], b_c[by_col]
    g_pair, g_c = pair_of[order], uc[order]
    starts = np.flatnonzero(np.r_[True, g_pair[1:] != g_pair[:-1]])
    ends = np.r_[starts[1:], n]
    bounds = [(x, min(s1, x + block)) for s0, s1 in zip(starts, ends) for x in range(s0, s1, block)]
    gbest = np.zeros(n, dtype=np.int64)
    g1 = np.full(n, -np.inf, dtype=np.float32)
    g2 = np.full(n, -np.inf, dtype=np.float32)
    wu = unit[words] if norms is None else unit[words] / norms[words]  # (U, dim)
    use_numba = use_numba is not False and torch is None and _numba_ok(unit, norms)
    if use_numba:
        args = (pa, pb, starts, g_pair, g_c, b_q, b_c)
        _solve_numba(unit, norms, wu, *args, method, chunk_asked, runner_up, progress, gbest, g1, g2)
    for c0 in range(0, R, chunk) if not use_numba else ():  # numpy (or torch) path
        c1 = min(R, c0 + chunk)
        cols = unit[c0:c1] if norms is None else unit[c0:c1] / norms[c0:c1]
        # (U, width) cosines
        S = (torch.from_numpy(wu) @ torch.from_numpy(cols).T).numpy() if torch is not None else wu @ cols.T
        if method == "3cosmul":
            S += 1
            S *= 0.5
            D = S[pb] / (S[pa] + EPS_COSMUL)  # (P, width)
        else:
            D = S[pb] - S[pa]
        lo, hi = np.searchsorted(b_c, [c0, c1])
        bq, bc = b_q[lo:hi], b_c[lo:hi] - c0
        q_order = np.argsort(bq, kind="stable")
        bq, bc = bq[q_order], bc[q_order]
        buf = np.empty((block, c1 - c0), dtype=np.float32)  # reused: no fresh pages per block
        for q0, q1 in bounds:
            X = np.take(S, g_c[q0:q1], axis=0, out=buf[: q1 - q0])  # (block, width), one gather
            if method == "3cosmul":
                X *= D[g_pair[q0]]
            else:
                X += D[g_pair[q0]]
            k0, k1 = np.searchsorted(bq, [q0, q1])
            if k1 > k0:
                X[bq[k0:k1] - q0, bc[k0:k1]] = -np.inf
            rows = np.arange(q1 - q0)
            i0 = X.argmax(axis=1)  # first maximum: the lowest row
            v0 = X[rows, i0]
            if runner_up:
                X[rows, i0] = -np.inf
                v1 = X.max(axis=1) if X.shape[1] > 1 else np.full(q1 - q0, -np.inf, dtype=np.float32)
                _merge(gbest, g1, g2, q0, q1, v0, i0 + c0, v1)
            else:
                _merge(gbest, g1, g2, q0, q1, v0, i0 + c0, v0)
        if progress is not None:
            progress.update(round(n * c1 / R) - round(n * c0 / R))
    best[order], top1[order] = gbest, g1
    if runner_up:
        top2[order] = g2
    return best, top1, top2


def _numba_ok(unit: np.ndarray, norms: np.ndarray | None = None) -> bool:
    """numba is installed and every vector is finite (the fused kernel assumes no NaN)."""
    from forge.bench import _analogy_numba  # lazy: numba is optional (the fast extra) and slow to import

    if not _analogy_numba.available():
        return False
    # a NaN or inf anywhere makes its row's sum of squares (and norm) non-finite: one pass, no (vocab, dim) temporary
    sums = np.einsum("ij,ij->i", unit, unit) if norms is None else norms
    return bool(np.isfinite(sums).all())


def _solve_numba(
    unit: np.ndarray,
    norms: np.ndarray | None,
    wu: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    starts: np.ndarray,
    g_pair: np.ndarray,
    g_c: np.ndarray,
    b_q: np.ndarray,
    b_c: np.ndarray,
    method: str,
    chunk: int | None,
    runner_up: bool,
    progress,
    gbest: np.ndarray,
    g1: np.ndarray,
    g2: np.ndarray,
) -> None:
    """The chunk loop with the fused numba kernel (questions in pair-grouped order, results in place)."""
    from forge.bench import _analogy_numba  # lazy: numba is optional (the fast extra) and slow to import

    R, n = unit.shape[0], len(g_c)
    # a (U, width) chunk of S of ~1 MB (a core's L2; measured fastest among 256 KB..16 MB); the kernel tiles it
    chunk = chunk or max(64, min(R, _NUMBA_CHUNK_BYTES // (4 * len(wu))))
    by_q = np.lexsort((b_c, b_q))
    ban_q, ban_col = b_q[by_q], np.ascontiguousarray(b_c[by_q])
    ban_ptr = np.searchsorted(ban_q, np.arange(n + 1))
    gstart = np.r_[starts, n].astype(np.int64)
    gpa = np.ascontiguousarray(pa[g_pair[starts]], dtype=np.int64)
    gpb = np.ascontiguousarray(pb[g_pair[starts]], dtype=np.int64)
    qc = np.ascontiguousarray(g_c, dtype=np.int64)
    mul = method == "3cosmul"
    eps = np.float32(EPS_COSMUL)
    norms_1d = np.ascontiguousarray(norms[:, 0]) if norms is not None else None
    threads = _analogy_numba.num_threads()
    if _ONE_REGION:
        # one parallel region for the whole call: each thread takes interleaved column chunks end to end
        # (divide, product, pass) into its own best two, merged here in column order
        T = max(1, threads)
        tb = np.zeros((T, n), dtype=np.int64)
        t1 = np.full((T, n), -np.inf, dtype=np.float32)
        t2 = np.full((T, n), -np.inf, dtype=np.float32)
        nrm = norms_1d if norms_1d is not None else np.zeros(0, dtype=np.float32)
        with _one_blas_thread():
            _analogy_numba.solve_columns(
                unit, nrm, wu, gpa, gpb, gstart, qc, ban_ptr, ban_col, mul, eps, runner_up, chunk, tb, t1, t2
            )
        for k in range(T):
            better = (t1[k] > g1) | ((t1[k] == g1) & (tb[k] < gbest))
            new2 = np.where(better, np.maximum(g1, t2[k]), np.maximum(g2, t1[k]))
            gbest[:] = np.where(better, tb[k], gbest)
            g1[:] = np.where(better, t1[k], g1)
            g2[:] = new2
        if progress is not None:
            progress.update(n)
        return
    buf = np.empty((len(wu), chunk), dtype=np.float32)
    cbuf = np.empty((chunk, unit.shape[1]), dtype=np.float32) if norms is not None else None
    # rows of S split across numba's threads, each calling BLAS held to one thread: OpenBLAS's own threads keep
    # spinning after a product and halved the kernel's speed (measured 57 ms vs 24 ms on 2 cores)
    cut = np.linspace(0, len(wu), threads + 1).astype(int)
    with _one_blas_thread():
        for c0 in range(0, R, chunk):
            c1 = min(R, c0 + chunk)
            S = buf[:, : c1 - c0] if c1 - c0 == chunk else np.empty((len(wu), c1 - c0), dtype=np.float32)
            if cbuf is None or norms_1d is None:
                cols = unit[c0:c1]
            else:  # the chunk's unit vectors: the same division as dividing the whole matrix first
                cols = _analogy_numba.divide(unit[c0:c1], norms_1d[c0:c1], cbuf[: c1 - c0])
            _analogy_numba.product(wu, cols.T, S, cut)
            if mul:
                S += 1
                S *= 0.5
            _analogy_numba.chunk_pass(S, gpa, gpb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, gbest, g1, g2, runner_up)
            if progress is not None:
                progress.update(round(n * c1 / R) - round(n * c0 / R))


def _one_blas_thread() -> Any:
    """A context that holds BLAS to one thread (threadpoolctl), or does nothing without threadpoolctl."""
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController  # lazy: threadpoolctl is optional (the fast extra)
        except ImportError:  # pragma: no cover - threadpoolctl comes with the fast extra
            _BLAS = False
        else:
            _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas") if _BLAS else contextlib.nullcontext()


_BLAS: Any = None
_NUMBA_CHUNK_BYTES = 1 << 20
_ONE_REGION = os.environ.get("FORGE_ANALOGY_REGIONS", "one") == "one"  # "chunk": one region per chunk (before)


def _merge(
    best: np.ndarray,
    top1: np.ndarray,
    top2: np.ndarray,
    q0: int,
    q1: int,
    v0: np.ndarray,
    i0: np.ndarray,
    v1: np.ndarray,
) -> None:
    """Fold a chunk's best two into the running best two; strict > keeps the earlier (lower) row on ties."""
    b1, b2 = top1[q0:q1], top2[q0:q1]
    better = v0 > b1
    new2 = np.where(better, np.maximum(b1, v1), np.maximum(b2, v0))
    best[q0:q1] = np.where(better, i0, best[q0:q1])
    top1[q0:q1] = np.where(better, v0, b1)
    top2[q0:q1] = new2
