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


def _check_pair(words: Any, matrix: Any) -> tuple[list[str], Any]:
    """Validate a ``(words, matrix)`` pair: strings, and a numeric 2-D matrix with one row per word."""
    try:
        words = list(words)
    except TypeError:
        raise BadInputError(f"(words, matrix): words must be a list of strings, got {type(words).__name__}.") from None
    bad = next((w for w in words if not isinstance(w, str)), None)
    if bad is not None:
        raise BadInputError(
            f"(words, matrix): every word must be a str, got {bad!r} "
            f"({type(bad).__name__}); pass e.g. (['cat', 'dog'], matrix)."
        )
    if not sp.issparse(matrix):
        try:
            matrix = np.asarray(matrix)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise BadInputError(f"(words, matrix): the matrix is not a rectangular array ({exc}).") from None
        if matrix.dtype.kind not in "biuf":
            raise BadInputError(
                f"(words, matrix): the matrix must hold real numbers, got dtype {matrix.dtype}; "
                f"pass a float array of shape (len(words), dim)."
            )
    if matrix.ndim != 2:
        raise BadInputError(
            f"(words, matrix): the matrix must be 2-D (len(words), dim), got shape {tuple(matrix.shape)}."
        )
    if matrix.shape[0] != len(words):
        raise BadInputError(
            f"(words, matrix): {len(words)} words but {matrix.shape[0]} matrix rows; give one "
            f"row per word, in the same order."
        )
    if matrix.shape[1] == 0:
        raise BadInputError("(words, matrix): the matrix has 0 columns; each word needs a vector of dim >= 1.")
    return words, matrix


def _check_restrict(restrict_vocab: Any) -> int | None:
    """``restrict_vocab``: None or 0 (no limit) or a positive int."""
    if restrict_vocab is None:
        return None
    if isinstance(restrict_vocab, bool) or not isinstance(restrict_vocab, (int, np.integer)) or restrict_vocab < 0:
        raise BadInputError(
            f"restrict_vocab={restrict_vocab!r} is not valid; give a positive int (the number "
            f"of most frequent words used) or None for the whole vocabulary."
        )
    return int(restrict_vocab)


def _nonfinite_rows(mat: Any) -> np.ndarray:
    """Indices of the rows holding a NaN or an infinity, or a value beyond float32 (dense or scipy sparse)."""
    if sp.issparse(mat):
        coo = sp.coo_matrix(mat)
        return np.unique(coo.row[~np.isfinite(coo.data)]).astype(np.int64)
    mat = np.asarray(mat)
    if mat.dtype.kind not in "fc":
        return np.zeros(0, dtype=np.int64)
    # a float64 row sum is non-finite when the row is; check only those rows exactly (sums can overflow)
    cand = np.flatnonzero(~np.isfinite(mat.sum(axis=1, dtype=np.float64)))
    bad = cand[~np.isfinite(mat[cand]).all(axis=1)] if len(cand) else cand
    if mat.dtype.itemsize > 4 and mat.size:  # values beyond float32 become inf in the float32 unit matrix
        big = np.finfo(np.float32).max
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero((mat.max(axis=1) > big) | (mat.min(axis=1) < -big))
        bad = np.union1d(bad, over)
    return np.asarray(bad, dtype=np.int64)


def fold(word: str) -> str:
    """The case folding used with ``case_insensitive=True``."""
    return word.lower()


class VectorView:
    def __init__(self, source: Any, case_insensitive: bool = True, restrict_vocab: int | None = 300000):
        self.source = source
        self.case_insensitive = case_insensitive
        specials: set[str] = set()
        if isinstance(source, tuple) and len(source) == 2:
            self.words, self._matrix = _check_pair(*source)
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
            raise BadInputError(
                f"Cannot evaluate {type(source).__name__!r}: expected a forge encoder, a gensim "
                f"KeyedVectors or a (words, matrix) pair."
            )
        if not self.words:
            raise BadInputError(f"{type(source).__name__} has an empty vocabulary; fit it first.")
        n = len(self.words)
        limit = _check_restrict(restrict_vocab)
        self.restrict = min(limit, n) if limit else n
        self.specials = specials
        self._build_index(set())
        self._unit: Any = None  # unit() rows: a SciPy sparse matrix or a dense array
        self._extra: list[np.ndarray] = []  # rows appended for open-vocabulary words
        self.nonfinite: list[str] | None = None  # words left out for NaN/inf vectors (after screen())
        self._bad_rows = np.zeros(0, dtype=np.int64)

    def _build_index(self, skip_rows: set[int]) -> None:
        """Row lookup and analogy candidate groups; special tokens and ``skip_rows`` are never used."""
        case_insensitive, specials = self.case_insensitive, self.specials
        # canonical row of each (folded) key among the first `restrict` words; first occurrence wins
        self.index: dict[str, int] = {}
        for i in range(self.restrict - 1, -1, -1):
            w = self.words[i]
            if w not in specials and i not in skip_rows:
                self.index[fold(w) if case_insensitive else w] = i
        # group id of each candidate row (the canonical row of its folded key); -1 = never a candidate
        self.group = np.full(self.restrict, -1, dtype=np.int64)
        for i in range(self.restrict):
            w = self.words[i]
            if w not in specials and i not in skip_rows:
                self.group[i] = self.index[fold(w) if case_insensitive else w]
        counts = np.bincount(self.group[self.group >= 0], minlength=self.restrict)
        self.variants = {int(g): np.flatnonzero(self.group == g) for g in np.flatnonzero(counts > 1)}

    def screen(self) -> list[str]:
        """Leave out words whose context-free vector has a NaN or infinite value; return them.

        Such words are treated as out of vocabulary (never looked up, never an analogy candidate), so
        one broken row cannot win every analogy argmax or turn a correlation into NaN. The tasks call
        this before they use the context-free matrix; :func:`forge.bench.run` records the words left
        out in ``protocol["encoders"][name]["nonfinite_words"]`` and a note in ``protocol["errors"]``.

        Examples
        --------
        >>> import numpy as np
        >>> view = VectorView((["a", "b", "c"], np.array([[1.0, 0], [np.nan, 1], [0, 1]])))
        >>> view.screen(), view.lookup("b")
        (['b'], None)
        """
        if self.nonfinite is None:
            bad = _nonfinite_rows(self.matrix()[: len(self.words)])
            self.nonfinite = [self.words[i] for i in bad]
            self._bad_rows = bad
            if len(bad):
                self._build_index({int(i) for i in bad})
                self._unit = None
        return self.nonfinite

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
        vec = np.asarray(self.source.vector(word), dtype=np.float32).ravel()
        if not np.all(np.isfinite(vec)):
            if self.nonfinite is not None and word not in self.nonfinite:
                self.nonfinite.append(word)
            return -1
        self._extra.append(vec)
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
                mat = (
                    sp.vstack(rows).tocsr()
                    if sp.issparse(rows[0])
                    else np.stack([np.asarray(r, dtype=np.float32).ravel() for r in rows])
                )
            self._matrix = mat
        if self._extra and len(self._extra) + len(self.words) > self._matrix.shape[0]:
            new = np.stack(self._extra[self._matrix.shape[0] - len(self.words) :])
            self._matrix = (
                sp.vstack([self._matrix, sp.csr_matrix(new)]).tocsr()
                if sp.issparse(self._matrix)
                else np.vstack([np.asarray(self._matrix, dtype=np.float32), new])
            )
        return self._matrix

    def unit(self) -> Any:
        """Rows scaled to unit length (zero rows stay zero), float32."""
        if self._unit is None:
            self.screen()
            mat = self.matrix()
            bad = self._bad_rows
            if sp.issparse(mat):
                mat = sp.csr_matrix(mat, dtype=np.float32)
                if len(bad):  # rows left out by screen() become zero rows (never candidates anyway)
                    keep = np.ones(mat.shape[0], dtype=np.float32)
                    keep[bad] = 0
                    mat = mat.copy()
                    mat.data[~np.isfinite(mat.data)] = 0
                    mat = sp.diags(keep) @ mat
                norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
                self._unit = sp.diags(1.0 / np.where(norms == 0, 1, norms)).astype(np.float32) @ mat
            else:
                if len(bad):  # rows left out by screen() become zero rows (never candidates anyway)
                    mat = np.array(mat, dtype=np.float64 if mat.dtype.itemsize > 4 else np.float32)
                    mat[bad] = 0
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
        if self.nonfinite:  # the mean of the finite rows only (zeros when there is none)
            keep = np.setdiff1d(np.arange(mat.shape[0]), _nonfinite_rows(mat))
            if not len(keep):
                return np.zeros(mat.shape[1], dtype=np.float64)
            mat = mat[keep]
        return np.asarray(mat.mean(axis=0), dtype=np.float64).ravel()

    # ------------------------------------------------------------ contextual
    def prepare(self, tokens: list[str], target: int) -> tuple[list[str], int] | None:
        """Tokens mapped to vocabulary words (unknown ones to ``<unk>`` or dropped) and the target's new
        index; None when the target itself is out of vocabulary."""
        if self.lookup(tokens[target]) is None:
            return None
        unk = "<unk>" if "<unk>" in self.specials else None
        out: list[str] = []
        new_target = -1
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
