"""The plugins side by side: ppmi, fasttext, cbow and skip-gram on text8_prefix, in one run.

Trains the four encoders on the same corpus (text8; in the shared data only its
first 12.5%, ``text8_prefix``, 2.1M words) with the same moderate settings,
times each ``fit``, and scores the vectors on WordSim-353, SimLex-999, MEN,
RW (Spearman rho) and the Google analogy set (3CosAdd accuracy), with the
coverage of each. The gensim models train from one decompressed plain file
through gensim's ``corpus_file`` mode; ppmi streams the same file.

Scores come from ``forge.bench.run`` (``--engine harness``, the default):
Spearman over covered pairs and 3CosAdd over covered questions, with
restrict_vocab=300000 and case folding (the same numbers as gensim's
``evaluate_word_pairs`` / ``evaluate_word_analogies``, which ``--engine gensim``
calls directly instead). In that common protocol only trained words are
covered. FastText also has a vector for any word with a character n-gram, so
it is scored a second time as ``fasttext+oov``: its trained words plus every
evaluation word it ``in``-cludes, with its n-gram vector (for analogies those
words also become answer candidates).

    FORGE_DATA_DIR=/path/to/datasets python benchmarks/plugins_table.py [--epochs 3 --workers 2]

Needs the plugins installed (``pip install -e plugins/forge-ppmi -e plugins/forge-fasttext``).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import write
from gensim.models import KeyedVectors

import forge
from forge._paths import data_dir

# name -> (file under the data directory, columns of word1, word2, score, header lines)
PAIRS = {
    "WordSim-353": ("wordsim353_sim_rel/EN-WS-353-ALL.txt", (0, 1, 2), 0),
    "SimLex-999": ("simlex999/SimLex-999.txt", (0, 1, 3), 1),
    "MEN": ("men/EN-MEN-TR-3k.txt", (0, 1, 2), 0),
    "RW": ("rw/EN-RW-STANFORD.txt", (0, 1, 2), 0),
}
ANALOGY = ("Google analogy", "google_analogy/questions-words.txt")


def plain_text8(workdir: Path, words_per_line: int = 1000) -> forge.corpora.TextCorpus:
    """text8 (or its prefix) as a plain whitespace file of ``words_per_line``-word lines.

    Every encoder reads the same sentences. gensim's ``corpus_file`` mode (used
    by cbow, skipgram and fasttext) trains on only the first ~10,000 words of
    a line, so the one-line text8 must be cut first (measured: cbow on the
    one-line file scored WordSim-353 rho 0.04, on 1000-word lines 0.33).
    """
    src = forge.corpora.load("text8").files[0]
    out = workdir / "text8.txt"
    with gzip.open(src, "rt", encoding="utf-8") if src.suffix == ".gz" else open(src, encoding="utf-8") as fin:
        words = fin.read().split()
    with open(out, "w", encoding="utf-8") as fout:
        for start in range(0, len(words), words_per_line):
            fout.write(" ".join(words[start : start + words_per_line]) + "\n")
    return forge.corpora.TextCorpus(out, tokenizer="whitespace")


def pair_files(root: Path, workdir: Path) -> dict[str, Path]:
    """Each similarity set rewritten as clean ``w1<TAB>w2<TAB>score`` lines for gensim."""
    out = {}
    for name, (rel, (a, b, s), header) in PAIRS.items():
        lines = (root / rel).read_text(encoding="utf-8").splitlines()[header:]
        rows = [line.strip().split("\t") for line in lines if line.strip()]
        path = workdir / f"{name}.tsv"
        path.write_text("".join(f"{r[a]}\t{r[b]}\t{r[s]}\n" for r in rows), encoding="utf-8")
        out[name] = path
    return out


def eval_words(files: dict[str, Path], analogy: Path) -> set[str]:
    words = set()
    for path in files.values():
        for line in path.read_text(encoding="utf-8").splitlines():
            words.update(w.lower() for w in line.split("\t")[:2])
    for line in analogy.read_text(encoding="utf-8").splitlines():
        if not line.startswith(":"):
            words.update(w.lower() for w in line.split())
    return words


def keyed_vectors(model) -> KeyedVectors:
    """gensim KeyedVectors of a fitted encoder or a (words, matrix) pair."""
    words, matrix = model if isinstance(model, tuple) else (list(model.vocabulary), model._static_matrix())
    kv = KeyedVectors(np.shape(matrix)[1], dtype=np.float32)
    kv.add_vectors(list(words), np.asarray(matrix, dtype=np.float32))
    return kv


HARNESS_NAMES = {
    "wordsim353": "WordSim-353",
    "simlex999": "SimLex-999",
    "men": "MEN",
    "rw": "RW",
    "google-analogy": ANALOGY[0],
}


def harness_words() -> set[str]:
    """Every (case-folded) word of the harness's copies of the datasets."""
    import forge.bench

    words: set[str] = set()
    for name in HARNESS_NAMES:
        data = forge.bench.load_dataset(name).data
        for field in ("word1", "word2", "a", "b", "c"):
            words.update(w.lower() for w in getattr(data, field, []))
        for answers in getattr(data, "answers", []):
            words.update(w.lower() for w in answers)
    return words


def harness_scores(models: dict) -> pd.DataFrame:
    """Main score and coverage of each (encoder, dataset) from forge.bench.run."""
    import forge.bench

    report = forge.bench.run(models, list(HARNESS_NAMES), progress=False)
    report.save(Path(__file__).parent / "results" / "plugins_table_report")
    main = report.frame[report.frame["main"]].copy()
    main["dataset"] = main["dataset"].map(HARNESS_NAMES)
    return main[["encoder", "dataset", "metric", "value", "ci_low", "ci_high", "coverage", "n", "n_total"]]


def score(kv: KeyedVectors, files: dict[str, Path], analogy: Path, n_questions: int) -> list[dict]:
    rows = []
    for name, path in files.items():
        n_pairs = sum(1 for _ in path.open(encoding="utf-8"))
        _, spearman, oov_pct = kv.evaluate_word_pairs(
            str(path), delimiter="\t", restrict_vocab=300000, case_insensitive=True, dummy4unknown=False
        )
        rows.append(
            {
                "dataset": name,
                "metric": "spearman",
                "value": float(spearman[0]),
                "coverage": 1 - oov_pct / 100,
                "n": n_pairs,
            }
        )
    accuracy, sections = kv.evaluate_word_analogies(str(analogy), restrict_vocab=300000, case_insensitive=True)
    total = sections[-1]
    covered = len(total["correct"]) + len(total["incorrect"])
    rows.append(
        {
            "dataset": ANALOGY[0],
            "metric": "accuracy_3cosadd",
            "value": float(accuracy),
            "coverage": covered / n_questions,
            "n": n_questions,
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--only", default="ppmi,fasttext,cbow,skipgram", help="comma-separated encoder names")
    parser.add_argument(
        "--engine",
        choices=("harness", "gensim"),
        default="harness",
        help="score with forge.bench.run or with gensim's evaluate_* functions",
    )
    args = parser.parse_args()
    root = data_dir()
    if root is None or not root.is_dir():
        raise SystemExit("Set FORGE_DATA_DIR to the datasets directory (e.g. ../shared/datasets).")
    common = {"vector_size": args.vector_size, "window": args.window, "min_count": args.min_count}
    neural = {**common, "epochs": args.epochs, "workers": args.workers, "seed": 1, "progress": False}
    settings = {
        "ppmi": dict(common),  # cds 0.75, neg 1, eig 0.5, linear window weights
        "fasttext": {**neural, "sg": 1},  # skip-gram with n-grams 3..6, 2M buckets
        "cbow": dict(neural),
        "skipgram": dict(neural),
    }
    names = args.only.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        corpus = plain_text8(workdir)
        n_tokens = corpus.count_tokens()
        files = pair_files(root, workdir)
        analogy = root / ANALOGY[1]
        n_questions = sum(1 for line in analogy.open(encoding="utf-8") if line.strip() and not line.startswith(":"))
        wanted = harness_words() if args.engine == "harness" else eval_words(files, analogy)
        models, seconds = {}, {}
        for name in names:
            enc = forge.create(name, **settings[name])
            start = time.perf_counter()
            enc.fit(corpus)
            seconds[name] = time.perf_counter() - start
            print(f"{name}: fit {seconds[name]:.1f} s, {len(enc.vocabulary)} words", flush=True)
            models[name] = enc
            if enc.tags.get("open_vocabulary"):
                extra = sorted(w for w in wanted if w not in enc.vocabulary and w in enc)
                models[f"{name}+oov"] = (
                    list(enc.vocabulary) + extra,
                    np.vstack(
                        [np.asarray(enc._static_matrix(), dtype=np.float32)] + [enc.vector(w)[None] for w in extra]
                    ),
                )
                seconds[f"{name}+oov"] = seconds[name]
                print(f"{name}+oov: {len(extra)} evaluation words outside its vocabulary get n-gram vectors")
        if args.engine == "harness":
            long = harness_scores(models)
        else:
            long = pd.DataFrame(
                [
                    {"encoder": label, **row}
                    for label, model in models.items()
                    for row in score(keyed_vectors(model), files, analogy, n_questions)
                ]
            )
    long.insert(1, "train_s", long["encoder"].map(seconds))
    stem = "plugins_table" if args.engine == "harness" else "plugins_table_gensim"
    long.to_csv(Path(__file__).parent / "results" / f"{stem}_long.csv", index=False)
    cells = long.assign(cell=[f"{v:.3f} ({c:.0%})" for v, c in zip(long.value, long.coverage)])
    wide = cells.pivot(index="encoder", columns="dataset", values="cell")[[*list(PAIRS), ANALOGY[0]]]
    wide.insert(0, "train_s", [f"{seconds[e]:.1f}" for e in wide.index])
    wide.insert(
        0, "vocab", [len(m[0]) if isinstance(m, tuple) else len(m.vocabulary) for m in (models[e] for e in wide.index)]
    )
    wide = wide.loc[list(models)].reset_index()
    notes = (
        f"Corpus: text8 as found in FORGE_DATA_DIR ({n_tokens:,} tokens), cut into 1000-word lines. Settings: "
        + "; ".join(f"{n}: {', '.join(f'{k}={v}' for k, v in settings[n].items() if k != 'progress')}" for n in names)
        + ". Cells: Spearman rho (similarity) or 3CosAdd accuracy (analogy) over the covered items, "
        "with coverage in parentheses"
        + (
            f" (forge.bench.run, restrict_vocab=300000, case folding, oov='drop'; 95% CIs in {stem}_long.csv)"
            if args.engine == "harness"
            else " (gensim evaluate_word_pairs / evaluate_word_analogies, restrict_vocab=300000, case_insensitive=True)"
        )
        + ". train_s: wall time of fit (vocabulary + training), one run, on a machine shared with "
        "other jobs. fasttext+oov: the same fasttext model, plus n-gram vectors for the evaluation "
        "words it never saw in training (vocab counts those words too)."
    )
    write(wide, stem, "ppmi, fasttext, cbow and skip-gram on text8_prefix", notes)


if __name__ == "__main__":
    main()
