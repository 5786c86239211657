"""A uniform read-only view of the vectors the tasks score.

:class:`VectorView` wraps a forge encoder (anything with ``vocabulary``,
``vector``, ``embed``, ``__contains__`` and ``tags``), a gensim
``KeyedVectors``, or a ``(words, matrix)`` pair, and answers the lookups
the protocols need: the row of a word under case folding and
``restrict_vocab`` (gensim's rule: the first, i.e. most frequent, case
variant among the first ``restrict_vocab`` words), the context-free matrix
(``_static_matrix()`` when the encoder has one, else its ``vector`` rows),
and ``embed`` for contextual encoders.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from forge.errors import BadInputError

__all__ = ["VectorView", "fold", "pair_cosines"]


def pair_cosines(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cosine of rows ``u[k]`` and ``v[k]`` of two dense (n, dim) arrays; 0 when one row is all zeros."""
    return _cosine_from(np.einsum("ij,ij->i", u, v), np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1))


def _cosine_from(dots: np.ndarray, nu: np.ndarray, nv: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = dots / (nu * nv)
    out[(nu == 0) | (nv == 0)] = 0.0
    return out


def fold(word: str) -> str:
    """The case folding used with ``case_insensitive=True``."""
    return word.lower()


class VectorView:
    def __init__(self, source: Any, case_insensitive: bool = True, restrict_vocab: int | None = 300000):
        self.source = source
        self.case_insensitive = case_insensitive
        specials: set[str] = set()
        if isinstance(source, tuple) and len(source) == 2:
            words, matrix = source
            self.words, self._matrix = list(words), matrix
            self.contextual = False
        elif hasattr(source, "index_to_key") and hasattr(source, "vectors"):  # gensim KeyedVectors
            self.words, self._matrix = list(source.index_to_key), source.vectors
            self.contextual = False
        elif hasattr(source, "vocabulary") and hasattr(source, "vector"):
            vocab = source.vocabulary
            self.words = list(getattr(vocab, "words", vocab))
            specials = set(getattr(vocab, "specials", ()))
            self._matrix = None
            tags = getattr(source, "tags", {})
            self.contextual = bool(tags.get("contextual", False))
            # e.g. FastText: words outside the trained vocabulary still have vectors (char n-grams)
            self.open_vocabulary = bool(tags.get("open_vocabulary", False))
        else:
            raise BadInputError(f"Cannot evaluate {type(source).__name__!r}: expected a forge encoder, a gensim "
                                f"KeyedVectors or a (words, matrix) pair.")
        if not self.words:
            raise BadInputError(f"{type(source).__name__} has an empty vocabulary; fit it first.")
        n = len(self.words)
        self.restrict = n if not restrict_vocab else min(int(restrict_vocab), n)
        self.specials = specials
        # canonical row of each (folded) key among the first `restrict` words; first occurrence wins
        self.index: dict[str, int] = {}
        for i in range(self.restrict - 1, -1, -1):
            w = self.words[i]
            if w not in specials:
                self.index[fold(w) if case_insensitive else w] = i
        # group id of each candidate row (the canonical row of its folded key); -1 = never a candidate
        self.group = np.full(self.restrict, -1, dtype=np.int64)
        for i in range(self.restrict):
            w = self.words[i]
            if w not in specials:
                self.group[i] = self.index[fold(w) if case_insensitive else w]
        counts = np.bincount(self.group[self.group >= 0], minlength=self.restrict)
        self.variants = {int(g): np.flatnonzero(self.group == g) for g in np.flatnonzero(counts > 1)}
        self._unit = None
        self._extra: list[np.ndarray] = []   # rows appended for open-vocabulary words

    open_vocabulary = False

    def lookup(self, word: str) -> int | None:
        return self.index.get(fold(word) if self.case_insensitive else word)

    def lookups(self, words: list[str], open_vocabulary: bool = False) -> np.ndarray:
        """Row per word, -1 when out of (restricted) vocabulary.

        With ``open_vocabulary=True`` and an encoder tagged ``open_vocabulary`` (FastText), a word
        outside the vocabulary that the encoder still has a vector for gets an appended row (never an
        analogy candidate, which stay the first ``restrict`` rows).
        """
        rows = np.array([-1 if (i := self.lookup(w)) is None else i for w in words], dtype=np.int64)
        if open_vocabulary and self.open_vocabulary:
            for k in np.flatnonzero(rows < 0):
                rows[k] = self._append(words[k])
        return rows

    def _append(self, word: str) -> int:
        key = fold(word) if self.case_insensitive else word
        if key in self._extra_index:
            return self._extra_index[key]
        if word not in self.source:
            return -1
        self.matrix()  # the base matrix first, so the new row goes after it
        self._extra.append(np.asarray(self.source.vector(word), dtype=np.float32).ravel())
        row = len(self.words) + len(self._extra) - 1
        self._extra_index[key] = row
        self._unit = None
        return row

    @property
    def _extra_index(self) -> dict[str, int]:
        return self.__dict__.setdefault("_extra_rows", {})

    # ------------------------------------------------------------- matrices
    def matrix(self) -> Any:
        """The (vocab, dim) context-free matrix (dense ndarray or scipy sparse)."""
        if self._matrix is None:
            enc = self.source
            try:
                mat = enc._static_matrix()
            except (AttributeError, NotImplementedError):
                mat = None
            if mat is None:
                rows = [enc.vector(w) for w in self.words]
                mat = sp.vstack(rows).tocsr() if sp.issparse(rows[0]) else np.stack(
                    [np.asarray(r, dtype=np.float32).ravel() for r in rows])
            self._matrix = mat
        if self._extra and len(self._extra) + len(self.words) > self._matrix.shape[0]:
            new = np.stack(self._extra[self._matrix.shape[0] - len(self.words):])
            self._matrix = (sp.vstack([self._matrix, sp.csr_matrix(new)]).tocsr() if sp.issparse(self._matrix)
                            else np.vstack([np.asarray(self._matrix, dtype=np.float32), new]))
        return self._matrix

    def unit(self) -> Any:
        """Rows scaled to unit length (zero rows stay zero), float32."""
        if self._unit is None:
            mat = self.matrix()
            if sp.issparse(mat):
                mat = sp.csr_matrix(mat, dtype=np.float32)
                norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
                self._unit = sp.diags(1.0 / np.where(norms == 0, 1, norms)).astype(np.float32) @ mat
            else:
                mat = np.asarray(mat, dtype=np.float32)
                norms = np.linalg.norm(mat, axis=1, keepdims=True)
                self._unit = mat / np.where(norms == 0, 1, norms)
        return self._unit

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Dense float64 rows of the raw matrix."""
        mat = self.matrix()
        out = mat[idx]
        return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=np.float64)

    def cosines(self, i1: np.ndarray, i2: np.ndarray) -> np.ndarray:
        """Cosine of rows ``i1[k]`` and ``i2[k]`` (0 when one is all zeros); sparse rows stay sparse."""
        mat = self.matrix()
        if not sp.issparse(mat):
            return pair_cosines(self.rows(i1), self.rows(i2))
        mat = sp.csr_matrix(mat, dtype=np.float64)
        u, v = mat[i1], mat[i2]
        dots = np.asarray(u.multiply(v).sum(axis=1)).ravel()
        nu = np.sqrt(np.asarray(u.multiply(u).sum(axis=1)).ravel())
        nv = np.sqrt(np.asarray(v.multiply(v).sum(axis=1)).ravel())
        return _cosine_from(dots, nu, nv)

    def mean_vector(self) -> np.ndarray:
        mat = self.matrix()
        return np.asarray(mat.mean(axis=0), dtype=np.float64).ravel()

    # ------------------------------------------------------------ contextual
    def prepare(self, tokens: list[str], target: int) -> tuple[list[str], int] | None:
        """Tokens mapped to vocabulary words (unknown ones to ``<unk>`` or dropped) and the target's new
        index; None when the target itself is out of vocabulary."""
        if self.lookup(tokens[target]) is None:
            return None
        unk = "<unk>" if "<unk>" in self.specials else None
        out, new_target = [], -1
        for pos, tok in enumerate(tokens):
            row = self.lookup(tok)
            if pos == target:
                new_target = len(out)
            if row is not None:
                out.append(self.words[row])
            elif unk is not None:
                out.append(unk)
        return out, new_target

    def embed(self, sentences: list[list[str]]) -> list[np.ndarray]:
        vecs = self.source.embed(sentences)
        return [np.asarray(v.toarray() if sp.issparse(v) else v, dtype=np.float64) for v in vecs]
