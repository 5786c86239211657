"""Claims 2 and 3: dense static vectors capture relatedness, but give a word one vector for all its senses."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from forge.bench import VectorView, evaluate_polysemy, load_dataset
from forge.errors import ForgeError
from forge.lab._plotting import encoder_ticks
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in, listing, value
from forge.lab._register import register_probe
from forge.lab._sentences import ANALOGIES, NEIGHBOUR_WORDS, SENSE_GLOSS, SENSES
from forge.lab._vectors import cosine_distance, dense
from forge.lab._verdict import combine, values
from forge.lab._vocab import adapt_script, covered, encoder_language

__all__ = ["measure_polysemy", "measure_static_similarity"]

SIMILARITY_SETS = {"en": ["wordsim353"], "zh": ["zh_wordsim240", "zh_wordsim297"]}


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0.0 or nb == 0.0 else float(a @ b) / (na * nb)


def _vec(encoder: Any, word: str) -> np.ndarray:
    return dense(encoder.vector(word)).ravel()


def _lookup(encoder: Any, word: str) -> str | None:
    for w in (word, word.lower()):
        if w in encoder:
            return w
    return None


# ------------------------------------------------------------------ claim 2
def measure_static_similarity(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Cosine of related vs unrelated pairs (top vs bottom third of human scores), neighbours, analogies."""
    out = ProbeOutcome()
    lang = encoder_language(encoder)
    for name in SIMILARITY_SETS[lang]:
        try:
            pairs = load_dataset(name).data
        except ForgeError as exc:  # not in the data directory: say so, go on
            out.notes.append(f"{name} skipped: {str(exc).split('.')[0]}.")
            continue
        scores = np.asarray(pairs.scores, dtype=float)
        lo, hi = np.percentile(scores, [100 / 3, 200 / 3])
        groups: dict[str, list[float]] = {"related": [], "unrelated": []}
        for w1, w2, s in zip(pairs.word1, pairs.word2, scores):
            a, b = _lookup(encoder, w1), _lookup(encoder, w2)
            if a is None or b is None or (lo < s < hi):
                continue
            groups["related" if s >= hi else "unrelated"].append(_cos(_vec(encoder, a), _vec(encoder, b)))
        rel, unrel = np.array(groups["related"]), np.array(groups["unrelated"])
        if len(rel) and len(unrel):
            gap = rel.mean() - unrel.mean()
            ci = _bootstrap_gap(rel, unrel, options.seed)
            out.rows += [
                row("cosine_related", rel.mean(), section=name, n=len(rel), language=lang),
                row("cosine_unrelated", unrel.mean(), section=name, n=len(unrel), language=lang),
                row(
                    "related_minus_unrelated",
                    gap,
                    section=name,
                    n=len(rel) + len(unrel),
                    language=lang,
                    ci=ci,
                    main=name == SIMILARITY_SETS[lang][0],
                ),
            ]
            out.notes.append(
                f"{name}: mean cosine {rel.mean():.3f} for the {len(rel)} most related covered pairs "
                f"vs {unrel.mean():.3f} for the {len(unrel)} least related (gap {gap:+.3f})."
            )
    for word in NEIGHBOUR_WORDS:
        w = _lookup(encoder, adapt_script(encoder, [word])[0])
        if w is not None:
            near = encoder.most_similar(w, topn=5)
            out.notes.append(f"neighbours of {w}: " + ", ".join(f"{n} {s:.2f}" for n, s in near))
    hits = []
    for a, b, c, d in ANALOGIES:
        found = [_lookup(encoder, x) for x in adapt_script(encoder, [a, b, c, d])]
        words = [x for x in found if x is not None]
        if len(words) < len(found):
            continue
        a, b, c, d = words
        query = _vec(encoder, a) - _vec(encoder, b) + _vec(encoder, c)
        ranked = [w for w, _ in encoder.most_similar(query, topn=10) if w not in (a, b, c)]
        top = ranked[0] if ranked else ""
        hits.append(top == d)
        lang_q = "en" if a.isascii() else "zh"
        out.rows.append(row("analogy_top1", float(top == d), section=f"{a} - {b} + {c} = {d}?", n=1, language=lang_q))
        out.notes.append(f"{a} - {b} + {c} -> {', '.join(ranked[:3])} (expected {d})")
    if hits:
        out.rows.append(
            row("analogy_top1_fraction", float(np.mean(hits)), section="analogy examples", n=len(hits), language=lang)
        )
    return out


def _bootstrap_gap(rel: np.ndarray, unrel: np.ndarray, seed: int, n_boot: int = 500) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    gaps = [rng.choice(rel, len(rel)).mean() - rng.choice(unrel, len(unrel)).mean() for _ in range(n_boot)]
    return float(np.percentile(gaps, 2.5)), float(np.percentile(gaps, 97.5))


def plot_static_similarity(frame, fig) -> None:
    ax = fig.subplots()
    sub = frame[frame["metric"].isin(["cosine_related", "cosine_unrelated"])]
    labels = list(dict.fromkeys(sub["encoder"] + "\n" + sub["section"]))
    x = np.arange(len(labels))
    for k, (metric, name) in enumerate(
        [("cosine_related", "related pairs (top third)"), ("cosine_unrelated", "unrelated pairs (bottom third)")]
    ):
        vals = [
            sub[((sub["encoder"] + "\n" + sub["section"]) == lab) & (sub["metric"] == metric)]["value"].mean()
            for lab in labels
        ]
        ax.bar(x + (k - 0.5) * 0.38, np.nan_to_num(vals), 0.38, label=name)
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("mean cosine")
    ax.set_title("related vs unrelated word pairs (human similarity sets)")
    ax.legend(fontsize=7)


SIMILARITY_RULE = (
    "For each dense static encoder (not one-hot, not contextual): the 95% bootstrap interval of its "
    "related-minus-unrelated cosine gap (main similarity set of its language) must lie above the gap of the "
    "one-hot encoder of the same language (0 when there is none). Supported when every dense static encoder "
    "passes, not supported when the gap of none is above it, mixed otherwise or when an interval straddles it."
)


def judge_static_similarity(frame, kinds) -> tuple[str, str]:
    gap = values(frame, "related_minus_unrelated", main_only=True)
    baseline = {r["language"]: float(r["value"]) for e, r in gap.items() if kinds[e]["sparse"]}
    tests: list[bool | None] = []
    parts: list[str] = []
    for enc, kind in kinds.items():
        if kind["sparse"] or not kind["static"] or enc not in gap:
            continue
        r = gap[enc]
        base = baseline.get(r["language"], 0.0)
        lo, hi = float(r["ci_low"]), float(r["ci_high"])
        if lo > base:
            tests.append(True)
        elif float(r["value"]) <= base or hi <= base:
            tests.append(False)
        else:
            tests.append(None)
        parts.append(f"{enc} gap {float(r['value']):+.3f} [{lo:+.3f}, {hi:+.3f}] vs one-hot {base:+.3f}")
    return combine(tests), "; ".join(parts)


def summarize_static_similarity(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    return (
        "Mean cosine of related minus unrelated pairs: "
        + listing([(e, value(sub[sub["main"].astype(bool)], e, "related_minus_unrelated")) for e in encs], "{:+.3f}")
        + ". Analogy examples answered right (top 1): "
        + listing([(e, value(sub, e, "analogy_top1_fraction")) for e in encs], "{:.0%}")
        + "."
    )


SIMILARITY_TABLE = (
    Column("cosine_related", "cos related"),
    Column("cosine_unrelated", "cos unrelated"),
    Column("related_minus_unrelated", "gap"),
    Column("analogy_top1_fraction", "analogies right"),
)

register_probe(
    Probe(
        name="probe-static-similarity",
        skips=("untrained",),
        claim=2,
        title="Dense vectors put related words close together",
        claim_text=(
            "Dense vectors from CBOW and skip-gram put words used in similar contexts close together; the "
            "embedding matrix is the by-product of a prediction task."
        ),
        method=(
            "The word pairs of WordSim-353 (Chinese: wordsim-240/297) split by human score: mean cosine of the "
            "most related third vs the least related third, with a bootstrap 95% interval on the gap; nearest "
            "neighbours; analogy examples (a - b + c, question words excluded)."
        ),
        measure=measure_static_similarity,
        plot=plot_static_similarity,
        rule=SIMILARITY_RULE,
        judge=judge_static_similarity,
        columns=SIMILARITY_TABLE,
        summarize=summarize_static_similarity,
    )
)


# ------------------------------------------------------------------ claim 3
def measure_polysemy(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Spread of a word's vectors across its contexts, and how far apart its senses are."""
    out = ProbeOutcome()
    by_word: dict[str, list[tuple[str, list[str], int]]] = {}
    for word, sense, ctx in SENSES:
        toks = adapt_script(encoder, ctx)
        if covered(encoder, toks):
            by_word.setdefault(word, []).append((sense, toks, ctx.index(word)))
    spreads, gaps, identical = [], [], []
    for word, items in by_word.items():
        if len(items) < 2:
            continue
        vecs = [dense(m)[i] for m, (_, _, i) in zip(encoder.embed([t for _, t, _ in items]), items)]
        within: list[float] = []
        across: list[float] = []
        for (s1, _, _), (s2, _, _), v1, v2 in (
            (a[0], b[0], a[1], b[1]) for a, b in itertools.combinations(list(zip(items, vecs)), 2)
        ):
            d = cosine_distance(v1, v2)
            identical.append(bool(np.array_equal(v1, v2)))
            (within if s1 == s2 else across).append(d)
        spread = float(np.mean(within + across))
        lang = "en" if word.isascii() else "zh"
        gloss = f" ({SENSE_GLOSS[word]})" if word in SENSE_GLOSS else ""
        out.rows.append(row("spread", spread, section=f"{word}{gloss}", n=len(items), language=lang))
        spreads.append(spread)
        if within and across:
            gap = float(np.mean(across) - np.mean(within))
            out.rows.append(row("sense_gap", gap, section=f"{word}{gloss}", n=len(items), language=lang))
            gaps.append(gap)
            out.notes.append(
                f"{word}{gloss}: {len(items)} contexts, mean cosine distance {spread:.4f}; "
                f"between senses minus within a sense: {gap:+.4f}"
            )
    if spreads:
        out.rows.append(row("spread_mean", float(np.mean(spreads)), section="all words", n=len(spreads), main=True))
        out.rows.append(
            row("identical_fraction", float(np.mean(identical)), section="all context pairs", n=len(identical))
        )
    if gaps:
        out.rows.append(row("sense_gap_mean", float(np.mean(gaps)), section="all words", n=len(gaps)))
    if options.benchmarks and not options.quick and encoder_language(encoder) == "en":
        out.rows += _polysemy_benchmarks(encoder, out.notes, options.seed)
    return out


def _polysemy_benchmarks(encoder: Any, notes: list[str], seed: int) -> list[dict]:
    rows = []
    for name, metrics in (("scws", ("spearman",)), ("wic", ("accuracy_test", "accuracy_dev"))):
        try:
            data = load_dataset(name).data
        except ForgeError as exc:
            notes.append(f"{name} skipped: {str(exc).split('.')[0]}.")
            continue
        res = evaluate_polysemy(VectorView(encoder), data, seed=seed)
        for r in res.rows:
            if r["metric"] in metrics:
                rows.append(
                    row(
                        f"{name}_{r['metric']}",
                        r["value"],
                        section="benchmark",
                        n=r["n"],
                        ci=(r["ci_low"], r["ci_high"]),
                        language="en",
                    )
                )
        notes.append(
            f"{name}: "
            + ", ".join(f"{r['metric']} {r['value']:.3f}" for r in res.rows if r["metric"] in metrics)
            + f" (coverage {res.coverage:.0%})"
        )
    return rows


def plot_polysemy(frame, fig) -> None:
    bench = frame[frame["section"] == "benchmark"]
    axes = np.atleast_1d(fig.subplots(1, 3 if len(bench) else 2))
    encs = list(dict.fromkeys(frame[frame["metric"] == "spread_mean"]["encoder"]))
    x = np.arange(len(encs))
    for ax, metric, title in (
        (axes[0], "spread_mean", "spread of a word across contexts"),
        (axes[1], "sense_gap_mean", "between senses minus within a sense"),
    ):
        vals = np.array([_first(frame, e, metric) for e in encs])
        ax.bar(x, np.nan_to_num(vals), color=["tab:grey" if v == 0 else "tab:blue" for v in vals])
        for k, v in enumerate(vals):
            if v == 0:
                ax.annotate("0", (k, 0), ha="center", va="bottom", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.5)
        encoder_ticks(ax, x, encs, crowded=6)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("mean cosine distance")
    if len(bench):
        ax = axes[2]
        metrics, encs_b = list(dict.fromkeys(bench["metric"])), list(dict.fromkeys(bench["encoder"]))
        width = 0.8 / max(1, len(encs_b))
        for j, enc in enumerate(encs_b):
            part = bench[bench["encoder"] == enc].set_index("metric").reindex(metrics)
            vals = part["value"].to_numpy(float)
            err = np.abs(np.vstack([vals - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - vals]))
            ax.bar(
                np.arange(len(metrics)) + j * width - 0.4 + width / 2,
                np.nan_to_num(vals),
                width,
                yerr=np.nan_to_num(err),
                capsize=1,
                label=enc,
            )
        ax.set_xticks(np.arange(len(metrics)), metrics, rotation=20, ha="right", fontsize=7)
        ax.set_title("SCWS (Spearman), WiC (accuracy); 95% CI", fontsize=9)
        ax.legend(fontsize=5, ncol=1 if len(encs_b) <= 10 else 2, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _first(frame, enc: str, metric: str) -> float:
    sub = frame[(frame["encoder"] == enc) & (frame["metric"] == metric)]["value"]
    return float(sub.iloc[0]) if len(sub) else float("nan")


POLYSEMY_RULE = (
    "Supported when every static encoder gives a word bit-identical vectors in all its contexts "
    "(identical share 1, spread 0); not supported when any static encoder's vectors differ. The "
    "contextual encoders' spread and sense gap are shown for contrast."
)


def judge_polysemy(frame, kinds) -> tuple[str, str]:
    same, spread, gap = (
        values(frame, "identical_fraction"),
        values(frame, "spread_mean"),
        values(frame, "sense_gap_mean"),
    )
    tests, parts = [], []
    for enc, kind in kinds.items():
        if kind["static"] and enc in same:
            tests.append(float(same[enc]["value"]) == 1.0)
            parts.append(f"{enc}: identical share {float(same[enc]['value']):.0%}")
    ctx = [
        f"{e} {float(spread[e]['value']):.3g}" + (f" (sense gap {float(gap[e]['value']):+.3g})" if e in gap else "")
        for e, k in kinds.items()
        if not k["static"] and e in spread
    ]
    if ctx:
        parts.append("contextual spread: " + ", ".join(ctx))
    return combine(tests), "; ".join(parts)


def summarize_polysemy(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    return (
        "Spread of a word's vectors across its contexts (mean cosine distance; 0 = one vector for every "
        "sense): " + listing([(e, value(sub, e, "spread_mean")) for e in encoders_in(sub)]) + "."
    )


POLYSEMY_TABLE = (
    Column("spread_mean", "spread"),
    Column("identical_fraction", "identical share"),
    Column("sense_gap_mean", "sense gap"),
    Column("scws_spearman", "SCWS rho"),
    Column("wic_accuracy_test", "WiC test acc"),
)

register_probe(
    Probe(
        name="probe-polysemy",
        claim=3,
        title="A static vector cannot tell the senses of a word apart",
        claim_text=(
            "A static vector is the same for a word in every sentence, so it cannot tell the senses of a "
            'polysemous word apart ("apple" the fruit vs the phone maker).'
        ),
        method=(
            "For apple, bank, plant, play (苹果, 打 in Chinese), each in four contexts (two per sense): the mean "
            "cosine distance between the word's vectors from embed() (its spread, 0 for one vector) and the "
            "distance between senses minus within a sense; SCWS (Spearman) and WiC (accuracy, threshold tuned "
            "on train) side by side when the data directory has them."
        ),
        measure=measure_polysemy,
        plot=plot_polysemy,
        rule=POLYSEMY_RULE,
        judge=judge_polysemy,
        columns=POLYSEMY_TABLE,
        summarize=summarize_polysemy,
    )
)
