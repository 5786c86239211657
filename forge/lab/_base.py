"""What a probe is, the probe registry, and the helpers every probe shares.

A :class:`Probe` measures one claim of the story on *one* encoder through the
common interface only (``vocabulary``, ``__contains__``, ``vector``,
``embed``, ``dim``, ``tags``, ``get_params``), so it runs on any registered
encoder, plugins included. It returns metric rows in the harness's tidy
format (:data:`forge.bench._report.COLUMNS`, ``kind="probe"``) plus notes
(text such as nearest neighbours), and knows how to draw its figure from
those rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forge._catalogue import Registry
from forge.errors import BadInputError

__all__ = ["Probe", "ProbeOptions", "ProbeOutcome", "register_probe", "get_probe", "list_probes", "row",
           "dense", "mean_pool", "covered", "cosine_distance", "encoder_language", "one_thread"]

KIND = "probe"


@dataclass
class ProbeOptions:
    """Settings shared by the probes.

    ``sentences`` are extra sentences (e.g. sampled from the training corpus) for the probes that
    measure over many sentences; ``quick`` makes the slow probes (memory, speed) smaller.
    """
    seed: int = 0
    quick: bool = False
    sentences: list[list[str]] | None = None
    device: str = "cpu"
    benchmarks: bool = True                   # also run the related benchmark datasets when available
    steps: int | None = None                  # training steps of the long-range probe's models (None: its default)


@dataclass
class ProbeOutcome:
    """Rows (dicts with ``metric``, ``section``, ``value``, ...) and free-text notes for one encoder."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Probe:
    """One claim of the story as a measurement (see the module docstring)."""
    name: str
    claim: int
    title: str
    claim_text: str
    measure: Callable[[Any, ProbeOptions], ProbeOutcome]
    plot: Callable[[Any, Any], None]          # (rows of this probe as a DataFrame, matplotlib Figure)
    method: str = ""                          # how the measurement is made, for the report
    # the verdict rule (forge.lab._verdict): in words, and as a function of (this probe's rows,
    # {encoder: encoder_kind(...)}) -> (verdict, evidence read from the rows)
    rule: str = ""
    judge: Callable[[Any, dict[str, dict[str, Any]]], tuple[str, str]] | None = None


def _validate(name: str, probe: Any, where: str) -> Any:
    if not isinstance(probe, Probe):
        raise BadInputError(f"{where} must be a forge.lab.Probe, got {probe!r}.")
    return probe


_PROBES = Registry("probe", validate=_validate)


def register_probe(probe: Probe, *, overwrite: bool = False) -> Probe:
    """Register ``probe`` under ``probe.name``; it also becomes a benchmark task of that name.

    forge's own probes reach ``forge.bench`` through the ``forge.tasks`` entry points of forge's
    ``pyproject.toml`` (so the harness knows them without importing the lab); any probe not declared
    there (a user's, or one added to the lab but not yet to the entry points) is registered into the
    harness here, so ``forge.bench.run(encoders, [probe.name])`` runs it too.
    """
    from forge.bench import list_tasks, register_task
    from forge.lab._bench import ProbeTask
    builtin = getattr(probe.measure, "__module__", "").startswith("forge.lab.")
    _PROBES.register(probe.name, probe, overwrite=overwrite, builtin=builtin)
    if not builtin or probe.name not in list_tasks():
        register_task(probe.name, ProbeTask(probe.name), overwrite=overwrite)
    return probe


def _load_all() -> None:
    # the probe modules register themselves on import
    from forge.lab import (_probe_context, _probe_memory, _probe_onehot, _probe_order,  # noqa: F401
                           _probe_speed, _probe_static)


def list_probes() -> dict[str, str]:
    """``{name: title}`` of the probes, in claim order.

    Examples
    --------
    >>> from forge.lab import list_probes
    >>> list(list_probes())[:2]
    ['probe-onehot', 'probe-static-similarity']
    """
    _load_all()
    probes = [_PROBES.get(name) for name in _PROBES]
    return {p.name: p.title for p in sorted(probes, key=lambda p: (p.claim, p.name))}


def get_probe(name: str) -> Probe:
    _load_all()
    return _PROBES.get(name)


# ------------------------------------------------------------------ helpers
def row(metric: str, value: float, *, section: str = "", n: int = 0, main: bool = False, language: str = "",
        ci: tuple[float, float] = (float("nan"), float("nan"))) -> dict[str, Any]:
    """One metric row (the encoder and dataset columns are added by the runner)."""
    return {"kind": KIND, "language": language, "metric": metric, "section": section, "value": float(value),
            "ci_low": float(ci[0]), "ci_high": float(ci[1]), "n": int(n), "main": bool(main)}


def dense(x: Any) -> np.ndarray:
    """A float64 ndarray from a dense array or a SciPy sparse matrix."""
    if hasattr(x, "toarray"):
        return np.asarray(x.toarray(), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def mean_pool(rows: Any) -> np.ndarray:
    """Mean of a sentence's token vectors, computed with a correctly rounded sum (``math.fsum``).

    The exact sum does not depend on the order of the rows, so two orderings of the same
    multiset of vectors give bit-identical means: any difference left is in the vectors,
    not in floating-point summation order.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1e-8, 1.0], [1.0, 3.0], [0.1, -2.0]])
    >>> bool(np.array_equal(mean_pool(a), mean_pool(a[::-1])))
    True
    """
    if hasattr(rows, "tocoo"):             # sparse (one-hot): exact sums over the stored entries only
        coo = rows.tocoo()
        out = np.zeros(coo.shape[1])
        order = np.argsort(coo.col, kind="stable")
        cols, vals = coo.col[order], np.asarray(coo.data, dtype=np.float64)[order]
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]]) if len(cols) else np.array([], dtype=int)
        for a, b in zip(starts, np.r_[starts[1:], len(cols)]):
            out[cols[a]] = math.fsum(vals[a:b])
        return out / max(1, coo.shape[0])
    mat = dense(rows)
    if mat.shape[0] == 0:
        return np.zeros(mat.shape[1])
    return np.array([math.fsum(col) for col in mat.T]) / mat.shape[0]


def vocabulary_sentences(encoder: Any, n: int, length: int, seed: int) -> list[list[str]]:
    """``n`` random sequences of ``length`` distinct frequent vocabulary words (a fallback when no example
    sentence is fully in the vocabulary; the order probes need no grammar)."""
    words = [w for w in list(encoder.vocabulary)[:500] if not (w.startswith("<") and w.endswith(">"))]
    if len(words) < length + 1:
        return []
    rng = np.random.default_rng(seed)
    return [[words[i] for i in rng.choice(len(words), length, replace=False)] for _ in range(n)]


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - cos(a, b)``; 0 for two zero vectors, 1 when only one is zero."""
    if np.array_equal(a, b):
        return 0.0     # identical vectors: exactly 0, not 1 - (a rounded cos of 1)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 1.0
    return float(max(0.0, 1.0 - float(np.dot(a, b)) / (na * nb)))


def covered(encoder: Any, tokens: Iterable[str]) -> bool:
    """True when every token is in the encoder's vocabulary (OOV policies are not relied on)."""
    return all(t in encoder for t in tokens)


def encoder_language(encoder: Any) -> str:
    """"zh" when the vocabulary is mostly CJK among its frequent words, else "en"."""
    words = [w for w in list(encoder.vocabulary)[:200] if not w.startswith("<")]
    cjk = sum(any("\u4e00" <= ch <= "\u9fff" for ch in w) for w in words)
    return "zh" if words and cjk >= len(words) / 2 else "en"


def adapt_script(encoder: Any, tokens: Sequence[str]) -> list[str]:
    """Chinese tokens in the script the encoder knows (Traditional when it has 蘋果 but not 苹果)."""
    if any("\u4e00" <= ch <= "\u9fff" for t in tokens for ch in t) and not covered(encoder, tokens):
        try:
            from forge.corpora._zh import to_traditional
        except ImportError:  # pragma: no cover - the module itself imports nothing optional
            return list(tokens)
        try:
            trad = [to_traditional(t) for t in tokens]
        except Exception:  # opencc absent: keep the Simplified tokens
            return list(tokens)
        if covered(encoder, trad):
            return trad
    return list(tokens)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager
    for font in font_manager.fontManager.ttflist:
        if any(key in font.name for key in ("CJK", "WenQuanYi", "Hei", "Ming", "Song", "Kai", "Droid Sans Fallback")):
            return font.name
    return None


def plot_text(text: str) -> str:
    """``text`` for a figure label: as is when a CJK font is installed, else Chinese words glossed in English."""
    if not _has_cjk(text) or cjk_font() is not None:
        return text
    import re

    from forge.lab._sentences import ZH_GLOSS
    def gloss(run: str) -> str:     # greedy longest match over the glossary: 苹果派 -> <apple-pie>
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


class one_thread:
    """Run torch on one CPU thread inside the block (restored after): on a shared machine, timings
    with several threads mostly measure the other processes."""

    def __enter__(self):
        try:
            import torch
        except ImportError:        # encoders without torch: nothing to pin
            self.torch = None
            return self
        self.torch, self.before = torch, torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.torch is not None:
            self.torch.set_num_threads(self.before)


def check_encoder(encoder: Any) -> None:
    if not getattr(encoder, "is_fitted", True):
        raise BadInputError(f"{type(encoder).__name__} is not fitted: probes need a fitted encoder "
                            f"(call .fit(corpus) or forge.load(path) first).")
