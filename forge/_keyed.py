"""The gensim ``KeyedVectors`` surface for static encoders.

:class:`KeyedMixin` gives every encoder with context-free vectors the calls
gensim users type without thinking, with gensim's argument names and return
shapes: ``enc[word]``, ``enc[[w1, w2]]``, ``most_similar(positive=...,
negative=..., topn=..., restrict_vocab=...)``, ``most_similar_cosmul``,
``doesnt_match``, ``n_similarity`` and ``rank``. It is part of the
:class:`forge.Encoder` contract, checked on every encoder by
``forge.testing.check_keyed_surface``.

One hook, one shape: every query works on the public ``static_matrix()``
(``(len(vocabulary), static_dim)``, dense or ``scipy.sparse``) and on
``vector(word)``, one of its rows; nothing else of the encoder is read.
Sparse matrices stay sparse (a one-hot vocabulary of 70,000 words is never
made a dense 70,000 x 70,000 array). The neighbour queries consider the
*candidate rows* (``clip_start:clip_end``, or the first ``restrict_vocab``)
minus the input words and the encoder's *excluded rows*
(:meth:`KeyedMixin._excluded_rows`: the recurrent encoders' ``<pad>``,
``<s>`` and ``</s>``, which are not words).

Ties are broken by vocabulary order (the more frequent word first), so
results are deterministic; gensim leaves exact ties to ``argpartition``.

Examples
--------
>>> import numpy as np, forge
>>> words = ["king", "queen", "man", "woman", "apple"]
>>> vecs = np.array([[1, 0, 1], [1, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, -1]], dtype=np.float32)
>>> kv = forge.encoders.KeyedVectorsEncoder.from_arrays(words, vecs)
>>> kv.most_similar(positive=["woman", "king"], negative=["man"], topn=1)[0][0]
'queen'
>>> kv.doesnt_match(["king", "queen", "apple"])
'apple'
>>> kv[["king", "man"]].shape
(2, 3)
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from forge.errors import BadInputError

if TYPE_CHECKING:
    from forge.vocab import Vocabulary

__all__ = ["KeyedMixin"]


def _ensure_list(value: Any) -> list[Any]:
    """gensim's rule: None -> [], a key or a 1-d vector -> [it], a 2-d array -> its rows."""
    if value is None:
        return []
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _unitvec(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first, ties by lower index (deterministic)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)  # every index tied with the k-th, so ties are stable
    else:
        part = np.arange(len(scores))
    order = np.lexsort((part, -scores[part]))
    return part[order][:k]


class KeyedMixin:
    """gensim-style queries over static vectors (see the module docstring)."""

    if TYPE_CHECKING:  # what the host class (forge.BaseEncoder) provides; declared for the type checker only
        vocab_: Vocabulary

        @property
        def static_dim(self) -> int: ...
        def vector(self, word: str) -> Any: ...
        def static_matrix(self) -> Any: ...
        def _index(self, word: str) -> int | None: ...
        def _check_fitted(self) -> None: ...
        def _cached(self, key: str, compute: Any) -> Any: ...
        def __contains__(self, word: object) -> bool: ...

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key_or_keys: Any) -> Any:
        """``enc[word]`` is ``enc.vector(word)``; ``enc[[w1, w2]]`` stacks the rows, shape ``(n, dim)``."""
        if isinstance(key_or_keys, str):
            return self.vector(key_or_keys)
        rows = [self.vector(w) for w in key_or_keys]
        if rows and hasattr(rows[0], "toarray"):
            import scipy.sparse as sp  # lazy: scipy loads only when this function runs (import forge stays light)

            return sp.vstack(rows).tocsr()
        if not rows:
            return np.zeros((0, self.static_dim), dtype=np.float32)
        return np.vstack([np.asarray(r).reshape(1, -1) for r in rows])

    # -------------------------------------------------------------- helpers
    def _raw(self, word: str) -> np.ndarray:
        """``vector(word)`` as a dense 1-D float32 array (a sparse row is densified: one row only)."""
        vec = self.vector(word)
        return np.asarray(vec.toarray() if hasattr(vec, "toarray") else vec, dtype=np.float32).ravel()

    def _unit_of(self, item: Any) -> np.ndarray:
        """Unit vector of a key (under the OOV policy) or a given vector as is (gensim: not normalised)."""
        if isinstance(item, str):
            return _unitvec(self._raw(item))
        vec = np.asarray(item.toarray() if hasattr(item, "toarray") else item, dtype=np.float32).ravel()
        if vec.shape != (self.static_dim,):
            raise BadInputError(
                f"Expected a word or a vector of shape ({self.static_dim},) (static_dim: the width of "
                f"vector(word)), got shape {vec.shape}."
            )
        return vec

    def _input_rows(self, items: list[Any]) -> set[int]:
        return {idx for item in items if isinstance(item, str) and (idx := self.vocab_.get(item)) is not None}

    def _excluded_rows(self) -> frozenset[int]:
        """Vocabulary rows never returned as neighbours (not words: e.g. ``<pad>``); none by default."""
        return frozenset()

    def _unit_matrix(self) -> Any:
        """``static_matrix()`` with rows scaled to unit length (zero rows stay zero); sparse stays sparse."""

        def compute() -> Any:
            mat = self.static_matrix()
            if hasattr(mat, "tocsr"):
                import scipy.sparse as sp  # lazy: scipy.sparse only for sparse (one-hot) matrices

                mat = sp.csr_matrix(mat, dtype=np.float32)
                norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
                return sp.diags(1.0 / np.where(norms == 0, 1, norms)).astype(np.float32) @ mat
            mat = np.asarray(mat, dtype=np.float32)
            norms = np.linalg.norm(mat, axis=1, keepdims=True)
            return mat / np.where(norms == 0, 1, norms)

        return self._cached("unit", compute)

    def _scores(self, rows: Any, query: np.ndarray) -> np.ndarray:
        """``rows @ query`` as a 1-D float array, for dense or sparse ``rows``."""
        return np.asarray(rows @ query, dtype=np.float32).ravel()

    def _best(self, scores: np.ndarray, topn: int, offset: int, skip: set[int]) -> list[tuple[str, float]]:
        """The ``topn`` best candidate rows (``scores[i]`` is row ``offset + i``), skipping ``skip``."""
        skip = skip | set(self._excluded_rows())
        words = self.vocab_.words
        best = _top(scores, topn + len(skip))
        return [(words[int(i) + offset], float(scores[i])) for i in best if int(i) + offset not in skip][:topn]

    # ---------------------------------------------------------- neighbours
    def most_similar(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        clip_start: int = 0,
        clip_end: int | None = None,
        restrict_vocab: int | None = None,
        indexer: Any = None,
    ) -> Any:
        """Nearest words to the mean of the ``positive`` minus the ``negative`` unit vectors (gensim's call).

        Parameters
        ----------
        positive, negative : word, vector, or list of them (or of ``(word, weight)`` pairs)
            ``most_similar("king")``, ``most_similar(vector)`` and ``most_similar("king", 5)`` work as before.
        topn : int or None
            Number of results; ``None`` or 0 returns the cosine with every word (array).
        clip_start, clip_end, restrict_vocab : int
            Only consider vocabulary rows ``clip_start:clip_end`` (``restrict_vocab``: the first N).
        indexer : object with ``most_similar(vector, topn)``, optional
            An approximate index (as in gensim); used when given.

        Returns
        -------
        list of (word, cosine)
            Sorted by decreasing cosine; the input words are left out.

        Examples
        --------
        >>> import numpy as np, forge
        >>> kv = forge.encoders.KeyedVectorsEncoder.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32))
        >>> kv.most_similar("a", topn=2)
        [('b', 0.0), ('c', 0.0)]
        """
        self._check_fitted()
        if isinstance(negative, Integral) and not isinstance(negative, bool):
            topn, negative = int(negative), None  # forge's older positional call most_similar(word, topn)
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _ensure_list(positive), _ensure_list(negative)
        if not positive and not negative:
            raise BadInputError("most_similar needs at least one word or vector in positive= or negative=.")
        keys, weights = [], []
        for item, default in [(p, 1.0) for p in positive] + [(n, -1.0) for n in negative]:
            if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
                keys.append(item[0])
                weights.append(float(item[1]))
            else:
                keys.append(item)
                weights.append(default)
        mean = np.zeros(self.static_dim, dtype=np.float32)
        for key, w in zip(keys, weights, strict=True):
            mean += np.float32(w) * self._unit_of(key)
        mean = _unitvec(mean / sum(abs(w) for w in weights)).astype(np.float32)
        exclude = self._input_rows(keys)
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        clip_end = clip_end or len(self.vocab_)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        dists = self._scores(self._unit_matrix()[clip_start:clip_end], mean)
        if not topn:
            return dists
        return self._best(dists, int(topn), clip_start, exclude)

    def most_similar_cosmul(
        self, positive: Any = None, negative: Any = None, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> Any:
        """3CosMul neighbours (Levy & Goldberg 2014, cosines shifted to [0, 1]), gensim's call and epsilon.

        Examples
        --------
        >>> import numpy as np, forge
        >>> words = ["man", "woman", "king", "queen"]
        >>> vecs = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=np.float32)
        >>> kv = forge.encoders.KeyedVectorsEncoder.from_arrays(words, vecs)
        >>> kv.most_similar_cosmul(positive=["woman", "king"], negative=["man"], topn=1)[0][0]
        'queen'
        """
        self._check_fitted()
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _ensure_list(positive), _ensure_list(negative)
        if not positive:
            raise BadInputError("most_similar_cosmul needs at least one word or vector in positive=.")
        exclude = self._input_rows(positive + negative)
        unit = self._unit_matrix()[: restrict_vocab or None]
        pos = [(1 + self._scores(unit, self._unit_of(t))) / 2 for t in positive]
        neg = [(1 + self._scores(unit, self._unit_of(t))) / 2 for t in negative]
        dists = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001)
        if not topn:
            return dists
        return self._best(dists, int(topn), 0, exclude)

    def rank_by_centrality(self, words: list[str], use_norm: bool = True) -> list[tuple[float, str]]:
        """``(cosine to the mean, word)`` pairs, most central first; words not in the vocabulary are ignored."""
        self._check_fitted()
        used = [w for w in words if w in self]
        if not used:
            raise BadInputError(f"None of the words {list(words)[:10]!r} is in the vocabulary; nothing to rank.")
        vectors = np.vstack([self._unit_of(w) if use_norm else self._raw(w) for w in used]).astype(np.float32)
        mean = _unitvec(vectors.mean(axis=0)).astype(np.float32)
        dists = vectors @ mean
        return sorted(zip(dists.tolist(), used, strict=True), reverse=True)

    def doesnt_match(self, words: list[str]) -> str:
        """The word furthest from the mean of the others (gensim's ``doesnt_match``).

        Words outside the vocabulary are ignored, as in gensim.
        """
        return self.rank_by_centrality(words)[-1][1]

    def n_similarity(self, ws1: list[str], ws2: list[str]) -> float:
        """Cosine between the means of two word sets (raw vectors averaged, as in gensim)."""
        if not (len(ws1) and len(ws2)):
            raise BadInputError("n_similarity needs two non-empty word lists.")
        m1 = np.mean([self._raw(w) for w in ws1], axis=0)
        m2 = np.mean([self._raw(w) for w in ws2], axis=0)
        return float(np.dot(_unitvec(m1), _unitvec(m2)))

    def closer_than(self, key1: str, key2: str) -> list[str]:
        """Words closer to ``key1`` than ``key2`` is (by cosine)."""
        self._check_fitted()
        unit = self._unit_matrix()
        i1, i2 = self.vocab_.get(key1), self.vocab_.get(key2)
        for key, idx in ((key1, i1), (key2, i2)):
            if idx is None:
                self._index(key)  # raises the OOV error under oov="error"
                raise BadInputError(f"rank/closer_than need vocabulary words; {key!r} is not one.")
        row = unit[i1]
        dist = 1 - self._scores(unit, np.asarray(row.toarray() if hasattr(row, "toarray") else row).ravel())
        skip = set(self._excluded_rows()) | {i1}
        return [self.vocab_.words[int(i)] for i in np.flatnonzero(dist < dist[i2]) if int(i) not in skip]

    def rank(self, key1: str, key2: str) -> int:
        """Rank of ``key2`` among the neighbours of ``key1`` (1 = nearest), as in gensim."""
        return len(self.closer_than(key1, key2)) + 1
