"""The encoder registry: built-ins by decorator, plugins by entry point, both lazy.

Built-ins are listed in ``_BUILTINS`` as ``"module:Class"`` strings so that
``import forge`` imports neither gensim nor torch; a module is imported the
first time one of its names is asked for. Plugins declare

.. code-block:: toml

    [project.entry-points."forge.encoders"]
    ppmi = "forge_ppmi:PPMIEncoder"

and are discovered the first time the registry is listed or a name is missing.
A plugin that fails to import or breaks the interface is reported by name and
never hides the other encoders.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable

from forge._interface import REQUIRED_METHODS, BaseEncoder
from forge.errors import BadInputError, PluginError, UnknownNameError

__all__ = ["register_encoder", "create", "get_encoder_class", "list_encoders", "broken_plugins",
           "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "forge.encoders"


@dataclass
class _Entry:
    name: str
    target: Any                      # a class, or "module:attr" not imported yet
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)
    source: str = "builtin"          # "builtin", "plugin <dist>" or "user"


# name: (target, description, default params). Aliases are entries with defaults.
_BUILTINS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "onehot": ("forge.encoders.onehot:OneHotEncoder",
               "one-hot sparse vectors (SciPy CSR), one dimension per vocabulary word", {}),
    "word2vec": ("forge.encoders.word2vec:Word2VecEncoder",
                 "gensim Word2Vec (sg=0 CBOW, sg=1 skip-gram), every gensim parameter passes through", {}),
    "cbow": ("forge.encoders.word2vec:Word2VecEncoder",
             "Word2Vec continuous bag-of-words: predict a word from its context (sg=0)", {"sg": 0}),
    "skipgram": ("forge.encoders.word2vec:Word2VecEncoder",
                 "Word2Vec skip-gram: predict the context from a word (sg=1)", {"sg": 1}),
    "vectors": ("forge.encoders.vectors:KeyedVectorsEncoder",
                "static vectors read by forge.load_vectors (word2vec, GloVe, fastText), or a seeded random baseline",
                {}),
}
for _cell in ("rnn", "gru", "lstm"):
    for _bi in (False, True):
        _BUILTINS[("bi" if _bi else "") + _cell] = (
            "forge.encoders.recurrent:RecurrentEncoder",
            f"{'bidirectional ' if _bi else ''}{_cell.upper()} language-model encoder (PyTorch), "
            f"contextual{' (forward + backward LM, ELMo-style)' if _bi else ' (left-to-right)'}",
            {"cell": _cell, "bidirectional": _bi})

_entries: dict[str, _Entry] = {n: _Entry(n, t, d, dict(df)) for n, (t, d, df) in _BUILTINS.items()}
_broken: dict[str, str] = {}
_plugins_scanned = False


def _validate(cls: Any, name: str, source: str) -> None:
    where = f"Encoder {name!r} ({source})"
    if not isinstance(cls, type):
        raise PluginError(f"{where} must register a class, got {cls!r}.")
    missing = [m for m in REQUIRED_METHODS if not callable(getattr(cls, m, None))]
    missing += [p for p in ("vocabulary", "dim", "tags") if not hasattr(cls, p)]
    if missing:
        raise PluginError(f"{where}: class {cls.__module__}.{cls.__qualname__} does not satisfy the "
                          f"forge Encoder interface; missing: {', '.join(missing)}. Subclass "
                          f"forge.BaseEncoder and implement them.")


def register_encoder(name: str, *, description: str | None = None, **defaults: Any) -> Callable[[type], type]:
    """Class decorator registering an encoder under ``name``.

    ``defaults`` become the default keyword arguments for this name, which is
    how aliases such as ``skipgram`` (``word2vec`` with ``sg=1``) are made.

    Examples
    --------
    >>> import forge
    >>> @forge.register_encoder("my-onehot", description="one-hot, again")
    ... class MyOneHot(forge.encoders.OneHotEncoder):
    ...     pass
    >>> "my-onehot" in forge.list_encoders()
    True
    """
    def decorator(cls: type) -> type:
        existing = _entries.get(name)
        source = "builtin" if existing and existing.source == "builtin" else "user"
        _validate(cls, name, source)
        desc = description or (existing.description if existing else _first_line(cls.__doc__))
        _entries[name] = _Entry(name, cls, desc, dict(defaults) or (existing.defaults if existing else {}), source)
        if not getattr(cls, "name", ""):
            cls.name = name
        return cls
    return decorator


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def _scan_plugins() -> None:
    global _plugins_scanned
    if _plugins_scanned:
        return
    _plugins_scanned = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _entries and _entries[ep.name].source == "builtin":
            _broken[ep.name] = f"plugin {ep.value!r} tries to replace the built-in encoder {ep.name!r}"
            continue
        dist = getattr(ep.dist, "name", "?") if getattr(ep, "dist", None) else "?"
        _entries[ep.name] = _Entry(ep.name, ep, "", {}, f"plugin {dist}")


def _resolve(entry: _Entry) -> type:
    target = entry.target
    if isinstance(target, type):
        return target
    try:
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            cls = getattr(importlib.import_module(module), attr)
        else:  # an importlib.metadata.EntryPoint
            cls = target.load()
    except Exception as exc:
        if entry.source == "builtin":
            raise
        _broken[entry.name] = f"{type(exc).__name__}: {exc}"
        _entries.pop(entry.name, None)
        raise PluginError(f"Encoder plugin {entry.name!r} ({entry.source}) failed to import: "
                          f"{type(exc).__name__}: {exc}. Reinstall or uninstall the plugin.") from exc
    try:
        _validate(cls, entry.name, entry.source)
    except PluginError as exc:
        _broken[entry.name] = str(exc)
        _entries.pop(entry.name, None)
        raise
    if entry.source != "builtin" and not getattr(cls, "name", ""):
        cls.name = entry.name
    entry.target = cls
    entry.description = entry.description or _first_line(cls.__doc__)
    return cls


def get_encoder_class(name: str) -> type:
    """The class registered under ``name`` (importing it on first use)."""
    if name not in _entries:
        _scan_plugins()
    if name not in _entries:
        if name in _broken:
            raise PluginError(f"Encoder plugin {name!r} is installed but broken: {_broken[name]}")
        raise UnknownNameError("encoder", name, _entries)
    return _resolve(_entries[name])


def create(name: str, **params: Any) -> BaseEncoder:
    """Create the encoder registered under ``name`` with keyword parameters.

    Examples
    --------
    >>> import forge
    >>> forge.create("skipgram", vector_size=50).sg
    1
    >>> forge.create("lstn")
    Traceback (most recent call last):
    ...
    forge.errors.UnknownNameError: Unknown encoder 'lstn'. Did you mean 'lstm'? Available: ...
    """
    cls = get_encoder_class(name)
    entry = _entries[name]
    if isinstance(cls, type) and issubclass(cls, BaseEncoder):
        valid = cls._param_names()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise BadInputError(f"Unknown parameter(s) {', '.join(map(repr, unknown))} for encoder {name!r}. "
                                f"Valid parameters: {', '.join(valid)}.")
    encoder = cls(**{**entry.defaults, **params})
    if getattr(encoder, "name", "") != name:
        # aliases (cbow, bilstm...) record the name they were created under, so configs round-trip
        encoder.name = name
    return encoder


def list_encoders(include_broken: bool = False) -> dict[str, str]:
    """Registered encoders, ``{name: short description}``, plugins included.

    Plugins are imported to read their descriptions; a broken plugin is left
    out (or, with ``include_broken=True``, listed as ``"BROKEN: <error>"``).
    """
    _scan_plugins()
    out: dict[str, str] = {}
    for name in sorted(_entries):
        entry = _entries.get(name)
        if entry is None:
            continue
        if entry.source != "builtin" and not isinstance(entry.target, type):
            try:
                _resolve(entry)
            except PluginError:
                continue
        out[name] = entry.description
    if include_broken:
        out.update({n: f"BROKEN: {err}" for n, err in sorted(_broken.items())})
    return out


def broken_plugins() -> dict[str, str]:
    """``{name: error}`` for every plugin that failed to load."""
    list_encoders()
    return dict(_broken)


def encoder_source(name: str) -> str:
    """"builtin", "user" or "plugin <distribution>"."""
    get_encoder_class(name)
    return _entries[name].source
