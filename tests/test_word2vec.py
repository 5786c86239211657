"""Word2Vec encoder: gensim pass-through, corpus_file mode, loss per epoch, interop."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec

import forge
from forge.encoders.word2vec import Word2VecEncoder
from forge.errors import BadInputError
from forge.testing import TINY_CORPUS

FAST = {"vector_size": 20, "min_count": 1, "epochs": 3, "workers": 1, "seed": 3, "progress": False}


def test_every_gensim_constructor_parameter_passes_through():
    import inspect

    gensim_params = set(inspect.signature(Word2Vec.__init__).parameters) - {
        "self",
        "sentences",
        "corpus_file",
        "callbacks",
        "comment",
        "trim_rule",
        "hashfxn",
    }
    assert gensim_params <= set(Word2VecEncoder().get_params())


def test_same_vectors_as_gensim_with_the_same_settings():
    enc = forge.create("skipgram", **FAST).fit(TINY_CORPUS)
    ref = Word2Vec(list(TINY_CORPUS), sg=1, vector_size=20, min_count=1, epochs=3, workers=1, seed=3)
    np.testing.assert_allclose(enc.vector("king"), ref.wv["king"], rtol=1e-6)


def test_loss_history_is_per_epoch_not_cumulative():
    enc = forge.create("skipgram", **{**FAST, "epochs": 4}).fit(TINY_CORPUS)
    losses = enc.loss_history_  # the compatibility alias of history_
    assert len(losses) == 4 and all(x > 0 for x in losses)
    total = enc.model_.get_latest_training_loss()
    assert sum(losses) == pytest.approx(total, rel=1e-5)  # differences of gensim's running total
    assert losses[-1] < sum(losses) / 2


def test_file_corpus_uses_gensim_corpus_file_mode(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in TINY_CORPUS))
    seen = {}
    original = Word2Vec.build_vocab

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Word2Vec, "build_vocab", spy)
    enc = forge.create("cbow", **FAST).fit(forge.corpora.TextCorpus(path, tokenizer="whitespace"))
    assert seen.get("corpus_file") == str(path)
    assert "king" in enc and enc.words_per_second_ > 0


def test_regex_tokenised_file_goes_through_a_temporary_corpus_file(tmp_path):
    path = tmp_path / "c.txt.gz"
    import gzip

    with gzip.open(path, "wt") as f:
        f.write("The King SAW the Queen.\n" * 30)
    enc = forge.create("cbow", **FAST).fit(forge.corpora.TextCorpus(path))
    assert set(enc.vocabulary) == {"the", "king", "saw", "queen"}


def test_word2vec_formats_round_trip(tmp_path):
    enc = forge.create("skipgram", **FAST).fit(TINY_CORPUS)
    for binary in (False, True):
        path = tmp_path / f"v{int(binary)}.w2v"
        enc.save_word2vec_format(path, binary=binary)
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
        np.testing.assert_allclose(kv["queen"], enc.vector("queen"), rtol=1e-5)
        back = Word2VecEncoder.load_word2vec_format(path, binary=binary)
        assert back.similarity("king", "queen") == pytest.approx(enc.similarity("king", "queen"), abs=1e-5)
    with pytest.raises(BadInputError, match="binary=True"):
        Word2VecEncoder.load_word2vec_format(tmp_path / "v1.w2v", binary=False)


def test_from_keyed_vectors_wraps_pretrained_vectors():
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    enc = Word2VecEncoder.from_keyed_vectors(kv)
    assert enc.dim == 3 and enc.similarity("a", "b") == 0.0


def test_unk_policy_gives_the_mean_vector():
    enc = forge.create("skipgram", **FAST, oov="unk").fit(TINY_CORPUS)
    np.testing.assert_allclose(enc.vector("zzz"), enc.keyed_vectors.vectors.mean(axis=0), rtol=1e-6)


def test_bad_parameters_and_rare_only_corpus():
    with pytest.raises(BadInputError, match="vector_size"):
        forge.create("skipgram", vector_size=0).fit(TINY_CORPUS)
    with pytest.raises(BadInputError, match="min_count"):
        forge.create("skipgram", min_count=1000).fit(TINY_CORPUS)


def test_a_one_line_text8_style_file_is_trained_on_every_word(tmp_path):
    words = [f"w{i % 50}" for i in range(30000)] + ["rare"] * 5  # "rare" sits past gensim's 10000-word cut
    path = tmp_path / "text8"
    path.write_text(" ".join(words))
    enc = forge.create("cbow", **{**FAST, "min_count": 5}).fit(forge.corpora.TextCorpus(path, tokenizer="whitespace"))
    assert "rare" in enc and enc.model_.corpus_total_words == 30005
