"""The one Encoder interface: a runtime-checkable protocol and a base class.

The protocol, :class:`Encoder`, is declared once in :mod:`forge._protocol`
(with the shape rules of ``vector``, ``embed``, ``dim`` and ``static_dim``)
and re-exported here. Static encoders (one-hot, Word2Vec) and contextual
encoders (RNN, LSTM...) answer the same calls. :class:`BaseEncoder` supplies the scikit-learn-style
plumbing (``get_params``, ``clone``, ``__repr__``), cosine similarity, the
gensim-style queries of :class:`forge._keyed.KeyedMixin` (``most_similar``...), the OOV policy, and atomic
``save``. Subclasses implement ``fit`` (setting ``vocab_``), ``_static_matrix``
(or ``vector``), ``embed`` and ``_save_state`` / ``_load_state``, and check
their parameters in ``_validate_params`` (called by ``fit`` and ``forge.load``).
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from forge._keyed import KeyedMixin
from forge._persist import save_encoder
from forge._protocol import Encoder
from forge.errors import BadInputError, NotFittedError, OutOfVocabularyError

__all__ = ["Encoder", "BaseEncoder", "OOV_POLICIES", "DEFAULT_TAGS"]

OOV_POLICIES = ("error", "zero", "unk")
UNK = "<unk>"

DEFAULT_TAGS: dict[str, Any] = {
    "contextual": False,  # embed() depends on the sentence, not only on the word
    "order_sensitive": False,  # permuting a sentence changes its token vectors
    "sparse": False,  # vectors are scipy.sparse matrices
    "requires_fit": True,  # must see a corpus before use
    "device": "cpu",  # where the computation runs
    "deterministic": True,  # fixed seed (and one worker) gives identical vectors
}


class BaseEncoder(KeyedMixin):
    """Base class with the shared plumbing; see the module docstring.

    Constructor = configuration: subclasses take every setting as a keyword
    argument with a default and store it unchanged under the same name.
    Learned state ends in ``_``.

    Examples
    --------
    >>> import forge
    >>> enc = forge.create("onehot").fit([["a", "b"], ["b", "c"]])
    >>> enc.dim, enc.similarity("a", "b")
    (3, 0.0)
    """

    name: ClassVar[str] = ""  # set by the registry
    _tags: ClassVar[dict[str, Any]] = {}

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Constructor arguments, as given (scikit-learn ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> BaseEncoder:
        """Change constructor arguments (scikit-learn ``set_params``); the next ``fit`` validates them."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise BadInputError(
                    f"Invalid parameter {key!r} for {type(self).__name__}; valid parameters: {', '.join(valid)}."
                )
            setattr(self, key, value)
        return self

    def clone(self) -> BaseEncoder:
        """A new, unfitted encoder with the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = [
            f"{k}={v!r}" for k, v in self.get_params().items() if not _same(defaults.get(k, inspect.Parameter.empty), v)
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    # ------------------------------------------------------------------- tags
    @property
    def tags(self) -> dict[str, Any]:
        tags = dict(DEFAULT_TAGS)
        for klass in reversed(type(self).__mro__):
            tags.update(klass.__dict__.get("_tags", {}))
        tags.update(self._more_tags())
        return tags

    def _more_tags(self) -> dict[str, Any]:
        return {}

    # ---------------------------------------------------------------- fitting
    def fit(self, corpus: Iterable[list[str]]) -> BaseEncoder:
        raise NotImplementedError

    def _validate_params(self) -> object:
        """Check the constructor parameters; raise :class:`~forge.errors.BadInputError` naming the bad one.

        ``fit`` calls it before training and :func:`forge.load` before reading a saved state, so a
        damaged or edited ``config.json`` is refused exactly as a bad argument to ``fit`` is. The
        default accepts everything; encoders override it (and may return the validated
        configuration, as the recurrent encoders do).
        """
        return None

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` or ``forge.load`` has set the learned state (``vocab_``)."""
        return getattr(self, "vocab_", None) is not None

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call .fit(corpus) or forge.load(path) before using it."
            )

    # ------------------------------------------------------------- vocabulary
    @property
    def vocabulary(self):
        """The fitted :class:`forge.Vocabulary` (words in index order)."""
        self._check_fitted()
        return self.vocab_

    def __contains__(self, word: object) -> bool:
        return self.is_fitted and word in self.vocab_

    def __len__(self) -> int:
        return len(self.vocabulary)

    @property
    def dim(self) -> int:
        """Width of the ``embed`` vectors."""
        raise NotImplementedError

    @property
    def static_dim(self) -> int:
        """Width of ``vector(word)`` and of ``static_matrix()`` rows; equals ``dim`` for static encoders."""
        return self.dim

    # ---------------------------------------------------------------- vectors
    def _index(self, word: str) -> int | None:
        """Row of ``word`` under the OOV policy; None means "use ``_oov_vector()``"."""
        self._check_fitted()
        idx = self.vocab_.get(word)
        if idx is not None:
            return idx
        policy = getattr(self, "oov", "error")
        if policy == "unk" and UNK in self.vocab_:
            return self.vocab_[UNK]
        if policy in ("zero", "unk"):
            return None  # vector() then gives _oov_vector()
        raise OutOfVocabularyError(
            f"Word {word!r} is not in the vocabulary of this {type(self).__name__} "
            f"({len(self.vocab_)} words) and oov={policy!r}. Check `word in encoder` first, "
            f"or create the encoder with oov='zero' or oov='unk'."
        )

    def static_matrix(self) -> Any:
        """The ``(len(vocabulary), static_dim)`` context-free vectors, row ``i`` = vocabulary word ``i``.

        A dense ndarray, or a ``scipy.sparse`` matrix for sparse encoders; ``vector(word)`` is its row.

        Examples
        --------
        >>> import forge
        >>> forge.create("onehot").fit([["a", "b"]]).static_matrix().shape
        (2, 2)
        """
        self._check_fitted()
        return self._static_matrix()

    def _static_matrix(self) -> Any:
        """The hook subclasses implement for :meth:`static_matrix` (kept under this name for callers)."""
        if type(self).static_matrix is not BaseEncoder.static_matrix:  # the subclass implemented the public one
            return self.static_matrix()
        raise NotImplementedError(f"{type(self).__name__} implements neither _static_matrix() nor vector().")

    def _oov_vector(self) -> np.ndarray:
        """Vector for an unknown word: zeros (``oov="zero"``), or for ``oov="unk"`` without a
        trained ``<unk>`` row, the mean of all vectors (a common stand-in)."""
        if getattr(self, "oov", "error") == "unk":
            return self._cached("unk", lambda: np.asarray(self._static_matrix(), dtype=np.float32).mean(axis=0))
        return np.zeros(self.static_dim, dtype=np.float32)

    def _cached(self, key: str, compute):
        """Memoise derived arrays until the encoder is refitted or reloaded (a new ``vocab_``)."""
        cache = self.__dict__.setdefault("_derived_cache", {})
        stamp = self.vocab_  # held, so identity cannot be reused by a later vocabulary
        if key not in cache or cache[key][0] is not stamp:
            cache[key] = (stamp, compute())
        return cache[key][1]

    def vector(self, word: str) -> np.ndarray:
        """Context-free vector of ``word``: its row of :meth:`static_matrix`, under the OOV policy."""
        idx = self._index(word)
        if idx is None:
            return self._oov_vector()
        return np.asarray(self._static_matrix()[idx])

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[Any]:
        """One ``(len(sentence), dim)`` array per sentence (static: a lookup)."""
        self._check_fitted()
        matrix = self._static_matrix()
        out = []
        for sent in _check_sentences(sentences):
            ids = [self._index(w) for w in sent]
            rows = np.zeros((len(sent), self.dim), dtype=np.float32)
            known = [i for i, idx in enumerate(ids) if idx is not None]
            if known:
                rows[known] = matrix[[ids[i] for i in known]]
            if len(known) < len(ids):
                rows[[i for i, idx in enumerate(ids) if idx is None]] = self._oov_vector()
            out.append(rows)
        return out

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of the context-free vectors (0.0 when one is all zeros)."""
        return _cosine(_dense(self.vector(word1)), _dense(self.vector(word2)))

    def _unit_matrix(self) -> np.ndarray:
        """(vocab, dim) static vectors scaled to unit length (zero rows stay zero)."""

        def compute():
            mat = np.asarray(self._static_matrix(), dtype=np.float32)
            norms = np.linalg.norm(mat, axis=1, keepdims=True)
            return mat / np.where(norms == 0, 1, norms)

        return self._cached("unit", compute)

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``config.json`` and the learned state into directory ``path``, atomically."""
        return save_encoder(self, path)

    def _config_params(self) -> dict[str, Any]:
        """JSON-serialisable parameters to store in ``config.json``."""
        params = {}
        for key, value in self.get_params().items():
            try:
                json.dumps(value)
            except TypeError:
                raise BadInputError(
                    f"Parameter {key}={value!r} of {type(self).__name__} cannot be saved as JSON; "
                    f"override _config_params to store it another way."
                ) from None
            params[key] = value
        return params

    def _save_state(self, directory: Path) -> None:
        raise NotImplementedError

    def _load_state(self, directory: Path) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- helpers
def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a plain ==
        return a is b


def _dense(vec: Any) -> np.ndarray:
    if hasattr(vec, "toarray"):
        return np.asarray(vec.toarray()).ravel()
    return np.asarray(vec, dtype=np.float32).ravel()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _check_sentences(sentences: Iterable[Sequence[str]]) -> list[list[str]]:
    """Validate ``embed`` input: an iterable of token lists (not a bare string)."""
    return list(_iter_checked_sentences(sentences))


def _iter_checked_sentences(sentences: Iterable[Sequence[str]]):
    """:func:`_check_sentences` one sentence at a time (no copy of the whole input held in memory)."""
    if isinstance(sentences, str):
        raise BadInputError(
            f"embed() expects a list of tokenised sentences, e.g. [['the', 'cat']], "
            f"got the string {sentences[:40]!r}; wrap and tokenise it first."
        )
    for i, sent in enumerate(sentences):
        if isinstance(sent, str):
            raise BadInputError(
                f"Sentence {i} is the string {sent[:40]!r}; embed() expects token lists such as {sent.split()[:5]!r}."
            )
        sent = list(sent)
        for tok in sent:
            if not isinstance(tok, str):
                raise BadInputError(f"Sentence {i} contains the non-string token {tok!r}; tokens must be str.")
        yield sent
