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

import numpy as np

__all__ = ["solve_analogies", "EPS_COSMUL"]

EPS_COSMUL = 1e-3     # Levy & Goldberg's epsilon for 3CosMul


def _torch():
    try:
        import torch
    except ImportError:  # torch is an optional extra
        return None
    return torch


def solve_analogies(unit: np.ndarray, ia: np.ndarray, ib: np.ndarray, ic: np.ndarray, banned_rows: np.ndarray,
                    banned_cols: np.ndarray, method: str = "3cosadd", chunk: int = 16384, block: int = 256,
                    use_torch: bool | None = None, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    Returns
    -------
    best, top1, top2 : (n,) arrays
        Winning row (tie rule in the module docstring), its score, the second best score.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=np.float32)
    >>> best, top1, top2 = solve_analogies(W, np.array([0]), np.array([1]), np.array([2]),
    ...                                    np.array([0, 0, 0]), np.array([0, 1, 2]), use_torch=False)
    >>> int(best[0])
    3
    """
    torch = _torch() if use_torch in (None, True) else None
    unit = np.ascontiguousarray(unit, dtype=np.float32)
    R, n = unit.shape[0], len(ia)
    uniq, inv = np.unique(np.concatenate([ia, ib, ic]), return_inverse=True)
    ua, ub, uc = inv[:n], inv[n:2 * n], inv[2 * n:]
    order = np.argsort(banned_cols, kind="stable")
    b_rows, b_cols = np.asarray(banned_rows)[order], np.asarray(banned_cols)[order]
    best = np.zeros(n, dtype=np.int64)
    top1 = np.full(n, -np.inf, dtype=np.float32)
    top2 = np.full(n, -np.inf, dtype=np.float32)
    wu = unit[uniq]                                                  # (U, dim)
    if torch is not None:
        W, WU = torch.from_numpy(unit), torch.from_numpy(np.ascontiguousarray(wu))
        A, B, C = (torch.from_numpy(x.astype(np.int64)) for x in (ua, ub, uc))
    for c0 in range(0, R, chunk):
        c1 = min(R, c0 + chunk)
        lo, hi = np.searchsorted(b_cols, [c0, c1])
        cr, cc = b_rows[lo:hi], b_cols[lo:hi] - c0
        if torch is not None:
            S = WU @ W[c0:c1].T                                      # (U, width) cosines
            if method == "3cosmul":
                S.add_(1).mul_(0.5)
            for q0 in range(0, n, block):
                q1 = min(n, q0 + block)
                X = S.index_select(0, B[q0:q1])                      # (block, width)
                if method == "3cosadd":
                    X.add_(S.index_select(0, C[q0:q1])).sub_(S.index_select(0, A[q0:q1]))
                else:
                    X.mul_(S.index_select(0, C[q0:q1])).div_(S.index_select(0, A[q0:q1]).add_(EPS_COSMUL))
                sel = (cr >= q0) & (cr < q1)
                if sel.any():
                    X[torch.from_numpy(cr[sel] - q0), torch.from_numpy(cc[sel])] = -float("inf")
                k = min(2, c1 - c0)
                v, i = X.topk(k, dim=1)
                v0, i0 = v[:, 0].numpy(), i[:, 0].numpy().copy()
                v1 = v[:, 1].numpy() if k == 2 else np.full(q1 - q0, -np.inf, dtype=np.float32)
                tied = np.flatnonzero(v0 == v1)
                if len(tied):                                        # exact tie: the lowest row wins
                    i0[tied] = X[torch.from_numpy(tied)].argmax(dim=1).numpy()
                _merge(best, top1, top2, q0, q1, v0, i0 + c0, v1)
        else:
            S = wu @ unit[c0:c1].T
            if method == "3cosmul":
                S = (S + 1) * 0.5
            for q0 in range(0, n, block):
                q1 = min(n, q0 + block)
                X = S[ub[q0:q1]]
                if method == "3cosadd":
                    X += S[uc[q0:q1]]
                    X -= S[ua[q0:q1]]
                else:
                    X *= S[uc[q0:q1]]
                    X /= S[ua[q0:q1]] + EPS_COSMUL
                sel = (cr >= q0) & (cr < q1)
                X[cr[sel] - q0, cc[sel]] = -np.inf
                rows = np.arange(q1 - q0)
                i0 = X.argmax(axis=1)                                # first maximum: the lowest row
                v0 = X[rows, i0].copy()
                X[rows, i0] = -np.inf
                v1 = X.max(axis=1) if X.shape[1] > 1 else np.full(q1 - q0, -np.inf, dtype=np.float32)
                _merge(best, top1, top2, q0, q1, v0, i0 + c0, v1)
        if progress is not None:
            progress.update(round(n * c1 / R) - round(n * c0 / R))
    return best, top1, top2


def _merge(best: np.ndarray, top1: np.ndarray, top2: np.ndarray, q0: int, q1: int, v0: np.ndarray,
           i0: np.ndarray, v1: np.ndarray) -> None:
    """Fold a chunk's best two into the running best two; strict > keeps the earlier (lower) row on ties."""
    b1, b2 = top1[q0:q1], top2[q0:q1]
    better = v0 > b1
    new2 = np.where(better, np.maximum(b1, v1), np.maximum(b2, v0))
    best[q0:q1] = np.where(better, i0, best[q0:q1])
    top1[q0:q1] = np.where(better, v0, b1)
    top2[q0:q1] = new2
