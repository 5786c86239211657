"""A report's score table as people read it: marks for thin evidence, ``n/a [k]`` with a note for NaN.

The console (``forge bench``, ``forge report``), the Markdown page and the HTML
page all show :func:`score_table`, so a score over two items never prints as a
plain 1.0 in one place and with its warning in another, and a NaN score always
comes with the reason the task gave (:func:`score_notes`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LEGEND", "LOW_COVERAGE", "MIN_ITEMS", "NO_SCORE", "WARN", "note_lines", "score_notes", "score_table"]

MIN_ITEMS = 10  # a main score over fewer items is shown with WARN and its n, never as a plain number
LOW_COVERAGE = 0.5  # coverage below this is flagged with WARN in the tables
WARN = "\u26a0"
NO_SCORE = "n/a"  # a NaN main score in the tables, followed by the number of the note that says why
LEGEND = (
    f"{WARN} before a score: fewer than {MIN_ITEMS} items were scored (n given), too few to trust; "
    f"{WARN} after a coverage: the encoder covers less than {LOW_COVERAGE:.0%} of the dataset; "
    f"{NO_SCORE} [k]: no score (NaN), note k below the table says why."
)


def score_notes(report: Any) -> dict[tuple[str, str], str]:
    """Why each NaN main score of ``report`` is NaN (see :meth:`forge.bench.Report.score_notes`)."""
    errors = report.protocol.get("errors", {})
    rows = report.main_scores()
    out: dict[tuple[str, str], str] = {}
    for ds in report.datasets:
        for enc in report.encoders:
            r = rows[(rows["dataset"] == ds) & (rows["encoder"] == enc)]
            if not len(r) or np.isfinite(float(r["value"].iloc[0])):
                continue
            cov = float(r["coverage"].iloc[0])
            where = f"{enc} on {ds}" + (f" (coverage {_pct(cov)})" if np.isfinite(cov) else "")
            out[(enc, ds)] = f"{where}: {errors.get(f'{enc}/{ds}') or 'no score (NaN)'}"
    return out


def note_lines(report: Any) -> list[str]:
    """The numbered notes of the NaN scores (``[k] encoder on dataset (coverage): why``)."""
    return [f"[{k}] {note}" for k, note in enumerate(score_notes(report).values(), start=1)]


def score_table(report: Any, ci: bool = True) -> pd.DataFrame:
    """Datasets x encoders table of the main scores as text (see :meth:`forge.bench.Report.score_table`)."""
    rows = report.main_scores()
    numbers = {key: k for k, key in enumerate(score_notes(report), start=1)}
    table: dict[str, dict[str, str]] = {}
    for _, r in rows.iterrows():
        if not np.isfinite(r["value"]):
            cell = f"{NO_SCORE} [{numbers[(r['encoder'], r['dataset'])]}]"
        else:
            cell = fmt(r["value"])
            if ci and np.isfinite(r["ci_low"]):
                cell += f" [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
            if pd.notna(r["n"]) and r["n"] < MIN_ITEMS:
                cell = f"{WARN} {cell} (n={int(r['n'])})"  # too few items to stand behind the number
        table.setdefault(r["dataset"], {})[r["encoder"]] = cell
    meta = rows.drop_duplicates("dataset").set_index("dataset")
    out = pd.DataFrame(table).T.reindex(columns=report.encoders)
    out.insert(0, "metric", meta["metric"])
    out.insert(0, "kind", meta["kind"])
    cov = rows.pivot_table(index="dataset", columns="encoder", values="coverage", aggfunc="first")
    out["coverage"] = [
        ", ".join(
            _pct(cov.loc[d, e]) + (f" {WARN}" if cov.loc[d, e] < LOW_COVERAGE else "")
            for e in report.encoders
            if d in cov.index and e in cov.columns and np.isfinite(cov.loc[d, e])
        )
        for d in out.index
    ]
    out.index.name = "dataset"
    return out


def uncovered(report: Any) -> list[str]:
    """Datasets no encoder of ``report`` covers at all (see :meth:`forge.bench.Report.uncovered`)."""
    main = report.main_scores()
    value, cov = main["value"].to_numpy(float), main["coverage"].to_numpy(float)
    seen = set(main.loc[np.isfinite(value) | (np.isfinite(cov) & (cov > 0)), "dataset"])
    return [d for d in dict.fromkeys(main["dataset"]) if d not in seen]


def num(x: Any) -> float:
    """A JSON number (None for NaN) as a float."""
    return float("nan") if x is None else float(x)


def _pct(x: float) -> str:
    """A coverage as a percentage; one decimal below 1% so that a few covered items never read as 0%.

    >>> _pct(0.0), _pct(0.00005), _pct(0.001), _pct(0.85)
    ('0%', '<0.1%', '0.1%', '85%')
    """
    if 0 < x < 0.001:
        return "<0.1%"
    return f"{x:.1%}" if 0 < x < 0.01 else f"{x:.0%}"


def fmt(x: float) -> str:
    """A score with 3 decimals (``nan`` for NaN)."""
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"
