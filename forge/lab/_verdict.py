"""Verdicts: does a claim hold on the numbers its probe measured?

Every probe carries its own rule (``Probe.judge``, ``Probe.rule``): a function
of the probe's rows and of the encoders' recorded tags and parameters that
returns a :class:`Verdict`. The rules are stated in words in the report, and
use the intervals the probes measured (Wilson intervals for accuracies,
bootstrap intervals for the related-unrelated gap, Newcombe's interval for a
difference of two accuracies).

Outcomes: ``supported`` (every test of the rule passes), ``not supported``
(the numbers contradict the claim), ``mixed at this budget`` (some tests
pass, some fail, or the intervals cannot tell at this training budget and
sample size), ``not measured`` (none of the encoders the rule needs ran).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forge.bench import wilson_ci
from forge.lab._probe import get_probe, list_probes

__all__ = [
    "MIXED",
    "NOT_MEASURED",
    "NOT_SUPPORTED",
    "SUPPORTED",
    "Verdict",
    "combine",
    "diff_ci",
    "encoder_kind",
    "judge_probes",
    "profile",
    "values",
]

SUPPORTED, NOT_SUPPORTED, MIXED, NOT_MEASURED = "supported", "not supported", "mixed at this budget", "not measured"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim's rule on its numbers, with the evidence read from the rows."""

    claim: int
    probe: str
    verdict: str
    rule: str
    evidence: str

    @property
    def shown(self) -> bool:
        """True only when the numbers support the claim."""
        return self.verdict == SUPPORTED


def combine(results: Sequence[bool | None]) -> str:
    """One verdict from the outcomes of a rule's tests (True pass, False fail, None undecided).

    Examples
    --------
    >>> combine([True, True]), combine([False]), combine([True, None]), combine([])
    ('supported', 'not supported', 'mixed at this budget', 'not measured')
    """
    if not results:
        return NOT_MEASURED
    if all(r is True for r in results):
        return SUPPORTED
    if all(r is False for r in results):
        return NOT_SUPPORTED
    return MIXED


def diff_ci(p1: float, n1: int, p2: float, n2: int) -> tuple[float, float]:
    """95% interval of ``p1 - p2`` for two independent proportions (Newcombe's hybrid score method).

    Examples
    --------
    Newcombe (1998), Statistics in Medicine 17, table II, example (e): 56/70 vs 48/80 -> 0.0524 to 0.3339.

    >>> [round(v, 4) for v in diff_ci(56 / 70, 70, 48 / 80, 80)]
    [0.0524, 0.3339]
    """
    if n1 <= 0 or n2 <= 0 or not (math.isfinite(p1) and math.isfinite(p2)):
        return float("nan"), float("nan")
    l1, u1 = wilson_ci(round(p1 * n1), n1)
    l2, u2 = wilson_ci(round(p2 * n2), n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def encoder_kind(name: str, info: dict[str, Any] | None) -> dict[str, Any]:
    """What a rule needs to know of an encoder, from its recorded tags and parameters (never its name).

    Returns ``{"sparse", "static", "cell", "bidirectional", "untrained", "group"}``; ``group`` keys a
    trained model to its untrained twin (same architecture, same vocabulary: the same training text).
    An encoder without a record (rows from elsewhere) counts as a static, dense one.
    """
    info = info or {}
    tags, params = info.get("tags") or {}, info.get("params") or {}
    cell = params.get("cell") if params.get("cell") in ("rnn", "gru", "lstm") else None
    bidirectional = bool(params.get("bidirectional", False))
    untrained = cell is not None and params.get("epochs") == 0
    group = (cell, bidirectional, params.get("hidden_size"), params.get("layers"), info.get("vocab_size"))
    return {
        "sparse": bool(tags.get("sparse")),
        "static": not tags.get("contextual", False),
        "cell": cell,
        "bidirectional": bidirectional,
        "untrained": untrained,
        "group": group,
    }


def profile(info: dict[str, Any] | None, language: str = "en") -> frozenset[str]:
    """The tags a probe's ``needs``/``skips`` are matched against, from an encoder's record and its language.

    Examples
    --------
    >>> sorted(profile({"tags": {"contextual": True}, "params": {"cell": "lstm", "epochs": 0}}, "zh"))
    ['contextual', 'recurrent', 'unidirectional', 'untrained', 'zh']
    """
    kind = encoder_kind("", info)
    tags = {"static" if kind["static"] else "contextual", language, "untrained" if kind["untrained"] else "trained"}
    if kind["sparse"]:
        tags.add("sparse")
    if kind["cell"] is not None:
        tags |= {"recurrent", "bidirectional" if kind["bidirectional"] else "unidirectional"}
    elif "heads" in ((info or {}).get("params") or {}):  # an attention encoder (transformer, bitransformer)
        bidirectional = bool(((info or {}).get("params") or {}).get("bidirectional"))
        tags |= {"attention", "bidirectional" if bidirectional else "unidirectional"}
    return frozenset(tags)


def values(
    frame: pd.DataFrame, metric: str, section: str | None = None, main_only: bool = False
) -> dict[str, pd.Series]:
    """``{encoder: its first row of metric}`` (a Series with value, ci_low, ci_high, n, language...)."""
    sub = frame[frame["metric"] == metric]
    if section is not None:
        sub = sub[sub["section"] == section]
    if main_only:
        sub = sub[sub["main"].astype(bool)]
    out: dict[str, pd.Series] = {}
    for _, r in sub.iterrows():
        out.setdefault(r["encoder"], r)
    return out


def judge_probes(frame: pd.DataFrame, encoders: dict[str, Any], probes: Sequence[str] | None = None) -> list[Verdict]:
    """The verdict of every probe in ``probes`` (default: those with rows in ``frame``), in claim order.

    ``encoders`` is ``protocol["encoders"]`` of a lab result: ``{name: {"tags": ..., "params": ...}}``.
    """
    names = [p for p in list_probes() if (p in set(frame["dataset"]) if probes is None else p in probes)]
    out = []
    for name in names:
        probe = get_probe(name)
        sub = frame[frame["dataset"] == name]
        kinds = {e: encoder_kind(e, encoders.get(e)) for e in dict.fromkeys(sub["encoder"])}
        if probe.judge is None:
            out.append(Verdict(probe.claim, name, NOT_MEASURED, "(this probe states no rule)", ""))
            continue
        verdict, evidence = probe.judge(sub, kinds)
        out.append(Verdict(probe.claim, name, verdict, probe.rule, evidence))
    return out


def verdict_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """The verdicts as a table (claim, probe, verdict, rule, evidence)."""
    return pd.DataFrame([v.__dict__ for v in verdicts], columns=["claim", "probe", "verdict", "rule", "evidence"])
