"""gensim FastText behind the forge interface: word vectors plus character n-gram vectors.

A word's vector is the average of its own vector and the vectors of its
character n-grams (``min_n`` to ``max_n`` characters of ``<word>``, hashed
into ``bucket`` rows). A word never seen in training still has n-grams, so it
still gets a vector: the encoder has an *open vocabulary*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from forge import Interval, Options, Vocabulary, check_sentences
from forge.encoders import Word2VecEncoder
from forge.errors import BadInputError, CorruptModelError

__all__ = ["FastTextEncoder"]


class FastTextEncoder(Word2VecEncoder):
    """gensim FastText as a forge encoder: vectors for unseen words from character n-grams.

    A :class:`forge.encoders.Word2VecEncoder` whose gensim model is ``FastText``
    (a subclass of gensim's ``Word2Vec``): it takes every Word2Vec parameter
    (gensim's own: ``sg=0`` CBOW, ``sg=1`` skip-gram, ``vector_size``,
    ``window``...; and forge's ``oov``, ``progress``, ``corpus_file``), with their
    constraints, training loop, progress bar and history, and adds FastText's:

    min_n, max_n : int, default 3 and 6
        Character n-gram lengths (``max_n >= min_n``).
    bucket : int, default 2_000_000
        Hash rows for the n-grams; ``0`` turns n-grams off (a closed vocabulary).
    word_ngrams : {0, 1}, default 1
        gensim's switch for n-gram training.
    compute_loss : False
        gensim's FastText computes no training loss, so the history has none.

    oov : {"error", "zero", "unk"}
        What a word *without any n-gram* gets (e.g. ``"ab"`` when ``min_n=5``):
        an error, zeros, or the mean vector. Every other word has a vector.
    corpus_file : {"auto", "never"}
        As for Word2Vec: "auto" trains file corpora through gensim's ``corpus_file`` mode
        (``forge.corpora.gensim_corpus_file``): a plain whitespace-tokenised file whose lines
        have at most 1,000 words is read as it is, another ``TextCorpus`` is re-cut once into
        a temporary file of such lines; in-memory corpora stream.

    Membership: ``vocabulary`` holds the trained words only, but ``word in enc``
    is true for every word that has a vector, i.e. a trained word or any word
    with at least one character n-gram (when ``bucket > 0``). The encoder's tag
    ``open_vocabulary`` says so to the conformance suite and the benchmarks.

    After ``fit``: ``keyed_vectors`` (gensim ``FastTextKeyedVectors``),
    ``history_`` (one dict per epoch: ``epoch``, ``seconds``; the attribute
    every forge encoder uses; gensim's FastText computes no loss; kept by
    ``save``/``forge.load``), ``train_seconds_`` and ``words_per_second_``.

    Examples
    --------
    >>> corpus = [["the", "king", "rules", "the", "kingdom"], ["a", "queen", "rules", "a", "queendom"]] * 30
    >>> ft = FastTextEncoder(vector_size=16, min_count=1, epochs=2, workers=1, bucket=1000,
    ...                      progress=False).fit(corpus)
    >>> "kingship" in ft.vocabulary, "kingship" in ft
    (False, True)
    >>> ft.vector("kingship").shape
    (16,)
    """

    name = "fasttext"
    _tags = {"open_vocabulary": True}
    gensim_class: ClassVar[str] = "gensim.models:FastText"  # imported by fit
    test_params = {
        "vector_size": 16,
        "min_count": 1,
        "epochs": 2,
        "workers": 1,
        "bucket": 2000,
        "max_n": 4,
        "progress": False,
    }
    # added to Word2VecEncoder's declarations (merged by forge.BaseEncoder.declared_constraints)
    param_constraints = {
        "min_n": (Interval(int, 1, None),),
        "max_n": (Interval(int, 1, None),),
        "bucket": (Interval(int, 0, None),),
        "word_ngrams": (Options((0, 1)),),
        "compute_loss": (Options((False,)),),
    }

    def __init__(
        self,
        min_n: int = 3,
        max_n: int = 6,
        bucket: int = 2_000_000,
        word_ngrams: int = 1,
        compute_loss: bool = False,
        **params: Any,
    ):
        # Word2Vec's parameters pass through **params (forge.BaseEncoder.param_names lists them all)
        super().__init__(compute_loss=compute_loss, **params)
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.word_ngrams = word_ngrams

    def _more_tags(self) -> dict[str, Any]:
        # one worker and a seed give repeatable vectors; without n-grams it is a closed vocabulary
        return {**super()._more_tags(), "open_vocabulary": self.bucket != 0}

    def _kind(self) -> str:
        return f"fasttext-{super()._kind()}"

    def validate_params(self) -> None:
        """Every declared constraint (Word2Vec's and FastText's), then ``max_n >= min_n``."""
        super().validate_params()
        if self.max_n < self.min_n:
            raise BadInputError(
                f"max_n={self.max_n} is smaller than min_n={self.min_n}; n-grams have "
                f"min_n..max_n characters, so max_n must be >= min_n."
            )

    @classmethod
    def from_keyed_vectors(cls, kv: Any, **params: Any) -> FastTextEncoder:
        """Wrap gensim ``FastTextKeyedVectors`` (word and n-gram vectors) as a fitted encoder.

        Plain ``KeyedVectors`` (a word2vec file) have no n-grams: wrap those with
        ``forge.encoders.Word2VecEncoder.from_keyed_vectors`` or read them with ``forge.load_vectors``.
        """
        if not hasattr(kv, "vectors_ngrams"):
            raise BadInputError(
                f"FastTextEncoder wraps gensim FastTextKeyedVectors (with n-gram vectors), got "
                f"{type(kv).__name__}; use forge.encoders.Word2VecEncoder.from_keyed_vectors(kv) or "
                f"forge.load_vectors(path) for vectors without n-grams."
            )
        ngrams = {"min_n": kv.min_n, "max_n": kv.max_n, "bucket": kv.bucket}
        enc = super().from_keyed_vectors(kv, **{**ngrams, **params})
        assert isinstance(enc, FastTextEncoder)
        return enc

    # ------------------------------------------------------ open vocabulary
    def has_ngrams(self, word: str) -> bool:
        """Whether ``word`` has at least one character n-gram (so a vector even if unseen)."""
        from gensim.models.fasttext import ft_ngram_hashes

        return self.bucket > 0 and len(ft_ngram_hashes(word, self.min_n, self.max_n, self.bucket)) > 0

    def __contains__(self, word: object) -> bool:
        if not self.is_fitted or not isinstance(word, str):
            return False
        return word in self.vocab_ or self.has_ngrams(word)

    def vector(self, word: str) -> np.ndarray:
        """Trained vector, or for an unseen word the mean of its n-gram vectors (OOV policy if it has none)."""
        self._check_fitted()
        if word not in self.vocab_ and isinstance(word, str) and self.has_ngrams(word):
            return np.asarray(self.keyed_vectors.get_vector(word), dtype=np.float32)
        return super().vector(word)

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[np.ndarray]:
        """One ``(len(sentence), dim)`` array per sentence; unseen words get n-gram vectors."""
        self._check_fitted()
        out = []
        for sent in check_sentences(sentences):
            rows = np.zeros((len(sent), self.dim), dtype=np.float32)
            for i, word in enumerate(sent):
                rows[i] = self.vector(word)
            out.append(rows)
        return out

    # ------------------------------------------------------------ persistence
    # pickle-free: the trained word vectors, the n-gram buckets and the vocabulary;
    # the composed vectors are recomputed on load (the model is then inference-only)
    def save_state(self, directory: Path) -> None:
        kv = self.keyed_vectors
        np.save(directory / "vectors_vocab.npy", np.ascontiguousarray(kv.vectors_vocab), allow_pickle=False)
        if self.bucket:
            np.save(directory / "vectors_ngrams.npy", np.ascontiguousarray(kv.vectors_ngrams), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")
        (directory / "history.json").write_text(json.dumps({"history": self.history_}), encoding="utf-8")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        from gensim.models.fasttext import FastTextKeyedVectors

        vocab = Vocabulary.load(directory / "vocab.json")
        vectors_vocab = np.load(directory / "vectors_vocab.npy", allow_pickle=False)
        _check_shape(directory / "vectors_vocab.npy", vectors_vocab, (len(vocab), self.vector_size))
        kv = FastTextKeyedVectors(
            self.vector_size, self.min_n, self.max_n, self.bucket, count=0, dtype=vectors_vocab.dtype
        )
        kv.index_to_key = list(vocab.words)
        kv.key_to_index = dict(vocab.index)
        kv.allocate_vecattrs()
        for word, count in zip(vocab.words, vocab.counts.tolist()):
            kv.set_vecattr(word, "count", count)
        kv.vectors_vocab = vectors_vocab
        if self.bucket:
            ngrams = np.load(directory / "vectors_ngrams.npy", allow_pickle=False)
            _check_shape(directory / "vectors_ngrams.npy", ngrams, (self.bucket, self.vector_size))
            kv.vectors_ngrams = ngrams
        else:
            kv.vectors_ngrams = np.zeros((0, self.vector_size), dtype=vectors_vocab.dtype)
        kv.recalc_char_ngram_buckets()
        kv.adjust_vectors()
        self.model_ = None
        self.history_ = _load_history(directory / "history.json")
        self._set_vectors(kv)


def _check_shape(path: Path, array: np.ndarray, expected: tuple[int, int]) -> None:
    if array.dtype.kind != "f" or array.shape != expected or not np.isfinite(array).all():
        raise CorruptModelError(
            f"{path} holds a {array.dtype} array of shape {array.shape}, expected finite "
            f"floats of shape {expected} from vocab.json and config.json; the model is "
            f"corrupt: save it again."
        )


def _load_history(path: Path) -> list[dict[str, Any]]:
    """The saved per-epoch history ([] for a model saved before the plugin kept it)."""
    if not path.exists():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))["history"]
        if isinstance(history, list) and all(isinstance(h, dict) for h in history):
            return history
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        pass
    raise CorruptModelError(f"{path} is not a valid training history; the model directory is corrupt: save it again.")
