"""Fused numba kernel for :func:`forge.bench._analogy_kernel.solve_analogies` (optional: ``pip install forge[fast]``; used when installed).

For one column chunk of cosines ``S = W[U] @ W[chunk].T`` (a BLAS product, :func:`product`), every
``(a, b)`` pair group builds ``D = S[b] - S[a]`` (3CosMul: ``S'[b] / (S'[a] + eps)``) once in a small
buffer, and each of its questions combines ``S[c] + D`` (3CosMul: ``S'[c] * D``), bans its banned
columns, and folds the chunk's best two into the running best two. Groups run in parallel
(``prange``). Most of a question's tiles cannot change its best (two): an or-reduction of
``score > best so far`` (vectorized) skips them; the others store their scores and take the maximum
in 16 running maxima (a single running maximum is a chain of dependent compares that LLVM does not
vectorize), then the first column holding it. The combination is the
numpy path's, operation for operation (no fused multiply-add, no reassociation): given the same
cosines both return the same bits (tested on dyadic vectors, whose cosines are exact). The product
is split differently, so on real vectors a cosine may differ in its last bit, which can only flip
a near-tie. The tie rule is the same: the higher score wins, an equal score keeps the lower row.

``fastmath`` is limited to ``nnan``/``nsz``; the caller uses this kernel only on finite vectors.
The cosines come from BLAS called in numba's threads (held to one thread each, rows split
between them: OpenBLAS's own threads keep spinning after a product and halve the kernel's speed). Measured on the
text8 skip-gram (9,274 questions), in CPU time on one thread: ~42 ms in the kernel (80 ms before the skip test and
the 16 maxima), ~27 ms in the product.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

__all__ = ["available", "chunk_pass", "divide", "num_threads", "product"]

try:  # numba is an optional extra (imported by name: mypy needs neither numba nor its stubs)
    numba: Any = importlib.import_module("numba")
except ImportError:  # pragma: no cover - exercised by the torch-free CI run
    numba = None

_KERNEL: Any = None
_LANES = 16  # running maxima per reduction (a multiple of the SIMD width)


def available() -> bool:
    """Whether numba is installed (the fused kernel can run)."""
    return numba is not None


def num_threads() -> int:
    """The number of threads numba's parallel loops use."""
    return int(numba.get_num_threads()) if numba is not None else 1


def product(wu: np.ndarray, B: np.ndarray, S: np.ndarray, cut: np.ndarray) -> None:
    """``S[:] = wu @ B`` in numba's threads, rows ``cut[k]:cut[k + 1]`` in thread k (BLAS, one thread each)."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    _KERNEL[1](wu, B, S, cut)


def divide(src: np.ndarray, norms: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[:] = src / norms[:, None]`` in numba's threads (the same bits as numpy); returns ``out``."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    _KERNEL[2](src, norms, out)
    return out


def _build() -> Any:
    """Compile (or load from numba's on-disk cache) the chunk kernel."""
    assert numba is not None
    prange = numba.prange

    lanes = _LANES

    @numba.njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
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

    @numba.njit(parallel=True, cache=True, fastmath={"nnan", "nsz"})
    def _pass(
        S, pa, pb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, best, top1, top2, runner_up, tile
    ):  # pragma: no cover
        total = S.shape[1]
        ninf = np.float32(-np.inf)
        for t0 in range(0, total, tile):
            t1 = min(total, t0 + tile)
            width = t1 - t0
            for g in prange(len(pa)):
                D = np.empty(width, dtype=np.float32)
                X = np.empty(width, dtype=np.float32)
                acc = np.empty(lanes, dtype=np.float32)
                a, b = pa[g], pb[g]
                if mul:
                    for j in range(width):
                        D[j] = S[b, t0 + j] / (S[a, t0 + j] + eps)
                else:
                    for j in range(width):
                        D[j] = S[b, t0 + j] - S[a, t0 + j]
                for q in range(gstart[g], gstart[g + 1]):
                    c = qc[q]
                    Sc = S[c, t0:t1]
                    banned = False
                    for k in range(ban_ptr[q], ban_ptr[q + 1]):
                        col = ban_col[k] - c0 - t0
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
                        continue
                    if mul:
                        for j in range(width):
                            X[j] = Sc[j] * D[j]
                    else:
                        for j in range(width):
                            X[j] = Sc[j] + D[j]
                    if banned:
                        for k in range(ban_ptr[q], ban_ptr[q + 1]):
                            col = ban_col[k] - c0 - t0
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
                        best[q] = i0 + c0 + t0
                        top1[q] = m
                    elif m > top2[q]:
                        top2[q] = m

    @numba.njit(parallel=True, cache=True)
    def _product(wu, B, S, cut):  # pragma: no cover
        for k in prange(len(cut) - 1):
            S[cut[k] : cut[k + 1]] = np.dot(wu[cut[k] : cut[k + 1]], B)

    @numba.njit(parallel=True, cache=True)
    def _divide(src, norms, out):  # pragma: no cover
        # out[i] = src[i] / norms[i]: IEEE division (no fastmath), the same bits as numpy's
        for i in prange(src.shape[0]):
            d = norms[i]
            for j in range(src.shape[1]):
                out[i, j] = src[i, j] / d

    return _pass, _product, _divide


def chunk_pass(
    S: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    gstart: np.ndarray,
    qc: np.ndarray,
    ban_ptr: np.ndarray,
    ban_col: np.ndarray,
    c0: int,
    mul: bool,
    eps: np.float32,
    best: np.ndarray,
    top1: np.ndarray,
    top2: np.ndarray,
    runner_up: bool,
    tile: int = 4096,
) -> None:
    """Fold one column chunk into ``best``/``top1``/``top2`` (questions in pair-grouped order, in place).

    ``S`` is the (U, width) float32 chunk of cosines (3CosMul: already mapped to ``(1 + S) / 2``);
    group ``g`` (rows ``pa[g]``, ``pb[g]`` of S) holds questions ``gstart[g]:gstart[g + 1]``, whose
    ``c`` rows are ``qc``; question ``q``'s banned columns (absolute rows) are
    ``ban_col[ban_ptr[q]:ban_ptr[q + 1]]``; ``c0`` is the chunk's first row. The kernel walks S in tiles of ``tile`` columns (L1/L2-sized).
    """
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    _KERNEL[0](S, pa, pb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, best, top1, top2, runner_up, tile)
