"""Contextual quality of the recipe: a ``bilstm`` built on a skip-gram, against that skip-gram.

1. a skip-gram is trained on a prefix of text8;
2. a ``bilstm`` is trained on the same prefix with forge's recipe: ``init_from`` that
   skip-gram, ``layer="mix"`` (half the cosine from the static vectors, half from the
   recurrent states), LSTM forget-gate bias 1.0, sampled softmax (``softmax="auto"`` on CPU);
3. both are scored on SCWS (Spearman, words in context) and WiC (accuracy on test with a
   cosine threshold tuned on train) with ``forge.bench.run``, and compared with the paired
   tests of ``Report.compare`` (bootstrap/Williams for SCWS, McNemar for WiC).

Targets (issue 12): the bilstm >= the skip-gram's SCWS, and > its WiC test accuracy
(moonshot: 0.577, ELMo's figure).

Usage::

    # the full run (about 30 minutes of training on 2 quiet cores)
    FORGE_DATA_DIR=... python benchmarks/rnn_contextual_quality.py --tokens 2000000 --epochs 3 --max-minutes 30
    # a reduced run
    FORGE_DATA_DIR=... python benchmarks/rnn_contextual_quality.py --tokens 300000 --epochs 1 --hidden 128 --layers 1

Results go to ``benchmarks/results/rnn_contextual_quality.{csv,md}`` (scores and the paired tests).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import write


def text8_sentences(n_tokens: int, piece: int) -> list[list[str]]:
    import forge

    words: list[str] = []
    for line in forge.corpora.load("text8"):
        words.extend(line[: n_tokens - len(words)])
        if len(words) >= n_tokens:
            break
    return [words[i : i + piece] for i in range(0, len(words), piece)]


def text8_skipgram(sents: list[list[str]], args) -> tuple:
    """(the skip-gram the contextual encoders are built on, seconds to fit it): ``args.vector_size``,
    ``args.sg_epochs``, ``args.min_count``, 2 workers, seed 1."""
    import forge

    t0 = time.perf_counter()
    sg = forge.create(
        "skipgram",
        vector_size=args.vector_size,
        epochs=args.sg_epochs,
        min_count=args.min_count,
        workers=2,
        seed=1,
        progress=False,
    ).fit(sents)
    return sg, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=2_000_000, help="text8 prefix length")
    p.add_argument("--piece", type=int, default=35, help="words per training sentence (text8 is one line)")
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--sg-epochs", type=int, default=5)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--max-minutes", type=float, default=None, help="stop starting bilstm epochs after this long")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--layer", default="mix")
    p.add_argument("--context", default="sentence", choices=["sentence", "stream"])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--name", default="rnn_contextual_quality")
    args = p.parse_args(argv)
    import tempfile

    import torch

    import forge
    from forge.bench import run

    if args.threads:
        torch.set_num_threads(args.threads)
    sents = text8_sentences(args.tokens, args.piece)
    sg, sg_s = text8_skipgram(sents, args)
    params = {
        "hidden_size": args.hidden,
        "layers": args.layers,
        "init_from": sg,
        "layer": args.layer,
        "context": args.context,
        "min_count": args.min_count,
        "dropout": 0.1,
        "validation": 0.02,
        "device": "cpu",
        "progress": False,
        "oov": "unk",
        "seed": 0,
        "batch_size": 64,
        "lr": 2e-3,
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as ckpt:
        enc = forge.create("bilstm", epochs=1, checkpoint_dir=ckpt, **params).fit(sents)
        while len(enc.history_) < args.epochs:
            elapsed = time.perf_counter() - t0
            if args.max_minutes and elapsed + elapsed / len(enc.history_) > 60 * args.max_minutes:
                break
            enc.set_params(epochs=len(enc.history_) + 1, resume=True).fit(sents)
    lstm_s = time.perf_counter() - t0
    report = run({"skipgram": sg, "bilstm-recipe": enc}, ["scws", "wic"], progress=False)
    main = report.main_scores()
    scores = main[
        [
            c
            for c in ("encoder", "dataset", "metric", "value", "ci_low", "ci_high", "n", "coverage")
            if c in main.columns
        ]
    ]
    paired = report.compare("bilstm-recipe", "skipgram")
    frame = pd.concat(
        [scores.assign(kind="score"), paired.assign(kind="paired: bilstm-recipe vs skipgram")], ignore_index=True
    )
    hist = enc.history_
    # the amounts actually used: the corpus may be shorter than asked (the text8 prefix has 2,139,748 tokens)
    used = sum(map(len, sents))
    asked = "" if used == args.tokens else f" (all there is: {args.tokens:,} were asked for)"
    notes = (
        f"text8 prefix of {used:,} tokens{asked} in sentences of {args.piece}; skip-gram {args.vector_size}-d, "
        f"{args.sg_epochs} epochs ({sg_s:.0f} s); bilstm {args.layers}x{args.hidden} per direction, "
        f"context={args.context}, layer={args.layer!r}, init_from the skip-gram, softmax {enc.softmax_} "
        f"({enc.softmax_reason_}), {len(hist)} epoch(s) in {lstm_s / 60:.1f} min "
        f"({hist[-1]['tokens_per_s']:,.0f} tokens/s in the last), valid ppl "
        f"{hist[-1].get('valid_ppl', float('nan')):.1f} ({args.context} mode). "
        f"{torch.get_num_threads()} torch threads on a machine shared with other jobs."
    )
    write(frame, args.name, "bilstm on skip-gram (the recipe) vs skip-gram: SCWS and WiC", notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
