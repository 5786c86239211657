"""Skip-gram training speed: forge vs raw gensim, same corpus and settings, in one run.

Both train through gensim's ``corpus_file`` mode on the same plain-text file of
1,000-word lines, which forge reads in place (after one scan that checks it);
forge adds its interface, progress bar, logging and per-epoch bookkeeping. Runs
alternate (gensim, forge, gensim, forge...) so that drift on the machine hits
both; the median words/s of each is reported with the ratio (target >= 0.95).

    python benchmarks/word2vec_speed.py [--corpus text8|gensim-default] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import write
from gensim.models import Word2Vec

import forge


def corpus_file(name: str, workdir: Path) -> Path:
    """The corpus as a plain file with lines of at most 1000 words, read the same way by both sides.

    (gensim's corpus_file mode trains only on the first 10000 words of a line, so one-line text8
    must be re-cut; forge does this itself, but here both sides get the same prepared file.)
    """
    corpus = forge.corpora.load(name)
    path = corpus.line_sentence_file()
    if path is not None:
        return path
    out = workdir / "corpus.txt"
    with open(out, "w", encoding="utf-8") as handle:
        for sentence in corpus:
            for start in range(0, len(sentence), 1000):
                handle.write(" ".join(sentence[start : start + 1000]) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", default=None, help="named corpus (default: text8 if FORGE_DATA_DIR has it, else gensim-default)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    name = args.corpus
    if name is None:
        try:
            forge.corpora.load("text8")
            name = "text8"
        except forge.errors.MissingDataError:
            name = "gensim-default"
    settings = {
        "sg": 1,
        "vector_size": 100,
        "window": 5,
        "min_count": 5,
        "negative": 5,
        "sample": 1e-3,
        "epochs": args.epochs,
        "workers": args.workers,
        "seed": 1,
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = corpus_file(name, Path(tmp))
        for rep in range(args.repeats):
            start, cpu = time.perf_counter(), time.process_time()
            model = Word2Vec(corpus_file=str(path), compute_loss=True, **settings)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            words = model.corpus_total_words * args.epochs
            rows.append(
                {
                    "impl": "gensim",
                    "repeat": rep,
                    "seconds": seconds,
                    "words_per_s": words / seconds,
                    "cpu_seconds": cpu,
                    "words_per_cpu_s": words / cpu,
                }
            )

            start, cpu = time.perf_counter(), time.process_time()
            enc = forge.create("skipgram", progress=False, **{k: v for k, v in settings.items() if k != "sg"})
            enc.fit(forge.corpora.TextCorpus(path, tokenizer="whitespace"))
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            rows.append(
                {
                    "impl": "forge",
                    "repeat": rep,
                    "seconds": seconds,
                    "words_per_s": words / seconds,
                    "cpu_seconds": cpu,
                    "words_per_cpu_s": words / cpu,
                }
            )
            print(rows[-2], rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    med = frame.groupby("impl")["words_per_s"].median()
    cpu = frame.groupby("impl")["words_per_cpu_s"].median()
    summary = pd.DataFrame(
        [
            {
                "corpus": name,
                "corpus_words": model.corpus_total_words,
                "epochs": args.epochs,
                "workers": args.workers,
                "gensim_words_per_s": med["gensim"],
                "forge_words_per_s": med["forge"],
                "ratio_forge_over_gensim": med["forge"] / med["gensim"],
                "cpu_ratio_forge_over_gensim": cpu["forge"] / cpu["gensim"],
            }
        ]
    )
    write(
        summary,
        "word2vec_speed",
        "Skip-gram training speed: forge vs raw gensim (median of repeats)",
        "Timed end to end (vocabulary build + training). Target: ratio >= 0.95. `cpu_ratio` compares words per "
        "CPU-second of the process (all threads): on a machine shared with other jobs, where wall time swings "
        "with the load, it shows the work each side does.\n\n" + frame.to_markdown(index=False, floatfmt=".4g"),
    )


if __name__ == "__main__":
    main()
