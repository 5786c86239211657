"""Claim 7: a plain RNN forgets what it read far back (vanishing gradients); an LSTM keeps it longer.

A synthetic recall task: the first token is one of 8 keys, then come ``k``
distractor tokens and a query token; the model must name the key from its
last state. For every encoder with a recurrent cell (its ``cell`` parameter:
rnn, gru or lstm) the probe trains a fresh model of that cell, built with
forge's own recurrent layer (``forge.encoders.make_layer``), with
the same width, steps, batch and learning rate for every cell: accuracy vs
``k``. It also measures the gradient of the loss at the last step with
respect to the input at each earlier step, as a function of the distance,
at initialisation and after training on the longest gap. The encoder's own
trained weights are not used: the claim is about the architecture.
Encoders without a recurrent cell get no rows (a note says why).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

import forge
from forge.lab._attention import architecture, attention_layer
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in
from forge.lab._register import register_probe
from forge.lab._threads import one_thread
from forge.lab._verdict import combine, diff_ci

__all__ = ["measure_memory", "recall_batch", "recall_curve"]

N_KEYS, N_DISTRACT = 8, 8
HIDDEN, EMB = 32, 16


def recall_batch(rng: np.random.Generator, batch: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (batch, gap + 2): key, ``gap`` distractors, query; and the key (0..7) to recall."""
    keys = rng.integers(0, N_KEYS, batch)
    tokens = np.empty((batch, gap + 2), dtype=np.int64)
    tokens[:, 0] = 1 + keys
    tokens[:, 1:-1] = 1 + N_KEYS + rng.integers(0, N_DISTRACT, (batch, gap))
    tokens[:, -1] = 1 + N_KEYS + N_DISTRACT  # the query token
    return tokens, keys


def default_forget_bias() -> float | str | None:
    """The forget-gate bias a default ``forge.create("lstm")`` starts with (1.0, Jozefowicz et al. 2015)."""
    return forge.create("lstm").forget_bias


def _model(cell: str, seed: int, forget_bias: float | None = None, attention: tuple[str, int, int] | None = None):
    """The recall model: embedding, a recurrent layer of ``cell`` (or, when ``attention`` =
    ``(positions, heads, layers)``, a causal self-attention stack of that shape), a linear readout."""
    import torch  # lazy: torch is optional: import forge never loads it

    nn = torch.nn

    from forge.encoders import make_layer  # lazy: torch is optional: import forge never loads it

    torch.manual_seed(seed)

    class Recall(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(2 + N_KEYS + N_DISTRACT, EMB)
            if attention is not None:
                positions, heads, layers = attention
                self.rnn = nn.Sequential(nn.Linear(EMB, HIDDEN), attention_layer(HIDDEN, heads, layers, positions))
            else:  # the LSTM is forge's: its forget-gate bias starts at forge's default (1.0, the recipe) unless given
                self.rnn = make_layer(
                    "fused",
                    cell,
                    EMB,
                    HIDDEN,
                    forget_bias=default_forget_bias() if forget_bias is None else forget_bias,
                )
            self.out = nn.Linear(HIDDEN, N_KEYS)

        def forward(self, emb):  # (batch, time, emb) -> (batch, keys)
            return self.out(self.rnn(emb)[:, -1])

    return Recall()


def _grad_norms(model, gap: int, seed: int) -> np.ndarray:
    """Mean norm of d(loss at the last step)/d(input at step t), indexed by distance T-1-t."""
    import torch  # lazy: torch is optional: import forge never loads it

    tokens, keys = recall_batch(np.random.default_rng(seed + 99), 64, gap)
    emb = model.embedding(torch.from_numpy(tokens)).detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(emb), torch.from_numpy(keys))
    (grad,) = torch.autograd.grad(loss, emb)
    norms = grad.norm(dim=2).mean(dim=0).numpy()  # (time,)
    return norms[::-1].copy()  # index = distance from the last step


@lru_cache(maxsize=16)
def recall_curve(
    cell: str,
    gaps: tuple[int, ...],
    steps: int,
    seed: int = 0,
    batch: int = 32,
    lr: float = 1e-2,
    forget_bias: float | None = None,
    attention: tuple[str, int, int] | None = None,
):
    """Train one model per gap with the same budget; (accuracies, grad norms at init, after training).

    ``cell`` is rnn, gru or lstm, or ``"attention"`` with ``attention=(positions, heads, layers)``.
    Runs torch on one thread (small sequential kernels: more threads only add contention).
    """
    with one_thread():
        return _recall_curve(cell, gaps, steps, seed, batch, lr, forget_bias, attention)


def _recall_curve(cell, gaps, steps, seed, batch, lr, forget_bias, attention=None):
    import torch  # lazy: torch is optional: import forge never loads it

    accs = []
    init_norms = trained_norms = None
    for gap in gaps:
        model = _model(cell, seed, forget_bias, attention)
        if gap == max(gaps):
            init_norms = _grad_norms(model, gap, seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            tokens, keys = recall_batch(rng, batch, gap)
            loss = torch.nn.functional.cross_entropy(
                model(model.embedding(torch.from_numpy(tokens))), torch.from_numpy(keys)
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        tokens, keys = recall_batch(np.random.default_rng(seed + 7), 1000, gap)
        with torch.no_grad():
            pred = model(model.embedding(torch.from_numpy(tokens))).argmax(dim=1).numpy()
        accs.append(float((pred == keys).mean()))
        if gap == max(gaps):
            trained_norms = _grad_norms(model, gap, seed)
    return tuple(accs), init_norms, trained_norms


def _settings(options: ProbeOptions) -> tuple[tuple[int, ...], int]:
    gaps, steps = ((5, 20, 80), 250) if options.quick else ((5, 10, 20, 40, 160), 400)
    return gaps, options.steps or steps


def _seeds(options: ProbeOptions) -> tuple[int, ...]:
    """Training seeds averaged per point (one run per gap is noisy: a lucky start solves a gap or not)."""
    return (options.seed,) if options.quick else (options.seed, options.seed + 1)


def _curve(cell: str, gaps, steps: int, options: ProbeOptions, forget_bias: float | None = None, attention=None):
    runs = [recall_curve(cell, gaps, steps, s, forget_bias=forget_bias, attention=attention) for s in _seeds(options)]
    accs = tuple(float(np.mean([r[0][k] for r in runs])) for k in range(len(gaps)))
    return accs, runs[0][1], runs[0][2]


OPEN_FORGET = 3.0  # forget-gate bias of the "open forget gate" LSTM variant (sigmoid(3) = 0.95)


def recall_architecture(encoder: Any) -> tuple[str, tuple[str, int, int] | None] | None:
    """``(cell, attention)`` of the recall model for ``encoder``'s architecture, or None (no cell, no attention).

    An attention encoder gets one causal attention layer (one step is what the claim is about, and it keeps
    the probe quick) with its own positions and heads (when they divide the recall model's width, else 4);
    the task is read left to right either way.
    """

    arch = architecture(encoder)
    if arch is None:
        return None
    if arch["family"] == "recurrent":
        return arch["cell"], None
    heads = arch["heads"] if HIDDEN % arch["heads"] == 0 else 4
    return "attention", (arch["positions"], heads, 1)


def measure_memory(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    out = ProbeOutcome()
    found = recall_architecture(encoder)
    if found is None:
        out.notes.append(
            "no recurrent cell (no `cell` parameter rnn/gru/lstm) and no attention (`heads`, `d_model`): "
            "the recall task does not apply"
        )
        return out
    cell, attention = found
    gaps, steps = _settings(options)
    accs, init, trained = _curve(cell, gaps, steps, options, attention=attention)
    for gap, acc in zip(gaps, accs):
        out.rows.append(row("recall_accuracy", acc, section=f"gap {gap}", n=1000 * len(_seeds(options))))
    out.rows.append(
        row("recall_accuracy_mean", float(np.mean(accs)), section="all gaps", n=1000 * len(gaps), main=True)
    )
    if cell == "lstm":  # the same LSTM with its forget gate wider open at the start
        accs_open, init_open, _ = _curve(cell, gaps, steps, options, forget_bias=OPEN_FORGET)
        for gap, acc in zip(gaps, accs_open):
            out.rows.append(
                row("recall_accuracy_open_forget", acc, section=f"gap {gap}", n=1000 * len(_seeds(options)))
            )
        out.notes.append(
            f"lstm with forget-gate bias {OPEN_FORGET:g} at initialisation: recall accuracy "
            + ", ".join(f"gap {g}: {a:.2f}" for g, a in zip(gaps, accs_open))
            + f"; gradient norm ratio at init {init_open[-1] / init_open[0]:.2e}"
        )
    shown = sorted({d for d in (0, 1, 2, 4, 8, 16, 32, 64, 128, len(init) - 1) if d < len(init)})
    for d in shown:
        out.rows.append(row("grad_norm_init", float(init[d]), section=f"distance {d}", n=64))
        out.rows.append(row("grad_norm_trained", float(trained[d]), section=f"distance {d}", n=64))
    far = len(init) - 1
    shape = f"attention ({attention[0]} positions, {attention[1]} heads, {attention[2]} layers)" if attention else cell
    out.notes.append(
        f"{shape} (width {HIDDEN}, {steps} Adam steps of 32 sequences per gap): recall accuracy "
        + ", ".join(f"gap {g}: {a:.2f}" for g, a in zip(gaps, accs))
        + f" (chance {1 / N_KEYS:.3f}); "
        f"gradient norm ratio distance {far} / distance 0: init {init[far] / init[0]:.2e}, "
        f"trained {trained[far] / trained[0]:.2e}"
    )
    return out


def _num(section: str) -> int:
    return int(section.split()[-1])


def plot_memory(frame, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    acc = frame[frame["metric"] == "recall_accuracy"]
    for k, enc in enumerate(dict.fromkeys(acc["encoder"])):
        part = acc[acc["encoder"] == enc]
        ax1.plot([_num(s) for s in part["section"]], part["value"], marker="o", color=f"C{k}", label=enc)
        part = frame[(frame["encoder"] == enc) & (frame["metric"] == "recall_accuracy_open_forget")]
        if len(part):
            ax1.plot(
                [_num(s) for s in part["section"]],
                part["value"],
                "--",
                marker="s",
                color=f"C{k}",
                label=f"{enc}, forget bias {OPEN_FORGET:g}",
            )
    ax1.axhline(1 / N_KEYS, color="grey", linestyle=":", label="chance")
    ax1.set_xscale("log")
    gaps = sorted({_num(s) for s in acc["section"]})
    ax1.set_xticks(gaps, [str(g) for g in gaps])
    ax1.minorticks_off()
    ax1.set_xlabel("distractors between key and query (k)")
    ax1.set_ylabel("recall accuracy")
    ax1.set_ylim(0, 1.05)
    ax1.set_title("remember a token across k steps")
    ax1.legend(fontsize=7)
    for k, enc in enumerate(dict.fromkeys(frame[frame["metric"] == "grad_norm_trained"]["encoder"])):
        for metric, style in (("grad_norm_trained", "-"), ("grad_norm_init", ":")):
            part = frame[(frame["encoder"] == enc) & (frame["metric"] == metric)]
            ax2.plot(
                [_num(s) for s in part["section"]],
                part["value"],
                style,
                marker=".",
                color=f"C{k}",
                label=f"{enc} ({'trained' if 'trained' in metric else 'init'})",
            )
    ax2.set_yscale("log")
    ax2.set_xlabel("distance from the last step")
    ax2.set_ylabel("|d loss / d input| (log)")
    ax2.set_title("gradient reaching back")
    ax2.legend(fontsize=6)


RULE = (
    "Recall accuracy of the LSTM vs the plain RNN (the default cells, as built by forge) at every gap but the "
    "shortest: Newcombe 95% interval of the difference, on the test sequences (it does not include the "
    "variance between training seeds). Supported when the LSTM is above the RNN at some long gap and below at "
    "none; not supported when it is below at some gap and above at none; mixed otherwise (including no "
    "detectable difference at this training budget). The GRU and the LSTM with an open forget gate are "
    "shown as evidence, not judged."
)


def _curves(frame, metric: str) -> dict[str, dict[int, tuple[float, int]]]:
    out: dict[str, dict[int, tuple[float, int]]] = {}
    for _, r in frame[frame["metric"] == metric].iterrows():
        out.setdefault(r["encoder"], {})[_num(r["section"])] = (float(r["value"]), int(r["n"]))
    return out


def judge_memory(frame, kinds) -> tuple[str, str]:
    acc = _curves(frame, "recall_accuracy")
    by_cell: dict[str, str] = {}
    for enc, kind in kinds.items():
        if kind["cell"] and enc in acc and not kind["bidirectional"]:
            by_cell.setdefault(kind["cell"], enc)
    parts = [
        f"{enc} ({cell}): " + ", ".join(f"k={g} {v:.2f}" for g, (v, _) in sorted(acc[enc].items()))
        for cell, enc in by_cell.items()
    ]
    listed = set(by_cell.values())
    for enc, curve in acc.items():  # attention encoders (and bidirectional ones): shown, not judged here
        if enc not in listed and not kinds.get(enc, {}).get("cell"):
            parts.append(f"{enc} (attention): " + ", ".join(f"k={g} {v:.2f}" for g, (v, _) in sorted(curve.items())))
    opened = _curves(frame, "recall_accuracy_open_forget")
    for enc, curve in opened.items():
        parts.append(
            f"{enc} with forget-gate bias {OPEN_FORGET:g}: "
            + ", ".join(f"k={g} {v:.2f}" for g, (v, _) in sorted(curve.items()))
        )
    if "rnn" not in by_cell or "lstm" not in by_cell:
        return combine([]), "; ".join([*parts, "needs both an rnn and an lstm cell"])
    rnn, lstm = acc[by_cell["rnn"]], acc[by_cell["lstm"]]
    gaps = sorted(set(rnn) & set(lstm))[1:]
    above: list[int] = []
    below: list[int] = []
    for g in gaps:
        (pl, nl), (pr, nr) = lstm[g], rnn[g]
        lo, hi = diff_ci(pl, nl, pr, nr)
        (above if lo > 0 else below if hi < 0 else []).append(g)
    parts.append(f"LSTM minus RNN significant at k = {above or 'none'} (LSTM higher), {below or 'none'} (LSTM lower)")
    verdict = combine([True] if above and not below else [False] if below and not above else [True, False])
    return verdict, "; ".join(parts)


def summarize_memory(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    acc = sub[sub["metric"] == "recall_accuracy"]
    parts = []
    for e in encoders_in(sub):
        a = acc[acc["encoder"] == e]
        if len(a):
            parts.append(f"{e} " + "/".join(f"{v:.2f}" for v in a["value"]))
    gaps = "/".join(s.split()[-1] for s in dict.fromkeys(acc["section"]))
    return f"Recall accuracy at k = {gaps} distractors (chance 0.125): " + "; ".join(parts) + "."


TABLE = (Column("recall_accuracy", "recall", "gap *"), Column("recall_accuracy_mean", "mean"))

register_probe(
    Probe(
        name="probe-long-range",
        needs=("unidirectional", "trained", "en"),  # one model per architecture (RNN, GRU, LSTM, transformer)
        claim=7,
        title="Plain RNNs forget; LSTMs remember longer",
        claim_text=("Information from far back fades in a plain RNN (vanishing gradients); an LSTM keeps it longer."),
        method=(
            "Recall task: one of 8 keys, k random distractors (k = 5 to 160; 5, 20, 80 with --quick), a query; "
            "predict the key from the last state. One fresh model per cell and k (forge's recurrent layer, width 32, "
            "400 Adam steps of 32 sequences, lr 1e-2, gradient clipping, the same for every cell; an attention "
            "encoder gets one causal attention layer of the same width, its positions and heads, same budget), accuracy on 1,000 new sequences, averaged over two "
            "training seeds (one with --quick). The LSTM is forge's default, forget-gate bias 1.0 at initialisation "
            "(Jozefowicz et al. 2015); dashed: the same LSTM with its forget-gate bias set to 3 (the gate starts "
            "wider open). Gradient "
            "norm of the final loss with respect to each input step vs its distance from the end, at "
            "initialisation (dotted) and after training on the longest gap (solid)."
        ),
        measure=measure_memory,
        plot=plot_memory,
        rule=RULE,
        judge=judge_memory,
        columns=TABLE,
        summarize=summarize_memory,
    )
)
