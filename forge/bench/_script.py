"""Simplified vs Traditional Chinese: which script a word list is written in, and a warning when a
model's vocabulary and a dataset's words use different ones (coverage collapses; OpenCC fixes it).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from forge.corpora import to_simplified, to_traditional

__all__ = ["ScriptMismatchWarning", "check_scripts", "chinese_script", "dataset_words"]

SAMPLE = 1500  # words looked at per side (OpenCC's pure-Python converter: a few ms per 100 words)


class ScriptMismatchWarning(UserWarning):
    """A model's vocabulary and a dataset are written in different Chinese scripts."""


def _cjk(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def chinese_script(words: Iterable[str], sample: int = SAMPLE) -> str | None:
    """ "simplified", "traditional", or None (too few Chinese words, or no clear majority).

    A word is Traditional when OpenCC's ``t2s`` changes it and Simplified when ``s2t`` does; words
    written the same in both scripts (most of them) do not count. None also when OpenCC is absent.

    Examples
    --------
    >>> chinese_script(["蘋果", "電腦", "學習", "人"]), chinese_script(["苹果", "电脑", "学习"]), chinese_script(["cat"])
    ('traditional', 'simplified', None)
    """
    cjk = [w for w in words if _cjk(w)][:sample]
    if len(cjk) < 2:
        return None
    try:
        simp = sum(to_traditional(w) != w for w in cjk)  # has characters that only Simplified writes so
        trad = sum(to_simplified(w) != w for w in cjk)
    except Exception:  # opencc is an optional extra: no verdict without it
        return None
    if max(simp, trad) < 2 or (simp and trad and max(simp, trad) < 3 * min(simp, trad)):
        return None
    return "simplified" if simp > trad else "traditional"


def dataset_words(data: Any) -> list[str]:
    """The words a dataset asks about (pairs: both columns; analogies: a, b, c; contexts: the targets)."""
    if hasattr(data, "a"):
        return list(data.a) + list(data.b) + list(data.c)
    return list(getattr(data, "word1", [])) + list(getattr(data, "word2", []))


FIX = {
    ("simplified", "traditional"): ("t2s", "to_simplified"),
    ("traditional", "simplified"): ("s2t", "to_traditional"),
}


def check_scripts(
    encoder_name: str, vocab_script: str | None, dataset_name: str, data: Any, coverage: float | None = None
) -> str | None:
    """Warn (:class:`ScriptMismatchWarning`) and return the note when the scripts differ, else None.

    ``vocab_script`` is :func:`chinese_script` of the model's vocabulary (computed once per model).
    """
    if vocab_script is None:
        return None
    data_script = chinese_script(dataset_words(data))
    if data_script is None or data_script == vocab_script:
        return None
    config, function = FIX[(vocab_script, data_script)]
    cov = f" (coverage {coverage:.0%})" if coverage is not None else ""
    note = (
        f"{encoder_name!r} has a {vocab_script.title()} Chinese vocabulary but {dataset_name!r} is written in "
        f"{data_script.title()}{cov}: convert the dataset with OpenCC '{config}' (forge bench --transform "
        f"{config}; in Python forge.bench.run(..., transform=forge.corpora.{function}), as the lab does), or "
        f"train on {data_script.title()} text."
    )
    warnings.warn(note, ScriptMismatchWarning, stacklevel=3)
    return note
