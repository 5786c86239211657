"""What a task returns: metric rows plus per-item outputs for paired comparisons; the columns of a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["COLUMNS", "TaskResult", "metric_row"]

# the columns of a report's tidy frame (one row per encoder, dataset, metric, section; see forge.bench.Report)
COLUMNS = [
    "encoder",
    "dataset",
    "kind",
    "language",
    "metric",
    "section",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "n_total",
    "coverage",
    "main",
]


def metric_row(
    metric: str,
    value: float,
    ci: tuple[float, float] = (float("nan"), float("nan")),
    n: int = 0,
    main: bool = False,
    section: str = "",
) -> dict[str, Any]:
    """One metric row of a :class:`TaskResult` (``ci`` is the 95% interval; ``main`` marks the headline score).

    >>> metric_row("spearman", 0.5, n=10, main=True)["main"]
    True
    """
    return {
        "metric": metric,
        "section": section,
        "value": float(value),
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "n": int(n),
        "main": bool(main),
    }


@dataclass
class TaskResult:
    """Rows of metrics, plus ``items``: per-item arrays (gold, predictions, correctness; NaN = not scored).

    ``notes`` say why a value is NaN or what was left out; :func:`forge.bench.run` copies them into
    ``report.protocol["errors"]``.
    """

    rows: list[dict[str, Any]]
    items: dict[str, np.ndarray] = field(default_factory=dict)
    n_total: int = 0
    n_covered: int = 0
    notes: list[str] = field(default_factory=list)  # why a value is NaN, what was left out (-> protocol["errors"])

    @property
    def coverage(self) -> float:
        return self.n_covered / self.n_total if self.n_total else 0.0

    def main(self) -> dict[str, Any]:
        return next(r for r in self.rows if r["main"])
