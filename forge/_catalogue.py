"""One registry class for every kind of name forge looks up (catalogue-style).

Encoders, corpora, tokenizers, benchmark tasks and lab probes are each a
:class:`Registry`: a namespace (``kind``) of names mapped to objects, where

* an entry is an object, or a ``"module:attr"`` string imported the first time
  the name is asked for (so ``import forge`` imports neither gensim nor torch);
* plugins add entries through an entry-point group (``forge.encoders``,
  ``forge.corpora``, ``forge.tokenizers``, ``forge.tasks``), read the first
  time a name is missing or the registry is listed, and imported only when
  their name is asked for;
* a ``validate(name, obj, where)`` hook checks every object when it is
  registered (lazy entries: when first imported) and may return a
  replacement; it raises :class:`forge.errors.PluginError` or
  :class:`forge.errors.BadInputError` naming who registered the object;
* a failed lookup lists what exists, with a did-you-mean
  (:class:`forge.errors.UnknownNameError`).

Overwrite policy (the same for every registry)
----------------------------------------------
1. A built-in name is never replaced, not even with ``overwrite=True``.
2. Any other name already taken is replaced only with ``overwrite=True``,
   except that registering the same object again, or an object with the same
   module and qualified name (a re-run notebook cell, a reloaded module), is
   allowed: re-registration is idempotent.
3. Entry points never replace anything: a plugin entry point whose name is
   built in, or already registered in this process, is reported as broken,
   and when two distributions declare the same name both are reported as a
   conflict and the name is unavailable until one is uninstalled.

A plugin that fails to import (any exception, ``SystemExit`` included; only
``KeyboardInterrupt`` propagates), whose entry point is malformed, or whose
object fails validation is recorded in :meth:`Registry.broken` and never hides
the other entries.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from forge.errors import BadInputError, PluginError, UnknownNameError

__all__ = ["FORGE_DISTRIBUTION", "Entry", "Registry"]

# entry points declared by forge's own distribution count as built-ins
FORGE_DISTRIBUTION = "foundations-forge"

_TARGET_RE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")
_MISSING = object()

# (source, label) of each entry point being imported right now, innermost last, e.g. ("plugin forge-x",
# "plugin forge-x (entry point forge.encoders:x)"): what a plugin's module registers while it imports is its.
_loading: list[tuple[str, str]] = []


@dataclass
class Entry:
    """One registered name: its target (the object, or what imports it), where it came from, metadata."""

    name: str
    target: Any  # the object, a "module:attr" string, or an importlib.metadata.EntryPoint
    source: str = "user"  # "builtin", "user" or "plugin <distribution>"
    meta: dict[str, Any] = field(default_factory=dict)
    resolved: bool = False

    @property
    def builtin(self) -> bool:
        return self.source == "builtin"


def _same_object(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        if type(a) is type(b) and a == b:
            return True
    except Exception:  # objects whose == is unusual (arrays): fall through to the name test
        pass
    qa, qb = getattr(a, "__qualname__", None), getattr(b, "__qualname__", None)
    return (
        qa is not None
        and qa == qb
        and qa != "<lambda>"
        and getattr(a, "__module__", None) == getattr(b, "__module__", None)
    )


def _describe_origin(obj: Any) -> str:
    if _loading:
        return _loading[-1][1]
    module = getattr(obj, "__module__", None) or type(obj).__module__
    return f"module {module}"


def _plugin_source() -> str | None:
    """``"plugin <dist>"`` while a plugin's entry point is being imported, else None."""
    return _loading[-1][0] if _loading and _loading[-1][0] != "builtin" else None


def _dist_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "?"


class Registry:
    """A namespace of named objects with lazy entries, plugins and one overwrite policy.

    Parameters
    ----------
    kind : str
        What the names are ("encoder", "corpus", ...), used in messages.
    group : str, optional
        The entry-point group plugins declare entries in.
    validate : callable, optional
        ``validate(name, obj, where) -> obj``, run on every object when it is
        registered (lazy entries: when imported); raises to refuse it.

    Examples
    --------
    >>> from forge._catalogue import Registry
    >>> colours = Registry("colour")
    >>> _ = colours.register("red", "#f00", builtin=True)
    >>> colours.register_lazy("sep", "os:sep")
    >>> colours.get("sep") == __import__("os").sep
    True
    >>> colours.get("rde")
    Traceback (most recent call last):
    ...
    forge.errors.UnknownNameError: Unknown colour 'rde'. Did you mean 'red'? Available: red, sep.
    """

    def __init__(self, kind: str, *, group: str | None = None, validate: Callable[[str, Any, str], Any] | None = None):
        self.kind = kind
        self.group = group
        self._validate = validate
        self._entries: dict[str, Entry] = {}
        self._broken: dict[str, str] = {}
        self._scanned = group is None

    # ------------------------------------------------------------ registering
    def register(
        self, name: str, obj: Any = _MISSING, *, overwrite: bool = False, builtin: bool = False, **meta: Any
    ) -> Any:
        """Register ``obj`` under ``name`` (or, without ``obj``, return a decorator that does).

        ``meta`` is kept with the entry (descriptions, default parameters...).
        Returns ``obj`` (the validated object), so it also works as a decorator.
        """
        if obj is _MISSING:

            def decorator(target: Any) -> Any:
                return self.register(name, target, overwrite=overwrite, builtin=builtin, **meta)

            return decorator
        self._check_name(name)
        source = "builtin" if builtin else _plugin_source() or "user"
        where = f"{self.kind.capitalize()} {name!r} ({_describe_origin(obj) if not builtin else 'built in'})"
        self._check_overwrite(name, obj, overwrite, where)
        if self._validate is not None:
            obj = self._validate(name, obj, where)
        self._entries[name] = Entry(name, obj, source, dict(meta), resolved=True)
        self._broken.pop(name, None)
        return obj

    def register_lazy(
        self, name: str, target: str, *, overwrite: bool = False, builtin: bool = False, **meta: Any
    ) -> None:
        """Register ``"module:attr"`` under ``name``; the module is imported when the name is first asked for."""
        self._check_name(name)
        if not isinstance(target, str) or not _TARGET_RE.match(target) or ":" not in target:
            raise BadInputError(
                f"{self.kind.capitalize()} {name!r}: lazy target {target!r} must be "
                f"'module:attr', e.g. 'forge.encoders.onehot:OneHotEncoder'."
            )
        existing = self._entries.get(name)
        if existing is not None and not (existing.target == target and existing.builtin == builtin):
            self._check_overwrite(name, target, overwrite, f"{self.kind.capitalize()} {name!r} ({target})")
        source = "builtin" if builtin else _plugin_source() or "user"
        self._entries[name] = Entry(name, target, source, dict(meta))

    def unregister(self, name: str) -> None:
        """Remove a name that is not built in."""
        entry = self.entry(name)
        if entry.builtin:
            raise BadInputError(f"{name!r} is a built-in {self.kind} and cannot be removed.")
        del self._entries[name]

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise BadInputError(f"A {self.kind} name must be a non-empty string, got {name!r}.")

    def _check_overwrite(self, name: str, obj: Any, overwrite: bool, where: str) -> None:
        existing = self._entries.get(name)
        if existing is None:
            return
        if existing.builtin:
            error = PluginError if _plugin_source() else BadInputError
            raise error(f"{where} cannot replace the built-in {self.kind} {name!r}; register it under another name.")
        if overwrite or (existing.resolved and _same_object(existing.target, obj)):
            return
        if not existing.resolved and existing.source == _plugin_source():
            return  # a plugin's module registering the name its own entry point declares
        if not existing.resolved and isinstance(existing.target, str) and existing.target == obj:
            return
        error = PluginError if _plugin_source() else BadInputError
        raise error(
            f"{where}: the name {name!r} is already registered ({existing.source}); pick another "
            f"name, or pass overwrite=True to replace it."
        )

    # ---------------------------------------------------------------- plugins
    def _scan(self) -> None:
        """Read the entry-point group once (nothing is imported)."""
        if self._scanned or self.group is None:
            return
        self._scanned = True
        claims: dict[str, list[Any]] = {}
        for ep in metadata.entry_points(group=self.group):
            claims.setdefault(ep.name, []).append(ep)
        for name, eps in claims.items():
            own = [ep for ep in eps if _dist_name(ep) == FORGE_DISTRIBUTION]
            if own and len({ep.value for ep in own}) == 1 and name not in self._entries:
                ep = own[0]  # forge's own lazy built-ins (e.g. the lab's probes)
                bad = self._malformed(ep)
                if bad:
                    self._broken[name] = bad
                else:
                    self._entries[name] = Entry(name, ep, "builtin")
                eps = [e for e in eps if _dist_name(e) != FORGE_DISTRIBUTION]
                if not eps:
                    continue
            dists = sorted({_dist_name(ep) for ep in eps})
            if len(dists) > 1:
                self._broken[name] = (
                    f"conflict: the {self.kind} name {name!r} is declared by several installed "
                    f"distributions ({', '.join(dists)}; entry points "
                    f"{', '.join(repr(ep.value) for ep in eps)}); uninstall all but one"
                )
                if (
                    name in self._entries
                    and not self._entries[name].builtin
                    and str(self._entries[name].source).startswith("plugin")
                ):
                    del self._entries[name]
                continue
            ep = eps[0]
            plugin = f"plugin {dists[0]}"
            existing = self._entries.get(name)
            if existing is not None:
                if existing.builtin:
                    self._broken[name] = (
                        f"{plugin} (entry point {ep.value!r}) tries to replace the built-in "
                        f"{self.kind} {name!r}; the built-in is kept"
                    )
                elif existing.source != plugin:
                    self._broken[name] = (
                        f"{plugin} (entry point {ep.value!r}) declares {name!r}, already "
                        f"registered ({existing.source}); the first registration is kept"
                    )
                continue
            bad = self._malformed(ep)
            if bad:
                self._broken[name] = bad
                continue
            self._entries[name] = Entry(name, ep, plugin)

    def _malformed(self, ep: Any) -> str | None:
        value = getattr(ep, "value", None)
        if not isinstance(value, str) or not _TARGET_RE.match(value.split("[")[0].strip()):
            return (
                f"malformed entry point {ep.name!r} = {value!r} in group {self.group!r} "
                f"(distribution {_dist_name(ep)}): expected 'module:attr', e.g. "
                f"'forge_random:RandomEncoder'"
            )
        return None

    # ---------------------------------------------------------------- lookup
    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            self._scan()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        """Names registered so far, in registration order (plugins: once scanned)."""
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Every available name, plugins included (sorted)."""
        self._scan()
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        """The entries, unresolved, in registration order (plugins included)."""
        self._scan()
        return list(self._entries.values())

    def entry(self, name: str) -> Entry:
        """The :class:`Entry` of ``name`` (not imported); raises like :meth:`get` when unknown."""
        if name not in self._entries:
            self._scan()
        if name not in self._entries:
            if name in self._broken:
                raise PluginError(f"The {self.kind} {name!r} is installed but broken: {self._broken[name]}")
            raise UnknownNameError(self.kind, name, self.names())
        return self._entries[name]

    def get(self, name: str) -> Any:
        """The object registered under ``name``, imported on first use."""
        return self.resolve(self.entry(name))

    def broken(self) -> dict[str, str]:
        """``{name: why}`` for every plugin entry that failed to load, conflicts and malformed entry points."""
        self._scan()
        return dict(self._broken)

    def resolve(self, entry: Entry) -> Any:
        """Import a lazy entry (once), validate it and return the object."""
        if entry.resolved:
            return entry.target
        target = entry.target
        label = entry.source if isinstance(target, str) else f"{entry.source} (entry point {self.group}:{entry.name})"
        try:
            if isinstance(target, str):
                module, _, attr = target.partition(":")
                obj: Any = importlib.import_module(module)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            else:  # an importlib.metadata.EntryPoint
                _loading.append((entry.source, label))
                try:
                    obj = target.load()
                finally:
                    _loading.pop()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit too: a plugin never ends forge
            if entry.builtin:  # forge's own: e.g. an optional dependency missing
                raise
            why = f"{type(exc).__name__}: {exc}"
            self._broken[entry.name] = why
            self._entries.pop(entry.name, None)
            raise PluginError(
                f"{self.kind.capitalize()} plugin {entry.name!r} ({entry.source}) failed to "
                f"import: {why}. Reinstall or uninstall the plugin."
            ) from exc
        current = self._entries.get(entry.name)
        if current is not None and current is not entry and current.resolved:
            # importing the plugin registered the name itself (e.g. with a decorator): that is the entry now
            return current.target
        if self._validate is not None:
            try:
                obj = self._validate(entry.name, obj, f"{self.kind.capitalize()} {entry.name!r} ({label})")
            except (PluginError, BadInputError) as exc:
                if entry.builtin:
                    raise
                self._broken[entry.name] = str(exc)
                self._entries.pop(entry.name, None)
                if isinstance(exc, PluginError):
                    raise
                raise PluginError(str(exc)) from exc
        entry.target, entry.resolved = obj, True
        return obj

    # ------------------------------------------------------------------ tests
    def copy(self) -> Registry:
        """An independent copy (tests register into a copy and restore the original)."""
        new = Registry(self.kind, group=self.group, validate=self._validate)
        new._entries = {
            n: Entry(e.name, e.target, e.source, dict(e.meta), e.resolved) for n, e in self._entries.items()
        }
        new._broken = dict(self._broken)
        new._scanned = self._scanned
        return new

    @contextmanager
    def isolated(self) -> Iterator[Registry]:
        """Within the block, registrations are undone afterwards (for tests and examples)."""
        saved = self.copy()
        try:
            yield self
        finally:
            self._entries, self._broken, self._scanned = saved._entries, saved._broken, saved._scanned

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r}, {len(self._entries)} names)"
