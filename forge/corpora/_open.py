"""One corpus argument, two meanings: a registered corpus name or a text file (the CLI's ``--corpus``)."""

from __future__ import annotations

import os

from forge.corpora._named import CORPORA, load
from forge.corpora._readers import Corpus, TextCorpus

__all__ = ["open_corpus"]


def open_corpus(spec: str, tokenizer: str | None = None) -> Corpus:
    """The named corpus ``spec`` (see :func:`forge.corpora.list_corpora`), or the text file at path ``spec``.

    A name wins unless a file or folder of that name exists in the working
    directory; ``tokenizer`` (default ``"regex"``) applies to files only.

    Examples
    --------
    >>> from forge.corpora import open_corpus
    >>> next(iter(open_corpus("gensim-default")))[:2]
    ['hundreds', 'of']
    """
    if spec in CORPORA and not os.path.exists(spec):
        return load(spec)
    return TextCorpus(spec, tokenizer=tokenizer or "regex")
