"""Analogy answers on a torch device (CUDA), with the CPU kernel's arithmetic and tie rule, in true fp32.

The CPU kernel (:mod:`forge.bench._analogy_kernel`) computes the cosines of the U distinct question
words with a chunk of the vocabulary, ``S = W[U] @ W[chunk].T``, then each question's scores from
three rows of S. This module does the same on a torch device, for all questions of a block at once,
with ``D`` computed once per (a, b) pair:

* 3CosAdd: ``D = S[b] - S[a]``, ``X = S[c] + D``;
* 3CosMul: ``S' = (S + 1) * 0.5``, ``D = S'[b] / (S'[a] + 1e-3)``, ``X = S'[c] * D``;

the same float32 operations as the CPU kernel, so an answer can differ only where the cosines
themselves differ in the last bits (the two BLAS libraries sum a dot product in different orders):
at near-ties.

Tie rule (the CPU kernel's): the highest score wins; among exactly equal scores the lowest vocabulary
row. ``argmax`` returns the first maximum within a chunk, and a later chunk replaces the best only
with a strictly higher score.

True fp32: on CUDA, torch may run float32 matrix products in TF32 (10-bit mantissa) when a program
allowed it; :func:`cuda_fp32` turns that off while the analogies run and restores the settings after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch  # only imported where torch is (the CUDA branch of evaluate_analogy, its tests)

__all__ = ["cuda_fp32", "solve_analogies_torch"]

EPS_COSMUL = 1e-3  # Levy & Goldberg's epsilon (the CPU kernel's EPS_COSMUL)
SCORE_BYTES = 1 << 30  # about 1 GiB per (questions, chunk) score block on the device


@contextlib.contextmanager
def cuda_fp32() -> Iterator[None]:
    """Float32 matrix products in full float32 (no TF32) inside the block; the previous settings after.

    Examples
    --------
    >>> with cuda_fp32():
    ...     torch.backends.cuda.matmul.allow_tf32
    False
    """
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.get_float32_matmul_precision(),
    )
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[0], saved[1]
        torch.set_float32_matmul_precision(saved[2])


def solve_analogies_torch(
    W: Any,
    ia: np.ndarray,
    ib: np.ndarray,
    ic: np.ndarray,
    banned_rows: np.ndarray,
    banned_cols: np.ndarray,
    method: str = "3cosadd",
    chunk: int | None = None,
    block: int = 32768,
) -> tuple[np.ndarray, np.ndarray]:
    """Best candidate row per question and its score, on ``W``'s device.

    Parameters
    ----------
    W : (vocab, dim) float32 torch tensor
        Unit-length candidate vectors, on the device that does the work (CUDA, or CPU for tests).
    ia, ib, ic : (n,) int arrays
        Rows of a, b, c for each question.
    banned_rows, banned_cols : int arrays
        ``(question, row)`` pairs that are never an answer (the question words, their case variants).
    method : {"3cosadd", "3cosmul"}
    chunk : int, optional
        Candidates per column chunk (default: as many as keep a score block near 1 GiB).
    block : int
        Questions per block.

    Returns
    -------
    best, top1 : (n,) numpy arrays
        Winning row (tie rule in the module docstring) and its score.

    Examples
    --------
    >>> import numpy as np
    >>> W = torch.tensor([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=torch.float32)
    >>> best, top1 = solve_analogies_torch(W, np.array([0]), np.array([1]), np.array([2]),
    ...                                    np.array([0, 0, 0]), np.array([0, 1, 2]))
    >>> int(best[0])
    3
    """
    if method not in ("3cosadd", "3cosmul"):
        raise ValueError(f"method={method!r}; expected '3cosadd' or '3cosmul'.")
    dev = W.device
    R, n = W.shape[0], len(ia)
    best = np.zeros(n, dtype=np.int64)
    top1 = np.full(n, -np.inf, dtype=np.float32)
    if n == 0:
        return best, top1
    # questions sharing (a, b) share D = S[b] - S[a] (3CosMul: S'[b] / (S'[a] + eps)): one row per pair, then
    # each question's scores are one gather of S[c] and one of D (the CPU kernel's grouping)
    keys, pair_of = np.unique(np.asarray(ia, dtype=np.int64) * R + np.asarray(ib, dtype=np.int64), return_inverse=True)
    P = len(keys)
    words, inv = np.unique(np.concatenate([keys // R, keys % R, np.asarray(ic, dtype=np.int64)]), return_inverse=True)
    inv = inv.ravel()
    pa, pb = torch.as_tensor(inv[:P], device=dev), torch.as_tensor(inv[P : 2 * P], device=dev)
    uc, up = torch.as_tensor(inv[2 * P :], device=dev), torch.as_tensor(pair_of.ravel(), device=dev)
    WU = W[torch.as_tensor(words, device=dev)]  # (U, dim)
    b_q = torch.as_tensor(np.asarray(banned_rows, dtype=np.int64), device=dev)
    b_c = torch.as_tensor(np.asarray(banned_cols, dtype=np.int64), device=dev)
    width = chunk or max(1024, SCORE_BYTES // (4 * max(min(n, block), len(words))))  # S and X near 1 GiB each
    for q0 in range(0, n, block):
        q1 = min(n, q0 + block)
        qc, qp = uc[q0:q1], up[q0:q1]
        in_block = (b_q >= q0) & (b_q < q1)
        bq, bc = b_q[in_block] - q0, b_c[in_block]
        g_best = torch.zeros(q1 - q0, dtype=torch.int64, device=dev)
        g_top = torch.full((q1 - q0,), -float("inf"), dtype=torch.float32, device=dev)
        for c0 in range(0, R, width):
            c1 = min(R, c0 + width)
            S = WU @ W[c0:c1].T  # (U, width) cosines
            if method == "3cosmul":
                S += 1
                S *= 0.5
                D = S[pb] / (S[pa] + EPS_COSMUL)  # (P, width)
                X = S[qc]  # (block, width)
                X *= D[qp]
            else:
                D = S[pb] - S[pa]  # (P, width)
                X = S[qc]  # (block, width)
                X += D[qp]
            hit = (bc >= c0) & (bc < c1)
            X[bq[hit], bc[hit] - c0] = -float("inf")
            v, i = X.max(dim=1)  # the first maximum: the lowest row of the chunk
            better = v > g_top  # strictly: on an exact tie the earlier (lower) row stays
            g_top = torch.where(better, v, g_top)
            g_best = torch.where(better, i + c0, g_best)
            del S, D, X
        best[q0:q1] = g_best.cpu().numpy()
        top1[q0:q1] = g_top.cpu().numpy()
    return best, top1
