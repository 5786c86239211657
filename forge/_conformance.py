"""The fixtures of :mod:`forge.testing` and its checks of the contract issue 18 added (re-exported there).

``TINY_CORPUS`` and :func:`fitted` (an encoder fitted once per factory, then
copied) serve every check; :func:`check_keyed_surface`,
:func:`check_invalid_params_refused` and :func:`check_flat_token_list_refused`
check the gensim surface, the one parameter validation and the one sentence
check. Import them from :mod:`forge.testing`.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import forge
from forge._persist import _params_digest
from forge.corpora import ListCorpus
from forge.errors import BadInputError, ForgeError
from forge.errors import BadInputError as _Bad

__all__ = [
    "ODD_UNICODE",
    "TINY_CORPUS",
    "UNSEEN",
    "check_flat_token_list_refused",
    "check_invalid_params_refused",
    "check_keyed_surface",
    "fitted",
]

Factory = Callable[[], Any]


def _tiny_sentences() -> list[list[str]]:
    """~300 short sentences from a small grammar with a fixed seed (word order matters in it)."""
    rng = np.random.default_rng(0)
    agents = ["the king", "the queen", "a man", "a woman", "the child", "my friend"]
    verbs = ["saw", "helped", "called", "visited", "followed", "met"]
    objects = ["the dog", "an apple", "the city", "a river", "the castle", "a letter"]
    places = ["in paris", "at home", "near the river", "in the castle", "today", "yesterday"]
    out = []
    for _ in range(300):
        words = f"{rng.choice(agents)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(places)}".split()
        out.append(words)
    return out


TINY_CORPUS = ListCorpus(_tiny_sentences())
ODD_UNICODE = [["naïve", "café", "日本語", "苹果", "🙂", "e\u0301", "שלום", "zero\u200bwidth", "ǅ"]] * 12
UNSEEN = "qwzxv-never-seen"

_FITTED: dict[int, tuple[Factory, Any]] = {}


def fitted(factory: Factory) -> Any:
    """A copy of the encoder fitted on TINY_CORPUS (fitted once per factory, then copied)."""
    key = id(factory)
    if key not in _FITTED:
        _FITTED[key] = (factory, factory().fit(TINY_CORPUS))
    return copy.deepcopy(_FITTED[key][1])


def _dense(x: Any) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x)


def _words(enc: Any, n: int = 5) -> list[str]:
    return [w for w in list(enc.vocabulary)[:50] if not w.startswith("<")][:n]


# ---------------------------------------------------------------------- checks
def check_keyed_surface(factory: Factory) -> None:
    """gensim's ``KeyedVectors`` calls, with gensim's arguments and shapes (the contract of :mod:`forge._keyed`)."""

    enc = fitted(factory)
    a, b, c, d = _words(enc, 4)
    vocab = list(enc.vocabulary)
    width = enc.static_dim

    def neighbours(result: Any, topn: int, inputs: list[str], call: str) -> list[str]:
        assert isinstance(result, list) and len(result) <= topn, f"{call} must return at most {topn} pairs"
        assert all(isinstance(w, str) and isinstance(s, float) for w, s in result), f"{call}: (word, float) pairs"
        names = [w for w, _ in result]
        assert not set(names) & set(inputs), f"{call} must leave out the input words, got {names}"
        assert all(w in vocab for w in names), f"{call} returned words outside the vocabulary: {names}"
        scores = [s for _, s in result]
        assert scores == sorted(scores, reverse=True), f"{call} must sort by decreasing score"
        return names

    full = enc.most_similar(positive=[a, b], negative=[c], topn=3)
    neighbours(full, 3, [a, b, c], "most_similar(positive=[a, b], negative=[c], topn=3)")
    assert full, "most_similar(positive=..., negative=...) must return neighbours"
    assert enc.most_similar(a, topn=2) == enc.most_similar(positive=[a], topn=2), (
        "most_similar(word, topn) is the one-word form of most_similar(positive=[word], topn=topn)"
    )
    first = neighbours(enc.most_similar(positive=[a], topn=50, restrict_vocab=6), 50, [a], "restrict_vocab")
    assert all(vocab.index(w) < 6 for w in first), f"restrict_vocab=6 must consider the first 6 rows only: {first}"
    scores = enc.most_similar(positive=[a], topn=None)
    assert np.shape(scores) == (len(vocab),), f"topn=None returns one cosine per vocabulary row, got {np.shape(scores)}"
    query = _dense(enc.vector(a)).ravel()
    best = enc.most_similar(positive=[query], topn=1)
    assert best and abs(best[0][1] - 1.0) < 1e-4, f"a word's own vector is its nearest neighbour at cosine 1: {best}"
    assert enc.most_similar(positive=[a], negative=[b], topn=0) == [], "topn=0 returns no neighbours"
    cosmul = enc.most_similar_cosmul(positive=[a, b], negative=[c], topn=3)
    neighbours(cosmul, 3, [a, b, c], "most_similar_cosmul(positive=[a, b], negative=[c], topn=3)")
    assert len(enc.most_similar_cosmul(positive=[a], topn=2, restrict_vocab=6)) <= 2
    assert enc.doesnt_match([a, b, c]) in (a, b, c), "doesnt_match returns one of the given words"
    assert abs(enc.n_similarity([a, b], [b, a]) - 1.0) < 1e-4, "n_similarity of a set with itself is 1"
    assert abs(enc.n_similarity([a], [d]) - enc.similarity(a, d)) < 1e-4, "n_similarity of single words is similarity"
    nearest = enc.most_similar(a, topn=1)[0][0]
    assert enc.rank(a, nearest) == 1, f"rank(a, its nearest neighbour {nearest!r}) must be 1"
    assert 1 <= enc.rank(a, b) <= len(vocab) - 1, "rank is between 1 and len(vocabulary) - 1"
    rows = enc[[a, b]]
    assert rows.shape == (2, width), f"enc[[a, b]] has shape (2, static_dim) = (2, {width}), got {rows.shape}"
    np.testing.assert_allclose(_dense(rows[0]).ravel(), _dense(enc.vector(a)).ravel(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_dense(enc[a]).ravel(), _dense(enc.vector(a)).ravel(), rtol=1e-6, atol=1e-6)
    try:
        enc.most_similar(positive=[], negative=[])
    except _Bad:
        pass
    else:
        raise AssertionError("most_similar with no word must raise BadInputError")


def _bad_param(enc: Any) -> tuple[str, Any] | None:
    """A parameter and a value its declared constraints refuse (``oov="bogus"`` where there is ``oov``)."""
    params = enc.get_params()
    constraints = enc.declared_constraints() if hasattr(enc, "declared_constraints") else {}
    for name in ["oov", *params]:
        allowed = constraints.get(name, ())
        if name in params and allowed and not any(c.accepts("bogus") for c in allowed):
            return name, "bogus"
    return None


def check_invalid_params_refused(factory: Factory) -> None:
    """One validation for ``fit``, ``set_params`` and ``forge.load`` (an edited config.json, digest recomputed)."""

    enc = factory()
    bad = _bad_param(enc)
    assert bad is not None, "every encoder declares param_constraints (at least oov's)"
    name, value = bad
    try:
        factory().set_params(**{name: value})
    except BadInputError as exc:
        assert name in str(exc) and repr(value) in str(exc), f"the error must name {name}={value!r}: {exc}"
    else:
        raise AssertionError(f"set_params({name}={value!r}) must raise BadInputError")
    broken = factory()
    broken.__dict__[name] = value  # as a constructor argument would be: stored unchecked
    try:
        broken.fit(TINY_CORPUS)
    except BadInputError as exc:
        assert name in str(exc), f"the error must name {name}: {exc}"
    else:
        raise AssertionError(f"fit must refuse {name}={value!r}")
    with tempfile.TemporaryDirectory() as tmp:
        path = fitted(factory).save(Path(tmp) / "model")
        cfg_file = Path(path) / "config.json"
        config = json.loads(cfg_file.read_text(encoding="utf-8"))
        config["params"][name] = value
        config["params_sha256"] = _params_digest(config)
        cfg_file.write_text(json.dumps(config), encoding="utf-8")
        try:
            forge.load(path)
        except ForgeError as exc:
            assert name in str(exc) and "config.json" in str(exc), f"the error must name {name} and the file: {exc}"
        else:
            raise AssertionError(f"forge.load must refuse a config.json edited to {name}={value!r}")


def check_flat_token_list_refused(factory: Factory) -> None:
    """``fit(["the", "king", ...])`` is refused with the fix (``[["the", "king", ...]]``), not read as one-word
    sentences (gensim warns there)."""
    flat = [w for sent in TINY_CORPUS.sentences[:20] for w in sent]
    try:
        factory().fit(flat)
    except BadInputError as exc:
        assert "[[" in str(exc), f"the error must show the fix, [['the', 'king', ...]]: {exc}"
    else:
        raise AssertionError("fit(a flat list of tokens) must raise BadInputError naming the fix")
