"""Skip-gram quality: forge's Word2Vec vs raw gensim on the same tokens and settings, in one run.

Both sides get the same token lists (text8, or its prefix in the shared data:
2.1M words, read by ``forge.corpora.load("text8")`` as sentences of 10,000
words) and gensim's default settings (skip-gram, 100 dimensions, window 5,
min_count 5, 5 epochs, negative 5, sample 1e-3), with ``--workers`` threads and
each seed of ``--seeds``. forge trains through gensim's ``corpus_file`` mode
as it feeds it (lines of at most 1,000 words); raw gensim trains on the token
lists in iterable mode. ``--long-lines`` adds raw gensim on a file of
10,000-word lines, the way forge fed it before (issue 9, item 11).

Scores come from ``forge.bench.run`` (WordSim-353, SimLex-999: Spearman rho;
Google analogy: 3CosAdd accuracy, restrict_vocab 300,000, case folded), the
same protocol for every row. Seeds differ by seed noise only: the target is a
forge mean within the spread of gensim's seeds.

    FORGE_DATA_DIR=/path/to/datasets python benchmarks/word2vec_quality.py [--seeds 1 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import RESULTS, write
from gensim.models import Word2Vec

import forge
import forge.bench

DATASETS = ["wordsim353", "simlex999", "google-analogy"]


def long_line_file(sentences: list[list[str]], path: Path, words_per_line: int = 10000) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        words = [w for s in sentences for w in s]
        for start in range(0, len(words), words_per_line):
            handle.write(" ".join(words[start : start + words_per_line]) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default="text8", help="named corpus (default: text8, i.e. text8_prefix here)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--long-lines", action="store_true", help="also raw gensim on 10,000-word lines")
    parser.add_argument(
        "--append",
        action="store_true",
        help="keep the other seeds' rows of an earlier run (one seed per run on a slow machine)",
    )
    args = parser.parse_args()
    corpus = forge.corpora.load(args.corpus)
    sentences = list(corpus)
    settings = {
        "vector_size": 100,
        "window": 5,
        "min_count": 5,
        "negative": 5,
        "sample": 1e-3,
        "epochs": args.epochs,
        "workers": args.workers,
    }
    models, timings = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        long_file = long_line_file(sentences, Path(tmp) / "long.txt") if args.long_lines else None
        for seed in args.seeds:  # alternate the two sides, so drift on a shared machine hits both
            start = time.perf_counter()
            models[f"gensim-iterable-s{seed}"] = Word2Vec(sentences, sg=1, seed=seed, **settings).wv
            timings.append({"model": f"gensim-iterable-s{seed}", "seconds": time.perf_counter() - start})
            start = time.perf_counter()
            enc = forge.create("skipgram", seed=seed, progress=False, **settings).fit(corpus)
            models[f"forge-s{seed}"] = enc.keyed_vectors
            timings.append(
                {
                    "model": f"forge-s{seed}",
                    "seconds": time.perf_counter() - start,
                    "effective_words_epoch1": enc.history_[0]["effective_words"],
                }
            )
            if long_file is not None:
                start = time.perf_counter()
                models[f"gensim-10000-word-lines-s{seed}"] = Word2Vec(
                    corpus_file=str(long_file), sg=1, seed=seed, **settings
                ).wv
                timings.append({"model": f"gensim-10000-word-lines-s{seed}", "seconds": time.perf_counter() - start})
            print(timings[-3:], flush=True)
    report = forge.bench.run(models, DATASETS, progress=False)
    wide = report.to_wide().reset_index()
    wide.insert(1, "impl", wide["encoder"].str.rsplit("-s", n=1).str[0])
    wide.insert(2, "seed", wide["encoder"].str.rsplit("-s", n=1).str[1].astype(int))
    wide = wide.merge(pd.DataFrame(timings).rename(columns={"model": "encoder"}), on="encoder")
    earlier = RESULTS / "word2vec_quality.csv"
    kept = ""
    if args.append and earlier.exists():
        old = pd.read_csv(earlier)
        kept = (
            f" Rows of seeds {sorted(set(old['seed']) - set(args.seeds))} come from an earlier run of this "
            f"script (--append), seeds {args.seeds} from this one."
        )
        wide = pd.concat([old[~old["seed"].isin(args.seeds)], wide], ignore_index=True).sort_values(
            ["seed", "impl"], kind="stable", ignore_index=True
        )
    means = wide.groupby("impl", sort=False)[DATASETS].agg(["mean", "min", "max"])
    means.columns = [f"{d} {stat}" for d, stat in means.columns]
    forge_mean, gensim = means.loc["forge"], means.loc["gensim-iterable"]
    verdict = ", ".join(
        f"{d}: forge {forge_mean[f'{d} mean']:.3f} vs gensim {gensim[f'{d} mean']:.3f} "
        f"(gensim seeds {gensim[f'{d} min']:.3f}..{gensim[f'{d} max']:.3f})"
        for d in DATASETS
    )
    coverage = report.main_scores().pivot_table(index="encoder", columns="dataset", values="coverage")
    seeds = sorted(wide["seed"].unique().tolist())
    write(
        wide,
        "word2vec_quality",
        f"Skip-gram quality: forge vs raw gensim on the same {args.corpus} tokens (seeds {seeds})",
        f"Corpus: {args.corpus}, {sum(len(s) for s in sentences):,} words; settings {settings}, sg=1. Scores "
        f"from forge.bench.run (Spearman rho; 3CosAdd accuracy). Measured on a machine shared with other jobs "
        f"(seconds are indicative only).{kept}\n\nMeans: {verdict}.\n\n"
        + means.reset_index().to_markdown(index=False, floatfmt=".4f")
        + f"\n\nCoverage (seeds {args.seeds} of this run):\n\n"
        + coverage.reset_index().to_markdown(index=False, floatfmt=".3f"),
    )


if __name__ == "__main__":
    main()
