"""What an encoder knows, for the probes: coverage, its language and script, fallback sentences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from forge.corpora import to_traditional

__all__ = ["adapt_script", "covered", "encoder_language", "vocabulary_sentences"]


def vocabulary_sentences(encoder: Any, n: int, length: int, seed: int) -> list[list[str]]:
    """``n`` random sequences of ``length`` distinct frequent vocabulary words (a fallback when no example
    sentence is fully in the vocabulary; the order probes need no grammar)."""
    words = [w for w in list(encoder.vocabulary)[:500] if not (w.startswith("<") and w.endswith(">"))]
    if len(words) < length + 1:
        return []
    rng = np.random.default_rng(seed)
    return [[words[i] for i in rng.choice(len(words), length, replace=False)] for _ in range(n)]


def covered(encoder: Any, tokens: Iterable[str]) -> bool:
    """True when every token is in the encoder's vocabulary (OOV policies are not relied on)."""
    return all(t in encoder for t in tokens)


def encoder_language(encoder: Any) -> str:
    """ "zh" when the vocabulary is mostly CJK among its frequent words, else "en"."""
    words = [w for w in list(encoder.vocabulary)[:200] if not w.startswith("<")]
    cjk = sum(any("\u4e00" <= ch <= "\u9fff" for ch in w) for w in words)
    return "zh" if words and cjk >= len(words) / 2 else "en"


def adapt_script(encoder: Any, tokens: Sequence[str]) -> list[str]:
    """Chinese tokens in the script the encoder knows (Traditional when it has 蘋果 but not 苹果)."""
    if any("\u4e00" <= ch <= "\u9fff" for t in tokens for ch in t) and not covered(encoder, tokens):
        try:
            trad = [to_traditional(t) for t in tokens]
        except Exception:  # opencc absent: keep the Simplified tokens
            return list(tokens)
        if covered(encoder, trad):
            return trad
    return list(tokens)
