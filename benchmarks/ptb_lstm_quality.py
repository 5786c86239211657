"""Quality benchmark: a 2-layer LSTM language model on Penn Treebank, test perplexity.

Trains ``forge.create("lstm", ...)`` on PTB's train split, stops early on PTB's
valid split, and reports the perplexity on the test split, the time taken
and the device used.

Usage::

    FORGE_DATA_DIR=../shared/datasets python benchmarks/ptb_lstm_quality.py            # the real run
    FORGE_DATA_DIR=../shared/datasets python benchmarks/ptb_lstm_quality.py \\
        --hidden 200 --epochs 2 --optimizer adam --lr 0.002 --softmax adaptive          # a small CPU run

The defaults follow the usual medium configuration: 2x650, dropout 0.5, tied
weights, SGD at lr 20 divided by 4 when validation stalls, gradient clipping
at 0.25, and up to 39 epochs. For reference: Zaremba et al. (2014) report
82.7 (medium) and 78.4 (large); PyTorch's ``word_language_model`` example with
2x650 and tied weights reports 75.96.

Those figures come from a *continuous* stream (BPTT of 35 steps, with the
state carried across sentence boundaries): ``--context stream`` trains and
evaluates that way (forge's ``context="stream"``), so its perplexity is
comparable with them. ``--context sentence`` (the default of this script
until issue 12) models each sentence on its own from a zero state, which
gives a higher perplexity for the same predictions (every word plus the
end-of-sentence token). The mode is recorded with every result.

``--max-minutes`` caps the training time: the run then trains one epoch at a
time (checkpoint + ``resume=True``, which is exact) and stops starting new
epochs once the cap is reached. The results are appended to
``benchmarks/results/ptb_lstm_quality.{md,jsonl}``.

Quick commands::

    # PTB "small" (Zaremba: 2x200, test 114.5), stream mode, CPU
    python benchmarks/ptb_lstm_quality.py --context stream --hidden 200 --dropout 0.0 --no-tie \
        --lr 1.0 --epochs 13 --batch-size 20 --clip 5 --max-minutes 60
    # PyTorch word_language_model 2x650 tied (75.96), stream mode, GPU
    python benchmarks/ptb_lstm_quality.py --context stream --device cuda --max-minutes 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from itertools import islice
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--hidden", type=int, default=650, help="LSTM width (and embedding width)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=39)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--batch-size", type=int, default=20, help="sentences (sentence mode) or rows (stream) per batch")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=20.0)
    p.add_argument("--clip", type=float, default=0.25)
    p.add_argument("--softmax", choices=["auto", "full", "adaptive", "sampled"], default="full")
    p.add_argument(
        "--context",
        choices=["sentence", "stream"],
        default="stream",
        help="stream: the standard LM protocol (continuous text, truncated BPTT)",
    )
    p.add_argument("--bptt", type=int, default=35, help="truncated-BPTT steps (stream mode)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop starting epochs after this long")
    p.add_argument("--max-test-tokens", type=int, default=None, help="evaluate on a prefix of valid/test (smoke runs)")
    p.add_argument("--no-tie", action="store_true", help="do not tie the embedding and softmax weights")
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--impl", choices=["fused", "scratch"], default="fused")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train-sentences", type=int, default=None, help="train on a prefix of PTB train")
    p.add_argument("--checkpoint-dir", default=None, help="checkpoint each epoch here (resume with --resume)")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (1 avoids oversubscription when other jobs share the cores)",
    )
    p.add_argument("--label", default="", help="free text recorded with the result")
    p.add_argument("--results", default=None, help="directory for the results (default benchmarks/results)")
    return p.parse_args(argv)


def token_prefix(corpus, n_tokens: int) -> list[list[str]]:
    out, total = [], 0
    for sent in corpus:
        out.append(sent)
        total += len(sent) + 1
        if total >= n_tokens:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    import forge

    if args.threads:
        torch.set_num_threads(args.threads)
    train = forge.corpora.load("ptb", split="train")
    if args.max_train_sentences:
        train = list(islice(train, args.max_train_sentences))
    valid = forge.corpora.load("ptb", split="valid")
    test = forge.corpora.load("ptb", split="test")
    if args.max_test_tokens:
        valid, test = (token_prefix(valid, args.max_test_tokens), token_prefix(test, args.max_test_tokens))
    tie = not args.no_tie and args.softmax != "adaptive"
    params = {
        "hidden_size": args.hidden,
        "layers": args.layers,
        "embedding_dim": args.hidden,
        "dropout": args.dropout,
        "tie_weights": tie,
        "softmax": args.softmax,
        "impl": args.impl,
        "device": args.device,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "optimizer": args.optimizer,
        "clip_grad": args.clip,
        "patience": args.patience,
        "seed": args.seed,
        "max_len": 200,
        "checkpoint_dir": args.checkpoint_dir,
        "resume": args.resume,
        "progress": not args.no_progress,
        "context": args.context,
        "bptt": args.bptt,
    }
    start = time.perf_counter()
    capped = False
    if args.max_minutes:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            ckpt = args.checkpoint_dir or tmp
            enc = forge.create("lstm", **{**params, "epochs": 1, "checkpoint_dir": ckpt}).fit(train, valid=valid)
            while len(enc.history_) < args.epochs:
                elapsed = time.perf_counter() - start
                if elapsed + elapsed / len(enc.history_) > 60 * args.max_minutes:
                    capped = True  # at the mean epoch time, the next epoch would end after the cap
                    break
                try:
                    enc.set_params(epochs=len(enc.history_) + 1, resume=True).fit(train, valid=valid)
                except forge.errors.BadInputError as exc:  # stopped early (patience): nothing left to train
                    if "Nothing to train" not in str(exc):
                        raise
                    break
    else:
        enc = forge.create("lstm", **params).fit(train, valid=valid)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    test_ppl = enc.perplexity(test)
    valid_ppl = enc.perplexity(valid)
    eval_s = time.perf_counter() - start
    device = enc.tags["device"]
    device_name = (
        torch.cuda.get_device_name(torch.device(device))
        if device.startswith("cuda")
        else (
            f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} torch threads)"
        )
    )
    best = min(enc.history_, key=lambda h: h.get("valid_ppl", math.inf))
    row = {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "label": args.label,
        "context": args.context,
        "config": f"{args.context} mode (bptt {args.bptt}), {args.layers}x{args.hidden} LSTM, dropout {args.dropout}, {'tied' if tie else 'untied'}, "
        f"{enc.softmax_} softmax, {args.optimizer} lr {args.lr}, batch {args.batch_size} {'rows' if args.context == 'stream' else 'sentences'}, "
        f"clip {args.clip}, epochs run {len(enc.history_)}/{args.epochs} (best {best['epoch']})"
        + (f", first {args.max_train_sentences} train sentences" if args.max_train_sentences else "")
        + (f", time cap {args.max_minutes} min{' (reached)' if capped else ''}" if args.max_minutes else "")
        + (f", valid/test prefix {args.max_test_tokens} tokens" if args.max_test_tokens else ""),
        "test_ppl": round(test_ppl, 2),
        "valid_ppl": round(valid_ppl, 2),
        "train_minutes": round(train_s / 60, 2),
        "eval_seconds": round(eval_s, 1),
        "tokens_per_s": round(sum(h["tokens_per_s"] for h in enc.history_) / len(enc.history_)),
        "device": device_name,
        "torch": torch.__version__,
        "impl": args.impl,
        "history": enc.history_,
    }
    print(json.dumps({k: v for k, v in row.items() if k != "history"}, indent=1))
    results = Path(args.results) if args.results else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "ptb_lstm_quality.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
    md = results / "ptb_lstm_quality.md"
    if not md.exists():
        md.write_text(
            "# PTB LSTM language model (forge)\n\n"
            "Anchors (continuous-stream BPTT, comparable with the stream-mode rows only): Zaremba et "
            "al. small 114.5, medium 82.7, large 78.4; PyTorch word_language_model 2x650 tied "
            "75.96.\n\n"
            "| date (UTC) | configuration | test ppl | valid ppl | train min | tokens/s | device |\n"
            "|---|---|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    line = (
        f"| {row['date_utc']} | {row['config']} | {row['test_ppl']} | {row['valid_ppl']} | "
        f"{row['train_minutes']} | {row['tokens_per_s']} | {device_name} |"
    )
    lines = md.read_text(encoding="utf-8").splitlines()
    last = max((k for k, text in enumerate(lines) if text.startswith("|")), default=len(lines) - 1)
    lines.insert(last + 1, line)  # into the table, above any notes written below it
    from forge._persist import atomic_file

    with atomic_file(md, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
