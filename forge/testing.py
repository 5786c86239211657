"""The conformance suite every encoder must pass, built-ins and plugins alike.

Plain ``check_*`` functions, each taking a *factory*: a zero-argument
callable that returns a fresh, unfitted encoder with small, fast settings
(an encoder's ``test_params``). :func:`all_checks` selects the checks that
apply from the encoder's tags. Every promise the README makes for all
encoders is a check here: the shapes, the OOV policy, save and load, the
gensim ``KeyedVectors`` surface (:func:`check_keyed_surface`), parameters
refused alike by ``fit``, ``set_params`` and ``forge.load``
(:func:`check_invalid_params_refused`) and a flat token list refused as a
corpus (:func:`check_flat_token_list_refused`).

Use it in a plugin's tests::

    from forge.testing import parametrize_with_checks

    @parametrize_with_checks({"ppmi": lambda: PPMIEncoder(**PPMIEncoder.test_params)})
    def test_conformance(check):
        check()

Examples
--------
>>> import forge
>>> from forge.testing import check_encoder
>>> check_encoder(lambda: forge.create("onehot"))
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import forge
from forge._conformance import (
    ODD_UNICODE,
    TINY_CORPUS,
    UNSEEN,
    Factory,
    _dense,
    _words,
    check_flat_token_list_refused,
    check_invalid_params_refused,
    check_keyed_surface,
    fitted,
)
from forge._protocol import Encoder, protocol_members
from forge._registry import registered_name
from forge.corpora import ListCorpus
from forge.errors import BadInputError, ForgeError, NotFittedError, OutOfVocabularyError

__all__ = [
    "TINY_CORPUS",
    "all_checks",
    "check_encoder",
    "check_flat_token_list_refused",
    "check_invalid_params_refused",
    "check_keyed_surface",
    "check_save_writes_only_its_folder",
    "deadline",
    "fitted",
    "parametrize_with_checks",
    "tree_snapshot",
]


# ---------------------------------------------------------------------- checks
def check_tags(factory: Factory) -> None:
    tags = factory().tags
    for key, kind in (
        ("contextual", bool),
        ("order_sensitive", bool),
        ("sparse", bool),
        ("requires_fit", bool),
        ("device", str),
    ):
        assert isinstance(tags.get(key), kind), f"tag {key!r} must be a {kind.__name__}, got {tags.get(key)!r}"
    if tags["sparse"]:
        assert not tags["contextual"], "sparse (one-hot style) encoders are static"


def check_fit_returns_self(factory: Factory) -> None:
    enc = factory()
    assert enc.fit(TINY_CORPUS) is enc, "fit() must return self"
    assert len(enc.vocabulary) > 0 and enc.dim > 0


def check_unfitted_raises(factory: Factory) -> None:
    enc = factory()
    for call in (
        lambda: enc.vector("king"),
        lambda: enc.embed([["king"]]),
        lambda: enc.similarity("a", "b"),
        lambda: enc.most_similar("king"),
        lambda: enc.save(tempfile.mkdtemp()),
    ):
        try:
            call()
        except NotFittedError as exc:
            assert "fit" in str(exc), f"NotFittedError should say how to fix it: {exc}"
        else:
            raise AssertionError("an unfitted encoder must raise NotFittedError")


def check_shapes_and_dtypes(factory: Factory) -> None:
    """The shape rule of :mod:`forge._protocol`: ``embed`` rows are ``dim`` wide, ``vector(word)`` is one
    ``static_dim``-wide row of ``static_matrix()`` (1-D when dense, ``(1, static_dim)`` when sparse)."""
    enc = fitted(factory)
    word = _words(enc, 1)[0]
    vec = enc.vector(word)
    sparse = enc.tags["sparse"]
    assert isinstance(enc.static_dim, int) and enc.static_dim > 0, "static_dim must be a positive int"
    if not enc.tags["contextual"]:
        assert enc.static_dim == enc.dim, f"a static encoder has static_dim == dim, got {enc.static_dim} != {enc.dim}"
    if sparse:
        assert hasattr(vec, "tocsr") and vec.shape == (1, enc.static_dim), (
            f"a sparse encoder's vector() is a (1, static_dim) sparse row, got {type(vec).__name__} {vec.shape}"
        )
    else:
        assert isinstance(vec, np.ndarray) and vec.shape == (enc.static_dim,), (
            f"a dense encoder's vector() is a 1-D (static_dim,) = ({enc.static_dim},) ndarray, got {vec.shape}"
        )
    assert np.issubdtype(vec.dtype, np.floating), f"vector dtype {vec.dtype} is not floating"
    matrix = enc.static_matrix()
    assert matrix.shape == (len(enc.vocabulary), enc.static_dim), (
        f"static_matrix() shape {matrix.shape}, expected (len(vocabulary), static_dim) = "
        f"({len(enc.vocabulary)}, {enc.static_dim})"
    )
    assert bool(hasattr(matrix, "tocsr")) == bool(sparse), "static_matrix() is sparse exactly for sparse encoders"
    index = list(enc.vocabulary).index(word)
    np.testing.assert_allclose(
        _dense(vec).ravel(),
        _dense(matrix[index]).ravel(),
        rtol=1e-6,
        atol=1e-6,
        err_msg="vector(word) must be the word's row of static_matrix()",
    )
    sents = [_words(enc, 3), _words(enc, 1), []]
    out = enc.embed(sents)
    assert isinstance(out, list) and len(out) == 3, "embed returns one array per sentence"
    for sent, arr in zip(sents, out):
        assert arr.shape == (len(sent), enc.dim), f"embed shape {arr.shape}, expected ({len(sent)}, {enc.dim})"
        assert np.issubdtype(arr.dtype, np.floating)
    if sparse:
        assert all(hasattr(a, "tocsr") for a in out), "a sparse encoder's embed returns scipy.sparse matrices"
    else:
        assert all(isinstance(a, np.ndarray) for a in out), "a dense encoder's embed returns ndarrays"
        assert np.all(np.isfinite(out[0])), "embed returned non-finite values"


def check_protocol(factory: Factory) -> None:
    """Every member of :class:`forge.Encoder` is there; ``is_fitted`` and ``set_params`` behave."""
    enc = factory()
    missing = [m for m in protocol_members() if not hasattr(type(enc), m)]
    assert not missing, f"missing members of forge.Encoder: {', '.join(missing)}"
    if enc.tags["requires_fit"]:
        assert enc.is_fitted is False, "is_fitted must be False before fit"
    params = enc.get_params()
    assert enc.set_params(**params) is enc, "set_params must return self"
    assert enc.get_params().keys() == params.keys()
    done = fitted(factory)
    assert done.is_fitted is True, "is_fitted must be True after fit"
    assert isinstance(done, Encoder), "a fitted encoder is an instance of the runtime-checkable forge.Encoder"


def check_vocabulary_membership(factory: Factory) -> None:
    enc = fitted(factory)
    for w in _words(enc):
        assert w in enc, f"vocabulary word {w!r} must be `in` the encoder"
    if not enc.tags.get("open_vocabulary", False):
        assert UNSEEN not in enc


def check_oov_policy(factory: Factory) -> None:
    enc = fitted(factory)
    if enc.tags.get("open_vocabulary", False) or "oov" not in enc.get_params():
        return
    policy = enc.get_params()["oov"]
    if policy == "error":
        try:
            enc.vector(UNSEEN)
        except OutOfVocabularyError as exc:
            assert UNSEEN in str(exc), "the OOV error must name the word"
        else:
            raise AssertionError("oov='error' must raise OutOfVocabularyError")
    zero = factory().set_params(oov="zero").fit(TINY_CORPUS)
    assert not _dense(zero.vector(UNSEEN)).any(), "oov='zero' must give a zero vector"
    try:
        factory().set_params(oov="nonsense").fit(TINY_CORPUS)
    except BadInputError as exc:
        assert "nonsense" in str(exc)
    else:
        raise AssertionError("an invalid oov policy must be rejected by fit")


def check_similarity(factory: Factory) -> None:
    enc = fitted(factory)
    a, b = _words(enc, 2)
    assert abs(enc.similarity(a, a) - 1.0) < 1e-4, "a word is at cosine 1 from itself"
    s_ab, s_ba = enc.similarity(a, b), enc.similarity(b, a)
    assert abs(s_ab - s_ba) < 1e-5 and -1.0 - 1e-5 <= s_ab <= 1.0 + 1e-5
    near = enc.most_similar(a, topn=3)
    assert len(near) == min(3, len(enc.vocabulary) - 1)
    assert all(isinstance(w, str) and isinstance(s, float) for w, s in near)
    assert a not in [w for w, _ in near], "most_similar must exclude the query word"
    scores = [s for _, s in near]
    assert scores == sorted(scores, reverse=True), "most_similar must be sorted by decreasing score"


def check_save_load_roundtrip(factory: Factory) -> None:
    enc = fitted(factory)
    with tempfile.TemporaryDirectory() as tmp:
        enc.save(Path(tmp) / "model")
        back = forge.load(Path(tmp) / "model")
    assert type(back) is type(enc) and back.get_params().keys() == enc.get_params().keys()
    assert list(back.vocabulary) == list(enc.vocabulary)
    words = _words(enc)
    for w in words:
        np.testing.assert_array_equal(_dense(back.vector(w)), _dense(enc.vector(w)))
    for x, y in zip(back.embed([words]), enc.embed([words])):
        np.testing.assert_allclose(_dense(x), _dense(y), rtol=1e-6, atol=1e-6)


def tree_snapshot(root: str | os.PathLike[str], skip: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """``{relative path: what it is}`` of everything under ``root``, links not followed, ``skip`` left out.

    A file is its sha256, a folder ``"dir"``, a link ``"link:<target>"``, anything else ``"special"``:
    two snapshots differ exactly where something was created, removed, rewritten or replaced.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.txt").write_text("x")
    ...     tree_snapshot(tmp)["a.txt"][:12]
    '2d711642b726'
    """
    root, skipped = Path(root), Path(skip) if skip is not None else None
    out = {}
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            p = Path(dirpath) / name
            if skipped is not None and (p == skipped or skipped in p.parents):
                continue
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "special"
    return out


@contextlib.contextmanager
def deadline(seconds: int = 20, error: type[BaseException] = TimeoutError) -> Iterator[None]:
    """Raise ``error`` if the block runs longer than ``seconds`` (SIGALRM; main thread, POSIX).

    For tests that must fail, not hang, when a reader blocks on a FIFO or reads ``/dev/zero`` forever.
    """

    def boom(*_: object) -> None:
        raise error(f"still running after {seconds} s: a read or save blocked")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_save_writes_only_its_folder(factory: Factory) -> None:
    """``save`` creates its folder and writes nothing beside it; saving again over it keeps the neighbours."""
    enc = fitted(factory)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "notes.txt").write_text("a user's file\n", encoding="utf-8")
        (root / "data").mkdir()
        (root / "data" / "corpus.txt").write_text("the cat sat\n", encoding="utf-8")
        before = tree_snapshot(root)
        enc.save(root / "model")
        assert tree_snapshot(root, skip=root / "model") == before, "save wrote or changed files outside its folder"
        assert tree_snapshot(root / "model"), "save wrote nothing into its folder"
        enc.save(root / "model")  # again, over its own model
        assert tree_snapshot(root, skip=root / "model") == before, "saving again changed files outside its folder"
        forge.load(root / "model")


def check_truncated_model_raises(factory: Factory) -> None:
    enc = fitted(factory)
    with tempfile.TemporaryDirectory() as tmp:
        path = enc.save(Path(tmp) / "model")
        # the state files (not config.json, not the ownership marker .forge-model, which load never reads)
        files = sorted(
            p
            for p in Path(path).iterdir()
            if p.is_file() and p.name != "config.json" and not p.name.startswith(".forge-")
        )
        assert files, "save() must write the learned state next to config.json"
        biggest = max(files, key=lambda p: p.stat().st_size)
        data = biggest.read_bytes()
        biggest.write_bytes(data[: len(data) // 2])
        try:
            forge.load(path)
        except ForgeError:
            pass
        else:
            raise AssertionError(f"loading a model whose {biggest.name} is truncated must raise a ForgeError")
        (Path(path) / "config.json").write_text("{not json")
        try:
            forge.load(path)
        except ForgeError as exc:
            assert "config.json" in str(exc)
        else:
            raise AssertionError("a corrupt config.json must raise a ForgeError")


def check_clone_and_params(factory: Factory) -> None:
    enc = factory()
    params = enc.get_params()
    twin = enc.clone()
    assert twin is not enc and not twin.is_fitted and twin.get_params().keys() == params.keys()

    name = registered_name(enc)
    assert name, (
        f"{type(enc).__qualname__} is not registered under any encoder name: declare its "
        f"forge.encoders entry point (and install the package) or call forge.register_encoder"
    )
    again = forge.create(name, **params)
    assert type(again) is type(enc)
    fitted_twin = fitted(factory).clone()
    assert not fitted_twin.is_fitted, "clone() must return an unfitted encoder"
    assert repr(enc).startswith(type(enc).__name__)


def check_empty_corpus_raises(factory: Factory) -> None:
    empty: tuple[list[list[str]], ...] = ([], [[], []])
    for corpus in empty:
        try:
            factory().fit(corpus)
        except BadInputError as exc:
            assert str(exc), "the error must say what is wrong"
        else:
            raise AssertionError(f"fit({corpus!r}) must raise BadInputError")


def check_bad_embed_input(factory: Factory) -> None:
    enc = fitted(factory)
    for bad in ("a plain string", ["a plain string"]):
        try:
            enc.embed(bad)
        except BadInputError:
            pass
        else:
            raise AssertionError(f"embed({bad!r}) must raise BadInputError (it expects token lists)")


def check_odd_unicode(factory: Factory) -> None:
    enc = factory().fit(ListCorpus([*TINY_CORPUS.sentences, *ODD_UNICODE]))
    odd = [w for w in ODD_UNICODE[0] if w in enc]
    assert odd, "words in unusual scripts must survive fit"
    out = enc.embed([odd])[0]
    assert out.shape == (len(odd), enc.dim)


def check_deterministic(factory: Factory) -> None:
    a, b = factory().fit(TINY_CORPUS), factory().fit(TINY_CORPUS)
    words = _words(a)
    np.testing.assert_array_equal(
        _dense(a.embed([words])[0]),
        _dense(b.embed([words])[0]),
        err_msg="two fits with the same seed must give identical vectors",
    )


def check_batch_order_independence(factory: Factory) -> None:
    enc = fitted(factory)
    w = _words(enc, 5)
    s1, s2, s3 = w[:4], w[1:3], w[::-1]
    together = enc.embed([s1, s2, s3])
    reverse = enc.embed([s3, s2, s1])
    alone = [enc.embed([s])[0] for s in (s1, s2, s3)]
    for x, y, z in zip(together, reverse[::-1], alone):
        np.testing.assert_allclose(
            _dense(x),
            _dense(y),
            rtol=1e-5,
            atol=1e-5,
            err_msg="a sentence's vectors must not depend on the batch order",
        )
        np.testing.assert_allclose(
            _dense(x),
            _dense(z),
            rtol=1e-5,
            atol=1e-5,
            err_msg="a sentence's vectors must not depend on the other sentences",
        )


def check_static_is_context_free(factory: Factory) -> None:
    enc = fitted(factory)
    a, b, c = _words(enc, 3)
    x = _dense(enc.embed([[a, b]])[0])[0]
    y = _dense(enc.embed([[a, c, b]])[0])[0]
    np.testing.assert_array_equal(x, y, err_msg="a static encoder gives a word the same vector in every context")
    np.testing.assert_array_equal(x.ravel(), _dense(enc.vector(a)).ravel())


def check_contextual_depends_on_context(factory: Factory) -> None:
    enc = fitted(factory)
    a, b, c = _words(enc, 3)
    # the last word, after different left contexts
    x = _dense(enc.embed([[b, a]])[0])[-1]
    y = _dense(enc.embed([[c, a]])[0])[-1]
    assert not np.allclose(x, y), "a contextual encoder must give a word different vectors in different contexts"


_ALWAYS = [
    check_tags,
    check_protocol,
    check_fit_returns_self,
    check_shapes_and_dtypes,
    check_vocabulary_membership,
    check_oov_policy,
    check_similarity,
    check_keyed_surface,
    check_invalid_params_refused,
    check_save_load_roundtrip,
    check_save_writes_only_its_folder,
    check_truncated_model_raises,
    check_clone_and_params,
    check_bad_embed_input,
    check_odd_unicode,
    check_batch_order_independence,
]


def all_checks(factory: Factory) -> list[tuple[str, Callable[[], None]]]:
    """``(name, check)`` pairs that apply to the encoder ``factory()`` builds, chosen by its tags."""
    tags = factory().tags
    checks = list(_ALWAYS)
    if tags["requires_fit"]:
        checks += [check_unfitted_raises, check_empty_corpus_raises, check_flat_token_list_refused]
    if tags.get("deterministic", True):
        checks.append(check_deterministic)
    checks.append(check_contextual_depends_on_context if tags["contextual"] else check_static_is_context_free)

    def bind(check: Callable[[Factory], None]) -> Callable[[], None]:
        def run() -> None:
            check(factory)

        run.__name__ = check.__name__
        return run

    return [(c.__name__, bind(c)) for c in checks]


def check_encoder(factory: Factory) -> None:
    """Run every applicable check; raises AssertionError naming the first failing one."""
    for name, check in all_checks(factory):
        try:
            check()
        except AssertionError as exc:
            raise AssertionError(f"{name} failed: {exc}") from exc


def parametrize_with_checks(factories: dict[str, Factory]) -> Any:  # a pytest.MarkDecorator
    """A ``pytest.mark.parametrize`` over (encoder, check) pairs; the test receives ``check``."""
    import pytest  # lazy: pytest is not a dependency of forge; only this helper needs it

    params = []
    for label, factory in factories.items():
        for name, check in all_checks(factory):
            params.append(pytest.param(check, id=f"{label}-{name}"))
    return pytest.mark.parametrize("check", params)
