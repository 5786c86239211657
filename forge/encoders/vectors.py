"""Static vectors without a training algorithm: read from a file, or drawn at random.

:class:`KeyedVectorsEncoder` (registered as ``"vectors"``) holds one float32
``(vocab, dim)`` matrix and a :class:`forge.Vocabulary`. It is what
:func:`forge.load_vectors` returns for word2vec, GloVe and fastText files, and
every forge call accepts it (``forge.bench.run``, ``forge bench``, the lab).

``fit(corpus)`` gives every corpus word a seeded random Gaussian vector: the
*random baseline* a benchmark table should show next to trained vectors
(and what the conformance suite exercises).

Saved models store ``vectors.npy`` and ``vocab.json``; ``forge.load(path,
mmap=True)`` maps the matrix read-only instead of reading it into memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from forge._interface import BaseEncoder
from forge._params import OOV_POLICIES, POSITIVE_INT, Interval, Options
from forge._persist import atomic_file
from forge.corpora import as_corpus
from forge.errors import BadInputError, CorruptModelError
from forge.vocab import Vocabulary

__all__ = ["KeyedVectorsEncoder"]


class KeyedVectorsEncoder(BaseEncoder):
    """Static word vectors from a file (:func:`forge.load_vectors`) or a seeded random baseline.

    Parameters
    ----------
    vector_size : int, default 100
        Dimension of the random vectors drawn by ``fit`` (set from the file by ``load_vectors``).
    min_count : int, default 1
        ``fit`` keeps corpus words seen at least this often.
    seed : int, default 0
        Seed of the random baseline.
    oov : {"error", "zero", "unk"}
        Unknown words raise, get zeros, or get the mean vector.

    Attributes (after ``fit`` or loading): ``vectors_`` (float32, ``(vocab, dim)``),
    ``vocab_``, ``source_`` (where the vectors came from: a dict).

    Examples
    --------
    >>> import numpy as np, forge
    >>> kv = forge.encoders.KeyedVectorsEncoder.from_arrays(["a", "b"], np.eye(2, dtype=np.float32))
    >>> kv["a"], kv.similarity("a", "b")
    (array([1., 0.], dtype=float32), 0.0)
    >>> forge.create("vectors", vector_size=8).fit([["x", "y"]]).dim
    8
    """

    name = "vectors"
    test_params = {"vector_size": 16}
    _tags = {"requires_fit": True}
    param_constraints = {
        "vector_size": (POSITIVE_INT,),
        "min_count": (POSITIVE_INT,),
        "seed": (Interval(int, 0, None),),
        "oov": (Options(OOV_POLICIES),),
    }

    def __init__(self, vector_size: int = 100, min_count: int = 1, seed: int = 0, oov: str = "error"):
        self.vector_size = vector_size
        self.min_count = min_count
        self.seed = seed
        self.oov = oov

    def fit(self, corpus: Iterable[Sequence[str]]) -> KeyedVectorsEncoder:
        """Random baseline: one seeded N(0, 1/dim) vector per corpus word; returns self."""
        self.validate_params()
        corpus = as_corpus(corpus)
        vocab = Vocabulary.build(corpus, self.min_count)
        if len(vocab) == 0:
            raise BadInputError(
                f"The corpus {corpus!r} yielded no word seen at least min_count={self.min_count} times; is it empty?"
            )
        rng = np.random.default_rng(self.seed)
        scale = np.float32(1.0 / np.sqrt(self.vector_size))
        self._set(
            vocab,
            rng.standard_normal((len(vocab), self.vector_size), dtype=np.float32) * scale,
            {"kind": "random", "seed": self.seed},
        )
        return self

    def _set(self, vocab: Vocabulary, vectors: np.ndarray, source: dict[str, Any]) -> None:
        self.vectors_ = vectors
        self.source_ = source
        self.vocab_ = vocab

    @classmethod
    def from_arrays(
        cls, words: Sequence[str], vectors: np.ndarray, oov: str = "error", source: dict[str, Any] | None = None
    ) -> KeyedVectorsEncoder:
        """Wrap a word list and a ``(len(words), dim)`` matrix (kept as is when float32, else converted)."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise BadInputError(
                f"vectors must have shape ({len(words)}, dim) for {len(words)} words, got {vectors.shape}."
            )
        if vectors.dtype != np.float32:
            vectors = vectors.astype(np.float32)
        enc = cls(vector_size=int(vectors.shape[1]), oov=oov)
        enc.validate_params()
        enc._set(Vocabulary(words), vectors, dict(source or {"kind": "arrays"}))
        return enc

    @classmethod
    def from_keyed_vectors(cls, kv: Any, oov: str = "error") -> KeyedVectorsEncoder:
        """Wrap a gensim ``KeyedVectors`` (shares its matrix when it is float32)."""
        return cls.from_arrays(list(kv.index_to_key), kv.vectors, oov=oov, source={"kind": "gensim"})

    def to_keyed_vectors(self) -> Any:
        """A gensim ``KeyedVectors`` with the same words and vectors (needs gensim)."""
        from gensim.models import KeyedVectors  # lazy: gensim takes about a second to import; only this path needs it

        self._check_fitted()
        kv = KeyedVectors(self.dim, count=0, dtype=np.float32)
        kv.index_to_key = list(self.vocab_.words)
        kv.key_to_index = dict(self.vocab_.index)
        kv.vectors = np.asarray(self.vectors_)
        kv.norms = None
        return kv

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.vectors_.shape[1])

    def _static_matrix(self) -> np.ndarray:
        return self.vectors_

    def save_word2vec_format(self, path: str | Path, binary: bool = False) -> None:
        """Write the vectors in the word2vec text (or binary) format, atomically."""
        self._check_fitted()
        n, d = self.vectors_.shape
        with atomic_file(path, "wb") as out:
            out.write(f"{n} {d}\n".encode())
            for start in range(0, n, 10000):
                block = np.asarray(self.vectors_[start : start + 10000], dtype=np.float32)
                words = self.vocab_.words[start : start + 10000]
                if binary:
                    for word, row in zip(words, block, strict=True):
                        out.write(word.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
                else:
                    out.write(
                        "".join(
                            f"{w} {' '.join(f'{x:.9g}' for x in r.tolist())}\n"
                            for w, r in zip(words, block, strict=True)
                        ).encode("utf-8")
                    )

    # ------------------------------------------------------------ persistence
    def save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(self.vectors_), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        vocab = Vocabulary.load(directory / "vocab.json")
        mode: Literal["r"] | None = "r" if mmap else None
        vectors = np.load(directory / "vectors.npy", allow_pickle=False, mmap_mode=mode)
        if vectors.shape != (len(vocab), self.vector_size):
            raise CorruptModelError(
                f"{directory / 'vectors.npy'} has shape {vectors.shape}, expected "
                f"({len(vocab)}, {self.vector_size}); the model is corrupt."
            )
        self._set(vocab, vectors, {"kind": "saved", "path": str(directory), "mmap": mode is not None})
