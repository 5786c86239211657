"""Chinese support (the ``forge[zh]`` extra): jieba word segmentation, OpenCC script conversion."""

from __future__ import annotations

import importlib
import unicodedata
from functools import lru_cache
from types import ModuleType
from typing import Any

from forge.errors import ForgeError

__all__ = ["is_punctuation", "jieba_tokenize", "to_simplified", "to_traditional"]


def _need(module: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ForgeError(
            f"Chinese support needs the {package!r} package: pip install 'foundations-forge[zh]'."
        ) from None


def jieba_tokenize(text: str, keep_punctuation: bool = False) -> list[str]:
    """Segment Chinese text with jieba (accurate mode); whitespace-only pieces are dropped.

    Parameters
    ----------
    text : str
        The text to segment.
    keep_punctuation : bool, default False
        Keep pieces made only of punctuation and symbols (Unicode categories
        P* and S*, e.g. ``，`` ``。`` ``《`` ``》`` ``…``). Dropped by default,
        so that they do not become vocabulary words and neighbours. The
        registered ``"jieba"`` tokenizer uses the default; for the other
        behaviour pass ``functools.partial(jieba_tokenize, keep_punctuation=True)``
        as the tokenizer.

    Examples
    --------
    >>> jieba_tokenize("我打你。")
    ['我', '打', '你']
    >>> jieba_tokenize("我打你。", keep_punctuation=True)
    ['我', '打', '你', '。']
    """
    jieba = _need("jieba", "jieba")
    jieba.setLogLevel(60)  # silence its start-up banner
    return [t for t in jieba.lcut(text) if t.strip() and (keep_punctuation or not is_punctuation(t))]


def is_punctuation(token: str) -> bool:
    """Whether ``token`` consists only of punctuation, symbols and spaces (Unicode P*, S*, Z*).

    Examples
    --------
    >>> is_punctuation("，"), is_punctuation("……"), is_punctuation("你好"), is_punctuation("3.5")
    (True, True, False, False)
    """
    return all(unicodedata.category(c)[0] in "PSZ" for c in token)


@lru_cache(maxsize=2)
def _converter(config: str) -> Any:  # an opencc.OpenCC (untyped)
    opencc = _need("opencc", "opencc-python-reimplemented")
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC ``t2s``)."""
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified -> Traditional Chinese (OpenCC ``s2t``)."""
    return _converter("s2t").convert(text)
