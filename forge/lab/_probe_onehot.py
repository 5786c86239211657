"""Claim 1: one-hot vectors are huge, almost all zeros, and every two words are orthogonal."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from forge.lab._plotting import encoder_ticks
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in, listing, value
from forge.lab._register import register_probe
from forge.lab._sentences import ONEHOT_EXAMPLES, ORDER_SENTENCES
from forge.lab._verdict import combine, values
from forge.lab._vocab import covered

__all__ = ["measure_onehot"]

QUANTILES = (5, 25, 50, 75, 95)


def _plain_words(encoder: Any, limit: int) -> list[str]:
    vocab = list(encoder.vocabulary)
    return [w for w in vocab[: limit + 10] if not (w.startswith("<") and w.endswith(">"))][:limit]


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0.0 or nb == 0.0 else float(a @ b) / (na * nb)


def _flat(v: Any) -> Any:
    """A 1-row CSR matrix stays sparse (a 100k-word one-hot row costs 12 bytes), else a flat float64 array."""
    return v.tocsr() if sp.issparse(v) else np.asarray(v, dtype=np.float64).ravel()


def _cos_any(a: Any, b: Any) -> float:
    if sp.issparse(a):
        dot = float(a.multiply(b).sum())
        na, nb = float(np.sqrt(a.multiply(a).sum())), float(np.sqrt(b.multiply(b).sum()))
        return 0.0 if na == 0.0 or nb == 0.0 else dot / (na * nb)
    return _cos(a, b)


def _nonzeros_per_row(m: Any) -> np.ndarray:
    """The number of non-zero entries in each row of a 2-D matrix (sparse or dense)."""
    if sp.issparse(m):
        m = m.tocsr()
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        return np.bincount(rows[m.data != 0], minlength=m.shape[0])  # stored zeros are not non-zero entries
    return np.count_nonzero(np.asarray(m).reshape(len(m), -1), axis=1)


def _bytes(x: Any) -> int:
    if sp.issparse(x):
        x = x.tocsr()
        return int(x.data.nbytes + x.indices.nbytes + x.indptr.nbytes)
    return int(np.asarray(x).nbytes)


def measure_onehot(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Dimension, non-zeros per vector, density, memory as stored / dense / CSR, and the cosine distribution of
    word pairs."""
    out = ProbeOutcome()
    rng = np.random.default_rng(options.seed)
    out.rows.append(row("dim", encoder.dim, n=1))
    out.rows.append(row("vocab_size", len(encoder.vocabulary), n=1))
    # density and memory over real sentences
    sents = [s for s in ORDER_SENTENCES + list(options.sentences or [])[:300] if s and covered(encoder, s)]
    per_row: list[np.ndarray] = []  # non-zero entries of every vector looked at (embed() rows, word vectors)
    if sents:
        mats = encoder.embed(sents)
        tokens = sum(m.shape[0] for m in mats)
        nnz = sum(int(m.nnz) if sp.issparse(m) else int(np.count_nonzero(m)) for m in mats)
        width = mats[0].shape[1]
        stored = sum(_bytes(m) for m in mats)
        as_dense = tokens * width * 4  # float32
        as_csr = sum(_bytes(m if sp.issparse(m) else sp.csr_matrix(np.asarray(m, dtype=np.float32))) for m in mats)
        per_row += [_nonzeros_per_row(m) for m in mats]
        out.rows += [
            row("density", nnz / (tokens * width), n=tokens, section="embed() rows"),
            row("bytes_per_token_stored", stored / tokens, n=tokens, section="memory"),
            row("bytes_per_token_dense", as_dense / tokens, n=tokens, section="memory"),
            row("bytes_per_token_csr", as_csr / tokens, n=tokens, section="memory"),
        ]
        out.notes.append(
            f"{len(sents)} sentences, {tokens} tokens: {nnz / (tokens * width):.2%} of the entries "
            f"are non-zero; stored {stored / tokens:,.0f} B/token, dense float32 would take "
            f"{as_dense / tokens:,.0f} B/token, CSR {as_csr / tokens:,.0f} B/token."
        )
    # cosine between random pairs of distinct frequent words (context-free vectors)
    words = _plain_words(encoder, 2000)
    n_pairs = 500 if options.quick else 2000
    if len(words) >= 2:
        i = rng.integers(0, len(words), n_pairs)
        j = (i + rng.integers(1, len(words), n_pairs)) % len(words)  # j != i
        vecs = {words[k]: _flat(encoder.vector(words[k])) for k in set(i.tolist()) | set(j.tolist())}
        per_row += [_nonzeros_per_row(v if sp.issparse(v) else v.reshape(1, -1)) for v in vecs.values()]
        cos = np.array([_cos_any(vecs[words[a]], vecs[words[b]]) for a, b in zip(i, j)])
        section = "random pairs of distinct words"
        out.rows.append(
            row("cosine_exactly_zero_fraction", float(np.mean(cos == 0.0)), n=n_pairs, main=True, section=section)
        )
        out.rows.append(row("cosine_mean", float(cos.mean()), n=n_pairs, section=section))
        for q in QUANTILES:
            out.rows.append(row(f"cosine_q{q:02d}", float(np.percentile(cos, q)), n=n_pairs, section=section))
    if per_row:
        counts = np.concatenate(per_row)
        section = "vectors (embed() rows and word vectors)"
        out.rows.append(row("one_nonzero_fraction", float(np.mean(counts == 1)), n=len(counts), section=section))
        out.rows.append(row("nonzeros_per_vector_max", float(counts.max()), n=len(counts), section=section))
        out.notes.append(
            f"{np.mean(counts == 1):.2%} of {len(counts)} vectors have exactly one non-zero entry "
            f"(most non-zeros in one vector: {int(counts.max())})."
        )
    for a, b in ONEHOT_EXAMPLES:
        if a in encoder and b in encoder:
            value = _cos_any(_flat(encoder.vector(a)), _flat(encoder.vector(b)))
            lang = "zh" if not a.isascii() else "en"
            out.rows.append(row("cosine", value, section=f"{a} / {b}", n=1, language=lang))
            out.notes.append(f"cos({a}, {b}) = {value:.4f}")
    return out


def plot_onehot(frame, fig) -> None:
    encoders = list(dict.fromkeys(frame["encoder"]))
    ax1, ax2 = fig.subplots(1, 2)
    mem = frame[frame["section"] == "memory"]
    x = np.arange(len(encoders))
    for k, (metric, label) in enumerate(
        [
            ("bytes_per_token_stored", "as returned by embed()"),
            ("bytes_per_token_dense", "dense float32"),
            ("bytes_per_token_csr", "sparse CSR"),
        ]
    ):
        vals = [mem[(mem["encoder"] == e) & (mem["metric"] == metric)]["value"].mean() for e in encoders]
        ax1.bar(x + (k - 1) * 0.27, np.nan_to_num(vals), 0.27, label=label)
    if (mem["value"] > 0).any():  # no sentence covered: no memory rows, nothing to put on a log axis
        ax1.set_yscale("log")
    encoder_ticks(ax1, x, encoders)
    ax1.set_ylabel("bytes per token (log)")
    ax1.set_title("memory of one token's vector")
    ax1.legend(fontsize=7)
    stats = []
    sim = frame[frame["section"] == "random pairs of distinct words"]
    for e in encoders:
        q = dict(sim[sim["encoder"] == e][["metric", "value"]].itertuples(index=False))
        if "cosine_q50" not in q:
            stats.append({"med": np.nan, "q1": np.nan, "q3": np.nan, "whislo": np.nan, "whishi": np.nan, "label": e})
            continue
        stats.append(
            {
                "med": q["cosine_q50"],
                "q1": q["cosine_q25"],
                "q3": q["cosine_q75"],
                "whislo": q["cosine_q05"],
                "whishi": q["cosine_q95"],
                "label": e,
            }
        )
    ax2.bxp(stats, showfliers=False)
    for k, e in enumerate(encoders):
        z = sim[(sim["encoder"] == e) & (sim["metric"] == "cosine_exactly_zero_fraction")]["value"]
        if len(z):
            ax2.annotate(
                f"{z.iloc[0]:.0%}\n=0",
                (k + 1, 1.01),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=7,
                annotation_clip=False,
            )
    # limits from the whiskers themselves (a collapsed model sits at 0.9-1.0), with a margin so none is cut
    ends = [v for s in stats for v in (s["whislo"], s["whishi"]) if np.isfinite(v)]
    low, high = (min([*ends, 0.0]), max([*ends, 0.0])) if ends else (0.0, 1.0)
    pad = 0.05 * max(0.1, high - low)
    ax2.set_ylim(low - pad, high + pad)
    ax2.axhline(0, color="grey", linewidth=0.5)
    encoder_ticks(ax2, np.arange(1, len(encoders) + 1), encoders)
    ax2.set_ylabel("cosine (5-25-50-75-95%)")
    ax2.set_title("cosine of random word pairs", pad=22)


RULE = (
    "Supported when every one-hot (sparse) encoder has one dimension per vocabulary word, exactly one "
    "non-zero entry in every vector looked at (embed() rows and word vectors: 1 of dim entries, almost all "
    "zeros whatever the vocabulary's size), and cosine exactly 0 for 100% of the random pairs of distinct "
    "words; the dense encoders are shown for contrast."
)


def judge_onehot(frame, kinds) -> tuple[str, str]:
    zero, one = values(frame, "cosine_exactly_zero_fraction"), values(frame, "one_nonzero_fraction")
    dim, vocab = values(frame, "dim"), values(frame, "vocab_size")
    tests, parts = [], []
    for enc, kind in kinds.items():
        if not kind["sparse"] or enc not in zero:
            continue
        z = float(zero[enc]["value"])
        o = float(one[enc]["value"]) if enc in one else float("nan")
        d = float(dim[enc]["value"]) if enc in dim else float("nan")
        v = float(vocab[enc]["value"]) if enc in vocab else float("nan")
        tests.append(z == 1.0 and o == 1.0 and d == v)  # NaN (not measured) never passes
        parts.append(
            f"{enc}: dim {d:,.0f} for {v:,.0f} words, {o:.0%} of {int(one[enc]['n']) if enc in one else 0} "
            f"vectors with exactly one non-zero, {z:.0%} of {int(zero[enc]['n'])} pairs exactly orthogonal"
        )
    dense_ = [f"{e} {float(zero[e]['value']):.0%}" for e, k in kinds.items() if not k["sparse"] and e in zero]
    if dense_:
        parts.append("exactly orthogonal pairs among dense encoders: " + ", ".join(dense_))
    return combine(tests), "; ".join(parts)


def summarize_onehot(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    zero = [(e, value(sub, e, "cosine_exactly_zero_fraction")) for e in encs]
    one = [(e, value(sub, e, "one_nonzero_fraction")) for e in encs]
    return (
        "Share of random pairs of distinct words whose cosine is exactly 0: " + listing(zero, "{:.0%}") + ". "
        "Share of vectors with exactly one non-zero entry: " + listing(one, "{:.0%}") + ". "
        "Non-zero share of embed() entries: " + listing([(e, value(sub, e, "density")) for e in encs], "{:.2%}") + "."
    )


TABLE = (
    Column("dim", "dim"),
    Column("one_nonzero_fraction", "vectors with one non-zero"),
    Column("density", "non-zero share"),
    Column("bytes_per_token_stored", "B/token stored"),
    Column("bytes_per_token_dense", "B/token dense"),
    Column("cosine_exactly_zero_fraction", "pairs with cos = 0"),
    Column("cosine_mean", "mean cos"),
)

register_probe(
    Probe(
        name="probe-onehot",
        skips=("untrained",),
        claim=1,
        title="One-hot vectors: one dimension per word, all pairs orthogonal",
        claim_text=(
            "One-hot vectors have one dimension per vocabulary word and are almost all zeros; any two "
            'different words have cosine similarity exactly 0, so "apple" is as far from "banana" as '
            'from "spaceship".'
        ),
        method=(
            "Dimension and vocabulary size; the share of vectors (embed() rows over real sentences, context-free "
            "word vectors) with exactly one non-zero entry; the share of non-zero entries in embed(); the "
            "bytes per token as returned, as a dense float32 array and as CSR; the cosine of 2,000 random pairs "
            "of distinct frequent words (context-free vectors) and the share that is exactly 0."
        ),
        measure=measure_onehot,
        plot=plot_onehot,
        rule=RULE,
        judge=judge_onehot,
        columns=TABLE,
        summarize=summarize_onehot,
    )
)
