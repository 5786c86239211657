"""The one check of tokenised sentences, for ``embed`` input and for the corpora ``fit`` reads.

:func:`check_sentences` is public (``forge.check_sentences``): built-in
encoders and plugins call it on what ``embed`` receives, and
``forge.corpora.as_corpus`` (which every ``fit`` goes through) calls it on
the first sentences of an in-memory corpus, so a flat list of tokens,
``fit(["the", "king", ...])``, is refused with the fix instead of being read
as one-word sentences.

Examples
--------
>>> check_sentences([["the", "king"], ("a", "queen")])
[['the', 'king'], ['a', 'queen']]
>>> check_sentences(["the", "king", "spoke"], what="fit()")
Traceback (most recent call last):
...
forge.errors.BadInputError: fit() got a flat list of 3 strings without spaces (['the', 'king', 'spoke']), ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from forge.errors import BadInputError

__all__ = ["check_sentences", "iter_sentences", "refuse_flat_tokens"]

_HEAD = 1000  # strings looked at to tell a flat token list from a list of raw sentences


def refuse_flat_tokens(sentences: Sequence[Any], what: str) -> None:
    """Raise when ``sentences`` is a flat list of single tokens (strings without whitespace).

    gensim reads such a list as one-word sentences (and warns); forge refuses it and names the fix.
    A list of raw sentences (``["the king spoke", ...]``) is not flat: ``forge.corpora`` tokenises it.
    """
    head = list(islice(sentences, _HEAD))
    if not head or not all(isinstance(s, str) and s and not any(ch.isspace() for ch in s) for s in head):
        return
    shown = ", ".join(map(repr, head[:3])) + (", ..." if len(sentences) > 3 else "")
    raise BadInputError(
        f"{what} got a flat list of {len(sentences)} strings without spaces ([{shown}]), which would be read as "
        f"{len(sentences)} one-word sentences. A corpus is a list of tokenised sentences: wrap one sentence's "
        f"tokens in a list, [[{shown}]], or pass one token list per sentence (raw sentence strings such as "
        f"'the king spoke' are tokenised)."
    )


def iter_sentences(sentences: Iterable[Sequence[str]], what: str = "embed()") -> Iterator[list[str]]:
    """:func:`check_sentences` one sentence at a time (no copy of the whole input held in memory)."""
    if isinstance(sentences, str):
        raise BadInputError(
            f"{what} expects a list of tokenised sentences, e.g. [['the', 'cat']], "
            f"got the string {sentences[:40]!r}; wrap and tokenise it first."
        )
    if isinstance(sentences, (list, tuple)):
        refuse_flat_tokens(sentences, what)
    for i, sent in enumerate(sentences):
        if isinstance(sent, str):
            raise BadInputError(
                f"Sentence {i} is the string {sent[:40]!r}; {what} expects token lists such as {sent.split()[:5]!r}."
            )
        sent = list(sent)
        for tok in sent:
            if not isinstance(tok, str):
                raise BadInputError(f"Sentence {i} contains the non-string token {tok!r}; tokens must be str.")
        yield sent


def check_sentences(sentences: Iterable[Sequence[str]], what: str = "embed()") -> list[list[str]]:
    """Validate tokenised sentences: an iterable of token lists (not a bare string, not a flat token list).

    Parameters
    ----------
    sentences : iterable of sequences of str
        What ``embed`` (or ``fit``) received.
    what : str
        The call named in the error message.

    Returns
    -------
    list of list of str
        The sentences as lists.

    Raises
    ------
    forge.errors.BadInputError
        Naming the bad sentence or token and the fix.
    """
    return list(iter_sentences(sentences, what))
