"""Figures: the helpers the probes' plots share (a CJK font, labels without one, encoder ticks) and a
probe's figure as PNG."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from forge.lab._probe import get_probe
from forge.lab._sentences import ZH_GLOSS

__all__ = ["cjk_font", "encoder_ticks", "plot_text", "render_figure"]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager  # lazy: matplotlib loads only when a figure is drawn

    for font in font_manager.fontManager.ttflist:
        if any(key in font.name for key in ("CJK", "WenQuanYi", "Hei", "Ming", "Song", "Kai", "Droid Sans Fallback")):
            return font.name
    return None


def plot_text(text: str) -> str:
    """``text`` for a figure label: as is when a CJK font is installed, else Chinese words glossed in English."""
    if not _has_cjk(text) or cjk_font() is not None:
        return text

    def gloss(run: str) -> str:  # greedy longest match over the glossary: 苹果派 -> <apple-pie>
        parts, i = [], 0
        while i < len(run):
            for j in range(len(run), i, -1):
                if run[i:j] in ZH_GLOSS:
                    parts.append(ZH_GLOSS[run[i:j]])
                    i = j
                    break
            else:
                parts.append("?")
                i += 1
        return "<" + "-".join(parts) + ">"

    return re.sub("[\u4e00-\u9fff]+", lambda m: gloss(m.group(0)), text)


def encoder_ticks(ax: Any, positions: Any, labels: Sequence[str], crowded: int = 8) -> None:
    """Encoder names under the bars: slanted when few, vertical when more than ``crowded`` (no overlap)."""
    if len(labels) > crowded:
        ax.set_xticks(positions, labels, rotation=90, fontsize=7)
    else:
        ax.set_xticks(positions, labels, rotation=30, ha="right", fontsize=8)


def render_figure(frame: Any, probe_name: str) -> bytes | None:
    """The probe's figure (drawn by its ``plot``) as PNG bytes; None when ``frame`` has no rows of it."""
    sub = frame[frame["dataset"] == probe_name]
    if sub.empty:
        return None

    import matplotlib  # lazy: matplotlib loads only when a figure is drawn
    from matplotlib.figure import Figure  # lazy: as above; no pyplot: no global backend state

    probe = get_probe(probe_name)
    font = cjk_font()
    rc: Any = {"font.family": ["DejaVu Sans", font]} if font else {}  # (matplotlib types keys as literals)
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(11, 4.4))
        probe.plot(sub.reset_index(drop=True), fig)
        fig.suptitle(f"Claim {probe.claim}: {probe.title}", fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")  # legends placed outside the axes
    return buf.getvalue()
