"""Truncated SVD of a sparse matrix: randomized (Halko et al. 2011) or ARPACK.

Both return the ``k`` largest singular triplets in decreasing order, with
signs fixed (the largest-magnitude entry of every left singular vector is
positive) so that a given seed always gives the same vectors.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import scipy.sparse as sp
from forge.errors import BadInputError

__all__ = ["SVD_ALGORITHMS", "truncated_svd"]

SVD_ALGORITHMS = ("randomized", "arpack")


def truncated_svd(
    matrix: sp.spmatrix, k: int, algorithm: str = "randomized", n_iter: int = 5, n_oversamples: int = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(U, s)``: the top ``k`` left singular vectors ``(n, k)`` and values ``(k,)``.

    ``randomized`` multiplies the sparse matrix by a thin Gaussian block,
    ``n_iter`` power iterations sharpen the spectrum, and a small dense SVD
    finishes: ``2 * n_iter + 2`` sparse-times-thin products in all.
    ``arpack`` (``scipy.sparse.linalg.svds``) is exact but slower for large ``k``.

    Examples
    --------
    >>> m = sp.csr_matrix(np.diag([3.0, 2.0, 1.0, 0.5]))
    >>> u, s = truncated_svd(m, 2, seed=0)
    >>> s.round(6).tolist(), np.abs(u).round(6).tolist()
    ([3.0, 2.0], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    """
    n = min(matrix.shape)
    if not 1 <= k < n:
        raise BadInputError(
            f"vector_size={k} must be between 1 and {n - 1} (the matrix is {matrix.shape[0]} x "
            f"{matrix.shape[1]}: one less than the vocabulary size); lower vector_size or "
            f"fit on a larger corpus."
        )
    if algorithm not in SVD_ALGORITHMS:
        raise BadInputError(f"svd={algorithm!r} is not known; choose one of {SVD_ALGORITHMS}.")
    rng = np.random.default_rng(seed)
    with _single_threaded_blas():
        if algorithm == "randomized":
            u, s = _randomized(matrix, k, n_iter, n_oversamples, rng)
        else:
            from scipy.sparse.linalg import svds

            v0 = rng.uniform(-1.0, 1.0, n)
            u, s, _ = svds(matrix.astype(np.float64), k=k, v0=v0)
            order = np.argsort(-s, kind="stable")
            u, s = u[:, order], s[order]
    # sign fix: SVD is unique only up to the sign of each singular pair
    pivots = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[pivots, np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return u * signs, s


def _single_threaded_blas() -> AbstractContextManager[Any]:
    """One BLAS thread for the tall-and-thin dense steps.

    The sparse products dominate and are single-threaded anyway; the dense
    ones are small, and multi-threaded OpenBLAS spends 5-20x longer on them
    when other processes share the cores (measured on a busy 2-core machine).
    Without threadpoolctl, BLAS keeps its own setting.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency, but optional here
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _randomized(
    matrix: sp.spmatrix, k: int, n_iter: int, n_oversamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    matrix = sp.csr_matrix(matrix, dtype=np.float64)  # float64 LAPACK is also the faster path here
    transposed = matrix.T.tocsr()
    width = min(k + n_oversamples, min(matrix.shape))
    omega = rng.standard_normal((matrix.shape[1], width))  # (n, width)
    q = _orthonormalize(matrix @ omega)  # (m, width)
    for _ in range(n_iter):  # re-orthonormalising after every product keeps the small directions alive
        q = _orthonormalize(transposed @ q)
        q = _orthonormalize(matrix @ q)
    small = (transposed @ q).T  # (width, n) = Q^T M
    u_small, s, _ = np.linalg.svd(np.asarray(small), full_matrices=False)
    return q @ u_small[:, :k], s[:k]


def _orthonormalize(y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of ``y`` (tall and thin).

    CholeskyQR2: two passes of ``Q = Y R^-1`` with ``R`` from the Cholesky
    factor of the small Gram matrix ``Y^T Y``. It is mostly one matrix product,
    several times faster than Householder QR, and much less sensitive to BLAS
    threads competing for a busy machine. Falls back to ``numpy.linalg.qr``
    when ``y`` is (numerically) rank-deficient.
    """
    from scipy.linalg import solve_triangular

    q = y
    try:
        for _ in range(2):
            lower = np.linalg.cholesky(q.T @ q)  # (width, width)
            q = solve_triangular(lower, q.T, lower=True, check_finite=False).T
    except np.linalg.LinAlgError:
        return np.linalg.qr(y)[0]
    if not np.all(np.isfinite(q)) or np.abs(q.T @ q - np.eye(q.shape[1])).max() > 1e-8:
        return np.linalg.qr(y)[0]
    return q
