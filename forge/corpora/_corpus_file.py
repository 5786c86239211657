"""Feeding gensim's ``corpus_file`` mode: one plain file of short whitespace-tokenised lines.

gensim trains fastest from a file (``corpus_file=``: no Python iterator, one
reader per worker), but only trains on every word when the lines are short:
its reader fills each batch to just over 10,000 words and the trainer skips
what is left of a batch after 10,000 words survive subsampling. On lines of
10,000 words, 27% of gensim-default's words were never trained on, and on the
text8 prefix skip-gram lost about 0.06 WordSim-353 rho and 3 analogy points
against iterable mode on the same tokens; lines of at most 1,000 words match
it (``benchmarks/word2vec_quality.py``). Every gensim encoder of forge
(Word2Vec, the FastText plugin) gets its file from here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from forge.corpora._readers import CORPUS_FILE_MAX_WORDS, Corpus, TextCorpus
from forge.errors import BadInputError, ForgeError

__all__ = ["CORPUS_FILE_MAX_WORDS", "gensim_corpus_file"]

CORPUS_FILE_MODES = ("auto", "never")


@contextmanager
def gensim_corpus_file(corpus: Any, mode: str = "auto") -> Iterator[Path | None]:
    """A plain file for gensim's ``corpus_file`` mode that reads to ``corpus``'s sentences, or None.

    Parameters
    ----------
    corpus : Corpus or iterable of token lists
        What the encoder trains on.
    mode : {"auto", "never"}
        "never" always gives None (the caller streams ``corpus_iterable``).

    Yields
    ------
    Path or None
        The corpus's own file when gensim reads it to the same sentences
        (:meth:`Corpus.line_sentence_file`); for any other
        :class:`TextCorpus`, a temporary file of its sentences cut into lines
        of at most ``CORPUS_FILE_MAX_WORDS`` words, removed on exit; None for
        in-memory and other corpora, which gensim should stream.

    Examples
    --------
    >>> from forge.corpora import ListCorpus, gensim_corpus_file
    >>> with gensim_corpus_file(ListCorpus([["a", "b"]])) as path:
    ...     print(path)
    None
    """
    if mode not in CORPUS_FILE_MODES:
        raise BadInputError(f"corpus_file={mode!r}; expected one of {CORPUS_FILE_MODES}.")
    if mode == "never" or not isinstance(corpus, Corpus):
        yield None
        return
    direct = corpus.line_sentence_file()
    if direct is not None or not isinstance(corpus, TextCorpus):
        yield direct
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix="forge-corpus-", suffix=".txt")
    except OSError as exc:
        raise _temp_error(tempfile.gettempdir(), exc) from None
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                for sentence in corpus:
                    # gensim splits on ASCII whitespace only: a token holding any whitespace cannot pass
                    words = [t for t in sentence if t and not any(c.isspace() for c in t)]
                    for start in range(0, len(words), CORPUS_FILE_MAX_WORDS):
                        out.write(" ".join(words[start : start + CORPUS_FILE_MAX_WORDS]) + "\n")
        except OSError as exc:  # a full disk; reading errors are already forge errors
            if isinstance(exc, ForgeError):
                raise
            raise _temp_error(tmp, exc) from None
        yield Path(tmp)  # outside the except: the caller's own errors pass through unchanged
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _temp_error(where: str, exc: OSError) -> BadInputError:
    return BadInputError(
        f"Cannot write the temporary corpus file for gensim at {where} ({exc.strerror or exc}); "
        f"point TMPDIR at a writable directory with room for the tokenised corpus, or pass "
        f"corpus_file='never' to stream it instead."
    )
