"""A report's charts: one bar chart with 95% error bars per (task kind, metric), as PNG.

Datasets no encoder covers are left out (the pages list them); a NaN score is
an empty slot marked ``n/a``; a metric whose task kind declares a chance level
(:attr:`forge.bench.DatasetTask.chance`, e.g. WiC's 0.5) gets a dashed line there.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from forge.bench._report_tables import uncovered
from forge.bench._tasks import _KINDS

__all__ = ["chart_figure", "chart_groups", "charts"]


def chance(kind: str, metric: str) -> float | None:
    """The score of guessing on ``metric`` of task kind ``kind`` (``DatasetTask.chance``), if it declares one."""

    if kind not in _KINDS:
        return None
    return _KINDS.get(kind).chance.get(metric)


def chart_groups(report: Any) -> dict[str, pd.DataFrame]:
    """Main rows per chart: one chart per (kind, metric), so that every y-axis shows one metric."""
    main = report.main_scores()
    main = main[~main["dataset"].isin(uncovered(report))]
    groups = {}
    for kind in dict.fromkeys(main["kind"]):
        sub = main[main["kind"] == kind]
        metrics = list(dict.fromkeys(sub["metric"]))
        for metric in metrics:
            groups[kind if len(metrics) == 1 else f"{kind}_{metric}"] = sub[sub["metric"] == metric]
    return groups


def chart_figure(sub: pd.DataFrame) -> Any:
    """The bar chart (a matplotlib ``Figure``) of one group of main rows (one kind, one metric)."""
    from matplotlib.figure import (
        Figure,  # lazy: matplotlib only when a chart is drawn (no pyplot: no global backend state)
    )

    kind, metric = sub["kind"].iloc[0], sub["metric"].iloc[0]
    datasets, encoders = list(dict.fromkeys(sub["dataset"])), list(dict.fromkeys(sub["encoder"]))
    # at most 13 in (1170 px at 90 dpi); the page scales it down further (max-width: 100%)
    fig = Figure(figsize=(min(13.0, max(5.0, 0.9 * len(datasets) * max(1, len(encoders)) ** 0.5 + 2)), 3.6))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(encoders))
    for j, enc in enumerate(encoders):
        part = sub[sub["encoder"] == enc].set_index("dataset").reindex(datasets)
        vals = part["value"].to_numpy(float)
        err = np.vstack([vals - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - vals])
        err = np.where(np.isfinite(err), np.abs(err), 0.0)
        xs = np.arange(len(datasets)) + j * width - 0.4 + width / 2
        ax.bar(xs, np.nan_to_num(vals), width, yerr=err, capsize=2, label=enc)
        for x, v in zip(xs, vals):
            if not np.isfinite(v):  # this encoder has no score here (see the table's notes)
                ax.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=6, rotation=90, color="grey")
    ax.set_xticks(np.arange(len(datasets)), datasets, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(f"{kind}: {metric} (95% CI)")
    ax.axhline(0, color="black", linewidth=0.5)
    level = chance(kind, metric)
    if level is not None:  # e.g. WiC: 0.5, what guessing scores
        ax.axhline(level, color="grey", linestyle="--", linewidth=1, label=f"chance ({level:g})")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never over a bar
    fig.tight_layout()
    return fig


def charts(report: Any) -> dict[str, bytes]:
    """``{chart key: PNG bytes}`` of every chart group of ``report``."""
    out = {}
    for key, sub in chart_groups(report).items():
        buf = io.BytesIO()
        chart_figure(sub).savefig(buf, format="png", dpi=90, bbox_inches="tight")
        out[key] = buf.getvalue()
    return out
