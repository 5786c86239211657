"""Claim 9: attention links any two positions in one step, and computes all positions at once.

For every attention encoder (parameters ``heads`` and ``d_model``) and every left-to-right recurrent
one, three measurements of a *fresh* model of its architecture, the same for both families:

* **recall against distance**: the recall task of claim 7 (a key, k distractors, a query), k up to
  160, one model per k with the same budget (shared with claim 7's probe, so each curve is trained once);
* **sequential steps against length**: the longest chain of operations that must run one after
  another from the inputs to the last output, read from the autograd graph
  (:func:`forge.lab._attention.graph_depth`) of one layer (the recurrent cell written out, so its loop
  is visible; an attention layer) at lengths 8 to 1,024;
* **time against length**: one forward pass of one layer (the fused recurrent layer; the attention
  layer) on a batch of 8, on CPU and, when present, on CUDA.

For attention encoders it also reads the *trained* encoder's attention weights on the lab's example
sentences (English or Chinese, the encoder's language) and its positional-encoding matrix, drawn as
heat maps under the claim.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from forge.bench import wilson_ci
from forge.lab._attention import (
    architecture,
    attention_layer,
    attention_maps,
    graph_depth,
    position_matrix,
    sinusoidal_table,
)
from forge.lab._plotting import cjk_font, plot_text
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._probe_memory import _curve, _seeds, _settings, recall_architecture
from forge.lab._probe_speed import _best_time
from forge.lab._readout import encoders_in, listing, value
from forge.lab._recurrence import STEPS_FLAT, families, write_section
from forge.lab._register import register_probe
from forge.lab._threads import one_thread
from forge.lab._verdict import combine, diff_ci
from forge.lab._vocab import adapt_script, covered, encoder_language

__all__ = ["EXAMPLES", "measure_attention", "sequential_steps", "time_layer"]

LENGTHS = {"quick": (8, 32, 128, 256), "full": (8, 32, 128, 512, 1024)}
BATCH = 8
# the lab's example sentences shown as attention maps (the first two in the vocabulary, per language)
EXAMPLES: dict[str, list[list[str]]] = {
    "en": [
        ["the", "dog", "bit", "the", "man"],
        ["the", "bank", "raised", "interest", "rates"],
        ["she", "told", "the", "court", "that", "she", "had", "never", "seen", "the", "man", "before"],
        ["he", "took", "money", "out", "of", "the", "bank"],
    ],
    "zh": [
        ["老师", "给", "学生", "打", "电话"],
        ["妈妈", "做", "了", "苹果", "派"],
        ["她", "买", "了", "一个", "苹果", "手机"],
        ["狗", "咬", "人"],
    ],
}
POSITIONS_SHOWN = 64


def _fresh_layer(arch: dict[str, Any], impl: str, width: int):
    from forge.encoders import make_layer  # lazy: torch is optional: import forge never loads it

    if arch["family"] == "attention":
        return attention_layer(width, arch["heads"], 1, arch["positions"])
    return make_layer(impl, arch["cell"], width, width)


def sequential_steps(arch: dict[str, Any], lengths: list[int], width: int = 16, seed: int = 0) -> list[int]:
    """Longest chain of dependent operations from the inputs to the last position, per length (one layer)."""
    import torch  # lazy: torch is optional: import forge never loads it

    torch.manual_seed(seed)
    layer = _fresh_layer(arch, "scratch", width)
    out = []
    for length in lengths:
        x = torch.randn(1, length, width, requires_grad=True)
        out.append(graph_depth(layer(x)[:, -1].sum()))
    return out


def time_layer(arch: dict[str, Any], lengths: list[int], width: int, device: str, repeats: int, seed: int = 0):
    """Best-of-``repeats`` seconds of one forward pass of one fresh layer on a (BATCH, L, width) batch."""
    import torch  # lazy: torch is optional: import forge never loads it

    torch.manual_seed(seed)
    layer = _fresh_layer(arch, "fused", width).to(device).eval()
    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    secs = []
    with torch.no_grad():
        for length in lengths:
            x = torch.randn(BATCH, length, width, device=device)
            secs.append(_best_time(lambda x=x: layer(x), repeats, sync))
    return secs


def _exponent(lengths: Sequence[int], values: Sequence[float]) -> float:
    return float(np.polyfit(np.log(lengths), np.log(values), 1)[0])


def measure_attention(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    with one_thread():
        return _measure(encoder, options)


def _measure(encoder: Any, options: ProbeOptions) -> ProbeOutcome:

    out = ProbeOutcome()
    arch = architecture(encoder)
    if arch is None or (arch["family"] == "recurrent" and arch["bidirectional"]):
        out.notes.append("neither attention nor a left-to-right recurrent cell: claim 9 does not apply")
        return out
    if arch["untrained"]:
        out.notes.append("untrained (epochs=0): its architecture is measured on its trained twin")
        return out
    family = arch["family"]
    gaps, steps = _settings(options)
    cell, attention = recall_architecture(encoder)  # type: ignore[misc]
    accs, _, _ = _curve(cell, gaps, steps, options, attention=attention)
    n = 1000 * len(_seeds(options))
    for gap, acc in zip(gaps, accs):
        out.rows.append(row("recall_accuracy", acc, section=f"gap {gap}", n=n))
    out.rows.append(row("recall_at_longest", accs[-1], section=f"gap {gaps[-1]}", n=n, main=True))
    lengths = list(LENGTHS["quick" if options.quick else "full"])
    depth = sequential_steps(arch, lengths, seed=options.seed)
    for length, d in zip(lengths, depth):
        out.rows.append(row("sequential_steps", float(d), section=f"length {length}", n=1))
    out.rows.append(row("growth_exponent_steps", _exponent(lengths, depth), section="all lengths", n=len(lengths)))
    width = min(int(arch["width"] or 32), 128)
    import torch  # lazy: torch is optional: import forge never loads it

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    repeats = 3 if options.quick else 5
    for device in devices:
        secs = time_layer(arch, lengths, width, device, repeats, options.seed)
        for length, s in zip(lengths, secs):
            out.rows.append(row("ms_per_batch_layer", 1000 * s, section=f"{device} length {length}", n=BATCH))
        out.rows.append(row("growth_exponent_time", _exponent(lengths, secs), section=device, n=len(lengths)))
        out.notes.append(
            f"{device}: one {family} layer of width {width}, batch {BATCH}: "
            + ", ".join(f"L={n_}: {1000 * s:.2f} ms" for n_, s in zip(lengths, secs))
        )
    what = f"{cell} cell" if family == "recurrent" else f"attention ({attention[0]}, {attention[1]} heads)"  # type: ignore[index]
    out.notes.append(
        f"{what}: recall "
        + ", ".join(f"k={g} {a:.2f}" for g, a in zip(gaps, accs))
        + "; sequential steps "
        + ", ".join(f"L={n_}: {d}" for n_, d in zip(lengths, depth))
    )
    model = getattr(encoder, "model_", None)
    if model is not None and hasattr(model, "parameters"):  # the trained encoder itself
        n_params = sum(int(p.numel()) for p in model.parameters())
        out.rows.append(row("parameters", float(n_params), section="trained encoder", n=1))
    history = getattr(encoder, "history_", None) or []
    rate = history[-1].get("tokens_per_s") if history and isinstance(history[-1], dict) else None
    if rate:
        out.rows.append(row("train_tokens_per_s", float(rate), section="trained encoder", n=1))
    if family == "attention":
        _maps(encoder, out)
    return out


def _maps(encoder: Any, out: ProbeOutcome) -> None:
    """The trained encoder's attention weights on two example sentences, and its positional encoding."""
    lang = encoder_language(encoder)
    shown = 0
    for sent in EXAMPLES[lang]:
        tokens = adapt_script(encoder, sent)
        if shown == 2 or not covered(encoder, tokens):
            continue
        weights = attention_maps(encoder, tokens)
        if weights is None:
            out.notes.append("the encoder gives no attention weights: no maps drawn")
            return
        sid = f"s{shown}"
        for i, tok in enumerate(tokens):
            out.rows.append(row("attention_token", float(i), section=f"{sid} {i} {tok}", n=1, language=lang))
        n_layers, n_heads, t, _ = weights.shape
        for layer in range(n_layers):
            for head in range(n_heads):
                for i in range(t):
                    for j in range(t):
                        out.rows.append(
                            row(
                                "attention_weight",
                                float(weights[layer, head, i, j]),
                                section=f"{sid} {layer} {head} {i} {j}",
                                n=1,
                                language=lang,
                            )
                        )
        shown += 1
    pos = position_matrix(encoder, POSITIONS_SHOWN)
    arch = architecture(encoder) or {}
    if pos is not None:
        for p in range(pos.shape[0]):
            for d in range(pos.shape[1]):
                out.rows.append(
                    row("position_encoding", float(pos[p, d]), section=f"{arch.get('positions')} {p} {d}", n=1)
                )


# ------------------------------------------------------------------ report
def _curve_rows(frame, enc: str, metric: str, prefix: str = "") -> tuple[list[int], list[float]]:
    part = frame[(frame["encoder"] == enc) & (frame["metric"] == metric)]
    if prefix:
        part = part[part["section"].str.startswith(prefix)]
    return [int(s.split()[-1]) for s in part["section"]], [float(v) for v in part["value"]]


def plot_attention(frame, fig) -> None:
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for k, enc in enumerate(e for e in encoders_in(frame) if e in families(frame)):
        style = "-" if families(frame)[enc] == "attention" else "--"
        x, y = _curve_rows(frame, enc, "recall_accuracy")
        ax1.plot(x, y, style, marker="o", color=f"C{k}", label=enc)
        x, y = _curve_rows(frame, enc, "sequential_steps")
        ax2.plot(x, y, style, marker="o", color=f"C{k}", label=enc)
        x, y = _curve_rows(frame, enc, "ms_per_batch_layer", "cpu")
        ax3.plot(x, y, style, marker="o", color=f"C{k}", label=f"{enc} (cpu)")
        x, y = _curve_rows(frame, enc, "ms_per_batch_layer", "cuda")
        if x:
            ax3.plot(x, y, style, marker="s", color=f"C{k}", alpha=0.6, label=f"{enc} (cuda)")
    ax1.axhline(0.125, color="grey", linestyle=":", label="chance")
    ax1.set_xscale("log")
    gaps = sorted({int(s.split()[-1]) for s in frame[frame["metric"] == "recall_accuracy"]["section"]})
    ax1.set_xticks(gaps, [str(g) for g in gaps])
    ax1.minorticks_off()
    ax1.set_ylim(0, 1.05)
    ax1.set_xlabel("distractors between key and query (k)")
    ax1.set_ylabel("recall accuracy")
    ax1.set_title("one step to any position?")
    ax1.legend(fontsize=6)
    for ax in (ax2, ax3):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length")
    ax2.set_ylabel("longest chain of dependent operations")
    ax2.set_title("steps that must run one after another")
    ax2.legend(fontsize=6)
    ax3.set_ylabel(f"ms per forward pass, batch of {BATCH}")
    ax3.set_title("time of one layer")
    ax3.legend(fontsize=6)


def _tokens(frame, enc: str, sid: str) -> list[str]:
    part = frame[(frame["encoder"] == enc) & (frame["metric"] == "attention_token")]
    part = part[part["section"].str.startswith(f"{sid} ")]
    return [s.split(" ", 2)[2] for s in part["section"]]


def attention_weights_from_rows(frame, enc: str, sid: str) -> np.ndarray:
    """The (layers, heads, T, T) weights of one sentence, read back from the rows."""
    part = frame[(frame["encoder"] == enc) & (frame["metric"] == "attention_weight")]
    part = part[part["section"].str.startswith(f"{sid} ")]
    idx = np.array([[int(v) for v in s.split()[1:]] for s in part["section"]])
    out = np.zeros(tuple(idx.max(axis=0) + 1))
    out[tuple(idx.T)] = part["value"].to_numpy(float)
    return out


def _render(draw, size: tuple[float, float]) -> bytes:

    import matplotlib  # lazy: matplotlib only when a figure is drawn
    from matplotlib.figure import Figure  # lazy: matplotlib only when a figure is drawn

    font = cjk_font()
    rc: Any = {"font.family": ["DejaVu Sans", font]} if font else {}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=size)
        draw(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return buf.getvalue()


def _map_reading(weights: np.ndarray, tokens: list[str]) -> str:
    """One line: where the heads look, read from the weights (diagonal share, strongest link, causality)."""
    t = len(tokens)
    diag = float(np.mean([np.trace(w) / t for w in weights.reshape(-1, t, t)]))
    upper = float(np.mean([np.triu(w, 1).sum() / t for w in weights.reshape(-1, t, t)]))
    off = weights.reshape(-1, t, t).mean(axis=0) - np.diag(np.full(t, np.inf))
    i, j = np.unravel_index(np.argmax(off[1:]), off[1:].shape)
    i += 1
    side = (
        "no weight on later words (causal)"
        if upper < 1e-6
        else f"{upper:.0%} of the weight on later words (it sees both sides)"
    )
    return (
        f"Reading: on average a word puts {diag:.0%} of its attention on itself, {side}; the strongest link "
        f"between two different words (mean over heads) is {tokens[i]!r} -> {tokens[j]!r} "
        f"({off[i, j]:.2f})."
    )


def attention_figures(frame) -> list[tuple[str, str, bytes]]:
    """Extra figures under the claim: ``(file name, one-line reading, PNG)`` - each attention encoder's
    heads on its example sentences, and the positional encodings side by side."""
    figures = []
    for enc in encoders_in(frame[frame["metric"] == "attention_weight"]):
        sids = list(
            dict.fromkeys(
                s.split()[0]
                for s in frame[(frame["encoder"] == enc) & (frame["metric"] == "attention_token")]["section"]
            )
        )
        for sid in sids:
            tokens = _tokens(frame, enc, sid)
            weights = attention_weights_from_rows(frame, enc, sid)
            n_layers, n_heads = weights.shape[:2]
            labels = [plot_text(t) for t in tokens]

            def draw(fig, weights=weights, labels=labels, n_layers=n_layers, n_heads=n_heads, enc=enc):
                axes = fig.subplots(n_layers, n_heads, squeeze=False)
                for layer in range(n_layers):
                    for head in range(n_heads):
                        ax = axes[layer][head]
                        ax.imshow(weights[layer, head], vmin=0, vmax=float(weights.max()) or 1.0, cmap="viridis")
                        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
                        ax.set_yticks(range(len(labels)), labels, fontsize=6)
                        ax.set_title(f"layer {layer + 1}, head {head + 1}", fontsize=7)
                fig.suptitle(f"{enc}: which word (row) looks at which (column)", fontsize=9)

            png = _render(draw, (2.2 * n_heads + 1, 2.2 * n_layers + 0.8))
            figures.append((f"fig9-attention-{enc}-{sid}.png", _map_reading(weights, tokens), png))
    pos = frame[frame["metric"] == "position_encoding"]
    if not pos.empty:
        kinds = {s.split()[0] for s in pos["section"]}
        tables = {}
        for kind in sorted(kinds):
            part = pos[pos["section"].str.startswith(f"{kind} ")]
            part = part[part["encoder"] == part["encoder"].iloc[0]]
            idx = np.array([[int(v) for v in s.split()[1:]] for s in part["section"]])
            table = np.zeros(tuple(idx.max(axis=0) + 1))
            table[tuple(idx.T)] = part["value"].to_numpy(float)
            tables[kind] = table
        if "sinusoidal" not in tables:  # the reference it is read against: the formula, same shape
            shape = next(iter(tables.values())).shape
            tables = {"sinusoidal (formula)": sinusoidal_table(*shape), **tables}

        def draw_pos(fig):
            axes = fig.subplots(1, len(tables), squeeze=False)[0]
            for ax, (kind, table) in zip(axes, tables.items()):
                lim = float(np.abs(table).max()) or 1.0
                ax.imshow(table, aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim)
                ax.set_title(f"{kind} positions", fontsize=8)
                ax.set_xlabel("dimension")
                ax.set_ylabel("position")

        figures.append(("fig9-positions.png", _position_reading(tables), _render(draw_pos, (4.5 * len(tables), 3.6))))
    return figures


def _position_reading(tables: dict[str, np.ndarray]) -> str:
    """One line: how similar neighbouring positions are in each table (cosine of rows p and p+1, p and p+16)."""
    parts = []
    for kind, table in tables.items():
        unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
        near = float(np.mean(np.sum(unit[:-1] * unit[1:], axis=1)))
        far = float(np.mean(np.sum(unit[:-16] * unit[16:], axis=1))) if len(unit) > 16 else float("nan")
        parts.append(f"{kind}: cosine of neighbouring positions {near:.2f}, 16 apart {far:.2f}")
    return (
        "Reading: " + "; ".join(parts) + " (a smooth code makes nearby positions similar; a learned table is "
        "only as smooth as training made it)."
    )


STEPS_LINEAR, FALL = 0.75, 0.1
RULE = (
    "Three tests. One step: for every attention encoder, recall at the longest distance is above chance "
    f"(Wilson 95% interval above 1/8) and not more than {FALL} below its recall at the shortest distance "
    "(upper end of the Newcombe 95% interval of the difference). Contrast: for every left-to-right recurrent encoder, recall at the longest distance is "
    "below its recall at the shortest (undecided when it is not). All at once: the longest chain of dependent "
    f"operations of an attention layer grows with length with an exponent below {STEPS_FLAT}, a recurrent "
    f"layer's with at least {STEPS_LINEAR}. Supported when all pass, not supported when all fail, mixed "
    "otherwise. Time against length is shown as evidence (on one CPU thread an attention layer's work, and so "
    "its time, still grows with length: fewer sequential steps is not less work)."
)


def judge_attention(frame, kinds) -> tuple[str, str]:

    fams = families(frame)
    tests: list[bool | None] = []
    parts = []
    for enc, fam in fams.items():
        x, y = _curve_rows(frame, enc, "recall_accuracy")
        if len(x) < 2:
            continue
        n = int(frame[(frame["encoder"] == enc) & (frame["metric"] == "recall_accuracy")]["n"].iloc[0])
        lo, hi = diff_ci(y[-1], n, y[0], n)
        if fam == "attention":
            above = wilson_ci(round(y[-1] * n), n)[0] > 1 / 8
            tests.append(above and hi >= -FALL)
        else:
            tests.append(True if hi < 0 else None)
        steps_exp = value(frame, enc, "growth_exponent_steps")
        tests.append(steps_exp < STEPS_FLAT if fam == "attention" else steps_exp >= STEPS_LINEAR)
        times = ", ".join(
            f"{d} {value(frame, enc, 'growth_exponent_time', d):.2f}"
            for d in ("cpu", "cuda")
            if not math.isnan(value(frame, enc, "growth_exponent_time", d))
        )
        _, depth = _curve_rows(frame, enc, "sequential_steps")
        parts.append(
            f"{enc} ({fam}): recall k={x[0]} {y[0]:.2f} -> k={x[-1]} {y[-1]:.2f} (difference {y[-1] - y[0]:+.2f} "
            f"[{lo:+.2f}, {hi:+.2f}]); sequential steps {depth[0]:.0f} -> {depth[-1]:.0f} (exponent {steps_exp:.2f}); "
            f"time exponent {times}"
        )
    if "attention" not in fams.values():
        return combine([]), "; ".join([*parts, "needs an attention encoder"])
    return combine(tests), "; ".join(parts)


def summarize_attention(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = [e for e in encoders_in(sub) if e in families(sub)]
    acc = sub[sub["metric"] == "recall_at_longest"]
    gap = acc["section"].iloc[0].split()[-1] if len(acc) else "?"
    return (
        f"Recall at k = {gap}: "
        + listing([(e, value(sub, e, "recall_at_longest")) for e in encs], "{:.2f}")
        + ". Growth exponent of the sequential steps against length: "
        + listing([(e, value(sub, e, "growth_exponent_steps")) for e in encs], "{:.2f}")
        + "; of one layer's CPU time: "
        + listing([(e, value(sub, e, "growth_exponent_time", "cpu")) for e in encs], "{:.2f}")
        + "."
    )


TABLE = (
    Column("recall_accuracy", "recall", "gap *"),
    Column("sequential_steps", "steps", "length *"),
    Column("growth_exponent_steps", "steps exp."),
    Column("growth_exponent_time", "time exp. cpu", "cpu"),
    Column("growth_exponent_time", "time exp. cuda", "cuda"),
)

register_probe(
    Probe(
        name="probe-attention",
        claim=9,
        title="Attention links any two positions in one step, all positions at once",
        claim_text=(
            "Self-attention links any two positions in one step (what lies far back is as near as what lies "
            "next door) and computes all positions at once, instead of one step after another."
        ),
        method=(
            "For every attention encoder and every left-to-right recurrent one, a fresh model of its architecture: "
            "claim 7's recall task up to k = 160 distractors (same width, steps and learning rate for both "
            "families; attention: one causal attention layer with the encoder's positions and heads); the longest chain of "
            "dependent operations from the inputs to the last output of one layer, read from its autograd graph "
            "(the recurrent cell written out), at lengths 8 to 1,024 (256 with --quick); the time of one forward "
            "pass of one layer on a batch of 8, on CPU (and CUDA when present). Under the figure: the trained "
            "attention encoders' weights on the lab's example sentences, and their positional encodings."
        ),
        measure=measure_attention,
        plot=plot_attention,
        rule=RULE,
        judge=judge_attention,
        columns=TABLE,
        summarize=summarize_attention,
        figures=attention_figures,
        section=write_section,
    )
)
