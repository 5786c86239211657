"""Claims 4 and 5: averaging static vectors loses word order; a recurrent encoder keeps it.

Sentence representation (both claims): the mean of the sentence's ``embed()``
rows, computed with a correctly rounded sum so that summation order cannot
make two orderings differ (:func:`forge.lab.mean_pool`). For a static
encoder this is the classic "average of word vectors"; for a contextual one,
mean pooling of its states.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from forge.bench import wilson_ci
from forge.lab._plotting import encoder_ticks
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, row
from forge.lab._readout import encoders_in, listing, value
from forge.lab._register import register_probe
from forge.lab._sentences import ORDER_PAIRS, ORDER_SENTENCES, ROLES
from forge.lab._vectors import cosine_distance, mean_pool
from forge.lab._verdict import combine, diff_ci, values
from forge.lab._vocab import adapt_script, covered, encoder_language, vocabulary_sentences

__all__ = ["measure_order", "measure_order_task", "role_task"]


def _show(tokens: list[str]) -> str:
    return "".join(tokens) if not tokens[0].isascii() else " ".join(tokens)


# ------------------------------------------------------------------ claim 4
def measure_order(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Fraction of (sentence, permutation) pairs with identical mean-pooled vectors, and their distance."""
    out = ProbeOutcome()
    rng = np.random.default_rng(options.seed)
    # the named pairs first: 我打你 / 你打我 ...
    named = [(adapt_script(encoder, a), adapt_script(encoder, b), ga, gb) for a, b, ga, gb in ORDER_PAIRS]
    named = [(a, b, ga, gb) for a, b, ga, gb in named if covered(encoder, a + b)]
    if named:
        pooled = [mean_pool(m) for m in encoder.embed([s for a, b, _, _ in named for s in (a, b)])]
        for k, (a, b, ga, gb) in enumerate(named):
            d = cosine_distance(pooled[2 * k], pooled[2 * k + 1])
            identical = bool(np.array_equal(pooled[2 * k], pooled[2 * k + 1]))
            label = f"{_show(a)} / {_show(b)}"
            lang = "en" if a[0].isascii() else "zh"
            out.rows.append(row("cosine_distance", d, section=label, n=1, language=lang))
            gloss = f" ({ga} / {gb})" if ga else ""
            out.notes.append(
                f"{label}{gloss}: {'identical' if identical else 'different'} sentence vectors, cosine distance {d:.3g}"
            )
    # many sentences and random permutations of each
    limit = 100 if options.quick else 400
    pool = [a for a, _, _, _ in named] + [adapt_script(encoder, s) for s in ORDER_SENTENCES]
    pool += list(options.sentences or [])[:limit]
    pool = [s for s in pool if 2 <= len(s) <= 40 and len(set(s)) > 1 and covered(encoder, s)]
    if len(pool) < 20:
        extra = vocabulary_sentences(encoder, 50, 8, options.seed)
        pool += extra
        out.notes.append(
            f"few example sentences in the vocabulary: added {len(extra)} random sequences of 8 "
            f"frequent vocabulary words"
        )
    originals, permuted = [], []
    for sent in pool:
        for _ in range(3):
            perm = list(sent)
            while perm == sent:
                perm = [sent[i] for i in rng.permutation(len(sent))]
            originals.append(sent)
            permuted.append(perm)
    if not originals:
        out.notes.append("no sentence fully in the vocabulary: nothing measured")
        return out
    vecs = encoder.embed(originals + permuted)
    n = len(originals)
    same, dist = [], []
    for k in range(n):
        p, q = mean_pool(vecs[k]), mean_pool(vecs[n + k])
        same.append(bool(np.array_equal(p, q)))
        dist.append(cosine_distance(p, q))
    sec = f"{len(pool)} sentences x 3 permutations"
    out.rows.append(row("identical_fraction", float(np.mean(same)), section=sec, n=n, main=True))
    out.rows.append(row("cosine_distance_mean", float(np.mean(dist)), section=sec, n=n))
    out.rows.append(row("cosine_distance_max", float(np.max(dist)), section=sec, n=n))
    out.notes.append(
        f"{n} (sentence, permutation) pairs: {np.mean(same):.1%} identical, mean cosine distance {np.mean(dist):.3g}"
    )
    return out


def plot_order(frame, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    main = frame[frame["metric"] == "identical_fraction"]
    encs = list(dict.fromkeys(frame["encoder"]))
    x = np.arange(len(encs))
    ax1.bar(x, [main[main["encoder"] == e]["value"].mean() for e in encs], color="tab:blue")
    encoder_ticks(ax1, x, encs)
    ax1.set_ylim(0, 1.05)
    ax1.set_ylabel("share of permutations with the\nidentical mean-pooled vector")
    ax1.set_title("order lost?")
    dist = frame[frame["metric"] == "cosine_distance_mean"]
    vals = np.array([dist[dist["encoder"] == e]["value"].mean() for e in encs])
    ax2.bar(x, np.where(vals > 0, vals, np.nan), color="tab:orange")
    for k, v in enumerate(vals):
        if v == 0:
            ax2.annotate(
                "exactly 0",
                (k, 0.02),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
            )
    if np.nanmax(np.append(vals, 0.0)) > 0:
        ax2.set_yscale("log")
    encoder_ticks(ax2, x, encs)
    ax2.set_ylabel("mean cosine distance (log)")
    ax2.set_title("sentence vs its permutation")


ORDER_RULE = (
    "Supported when every static encoder gives bit-identical mean-pooled vectors for 100% of the "
    "(sentence, permutation) pairs; not supported when any static encoder tells a permutation apart. "
    "Order-sensitive encoders are shown for contrast."
)


def judge_order(frame, kinds) -> tuple[str, str]:
    same = values(frame, "identical_fraction")
    tests, parts = [], []
    for enc, kind in kinds.items():
        if kind["static"] and enc in same:
            tests.append(float(same[enc]["value"]) == 1.0)
            parts.append(f"{enc} {float(same[enc]['value']):.0%} identical")
    other = [f"{e} {float(same[e]['value']):.0%}" for e, k in kinds.items() if not k["static"] and e in same]
    if other:
        parts.append("order-sensitive encoders identical: " + ", ".join(other))
    return combine(tests), "; ".join(parts)


def summarize_order(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    return (
        "Share of (sentence, permutation) pairs with bit-identical mean-pooled vectors: "
        + listing([(e, value(sub, e, "identical_fraction")) for e in encs], "{:.0%}")
        + ". Mean cosine distance: "
        + listing([(e, value(sub, e, "cosine_distance_mean")) for e in encs])
        + "."
    )


ORDER_TABLE = (Column("identical_fraction", "identical share"), Column("cosine_distance_mean", "mean distance"))

register_probe(
    Probe(
        name="probe-order",
        claim=4,
        title="Averaging static vectors loses word order",
        claim_text=(
            'Averaging static vectors loses word order: "我打你" (I hit you) and "你打我" (you hit me) get '
            "the same sentence vector."
        ),
        method=(
            "Each sentence (the lab's examples plus up to 400 corpus sentences fully in the vocabulary) and three "
            "random permutations of it; the sentence vector is the mean of the embed() rows (an exactly rounded "
            "sum, so summation order plays no part). Share of pairs with bit-identical vectors and their mean "
            "cosine distance."
        ),
        measure=measure_order,
        plot=plot_order,
        rule=ORDER_RULE,
        judge=judge_order,
        columns=ORDER_TABLE,
        summarize=summarize_order,
    )
)


# ------------------------------------------------------------------ claim 5
def role_task(encoder: Any, seed: int = 0, test_share: float = 0.3):
    """Who did what to whom: sentences, labels (1 = a person acts on an animal) and two train/test splits.

    Every bag of words appears in both orders with opposite labels, so only order can tell them
    apart. Returns ``(sentences, labels, splits, lang)``; ``splits`` maps a split name to
    ``(train mask, test mask)``:

    * ``new pairs``: test sentences pair a person and an animal never paired in training
      (every word was seen in both roles) - structure alone can solve it;
    * ``new words``: test sentences use persons and animals never seen in training - the
      classifier must carry "person acts on animal" over to unseen words, which needs
      word vectors that know what a person and an animal are.
    """
    first = encoder_language(encoder)
    for lang in (first, "zh" if first == "en" else "en"):
        spec = ROLES[lang]
        pick = {k: [w for w in adapt_script(encoder, spec[k]) if w in encoder] for k in ("persons", "animals", "verbs")}
        fixed = [t for t in spec["template"] if "{" not in t]
        if len(pick["persons"]) >= 4 and len(pick["animals"]) >= 4 and pick["verbs"] and covered(encoder, fixed):
            break
    else:
        return None
    fill = spec["template"]
    persons, animals, verbs = pick["persons"][:12], pick["animals"][:12], pick["verbs"][:6]
    sentences, labels, who = [], [], []
    for p, a in itertools.product(persons, animals):
        for v in verbs:
            for first, second, label in ((p, a, 1), (a, p, 0)):
                sentences.append([t.format(a=first, v=v, b=second) for t in fill])
                labels.append(label)
                who.append((p, a))
    rng = np.random.default_rng(seed)
    pairs = list(itertools.product(persons, animals))
    test_pairs = {pairs[k] for k in rng.permutation(len(pairs))[: max(1, round(test_share * len(pairs)))]}
    in_test = np.array([w in test_pairs for w in who])
    new_p = set(rng.permutation(persons)[: max(1, round(test_share * len(persons)))].tolist())
    new_a = set(rng.permutation(animals)[: max(1, round(test_share * len(animals)))].tolist())
    unseen = np.array([p in new_p and a in new_a for p, a in who])
    seen = np.array([p not in new_p and a not in new_a for p, a in who])
    splits = {"new pairs": (~in_test, in_test), "new words": (seen, unseen)}
    return sentences, np.array(labels), splits, lang


def _logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """L2-regularised logistic regression (L-BFGS); returns weights with the bias last."""
    Xb = np.hstack([X, np.ones((len(X), 1))])

    def loss(w):
        z = Xb @ w
        value = np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * np.sum(w[:-1] ** 2)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow
        grad = Xb.T @ (p - y)
        grad[:-1] += l2 * w[:-1]
        return value, grad

    res = minimize(loss, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


def _pooled_matrix(encoder: Any, sentences: list[list[str]]) -> np.ndarray:
    """Mean-pooled sentence vectors, restricted to the columns that are non-zero somewhere (one-hot: the
    task's words), built sparsely so a 100k-word one-hot vocabulary costs nothing."""
    data, indices, indptr = [], [], [0]
    width = 0
    for m in encoder.embed(sentences):
        v = mean_pool(m)
        width = len(v)
        nz = np.flatnonzero(v)
        data.append(v[nz])
        indices.append(nz)
        indptr.append(indptr[-1] + len(nz))
    mat = sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(len(sentences), width))
    used = np.unique(mat.indices)
    return mat[:, used].toarray()


def measure_order_task(encoder: Any, options: ProbeOptions) -> ProbeOutcome:
    """Logistic regression on mean-pooled sentence vectors: accuracy on new pairs and on new words."""
    out = ProbeOutcome()
    task = role_task(encoder, options.seed)
    if task is None:
        out.notes.append("too few of the task's persons/animals/verbs in the vocabulary: nothing measured")
        return out
    sentences, y, splits, lang = task
    pooled = _pooled_matrix(encoder, sentences)
    for split, (train, test) in splits.items():
        X = pooled[:, pooled[train].std(axis=0) > 0]  # drop constant columns (one-hot: unused words)
        mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
        X = (X - mu) / sd
        w = _logistic(X[train], y[train].astype(float))
        pred = (np.hstack([X, np.ones((len(X), 1))]) @ w > 0).astype(int)
        correct = pred[test] == y[test]
        acc = float(correct.mean())
        metric = "accuracy_" + split.replace(" ", "_")
        out.rows.append(
            row(
                metric,
                acc,
                section=f"test: {split}",
                n=int(test.sum()),
                main=split == "new words",
                language=lang,
                ci=wilson_ci(int(correct.sum()), int(test.sum())),
            )
        )
        out.rows.append(
            row(
                f"train_{metric}",
                float((pred[train] == y[train]).mean()),
                section=f"train: {split}",
                n=int(train.sum()),
                language=lang,
            )
        )
        out.notes.append(
            f"{split}: {int(train.sum())} train / {int(test.sum())} test sentences, test accuracy "
            f"{acc:.3f} (chance 0.5)"
        )
    out.notes.insert(0, f"{len(sentences)} sentences like {_show(sentences[0])!r} / {_show(sentences[1])!r}")
    return out


def plot_order_task(frame, fig) -> None:
    ax = fig.subplots()
    encs = list(dict.fromkeys(frame[frame["metric"].str.startswith("accuracy_")]["encoder"]))
    for k, (metric, label, color) in enumerate(
        [
            ("accuracy_new_pairs", "new (person, animal) pairs", "tab:blue"),
            ("accuracy_new_words", "new persons and animals", "tab:green"),
        ]
    ):
        vals = frame[frame["metric"] == metric].set_index("encoder").reindex(encs)
        v = vals["value"].to_numpy(float)
        err = np.abs(np.vstack([v - vals["ci_low"].to_numpy(float), vals["ci_high"].to_numpy(float) - v]))
        ax.bar(
            np.arange(len(encs)) + (k - 0.5) * 0.4,
            np.nan_to_num(v),
            0.4,
            yerr=np.nan_to_num(err),
            capsize=2,
            color=color,
            label=label,
        )
    ax.axhline(0.5, color="red", linewidth=1, linestyle="--", label="chance")
    ax.set_xticks(np.arange(len(encs)), encs, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy (95% CI)")
    ax.set_title("who did what to whom? test accuracy")
    ax.legend(fontsize=7)


ORDER_TASK_RULE = (
    "Two tests. Structure: every untrained recurrent encoder (every recurrent one when none is untrained) is above "
    "chance on new pairs (Wilson 95% interval above 0.5). Training: every trained recurrent encoder beats its "
    "untrained twin (same cell, direction, width) on new words (Newcombe 95% interval of the accuracy "
    "difference above 0). Supported when all tests pass, not supported when all fail, mixed otherwise or when "
    "an interval straddles the bound."
)


def judge_order_task(frame, kinds) -> tuple[str, str]:
    pairs, words = values(frame, "accuracy_new_pairs"), values(frame, "accuracy_new_words")
    recurrent = {e: k for e, k in kinds.items() if k["cell"] is not None}
    untrained = {e: k for e, k in recurrent.items() if k["untrained"]}
    tests, parts = [], []
    for enc in untrained or recurrent:
        if enc not in pairs:
            continue
        r = pairs[enc]
        tests.append(True if r["ci_low"] > 0.5 else False if r["value"] <= 0.5 or r["ci_high"] <= 0.5 else None)
        parts.append(f"{enc} new pairs {r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]")
    twins = {k["group"]: e for e, k in untrained.items()}
    for enc, kind in recurrent.items():
        twin = twins.get(kind["group"])
        if kind["untrained"] or twin is None or enc not in words or twin not in words:
            continue
        a, b = words[enc], words[twin]
        lo, hi = diff_ci(float(a["value"]), int(a["n"]), float(b["value"]), int(b["n"]))
        d = float(a["value"]) - float(b["value"])
        tests.append(True if lo > 0 else False if d <= 0 or hi <= 0 else None)
        parts.append(
            f"new words {enc} {a['value']:.2f} vs {twin} {b['value']:.2f} (difference {d:+.2f} [{lo:+.2f}, {hi:+.2f}])"
        )
    static = [f"{e} {float(pairs[e]['value']):.2f}" for e, k in kinds.items() if k["static"] and e in pairs]
    if static:
        parts.append("static encoders on new pairs (order-blind, chance 0.5): " + ", ".join(static))
    return combine(tests), "; ".join(parts)


def summarize_order_task(sub: Any) -> str:
    """What the report says was measured, from this probe's rows."""
    encs = encoders_in(sub)
    return (
        "Test accuracy (chance 0.5) on new (person, animal) pairs: "
        + listing([(e, value(sub, e, "accuracy_new_pairs")) for e in encs], "{:.3f}")
        + "; on new persons and animals: "
        + listing([(e, value(sub, e, "accuracy_new_words")) for e in encs], "{:.3f}")
        + "."
    )


ORDER_TASK_TABLE = (
    Column("accuracy_new_pairs", "acc. new pairs"),
    Column("accuracy_new_words", "acc. new words"),
    Column("accuracy_new_words", "CI low (new words)", field="ci_low"),
    Column("accuracy_new_words", "CI high (new words)", field="ci_high"),
    Column("train_accuracy_new_words", "train acc."),
)

register_probe(
    Probe(
        name="probe-order-task",
        claim=5,
        title="An RNN is order-sensitive, and training makes order useful",
        claim_text=(
            "An RNN is order-sensitive by its structure (even untrained), and after training it separates "
            "order meaningfully."
        ),
        method=(
            "Sentences 'the <a> <verb> the <b>' (Chinese: '<a><verb><b>') with a person and an animal, in both "
            "orders; label: does the person act on the animal? A logistic regression (L2, standardised features) "
            "on the mean-pooled sentence vector. Two tests: (person, animal) pairs never seen together in "
            "training (each word seen in both roles: structure suffices), and persons and animals never seen in "
            "training at all (the classifier must generalise to new words: meaning is needed). Untrained "
            "encoders are the same architecture with random weights (epochs=0)."
        ),
        measure=measure_order_task,
        plot=plot_order_task,
        rule=ORDER_TASK_RULE,
        judge=judge_order_task,
        columns=ORDER_TASK_TABLE,
        summarize=summarize_order_task,
    )
)
