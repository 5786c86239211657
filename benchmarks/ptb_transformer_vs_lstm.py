"""PTB stream test perplexity: forge's ``transformer`` against forge's ``lstm``, same parameters, same time.

Both models are language models over PTB's 10k-word vocabulary in stream mode (the standard protocol:
continuous text, ``bptt`` tokens of context, the figure LM papers report), with tied input and output
embeddings. The LSTM follows PyTorch's ``word_language_model`` defaults (2 layers, dropout 0.2, SGD lr
20 divided by 4 when validation stalls, clip 0.25); the transformer is a pre-LN causal Transformer of the
same width whose feed-forward width is chosen so that its parameter count is within 10% of the LSTM's
(both counted on the built models, not by formula), trained with Adam (the optimiser Transformers need).

Each model gets the same wall-time budget (``--minutes``): it trains one epoch at a time (checkpoint and
``resume=True``, which is exact) and stops starting epochs when the next one would end past the budget.
``--max-train-sentences`` shortens an epoch so that a short budget still holds several epochs. The
minutes really used, the parameters, the epochs and the perplexities are written per model to
``benchmarks/results/ptb_transformer_vs_lstm.{csv,md}`` (appended: one row per run and model).

Usage::

    # the issue's budget: 60 CPU minutes and 10 GPU minutes per model
    FORGE_DATA_DIR=... python benchmarks/ptb_transformer_vs_lstm.py --minutes 60 --device cpu
    FORGE_DATA_DIR=... python benchmarks/ptb_transformer_vs_lstm.py --minutes 10 --device cuda --hidden 650
    # a short capped run on a shared 2-core machine
    FORGE_DATA_DIR=... python benchmarks/ptb_transformer_vs_lstm.py --minutes 4 --max-train-sentences 6000 --threads 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import RESULTS, machine
from ptb_lstm_quality import token_prefix

NAME = "ptb_transformer_vs_lstm"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=60.0, help="wall-time budget per model (training)")
    p.add_argument("--hidden", type=int, default=200, help="LSTM width = transformer d_model = embedding width")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--positions", default="sinusoidal", choices=["sinusoidal", "learned", "rope"])
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--epochs", type=int, default=40, help="upper bound; the budget usually ends training first")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--max-train-sentences", type=int, default=None, help="train on a prefix of PTB train")
    p.add_argument("--max-test-tokens", type=int, default=None, help="evaluate on a prefix of valid/test")
    p.add_argument("--models", default="lstm,transformer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", default="")
    p.add_argument(
        "--date",
        default=None,
        help="the run's date_utc (default: now); give two processes the same one to pair their rows, e.g. "
        "--models lstm and --models transformer side by side with --threads 1 each",
    )
    p.add_argument("--rewrite", action="store_true", help="only rewrite the .md from the .csv (no training)")
    return p.parse_args(argv)


def n_params(enc) -> int:
    return sum(int(p.numel()) for p in enc.model_.parameters())


def common(args: argparse.Namespace) -> dict:
    return {
        "context": "stream",
        "bptt": args.bptt,
        "batch_size": args.batch_size,
        "dropout": args.dropout,
        "tie_weights": True,
        "softmax": "full",
        "device": args.device,
        "seed": args.seed,
        "validation": 0.0,
        "patience": 6,
        "max_len": 200,
        "progress": False,
        "init_from": None,
    }


def lstm_params(args: argparse.Namespace) -> dict:
    return dict(
        hidden_size=args.hidden,
        layers=args.layers,
        embedding_dim=args.hidden,
        optimizer="sgd",
        lr=20.0,
        clip_grad=0.25,
        **common(args),
    )


def transformer_params(args: argparse.Namespace, ff: int) -> dict:
    return dict(
        d_model=args.hidden,
        heads=args.heads,
        layers=args.layers,
        ff=ff,
        positions=args.positions,
        embedding_dim=args.hidden,
        optimizer="adam",
        lr=1e-3,
        clip_grad=0.25,
        **common(args),
    )


def match_ff(args, train, target: int) -> tuple[int, int]:
    """The feed-forward width whose transformer has the parameter count closest to ``target``."""
    import forge

    best = None
    for mult in (1, 2, 3, 4):
        ff = mult * args.hidden
        enc = forge.create("transformer", **{**transformer_params(args, ff), "epochs": 0}).fit(train)
        count = n_params(enc)
        if best is None or abs(count - target) < abs(best[1] - target):
            best = (ff, count)
    assert best is not None
    return best


def train_capped(name: str, params: dict, train, valid, minutes: float, max_epochs: int):
    """Epochs one at a time until the next would end past ``minutes``; returns (encoder, minutes used, capped)."""
    import forge

    start = time.perf_counter()
    capped = False
    with tempfile.TemporaryDirectory() as ckpt:
        enc = forge.create(name, **{**params, "epochs": 1, "checkpoint_dir": ckpt}).fit(train, valid=valid)
        while len(enc.history_) < max_epochs:
            elapsed = time.perf_counter() - start
            if elapsed + elapsed / len(enc.history_) > 60 * minutes:
                capped = True
                break
            try:
                enc.set_params(epochs=len(enc.history_) + 1, resume=True).fit(train, valid=valid)
            except forge.errors.BadInputError as exc:  # stopped early (patience)
                if "Nothing to train" not in str(exc):
                    raise
                break
    return enc, (time.perf_counter() - start) / 60, capped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rewrite:
        write(pd.DataFrame(), args)
        return 0
    import torch

    import forge

    if args.threads:
        torch.set_num_threads(args.threads)
    train = forge.corpora.load("ptb", split="train")
    train = list(islice(train, args.max_train_sentences)) if args.max_train_sentences else list(train)
    valid, test = list(forge.corpora.load("ptb", split="valid")), list(forge.corpora.load("ptb", split="test"))
    if args.max_test_tokens:
        valid, test = token_prefix(valid, args.max_test_tokens), token_prefix(test, args.max_test_tokens)
    lstm0 = forge.create("lstm", **{**lstm_params(args), "epochs": 0}).fit(train)
    target = n_params(lstm0)
    ff, t_count = match_ff(args, train, target)
    print(f"parameters: lstm {target:,}, transformer {t_count:,} (ff={ff})", flush=True)
    rows = []
    date = args.date or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    device_name = (
        torch.cuda.get_device_name()
        if args.device.startswith("cuda")
        else f"CPU, {torch.get_num_threads()} torch threads"
    )
    specs = {"lstm": lstm_params(args), "transformer": transformer_params(args, ff)}
    for name in args.models.split(","):
        enc, used, capped = train_capped(name, specs[name], train, valid, args.minutes, args.epochs)
        t0 = time.perf_counter()
        test_ppl, valid_ppl = enc.perplexity(test), enc.perplexity(valid)
        hist = enc.history_
        rows.append(
            {
                "date_utc": date,
                "encoder": name,
                "device": "cuda" if args.device.startswith("cuda") else "cpu",
                "device_name": device_name,
                "minutes_budget": args.minutes,
                "minutes_used": round(used, 2),
                "budget_reached": capped,
                "epochs": len(hist),
                "parameters": n_params(enc),
                "test_ppl": round(test_ppl, 2),
                "valid_ppl": round(valid_ppl, 2),
                "tokens_per_s": round(sum(h["tokens_per_s"] for h in hist) / len(hist)),
                "eval_seconds": round(time.perf_counter() - t0, 1),
                "load_average_1min": round(os.getloadavg()[0], 1),  # other jobs on the machine
                "train_tokens_per_epoch": sum(len(s) + 1 for s in train),
                "test_tokens": sum(len(s) + 1 for s in test),
                "config": json.dumps(
                    {k: v for k, v in specs[name].items() if k not in ("progress", "init_from")}, sort_keys=True
                ),
                "label": args.label,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    for r in rows:  # the LSTM's count is measured in every run, whichever models it trains
        r["param_ratio_to_lstm"] = round(r["parameters"] / target, 3)
    write(pd.DataFrame(rows), args)
    return 0


def write(new: pd.DataFrame, args: argparse.Namespace) -> None:
    import fcntl

    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / f".{NAME}.lock", "w") as lock:  # two side-by-side runs may end at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write(new)


def _write(new: pd.DataFrame) -> None:
    from forge._persist import atomic_file

    csv = RESULTS / f"{NAME}.csv"
    frame = pd.concat([pd.read_csv(csv), new], ignore_index=True) if csv.is_file() and len(new) else new
    if csv.is_file() and not len(new):
        frame = pd.read_csv(csv)
    with atomic_file(csv, "w") as handle:
        frame.to_csv(handle, index=False)
    shown = frame[
        [
            "date_utc",
            "encoder",
            "device",
            "minutes_budget",
            "minutes_used",
            "epochs",
            "parameters",
            "param_ratio_to_lstm",
            "test_ppl",
            "valid_ppl",
            "tokens_per_s",
            "train_tokens_per_epoch",
            "test_tokens",
        ]
    ]
    lines = []
    for (date, device), part in frame.groupby(["date_utc", "device"], sort=False):
        p = part.set_index("encoder")
        if {"lstm", "transformer"} <= set(p.index):
            t, l_ = p.loc["transformer"], p.loc["lstm"]
            winner = "the transformer" if t["test_ppl"] < l_["test_ppl"] else "the LSTM"
            lines.append(
                f"- {date} ({device}): {winner} wins, test perplexity transformer {t['test_ppl']} vs LSTM "
                f"{l_['test_ppl']} after {t['minutes_used']} vs {l_['minutes_used']} minutes of a "
                f"{t['minutes_budget']}-minute budget each, {int(t['parameters']):,} vs {int(l_['parameters']):,} "
                f"parameters, {int(t['epochs'])} vs {int(l_['epochs'])} epochs of {int(t['train_tokens_per_epoch']):,} "
                "tokens."
                + (
                    " Both first epochs ran past the budget (an epoch always runs to its end), so this row "
                    "compares equal data (the same tokens, once), not equal time."
                    if t["minutes_used"] > t["minutes_budget"] and l_["minutes_used"] > l_["minutes_budget"]
                    else ""
                )
                + (f" Run: {t['label']}." if isinstance(t.get("label"), str) and t["label"] else "")
            )
    text = (
        "# PTB stream perplexity: transformer vs LSTM at equal parameters and equal time\n\n"
        f"Machine: {machine()}. Generated by `benchmarks/{NAME}.py` (the configuration of every row is in the "
        "csv). Budgets below the issue's 60 CPU / 10 GPU minutes are short capped runs on a shared machine: "
        "read them as what that budget buys, not as converged figures.\n\n"
        + shown.to_markdown(index=False, floatfmt=".4g")
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )
    with atomic_file(RESULTS / f"{NAME}.md", "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
