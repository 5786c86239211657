"""Claims 4 and 5: averaging static vectors loses word order; a recurrent encoder keeps it.

Sentence representation (both claims): the mean of the sentence's ``embed()``
rows, computed with a correctly rounded sum so that summation order cannot
make two orderings differ (:func:`forge.lab._base.mean_pool`). For a static
encoder this is the classic "average of word vectors"; for a contextual one,
mean pooling of its states.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from forge.lab._base import (Probe, ProbeOptions, ProbeOutcome, adapt_script, cosine_distance, covered,
                             encoder_language, mean_pool, register_probe, row,
                             vocabulary_sentences)
from forge.lab._sentences import ORDER_PAIRS, ORDER_SENTENCES, ROLES

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
            same = bool(np.array_equal(pooled[2 * k], pooled[2 * k + 1]))
            label = f"{_show(a)} / {_show(b)}"
            lang = "en" if a[0].isascii() else "zh"
            out.rows.append(row("cosine_distance", d, section=label, n=1, language=lang))
            gloss = f" ({ga} / {gb})" if ga else ""
            out.notes.append(f"{label}{gloss}: {'identical' if same else 'different'} sentence vectors, "
                             f"cosine distance {d:.3g}")
    # many sentences and random permutations of each
    limit = 100 if options.quick else 400
    pool = [a for a, _, _, _ in named] + [adapt_script(encoder, s) for s in ORDER_SENTENCES]
    pool += list(options.sentences or [])[:limit]
    pool = [s for s in pool if 2 <= len(s) <= 40 and len(set(s)) > 1 and covered(encoder, s)]
    if len(pool) < 20:
        extra = vocabulary_sentences(encoder, 50, 8, options.seed)
        pool += extra
        out.notes.append(f"few example sentences in the vocabulary: added {len(extra)} random sequences of 8 "
                         f"frequent vocabulary words")
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
    out.notes.append(f"{n} (sentence, permutation) pairs: {np.mean(same):.1%} identical, mean cosine distance "
                     f"{np.mean(dist):.3g}")
    return out


def plot_order(frame, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    main = frame[frame["metric"] == "identical_fraction"]
    encs = list(dict.fromkeys(frame["encoder"]))
    x = np.arange(len(encs))
    ax1.bar(x, [main[main["encoder"] == e]["value"].mean() for e in encs], color="tab:blue")
    ax1.set_xticks(x, encs, rotation=30, ha="right", fontsize=8)
    ax1.set_ylim(0, 1.05)
    ax1.set_ylabel("share of permutations with the\nidentical mean-pooled vector")
    ax1.set_title("order lost?")
    dist = frame[frame["metric"] == "cosine_distance_mean"]
    vals = np.array([dist[dist["encoder"] == e]["value"].mean() for e in encs])
    ax2.bar(x, np.where(vals > 0, vals, np.nan), color="tab:orange")
    for k, v in enumerate(vals):
        if v == 0:
            ax2.annotate("exactly 0", (k, 0), ha="center", va="bottom", fontsize=7, rotation=90)
    ax2.set_yscale("log")
    ax2.set_xticks(x, encs, rotation=30, ha="right", fontsize=8)
    ax2.set_ylabel("mean cosine distance (log)")
    ax2.set_title("sentence vs its permutation")


register_probe(Probe(
    name="probe-order", claim=4, title="Averaging static vectors loses word order",
    claim_text=("Averaging static vectors loses word order: \"我打你\" (I hit you) and \"你打我\" (you hit me) get "
                "the same sentence vector."),
    method=("Each sentence (the lab's examples plus up to 400 corpus sentences fully in the vocabulary) and three "
            "random permutations of it; the sentence vector is the mean of the embed() rows (an exactly rounded "
            "sum, so summation order plays no part). Share of pairs with bit-identical vectors and their mean "
            "cosine distance."),
    measure=measure_order, plot=plot_order))


# ------------------------------------------------------------------ claim 5
def role_task(encoder: Any, seed: int = 0, test_share: float = 0.3):
    """Who did what to whom: sentences, labels (1 = a person acts on an animal) and a train mask.

    Every bag of words appears in both orders with opposite labels, so only order can
    tell them apart. Train and test hold different (person, animal) pairs.
    """
    first = encoder_language(encoder)
    for lang in (first, "zh" if first == "en" else "en"):
        spec = ROLES[lang]
        pick = {k: [w for w in adapt_script(encoder, spec[k]) if w in encoder] for k in ("persons", "animals", "verbs")}
        fixed = [t for t in spec["template"] if "{" not in t]
        if len(pick["persons"]) >= 3 and len(pick["animals"]) >= 3 and pick["verbs"] and covered(encoder, fixed):
            break
    else:
        return None
    fill = spec["template"]
    sentences, labels, pair_ids = [], [], []
    pick = {"persons": pick["persons"][:10], "animals": pick["animals"][:10], "verbs": pick["verbs"][:6]}
    pairs = list(itertools.product(pick["persons"], pick["animals"]))
    for pid, (p, a) in enumerate(pairs):
        for v in pick["verbs"]:
            for first, second, label in ((p, a, 1), (a, p, 0)):
                sentences.append([t.format(a=first, v=v, b=second) for t in fill])
                labels.append(label)
                pair_ids.append(pid)
    rng = np.random.default_rng(seed)
    test_pairs = set(rng.permutation(len(pairs))[: max(1, int(round(test_share * len(pairs))))].tolist())
    train = np.array([pid not in test_pairs for pid in pair_ids])
    return sentences, np.array(labels), train, lang


def _logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """L2-regularised logistic regression (L-BFGS); returns weights with the bias last."""
    from scipy.optimize import minimize
    Xb = np.hstack([X, np.ones((len(X), 1))])

    def loss(w):
        z = Xb @ w
        value = np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * np.sum(w[:-1] ** 2)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))                       # sigmoid without overflow
        grad = Xb.T @ (p - y)
        grad[:-1] += l2 * w[:-1]
        return value, grad

    res = minimize(loss, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


def _pooled_matrix(encoder: Any, sentences: list[list[str]]) -> np.ndarray:
    """Mean-pooled sentence vectors, restricted to the columns that are non-zero somewhere (one-hot: the
    task's words), built sparsely so a 100k-word one-hot vocabulary costs nothing."""
    import scipy.sparse as sp
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
    """Accuracy of a logistic regression on mean-pooled sentence vectors, on held-out (person, animal) pairs."""
    from forge.bench._stats import wilson_ci
    out = ProbeOutcome()
    task = role_task(encoder, options.seed)
    if task is None:
        out.notes.append("too few of the task's persons/animals/verbs in the vocabulary: nothing measured")
        return out
    sentences, y, train, lang = task
    X = _pooled_matrix(encoder, sentences)
    keep = X[train].std(axis=0) > 0                 # drop constant columns (one-hot: unused words)
    X = X[:, keep]
    mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
    X = (X - mu) / sd
    w = _logistic(X[train], y[train].astype(float))
    pred = (np.hstack([X, np.ones((len(X), 1))]) @ w > 0).astype(int)
    test = ~train
    correct = pred[test] == y[test]
    acc = float(correct.mean())
    out.rows.append(row("accuracy", acc, section="held-out pairs", n=int(test.sum()), main=True, language=lang,
                        ci=wilson_ci(int(correct.sum()), int(test.sum()))))
    out.rows.append(row("train_accuracy", float((pred[train] == y[train]).mean()), section="training pairs",
                        n=int(train.sum()), language=lang))
    example = sentences[0]
    out.notes.append(f"{len(sentences)} sentences like {_show(example)!r} / {_show(sentences[1])!r} "
                     f"({int(train.sum())} train, {int(test.sum())} test): test accuracy {acc:.3f} "
                     f"(chance 0.5)")
    return out


def plot_order_task(frame, fig) -> None:
    ax = fig.subplots()
    sub = frame[frame["metric"] == "accuracy"]
    encs = list(dict.fromkeys(sub["encoder"]))
    vals = sub.set_index("encoder").reindex(encs)
    v = vals["value"].to_numpy(float)
    err = np.abs(np.vstack([v - vals["ci_low"].to_numpy(float), vals["ci_high"].to_numpy(float) - v]))
    colors = ["tab:grey" if "untrained" in e else "tab:green" for e in encs]
    ax.bar(np.arange(len(encs)), v, yerr=err, capsize=3, color=colors)
    ax.axhline(0.5, color="red", linewidth=1, linestyle="--", label="chance")
    ax.set_xticks(np.arange(len(encs)), encs, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy (95% CI)")
    ax.set_title("who did what to whom? (grey: untrained)")
    ax.legend(fontsize=7)


register_probe(Probe(
    name="probe-order-task", claim=5, title="An RNN is order-sensitive, and training makes order useful",
    claim_text=("An RNN is order-sensitive by its structure (even untrained), and after training it separates "
                "order meaningfully."),
    method=("Sentences 'the <a> <verb> the <b>' (Chinese: '<a><verb><b>') with a person and an animal, in both "
            "orders; label: does the person act on the animal? A logistic regression (L2, standardised features) "
            "on the mean-pooled sentence vector, trained on 70% of the (person, animal) pairs and tested on the "
            "rest. Untrained encoders are the same architecture with random weights (epochs=0)."),
    measure=measure_order_task, plot=plot_order_task))
