"""Claim 8: an RNN runs its steps one after another, so time grows with length.

For every encoder: the time of ``embed()`` on a batch of 32 random
sentences of each length. For encoders with a recurrent cell, also the bare
layer (forge's fused layer of the same cell and width) next to two layers
that process all positions at once, of the same width: a 1-D convolution
(kernel 3) and a self-attention layer (4 heads). On CPU and, when present,
on CUDA. The main number is the growth exponent: the slope of log time
against log length (1 = linear).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in, listing, value
from forge.lab._register import register_probe
from forge.lab._threads import one_thread
from forge.lab._verdict import combine

__all__ = ["measure_speed", "time_layers"]

BATCH = 32
LENGTHS = {"quick": (8, 32, 128), "full": (8, 16, 32, 64, 128, 256, 512, 1024)}


def _best_time(fn, repeats: int, sync=None) -> float:
    fn()  # warm-up (allocations, lazy init)
    if sync:
        sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    return float(np.min(times))  # the least disturbed run: other processes only ever add time


def _exponent(lengths: list[int], seconds: list[float]) -> float:
    return float(np.polyfit(np.log(lengths), np.log(seconds), 1)[0])


def time_layers(
    cell: str, width: int, lengths: list[int], device: str = "cpu", repeats: int = 3, seed: int = 0
) -> dict[str, list[float]]:
    """Seconds per forward pass of a (BATCH, L, width) batch: the recurrent layer, conv1d, self-attention."""
    import torch  # lazy: torch is optional: import forge never loads it

    nn = torch.nn

    from forge.encoders import make_layer  # lazy: torch is optional: import forge never loads it

    torch.manual_seed(seed)
    layers = {
        "recurrent_layer": make_layer("fused", cell, width, width),
        "conv1d": nn.Conv1d(width, width, 3, padding=1),
        "self_attention": nn.MultiheadAttention(width, 4 if width % 4 == 0 else 1, batch_first=True),
    }
    forward = {
        "recurrent_layer": lambda m, x: m(x),
        "conv1d": lambda m, x: m(x.transpose(1, 2)),
        "self_attention": lambda m, x: m(x, x, x, need_weights=False)[0],
    }
    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    out: dict[str, list[float]] = {k: [] for k in layers}
    with torch.no_grad():
        for name, layer in layers.items():
            layer = layer.to(device).eval()
            for length in lengths:
                x = torch.randn(BATCH, length, width, device=device)
                out[name].append(_best_time(lambda f=forward[name], m=layer, x=x: f(m, x), repeats, sync))
    return out


def measure_speed(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    with one_thread():
        return _measure_speed(encoder, options)


def _measure_speed(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    out = ProbeOutcome()
    lengths = list(LENGTHS["quick" if options.quick else "full"])
    repeats = 3 if options.quick else 5
    rng = np.random.default_rng(options.seed)
    words = [w for w in list(encoder.vocabulary)[:1000] if not (w.startswith("<") and w.endswith(">"))]
    seconds = []
    for length in lengths:
        batch = [[words[i] for i in rng.integers(0, len(words), length)] for _ in range(BATCH)]
        seconds.append(_best_time(lambda batch=batch: encoder.embed(batch), repeats))
        out.rows.append(row("ms_per_batch_embed", 1000 * seconds[-1], section=f"cpu length {length}", n=BATCH))
    out.rows.append(row("growth_exponent_embed", _exponent(lengths, seconds), section="cpu", n=len(lengths), main=True))
    out.notes.append(
        f"embed() of {BATCH} sentences: " + ", ".join(f"L={n}: {1000 * s:.1f} ms" for n, s in zip(lengths, seconds))
    )
    params = encoder.get_params() if hasattr(encoder, "get_params") else {}
    cell, width = params.get("cell"), params.get("hidden_size")
    if cell in ("rnn", "gru", "lstm") and isinstance(width, int):
        import torch  # lazy: torch is optional: import forge never loads it

        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for device in devices:
            timing = time_layers(cell, width, lengths, device, repeats, options.seed)
            for name, secs in timing.items():
                for length, s in zip(lengths, secs):
                    out.rows.append(row(f"ms_per_batch_{name}", 1000 * s, section=f"{device} length {length}", n=BATCH))
                out.rows.append(
                    row(f"growth_exponent_{name}", _exponent(lengths, secs), section=device, n=len(lengths))
                )
            big = lengths[-1]
            out.notes.append(
                f"{device}, width {width}, L={big}: {cell} layer "
                f"{1000 * timing['recurrent_layer'][-1]:.1f} ms, conv1d {1000 * timing['conv1d'][-1]:.1f}"
                f" ms, self-attention {1000 * timing['self_attention'][-1]:.1f} ms per batch"
            )
    return out


def plot_speed(frame, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    emb = frame[frame["metric"] == "ms_per_batch_embed"]
    for enc in dict.fromkeys(emb["encoder"]):
        part = emb[emb["encoder"] == enc]
        ax1.plot([int(s.split()[-1]) for s in part["section"]], part["value"], marker="o", label=enc)
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xlabel("sentence length")
    ax1.set_ylabel(f"ms per batch of {BATCH} (log)")
    ax1.set_title("embed() time")
    ax1.legend(fontsize=6)
    layers = frame[
        frame["metric"].str.startswith("ms_per_batch_")
        & (frame["metric"] != "ms_per_batch_embed")
        & frame["section"].str.startswith("cpu")
    ]
    styles = {"ms_per_batch_recurrent_layer": "-", "ms_per_batch_conv1d": "--", "ms_per_batch_self_attention": ":"}
    shown = set()
    for k, enc in enumerate(dict.fromkeys(layers["encoder"])):
        for metric, style in styles.items():
            part = layers[(layers["encoder"] == enc) & (layers["metric"] == metric)]
            name = metric.removeprefix("ms_per_batch_")
            if part.empty or (name != "recurrent_layer" and name in shown):
                continue  # the parallel layers once (from the first recurrent encoder)
            shown.add(name)
            label = f"{enc} layer" if name == "recurrent_layer" else name.replace("_", "-")
            ax2.plot(
                [int(s.split()[-1]) for s in part["section"]],
                part["value"],
                style,
                marker=".",
                color=f"C{k}" if name == "recurrent_layer" else "black",
                label=label,
            )
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log")
    ax2.set_xlabel("sentence length")
    ax2.set_title("one layer, same width (CPU)")
    if shown:
        ax2.legend(fontsize=6)


LINEAR, CONTRAST = 0.75, 0.25
RULE = (
    f"Two tests on every recurrent encoder's bare layer. Linear: its growth exponent on CPU is at least "
    f"{LINEAR} (time grows about in proportion to length). Unlike all-at-once layers: on some device its "
    f"exponent exceeds the 1-D convolution's by at least {CONTRAST}. Supported when both pass, not supported "
    f"when both fail, mixed otherwise (on one CPU thread every layer's work grows with length, so the contrast "
    f"may need a GPU)."
)


def judge_speed(frame, kinds) -> tuple[str, str]:
    def exp(enc: str, layer: str, device: str) -> float:
        sub = frame[
            (frame["encoder"] == enc) & (frame["metric"] == f"growth_exponent_{layer}") & (frame["section"] == device)
        ]["value"]
        return float(sub.iloc[0]) if len(sub) else float("nan")

    tests, parts = [], []
    for enc in (e for e, k in kinds.items() if k["cell"]):
        devices = list(
            dict.fromkeys(
                frame[(frame["encoder"] == enc) & (frame["metric"] == "growth_exponent_recurrent_layer")]["section"]
            )
        )
        if "cpu" not in devices:
            continue
        tests.append(exp(enc, "recurrent_layer", "cpu") >= LINEAR)
        tests.append(any(exp(enc, "recurrent_layer", d) - exp(enc, "conv1d", d) >= CONTRAST for d in devices))
        parts.append(
            f"{enc}: "
            + "; ".join(
                f"{d} layer {exp(enc, 'recurrent_layer', d):.2f} vs conv1d "
                f"{exp(enc, 'conv1d', d):.2f}, self-attention "
                f"{exp(enc, 'self_attention', d):.2f}"
                for d in devices
            )
        )
    return combine(tests), " | ".join(parts)


def summarize_speed(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    text = (
        "Growth exponent of embed() time vs length (1 = linear): "
        + listing([(e, value(sub, e, "growth_exponent_embed")) for e in encs], "{:.2f}")
        + "."
    )
    layer = [(e, value(sub, e, "growth_exponent_recurrent_layer", "cpu")) for e in encs]
    conv = [(e, value(sub, e, "growth_exponent_conv1d", "cpu")) for e in encs]
    att = [(e, value(sub, e, "growth_exponent_self_attention", "cpu")) for e in encs]
    if any(not math.isnan(v) for _, v in layer):
        text += (
            " Bare layers on CPU: recurrent "
            + listing(layer, "{:.2f}")
            + "; conv1d "
            + listing(conv, "{:.2f}")
            + "; self-attention "
            + listing(att, "{:.2f}")
            + "."
        )
    return text


TABLE = (
    Column("ms_per_batch_embed", "embed ms", "cpu length *"),
    Column("growth_exponent_embed", "exponent"),
    Column("growth_exponent_recurrent_layer", "layer exp.", "cpu"),
    Column("growth_exponent_conv1d", "conv1d exp.", "cpu"),
    Column("growth_exponent_self_attention", "attention exp.", "cpu"),
)

register_probe(
    Probe(
        name="probe-speed",
        skips=("untrained", "zh"),
        claim=8,
        title="An RNN must take its steps one after another",
        claim_text=(
            "An RNN must run its steps one after another: time grows linearly with sequence length, unlike "
            "an operation that processes all positions at once."
        ),
        method=(
            f"Best-of-5 time of embed() on {BATCH} random sentences per length; for recurrent encoders also the bare "
            "recurrent layer vs a 1-D convolution and a self-attention layer of the same width, on CPU (and CUDA "
            "when present), torch on one thread; growth exponent = slope of log time vs log length."
        ),
        measure=measure_speed,
        plot=plot_speed,
        rule=RULE,
        judge=judge_speed,
        columns=TABLE,
        summarize=summarize_speed,
    )
)
