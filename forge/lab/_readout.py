"""Reading a probe's rows back for the report: one value, the encoders, a listing, the summary table.

The probes' ``summarize`` functions and the report's tables use these, so every
number the report states is read from the rows the probe measured.
"""

from __future__ import annotations

import math

import pandas as pd

from forge.lab._probe import get_probe

__all__ = ["encoders_in", "listing", "summary_table", "value"]


def value(frame: pd.DataFrame, enc: str, metric: str, section: str | None = None, field: str = "value") -> float:
    """``field`` of the first row of ``enc`` with ``metric`` (and ``section`` unless None); NaN when none."""
    sub = frame[(frame["encoder"] == enc) & (frame["metric"] == metric)]
    if section is not None:
        sub = sub[sub["section"] == section]
    return float(sub[field].iloc[0]) if len(sub) else float("nan")


def encoders_in(frame: pd.DataFrame) -> list[str]:
    """The encoders of ``frame``'s rows, in order of appearance."""
    return list(dict.fromkeys(frame["encoder"]))


def listing(pairs: list[tuple[str, float]], fmt: str = "{:.3g}") -> str:
    """``"a 0.5, b 0.25"`` from ``[(encoder, value), ...]`` (NaN values left out)."""
    return ", ".join(f"{e} {fmt.format(v)}" for e, v in pairs if not math.isnan(v))


def summary_table(frame: pd.DataFrame, probe: str) -> pd.DataFrame:
    """Encoders x the probe's columns (:attr:`forge.lab.Probe.columns`; a ``*`` section expands to one
    column per section)."""
    sub = frame[frame["dataset"] == probe]
    encoders = encoders_in(sub)
    cols: dict[str, list[float]] = {}
    for col in get_probe(probe).columns:
        if col.section and col.section.endswith("*"):
            prefix = col.section[:-1]
            secs = list(
                dict.fromkeys(sub[(sub["metric"] == col.metric) & sub["section"].str.startswith(prefix)]["section"])
            )
            for sec in secs:
                cols[f"{col.title} {sec.removeprefix(prefix)}"] = [
                    value(sub, e, col.metric, sec, col.field) for e in encoders
                ]
            continue
        cols[col.title] = [value(sub, e, col.metric, col.section, col.field) for e in encoders]
    table = pd.DataFrame(cols, index=encoders)
    table.index.name = "encoder"
    return table.dropna(axis=1, how="all").dropna(axis=0, how="all")
