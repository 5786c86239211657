"""Chinese support (the ``forge[zh]`` extra): jieba word segmentation, OpenCC script conversion."""

from __future__ import annotations

from functools import lru_cache

from forge.errors import ForgeError

__all__ = ["jieba_tokenize", "to_simplified", "to_traditional"]


def _need(module: str, package: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ForgeError(f"Chinese support needs the {package!r} package: pip install 'foundations-forge[zh]'.") from None


def jieba_tokenize(text: str) -> list[str]:
    """Segment Chinese text with jieba (accurate mode); whitespace-only pieces are dropped.

    Examples
    --------
    >>> jieba_tokenize("我打你")
    ['我', '打', '你']
    """
    jieba = _need("jieba", "jieba")
    jieba.setLogLevel(60)  # silence its start-up banner
    return [t for t in jieba.lcut(text) if t.strip()]


@lru_cache(maxsize=2)
def _converter(config: str):
    opencc = _need("opencc", "opencc-python-reimplemented")
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC ``t2s``)."""
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified -> Traditional Chinese (OpenCC ``s2t``)."""
    return _converter("s2t").convert(text)
