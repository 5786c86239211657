"""The one Encoder interface: a runtime-checkable protocol and a base class.

The protocol, :class:`Encoder`, is declared once in :mod:`forge._protocol`
(with the shape rules of ``vector``, ``embed``, ``dim`` and ``static_dim``)
and re-exported here. Static encoders (one-hot, Word2Vec) and contextual
encoders (RNN, LSTM...) answer the same calls. :class:`BaseEncoder` supplies the scikit-learn-style
plumbing (``get_params``, ``set_params``, ``clone``, ``__repr__``), parameter validation from the
constraints each class declares (``param_constraints``, checked by :func:`forge._params.check_params`),
cosine similarity, the gensim-style queries of :class:`forge._keyed.KeyedMixin` (``most_similar``...),
the OOV policy, and atomic ``save``.

What a subclass writes (the plugin guide, ``plugins/README.md``, lists the same):

* ``__init__``: keyword arguments with defaults, stored unchanged under the same names;
* ``param_constraints``: ``{parameter: (constraint, ...)}`` for every parameter (``forge.Options``,
  ``forge.Interval``...); override ``validate_params`` (calling ``super()``) only for rules that tie
  parameters together;
* ``fit(corpus)``: ``self.validate_params()``, ``forge.corpora.as_corpus(corpus)``, learn, set
  ``vocab_`` (a :class:`forge.Vocabulary`) and other state ending in ``_``, return ``self``;
* ``dim`` and ``_static_matrix()`` (row ``i`` = vocabulary word ``i``), or ``vector``/``embed`` for
  encoders whose vectors are computed;
* ``save_state(directory)`` / ``load_state(directory, mmap=False)``: write and read the learned state;
* optionally ``test_params`` (small, fast settings for :mod:`forge.testing`), ``config_params`` (for
  parameters that are not JSON values) and ``_tags``.

Encoders written before these hooks were public may still spell them ``_validate_params``,
``_save_state``, ``_load_state``, ``_config_params`` and ``_test_params``: a subclass that defines
only the old name gets it under the public one (see ``BaseEncoder.__init_subclass__``).
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
from forge._params import OOV_POLICIES, Constraint, check_params
from forge._persist import save_encoder
from forge._protocol import Encoder
from forge._sentences import check_sentences, iter_sentences
from forge.errors import BadInputError, NotFittedError, OutOfVocabularyError

__all__ = ["DEFAULT_TAGS", "OOV_POLICIES", "BaseEncoder", "Encoder", "check_sentences"]

UNK = "<unk>"
# old private spellings of the public hooks, accepted from subclasses (see BaseEncoder.__init_subclass__)
_LEGACY_HOOKS = {
    "_validate_params": "validate_params",
    "_save_state": "save_state",
    "_config_params": "config_params",
    "_test_params": "test_params",
}

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
    #: What each constructor parameter accepts, declared as data: ``{name: (constraint, ...)}``; a value is
    #: valid when one of its constraints accepts it. Merged along the class hierarchy (a subclass adds or
    #: replaces entries), read by :meth:`validate_params` and :meth:`set_params`.
    param_constraints: ClassVar[dict[str, tuple[Constraint, ...]]] = {}
    #: Small, fast constructor arguments for the conformance suite (:mod:`forge.testing`, ``tests/test_common.py``).
    test_params: ClassVar[dict[str, Any]] = {}
    _test_params: ClassVar[dict[str, Any]] = {}  # the old spelling of test_params
    _load_mmap: bool = False  # load_state(mmap=...) as encoders with the old _load_state(directory) read it

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Accept the old private spellings of the public hooks (``_save_state`` for ``save_state``...)."""
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        for old, new in _LEGACY_HOOKS.items():
            if old in own and new not in own:
                setattr(cls, new, own[old])
        if "test_params" in own and "_test_params" not in own:
            cls._test_params = own["test_params"]  # read by older callers under its old name
        if "_load_state" in own and "load_state" not in own:
            legacy = own["_load_state"]

            def load_state(self: BaseEncoder, directory: Path, mmap: bool = False) -> None:
                self._load_mmap = bool(mmap)
                legacy(self, directory)

            cls.load_state = load_state  # type: ignore[method-assign]

    # ------------------------------------------------------------------ params
    @classmethod
    def _signature_params(cls) -> dict[str, inspect.Parameter]:
        """Named ``__init__`` parameters; an ``__init__`` taking ``**params`` adds those of its parent's.

        That is how a subclass extends a parent's parameters without copying them (the fastText plugin
        adds ``min_n``, ``max_n``... to Word2Vec's): ``def __init__(self, min_n=3, ..., **params)`` passing
        ``**params`` to ``super().__init__``.
        """
        out: dict[str, inspect.Parameter] = {}
        for klass in cls.__mro__:
            if "__init__" not in vars(klass) or klass is object:
                continue
            sig = inspect.signature(vars(klass)["__init__"])
            named = {
                p.name: p
                for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            }
            out = {**{k: v for k, v in named.items() if k not in out}, **out}
            if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()) or klass is BaseEncoder:
                break
        return out

    @classmethod
    def param_names(cls) -> list[str]:
        """The constructor parameters (those ``get_params`` returns and ``forge.create`` accepts)."""
        return list(cls._signature_params())

    @classmethod
    def _param_names(cls) -> list[str]:  # the old spelling, kept for callers
        return cls.param_names()

    @classmethod
    def declared_constraints(cls) -> dict[str, tuple[Constraint, ...]]:
        """``param_constraints`` merged along the class hierarchy (a subclass's entries win)."""
        merged: dict[str, tuple[Constraint, ...]] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("param_constraints", {}))
        return merged

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Constructor arguments, as given (scikit-learn ``get_params``)."""
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self, **params: Any) -> BaseEncoder:
        """Change constructor arguments (scikit-learn ``set_params``); returns ``self``.

        Each value is checked against its declared constraints now, by the same check as ``fit`` and
        :func:`forge.load` (rules that tie several parameters together are checked by the next ``fit``).
        """
        valid = self.param_names()
        for key in params:
            if key not in valid:
                raise BadInputError(
                    f"Invalid parameter {key!r} for {type(self).__name__}; valid parameters: {', '.join(valid)}."
                )
        check_params(params, self.declared_constraints(), type(self).__name__)
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def clone(self) -> BaseEncoder:
        """A new, unfitted encoder with the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in self._signature_params().items()}
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

    def validate_params(self) -> object:
        """Check every parameter against ``param_constraints``; raise :class:`~forge.errors.BadInputError`.

        ``fit`` calls it before training and :func:`forge.load` before reading a saved state, so a
        damaged or edited ``config.json`` is refused exactly as a bad argument to ``fit`` is (the
        message names the parameter, the value and what is allowed). Encoders with rules that tie
        parameters together override it, call ``super().validate_params()`` first, and may return the
        validated configuration (the recurrent encoders return their ``RecurrentConfig``).

        Examples
        --------
        >>> import forge
        >>> forge.create("vectors", oov="bogus").validate_params()
        Traceback (most recent call last):
        ...
        forge.errors.BadInputError: oov='bogus' is not valid for KeyedVectorsEncoder; expected one of 'error', ...
        """
        check_params(self.get_params(), self.declared_constraints(), type(self).__name__)
        return None

    def _validate_params(self) -> object:  # the old spelling, kept for callers
        return self.validate_params()

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
        """The hook subclasses implement for :meth:`static_matrix`.

        Everything derived from the context-free vectors (``vector``, the gensim queries, the OOV mean)
        reads the public :meth:`static_matrix`, so an encoder that overrides the public method (the
        bidirectional recurrent ones, whose rows are the embedding twice) stays consistent.
        """
        if type(self).static_matrix is not BaseEncoder.static_matrix:  # the subclass implemented the public one
            return self.static_matrix()
        raise NotImplementedError(f"{type(self).__name__} implements neither _static_matrix() nor vector().")

    def _oov_vector(self) -> np.ndarray:
        """Vector for an unknown word: zeros (``oov="zero"``), or for ``oov="unk"`` without a
        trained ``<unk>`` row, the mean of all vectors (a common stand-in)."""
        if getattr(self, "oov", "error") == "unk":
            return self._cached("unk", lambda: np.asarray(self.static_matrix().mean(axis=0), dtype=np.float32).ravel())
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
        return np.asarray(self.static_matrix()[idx])

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[Any]:
        """One ``(len(sentence), dim)`` array per sentence (static: a lookup)."""
        self._check_fitted()
        matrix = self.static_matrix()
        out = []
        for sent in check_sentences(sentences):
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

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write ``config.json`` and the learned state into directory ``path``, atomically.

        A folder holding a saved model of another encoder is replaced only with ``overwrite=True``.
        """
        return save_encoder(self, path, overwrite=overwrite)

    def config_params(self) -> dict[str, Any]:
        """The parameters ``save`` stores in ``config.json`` (JSON values); ``forge.load`` passes them back.

        Override it for parameters that are not JSON values (the recurrent encoders store
        ``init_from=None`` once its vectors are in the weights).
        """
        params = {}
        for key, value in self.get_params().items():
            try:
                json.dumps(value)
            except TypeError:
                raise BadInputError(
                    f"Parameter {key}={value!r} of {type(self).__name__} cannot be saved as JSON; "
                    f"override config_params to store it another way."
                ) from None
            params[key] = value
        return params

    def _config_params(self) -> dict[str, Any]:  # the old spelling, kept for callers
        return self.config_params()

    def save_state(self, directory: Path) -> None:
        """Write the learned state (arrays, vocabulary...) into ``directory``; ``save`` adds ``config.json``.

        ``save`` calls it inside a temporary folder that becomes the model only when complete, then
        records every file's sha256 (so ``forge.load`` refuses damaged files before ``load_state``).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement save_state(directory).")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        """Read what :meth:`save_state` wrote into this encoder (already built from ``config.json``).

        ``forge.load`` calls it after :meth:`validate_params`; ``mmap=True`` asks encoders that can to map
        their arrays read-only from disk instead of reading them into memory.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement load_state(directory).")


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


# the old private names of the sentence check (forge.check_sentences), kept for callers
_check_sentences = check_sentences
_iter_checked_sentences = iter_sentences
