"""The numba kernels of :mod:`forge.bench._analogy_numba`, compiled on first use and cached on disk.

Imported only when numba is installed and a kernel is first needed. Every kernel is a module-level
function: numba's on-disk cache keys a function by its source and by the values its closure holds,
and a closure over another jitted function (a dispatcher, pickled with a per-process id) never
matched, so each new process compiled ``_pass`` again (seconds). Module globals are not part of
the key, so these load from the cache in every later process.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange  # type: ignore[import-not-found,unused-ignore]

__all__ = ["chunk_pass", "divide", "product"]

lanes = 16  # running maxima per reduction (a multiple of the SIMD width)


@njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
def _max(X, width, acc):  # pragma: no cover
    # max(X[:width]) in `lanes` independent running maxima (LLVM vectorizes them; a single running maximum is
    # a chain of dependent compares it does not), then across the lanes: a maximum does not round, so the
    # order does not change the result
    ninf = np.float32(-np.inf)
    for k in range(lanes):
        acc[k] = ninf
    full = width - width % lanes
    for i in range(0, full, lanes):
        for k in range(lanes):
            x = X[i + k]
            acc[k] = x if x > acc[k] else acc[k]
    m = ninf
    for k in range(lanes):
        m = acc[k] if acc[k] > m else m
    for j in range(full, width):
        m = X[j] if X[j] > m else m
    return m


@njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
def _pair_term(S, a, b, t0, width, mul, eps, D):  # pragma: no cover
    # the (a, b) pair's share of every candidate's score in the tile starting at column t0: b / (a + eps)
    # for 3CosMul, b - a for 3CosAdd (the question's c term is added or multiplied in _answer)
    if mul:
        for j in range(width):
            D[j] = S[b, t0 + j] / (S[a, t0 + j] + eps)
    else:
        for j in range(width):
            D[j] = S[b, t0 + j] - S[a, t0 + j]


@njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
def _answer(Sc, D, X, acc, width, q, off, ban_ptr, ban_col, mul, best, top1, top2, runner_up):  # pragma: no cover
    # question q against one tile of candidates (its scores Sc[:width] and the shared pair term D, the
    # tile's first candidate row being `off`): update its best row, best score and runner-up score
    ninf = np.float32(-np.inf)
    banned = False
    for k in range(ban_ptr[q], ban_ptr[q + 1]):
        col = ban_col[k] - off
        if 0 <= col < width:
            banned = True
    # fast path: can any score beat the running best (runner-up)? An or-reduction of compares,
    # which LLVM vectorizes; the scores are stored and searched only when one can (a few times
    # per question: the running best of a scan improves ~log(tiles) times)
    v1 = top1[q]
    thr = top2[q] if runner_up else v1
    hit = False
    if mul:
        for j in range(width):
            hit |= Sc[j] * D[j] > thr
    else:
        for j in range(width):
            hit |= Sc[j] + D[j] > thr
    if not hit:
        return
    if mul:
        for j in range(width):
            X[j] = Sc[j] * D[j]
    else:
        for j in range(width):
            X[j] = Sc[j] + D[j]
    if banned:
        for k in range(ban_ptr[q], ban_ptr[q + 1]):
            col = ban_col[k] - off
            if 0 <= col < width:
                X[col] = ninf
    m = _max(X, width, acc)
    if m > v1:
        i0 = 0
        while X[i0] != m:  # the first maximum: the lowest row
            i0 += 1
        if runner_up:
            X[i0] = ninf
            top2[q] = max(v1, _max(X, width, acc))
        best[q] = i0 + off
        top1[q] = m
    elif m > top2[q]:
        top2[q] = m


@njit(parallel=True, cache=True, fastmath={"nnan", "nsz"})
def chunk_pass(
    S, pa, pb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, best, top1, top2, runner_up, tile
):  # pragma: no cover
    total = S.shape[1]
    for t0 in range(0, total, tile):
        t1 = min(total, t0 + tile)
        width = t1 - t0
        for g in prange(len(pa)):
            D = np.empty(width, dtype=np.float32)
            X = np.empty(width, dtype=np.float32)
            acc = np.empty(lanes, dtype=np.float32)
            _pair_term(S, pa[g], pb[g], t0, width, mul, eps, D)
            for q in range(gstart[g], gstart[g + 1]):
                _answer(
                    S[qc[q], t0:t1], D, X, acc, width, q, c0 + t0, ban_ptr, ban_col, mul, best, top1, top2, runner_up
                )


@njit(parallel=True, cache=True)
def product(wu, B, S, cut):  # pragma: no cover
    for k in prange(len(cut) - 1):
        S[cut[k] : cut[k + 1]] = np.dot(wu[cut[k] : cut[k + 1]], B)


@njit(parallel=True, cache=True)
def divide(src, norms, out):  # pragma: no cover
    # out[i] = src[i] / norms[i]: IEEE division (no fastmath), the same bits as numpy's
    for i in prange(src.shape[0]):
        d = norms[i]
        for j in range(src.shape[1]):
            out[i, j] = src[i, j] / d


@njit(cache=True, fastmath={"nnan", "nsz"})
def _pass_serial(
    S, width, pa, pb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, best, top1, top2, runner_up, D, X, acc
):  # pragma: no cover
    # chunk_pass on one (U, width) chunk in one thread: every group in turn, the same arithmetic and tie rule
    for g in range(len(pa)):
        _pair_term(S, pa[g], pb[g], 0, width, mul, eps, D)
        for q in range(gstart[g], gstart[g + 1]):
            _answer(S[qc[q], :width], D, X, acc, width, q, c0, ban_ptr, ban_col, mul, best, top1, top2, runner_up)


@njit(cache=True)
def _divide_rows(src, norms, out):  # pragma: no cover
    # IEEE division (no fastmath): the same bits as numpy's src / norms[:, None]
    for i in range(src.shape[0]):
        d = norms[i]
        for j in range(src.shape[1]):
            out[i, j] = src[i, j] / d


@njit(parallel=True, cache=True)
def solve_columns(
    unit, norms, wu, pa, pb, gstart, qc, ban_ptr, ban_col, mul, eps, runner_up, chunk, best, top1, top2
):  # pragma: no cover
    # one parallel region per call: thread k takes the column chunks k, k + T, k + 2T... (interleaved, so the
    # expensive early chunks, where the running best is still low, are shared), each chunk divided, multiplied
    # (BLAS, one thread) and passed serially; best/top1/top2 are (T, n), merged by the caller
    T = best.shape[0]
    R, dim = unit.shape
    U = wu.shape[0]
    n_chunks = (R + chunk - 1) // chunk
    for k in prange(T):
        cols = np.empty((chunk, dim), dtype=np.float32)
        D = np.empty(chunk, dtype=np.float32)
        X = np.empty(chunk, dtype=np.float32)
        acc = np.empty(lanes, dtype=np.float32)
        for ci in range(k, n_chunks, T):
            c0 = ci * chunk
            c1 = min(R, c0 + chunk)
            w = c1 - c0
            if norms.shape[0]:
                _divide_rows(unit[c0:c1], norms[c0:c1], cols[:w])
            else:
                cols[:w] = unit[c0:c1]
            S = np.dot(wu, cols[:w].T)  # (U, w) cosines
            if mul:
                for i in range(U):
                    for j in range(w):
                        S[i, j] = (S[i, j] + np.float32(1)) * np.float32(0.5)
            _pass_serial(
                S,
                w,
                pa,
                pb,
                gstart,
                qc,
                ban_ptr,
                ban_col,
                c0,
                mul,
                eps,
                best[k],
                top1[k],
                top2[k],
                runner_up,
                D,
                X,
                acc,
            )
