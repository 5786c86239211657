"""Word2Vec: one history attribute (``history_``), kept on reload; progress via tqdm and logging; honest tags."""

from __future__ import annotations

import itertools
import json
import logging

import numpy as np
import pytest

import forge
from forge.errors import CorruptModelError
from forge.testing import TINY_CORPUS

FAST = {"vector_size": 12, "min_count": 1, "epochs": 3, "workers": 1, "seed": 3, "progress": False}


def test_history_is_one_dict_per_epoch_and_loss_history_is_its_alias():
    enc = forge.create("skipgram", **FAST).fit(TINY_CORPUS)
    assert [h["epoch"] for h in enc.history_] == [1, 2, 3]
    for record in enc.history_:
        assert {"epoch", "loss", "seconds", "words_per_s", "raw_words", "effective_words"} <= set(record)
        assert (
            record["raw_words"] == enc.model_.corpus_total_words
            and 0 < record["effective_words"] <= record["raw_words"]
        )
    assert enc.loss_history_ == [h["loss"] for h in enc.history_]
    quiet = forge.create("skipgram", **FAST, compute_loss=False).fit(TINY_CORPUS)
    assert quiet.loss_history_ == [] and all("loss" not in h for h in quiet.history_)
    with pytest.raises(AttributeError):
        forge.create("skipgram").loss_history_  # noqa: B018 -- not fitted: no history yet


def test_a_reloaded_word2vec_keeps_its_history(tmp_path):
    enc = forge.create("cbow", **FAST).fit(TINY_CORPUS)
    back = forge.load(enc.save(tmp_path / "m"))
    assert back.history_ == enc.history_ and back.loss_history_ == enc.loss_history_
    np.testing.assert_array_equal(back.vector("king"), enc.vector("king"))


def test_a_damaged_history_file_is_a_corrupt_model_error(tmp_path):
    path = forge.create("cbow", **FAST).fit(TINY_CORPUS).save(tmp_path / "m")
    (path / "history.json").write_text(json.dumps({"history": [1, 2]}))
    with pytest.raises(CorruptModelError):
        forge.load(path)


def test_training_is_logged_to_forge_loggers_only(caplog):
    root_handlers = list(logging.getLogger().handlers)
    with caplog.at_level(logging.INFO, logger="forge"):
        forge.create("skipgram", **FAST).fit(TINY_CORPUS)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("forge")]
    assert any("training on" in m and "iterable mode" in m for m in messages)
    assert [m for m in messages if "epoch" in m and "done" in m][-1].startswith("word2vec (skipgram): epoch 3/3")
    assert logging.getLogger().handlers == root_handlers  # forge never configures the root logger


def test_progress_bar_moves_within_an_epoch(monkeypatch, capsys, caplog):
    import gensim.models.word2vec as gensim_w2v

    clock = itertools.count(0, 0.6)  # each reading of gensim's timer is 0.6 s later: a report every 2 jobs
    monkeypatch.setattr(gensim_w2v, "default_timer", lambda: next(clock))
    with caplog.at_level(logging.DEBUG, logger="forge.encoders.word2vec"):
        forge.create("skipgram", **{**FAST, "progress": True, "batch_words": 20}).fit(TINY_CORPUS)
    within = [r.getMessage() for r in caplog.records if "%," in r.getMessage()]
    assert len(within) >= 3 and any("epoch 1/3 at" in m for m in within)
    err = capsys.readouterr().err
    assert "skipgram" in err and "word" in err and "epoch=3/3" in err  # the tqdm bar, in words


def test_deterministic_tag_is_true_only_with_one_worker():
    assert forge.create("skipgram", workers=1).tags["deterministic"]
    assert not forge.create("skipgram").tags["deterministic"]  # gensim's default: 3 threads racing
    a = forge.create("skipgram", **{**FAST, "workers": 1}).fit(TINY_CORPUS)
    b = forge.create("skipgram", **{**FAST, "workers": 1}).fit(TINY_CORPUS)
    np.testing.assert_array_equal(a.keyed_vectors.vectors, b.keyed_vectors.vectors)
