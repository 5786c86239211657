"""forge-fasttext: the forge conformance suite, plus the open-vocabulary behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import forge
import numpy as np
import pytest
from forge.errors import BadInputError, CorruptModelError, OutOfVocabularyError
from forge.testing import TINY_CORPUS, UNSEEN, fitted, parametrize_with_checks

from forge_fasttext import FastTextEncoder


def small(**extra):
    return FastTextEncoder(**{**FastTextEncoder.test_params, **extra})


FACTORY = small


@parametrize_with_checks({"fasttext": FACTORY, "fasttext-skipgram-no-ngrams": lambda: small(sg=1, bucket=0)})
def test_conformance(check):
    check()


def test_registered_through_entry_point():
    enc = forge.create("fasttext", vector_size=8)
    assert type(enc) is FastTextEncoder and enc.vector_size == 8
    assert "fasttext" not in forge.broken_plugins()


def test_forge_list_shows_it():
    out = subprocess.run([sys.executable, "-m", "forge", "list"], capture_output=True, text=True, check=True).stdout
    assert any(line.strip().startswith("fasttext ") and "BROKEN" not in line for line in out.splitlines())


# ------------------------------------------------------------ open vocabulary
def test_unseen_words_get_ngram_vectors():
    enc = fitted(FACTORY)
    assert UNSEEN not in enc.vocabulary and UNSEEN in enc
    vec = enc.vector(UNSEEN)
    assert vec.shape == (enc.dim,) and np.abs(vec).sum() > 0
    np.testing.assert_allclose(vec, enc.keyed_vectors.get_vector(UNSEEN), rtol=1e-6)
    # a morphological variant lands nearer its stem than an unrelated word does
    assert enc.similarity("kings", "king") > enc.similarity("kings", "apple")
    assert enc.embed([["kings", "the"]])[0].shape == (2, enc.dim)
    assert enc.most_similar("castles", topn=3)[0][0] in enc.vocabulary


def test_tags():
    assert FACTORY().tags["open_vocabulary"] is True
    assert small(bucket=0).tags["open_vocabulary"] is False
    assert FACTORY().tags["deterministic"] and not small(workers=2).tags["deterministic"]


def test_words_without_ngrams_follow_the_oov_policy():
    # with min_n=5 the padded "<ab>" has no 5-character n-gram
    enc = small(min_n=5, max_n=5).fit(TINY_CORPUS)
    assert "ab" not in enc and "abcdef" in enc
    with pytest.raises(OutOfVocabularyError, match="'ab'"):
        enc.vector("ab")
    zero = small(min_n=5, max_n=5, oov="zero").fit(TINY_CORPUS)
    assert not zero.vector("ab").any()


def test_without_buckets_it_is_a_closed_vocabulary():
    enc = small(bucket=0).fit(TINY_CORPUS)
    assert UNSEEN not in enc and "kings" not in enc
    with pytest.raises(OutOfVocabularyError):
        enc.vector("kings")


def test_coverage_differs_from_word2vec():
    words = ["king", "kings", "queenly", "castles", "rivers", UNSEEN]
    ft = fitted(FACTORY)
    w2v = forge.create("skipgram", vector_size=16, min_count=1, epochs=1, workers=1, progress=False).fit(TINY_CORPUS)
    assert sum(w in ft for w in words) == len(words)
    assert sum(w in w2v for w in words) == 1


# ------------------------------------------------------------- save and load
def test_reload_keeps_ngram_vectors(tmp_path):
    enc = fitted(FACTORY)
    back = forge.load(enc.save(tmp_path / "m"))
    assert sorted(p.name for p in (tmp_path / "m").iterdir() if not p.name.startswith(".forge-")) == [
        "config.json",
        "history.json",
        "vectors_ngrams.npy",
        "vectors_vocab.npy",
        "vocab.json",
    ]
    for word in ("king", "kings", UNSEEN):
        np.testing.assert_allclose(back.vector(word), enc.vector(word), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(back.keyed_vectors.vectors, enc.keyed_vectors.vectors, rtol=1e-6, atol=1e-7)
    assert list(back.vocabulary.counts) == list(enc.vocabulary.counts)


def test_reload_rejects_wrong_bucket_count(tmp_path):
    path = fitted(FACTORY).save(tmp_path / "m")
    np.save(path / "vectors_ngrams.npy", np.zeros((10, 16), dtype=np.float32))
    with pytest.raises(CorruptModelError, match=r"vectors_ngrams.npy (has \d+ bytes|holds .*shape)"):
        forge.load(path)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"max_n": 2}, "max_n=2 is smaller than min_n=3"),
        ({"bucket": -1}, "bucket=-1 is not valid for FastTextEncoder; expected an integer >= 0"),
        ({"corpus_file": "always"}, "corpus_file"),
        ({"oov": "guess"}, "oov='guess'"),
    ],
)
def test_bad_params_rejected_in_fit(bad, match):
    with pytest.raises(BadInputError, match=match):
        small(**bad).fit(TINY_CORPUS)


def test_long_lines_are_recut_before_gensim_reads_them(tmp_path, monkeypatch):
    from gensim.models import FastText

    seen = {}
    original = FastText.build_vocab

    def spy(self, *args, **kwargs):
        path = kwargs.get("corpus_file")
        seen["lines"] = [len(line.split()) for line in Path(path).read_text("utf-8").splitlines()] if path else None
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FastText, "build_vocab", spy)
    long = tmp_path / "long.txt"
    long.write_text("a b c\n" + " ".join(["w"] * 10001) + "\n")
    small(min_count=1).fit(forge.corpora.TextCorpus(long, tokenizer="whitespace"))
    # the same feeding as forge's Word2Vec: every word, in lines of at most 1000 words
    assert sum(seen["lines"]) == 10004 and max(seen["lines"]) == forge.corpora.CORPUS_FILE_MAX_WORDS
    small(min_count=1).fit(TINY_CORPUS)
    assert seen["lines"] is None  # in-memory corpora stream


def test_trains_from_a_text_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in TINY_CORPUS), encoding="utf-8")
    enc = small().fit(forge.corpora.TextCorpus(path, tokenizer="whitespace"))
    assert "king" in enc.vocabulary and enc.train_seconds_ > 0 and enc.words_per_second_ > 0


def test_history_is_kept_like_every_forge_encoder(tmp_path):
    enc = small(epochs=2).fit(TINY_CORPUS)
    assert [h["epoch"] for h in enc.history_] == [1, 2] and all(h["seconds"] >= 0 for h in enc.history_)
    assert forge.load(enc.save(tmp_path / "ft")).history_ == enc.history_


def test_extends_word2vec_instead_of_copying_it():
    """FastText is gensim's Word2Vec subclass; the encoder is forge's Word2VecEncoder subclass, parameters and
    constraints inherited (declared once, in forge), only FastText's own added."""
    from forge.encoders import Word2VecEncoder

    assert issubclass(FastTextEncoder, Word2VecEncoder)
    own = {"min_n", "max_n", "bucket", "word_ngrams"}
    assert set(FastTextEncoder.param_names()) == set(Word2VecEncoder.param_names()) | own
    source = Path(sys.modules[FastTextEncoder.__module__].__file__).read_text("utf-8")
    assert "self.vector_size =" not in source and "def fit(" not in source, "nothing of Word2Vec is copied"
    with pytest.raises(BadInputError, match="window=0 is not valid for FastTextEncoder"):
        small(window=0).fit(TINY_CORPUS)  # Word2Vec's constraint, inherited
    assert small().get_params()["compute_loss"] is False  # gensim's FastText computes no loss
    enc = small(epochs=1).fit(TINY_CORPUS)
    from gensim.models import FastText

    assert isinstance(enc.model_, FastText), "gensim_class names the model fit trains"
    assert [h["epoch"] for h in enc.history_] == [1] and "loss" not in enc.history_[0]


def test_wraps_fasttext_keyed_vectors_and_refuses_plain_ones(tmp_path):
    """Word2VecEncoder's interop, inherited: gensim FastTextKeyedVectors wrap (n-grams kept); plain ones do not."""
    from gensim.models import KeyedVectors

    trained = fitted(FACTORY)
    wrapped = FastTextEncoder.from_keyed_vectors(trained.keyed_vectors, progress=False)
    assert wrapped.bucket == trained.bucket and wrapped.max_n == trained.max_n
    np.testing.assert_allclose(wrapped.vector("kingship"), trained.vector("kingship"), rtol=1e-6)
    np.testing.assert_allclose(forge.load(wrapped.save(tmp_path / "w")).vector("kingship"), trained.vector("kingship"))
    plain = KeyedVectors(4)
    plain.add_vectors(["a", "b"], np.eye(2, 4, dtype=np.float32))
    with pytest.raises(BadInputError, match="FastTextKeyedVectors.*Word2VecEncoder.from_keyed_vectors"):
        FastTextEncoder.from_keyed_vectors(plain)
