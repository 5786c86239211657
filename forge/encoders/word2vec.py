"""Word2Vec (CBOW and skip-gram) on gensim, behind the forge interface.

Dense vectors as the by-product of a prediction task: CBOW predicts a word
from its context window, skip-gram predicts the context from the word. Every
gensim training parameter passes through unchanged. File corpora are handed
to gensim's ``corpus_file`` mode, which scales with ``workers`` without the
Python-iterator bottleneck; other corpora stream through ``corpus_iterable``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec

from forge._interface import OOV_POLICIES, BaseEncoder
from forge._registry import register_encoder
from forge.corpora import Corpus, TextCorpus, as_corpus
from forge.errors import BadInputError, CorruptModelError
from forge.vocab import Vocabulary

__all__ = ["Word2VecEncoder"]


@register_encoder("word2vec")
class Word2VecEncoder(BaseEncoder):
    """gensim Word2Vec as a forge encoder (``cbow``: ``sg=0``; ``skipgram``: ``sg=1``).

    Parameters are gensim's own (see ``gensim.models.Word2Vec``), plus:

    oov : {"error", "zero", "unk"}
        Unknown words raise, get zeros, or get the mean vector.
    progress : bool or None
        Show a progress bar per epoch (None: only on a terminal).
    corpus_file : {"auto", "never"}
        "auto" trains file corpora through gensim's ``corpus_file`` mode
        (tokenised once into a temporary file when needed).

    After ``fit``: ``keyed_vectors`` (gensim ``KeyedVectors``), ``loss_history_``
    (training loss per epoch: gensim reports a running total, forge stores
    the per-epoch differences), ``train_seconds_`` and ``words_per_second_``.

    Examples
    --------
    >>> import forge
    >>> corpus = [["king", "queen", "man", "woman"]] * 50
    >>> sg = forge.create("skipgram", vector_size=16, min_count=1, epochs=2, workers=1, progress=False).fit(corpus)
    >>> sg.vector("king").shape, len(sg.loss_history_)
    ((16,), 2)
    """

    name = "word2vec"
    _test_params = {"vector_size": 16, "min_count": 1, "epochs": 2, "workers": 1, "progress": False}

    def __init__(self, vector_size: int = 100, alpha: float = 0.025, window: int = 5, min_count: int = 5,
                 max_vocab_size: int | None = None, sample: float = 1e-3, seed: int = 1, workers: int = 3,
                 min_alpha: float = 0.0001, sg: int = 0, hs: int = 0, negative: int = 5,
                 ns_exponent: float = 0.75, cbow_mean: int = 1, epochs: int = 5, null_word: int = 0,
                 sorted_vocab: int = 1, batch_words: int = 10000, max_final_vocab: int | None = None,
                 shrink_windows: bool = True, compute_loss: bool = True, oov: str = "error",
                 progress: bool | None = None, corpus_file: str = "auto"):
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

    def _validate(self) -> None:
        if self.oov not in OOV_POLICIES:
            raise BadInputError(f"oov={self.oov!r} is not a valid OOV policy; choose one of {OOV_POLICIES}.")
        if self.corpus_file not in ("auto", "never"):
            raise BadInputError(f"corpus_file={self.corpus_file!r}; expected 'auto' or 'never'.")
        for key in ("vector_size", "epochs", "workers", "window"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise BadInputError(f"{key} must be a positive integer, got {value!r}.")

    def fit(self, corpus: Iterable[Sequence[str]] | str | Path) -> "Word2VecEncoder":
        """Build the vocabulary and train; returns self."""
        import time

        from gensim.models import Word2Vec
        self._validate()
        corpus = as_corpus(corpus)
        params = self._gensim_params()
        compute_loss = params.pop("compute_loss")
        epochs = params.pop("epochs")
        model = Word2Vec(**params, epochs=epochs)
        progress = _EpochProgress(epochs, self.progress)
        with _line_sentence_path(corpus, self.corpus_file) as path:
            source = {"corpus_file": str(path)} if path else {"corpus_iterable": corpus}
            model.build_vocab(**source)
            if len(model.wv) == 0:
                raise BadInputError(f"The corpus {corpus!r} gave an empty vocabulary (min_count={self.min_count}): "
                                    f"it is empty or every word is rarer than min_count; lower min_count or "
                                    f"give more text.")
            counts = ({"total_words": model.corpus_total_words} if path
                      else {"total_examples": model.corpus_count})
            start = time.perf_counter()
            model.train(**source, **counts, epochs=epochs, compute_loss=compute_loss, callbacks=[progress])
            self.train_seconds_ = time.perf_counter() - start
        progress.close()
        self.model_ = model
        self.loss_history_ = progress.losses if compute_loss else []
        self.words_per_second_ = model.corpus_total_words * epochs / max(self.train_seconds_, 1e-9)
        self._set_vectors(model.wv)
        return self

    def _set_vectors(self, kv) -> None:
        self.keyed_vectors = kv
        counts = [kv.get_vecattr(w, "count") if kv.has_index_for(w) and "count" in kv.expandos else 0
                  for w in kv.index_to_key]
        self.vocab_ = Vocabulary(kv.index_to_key, counts)

    @property
    def dim(self) -> int:
        self._check_fitted()
        return int(self.keyed_vectors.vector_size)

    def _static_matrix(self) -> np.ndarray:
        return self.keyed_vectors.vectors

    # ---------------------------------------------------------------- interop
    @classmethod
    def from_keyed_vectors(cls, kv, **params: Any) -> "Word2VecEncoder":
        """Wrap existing gensim ``KeyedVectors`` (e.g. pretrained) as a fitted encoder."""
        enc = cls(vector_size=int(kv.vector_size), **params)
        enc.model_ = None
        enc.loss_history_ = []
        enc._set_vectors(kv)
        return enc

    @classmethod
    def load_word2vec_format(cls, path: str | Path, binary: bool = False, **params: Any) -> "Word2VecEncoder":
        """Read vectors in the original word2vec text or binary format."""
        from gensim.models import KeyedVectors
        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        except FileNotFoundError:
            raise BadInputError(f"No word2vec file at {path}.") from None
        except (ValueError, UnicodeDecodeError, EOFError) as exc:
            raise BadInputError(f"{path} is not a valid word2vec {'binary' if binary else 'text'} file "
                                f"({exc}); {_format_hint(path, binary)}") from None
        return cls.from_keyed_vectors(kv, **params)

    def save_word2vec_format(self, path: str | Path, binary: bool = False) -> None:
        """Write the vectors in the word2vec text or binary format (atomic)."""
        self._check_fitted()
        from forge._persist import atomic_file
        with atomic_file(path, "wb") as handle:
            handle.close()
            self.keyed_vectors.save_word2vec_format(handle.name, binary=binary)

    # ------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(self.keyed_vectors.vectors), allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")

    def _load_state(self, directory: Path) -> None:
        from gensim.models import KeyedVectors
        vocab = Vocabulary.load(directory / "vocab.json")
        mmap = "r" if getattr(self, "_load_mmap", False) else None   # forge.load(path, mmap=True)
        vectors = np.load(directory / "vectors.npy", allow_pickle=False, mmap_mode=mmap)
        if vectors.shape != (len(vocab), self.vector_size):
            raise CorruptModelError(f"{directory / 'vectors.npy'} has shape {vectors.shape}, expected "
                                    f"({len(vocab)}, {self.vector_size}); the model is corrupt.")
        # fill KeyedVectors in place (add_vectors would copy the matrix, defeating mmap)
        kv = KeyedVectors(self.vector_size, count=0, dtype=vectors.dtype)
        kv.index_to_key = list(vocab.words)
        kv.key_to_index = dict(vocab.index)
        kv.vectors = vectors
        kv.norms = None
        kv.expandos = {}
        kv.set_vecattr(vocab.words[0], "count", 0)   # allocates the per-word count array
        kv.expandos["count"][:] = vocab.counts
        self.model_ = None
        self.loss_history_ = []
        self.keyed_vectors = kv
        self.vocab_ = vocab


def _format_hint(path: str | Path, binary: bool) -> str:
    """What the file looks like (the old hint said "try binary=..." even for GloVe files)."""
    from forge._vectors_io import detect_vectors_format
    try:
        fmt = detect_vectors_format(path)
    except BadInputError as exc:
        return str(exc)
    if fmt == "word2vec-binary" and not binary:
        return "it looks like word2vec binary: try binary=True."
    if fmt == "word2vec" and binary:
        return "it looks like word2vec text: try binary=False."
    if fmt == "glove":
        return (f"it has no 'COUNT DIM' header line, like a GloVe file: read it with "
                f"forge.load_vectors({str(path)!r}) (format='glove').")
    return (f"the layout looks like {fmt} but a line is malformed: forge.load_vectors({str(path)!r}) "
            f"names the bad line.")


class _EpochProgress(CallbackAny2Vec):
    """gensim callback: a tqdm bar over epochs, per-epoch loss from gensim's running total."""

    def __init__(self, epochs: int, progress: bool | None):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=epochs, desc="word2vec", unit="epoch", disable=None if progress is None else not progress)
        self.losses: list[float] = []
        self._last_total = 0.0

    def on_epoch_end(self, model) -> None:
        total = float(model.get_latest_training_loss())
        self.losses.append(total - self._last_total)
        self._last_total = total
        self.bar.set_postfix(loss=f"{self.losses[-1]:.4g}")
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _line_sentence_path:
    """Context manager: a plain whitespace-tokenised file for gensim's corpus_file mode, or None.

    A TextCorpus that already is such a file is used in place; other file
    corpora are tokenised once into a temporary file (streamed, never held
    in memory) that is removed afterwards. In-memory corpora give None.
    """

    def __init__(self, corpus: Any, mode: str):
        self.corpus, self.mode, self.tmp = corpus, mode, None

    def __enter__(self) -> Path | None:
        if self.mode == "never" or not isinstance(self.corpus, Corpus):
            return None
        direct = self.corpus.line_sentence_file()
        if direct is not None:
            return direct
        if not isinstance(self.corpus, TextCorpus):
            return None
        fd, tmp = tempfile.mkstemp(prefix="forge-w2v-", suffix=".txt")
        self.tmp = tmp
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for sentence in self.corpus:
                # gensim's reader splits on whitespace: tokens that contain whitespace cannot pass
                out.write(" ".join(t for t in sentence if t and not any(c.isspace() for c in t)) + "\n")
        return Path(tmp)

    def __exit__(self, *exc: object) -> None:
        if self.tmp and os.path.exists(self.tmp):
            os.unlink(self.tmp)
