"""Word2Vec (CBOW and skip-gram) on gensim, behind the forge interface.

Dense vectors as the by-product of a prediction task: CBOW predicts a word
from its context window, skip-gram predicts the context from the word. Every
gensim training parameter passes through unchanged. File corpora are handed
to gensim's ``corpus_file`` mode, which scales with ``workers`` without the
Python-iterator bottleneck; other corpora stream through ``corpus_iterable``.
gensim is imported when a model is trained or loaded, not with this module
(so a plugin that extends the encoder can be listed without it).

:class:`Word2VecEncoder` is also the base of other gensim ``Word2Vec``
subclasses: a subclass names its gensim model in ``gensim_class``, adds its
own parameters (``__init__(self, extra=..., **params)`` passing ``**params``
on) and their ``param_constraints``, and inherits the training loop, the
progress bar, the history and the parameters (the fastText plugin does this).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from forge._interface import BaseEncoder
from forge._params import OOV_POLICIES, POSITIVE_INT, Boolean, Interval, NoneValue, Options
from forge._persist import atomic_file, check_array
from forge._vectors_io import detect_vectors_format
from forge.corpora import as_corpus, gensim_corpus_file
from forge.encoders._gensim_training import Progress, reporting
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
    test_params = {"vector_size": 16, "min_count": 1, "epochs": 2, "workers": 1, "progress": False}
    #: the gensim model ``fit`` trains, as ``"module:Class"`` (imported then): ``gensim.models.Word2Vec`` or a
    #: subclass of it (the fastText plugin's ``"gensim.models:FastText"``)
    gensim_class: ClassVar[str] = "gensim.models:Word2Vec"
    # every parameter, declared once (gensim's types and ranges; gensim itself checks few of them)
    param_constraints = {
        "vector_size": (POSITIVE_INT,),
        "alpha": (Interval(float, 0.0, None, "neither"),),
        "window": (POSITIVE_INT,),
        "min_count": (Interval(int, 0, None),),
        "max_vocab_size": (POSITIVE_INT, NoneValue()),
        "sample": (Interval(float, 0.0, None),),
        "seed": (Interval(int, None, None),),
        "workers": (POSITIVE_INT,),
        "min_alpha": (Interval(float, 0.0, None),),
        "sg": (Options((0, 1)),),
        "hs": (Options((0, 1)),),
        "negative": (Interval(int, 0, None),),
        "ns_exponent": (Interval(float, None, None),),
        "cbow_mean": (Options((0, 1)),),
        "epochs": (POSITIVE_INT,),
        "null_word": (Options((0, 1)),),
        "sorted_vocab": (Options((0, 1)),),
        "batch_words": (POSITIVE_INT,),
        "max_final_vocab": (POSITIVE_INT, NoneValue()),
        "shrink_windows": (Boolean(),),
        "compute_loss": (Boolean(),),
        "oov": (Options(OOV_POLICIES),),
        "progress": (Boolean(), NoneValue()),
        "corpus_file": (Options(("auto", "never")),),
    }

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

    def _more_tags(self) -> dict[str, Any]:
        # gensim's worker threads race on the shared weights: only one worker repeats itself exactly
        return {"deterministic": self.workers == 1}

    def _kind(self) -> str:
        """What the progress bar and the log call this model (``cbow``, ``skipgram``...)."""
        return {0: "cbow", 1: "skipgram"}.get(self.sg, f"sg={self.sg}")

    @property
    def loss_history_(self) -> list[float]:
        """Training loss per epoch: ``[h["loss"] for h in history_]`` (kept for compatibility)."""
        if "history_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no training history before fit")
        return [h["loss"] for h in self.history_ if "loss" in h]

    def fit(self, corpus: Iterable[Sequence[str]] | str | Path) -> Word2VecEncoder:
        """Build the vocabulary and train; returns self."""
        self.validate_params()
        corpus = as_corpus(corpus)
        params = self._gensim_params()
        compute_loss = params.pop("compute_loss")
        epochs = params.pop("epochs")
        model = reporting(self.gensim_class)(**params, epochs=epochs)
        kind = self._kind()
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
            progress = Progress(kind, epochs, model.corpus_total_words, compute_loss, self.progress)
            model.forge_progress = progress
            start = time.perf_counter()
            try:
                model.train(**source, **counts, epochs=epochs, compute_loss=compute_loss, callbacks=[progress])
            finally:
                model.forge_progress = None
                progress.close()
            self.train_seconds_ = time.perf_counter() - start
        self.model_: Any = model
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
        from gensim.models import KeyedVectors  # lazy: gensim loads only when a model is read

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
    def save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(self.keyed_vectors.vectors), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")
        (directory / HISTORY_FILE).write_text(json.dumps({"history": self.history_}, indent=1), encoding="utf-8")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        from gensim.models import KeyedVectors  # lazy: gensim loads only when a model is read

        vocab = Vocabulary.load(directory / "vocab.json")
        mode: Literal["r"] | None = "r" if mmap else None  # forge.load(path, mmap=True)
        vectors = check_array(
            directory / "vectors.npy",
            np.load(directory / "vectors.npy", allow_pickle=False, mmap_mode=mode),
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
