"""Words in context: SCWS-style graded pairs and WiC-style binary pairs.

Each item is a target word in two contexts. Its model score is the cosine
between the target's two vectors:

* contextual encoders (``tags["contextual"]``): ``embed`` each tokenised
  context and take the row of the target. Context tokens outside the
  vocabulary become ``<unk>`` when the encoder has it, else are dropped
  (the target index is shifted accordingly).
* static encoders: the context-free vectors of the two target tokens (for
  SCWS ``word1``/``word2``; for WiC the surface forms at the given indices,
  so ``carry``/``carries`` can differ). The same-word SCWS pairs then all get
  cosine 1, as expected of a context-free model.

An item is covered when both targets are in the vocabulary (case folded
like the other tasks); uncovered items are left out and coverage reported.

Graded items (SCWS, generic ``score`` TSV): Spearman (main) and Pearson.
Binary items (WiC, generic ``label`` TSV): the cosine threshold that
maximises accuracy on the ``train`` split is applied unchanged to ``dev``
and ``test`` (metrics ``accuracy_dev``, ``accuracy_test``; main: test).
``accuracy_test_oracle`` uses the threshold that is best on test itself, an
upper bound labelled as such, never a result. Without a train split only the
oracle is reported.
"""

from __future__ import annotations

import numpy as np

from forge.bench._parsers import ContextPairs
from forge.bench._result import TaskResult, metric_row
from forge.bench._stats import bootstrap_ci, correlation_note, fisher_ci, pearson, spearman, wilson_ci
from forge.bench._vectors import VectorView

__all__ = ["best_threshold", "context_cosines", "evaluate_polysemy"]


def _cos(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    return float(u @ v / (nu * nv)) if nu and nv else 0.0


def context_cosines(view: VectorView, items: ContextPairs, batch_size: int = 64, progress=None) -> np.ndarray:
    """Cosine between the target's two vectors for every item (NaN when not covered)."""
    n = len(items)
    out = np.full(n, np.nan)
    if not view.contextual:
        view.screen()  # words with NaN/inf vectors count as out of vocabulary
        r1, r2 = view.lookups(items.word1), view.lookups(items.word2)
        ok = np.flatnonzero((r1 >= 0) & (r2 >= 0))
        if len(ok):
            out[ok] = view.cosines(r1[ok], r2[ok])
        if progress is not None:
            progress.update(n)
        return out
    prepared = []
    for k in range(n):
        p1 = view.prepare(items.context1[k], items.index1[k])
        p2 = view.prepare(items.context2[k], items.index2[k])
        if p1 is not None and p2 is not None:
            prepared.append((k, p1, p2))
    for start in range(0, len(prepared), batch_size):
        chunk = prepared[start : start + batch_size]
        sentences = [p1[0] for _, p1, _ in chunk] + [p2[0] for _, _, p2 in chunk]
        vecs = view.embed(sentences)  # one (len(sentence), dim) array each
        m = len(chunk)
        for j, (k, p1, p2) in enumerate(chunk):
            out[k] = _cos(vecs[j][p1[1]], vecs[m + j][p2[1]])
        if progress is not None:
            progress.update(len(chunk))
    if progress is not None:
        progress.update(n - len(prepared))
    return out


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``(threshold, accuracy)``: predict True when score >= threshold; best accuracy on these items.

    Examples
    --------
    >>> import numpy as np
    >>> best_threshold(np.array([0.1, 0.4, 0.6, 0.9]), np.array([False, False, True, True]))
    (0.5, 1.0)
    """
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], labels[order].astype(bool)
    cands = np.concatenate([[s[0] - 1.0], (s[1:] + s[:-1]) / 2, [s[-1] + 1.0]])
    # accuracy when everything at index >= i is predicted True
    true_above = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    false_below = np.concatenate([[0], np.cumsum(~y)])
    acc = (true_above + false_below) / len(y)
    i = int(np.argmax(acc))
    return float(cands[i]), float(acc[i])


def evaluate_polysemy(
    view: VectorView,
    items: ContextPairs,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
    progress=None,
    subset: np.ndarray | None = None,
) -> TaskResult:
    """Score word-in-context items (see the module docstring); ``subset`` (bool per item, ``common=True``)
    leaves the other items out, as if not covered."""
    cos = context_cosines(view, items, progress=progress)
    notes = _nonfinite_note(view, items, np.isfinite(cos))
    if subset is not None:
        cos = np.where(subset, cos, np.nan)
    covered = np.isfinite(cos)
    n_cov = int(covered.sum())
    if items.scores is not None:
        gold, model = items.scores[covered], cos[covered]
        rho, r = spearman(gold, model), pearson(gold, model)
        if ci == "bootstrap":
            cis = (
                bootstrap_ci(gold, model, spearman, n_boot, seed=seed),
                bootstrap_ci(gold, model, pearson, n_boot, seed=seed),
            )
        else:
            cis = fisher_ci(rho, n_cov, method="spearman"), fisher_ci(r, n_cov)
        rows = [metric_row("spearman", rho, cis[0], n_cov, main=True), metric_row("pearson", r, cis[1], n_cov)]
        if not (np.isfinite(rho) and np.isfinite(r)):
            notes.append(correlation_note(gold, model) or "the correlation is NaN")
        if hasattr(items, "change_rows"):  # marked pairs in two contexts also score the change (_context_formats)
            rows += items.change_rows(cos, ci=ci, n_boot=n_boot, seed=seed, contextual=view.contextual)
        return TaskResult(rows, {"gold": items.scores, "pred": cos}, len(items), n_cov, notes)

    labels = np.asarray(items.labels, dtype=bool)
    splits = np.array(items.splits or ["test"] * len(items), dtype=object)
    rows = []
    correct = np.full(len(items), np.nan)
    train = covered & (splits == "train")
    threshold = best_threshold(cos[train], labels[train])[0] if train.any() else None
    if threshold is not None:
        rows.append(metric_row("threshold", threshold, n=int(train.sum())))
        pred = cos >= threshold
        for split in ("dev", "test"):
            mask = covered & (splits == split)
            if mask.any():
                ok = pred[mask] == labels[mask]
                if split == "test":  # the paired test (McNemar) compares test items only: dev may choose settings
                    correct[mask] = ok
                rows.append(
                    metric_row(
                        f"accuracy_{split}",
                        ok.mean(),
                        wilson_ci(int(ok.sum()), int(mask.sum())),
                        int(mask.sum()),
                        main=(split == "test"),
                    )
                )
    test = covered & (splits == "test")
    if test.any():
        _, acc = best_threshold(cos[test], labels[test])
        k = int(round(acc * test.sum()))
        rows.append(
            metric_row(
                "accuracy_test_oracle",
                acc,
                wilson_ci(k, int(test.sum())),
                int(test.sum()),
                main=not any(r["main"] for r in rows),
            )
        )
    if not rows:
        rows.append(metric_row("accuracy_test", float("nan"), n=0, main=True))
        notes.append("no covered item in a train, dev or test split, so the accuracy is NaN")
    return TaskResult(rows, {"gold": labels.astype(float), "pred": cos, "correct": correct}, len(items), n_cov, notes)


def _nonfinite_note(view: VectorView, items: ContextPairs, covered: np.ndarray) -> list[str]:
    """A note for contextual items whose targets are in the vocabulary but whose vectors were NaN/inf."""
    if not view.contextual:
        return []
    known = np.array(
        [
            view.lookup(c1[i1]) is not None and view.lookup(c2[i2]) is not None
            for c1, c2, i1, i2 in zip(items.context1, items.context2, items.index1, items.index2)
        ],
        dtype=bool,
    )
    lost = np.flatnonzero(known & ~covered)
    if not len(lost):
        return []
    note = (
        f"{len(lost)} items were left out because the encoder returned a NaN or infinite vector for a "
        f"target (first: {items.word1[lost[0]]!r})"
    )
    return [note]
