"""Optional packages the lab uses when present: what each one adds, and what is skipped without it.

The lab never stops for a missing optional package (issue 19): it runs the rest, says on the terminal
and in the report which parts were skipped, and how to get them.

============================  =========================  ===============================================
package                       extra                      skipped without it
============================  =========================  ===============================================
opencc-python-reimplemented   ``foundations-forge[zh]``  the Sinica sample (Traditional) in the Chinese
                                                         training text, the Traditional-script benchmark
                                                         sets, Traditional lookups in the probes
jieba                         ``foundations-forge[zh]``  claim 6's note on how jieba segments 苹果派
numba                         ``foundations-forge[fast]`` nothing: analogies take the numpy path (slower)
a CJK font (matplotlib)       a system package           Chinese words in figure labels (glossed instead)
============================  =========================  ===============================================
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from forge.lab._plotting import cjk_font

__all__ = ["EXTRAS", "Extra", "has_module", "missing_extras", "skipped_lines"]

ZH = 'pip install "foundations-forge[zh]"'


@dataclass(frozen=True)
class Extra:
    """One optional dependency of the lab: how to test for it, what it adds, how to install it."""

    name: str  # what the user installs (the pip name, or "a CJK font")
    module: str | None  # importable module that proves it is there (None: checked by ``present``)
    skipped: str  # what the lab leaves out (or does differently) without it
    install: str  # how to get it

    def present(self) -> bool:
        if self.module is None:  # the CJK font: asked of matplotlib's font list
            return cjk_font() is not None
        return has_module(self.module)

    def line(self) -> str:
        """One sentence for the terminal and the report."""
        return f"{self.name} is not installed: {self.skipped} (to get it: {self.install})."


EXTRAS: tuple[Extra, ...] = (
    Extra(
        "opencc-python-reimplemented",
        "opencc",
        "skipped the Sinica Treebank sample in the Chinese training text (it is Traditional Chinese and needs "
        "converting), the Traditional-script Chinese benchmark sets, and Traditional-script lookups in the probes",
        ZH,
    ),
    Extra("jieba", "jieba", "skipped claim 6's note on how jieba segments 苹果派 and 苹果手机", ZH),
    Extra(
        "numba",
        "numba",
        "analogies ran on the numpy path instead of the fused kernel (the same answers, slower)",
        'pip install "foundations-forge[fast]"',
    ),
    Extra(
        "a CJK font",
        None,
        "Chinese words in figure labels are glossed in English (the report's text keeps the Chinese)",
        "install a font with Chinese glyphs, e.g. `apt install fonts-noto-cjk`, then delete matplotlib's font cache",
    ),
)


def has_module(module: str) -> bool:
    """Whether ``module`` imports (False when it is absent, broken, or blocked with ``sys.modules[m] = None``)."""
    try:
        importlib.import_module(module)
    except Exception:  # ImportError, or whatever a broken install raises on import
        return False
    return True


def missing_extras() -> list[Extra]:
    """The optional packages of :data:`EXTRAS` that are not usable here, in table order."""
    return [e for e in EXTRAS if not e.present()]


def skipped_lines() -> list[str]:
    """One sentence per missing optional package: what the lab skipped, and how to get it."""
    return [e.line() for e in missing_extras()]
