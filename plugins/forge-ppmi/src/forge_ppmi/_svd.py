"""Truncated SVD of a sparse matrix: randomized (Halko et al. 2011) or ARPACK.

Both return the ``k`` largest singular triplets in decreasing order, with
signs fixed (the largest-magnitude entry of every left singular vector is
positive) so that a given seed always gives the same vectors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from forge.errors import BadInputError

__all__ = ["SVD_ALGORITHMS", "truncated_svd"]

SVD_ALGORITHMS = ("randomized", "arpack")


def truncated_svd(matrix: sp.spmatrix, k: int, algorithm: str = "randomized", n_iter: int = 5,
                  n_oversamples: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
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
        raise BadInputError(f"vector_size={k} must be between 1 and {n - 1} (the matrix is {matrix.shape[0]} x "
                            f"{matrix.shape[1]}: one less than the vocabulary size); lower vector_size or "
                            f"fit on a larger corpus.")
    rng = np.random.default_rng(seed)
    if algorithm == "randomized":
        u, s = _randomized(matrix, k, n_iter, n_oversamples, rng)
    elif algorithm == "arpack":
        from scipy.sparse.linalg import svds
        v0 = rng.uniform(-1.0, 1.0, n)
        u, s, _ = svds(matrix.astype(np.float64), k=k, v0=v0)
        order = np.argsort(-s, kind="stable")
        u, s = u[:, order], s[order]
    else:
        raise BadInputError(f"svd={algorithm!r} is not known; choose one of {SVD_ALGORITHMS}.")
    # sign fix: SVD is unique only up to the sign of each singular pair
    pivots = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[pivots, np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return u * signs, s


def _randomized(matrix: sp.spmatrix, k: int, n_iter: int, n_oversamples: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    matrix = sp.csr_matrix(matrix)
    transposed = matrix.T.tocsr()
    width = min(k + n_oversamples, min(matrix.shape))
    omega = rng.standard_normal((matrix.shape[1], width)).astype(matrix.dtype)   # (n, width)
    q, _ = np.linalg.qr(matrix @ omega)                                          # (m, width)
    for _ in range(n_iter):  # QR after every product keeps the small singular directions alive
        q, _ = np.linalg.qr(transposed @ q)
        q, _ = np.linalg.qr(matrix @ q)
    small = (transposed @ q).T                                                   # (width, n) = Q^T M
    u_small, s, _ = np.linalg.svd(np.asarray(small, dtype=np.float64), full_matrices=False)
    return (q @ u_small[:, :k].astype(q.dtype)).astype(np.float64), s[:k]
