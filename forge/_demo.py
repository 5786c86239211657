"""``forge demo``: the main job on the embedded default data, offline.

Trains one-hot, CBOW and skip-gram on ``gensim-default``, prints each one's
nearest neighbours for a few words and scores them on WordSim-353,
SimLex-999 and the Google analogy set (from gensim's test data), so a new
user sees the first steps of the story in one command.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import forge

__all__ = ["run_demo"]

DEFAULT_ENCODERS = ("onehot", "cbow", "skipgram")
DEFAULT_WORDS = ("king", "war", "music", "computer", "river")
DEFAULT_DATASETS = ("wordsim353", "simlex999", "google-analogy")
W2V = {"vector_size": 100, "epochs": 5, "min_count": 3, "workers": 2, "seed": 1}


def run_demo(corpus: str = "gensim-default", encoders: Sequence[str] = DEFAULT_ENCODERS,
             words: Sequence[str] = DEFAULT_WORDS, datasets: Sequence[str] = DEFAULT_DATASETS,
             out: str | None = None, print_fn=print):
    """Train ``encoders`` on ``corpus``, print neighbours and benchmark scores; return the report."""
    import forge.bench
    data = forge.corpora.load(corpus)
    fitted = {}
    for name in encoders:
        params = dict(W2V) if name in ("word2vec", "cbow", "skipgram") else {}
        start = time.perf_counter()
        fitted[name] = forge.create(name, **params).fit(data)
        print_fn(f"trained {name:<9} on {corpus}: {len(fitted[name].vocabulary):>6} words, "
                 f"dim {fitted[name].dim:>6}, {time.perf_counter() - start:5.1f} s")
    print_fn("\nNearest neighbours (cosine):")
    for word in words:
        for name, enc in fitted.items():
            if word in enc:
                near = ", ".join(f"{w} {s:.2f}" for w, s in enc.most_similar(word, topn=5))
                print_fn(f"  {word:<9} {name:<9} {near}")
    print_fn("")
    report = forge.bench.run(encoders=fitted, datasets=list(datasets))
    print_fn(report.to_markdown() if hasattr(report, "to_markdown") else report.to_wide().to_string())
    if out:
        saved = report.save(out)
        print_fn(f"\nreport saved to {saved}")
    return report
