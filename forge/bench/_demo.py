"""``forge demo``: the main job on the embedded default data, offline.

Trains one-hot, CBOW and skip-gram on ``gensim-default`` (about 0.5M words),
prints each one's nearest neighbours for a few words, checks that the dense
vectors have not collapsed, scores them on WordSim-353, SimLex-999 and the
Google analogy set (from gensim's test data), and says what the scores mean
at this corpus size and what to run next.

The settings are chosen for this small corpus (measured, see
``DEMO_PARAMS``): gensim's defaults (5 epochs) leave CBOW collapsed here,
every word with cosine 0.9-1.0 to every other. One worker thread makes the
output the same on every run with the same seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

import forge
from forge.bench._report import Report
from forge.bench._run import run

__all__ = ["DEMO_PARAMS", "mean_random_cosine", "run_demo"]

DEFAULT_ENCODERS = ("onehot", "cbow", "skipgram")
DEFAULT_WORDS = ("king", "war", "music", "computer", "river")
DEFAULT_DATASETS = ("wordsim353", "simlex999", "google-analogy")
# Measured on gensim-default (522,964 tokens, seed 1, one worker, a shared 2-core machine), mean cosine of 500
# random pairs of frequent words / WordSim-353 Spearman / SimLex-999 / Google analogy / training seconds:
#   cbow      5 epochs  0.91 / 0.16 / 0.02 / 0.5%  /  3 s   (collapsed: king -> railroad 1.00, season 1.00)
#   cbow     20 epochs  0.15 / 0.33 / 0.16 / 3.5%  / 10 s   (king -> shah, charles, george, john, james)
#   skipgram  5 epochs  0.56 / 0.16 / 0.10 / 1.7%  /  8 s
#   skipgram 10 epochs  0.33 / 0.31 / 0.18 / 2.5%  / 19 s
#   (min_count 5 with sample 1e-4 did not help: cbow 20 epochs 0.25 / 0.25 / 0.12 / 2.6%)
_W2V = {"vector_size": 100, "min_count": 3, "workers": 1, "seed": 1, "progress": False}
DEMO_PARAMS: dict[str, dict[str, Any]] = {
    "onehot": {"min_count": 3},
    "cbow": {**_W2V, "epochs": 20},
    "skipgram": {**_W2V, "epochs": 10},
}
COLLAPSED = 0.6  # mean cosine of random word pairs above this: the vectors all point one way

EXPLANATION = """\
What the scores mean here: gensim-default has about 0.5M words, some 2,000 times less than the corpora of
published Word2Vec results (Google News vectors, 100B words: WordSim-353 about 0.7, SimLex-999 about 0.44,
Google analogies about 70%). On this corpus Spearman 0.3 on WordSim-353 means the vectors order related pairs
above unrelated ones clearly better than chance (0), and the neighbours are mostly sensible, but analogies
need far more text: a few percent is what 0.5M words give. One-hot has no notion of similarity (every pair
of distinct words has cosine 0; its small WordSim score comes from pairs of a word with itself): that is
the first claim of the story. Read the coverage column before comparing.

What to run next:
  forge demo --out demo-report                      # the same, with the report saved (HTML, Markdown, CSV)
  FORGE_DATA_DIR=... forge bench --encoders cbow,skipgram --corpus text8 --datasets all --out results/bench-text8
                                                    # 17M words: the scores rise (see the README's Benchmarks)
  forge lab                                         # every claim of the story measured, with a verdict each
"""


def mean_random_cosine(encoder: Any, n_pairs: int = 500, n_words: int = 2000, seed: int = 0) -> float:
    """Mean cosine of random pairs of distinct frequent words: near 1 when the vectors have collapsed.

    Examples
    --------
    >>> import forge
    >>> enc = forge.create("onehot").fit([["a", "b", "c"]])
    >>> mean_random_cosine(enc)
    0.0
    """
    words = [w for w in list(encoder.vocabulary)[:n_words] if not (w.startswith("<") and w.endswith(">"))]
    if len(words) < 2:
        return float("nan")
    rows = [encoder.vector(w) for w in words]
    mat = np.vstack([r.toarray() if hasattr(r, "toarray") else np.asarray(r, dtype=np.float64) for r in rows])
    mat = mat.reshape(len(words), -1).astype(np.float64)
    norms = np.linalg.norm(mat, axis=1)
    mat = mat / np.where(norms == 0, 1.0, norms)[:, None]
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(words), n_pairs)
    j = (i + rng.integers(1, len(words), n_pairs)) % len(words)  # j != i
    return float(np.mean(np.sum(mat[i] * mat[j], axis=1)))


def score_table(report: Any) -> str:
    """Main score (95% interval) and coverage per dataset and encoder, as plain text."""
    main = report.main_scores()
    numbers = {key: k for k, key in enumerate(report.score_notes(), start=1)}  # NaN scores: n/a [k] + note k
    cells: dict[str, dict[str, str]] = {}
    for _, r in main.iterrows():
        ci = f" [{r['ci_low']:.2f}, {r['ci_high']:.2f}]" if np.isfinite(r["ci_low"]) else ""
        cov = f" cov {r['coverage']:.0%}" if np.isfinite(r["coverage"]) else ""
        value = f"{r['value']:.3f}" if np.isfinite(r["value"]) else f"n/a [{numbers[(r['encoder'], r['dataset'])]}]"
        cells.setdefault(f"{r['dataset']} ({r['metric']})", {})[r["encoder"]] = f"{value}{ci}{cov}"
    table = pd.DataFrame(cells).T.reindex(columns=report.encoders)
    notes = "".join(f"\n[{k}] {note}" for k, note in enumerate(report.score_notes().values(), start=1))
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        return "Scores (95% interval, coverage):\n" + table.fillna("").to_string() + notes


def run_demo(
    corpus: str = "gensim-default",
    encoders: Sequence[str] = DEFAULT_ENCODERS,
    words: Sequence[str] = DEFAULT_WORDS,
    datasets: Sequence[str] = DEFAULT_DATASETS,
    out: str | None = None,
    print_fn: Callable[..., None] = print,
    params: dict[str, dict[str, Any]] | None = None,
    explain: bool = True,
) -> Report:
    """Train ``encoders`` on ``corpus``, print neighbours and benchmark scores; return the report.

    ``params`` overrides :data:`DEMO_PARAMS` per encoder name. With the defaults (one worker, seed 1)
    two runs print the same neighbours and scores.
    """
    settings = {**DEMO_PARAMS, **(params or {})}
    data = forge.corpora.load(corpus) if isinstance(corpus, str) else corpus
    label = corpus if isinstance(corpus, str) else "the given corpus"
    fitted = {}
    for name in encoders:
        start = time.perf_counter()
        fitted[name] = forge.create(name, **settings.get(name, {})).fit(data)
        shown = {k: v for k, v in settings.get(name, {}).items() if k in ("epochs", "min_count", "vector_size")}
        print_fn(
            f"trained {name:<9} on {label}: {len(fitted[name].vocabulary):>6} words, "
            f"dim {fitted[name].dim:>6}, {time.perf_counter() - start:5.1f} s  "
            + ", ".join(f"{k}={v}" for k, v in shown.items())
        )
    print_fn("\nNearest neighbours (cosine):")
    for word in words:
        for name, enc in fitted.items():
            if word in enc:
                near = enc.most_similar(word, topn=5)
                if all(s == 0.0 for _, s in near):  # one-hot: every other word is orthogonal
                    print_fn(f"  {word:<9} {name:<9} (every other word at cosine 0: no neighbours)")
                    continue
                print_fn(f"  {word:<9} {name:<9} " + ", ".join(f"{w} {s:.2f}" for w, s in near))
    print_fn("\nMean cosine of 500 random pairs of frequent words (near 1: the vectors have collapsed):")
    for name, enc in fitted.items():
        value = mean_random_cosine(enc)
        warn = "  <- collapsed: train longer (--param epochs=20) or on more text" if value > COLLAPSED else ""
        print_fn(f"  {name:<9} {value:.2f}{warn}")
    print_fn("")
    report = run(encoders=fitted, datasets=list(datasets), progress=False)
    print_fn(score_table(report))
    if explain:
        print_fn(EXPLANATION)
    if out:
        saved = report.save(out)
        print_fn(f"\nreport saved to {saved}")
    return report
