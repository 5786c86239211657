"""Training speed of any registered contextual encoder on one device: one epoch, tokens per second.

The hook for encoders that have no hand-written reference loop yet (issue 19: the attention encoders
``transformer`` and ``bitransformer``): each name given is skipped, with a line saying so, when it is
not registered here. Settings an encoder does not have (``get_params()``) are not passed to it.

Usage::

    python benchmarks/encoder_fit_speed.py --encoders lstm,transformer,bitransformer --device cuda \\
        --tokens 400000 --batch 256 --hidden 650 --results benchmarks/results/gpu

Results: ``encoder_fit_speed.{csv,md}`` in ``--results`` (default ``benchmarks/results``), appended.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    import torch
    from lstm_throughput import load_sentences

    import forge

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoders", default="lstm,transformer,bitransformer")
    p.add_argument("--device", default="cuda")
    p.add_argument("--tokens", type=int, default=200_000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=650)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--results", default=None)
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("SKIPPED: no CUDA device")
        return 0
    sentences, source = load_sentences(args.tokens)
    wanted = {
        "hidden_size": args.hidden,
        "layers": args.layers,
        "embedding_dim": args.hidden,
        "dropout": 0.0,
        "validation": 0.0,
        "softmax": "full",
        "device": args.device,
        "epochs": 1,
        "batch_size": args.batch,
        "precision": args.precision,
        "progress": False,
        "seed": 0,
    }
    registered = forge.list_encoders()
    rows = []
    for name in args.encoders.split(","):
        if name not in registered:
            print(f"SKIPPED {name}: not registered here (available: {', '.join(sorted(registered))})")
            continue
        known = forge.create(name).get_params()
        params = {k: v for k, v in wanted.items() if k in known}
        forge.create(name, **{**params, "epochs": 1}).fit(sentences[: max(2 * args.batch, len(sentences) // 10)])
        start = time.perf_counter()
        enc = forge.create(name, **params).fit(sentences)
        wall = time.perf_counter() - start
        hist = getattr(enc, "history_", None) or [{}]
        n_tokens = sum(len(s) + 1 for s in sentences)
        rate = hist[0].get("tokens_per_s") or n_tokens / wall
        row = {
            "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
            "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "CPU",
            "encoder": name,
            "params": " ".join(f"{k}={v}" for k, v in params.items() if k not in ("progress", "device")),
            "tokens": n_tokens,
            "data": source,
            "tok_s": round(rate),
            "fit_wall_s": round(wall, 2),
        }
        rows.append(row)
        print(f"{name:<14} {row['tok_s']:>10,} tokens/s   (fit {wall:.1f} s on {n_tokens:,} tokens; {row['params']})")
    if rows:
        out_dir = Path(args.results) if args.results else RESULTS
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "encoder_fit_speed.csv"
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            if new:
                writer.writeheader()
            writer.writerows(rows)
        with open(out_dir / "encoder_fit_speed.md", "a", encoding="utf-8") as out:
            if out.tell() == 0:
                out.write(
                    "# One training epoch per encoder: tokens/s\n\n| date (UTC) | device | encoder | tokens/s | "
                    "fit s | settings |\n|---|---|---|---|---|---|\n"
                )
            for r in rows:
                out.write(
                    f"| {r['date_utc']} | {r['device']} | {r['encoder']} | {r['tok_s']:,} | {r['fit_wall_s']} "
                    f"| {r['params']} |\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
