"""Chinese: the jieba tokenizer drops punctuation by default (issue 13), and can keep it."""

from __future__ import annotations

import functools

import pytest

from forge.corpora import ListCorpus, get_tokenizer

pytest.importorskip("jieba")

from forge.corpora._zh import is_punctuation, jieba_tokenize

TEXT = "我爱北京天安门，天安门上太阳升。《红楼梦》……真好！3.5%的人说：“是的”"


def test_jieba_drops_punctuation_by_default():
    tokens = get_tokenizer("jieba")(TEXT)
    assert "，" not in tokens and "。" not in tokens and "《" not in tokens and "……" not in tokens
    assert not any(is_punctuation(t) for t in tokens)
    assert {"北京", "天安门", "红楼梦", "3.5%"} <= set(tokens)  # words, and numbers with a sign, stay


def test_punctuation_can_be_kept():
    keep = functools.partial(jieba_tokenize, keep_punctuation=True)
    tokens = keep(TEXT)
    assert "，" in tokens and "。" in tokens
    assert [t for t in tokens if not is_punctuation(t)] == jieba_tokenize(TEXT)
    assert list(ListCorpus(["你好，世界。"], tokenizer=keep)) == [["你好", "，", "世界", "。"]]


def test_punctuation_never_becomes_vocabulary():
    import forge

    enc = forge.create("onehot").fit(ListCorpus(["我爱北京，北京爱我。"] * 3, tokenizer="jieba"))
    assert set(enc.vocabulary) == {"我", "爱", "北京"}
