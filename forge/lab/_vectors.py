"""Vector arithmetic the probes share: dense arrays, exact mean pooling, cosine distance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["cosine_distance", "dense", "mean_pool"]


def dense(x: Any) -> np.ndarray:
    """A float64 ndarray from a dense array or a SciPy sparse matrix."""
    if hasattr(x, "toarray"):
        return np.asarray(x.toarray(), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def mean_pool(rows: Any) -> np.ndarray:
    """Mean of a sentence's token vectors, computed with a correctly rounded sum (``math.fsum``).

    The exact sum does not depend on the order of the rows, so two orderings of the same
    multiset of vectors give bit-identical means: any difference left is in the vectors,
    not in floating-point summation order.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1e-8, 1.0], [1.0, 3.0], [0.1, -2.0]])
    >>> bool(np.array_equal(mean_pool(a), mean_pool(a[::-1])))
    True
    """
    if hasattr(rows, "tocoo"):  # sparse (one-hot): exact sums over the stored entries only
        coo = rows.tocoo()
        out = np.zeros(coo.shape[1])
        order = np.argsort(coo.col, kind="stable")
        cols, vals = coo.col[order], np.asarray(coo.data, dtype=np.float64)[order]
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]]) if len(cols) else np.array([], dtype=int)
        for a, b in zip(starts, np.r_[starts[1:], len(cols)]):
            out[cols[a]] = math.fsum(vals[a:b])
        return out / max(1, coo.shape[0])
    mat = dense(rows)
    if mat.shape[0] == 0:
        return np.zeros(mat.shape[1])
    return np.array([math.fsum(col) for col in mat.T]) / mat.shape[0]


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - cos(a, b)``; 0 for two zero vectors, 1 when only one is zero."""
    if np.array_equal(a, b):
        return 0.0  # identical vectors: exactly 0, not 1 - (a rounded cos of 1)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 1.0
    return float(max(0.0, 1.0 - float(np.dot(a, b)) / (na * nb)))
