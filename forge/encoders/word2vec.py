"""Word2Vec (CBOW and skip-gram) on gensim, behind the forge interface.

Dense vectors as the by-product of a prediction task: CBOW predicts a word
from its context window, skip-gram predicts the context from the word. Every
gensim training parameter passes through unchanged. File corpora are handed
to gensim's ``corpus_file`` mode, which scales with ``workers`` without the
Python-iterator bottleneck; other corpora stream through ``corpus_iterable``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from gensim.models import KeyedVectors, Word2Vec
from gensim.models.callbacks import CallbackAny2Vec
from tqdm.auto import tqdm

from forge._interface import OOV_POLICIES, BaseEncoder
from forge._persist import atomic_file, check_array
from forge._vectors_io import detect_vectors_format
from forge.corpora import as_corpus, gensim_corpus_file
from forge.errors import BadInputError, CorruptModelError
from forge.vocab import Vocabulary

__all__ = ["Word2VecEncoder"]

logger = logging.getLogger(__name__)


class Word2VecEncoder(BaseEncoder):
    """gensim Word2Vec as a forge encoder (``cbow``: ``sg=0``; ``skipgram``: ``sg=1``).

    Parameters are gensim's own (see ``gensim.models.Word2Vec``), plus:

    oov : {"error", "zero", "unk"}
        Unknown words raise, get zeros, or get the mean vector.
    progress : bool or None
        Show a progress bar over the words of all epochs, updated within each
        epoch (None: only on a terminal). Progress is also logged to the
        ``forge.encoders.word2vec`` logger (INFO per epoch, DEBUG within).
    corpus_file : {"auto", "never"}
        "auto" trains file corpora through gensim's ``corpus_file`` mode
        (tokenised once into a temporary file of lines of at most 1,000
        words when the file cannot be read as it is).

    Reproducibility: gensim's threads interleave their updates, so only
    ``workers=1`` with a fixed ``seed`` gives identical vectors from run to run
    (the ``deterministic`` tag says so); more workers train faster but differ.

    After ``fit``: ``keyed_vectors`` (gensim ``KeyedVectors``), ``history_``
    (one dict per epoch: ``epoch``, ``loss`` when ``compute_loss`` (gensim
    reports a running total, forge stores the per-epoch differences),
    ``seconds``, ``words_per_s``, and gensim's ``raw_words`` and
    ``effective_words`` (after subsampling); kept by ``save``/``forge.load``),
    ``loss_history_`` (the per-epoch losses, an alias kept for compatibility),
    ``train_seconds_`` and ``words_per_second_``.

    Examples
    --------
    >>> import forge
    >>> corpus = [["king", "queen", "man", "woman"]] * 50
    >>> sg = forge.create("skipgram", vector_size=16, min_count=1, epochs=2, workers=1, progress=False).fit(corpus)
    >>> sg.vector("king").shape, [h["epoch"] for h in sg.history_], len(sg.loss_history_)
    ((16,), [1, 2], 2)
    """

    name = "word2vec"
    _test_params = {"vector_size": 16, "min_count": 1, "epochs": 2, "workers": 1, "progress": False}

    def __init__(
        self,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
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
        sorted_vocab: int = 1,
        batch_words: int = 10000,
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
        compute_loss: bool = True,
        oov: str = "error",
        progress: bool | None = None,
        corpus_file: str = "auto",
    ):
        self.vector_size = vector_size
        self.alpha = alpha
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
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
        self.sorted_vocab = sorted_vocab
        self.batch_words = batch_words
        self.max_final_vocab = max_final_vocab
        self.shrink_windows = shrink_windows
        self.compute_loss = compute_loss
        self.oov = oov
        self.progress = progress
        self.corpus_file = corpus_file

    # gensim keyword arguments: every constructor parameter except forge's own
    _FORGE_ONLY = ("oov", "progress", "corpus_file")

    def _gensim_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.get_params().items() if k not in self._FORGE_ONLY}

    def _validate_params(self) -> None:
        self._validate()  # subclasses (e.g. the fastText plugin) extend _validate

    def _more_tags(self) -> dict[str, Any]:
        # gensim's worker threads race on the shared weights: only one worker repeats itself exactly
        return {"deterministic": self.workers == 1}

    def _validate(self) -> None:
        if self.oov not in OOV_POLICIES:
            raise BadInputError(f"oov={self.oov!r} is not a valid OOV policy; choose one of {OOV_POLICIES}.")
        if self.corpus_file not in ("auto", "never"):
            raise BadInputError(f"corpus_file={self.corpus_file!r}; expected 'auto' or 'never'.")
        for key in ("vector_size", "epochs", "workers", "window"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BadInputError(f"{key} must be a positive integer, got {value!r}.")

    @property
    def loss_history_(self) -> list[float]:
        """Training loss per epoch: ``[h["loss"] for h in history_]`` (kept for compatibility)."""
        if "history_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no training history before fit")
        return [h["loss"] for h in self.history_ if "loss" in h]

    def fit(self, corpus: Iterable[Sequence[str]] | str | Path) -> Word2VecEncoder:
        """Build the vocabulary and train; returns self."""
        self._validate_params()
        corpus = as_corpus(corpus)
        params = self._gensim_params()
        compute_loss = params.pop("compute_loss")
        epochs = params.pop("epochs")
        model = _ReportingWord2Vec(**params, epochs=epochs)
        kind = {0: "cbow", 1: "skipgram"}.get(self.sg, f"sg={self.sg}")
        with gensim_corpus_file(corpus, self.corpus_file) as path:
            source = {"corpus_file": str(path)} if path else {"corpus_iterable": corpus}
            logger.info("word2vec (%s): building the vocabulary from %r", kind, corpus)
            model.build_vocab(**source)
            if len(model.wv) == 0:
                raise BadInputError(
                    f"The corpus {corpus!r} gave an empty vocabulary (min_count={self.min_count}): "
                    f"it is empty or every word is rarer than min_count; lower min_count or "
                    f"give more text."
                )
            counts = {"total_words": model.corpus_total_words} if path else {"total_examples": model.corpus_count}
            logger.info(
                "word2vec (%s): training on %d words, %d vocabulary words, %d epochs, %d workers, %s mode",
                kind,
                model.corpus_total_words,
                len(model.wv),
                epochs,
                self.workers,
                "corpus_file" if path else "iterable",
            )
            progress = _Progress(kind, epochs, model.corpus_total_words, compute_loss, self.progress)
            model.forge_progress = progress
            start = time.perf_counter()
            try:
                model.train(**source, **counts, epochs=epochs, compute_loss=compute_loss, callbacks=[progress])
            finally:
                model.forge_progress = None
                progress.close()
            self.train_seconds_ = time.perf_counter() - start
        self.model_: Word2Vec | None = model
        self.history_ = progress.history
        self.words_per_second_ = model.corpus_total_words * epochs / max(self.train_seconds_, 1e-9)
        logger.info(
            "word2vec (%s): trained in %.1f s (%.0f words/s)", kind, self.train_seconds_, self.words_per_second_
        )
        self._set_vectors(model.wv)
        return self

    def _set_vectors(self, kv) -> None:
        self.keyed_vectors = kv
        counts = [
            kv.get_vecattr(w, "count") if kv.has_index_for(w) and "count" in kv.expandos else 0 for w in kv.index_to_key
        ]
        self.vocab_ = Vocabulary(kv.index_to_key, counts)

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.keyed_vectors.vector_size)

    def _static_matrix(self) -> np.ndarray:
        return self.keyed_vectors.vectors

    # ---------------------------------------------------------------- interop
    @classmethod
    def from_keyed_vectors(cls, kv, **params: Any) -> Word2VecEncoder:
        """Wrap existing gensim ``KeyedVectors`` (e.g. pretrained) as a fitted encoder."""
        enc = cls(vector_size=int(kv.vector_size), **params)
        enc.model_ = None
        enc.history_ = []
        enc._set_vectors(kv)
        return enc

    @classmethod
    def load_word2vec_format(cls, path: str | Path, binary: bool = False, **params: Any) -> Word2VecEncoder:
        """Read vectors in the original word2vec text or binary format."""
        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        except FileNotFoundError:
            raise BadInputError(f"No word2vec file at {path}.") from None
        except (ValueError, UnicodeDecodeError, EOFError) as exc:
            raise BadInputError(
                f"{path} is not a valid word2vec {'binary' if binary else 'text'} file "
                f"({exc}); {_format_hint(path, binary)}"
            ) from None
        return cls.from_keyed_vectors(kv, **params)

    def save_word2vec_format(self, path: str | Path, binary: bool = False) -> None:
        """Write the vectors in the word2vec text or binary format (atomic)."""
        self._check_fitted()

        with atomic_file(path, "wb") as handle:
            handle.close()
            self.keyed_vectors.save_word2vec_format(handle.name, binary=binary)

    # ------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(self.keyed_vectors.vectors), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")
        (directory / HISTORY_FILE).write_text(json.dumps({"history": self.history_}, indent=1), encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
        vocab = Vocabulary.load(directory / "vocab.json")
        mmap: Literal["r"] | None = "r" if getattr(self, "_load_mmap", False) else None  # forge.load(path, mmap=True)
        vectors = check_array(
            directory / "vectors.npy",
            np.load(directory / "vectors.npy", allow_pickle=False, mmap_mode=mmap),
            (len(vocab), self.vector_size),
        )
        # fill KeyedVectors in place (add_vectors would copy the matrix, defeating mmap)
        kv = KeyedVectors(self.vector_size, count=0, dtype=vectors.dtype)
        kv.index_to_key = list(vocab.words)
        kv.key_to_index = dict(vocab.index)
        kv.vectors = vectors
        kv.norms = None
        kv.expandos = {}
        kv.set_vecattr(vocab.words[0], "count", 0)  # allocates the per-word count array
        kv.expandos["count"][:] = vocab.counts
        self.model_ = None
        self.history_ = _load_history(directory / HISTORY_FILE)
        self.keyed_vectors = kv
        self.vocab_ = vocab


HISTORY_FILE = "history.json"


def _format_hint(path: str | Path, binary: bool) -> str:
    """What the file looks like (the old hint said "try binary=..." even for GloVe files)."""
    try:
        fmt = detect_vectors_format(path)
    except BadInputError as exc:
        return str(exc)
    if fmt == "word2vec-binary" and not binary:
        return "it looks like word2vec binary: try binary=True."
    if fmt == "word2vec" and binary:
        return "it looks like word2vec text: try binary=False."
    if fmt == "glove":
        return (
            f"it has no 'COUNT DIM' header line, like a GloVe file: read it with "
            f"forge.load_vectors({str(path)!r}) (format='glove')."
        )
    return f"the layout looks like {fmt} but a line is malformed: forge.load_vectors({str(path)!r}) names the bad line."


def _load_history(path: Path) -> list[dict[str, Any]]:
    """The per-epoch history saved with the model ([] for a model saved before forge kept it)."""
    if not path.exists():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))["history"]
        ok = isinstance(history, list) and all(isinstance(h, dict) for h in history)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        ok = False
    if not ok:
        raise CorruptModelError(
            f'{path} is not a valid training history (expected {{"history": [{{...}}, ...]}}); '
            f"the model directory is corrupt: save it again."
        )
    return history


class _ReportingWord2Vec(Word2Vec):
    """gensim's Word2Vec, unchanged, that also tells forge's progress bar how far an epoch has got.

    gensim calls ``_log_progress`` every ``report_delay`` seconds (1 s) within
    an epoch, in both iterable and ``corpus_file`` mode; its callbacks only
    fire at epoch boundaries.
    """

    forge_progress: _Progress | None = None

    def _log_progress(
        self,
        job_queue,
        progress_queue,
        cur_epoch,
        example_count,
        total_examples,
        raw_word_count,
        total_words,
        trained_word_count,
        elapsed,
    ):
        super()._log_progress(
            job_queue,
            progress_queue,
            cur_epoch,
            example_count,
            total_examples,
            raw_word_count,
            total_words,
            trained_word_count,
            elapsed,
        )
        if self.forge_progress is not None:
            done = example_count / total_examples if total_examples else raw_word_count / max(total_words or 1, 1)
            self.forge_progress.within_epoch(cur_epoch, min(done, 1.0), trained_word_count / max(elapsed, 1e-9))

    def _log_epoch_end(
        self,
        cur_epoch,
        example_count,
        total_examples,
        raw_word_count,
        total_words,
        trained_word_count,
        elapsed,
        is_corpus_file_mode,
    ):
        super()._log_epoch_end(
            cur_epoch,
            example_count,
            total_examples,
            raw_word_count,
            total_words,
            trained_word_count,
            elapsed,
            is_corpus_file_mode,
        )
        if self.forge_progress is not None:
            self.forge_progress.epoch_words = (int(raw_word_count), int(trained_word_count))


class _Progress(CallbackAny2Vec):
    """gensim callback: a tqdm bar over all epochs' words, logging, and the per-epoch history."""

    def __init__(self, kind: str, epochs: int, words: int, compute_loss: bool, progress: bool | None):
        self.kind, self.epochs, self.words, self.compute_loss = kind, epochs, max(int(words), 1), compute_loss
        self.bar = tqdm(
            total=epochs * self.words,
            desc=kind,
            unit="word",
            unit_scale=True,
            disable=None if progress is None else not progress,
        )
        self.history: list[dict[str, Any]] = []
        self.epoch_words: tuple[int, int] | None = None  # (raw, effective) words of the epoch, from gensim
        self._last_total = 0.0
        self._epoch = 0
        self._epoch_start = time.perf_counter()

    def _move_to(self, position: float) -> None:
        self.bar.update(max(0, int(position) - self.bar.n))

    def on_epoch_begin(self, model) -> None:
        self._epoch_start = time.perf_counter()
        self.bar.set_postfix(epoch=f"{self._epoch + 1}/{self.epochs}")

    def within_epoch(self, epoch: int, done: float, words_per_s: float) -> None:
        self._move_to((epoch + done) * self.words)
        logger.debug(
            "word2vec (%s): epoch %d/%d at %.0f%%, %.0f effective words/s",
            self.kind,
            epoch + 1,
            self.epochs,
            100 * done,
            words_per_s,
        )

    def on_epoch_end(self, model) -> None:
        seconds = time.perf_counter() - self._epoch_start
        self._epoch += 1
        record: dict[str, Any] = {"epoch": self._epoch}
        if self.compute_loss:
            total = float(model.get_latest_training_loss())
            record["loss"] = total - self._last_total
            self._last_total = total
        record.update(seconds=seconds, words_per_s=self.words / max(seconds, 1e-9))
        if self.epoch_words is not None:
            # effective words: those trained on after subsampling and the vocabulary cut
            record.update(raw_words=self.epoch_words[0], effective_words=self.epoch_words[1])
            self.epoch_words = None
        self.history.append(record)
        self._move_to(self._epoch * self.words)
        loss = f", loss {record['loss']:.4g}" if "loss" in record else ""
        self.bar.set_postfix(
            epoch=f"{self._epoch}/{self.epochs}", **({"loss": f"{record['loss']:.4g}"} if "loss" in record else {})
        )
        logger.info(
            "word2vec (%s): epoch %d/%d done in %.1f s (%.0f words/s)%s",
            self.kind,
            self._epoch,
            self.epochs,
            seconds,
            record["words_per_s"],
            loss,
        )

    def close(self) -> None:
        self.bar.close()
