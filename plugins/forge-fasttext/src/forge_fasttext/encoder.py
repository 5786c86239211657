"""gensim FastText behind the forge interface: word vectors plus character n-gram vectors.

A word's vector is the average of its own vector and the vectors of its
character n-grams (``min_n`` to ``max_n`` characters of ``<word>``, hashed
into ``bucket`` rows). A word never seen in training still has n-grams, so it
still gets a vector: the encoder has an *open vocabulary*.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from forge import BaseEncoder, Vocabulary
from forge._interface import OOV_POLICIES, _check_sentences
from forge.corpora import as_corpus, gensim_corpus_file
from forge.errors import BadInputError, CorruptModelError

__all__ = ["FastTextEncoder"]


class FastTextEncoder(BaseEncoder):
    """gensim FastText as a forge encoder: vectors for unseen words from character n-grams.

    Parameters are gensim's own (see ``gensim.models.FastText``; ``sg=0`` CBOW,
    ``sg=1`` skip-gram; ``min_n``/``max_n`` n-gram lengths, ``bucket`` hash rows,
    ``bucket=0`` turns n-grams off), plus:

    oov : {"error", "zero", "unk"}
        What a word *without any n-gram* gets (e.g. ``"ab"`` when ``min_n=5``):
        an error, zeros, or the mean vector. Every other word has a vector.
    progress : bool or None
        Show a progress bar per epoch (None: only on a terminal).
    corpus_file : {"auto", "never"}
        "auto" trains file corpora through gensim's ``corpus_file`` mode, fed
        as forge's Word2Vec is (``forge.corpora.gensim_corpus_file``): a plain
        whitespace-tokenised file whose lines have at most 1,000 words is read
        as it is, another ``TextCorpus`` is re-cut once into a temporary file
        of such lines (gensim skips the rest of a line past 10,000 words and
        trains worse on long lines); in-memory corpora stream.

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
    _test_params = {
        "vector_size": 16,
        "min_count": 1,
        "epochs": 2,
        "workers": 1,
        "bucket": 2000,
        "max_n": 4,
        "progress": False,
    }

    def __init__(
        self,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        word_ngrams: int = 1,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        sg: int = 0,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        epochs: int = 5,
        null_word: int = 0,
        min_n: int = 3,
        max_n: int = 6,
        sorted_vocab: int = 1,
        bucket: int = 2_000_000,
        batch_words: int = 10000,
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
        oov: str = "error",
        progress: bool | None = None,
        corpus_file: str = "auto",
    ):
        self.vector_size = vector_size
        self.alpha = alpha
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.word_ngrams = word_ngrams
        self.sample = sample
        self.seed = seed
        self.workers = workers
        self.min_alpha = min_alpha
        self.sg = sg
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.cbow_mean = cbow_mean
        self.epochs = epochs
        self.null_word = null_word
        self.min_n = min_n
        self.max_n = max_n
        self.sorted_vocab = sorted_vocab
        self.bucket = bucket
        self.batch_words = batch_words
        self.max_final_vocab = max_final_vocab
        self.shrink_windows = shrink_windows
        self.oov = oov
        self.progress = progress
        self.corpus_file = corpus_file

    _FORGE_ONLY = ("oov", "progress", "corpus_file")

    def _more_tags(self) -> dict[str, Any]:
        # one worker and a seed give repeatable vectors; without n-grams it is a closed vocabulary
        return {"deterministic": self.workers == 1, "open_vocabulary": self.bucket != 0}

    def _validate_params(self) -> None:
        if self.oov not in OOV_POLICIES:
            raise BadInputError(f"oov={self.oov!r} is not a valid OOV policy; choose one of {OOV_POLICIES}.")
        if self.corpus_file not in ("auto", "never"):
            raise BadInputError(f"corpus_file={self.corpus_file!r}; expected 'auto' or 'never'.")
        for key in ("vector_size", "epochs", "workers", "window", "min_n", "max_n"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BadInputError(f"{key} must be a positive integer, got {value!r}.")
        if self.max_n < self.min_n:
            raise BadInputError(
                f"max_n={self.max_n} is smaller than min_n={self.min_n}; n-grams have "
                f"min_n..max_n characters, so max_n must be >= min_n."
            )
        if isinstance(self.bucket, bool) or not isinstance(self.bucket, int) or self.bucket < 0:
            raise BadInputError(f"bucket must be an integer >= 0 (0 turns n-grams off), got {self.bucket!r}.")

    def fit(self, corpus: Iterable[Sequence[str]] | str | Path) -> FastTextEncoder:
        """Build the vocabulary and train; returns self."""
        from gensim.models import FastText

        self._validate_params()
        corpus = as_corpus(corpus)
        params = {k: v for k, v in self.get_params().items() if k not in self._FORGE_ONLY}
        model = FastText(**params)
        with gensim_corpus_file(corpus, self.corpus_file) as path:
            source = {"corpus_file": str(path)} if path else {"corpus_iterable": corpus}
            model.build_vocab(**source)
            if len(model.wv) == 0:
                raise BadInputError(
                    f"The corpus {corpus!r} gave an empty vocabulary (min_count={self.min_count}): "
                    f"it is empty or every word is rarer than min_count; lower min_count or give "
                    f"more text."
                )
            counts = {"total_words": model.corpus_total_words} if path else {"total_examples": model.corpus_count}
            progress = _progress_callback(self.epochs, self.progress)
            start = time.perf_counter()
            try:
                model.train(**source, **counts, epochs=self.epochs, callbacks=[progress])
            finally:
                progress.bar.close()
        self.train_seconds_ = time.perf_counter() - start
        self.words_per_second_ = model.corpus_total_words * self.epochs / max(self.train_seconds_, 1e-9)
        self.model_ = model
        self.history_ = progress.history
        self._set_vectors(model.wv)
        return self

    def _set_vectors(self, kv: Any) -> None:  # gensim FastTextKeyedVectors (untyped)
        self.keyed_vectors = kv
        counts = [kv.get_vecattr(w, "count") if "count" in kv.expandos else 0 for w in kv.index_to_key]
        self.vocab_ = Vocabulary(kv.index_to_key, counts)

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.keyed_vectors.vector_size)

    def _static_matrix(self) -> np.ndarray:
        return self.keyed_vectors.vectors

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
        for sent in _check_sentences(sentences):
            rows = np.zeros((len(sent), self.dim), dtype=np.float32)
            for i, word in enumerate(sent):
                rows[i] = self.vector(word)
            out.append(rows)
        return out

    # ------------------------------------------------------------ persistence
    # pickle-free: the trained word vectors, the n-gram buckets and the vocabulary;
    # the composed vectors are recomputed on load (the model is then inference-only)
    def _save_state(self, directory: Path) -> None:
        kv = self.keyed_vectors
        np.save(directory / "vectors_vocab.npy", np.ascontiguousarray(kv.vectors_vocab), allow_pickle=False)
        if self.bucket:
            np.save(directory / "vectors_ngrams.npy", np.ascontiguousarray(kv.vectors_ngrams), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")
        (directory / "history.json").write_text(json.dumps({"history": self.history_}), encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
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


def _progress_callback(epochs: int, progress: bool | None) -> Any:  # a gensim CallbackAny2Vec
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm.auto import tqdm

    class _EpochBar(CallbackAny2Vec):
        def __init__(self) -> None:
            self.bar = tqdm(
                total=epochs, desc="fasttext", unit="epoch", disable=None if progress is None else not progress
            )
            self.history: list[dict[str, Any]] = []
            self.start = time.perf_counter()

        def on_epoch_begin(self, model: Any) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, model: Any) -> None:
            self.history.append({"epoch": len(self.history) + 1, "seconds": time.perf_counter() - self.start})
            self.bar.update(1)

    return _EpochBar()
