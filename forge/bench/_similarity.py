"""Word similarity: Spearman (main) and Pearson between human scores and cosines.

Protocol (gensim's ``evaluate_word_pairs`` with ``dummy4unknown=False`` for
``oov="drop"``): a pair is covered when both words are among the first
``restrict_vocab`` vocabulary words (after case folding when
``case_insensitive``; the most frequent case variant's vector is used).
OOV policies:

* ``"drop"`` (default): uncovered pairs are left out; coverage is reported.
* ``"zero"``: uncovered pairs get similarity 0 (gensim's ``dummy4unknown=True``).
* ``"mean"``: an unknown word gets the mean vector of the vocabulary.

When no pair at all can be scored the correlations are NaN with coverage 0
(gensim raises there); :func:`forge.bench.run` records that and goes on.
"""

from __future__ import annotations

import numpy as np

from forge.bench._parsers import WordPairs
from forge.bench._result import TaskResult, metric_row
from forge.bench._stats import bootstrap_ci, correlation_note, fisher_ci, pearson, spearman
from forge.bench._vectors import VectorView, pair_cosines
from forge.errors import BadInputError

__all__ = ["OOV_CHOICES", "evaluate_similarity"]

OOV_CHOICES = ("drop", "zero", "mean")


def evaluate_similarity(
    view: VectorView,
    pairs: WordPairs,
    oov: str = "drop",
    subset: np.ndarray | None = None,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
) -> TaskResult:
    """Score ``pairs`` with cosine similarities from ``view``.

    ``subset`` (bool per pair) restricts scoring to those pairs (used to
    compare several encoders on the pairs they all cover).

    Examples
    --------
    >>> import numpy as np
    >>> from forge.bench._parsers import WordPairs
    >>> vecs = (["a", "b", "c"], np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32))
    >>> pairs = WordPairs(["a", "a", "b"], ["b", "c", "z"], np.array([8.0, 1.0, 5.0]))
    >>> res = evaluate_similarity(VectorView(vecs), pairs)
    >>> res.n_covered, res.n_total, res.main()["metric"]
    (2, 3, 'spearman')
    """
    if oov not in OOV_CHOICES:
        raise BadInputError(f"oov={oov!r} is not a valid OOV policy for similarity; choose one of {OOV_CHOICES}.")
    view.screen()  # words with NaN/inf vectors count as out of vocabulary
    i1, i2 = view.lookups(pairs.word1, open_vocabulary=True), view.lookups(pairs.word2, open_vocabulary=True)
    covered = (i1 >= 0) & (i2 >= 0)
    use = covered.copy() if oov == "drop" else np.ones(len(pairs), dtype=bool)
    if subset is not None:
        use &= subset
    pred = np.full(len(pairs), np.nan)
    if covered.any():
        idx = np.flatnonzero(covered & use)
        pred[idx] = view.cosines(i1[idx], i2[idx])
    uncovered = use & ~covered
    if uncovered.any():
        if oov == "zero":
            pred[uncovered] = 0.0
        else:  # mean vector for the unknown word(s)
            mean = view.mean_vector()
            idx = np.flatnonzero(uncovered)
            u = np.stack([view.rows(np.array([i1[k]]))[0] if i1[k] >= 0 else mean for k in idx])
            v = np.stack([view.rows(np.array([i2[k]]))[0] if i2[k] >= 0 else mean for k in idx])
            pred[idx] = pair_cosines(u, v)
    gold, model = pairs.scores[use], pred[use]
    n = int(use.sum())
    rho, r = spearman(gold, model), pearson(gold, model)
    if ci == "bootstrap":
        ci_rho = bootstrap_ci(gold, model, spearman, n_boot, seed=seed)
        ci_r = bootstrap_ci(gold, model, pearson, n_boot, seed=seed)
    else:
        ci_rho, ci_r = fisher_ci(rho, n, method="spearman"), fisher_ci(r, n)
    rows = [metric_row("spearman", rho, ci_rho, n, main=True), metric_row("pearson", r, ci_r, n)]
    notes = [] if np.isfinite(rho) and np.isfinite(r) else [correlation_note(gold, model) or "the correlation is NaN"]
    return TaskResult(rows, {"gold": pairs.scores, "pred": pred}, len(pairs), int(covered.sum()), notes)
