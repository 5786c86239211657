"""Training throughput: forge's ``transformer`` against forge's ``lstm`` at equal parameters, and each
against a raw PyTorch loop of the same model.

* **forge**: ``forge.create(name, context="stream", ...).fit(sentences)`` for one epoch; the rate is the
  trainer's own (predicted tokens per second, first batch to last).
* **raw**: the loop anyone would write for the same model on the same token stream: the corpus cut into
  ``batch`` rows, ``bptt`` tokens at a time, embedding -> model -> tied output -> cross-entropy, Adam,
  gradient clipping. The transformer is ``torch.nn.TransformerEncoder`` (pre-LN, GELU, causal mask,
  sinusoidal positions) of the same width, heads, feed-forward width and depth; the LSTM ``torch.nn.LSTM``.

The LSTM's width sets the size; the transformer's feed-forward width is chosen so that its parameter count
(counted on forge's built model) is closest to the LSTM's. Each (model, side) pair first runs once
untimed, then ``--repeats`` timed runs alternate; the medians are reported. On CUDA the runs use bf16
autocast (``--precision``). Results: ``benchmarks/results/attention_throughput.{csv,md}``.

Usage::

    FORGE_DATA_DIR=... python benchmarks/attention_throughput.py --tokens 40000 --threads 1      # CPU, short
    FORGE_DATA_DIR=... python benchmarks/attention_throughput.py --devices cuda --hidden 650 --tokens 2000000
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import write


def load_sentences(n_tokens: int) -> tuple[list[list[str]], str]:
    import forge

    try:
        out, total = [], 0
        for s in forge.corpora.load("ptb", split="train"):
            out.append(s)
            total += len(s) + 1
            if total >= n_tokens:
                break
        return out, f"the first {total:,} tokens of PTB train"
    except forge.errors.ForgeError:
        import numpy as np

        rng = np.random.default_rng(0)
        words = [f"w{i}" for i in range(5000)]
        p = 1.0 / np.arange(1, 5001)
        p /= p.sum()
        sents = [[words[i] for i in rng.choice(5000, 20, p=p)] for _ in range(n_tokens // 21)]
        return sents, f"{n_tokens:,} synthetic Zipf tokens"


def forge_params(args, name: str, ff: int, device: str) -> dict:
    shared = {
        "context": "stream",
        "bptt": args.bptt,
        "batch_size": args.batch,
        "dropout": 0.0,
        "tie_weights": True,
        "softmax": "full",
        "optimizer": "adam",
        "lr": 1e-3,
        "clip_grad": 1.0,
        "validation": 0.0,
        "device": device,
        "precision": args.precision if device.startswith("cuda") else "fp32",
        "seed": 0,
        "progress": False,
        "init_from": None,
        "embedding_dim": args.hidden,
        "layers": args.layers,
        "max_len": 200,
    }
    if name == "lstm":
        return dict(hidden_size=args.hidden, **shared)
    return dict(d_model=args.hidden, heads=args.heads, ff=ff, positions="sinusoidal", **shared)


def count(enc) -> int:
    return sum(int(p.numel()) for p in enc.model_.parameters())


def forge_rate(name: str, params: dict, sents) -> tuple[float, int]:
    import forge

    enc = forge.create(name, epochs=1, **params).fit(sents)
    return float(enc.history_[-1]["tokens_per_s"]), count(enc)


def raw_model(name: str, vocab: int, args, ff: int):
    import torch
    from torch import nn

    d = args.hidden

    class RawLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            if name == "lstm":
                self.body = nn.LSTM(d, d, args.layers, batch_first=True)
            else:
                layer = nn.TransformerEncoderLayer(
                    d, args.heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
                )
                self.body = nn.TransformerEncoder(layer, args.layers, enable_nested_tensor=False)
                self.ln = nn.LayerNorm(d)
                pos = torch.arange(args.bptt)[:, None]
                freq = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
                table = torch.zeros(args.bptt, d)
                table[:, 0::2], table[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq[: d // 2])
                self.register_buffer("pos", table)
                self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(args.bptt))
            self.out = nn.Linear(d, vocab)
            self.out.weight = self.emb.weight  # tied

        def forward(self, x):  # (batch, time) -> (batch, time, vocab)
            h = self.emb(x)
            if name == "lstm":
                h = self.body(h)[0]
            else:
                t = x.shape[1]
                h = self.ln(self.body(h + 0.1 * self.pos[:t], mask=self.mask[:t, :t], is_causal=True))
            return self.out(h)

    return RawLM()


def raw_rate(name: str, sents, args, ff: int, device: str) -> float:
    import torch

    words = [*sorted({w for s in sents for w in s}), "</s>"]
    index = {w: i for i, w in enumerate(words)}
    stream = torch.tensor([index[w] for s in sents for w in [*s, "</s>"]])
    rows = len(stream) // args.batch
    data = stream[: rows * args.batch].view(args.batch, rows).to(device)  # (batch, time)
    torch.manual_seed(0)
    model = raw_model(name, len(words), args, ff).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    amp = device.startswith("cuda") and args.precision == "bf16"
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    start, seen = time.perf_counter(), 0
    for i in range(0, rows - 1, args.bptt):
        t = min(args.bptt, rows - 1 - i)
        x, y = data[:, i : i + t], data[:, i + 1 : i + 1 + t]
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(words)).float(), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen += y.numel()
    sync()
    return seen / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=40_000)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--devices", default=None, help="comma-separated (default: cpu, and cuda when present)")
    p.add_argument("--precision", default="bf16", choices=["bf16", "fp32"], help="on CUDA")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    import torch

    import forge

    if args.threads:
        torch.set_num_threads(args.threads)
    sents, source = load_sentences(args.tokens)
    devices = args.devices.split(",") if args.devices else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    lstm0 = forge.create("lstm", epochs=0, **forge_params(args, "lstm", 0, "cpu")).fit(sents)
    target = count(lstm0)
    counts = {
        m * args.hidden: count(
            forge.create("transformer", epochs=0, **forge_params(args, "transformer", m * args.hidden, "cpu")).fit(
                sents
            )
        )
        for m in (1, 2, 3, 4)
    }
    ff = min(counts, key=lambda f: abs(counts[f] - target))
    rows = []
    for device in devices:
        runs = {(m, s): [] for m in ("lstm", "transformer") for s in ("forge", "raw")}
        params = {}
        for repeat in range(args.repeats + 1):  # the first pass warms up (not recorded)
            for model in ("lstm", "transformer"):
                rate, params[model] = forge_rate(model, forge_params(args, model, ff, device), sents)
                raw = raw_rate(model, sents, args, ff, device)
                if repeat:
                    runs[(model, "forge")].append(rate)
                    runs[(model, "raw")].append(raw)
        for (model, side), rates in runs.items():
            rows.append(
                {
                    "model": model,
                    "side": side,
                    "device": device,
                    "precision": args.precision if device.startswith("cuda") else "fp32",
                    "parameters": params[model],
                    "tokens_per_s": round(statistics.median(rates)),
                    "runs": len(rates),
                }
            )
    frame = pd.DataFrame(rows)
    notes = [
        f"Data: {source}, stream mode (bptt {args.bptt}, {args.batch} rows), width {args.hidden}, {args.layers} "
        f"layers; transformer {args.heads} heads, feed-forward {ff} (parameters {counts[ff]:,} vs the LSTM's "
        f"{target:,}, ratio {counts[ff] / target:.3f}). Median of {args.repeats} timed runs after one warm-up, "
        f"{torch.get_num_threads()} torch thread(s), on a machine shared with other jobs (1-minute load "
        f"average at the end: {os.getloadavg()[0]:.1f})."
    ]
    for device in devices:
        part = frame[frame["device"] == device].set_index(["model", "side"])["tokens_per_s"]
        notes.append(
            f"{device}: transformer / LSTM (forge) {part[('transformer', 'forge')] / part[('lstm', 'forge')]:.2f}x; "
            f"forge / raw: transformer {part[('transformer', 'forge')] / part[('transformer', 'raw')]:.2f}, "
            f"LSTM {part[('lstm', 'forge')] / part[('lstm', 'raw')]:.2f} (target on GPU >= 0.9)."
        )
    write(
        frame,
        "attention_throughput",
        "Training tokens/s: transformer vs LSTM, forge vs raw PyTorch",
        "\n\n".join(notes),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
