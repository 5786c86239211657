"""The PPMI + SVD encoder: count-based word vectors (Levy, Goldberg and Dagan 2015)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from forge import OOV_POLICIES, BaseEncoder, Interval, NoneValue, Options, Vocabulary
from forge.corpora import as_corpus
from forge.errors import BadInputError, CorruptModelError

from forge_ppmi._counts import WINDOW_WEIGHTINGS, count_cooccurrences, ppmi_matrix, window_weights
from forge_ppmi._svd import SVD_ALGORITHMS, truncated_svd

__all__ = ["PPMIEncoder"]


class PPMIEncoder(BaseEncoder):
    """Positive PMI of word-context counts, reduced by truncated SVD.

    The count-based baseline that came before prediction-based vectors: count
    how often each word appears near each context word, weight the counts by
    positive (shifted) PMI with context-distribution smoothing, and keep the
    top singular directions, weighted by the singular values to the power ``eig``
    (``W = U * S**eig``). Parameter names follow Levy et al.'s *hyperwords*.

    Parameters
    ----------
    vector_size : int, default 100
        Number of SVD dimensions kept.
    window : int, default 5
        Context words on each side (windows do not cross sentences).
    window_weighting : {"linear", "uniform", "harmonic"}, default "linear"
        Weight of a context at distance ``d``: ``(window-d+1)/window`` (the
        expectation of word2vec's dynamic window), ``1``, or ``1/d``.
    min_count : int, default 5
        Words seen fewer times are dropped (before windowing).
    max_vocab : int or None
        Keep at most this many words, the most frequent.
    cds : float, default 0.75
        Context-distribution smoothing exponent (1 = plain PMI).
    neg : float, default 1
        Shifted PPMI: subtract ``log(neg)`` (1 = no shift).
    eig : float, default 0.5
        Singular-value weighting exponent (0: ``U`` alone, 1: ``U * S``).
    svd : {"randomized", "arpack"}, default "randomized"
        Truncated SVD algorithm.
    n_iter : int, default 5
        Power iterations of the randomized SVD.
    seed : int, default 0
        Seed of the SVD's random start (results are deterministic).
    buffer_pairs : int, default 10_000_000
        Pending (word, context) pairs summed into the sparse total at a time;
        bounds the memory of counting.
    oov : {"error", "zero", "unk"}
        Unknown words raise, get zeros, or get the mean vector.

    After ``fit``: ``vectors_`` ``(V, vector_size)``, ``singular_values_``,
    ``nnz_`` (stored non-zeros of the PPMI matrix) and ``train_seconds_``.

    Examples
    --------
    >>> corpus = [["the", "king", "rules", "the", "land"], ["the", "queen", "rules", "the", "land"],
    ...           ["a", "dog", "barks", "at", "a", "cat"]] * 20
    >>> enc = PPMIEncoder(vector_size=3, window=2, min_count=1).fit(corpus)
    >>> enc.vector("king").shape
    (3,)
    >>> enc.similarity("king", "queen") > enc.similarity("king", "dog")
    True
    """

    name = "ppmi"
    test_params = {"vector_size": 4, "window": 2, "min_count": 1}
    # every parameter, declared once: forge checks them in fit, set_params and forge.load
    param_constraints = {
        "vector_size": (Interval(int, 1, None),),
        "window": (Interval(int, 1, None),),
        "window_weighting": (Options(WINDOW_WEIGHTINGS),),
        "min_count": (Interval(int, 1, None),),
        "max_vocab": (Interval(int, 1, None), NoneValue()),
        "cds": (Interval(float, 0.0, None, "neither"),),
        "neg": (Interval(float, 0.0, None, "neither"),),
        "eig": (Interval(float, None, None),),
        "svd": (Options(SVD_ALGORITHMS),),
        "n_iter": (Interval(int, 0, None),),
        "seed": (Interval(int, 0, None),),
        "buffer_pairs": (Interval(int, 1, None),),
        "oov": (Options(OOV_POLICIES),),
    }

    def __init__(
        self,
        vector_size: int = 100,
        window: int = 5,
        window_weighting: str = "linear",
        min_count: int = 5,
        max_vocab: int | None = None,
        cds: float = 0.75,
        neg: float = 1.0,
        eig: float = 0.5,
        svd: str = "randomized",
        n_iter: int = 5,
        seed: int = 0,
        buffer_pairs: int = 10_000_000,
        oov: str = "error",
    ):
        self.vector_size = vector_size
        self.window = window
        self.window_weighting = window_weighting
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.cds = cds
        self.neg = neg
        self.eig = eig
        self.svd = svd
        self.n_iter = n_iter
        self.seed = seed
        self.buffer_pairs = buffer_pairs
        self.oov = oov

    def fit(self, corpus: Iterable[Sequence[str]] | str | Path) -> PPMIEncoder:
        """Count, weight by PPMI and factorise; returns self."""
        self.validate_params()
        corpus = as_corpus(corpus)
        start = time.perf_counter()
        vocab = Vocabulary.build(corpus, self.min_count, self.max_vocab)
        if len(vocab) < 2:
            raise BadInputError(
                f"The corpus {corpus!r} gave {len(vocab)} word(s) seen at least min_count="
                f"{self.min_count} times; PPMI needs at least 2 (and more than vector_size="
                f"{self.vector_size}). Lower min_count or give more text."
            )
        counts = count_cooccurrences(
            corpus, vocab.index, self.window, window_weights(self.window, self.window_weighting), self.buffer_pairs
        )
        ppmi = ppmi_matrix(counts, self.cds, self.neg)
        del counts
        u, s = truncated_svd(ppmi, self.vector_size, self.svd, self.n_iter, seed=self.seed)
        self.vectors_ = (u * s**self.eig).astype(np.float32)  # (V, vector_size)
        self.singular_values_ = s
        self.nnz_ = int(ppmi.nnz)
        self.train_seconds_ = time.perf_counter() - start
        self.vocab_ = vocab
        return self

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.vectors_.shape[1])

    def _static_matrix(self) -> np.ndarray:
        return self.vectors_

    @property
    def keyed_vectors(self) -> Any:  # gensim KeyedVectors (untyped)
        """The vectors as gensim ``KeyedVectors`` (built on first use), for gensim's evaluations."""
        self._check_fitted()

        def build() -> Any:
            from gensim.models import KeyedVectors

            kv = KeyedVectors(self.dim, dtype=np.float32)  # count=0: add_vectors appends
            kv.add_vectors(self.vocab_.words, self.vectors_)
            return kv

        return self._cached("keyed_vectors", build)

    # ------------------------------------------------------------ persistence
    def save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(self.vectors_), allow_pickle=False)
        np.save(directory / "singular_values.npy", self.singular_values_, allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")
        (directory / "fit_info.json").write_text(
            json.dumps({"nnz": self.nnz_, "train_seconds": self.train_seconds_}), encoding="utf-8"
        )

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        vocab = Vocabulary.load(directory / "vocab.json")
        vectors = np.load(directory / "vectors.npy", allow_pickle=False)
        _check_array(directory / "vectors.npy", vectors, (len(vocab), self.vector_size))
        singular = np.load(directory / "singular_values.npy", allow_pickle=False)
        _check_array(directory / "singular_values.npy", singular, (min(self.vector_size, len(singular)),))
        info: dict[str, Any] = json.loads((directory / "fit_info.json").read_text(encoding="utf-8"))
        if (
            not isinstance(info, dict)
            or type(info.get("nnz")) is not int
            or info["nnz"] < 0
            or not isinstance(info.get("train_seconds"), (int, float))
        ):
            raise CorruptModelError(
                f"{directory / 'fit_info.json'} must hold {{'nnz': int, 'train_seconds': "
                f"number}}; the model is corrupt: save it again."
            )
        self.singular_values_ = singular
        self.nnz_, self.train_seconds_ = int(info["nnz"]), float(info["train_seconds"])
        self.vectors_ = vectors
        self.vocab_ = vocab


def _check_array(path: Path, array: np.ndarray, expected: tuple[int, ...]) -> None:
    """A saved array: floating point, of the shape vocab.json and config.json imply, finite."""
    if array.dtype.kind != "f" or array.shape != expected or not np.isfinite(array).all():
        raise CorruptModelError(
            f"{path} holds a {array.dtype} array of shape {array.shape}, expected finite "
            f"floats of shape {expected} from vocab.json and config.json; the model is "
            f"corrupt: save it again."
        )
