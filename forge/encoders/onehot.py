"""One-hot encoder: one dimension per vocabulary word, SciPy CSR sparse vectors.

The first step of the story: a word is the index of a single 1 in a vector
of vocabulary size. Two different words are orthogonal (cosine exactly 0),
so one-hot vectors know nothing about meaning. Memory stays O(tokens): a
sentence of n tokens is an (n, V) CSR matrix with n stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from forge._interface import UNK, BaseEncoder
from forge._params import OOV_POLICIES, POSITIVE_INT, NoneValue, NumpyDtype, Options
from forge._sentences import iter_sentences
from forge.corpora import as_corpus
from forge.errors import BadInputError
from forge.vocab import Vocabulary

__all__ = ["OneHotEncoder"]


class OneHotEncoder(BaseEncoder):
    """One-hot sparse vectors over a corpus vocabulary.

    Parameters
    ----------
    min_count : int, default 1
        Words seen fewer times are out of vocabulary.
    max_size : int or None
        Keep at most this many words (the most frequent).
    oov : {"error", "zero", "unk"}
        Unknown words raise, get an all-zero row, or map to an ``<unk>`` dimension.
    dtype : str
        dtype of the stored ones.

    Examples
    --------
    >>> enc = OneHotEncoder().fit([["apple", "banana"], ["spaceship"]])
    >>> enc.vector("apple").toarray()
    array([[1., 0., 0.]], dtype=float32)
    >>> enc.similarity("apple", "banana") == enc.similarity("apple", "spaceship") == 0.0
    True
    """

    name = "onehot"
    _tags = {"sparse": True}
    param_constraints = {
        "min_count": (POSITIVE_INT,),
        "max_size": (POSITIVE_INT, NoneValue()),
        "oov": (Options(OOV_POLICIES),),
        "dtype": (NumpyDtype(),),
    }

    def __init__(self, min_count: int = 1, max_size: int | None = None, oov: str = "error", dtype: str = "float32"):
        self.min_count = min_count
        self.max_size = max_size
        self.oov = oov
        self.dtype = dtype

    def fit(self, corpus: Iterable[Sequence[str]]) -> OneHotEncoder:
        self.validate_params()
        corpus = as_corpus(corpus)
        specials = [UNK] if self.oov == "unk" else []
        vocab = Vocabulary.build(corpus, self.min_count, self.max_size, specials)
        if len(vocab) == len(specials):
            raise BadInputError(
                f"The corpus {corpus!r} yielded no word seen at least min_count={self.min_count} times; is it empty?"
            )
        self.vocab_ = vocab
        return self

    @property
    def dim(self) -> int:
        return len(self.vocabulary)

    def _rows(self, ids: Sequence[int | None]) -> sp.csr_matrix:
        # arrays are built in their final dtypes (int32 indices while the vocabulary allows), so scipy keeps
        # them as they are: the CSR arrays are the only per-token memory (benchmarks/onehot_memory.py)
        itype = np.int32 if self.dim < 2**31 - 1 and len(ids) < 2**31 - 1 else np.int64
        n = len(ids)
        if None in ids:
            present = np.fromiter((i for i in ids if i is not None), dtype=itype)
            indptr = np.zeros(n + 1, dtype=itype)
            np.cumsum(np.fromiter((i is not None for i in ids), dtype=bool, count=n), out=indptr[1:])
        else:
            present = np.fromiter(ids, dtype=itype, count=n)
            indptr = self._shared_indptr(n, itype)
        return sp.csr_matrix(
            (np.ones(len(present), dtype=self.dtype), present, indptr), shape=(n, self.dim), copy=False
        )

    def _shared_indptr(self, n: int, itype: type) -> np.ndarray:
        """``arange(n + 1)``, one read-only array per sentence length shared by every matrix of that length.

        A row with one 1 needs no row pointers of its own; read-only, so an in-place structural change
        (e.g. ``eliminate_zeros``) raises instead of touching other matrices (``.copy()`` first).
        """
        cache = self.__dict__.setdefault("_indptr_cache", {})
        key = (n, np.dtype(itype).str)
        arr = cache.get(key)
        if arr is None:
            arr = np.arange(n + 1, dtype=itype)
            arr.flags.writeable = False
            cache[key] = arr
        return arr

    def vector(self, word: str) -> sp.csr_matrix:
        """A ``(1, V)`` CSR row with a single 1 (empty under ``oov="zero"``)."""
        return self._rows([self._index(word)])

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[sp.csr_matrix]:
        """One ``(len(sentence), V)`` CSR matrix per sentence.

        Matrices of sentences with the same length share one read-only ``indptr`` array (see
        ``_shared_indptr``): call ``.copy()`` on a matrix before changing its structure in place.
        """
        self._check_fitted()
        return [self._rows([self._index(w) for w in sent]) for sent in iter_sentences(sentences)]

    def similarity(self, word1: str, word2: str) -> float:
        i, j = self._index(word1), self._index(word2)
        return 1.0 if i is not None and i == j else 0.0

    def _static_matrix(self) -> sp.csr_matrix:
        return sp.identity(self.dim, dtype=self.dtype, format="csr")

    # most_similar & co. come from KeyedMixin, on the sparse identity: every other word is at cosine 0, so the
    # neighbours of a word are the next words in vocabulary order (ties are broken by row), as before

    def save_state(self, directory: Path) -> None:
        self.vocab_.save(directory / "vocab.json")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        self.vocab_ = Vocabulary.load(directory / "vocab.json")
