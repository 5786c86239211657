"""Claim 6: a left-to-right RNN cannot see the right context; a bidirectional one can.

苹果 in 苹果派 (apple pie) and in 苹果手机 (apple phone) has the same left
context (nothing), so a left-to-right encoder must give it the same vector.
jieba keeps 苹果派 as one word, so the token lists are written out
(``["苹果", "派"]`` vs ``["苹果", "手机"]``) and shown in the report.

Each sentence is embedded in its own ``embed`` call: the same computation on
the same input then runs through the same kernels, so "identical" means
bit-identical and is not blurred by batch composition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forge.corpora import jieba_tokenize
from forge.lab._plotting import plot_text
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in, listing, value
from forge.lab._register import register_probe
from forge.lab._sentences import LEFT_CONTEXT
from forge.lab._vectors import cosine_distance, dense
from forge.lab._verdict import combine, values
from forge.lab._vocab import adapt_script, covered, vocabulary_sentences

__all__ = ["jieba_segmentation", "measure_left_context"]


def jieba_segmentation(text: str = "苹果派") -> list[str] | None:
    """What jieba makes of ``text`` (None without jieba), to show why the tokens are written out."""
    try:
        return jieba_tokenize(text)
    except Exception:  # jieba is an optional extra
        return None


def _show(tokens: list[str]) -> str:
    return "".join(tokens) if not tokens[0].isascii() else " ".join(tokens)


def measure_left_context(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Distance between a word's two vectors when only its right context differs."""
    out = ProbeOutcome()
    dists, same = [], []
    examples = list(LEFT_CONTEXT)
    if not any(covered(encoder, adapt_script(encoder, a + b)) for a, b, _, _ in examples):
        # none of the lab's pairs is in the vocabulary: pairs of frequent words sharing the first two
        seqs = vocabulary_sentences(encoder, 6, 4, options.seed)
        examples = [(s[:3], s[:2] + s[3:], 1, "frequent vocabulary words") for s in seqs]
        if examples:
            out.notes.append("none of the lab's example pairs is in the vocabulary: used random frequent words")
    for a, b, i, gloss in examples:
        a, b = adapt_script(encoder, a), adapt_script(encoder, b)
        if not covered(encoder, a + b):
            continue
        va = dense(encoder.embed([a])[0])[i]
        vb = dense(encoder.embed([b])[0])[i]
        d = cosine_distance(va, vb)
        l2 = float(np.linalg.norm(va - vb))
        dists.append(d)
        same.append(bool(np.array_equal(va, vb)))
        lang = "en" if a[0].isascii() else "zh"
        label = f"{a[i]}: {_show(a)} / {_show(b)}"
        out.rows.append(row("cosine_distance", d, section=label, n=1, language=lang))
        out.rows.append(row("l2_distance", l2, section=label, n=1, language=lang))
        out.notes.append(
            f"{a[i]!r} in {a} vs {b}{' (' + gloss + ')' if gloss else ''}: "
            f"{'identical' if same[-1] else 'different'}, cosine distance {d:.3g}, L2 {l2:.3g}"
        )
    if dists:
        out.rows.append(
            row("cosine_distance_mean", float(np.mean(dists)), section="all pairs", n=len(dists), main=True)
        )
        out.rows.append(row("identical_fraction", float(np.mean(same)), section="all pairs", n=len(same)))
    else:
        out.notes.append("no example pair fully in the vocabulary: nothing measured")
    return out


def plot_left_context(frame, fig) -> None:
    ax = fig.subplots()
    sub = frame[frame["metric"] == "cosine_distance"]
    encs, pairs = list(dict.fromkeys(sub["encoder"])), list(dict.fromkeys(sub["section"]))
    width = 0.8 / max(1, len(pairs))
    for j, pair in enumerate(pairs):
        vals = sub[sub["section"] == pair].set_index("encoder").reindex(encs)["value"].to_numpy(float)
        ax.bar(np.arange(len(encs)) + j * width - 0.4 + width / 2, vals, width, label=plot_text(pair))
    for k, e in enumerate(encs):
        if np.nanmax(np.append(sub[sub["encoder"] == e]["value"].to_numpy(float), 0.0)) == 0.0:
            ax.annotate("exactly 0", (k, 0), ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_xticks(np.arange(len(encs)), encs, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("cosine distance of the word's two vectors")
    ax.set_title("same left context, different right context")
    ax.legend(
        fontsize=6,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.32),
        ncol=2,
        title="target: sentence a / b",
        title_fontsize=6,
    )


RULE = (
    "Supported when every left-to-right recurrent encoder gives the target bit-identical vectors in 100% of the "
    "pairs and every bidirectional one tells 100% of the pairs apart; not supported when both tests fail, mixed "
    "when one does. Static encoders (identical by construction) are shown for contrast."
)


def judge_left_context(frame, kinds) -> tuple[str, str]:
    same = values(frame, "identical_fraction")
    tests, parts = [], []
    uni = [e for e, k in kinds.items() if k["cell"] and not k["bidirectional"] and e in same]
    bi = [e for e, k in kinds.items() if k["cell"] and k["bidirectional"] and e in same]
    if uni:
        tests.append(all(float(same[e]["value"]) == 1.0 for e in uni))
        parts.append("left-to-right identical: " + ", ".join(f"{e} {float(same[e]['value']):.0%}" for e in uni))
    if bi:
        tests.append(all(float(same[e]["value"]) == 0.0 for e in bi))
        parts.append("bidirectional identical: " + ", ".join(f"{e} {float(same[e]['value']):.0%}" for e in bi))
    static = [f"{e} {float(same[e]['value']):.0%}" for e, k in kinds.items() if k["cell"] is None and e in same]
    if static:
        parts.append("other encoders identical: " + ", ".join(static))
    return combine(tests), "; ".join(parts)


def summarize_left_context(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    return (
        "Mean cosine distance between the target's two vectors: "
        + listing([(e, value(sub, e, "cosine_distance_mean")) for e in encs])
        + "; bit-identical share: "
        + listing([(e, value(sub, e, "identical_fraction")) for e in encs], "{:.0%}")
        + "."
    )


def segmentation_remark() -> str | None:
    """Why the examples' tokens are written out: what jieba makes of them (None without jieba)."""
    seg = jieba_segmentation("苹果派")
    if seg is None:
        return None
    return (
        f"jieba segments 苹果派 as {seg} and 苹果手机 as {jieba_segmentation('苹果手机')}, so the "
        f"token lists are written out: ['苹果', '派'] vs ['苹果', '手机']."
    )


TABLE = (Column("cosine_distance_mean", "mean cos distance"), Column("identical_fraction", "identical share"))

register_probe(
    Probe(
        name="probe-left-context",
        claim=6,
        title="Left-to-right RNNs cannot see what comes next",
        claim_text=(
            "A left-to-right RNN gives a word the same vector whenever its left context is the same "
            '("苹果派" apple pie vs "苹果手机" apple phone: "苹果" has identical left context), and a '
            "bidirectional RNN tells them apart."
        ),
        method=(
            "Pairs of token lists that share the words up to and including the target and differ after it "
            "(['苹果', '派'] vs ['苹果', '手机'], 'the bank of the river' vs 'the bank raised interest rates', "
            "...); cosine and L2 distance between the target's two embed() vectors, each sentence embedded "
            "on its own."
        ),
        measure=measure_left_context,
        plot=plot_left_context,
        rule=RULE,
        judge=judge_left_context,
        columns=TABLE,
        summarize=summarize_left_context,
        remark=segmentation_remark,
    )
)
