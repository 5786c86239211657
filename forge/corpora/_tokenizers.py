"""Tokenizers: text -> list of tokens. Registered by name; any callable works too."""

from __future__ import annotations

import re
from typing import Callable

from forge.errors import BadInputError, UnknownNameError

__all__ = ["Tokenizer", "register_tokenizer", "get_tokenizer", "list_tokenizers", "regex_tokenize",
           "whitespace_tokenize"]

Tokenizer = Callable[[str], list[str]]

# Words: runs of letters/digits, keeping inner apostrophes and hyphens ("don't", "well-known").
WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)


def regex_tokenize(text: str) -> list[str]:
    """Default tokenizer: lower-cased word regex (``\\w+`` with inner ' and -)."""
    return WORD_RE.findall(text.lower())


def whitespace_tokenize(text: str) -> list[str]:
    """Split on whitespace, keep case (for pre-tokenised corpora such as PTB or text8)."""
    return text.split()


_TOKENIZERS: dict[str, Tokenizer | str] = {
    "regex": regex_tokenize,
    "whitespace": whitespace_tokenize,
    "jieba": "forge.corpora._zh:jieba_tokenize",   # needs the forge[zh] extra
}


def register_tokenizer(name: str, func: Tokenizer | None = None):
    """Register ``func`` (or decorate it) as tokenizer ``name``.

    Examples
    --------
    >>> from forge.corpora import register_tokenizer, get_tokenizer
    >>> _ = register_tokenizer("chars", lambda s: list(s.replace(" ", "")))
    >>> get_tokenizer("chars")("a b")
    ['a', 'b']
    """
    def decorator(f: Tokenizer) -> Tokenizer:
        if not callable(f):
            raise BadInputError(f"Tokenizer {name!r} must be callable, got {f!r}.")
        _TOKENIZERS[name] = f
        return f
    return decorator(func) if func is not None else decorator


def get_tokenizer(spec: str | Tokenizer | None) -> Tokenizer:
    """A tokenizer from a registered name, a callable, or None (the default, ``regex``)."""
    if spec is None:
        spec = "regex"
    if callable(spec):
        return spec
    if not isinstance(spec, str) or spec not in _TOKENIZERS:
        raise UnknownNameError("tokenizer", str(spec), _TOKENIZERS)
    tok = _TOKENIZERS[spec]
    if isinstance(tok, str):
        import importlib
        module, _, attr = tok.partition(":")
        tok = getattr(importlib.import_module(module), attr)
        _TOKENIZERS[spec] = tok
    return tok


def list_tokenizers() -> list[str]:
    return sorted(_TOKENIZERS)
