"""Tokenizers: text -> list of tokens. Registered by name; any callable works too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import overload

from forge._catalogue import Registry
from forge.errors import BadInputError, UnknownNameError

__all__ = [
    "Tokenizer",
    "get_tokenizer",
    "list_tokenizers",
    "regex_tokenize",
    "register_tokenizer",
    "whitespace_tokenize",
]

Tokenizer = Callable[[str], list[str]]

# Words: runs of letters/digits, keeping inner apostrophes and hyphens ("don't", "well-known").
WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)


def regex_tokenize(text: str) -> list[str]:
    """Default tokenizer: lower-cased word regex (``\\w+`` with inner ' and -)."""
    return WORD_RE.findall(text.lower())


def whitespace_tokenize(text: str) -> list[str]:
    """Split on whitespace, keep case (for pre-tokenised corpora such as PTB or text8)."""
    return text.split()


def _validate(name: str, func: object, where: str) -> object:
    if not callable(func):
        raise BadInputError(f"{where} must be callable (str -> list[str]), got {func!r}.")
    return func


# plugins: [project.entry-points."forge.tokenizers"] name = "module:function"
TOKENIZERS = Registry("tokenizer", group="forge.tokenizers", validate=_validate)
TOKENIZERS.register("regex", regex_tokenize, builtin=True)
TOKENIZERS.register("whitespace", whitespace_tokenize, builtin=True)
TOKENIZERS.register_lazy("jieba", "forge.corpora._zh:jieba_tokenize", builtin=True)  # needs the forge[zh] extra


@overload
def register_tokenizer(name: str, func: Tokenizer, *, overwrite: bool = False) -> Tokenizer: ...
@overload
def register_tokenizer(
    name: str, func: None = None, *, overwrite: bool = False
) -> Callable[[Tokenizer], Tokenizer]: ...


def register_tokenizer(
    name: str, func: Tokenizer | None = None, *, overwrite: bool = False
) -> Tokenizer | Callable[[Tokenizer], Tokenizer]:
    """Register ``func`` (or decorate it) as tokenizer ``name``.

    A built-in name is never replaced; another taken name only with
    ``overwrite=True`` (see :mod:`forge._catalogue`).

    Examples
    --------
    >>> from forge.corpora import register_tokenizer, get_tokenizer
    >>> _ = register_tokenizer("chars", lambda s: list(s.replace(" ", "")))
    >>> get_tokenizer("chars")("a b")
    ['a', 'b']
    """

    def decorator(f: Tokenizer) -> Tokenizer:
        return TOKENIZERS.register(name, f, overwrite=overwrite)

    return decorator(func) if func is not None else decorator


def get_tokenizer(spec: str | Tokenizer | None) -> Tokenizer:
    """A tokenizer from a registered name, a callable, or None (the default, ``regex``)."""
    if spec is None:
        spec = "regex"
    if callable(spec):
        return spec
    if not isinstance(spec, str):
        raise UnknownNameError("tokenizer", str(spec), TOKENIZERS.names())
    return TOKENIZERS.get(spec)


def list_tokenizers() -> list[str]:
    """Names of the registered tokenizers, plugins included."""
    return TOKENIZERS.names()
