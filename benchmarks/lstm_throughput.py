"""Training throughput: forge's LSTM language model against a minimal hand-written PyTorch loop.

Both sides train the same model (embedding -> LSTM -> linear -> softmax
cross-entropy, Adam, gradient clipping, no dropout) on the same sentences
and the same number of tokens, in one process and in alternating runs. They
report predicted tokens per second.

* **forge**: ``forge.create("lstm", ...).fit(sentences)``. It builds
  length-bucketed, padded batches of ``batch`` sentences and masks the
  padding. Its rate is the trainer's own epoch timing, from the first batch
  to the last; the vocabulary and encoding pass is timed apart.
* **raw**: the loop anyone would write. The sentences are concatenated into
  one stream, cut into ``batch`` rows, and fed as chunks of the mean
  sentence length, with no padding and a fresh state each chunk. This is the
  upper bound that forge's bucketing and masking are measured against.

Both sides first run once untimed on the same data (oneDNN builds an RNN
primitive the first time it sees a shape). The timed runs then alternate
``--repeats`` times. The ratio of the medians is reported, along with the
median of the paired ratios, which is steadier when other jobs share the
machine.

**Modes** (``--modes``, both by default):

* ``sentence``: forge's default, as above; the row also gives the **padding cost**, the share of the
  (batch, time) slots of forge's length-bucketed batches that are padding (``pad_fraction``), and so
  how much of the gap to the raw loop is padding;
* ``stream``: forge's ``context="stream"`` (the corpus as one stream cut into ``batch`` rows, fixed
  ``--bptt`` chunks, the state carried across chunks) against a raw loop of exactly that shape (PyTorch's
  ``word_language_model``: fixed 35-token chunks, the state carried and detached). The same shapes on
  both sides: the ratio measures forge's own overhead.

Each is run for ``impl=fused`` (``torch.nn.LSTM``) and ``impl=scratch`` (the
cell equations written out; the raw side writes the same loop by hand). The
target is forge >= 0.9x raw.

Usage::

    python benchmarks/lstm_throughput.py                    # CPU, and CUDA too when present
    python benchmarks/lstm_throughput.py --hidden 650 --batch 256 --devices cuda --precision bf16
    python benchmarks/lstm_throughput.py --modes stream --bptt 35 --impls fused   # stream mode only

Results are written to ``benchmarks/results/lstm_throughput.{csv,md}``. The
sentences come from PTB train (``FORGE_DATA_DIR``) when available, otherwise
from a synthetic Zipf-distributed corpus.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import forge

RESULTS = Path(__file__).parent / "results"


# --------------------------------------------------------------------- data
def load_sentences(n_tokens: int, seed: int = 0) -> tuple[list[list[str]], str]:
    try:
        sents, total = [], 0
        for sent in forge.corpora.load("ptb", split="train"):
            sents.append(sent)
            total += len(sent) + 1
            if total >= n_tokens:
                return sents, "PTB train prefix"
    except forge.errors.MissingDataError:
        pass
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(10000)])
    probs = 1.0 / np.arange(1, len(vocab) + 1)
    probs /= probs.sum()
    sents, total = [], 0
    while total < n_tokens:
        length = int(np.clip(rng.normal(21, 10), 3, 80))
        sents.append(list(rng.choice(vocab, length, p=probs)))
        total += length + 1
    return sents, "synthetic Zipf corpus"


# --------------------------------------------------------------------- the raw loop
class HandLSTM(nn.Module):
    """The LSTM equations by hand (what a tutorial writes), one layer."""

    def __init__(self, n_in: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.w_ih = nn.Linear(n_in, 4 * hidden)
        self.w_hh = nn.Linear(hidden, 4 * hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, time, in) -> (batch, time, hidden)
        xs = self.w_ih(x)
        h = x.new_zeros(x.shape[0], self.hidden)
        c = x.new_zeros(x.shape[0], self.hidden)
        outs = []
        for t in range(x.shape[1]):
            i, f, g, o = (xs[:, t] + self.w_hh(h)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, 1)


class RawLM(nn.Module):
    def __init__(self, vocab: int, hidden: int, layers: int, impl: str):
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        if impl == "fused":
            self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True)
            self.run = lambda x: self.rnn(x)[0]
        else:
            self.cells = nn.ModuleList(HandLSTM(hidden, hidden) for _ in range(layers))

            def run(x):
                for cell in self.cells:
                    x = cell(x)
                return x

            self.run = run
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.run(self.emb(x)))


def raw_tokens_per_s(sentences, args, impl: str, device: str) -> float:
    words = {w: i for i, w in enumerate(sorted({w for s in sentences for w in s}))}
    eos = len(words)
    stream = torch.tensor([i for s in sentences for i in [*(words[w] for w in s), eos]], dtype=torch.long)
    steps = max(2, round(len(stream) / len(sentences)))  # mean sentence length (+ </s>)
    cols = len(stream) // args.batch
    data = stream[: cols * args.batch].view(args.batch, cols).to(device)  # (batch, stream)
    torch.manual_seed(0)
    model = RawLM(len(words) + 1, args.hidden, args.layers, impl).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    autocast = torch.autocast(
        device.split(":")[0], dtype=torch.bfloat16, enabled=args.precision == "bf16" and device.startswith("cuda")
    )
    tokens = 0
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    start = time.perf_counter()
    for i in range(0, cols - 1, steps):
        x, y = data[:, i : i + steps], data[:, i + 1 : i + 1 + steps]
        x = x[:, : y.shape[1]]
        with autocast:
            logits = model(x)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += y.numel()
    loss.item()
    sync()
    return tokens / (time.perf_counter() - start)


def raw_stream_tokens_per_s(sentences, args, impl: str, device: str) -> float:
    """The stream loop of PyTorch's word_language_model: fixed ``bptt`` chunks, the state carried (detached)."""
    words = {w: i for i, w in enumerate(sorted({w for s in sentences for w in s}))}
    eos = len(words)
    stream = torch.tensor([i for s in sentences for i in [*(words[w] for w in s), eos]], dtype=torch.long)
    cols = len(stream) // args.batch
    data = stream[: cols * args.batch].view(args.batch, cols).to(device)  # (batch, stream)
    torch.manual_seed(0)
    model = RawLM(len(words) + 1, args.hidden, args.layers, impl).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    autocast = torch.autocast(
        device.split(":")[0], dtype=torch.bfloat16, enabled=args.precision == "bf16" and device.startswith("cuda")
    )
    fused = impl == "fused"
    state = None  # (h, c) of the fused LSTM; the hand-written cell starts each chunk from zeros
    tokens = 0
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    start = time.perf_counter()
    for i in range(0, cols - 1, args.bptt):
        steps = min(args.bptt, cols - 1 - i)
        x, y = data[:, i : i + steps], data[:, i + 1 : i + 1 + steps]
        with autocast:
            if fused:
                out, state = model.rnn(model.emb(x), state)
                state = tuple(t.detach() for t in state)  # truncated BPTT
                logits = model.out(out)
            else:
                logits = model(x)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += y.numel()
    loss.item()
    sync()
    return tokens / (time.perf_counter() - start)


def pad_fraction(sentences, batch: int) -> float:
    """Share of padding in forge's sentence-mode batches (its own bucketing: ``<s>`` w.. ``</s>`` per row)."""
    try:
        from forge.encoders.neural._data import batch_order
    except ImportError:  # the trainer's layout moved: the cost is not computed, not guessed
        return float("nan")
    lengths = np.array([len(s) + 2 for s in sentences], dtype=np.int64)
    slots = real = 0
    for b in batch_order(lengths, batch, 0, 0):
        slots += len(b) * int(lengths[b].max())
        real += int(lengths[b].sum())
    return 1 - real / slots if slots else float("nan")


def forge_tokens_per_s(sentences, args, impl: str, device: str, mode: str = "sentence") -> tuple[float, float]:
    enc = forge.create(
        "lstm",
        hidden_size=args.hidden,
        layers=args.layers,
        embedding_dim=args.hidden,
        dropout=0.0,
        validation=0,
        softmax="full",
        impl=impl,
        device=device,
        epochs=1,
        batch_size=args.batch,
        lr=1e-3,
        clip_grad=1.0,
        max_len=1000,
        context=mode,
        bptt=args.bptt,
        progress=False,
        precision="bf16" if args.precision == "bf16" and device.startswith("cuda") else "fp32",
    )
    start = time.perf_counter()
    enc.fit(sentences)
    total = time.perf_counter() - start
    hist = enc.history_[0]
    return hist["tokens_per_s"], total - hist["seconds"]


# --------------------------------------------------------------------- one row
def _measure(all_sents, source: str, args, impl: str, device: str, mode: str) -> dict:
    """forge against the raw loop of the same mode, alternating runs; one result row."""
    n = args.tokens if impl == "fused" else (args.scratch_tokens or args.tokens // 2)
    sents = all_sents[: max(args.batch * 2, int(len(all_sents) * n / args.tokens))]
    raw_loop = raw_stream_tokens_per_s if mode == "stream" else raw_tokens_per_s
    # warm-up on the very same data: oneDNN builds an RNN primitive per new (batch, time) shape
    # (~10 ms each on CPU). The raw loop has one shape, forge's bucketed batches a few dozen.
    # Over a real epoch of thousands of batches that cost vanishes; here it would dominate.
    raw_loop(sents, args, impl, device)
    forge_tokens_per_s(sents, args, impl, device, mode)
    raw, fg, prep = [], [], []
    for _ in range(args.repeats):  # alternate, so that a busy moment hits both sides
        raw.append(raw_loop(sents, args, impl, device))
        rate, pre = forge_tokens_per_s(sents, args, impl, device, mode)
        fg.append(rate)
        prep.append(pre)
    paired = statistics.median(f / r for f, r in zip(fg, raw))
    name = (
        torch.cuda.get_device_name(0)
        if device.startswith("cuda")
        else f"CPU {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    )
    row = {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "device": name,
        "mode": mode,
        "chunk": f"bptt {args.bptt}" if mode == "stream" else "sentences / mean length",
        "impl": impl,
        "hidden": args.hidden,
        "layers": args.layers,
        "batch": args.batch,
        "precision": args.precision if device.startswith("cuda") else "fp32",
        "tokens": sum(len(s) + 1 for s in sents),
        "data": source,
        "raw_tok_s": round(statistics.median(raw)),
        "forge_tok_s": round(statistics.median(fg)),
        "ratio": round(statistics.median(fg) / statistics.median(raw), 3),
        "paired_ratio": round(paired, 3),
        "pad_fraction": round(pad_fraction(sents, args.batch), 3) if mode == "sentence" else 0.0,
        "forge_prep_s": round(statistics.median(prep), 2),
        "raw_runs": " ".join(f"{r:.0f}" for r in raw),
        "forge_runs": " ".join(f"{r:.0f}" for r in fg),
    }
    pad = f"   padding {row['pad_fraction']:.1%} of forge's slots" if mode == "sentence" else ""
    print(
        f"{device:5s} {mode:8s} {impl:8s} raw {row['raw_tok_s']:>9,} tok/s   forge {row['forge_tok_s']:>9,} tok/s   "
        f"ratio {row['ratio']:.3f} (median of paired runs {row['paired_ratio']:.3f}){pad}   (forge vocab+encode "
        f"{row['forge_prep_s']} s; runs raw [{row['raw_runs']}] forge [{row['forge_runs']}])",
        flush=True,
    )
    return row


def _write(rows: list[dict], results: Path) -> None:
    """Append the rows to lstm_throughput.csv (older rows get the new columns empty) and .md."""
    import pandas as pd

    results.mkdir(parents=True, exist_ok=True)
    csv_path = results / "lstm_throughput.csv"
    frame = pd.DataFrame(rows)
    if csv_path.exists():
        old = pd.read_csv(csv_path)
        if "mode" not in old:  # rows from before issue 19 were all sentence mode
            old = old.assign(mode="sentence", chunk="sentences / mean length")
        frame = pd.concat([old, frame], ignore_index=True)
    frame.to_csv(csv_path, index=False)
    md = results / "lstm_throughput.md"
    text = md.read_text(encoding="utf-8") if md.exists() else ""
    with open(md, "a", encoding="utf-8") as out:
        if "| mode |" not in text:
            out.write(
                ("# LSTM LM training throughput: forge vs a hand-written PyTorch loop\n" if not text else "")
                + "\n## Sentence and stream mode (issue 19): forge against the raw loop of the same shape\n\n"
                "| date (UTC) | device | mode | chunks | impl | hidden x layers | batch | precision | raw tok/s | "
                "forge tok/s | forge/raw | paired median | padding (sentence mode) |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            )
        for r in rows:
            pad = f"{r['pad_fraction']:.1%}" if r["mode"] == "sentence" else "none"
            out.write(
                f"| {r['date_utc']} | {r['device']} | {r['mode']} | {r['chunk']} | {r['impl']} "
                f"| {r['hidden']}x{r['layers']} | {r['batch']} | {r['precision']} | {r['raw_tok_s']:,} "
                f"| {r['forge_tok_s']:,} | {r['ratio']:.3f} | {r['paired_ratio']:.3f} | {pad} |\n"
            )


# --------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="forge LSTM LM training throughput vs a hand-written PyTorch loop")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch", type=int, default=64, help="sentences (forge) / rows (raw) per batch")
    p.add_argument("--tokens", type=int, default=40000, help="tokens per timed run")
    p.add_argument("--scratch-tokens", type=int, default=None, help="tokens per scratch run (default: tokens/2)")
    p.add_argument("--repeats", type=int, default=5, help="alternating runs per side; the median is reported")
    p.add_argument("--impls", default="fused,scratch")
    p.add_argument("--modes", default="sentence,stream", help="comma list: sentence, stream (see the docstring)")
    p.add_argument("--bptt", type=int, default=35, help="chunk length of stream mode (both sides)")
    p.add_argument("--devices", default="auto", help="comma list: cpu, cuda; auto = cpu (+ cuda when present)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16 autocast on CUDA")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--results", default=None, help="directory for the results (default benchmarks/results)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = (
        ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) if args.devices == "auto" else args.devices.split(",")
    )
    all_sents, source = load_sentences(args.tokens)
    rows = []
    for device in devices:
        for mode in args.modes.split(","):
            for impl in args.impls.split(","):
                rows.append(_measure(all_sents, source, args, impl, device, mode))
    if any(r["impl"] == "fused" for r in rows) and any(r["impl"] == "scratch" for r in rows):
        for device in devices:
            by = {
                r["impl"]: r
                for r in rows
                if r["device"].startswith("CPU") == (device == "cpu") and r["mode"] == args.modes.split(",")[0]
            }
            if "fused" in by and "scratch" in by:
                print(
                    f"{device}: fused/scratch speed-up {by['fused']['forge_tok_s'] / by['scratch']['forge_tok_s']:.2f}x"
                )
    _write(rows, Path(args.results) if args.results else RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
