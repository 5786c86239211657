"""The encoder registry: built-ins as lazy ``"module:Class"`` entries, plugins by entry point.

Every name is one entry of a :class:`forge._catalogue.Registry` (the overwrite
policy, plugin handling and error messages are documented there). Built-ins
register themselves from ``forge/encoders/__init__.py`` (the layer above
registers into this one), once, as ``"module:Class"`` strings, so that
``import forge`` imports neither gensim nor torch; a module is imported the
first time one of its names is asked for. Plugins declare

.. code-block:: toml

    [project.entry-points."forge.encoders"]
    ppmi = "forge_ppmi:PPMIEncoder"

and are discovered the first time the registry is listed or a name is missing.
Every class is checked against the :class:`forge.Encoder` protocol when it is
registered (a plugin: when it is imported); a plugin that fails to import or
breaks the interface is reported by name and never hides the other encoders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from forge._catalogue import Registry
from forge._protocol import check_encoder_class
from forge.errors import BadInputError, PluginError, UnknownNameError

__all__ = [
    "ENCODERS",
    "ENTRY_POINT_GROUP",
    "broken_plugins",
    "create",
    "encoder_source",
    "get_encoder_class",
    "list_encoders",
    "register_encoder",
    "registered_name",
]

ENTRY_POINT_GROUP = "forge.encoders"


def _validate(name: str, cls: Any, where: str) -> Any:
    check_encoder_class(cls, where)
    return cls


def _name_class(cls: type, name: str, defaults: dict[str, Any]) -> None:
    """A class registered under its own name (not an alias with defaults) learns it, unless it has one."""
    if not defaults and not vars(cls).get("name"):
        setattr(cls, "name", name)  # noqa: B010  (a plain class attribute, like BaseEncoder.name)


ENCODERS = Registry("encoder", group=ENTRY_POINT_GROUP, validate=_validate)


def register_encoder(
    name: str, *, description: str | None = None, overwrite: bool = False, **defaults: Any
) -> Callable[[type], type]:
    """Class decorator registering an encoder under ``name``.

    ``defaults`` become the default keyword arguments for this name, which is
    how aliases such as ``skipgram`` (``word2vec`` with ``sg=1``) are made.
    The class is checked against :class:`forge.Encoder`. A built-in name is
    never replaced; another taken name only with ``overwrite=True``
    (re-registering the same class is fine).

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
        ENCODERS.register(
            name, cls, overwrite=overwrite, description=description or _first_line(cls.__doc__), defaults=dict(defaults)
        )
        _name_class(cls, name, defaults)
        return cls

    return decorator


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def get_encoder_class(name: str) -> type:
    """The class registered under ``name`` (importing it on first use)."""
    cls = ENCODERS.get(name)
    entry = ENCODERS.entry(name)
    if not entry.builtin:
        _name_class(cls, name, entry.meta.get("defaults", {}))
    return cls


def create(name: str, **params: Any) -> Any:
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
    if not isinstance(name, str) or not name:
        raise UnknownNameError("encoder", repr(name) if not isinstance(name, str) else name, ENCODERS.names())
    cls = get_encoder_class(name)
    defaults = ENCODERS.entry(name).meta.get("defaults", {})
    param_names = getattr(cls, "param_names", None)  # forge.Encoder: every registered class has it
    if callable(param_names):
        valid = param_names()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise BadInputError(
                f"Unknown parameter(s) {', '.join(map(repr, unknown))} for encoder {name!r}. "
                f"Valid parameters: {', '.join(valid)}."
            )
    encoder = cls(**{**defaults, **params})
    if getattr(encoder, "name", "") != name:
        # aliases (cbow, bilstm...) record the name they were created under, so configs round-trip
        encoder.name = name
    return encoder


def list_encoders(include_broken: bool = False) -> dict[str, str]:
    """Registered encoders, ``{name: short description}``, plugins included.

    Plugins are imported to read their descriptions; a broken plugin is left
    out (or, with ``include_broken=True``, listed as ``"BROKEN: <error>"``).
    """
    out: dict[str, str] = {}
    for entry in ENCODERS.entries():
        if not entry.builtin and not entry.resolved:
            try:
                ENCODERS.resolve(entry)
            except PluginError:
                continue
        description = entry.meta.get("description") or (_first_line(entry.target.__doc__) if entry.resolved else "")
        out[entry.name] = description
    out = dict(sorted(out.items()))
    if include_broken:
        out.update({n: f"BROKEN: {err}" for n, err in sorted(ENCODERS.broken().items())})
    return out


def broken_plugins() -> dict[str, str]:
    """``{name: error}`` for every plugin that failed to load (conflicts and malformed entry points too)."""
    list_encoders()
    return ENCODERS.broken()


def encoder_source(name: str) -> str:
    """ "builtin", "user" or "plugin <distribution>"."""
    get_encoder_class(name)
    return ENCODERS.entry(name).source


def registered_name(encoder: Any) -> str:
    """The name ``encoder`` (an instance or a class) is registered under, or ``""``.

    ``encoder.name`` when set; otherwise the registry is searched (plugins
    included, without importing anything new), so an encoder built from its
    class, ``RandomEncoder(...)``, saves and clones under its plugin name.
    The class learns the name it finds.

    Examples
    --------
    >>> from forge.encoders import OneHotEncoder
    >>> registered_name(OneHotEncoder())
    'onehot'
    """
    name = getattr(encoder, "name", "")
    if name:
        return name
    cls = encoder if isinstance(encoder, type) else type(encoder)
    aliases = []
    for entry in ENCODERS.entries():
        found = entry.target is cls if entry.resolved else _lazy_target_is(entry.target, cls)
        if not found:
            continue
        defaults = entry.meta.get("defaults", {})
        if not defaults:
            _name_class(cls, entry.name, defaults)
            return entry.name
        aliases.append((entry.name, defaults))
    # e.g. RecurrentEncoder(cell="lstm", bidirectional=True) is "bilstm"
    for alias, defaults in aliases:
        if cls is not encoder and all(getattr(encoder, k, object()) == v for k, v in defaults.items()):
            return alias
    return ""


def _lazy_target_is(target: Any, cls: type) -> bool:
    value = target if isinstance(target, str) else getattr(target, "value", "")
    module, _, attr = str(value).partition(":")
    if module not in sys.modules:  # not imported: cannot be the class in hand
        return False
    obj: Any = sys.modules[module]
    for part in attr.split("."):
        obj = getattr(obj, part, None)
    return obj is cls
