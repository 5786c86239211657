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
:func:`solve_columns` (the default, ``FORGE_ANALOGY_REGIONS=chunk`` restores the per-chunk kernels) runs the
whole call in one parallel region: thread k takes the column chunks k, k + T, ... end to end (divide, product,
pass, all serial) into its own best two, merged by the caller in column order with the same tie rule. One
region per chunk (~80 per call on text8) made every chunk wait for the slowest thread: on 2 cores at load 16,
a descheduled thread cost a timeslice per barrier, 8.8 s a call against 1.4 s in one region.
The cosines come from BLAS called in numba's threads (held to one thread each, rows split
between them: OpenBLAS's own threads keep spinning after a product and halve the kernel's speed). Measured on the
text8 skip-gram (9,274 questions), in CPU time on one thread: ~42 ms in the kernel (80 ms before the skip test and
the 16 maxima), ~27 ms in the product.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from forge._paths import cache_dir

__all__ = ["available", "chunk_pass", "divide", "num_threads", "product", "solve_columns"]

try:  # numba is an optional extra (imported by name: mypy needs neither numba nor its stubs)
    numba: Any = importlib.import_module("numba")
except ImportError:  # pragma: no cover - exercised by the torch-free CI run
    numba = None

_KERNEL: Any = None


def _kernels() -> Any:
    """The kernels module, imported on first use."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build()
    return _KERNEL


def available() -> bool:
    """Whether numba is installed (the fused kernel can run)."""
    return numba is not None


def num_threads() -> int:
    """The number of threads numba's parallel loops use."""
    return int(numba.get_num_threads()) if numba is not None else 1


def product(wu: np.ndarray, B: np.ndarray, S: np.ndarray, cut: np.ndarray) -> None:
    """``S[:] = wu @ B`` in numba's threads, rows ``cut[k]:cut[k + 1]`` in thread k (BLAS, one thread each)."""
    _kernels().product(wu, B, S, cut)


def divide(src: np.ndarray, norms: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[:] = src / norms[:, None]`` in numba's threads (the same bits as numpy); returns ``out``."""
    _kernels().divide(src, norms, out)
    return out


def _build() -> Any:
    """Import the kernels (numba loads them from its on-disk cache, or compiles and caches them)."""
    assert numba is not None
    _cache_dir()
    return importlib.import_module("forge.bench._analogy_numba_kernels")


def _cache_dir() -> None:
    """Cache the compiled kernels under forge's cache when the package folder is not writable.

    numba writes its cache next to the source (``__pycache__``) when it can; in a read-only install
    (site-packages owned by root, a container image) it would otherwise fall back to its own
    user-wide folder. ``NUMBA_CACHE_DIR`` set by the user always wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(Path(__file__).parent, os.W_OK):
        return

    numba.config.CACHE_DIR = str(cache_dir() / "numba")


def solve_columns(
    unit: np.ndarray,
    norms: np.ndarray,
    wu: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    gstart: np.ndarray,
    qc: np.ndarray,
    ban_ptr: np.ndarray,
    ban_col: np.ndarray,
    mul: bool,
    eps: np.float32,
    runner_up: bool,
    chunk: int,
    best: np.ndarray,
    top1: np.ndarray,
    top2: np.ndarray,
) -> None:
    """Every column chunk in one parallel region: thread k folds chunks k, k + T, ... into row k of the
    (T, questions) ``best``/``top1``/``top2`` (``norms``: empty when ``unit`` is already unit-length)."""
    _kernels().solve_columns(
        unit, norms, wu, pa, pb, gstart, qc, ban_ptr, ban_col, mul, eps, runner_up, chunk, best, top1, top2
    )


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
    _kernels().chunk_pass(S, pa, pb, gstart, qc, ban_ptr, ban_col, c0, mul, eps, best, top1, top2, runner_up, tile)
