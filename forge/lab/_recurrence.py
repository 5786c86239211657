"""The report's last section, "Do we need recurrence?": one measured table and a verdict computed from it.

Each row of the table puts the best attention encoder next to the best recurrent one on one measure,
read from numbers that were measured, never typed:

* from the lab's own rows (claims 8 and 9): recall against distance, sequential steps and time of one
  layer against length (CPU, and CUDA where measured), parameters and training tokens/s of the lab's
  trained encoders;
* from the benchmark result files when they exist (``benchmarks/results/`` of a source checkout, or the
  folder named by ``FORGE_RESULTS_DIR``): PTB test perplexity at equal parameters and equal time
  (``ptb_transformer_vs_lstm.csv``), SCWS and WiC (``attention_contextual_quality.csv``), training
  tokens/s at equal parameters (``attention_throughput.csv``).

A row whose numbers are missing is left out and the section says which files it looked for.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forge.bench import html_table, markdown_table
from forge.lab._readout import encoders_in, value

__all__ = ["Comparison", "comparisons", "families", "recurrence_verdict", "results_dir", "write_section"]

PROBE = "probe-attention"
STEPS_FLAT = 0.25  # growth exponent of the sequential steps below which a layer computes all positions at once


def families(frame: pd.DataFrame) -> dict[str, str]:
    """``{encoder: "attention" | "recurrent"}`` read from claim 9's rows: an encoder whose chain of dependent
    operations does not grow with length (exponent below ``STEPS_FLAT``) is an attention one."""
    out = {}
    for enc in encoders_in(frame):
        exp = value(frame, enc, "growth_exponent_steps")
        if not math.isnan(exp):
            out[enc] = "attention" if exp < STEPS_FLAT else "recurrent"
    return out


@dataclass(frozen=True)
class Comparison:
    """One measure: the attention side, the recurrent side, and which is better (by ``higher``)."""

    measure: str
    attention: str
    attention_value: float
    recurrent: str
    recurrent_value: float
    higher: bool | None  # True: a higher value is better; None: shown, not a contest (e.g. parameters)
    source: str

    @property
    def winner(self) -> str:
        """``"attention"``, ``"recurrence"``, ``"tie"`` (equal to 2%, or a missing number) or ``"-"`` (no contest)."""
        if self.higher is None:
            return "-"
        a, r = self.attention_value, self.recurrent_value
        if not (math.isfinite(a) and math.isfinite(r)) or abs(a - r) <= 0.02 * max(abs(a), abs(r)):
            return "tie"
        return "attention" if (a > r) == self.higher else "recurrence"


def results_dir() -> Path | None:
    """Where benchmark result files are read: ``FORGE_RESULTS_DIR``, else a source checkout's
    ``benchmarks/results``, else None."""
    env = os.environ.get("FORGE_RESULTS_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
    return here if here.is_dir() else None


def _read(folder: Path | None, name: str) -> pd.DataFrame | None:
    if folder is None or not (folder / name).is_file():
        return None
    try:
        return pd.read_csv(folder / name)
    except (OSError, ValueError):
        return None


def _lab_rows(frame: pd.DataFrame) -> list[Comparison]:
    """Recall at the longest distance, steps and time at the longest length, parameters, tokens/s."""
    sub = frame[frame["dataset"] == PROBE]
    if sub.empty:
        return []
    fams = families(sub)
    att = [e for e, f in fams.items() if f == "attention"]
    rec = [e for e, f in fams.items() if f == "recurrent"]
    if not att or not rec:
        return []
    out = []

    def best(encs: list[str], metric: str, section: str | None, higher: bool | None) -> tuple[str, float]:
        vals = [(e, value(sub, e, metric, section)) for e in encs]
        vals = [(e, v) for e, v in vals if math.isfinite(v)]
        if not vals:
            return "", float("nan")
        return max(vals, key=lambda p: p[1] if higher else -p[1])

    def add(measure: str, metric: str, section: str | None, higher: bool | None, source: str) -> None:
        (ea, va), (er, vr) = (
            best(att, metric, section, higher is not False),
            best(rec, metric, section, higher is not False),
        )
        if ea and er:
            out.append(Comparison(measure, ea, va, er, vr, higher, source))

    recall = sub[sub["metric"] == "recall_accuracy"]["section"]
    gaps = sorted({int(s.split()[-1]) for s in recall})
    for gap in gaps[:1] + gaps[-1:]:
        add(f"recall, key {gap} positions back", "recall_accuracy", f"gap {gap}", True, "lab, claim 9")
    steps = sub[sub["metric"] == "sequential_steps"]["section"]
    lengths = sorted({int(s.split()[-1]) for s in steps})
    if lengths:
        add(
            f"sequential steps, length {lengths[-1]}",
            "sequential_steps",
            f"length {lengths[-1]}",
            False,
            "lab, claim 9",
        )
    for device in ("cpu", "cuda"):
        timed = sub[(sub["metric"] == "ms_per_batch_layer") & sub["section"].str.startswith(device + " ")]["section"]
        lens = sorted({int(s.split()[-1]) for s in timed})
        for length in lens[:1] + lens[-1:]:
            add(
                f"ms per layer forward, length {length} ({device})",
                "ms_per_batch_layer",
                f"{device} length {length}",
                False,
                "lab, claim 9",
            )
    add("parameters (lab models, the largest of each family)", "parameters", None, None, "lab, claim 9")
    add("training tokens/s (lab models, CPU)", "train_tokens_per_s", None, True, "lab, claim 9")
    return out


def _ptb_rows(table: pd.DataFrame | None) -> list[Comparison]:
    if table is None or not {"encoder", "device", "test_ppl"} <= set(table.columns):
        return []
    out = []
    for device, part in table.groupby("device", sort=False):
        last = part.groupby("encoder").tail(1).set_index("encoder")  # the latest run of each encoder
        if "transformer" in last.index and "lstm" in last.index:
            t, l_ = last.loc["transformer"], last.loc["lstm"]
            budget = f"{t.get('minutes_used', float('nan')):.1f} vs {l_.get('minutes_used', float('nan')):.1f} min"
            out.append(
                Comparison(
                    f"PTB test perplexity ({device}, {budget}, {int(t['parameters']):,} vs {int(l_['parameters']):,} "
                    "parameters)",
                    "transformer",
                    float(t["test_ppl"]),
                    "lstm",
                    float(l_["test_ppl"]),
                    False,
                    "ptb_transformer_vs_lstm.csv",
                )
            )
    return out


DEV_RULE = "wic dev split"  # attention_contextual_quality.csv: settings chosen on WiC's dev split


def _context_rows(table: pd.DataFrame | None) -> list[Comparison]:
    if table is None or "encoder" not in table.columns:
        return []
    scores = table[table.get("kind", pd.Series("score", index=table.index)).astype(str) == "score"]
    if "rule" in scores.columns and (scores["rule"] == DEV_RULE).any():  # one row per encoder: the dev-fitted choice
        scores = scores[scores["rule"] == DEV_RULE]
    out = []
    for dataset, metric in (("scws", "spearman"), ("wic", "accuracy_test")):
        part = scores[(scores["dataset"] == dataset) & (scores["metric"] == metric)].set_index("encoder")["value"]
        att = {e: float(v) for e, v in part.items() if "transformer" in str(e)}
        rec = {e: float(v) for e, v in part.items() if "lstm" in str(e) or "rnn" in str(e)}
        if att and rec:
            ea, er = max(att, key=att.__getitem__), max(rec, key=rec.__getitem__)
            out.append(
                Comparison(
                    f"{dataset.upper()} ({metric})", ea, att[ea], er, rec[er], True, "attention_contextual_quality.csv"
                )
            )
    return out


def _throughput_rows(table: pd.DataFrame | None) -> list[Comparison]:
    if table is None or not {"model", "side", "device", "tokens_per_s"} <= set(table.columns):
        return []
    out = []
    forge_side = table[table["side"] == "forge"]
    for device, part in forge_side.groupby("device", sort=False):
        rate = part.groupby("model")["tokens_per_s"].median()
        if "transformer" in rate.index and "lstm" in rate.index:
            out.append(
                Comparison(
                    f"training tokens/s at equal parameters ({device})",
                    "transformer",
                    float(rate["transformer"]),
                    "lstm",
                    float(rate["lstm"]),
                    True,
                    "attention_throughput.csv",
                )
            )
    return out


def comparisons(frame: pd.DataFrame, folder: Path | None = None) -> list[Comparison]:
    """Every measure available: from the lab rows, then the benchmark files in ``folder``."""
    folder = folder if folder is not None else results_dir()
    return (
        _ptb_rows(_read(folder, "ptb_transformer_vs_lstm.csv"))
        + _context_rows(_read(folder, "attention_contextual_quality.csv"))
        + _throughput_rows(_read(folder, "attention_throughput.csv"))
        + _lab_rows(frame)
    )


def recurrence_verdict(rows: list[Comparison]) -> str:
    """The verdict, from the table: which measures attention wins, and where recurrence still wins."""
    if not rows:
        return "Not measured: the lab ran no attention encoder beside a recurrent one, and no benchmark file was found."
    rows = [r for r in rows if r.higher is not None]
    won = [r for r in rows if r.winner == "attention"]
    lost = [r for r in rows if r.winner == "recurrence"]
    ties = [r for r in rows if r.winner == "tie"]

    def show(items: list[Comparison]) -> str:
        return "; ".join(f"{r.measure} ({r.attention_value:.4g} vs {r.recurrent_value:.4g})" for r in items)

    text = f"On {len(rows)} measures, attention is better on {len(won)}, recurrence on {len(lost)}, {len(ties)} tie. "
    if won:
        text += f"Attention wins: {show(won)}. "
    if lost:
        text += f"Recurrence still wins: {show(lost)}. "
    else:
        text += "Recurrence wins none of these measures. "
    if ties:
        text += f"Within 2%: {show(ties)}. "
    if not lost:
        answer = "no, not for what was measured here: attention matches or beats recurrence on every measure."
    elif not won:
        answer = "yes, at this budget: recurrence wins wherever the two differ."
    else:
        answer = (
            f"attention wins {len(won)} measure(s) and recurrence {len(lost)}: recurrence is still the better "
            "choice for " + ", ".join(r.measure for r in lost) + "."
        )
    return text + "Answer, from these numbers: " + answer


def write_section(page: Any, result: Any) -> None:
    """The section: the question, the table, the verdict computed from it, and where the numbers came from."""

    folder = results_dir()
    rows = comparisons(result.frame, folder)
    page.heading("Do we need recurrence?", anchor="recurrence")
    page.paragraph(
        "The question the story leads to: can a model that sees every word at once, and links any two words "
        "directly, replace one that reads one word after another? One table, each row one measure, the best "
        "attention encoder beside the best recurrent one; the verdict below is computed from it."
    )
    head = ["measure", "attention", "value", "recurrence", "value", "better", "source"]
    body = [
        [
            r.measure,
            r.attention,
            f"{r.attention_value:.4g}",
            r.recurrent,
            f"{r.recurrent_value:.4g}",
            r.winner,
            r.source,
        ]
        for r in rows
    ]
    if body:
        page.table(markdown_table(head, body), html_table(head, body))
    verdict = recurrence_verdict(rows)
    page.paragraph(f"**Verdict:** {verdict}", f"<b>Verdict:</b> {verdict}")
    missing = [
        n
        for n in ("ptb_transformer_vs_lstm.csv", "attention_contextual_quality.csv", "attention_throughput.csv")
        if folder is None or not (folder / n).is_file()
    ]
    where = f"benchmark files read from `{folder}`" if folder is not None else "no benchmark folder found"
    page.paragraph(
        f"Sources: the lab's claim-9 rows; {where}"
        + (f" (not found: {', '.join(missing)}; run the scripts in benchmarks/ to add those rows)" if missing else "")
        + "."
    )
