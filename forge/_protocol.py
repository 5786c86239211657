"""The one declaration of what a forge encoder is: the runtime-checkable :class:`Encoder` protocol.

Registration (:func:`forge.register_encoder`, plugin entry points) checks a
class against the members of this protocol (:func:`check_encoder_class`), and
the conformance suite (:mod:`forge.testing`) checks the behaviour documented
here. :class:`forge.BaseEncoder` implements all of it except ``fit``, ``dim``
and the learned state. It lives in its own module (re-exported by
``forge._interface`` and ``forge``) so that the registry can check classes
without importing the base class, which saves through ``forge._persist``,
which loads through the registry.

Shapes and widths (every encoder, dense and sparse alike)
---------------------------------------------------------
* ``dim`` is the width of the vectors ``embed`` returns: each sentence of
  ``n`` tokens gives an ``(n, dim)`` matrix (``numpy.ndarray``, or a
  ``scipy.sparse`` matrix for encoders tagged ``sparse``).
* ``static_dim`` is the width of the context-free vectors: ``vector(word)``
  and the rows of ``static_matrix()``. For every static encoder (tag
  ``contextual`` false) it equals ``dim``; a contextual encoder's
  context-free vector is its input layer, which may be narrower or wider
  than its contextual output (the recurrent encoders: the input embedding).
* ``static_matrix()`` is the ``(len(vocabulary), static_dim)`` matrix of
  context-free vectors, row ``i`` for vocabulary word ``i``.
* ``vector(word)`` is one row of that matrix, as the matrix type indexes it:
  a 1-D ``(static_dim,)`` ndarray for dense encoders, a ``(1, static_dim)``
  ``scipy.sparse`` row for sparse encoders (scipy's sparse matrices are
  always 2-D); ``numpy.ravel`` of its dense form always has ``static_dim``
  values. Unknown words follow the encoder's ``oov`` policy.

The gensim ``KeyedVectors`` surface (every encoder, static and contextual)
--------------------------------------------------------------------------
``enc[word]``, ``enc[[w1, w2]]``, ``most_similar(positive=, negative=, topn=,
restrict_vocab=)``, ``most_similar_cosmul``, ``doesnt_match``, ``n_similarity``
and ``rank`` take gensim's arguments and return gensim's shapes, computed on
``static_matrix()`` (:class:`forge._keyed.KeyedMixin` supplies them).

The hooks ``save``, ``forge.load`` and ``forge.create`` call
-------------------------------------------------------------
``param_names()`` (what ``create`` accepts), ``validate_params()`` (by
``fit``, ``set_params`` and ``forge.load``, from the declared
``param_constraints``), ``config_params()`` (what ``config.json`` stores),
``save_state(directory)`` and ``load_state(directory, mmap=False)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from forge.errors import PluginError

__all__ = ["Encoder", "check_encoder_class", "protocol_members"]


@runtime_checkable
class Encoder(Protocol):
    """What every forge encoder answers (built-ins and plugins alike); shapes in the module docstring."""

    name: ClassVar[str]

    def fit(self, corpus: Iterable[list[str]]) -> Encoder:
        """Learn from a corpus of token lists; validates the parameters; returns ``self``."""

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` (or ``forge.load``) has given the encoder its learned state."""

    @property
    def vocabulary(self) -> Sequence[str]:
        """The fitted vocabulary, words in row order."""

    @property
    def dim(self) -> int:
        """Width of the ``embed`` vectors."""

    @property
    def static_dim(self) -> int:
        """Width of ``vector(word)`` and of ``static_matrix()`` rows (``dim`` for static encoders)."""

    @property
    def tags(self) -> dict[str, Any]:
        """Capabilities: ``contextual``, ``order_sensitive``, ``sparse``, ``requires_fit``, ``device``..."""

    def __contains__(self, word: object) -> bool:
        """Whether ``word`` has a vector (its own, not the OOV fallback)."""

    def vector(self, word: str) -> Any:
        """The context-free vector of ``word``: one row of ``static_matrix()``."""

    def static_matrix(self) -> Any:
        """``(len(vocabulary), static_dim)`` context-free vectors, row ``i`` = vocabulary word ``i``."""

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[Any]:
        """One ``(len(sentence), dim)`` matrix per tokenised sentence."""

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of the two context-free vectors."""

    def __getitem__(self, key_or_keys: Any) -> Any:
        """``enc[word]`` is ``vector(word)``; ``enc[[w1, w2]]`` stacks the rows, ``(n, static_dim)``."""

    def most_similar(
        self,
        positive: Any = None,
        negative: Any = None,
        topn: int | None = 10,
        clip_start: int = 0,
        clip_end: int | None = None,
        restrict_vocab: int | None = None,
        indexer: Any = None,
    ) -> Any:
        """gensim's call: the ``topn`` words nearest to the mean of ``positive`` minus ``negative``, by cosine,
        without the input words; ``most_similar(word, topn)`` is the one-word form."""

    def most_similar_cosmul(
        self, positive: Any = None, negative: Any = None, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> Any:
        """3CosMul neighbours (gensim's call)."""

    def doesnt_match(self, words: list[str]) -> str:
        """The word furthest from the mean of the others."""

    def n_similarity(self, ws1: list[str], ws2: list[str]) -> float:
        """Cosine between the means of two word sets."""

    def rank(self, key1: str, key2: str) -> int:
        """Rank of ``key2`` among the neighbours of ``key1`` (1 = nearest)."""

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Constructor arguments, as given."""

    def set_params(self, **params: Any) -> Encoder:
        """Change constructor arguments (each checked against its declared constraints); returns ``self``."""

    @classmethod
    def param_names(cls) -> list[str]:
        """The constructor parameters."""

    def validate_params(self) -> object:
        """Check every parameter; raise ``forge.errors.BadInputError`` naming the bad one."""

    def config_params(self) -> dict[str, Any]:
        """The parameters ``save`` writes to ``config.json`` (JSON values)."""

    def save_state(self, directory: Path) -> None:
        """Write the learned state into ``directory``."""

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        """Read the learned state ``save_state`` wrote (``mmap``: map arrays read-only where supported)."""

    def clone(self) -> Encoder:
        """A new, unfitted encoder with the same parameters."""

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the encoder to directory ``path`` (``forge.load`` reads it back); ``overwrite=True``
        replaces a saved model of another encoder there."""


# members a registered class must have; ``name`` is set by the registry itself
_SUPPLIED_BY_REGISTRY = {"name"}


def protocol_members() -> dict[str, str]:
    """``{member: "method" | "property" | "attribute"}`` of :class:`Encoder`, read from the protocol itself.

    Examples
    --------
    >>> members = protocol_members()
    >>> members["embed"], members["dim"], "name" in members
    ('method', 'property', False)
    """
    out: dict[str, str] = {}
    for klass in Encoder.__mro__:
        if klass is object or klass.__name__ in ("Protocol", "Generic"):
            continue
        for key, value in vars(klass).items():
            if (key.startswith("_") and key not in ("__contains__", "__getitem__")) or key in _SUPPLIED_BY_REGISTRY:
                continue
            out.setdefault(
                key,
                "property"
                if isinstance(value, property)
                else "method"
                if callable(value) or isinstance(value, (classmethod, staticmethod))
                else "attribute",
            )
        for key in getattr(klass, "__annotations__", {}):
            if not key.startswith("_") and key not in _SUPPLIED_BY_REGISTRY:
                out.setdefault(key, "attribute")
    return out


def check_encoder_class(cls: Any, where: str) -> None:
    """Raise :class:`PluginError` unless ``cls`` is a class with every member of :class:`Encoder`.

    ``where`` names the registration in the message (name and who registered it).
    """
    if not isinstance(cls, type):
        raise PluginError(f"{where} must register a class, got {cls!r}.")
    missing = []
    for member, kind in protocol_members().items():
        value = getattr(cls, member, None)
        if value is None or (kind == "method" and not callable(value)):
            missing.append(member)
    if missing:
        raise PluginError(
            f"{where}: class {cls.__module__}.{cls.__qualname__} does not satisfy the forge Encoder "
            f"interface; missing: {', '.join(missing)}. Subclass forge.BaseEncoder and implement "
            f"them (see forge.Encoder)."
        )
