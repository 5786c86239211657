"""Training gensim's Word2Vec (and subclasses such as FastText) with forge's progress bar, log and history.

:func:`reporting` mixes :class:`_ReportingMixin` into the gensim class, so that
the bar moves within an epoch (gensim's callbacks fire only at epoch
boundaries); :class:`Progress` is the callback that draws the bar, logs to
``forge.encoders.word2vec`` and records the per-epoch history. Nothing here
imports gensim: the gensim class is imported when a model is trained.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

__all__ = ["Progress", "reporting"]

logger = logging.getLogger(
    __name__.rsplit(".", 1)[0] + ".word2vec"
)  # the encoder's logger: its messages, whoever trains

_REPORTING: dict[str, type] = {}


def reporting(target: str) -> type:
    """The gensim class ``"module:Class"`` (Word2Vec or a subclass such as FastText) with forge's progress hooks."""

    if target not in _REPORTING:
        module, _, name = target.partition(":")
        gensim_class = getattr(importlib.import_module(module), name)
        _REPORTING[target] = type(f"_Reporting{gensim_class.__name__}", (_ReportingMixin, gensim_class), {})
    return _REPORTING[target]


class _ReportingMixin:
    """Mixed into gensim's Word2Vec (unchanged) to tell forge's progress bar how far an epoch has got.

    gensim calls ``_log_progress`` every ``report_delay`` seconds (1 s) within
    an epoch, in both iterable and ``corpus_file`` mode; its callbacks only
    fire at epoch boundaries.
    """

    forge_progress: Progress | None = None

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
        super()._log_progress(  # type: ignore[misc]  # gensim's Word2Vec, after this mixin in the MRO
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
        super()._log_epoch_end(  # type: ignore[misc]
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


class Progress:
    """gensim callback: a tqdm bar over all epochs' words, logging, and the per-epoch history.

    It answers every hook of gensim's ``CallbackAny2Vec`` without deriving from it, so this module imports
    without gensim.
    """

    def on_train_begin(self, model) -> None:
        pass

    def on_train_end(self, model) -> None:
        pass

    def on_batch_begin(self, model) -> None:
        pass

    def on_batch_end(self, model) -> None:
        pass

    def __init__(self, kind: str, epochs: int, words: int, compute_loss: bool, progress: bool | None):
        from tqdm.auto import tqdm  # lazy: tqdm.auto probes for a notebook: only when a bar is drawn

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
