"""Training throughput of a ``bilstm`` under each output layer, against the same model with none.

One process, one corpus, the same model sizes, runs alternating between the
output layers so that a load change on a shared machine hits them all alike:

* ``full``     - a softmax over the whole vocabulary;
* ``adaptive`` - ``torch.nn.AdaptiveLogSoftmaxWithLoss`` (forge's default cutoffs);
* ``sampled``  - forge's sampled softmax (``num_sampled`` words drawn per batch);
* ``none``     - no output layer at all: the loss is a cheap function of the top states.
  This is the recurrent layers' own cost, the bound any output layer is measured against.

Each run is ``forge.create("bilstm", ...).fit(...)`` for one epoch on the same
sentences; the rate is the trainer's own (predicted tokens per second, one
direction's count, from the first batch to the last). For each size the median
over ``--repeats`` runs is reported, with ``output / none`` and ``output / full``.

Targets (issue 12): sampled >= 0.5 x none and >= 4 x full.

Usage::

    FORGE_DATA_DIR=... python benchmarks/rnn_cpu_throughput.py                       # 1x128 and 2x256
    python benchmarks/rnn_cpu_throughput.py --tokens 8000 --repeats 1 --sizes 1x32   # a smoke run

The corpus is the first ``--tokens`` tokens of text8 (``text8_prefix``, cut in
sentences of 35), with ``--vocab-tokens`` tokens counted for the vocabulary so
that its size is that of a real run (300k tokens of text8: about 12.9k words
at min_count 2). Without ``FORGE_DATA_DIR``, a synthetic Zipf corpus.
Results go to ``benchmarks/results/rnn_cpu_throughput.{csv,md}``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections import Counter

import numpy as np
import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _common import write

OUTPUTS = ("none", "full", "adaptive", "sampled")


def corpus(tokens: int, vocab_tokens: int, min_count: int, piece: int = 35) -> tuple[list[list[str]], str]:
    """Sentences of ``piece`` words from the first ``tokens`` tokens, vocabulary from ``vocab_tokens``."""
    import forge

    try:
        words: list[str] = []
        for sent in forge.corpora.load("text8"):
            words.extend(sent)
            if len(words) >= max(tokens, vocab_tokens):
                break
        source = "text8 prefix"
    except forge.errors.ForgeError:
        rng = np.random.default_rng(0)
        probs = 1.0 / np.arange(1, 30001)
        words = [f"w{i}" for i in rng.choice(30000, max(tokens, vocab_tokens), p=probs / probs.sum())]
        source = "synthetic Zipf corpus"
    # the amounts actually used (a corpus shorter than asked gives fewer), recorded in the source text
    counts = Counter(words[:vocab_tokens])
    source += f" ({min(len(words), tokens):,} tokens; vocabulary from {min(len(words), vocab_tokens):,})"
    keep = sorted(w for w, c in counts.items() if c >= min_count)
    kept = set(keep)
    words = [w if w in kept else "<unk>" for w in words[:tokens]]
    # every kept word once more, so that the vocabulary (and the output layer) has its real size
    words += keep
    return [words[i : i + piece] for i in range(0, len(words), piece)], source


@contextlib.contextmanager
def no_output_layer():
    """The model's loss without any output layer: a cheap function of the top states."""
    from forge.encoders.neural._model import RecurrentLM

    original = RecurrentLM._nll_sum
    RecurrentLM._nll_sum = lambda self, hidden, targets: 1e-3 * hidden.float().square().sum()
    try:
        yield
    finally:
        RecurrentLM._nll_sum = original


def one_run(sentences, hidden: int, layers: int, output: str, num_sampled: int) -> float:
    import forge

    softmax = "full" if output == "none" else output
    enc = forge.create(
        "bilstm",
        hidden_size=hidden,
        layers=layers,
        softmax=softmax,
        num_sampled=num_sampled,
        dropout=0.0,
        validation=0.0,
        epochs=1,
        batch_size=32,
        device="cpu",
        progress=False,
        min_count=1,
        seed=0,
    )
    with no_output_layer() if output == "none" else contextlib.nullcontext():
        enc.fit(sentences)
    return float(enc.history_[0]["tokens_per_s"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1x128,2x256", help="LAYERSxHIDDEN per direction, comma-separated")
    p.add_argument("--tokens", type=int, default=10000, help="corpus tokens per run (plus each vocabulary word once)")
    p.add_argument("--vocab-tokens", type=int, default=300000, help="tokens the vocabulary is drawn from")
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--num-sampled", type=int, default=512)
    p.add_argument("--repeats", type=int, default=3, help="alternating runs per output layer (median)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--outputs", default=",".join(OUTPUTS))
    p.add_argument("--name", default="rnn_cpu_throughput", help="results file name (without extension)")
    args = p.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sentences, source = corpus(args.tokens, args.vocab_tokens, args.min_count)
    vocab = len({w for s in sentences for w in s})
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    rows = []
    start_all = time.perf_counter()
    for size in args.sizes.split(","):
        layers, hidden = (int(x) for x in size.lower().split("x"))
        one_run(sentences[:20], hidden, layers, "full", args.num_sampled)  # warm-up
        rates: dict[str, list[float]] = {o: [] for o in outputs}
        for _ in range(args.repeats):
            for out in outputs:
                rates[out].append(one_run(sentences, hidden, layers, out, args.num_sampled))
        med = {o: statistics.median(v) for o, v in rates.items()}
        for out in outputs:
            rows.append(
                {
                    "size": f"{layers}x{hidden}",
                    "output": out,
                    "tokens_per_s": round(med[out]),
                    "runs": ", ".join(f"{r:,.0f}" for r in rates[out]),
                    "vs_none": med[out] / med["none"] if "none" in med else float("nan"),
                    "vs_full": med[out] / med["full"] if "full" in med else float("nan"),
                }
            )
    frame = pd.DataFrame(rows)
    notes = (
        f"bilstm (two directions, each LAYERSxHIDDEN), sentence mode, batch 32 sentences of 35 words, "
        f"{sum(map(len, sentences)):,} training tokens per run (the {source} + each "
        f"vocabulary word once, vocabulary {vocab:,} words "
        f"(min_count {args.min_count}), num_sampled {args.num_sampled}, "
        f"{torch.get_num_threads()} torch threads, {args.repeats} alternating runs per cell (median). "
        f"Whole run: {time.perf_counter() - start_all:.0f} s. Measured on a machine shared with other "
        f"jobs: compare the ratios within a row block, not absolute rates across runs."
    )
    write(frame, args.name, "bilstm training throughput by output layer (CPU)", notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
