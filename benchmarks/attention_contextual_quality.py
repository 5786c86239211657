"""Contextual quality: ``bitransformer``, ``transformer`` and ``bilstm`` built on a skip-gram, against it.

1. a skip-gram is trained on a prefix of text8;
2. the three contextual encoders are trained on the same prefix with forge's recipe (``init_from`` the
   skip-gram, a projection where widths differ);
3. the one setting chosen per encoder is what ``embed`` returns (``layer``: ``"mix"``, half static and
   half contextual, or ``"top"``, the last layer alone). Issue 21's discipline: the setting reported on
   WiC is the one that scored best on SCWS, and the setting reported on SCWS is the one that scored best
   on WiC; the results record which data chose which setting (column ``chosen_on``);
4. every encoder is compared with the skip-gram by the paired tests of ``Report.compare`` (Williams and a
   paired bootstrap for SCWS, McNemar for WiC).

Usage::

    FORGE_DATA_DIR=... python benchmarks/attention_contextual_quality.py --tokens 2000000 --epochs 3   # long
    FORGE_DATA_DIR=... python benchmarks/attention_contextual_quality.py --tokens 200000 --threads 1   # short

Results: ``benchmarks/results/attention_contextual_quality.{csv,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import write
from rnn_contextual_quality import text8_sentences

SETTINGS = ("mix", "top")
METRIC = {"scws": "spearman", "wic": "accuracy_test"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=200_000, help="text8 prefix length")
    p.add_argument("--piece", type=int, default=35)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--sg-epochs", type=int, default=5)
    p.add_argument("--width", type=int, default=128, help="LSTM hidden size per direction = transformer d_model")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--encoders", default="bitransformer,transformer,bilstm")
    args = p.parse_args(argv)
    import torch

    import forge
    from forge.bench import run

    if args.threads:
        torch.set_num_threads(args.threads)
    sents = text8_sentences(args.tokens, args.piece)
    t0 = time.perf_counter()
    sg = forge.create(
        "skipgram", vector_size=args.vector_size, epochs=args.sg_epochs, min_count=args.min_count, workers=2, seed=1
    ).fit(sents)
    seconds = {"skipgram": time.perf_counter() - t0}
    shared = {
        "init_from": sg,
        "min_count": args.min_count,
        "epochs": args.epochs,
        "dropout": 0.1,
        "validation": 0.02,
        "device": "cpu",
        "progress": False,
        "oov": "unk",
        "seed": 0,
        "batch_size": 64,
        "lr": 2e-3,
    }
    specific = {
        "bilstm": {"hidden_size": args.width, "layers": 1},
        "transformer": {"d_model": args.width, "heads": 4, "ff": 2 * args.width, "layers": 2},
        "bitransformer": {"d_model": args.width, "heads": 4, "ff": 2 * args.width, "layers": 2},
    }
    encoders, info = {}, {}
    for name in args.encoders.split(","):
        t0 = time.perf_counter()
        enc = forge.create(name, layer="mix", **shared, **specific[name]).fit(sents)
        seconds[name] = time.perf_counter() - t0
        encoders[name] = enc
        hist = enc.history_[-1]
        info[name] = (
            f"{name} ({', '.join(f'{k}={v}' for k, v in specific[name].items())}): {len(enc.history_)} epoch(s) in "
            f"{seconds[name] / 60:.1f} min, {hist['tokens_per_s']:,.0f} tokens/s, valid ppl "
            f"{hist.get('valid_ppl', float('nan')):.1f}, softmax {getattr(enc, 'softmax_', '?')}"
        )
        print(info[name], flush=True)
    # every setting scored on both datasets; each dataset's reported setting is the one the OTHER chose
    scores: dict[tuple[str, str, str], float] = {}
    for name, enc in encoders.items():
        for setting in SETTINGS:
            enc.set_params(layer=setting)
            main_rows = run({name: enc}, list(METRIC), progress=False).main_scores()
            for ds, metric in METRIC.items():
                hit = main_rows[(main_rows["dataset"] == ds) & (main_rows["metric"] == metric)]["value"]
                scores[(name, setting, ds)] = float(hit.iloc[0]) if len(hit) else float("nan")
    frames, choices = [], []
    for ds, other in (("scws", "wic"), ("wic", "scws")):
        chosen = {n: max(SETTINGS, key=lambda s, n=n: scores[(n, s, other)]) for n in encoders}
        for n in encoders:
            encoders[n].set_params(layer=chosen[n])
            choices.append(
                {
                    "encoder": n,
                    "reported_on": ds,
                    "setting": f"layer={chosen[n]}",
                    "chosen_on": other,
                    **{f"{other} with layer={s}": round(scores[(n, s, other)], 4) for s in SETTINGS},
                }
            )
        report = run({"skipgram": sg, **encoders}, [ds], progress=False)
        main_rows = report.main_scores()
        cols = [
            c for c in ("encoder", "dataset", "metric", "value", "ci_low", "ci_high", "n", "coverage") if c in main_rows
        ]
        part = main_rows[main_rows["metric"] == METRIC[ds]][cols].copy()
        part["setting"] = [f"layer={chosen[e]}" if e in chosen else "static" for e in part["encoder"]]
        part["chosen_on"] = [other if e in chosen else "" for e in part["encoder"]]
        frames.append(part.assign(kind="score"))
        for n in encoders:
            frames.append(report.compare(n, "skipgram").assign(kind=f"paired: {n} vs skipgram", chosen_on=other))
    frame = pd.concat(frames, ignore_index=True)
    choice = pd.DataFrame(choices)
    notes = (
        f"text8 prefix of {args.tokens:,} tokens in sentences of {args.piece}; skip-gram {args.vector_size}-d, "
        f"{args.sg_epochs} epochs ({seconds['skipgram']:.0f} s). Contextual encoders built on it (init_from, "
        "dropout 0.1, Adam lr 2e-3, 2% validation): "
        + "; ".join(info.values())
        + f". {torch.get_num_threads()} torch thread(s) on a machine shared with other jobs (1-minute load average "
        f"at the end: {os.getloadavg()[0]:.1f}).\n\n"
        "Which data chose which setting (the reported number of a dataset never chose its own setting):\n\n"
        + choice.to_markdown(index=False)
        + "\n"
    )
    write(frame, "attention_contextual_quality", "Contextual quality: attention vs recurrence vs skip-gram", notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
