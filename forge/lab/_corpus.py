"""The lab's text: the head of the English corpus, sampled probe sentences, and the Chinese training text."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

import forge
from forge.corpora import to_simplified
from forge.errors import ForgeError
from forge.lab._extras import has_module
from forge.lab._sentences import zh_training_sentences

__all__ = ["first_tokens", "sample_sentences", "zh_corpus"]


def first_tokens(corpus: Iterable[list[str]], n_tokens: int, piece: int = 50) -> list[list[str]]:
    """The corpus's first ``n_tokens`` tokens as sentences (long lines, e.g. text8's, cut into pieces)."""
    out, total = [], 0
    for sent in corpus:
        for i in range(0, max(1, len(sent)), piece):
            part = list(sent[i : i + piece])
            if part:
                out.append(part)
                total += len(part)
            if total >= n_tokens:
                return out
    return out


def sample_sentences(sents: list[list[str]], n: int, seed: int) -> list[list[str]]:
    """Up to ``n`` sentences of 5 to 20 tokens (longer ones cut into windows of 12)."""
    pool = []
    for s in sents:
        if len(s) > 20:
            pool += [s[i : i + 12] for i in range(0, len(s) - 11, 12)]
        elif len(s) >= 5:
            pool.append(s)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pool))[:n]
    return [pool[i] for i in sorted(idx)]


def zh_corpus(log: Callable[[str], None]) -> tuple[list[list[str]], str]:

    own = zh_training_sentences()
    text = f"the lab's {len(own)} built-in Chinese sentences (Simplified, hand-segmented)"
    if not has_module("opencc"):  # the Sinica sample is Traditional: without OpenCC it would not match the rest
        log("(sinica not used: converting it to Simplified needs OpenCC, from the Chinese extra)")
        return own, text
    try:
        sinica = list(forge.corpora.load("sinica"))

        table = {w: to_simplified(w) for w in {t for s in sinica for t in s}}
        sinica = [[table[t] for t in s] for s in sinica if len(s) > 1]
        text += f" + the Sinica Treebank sample ({len(sinica):,} sentences, converted to Simplified with OpenCC)"
        return own + sinica, text
    except ForgeError as exc:
        log(f"(sinica not used: {str(exc).split('.')[0]})")
        return own, text
