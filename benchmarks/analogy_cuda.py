"""Analogy evaluation on CUDA: 19,544 questions over 300,000 x 300 vectors, timed after a warm-up, and
checked answer by answer against the CPU path (issue 19; target <= 0.1 s).

Vectors are random unit vectors (timing and exactness only; accuracy is ~0). The questions have the
shape of Google's analogy set: sections of word pairs, each question two pairs of one section
(a:b :: c:d), 19,544 in all over about a thousand distinct words; its words are the first rows.

Timed:

* ``kernel``: :func:`forge.bench._analogy_cuda.solve_analogies_torch` (3CosAdd) with the vectors already
  on the device, in true fp32 (TF32 off); the best and the median of ``--repeats`` runs after one warm-up;
* ``evaluate``: ``forge.bench`` ``evaluate_analogy(device=...)`` end to end (unit vectors, the copy to the
  device, both methods), after one warm-up;
* ``cpu``: the CPU path (``evaluate_analogy(device="cpu")``, numba's fused kernel where installed), once.

Exactness: every CUDA answer must equal the CPU path's, except near-ties (the best two CPU scores
within 1e-5, where float32 rounding of the cosines may pick either); the count is reported, and the
script fails on any other difference.

Usage::

    python benchmarks/analogy_cuda.py                                   # CUDA, 300k x 300
    python benchmarks/analogy_cuda.py --device cpu --vocab 20000 --dim 32   # the smoke test (torch on CPU)

Results: ``analogy_cuda.{csv,md}`` in ``--results`` (default ``benchmarks/results``), one row per run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

RESULTS = Path(__file__).parent / "results"
N_QUESTIONS = 19544


def google_shaped(n_questions: int, pairs_per_section: int = 38) -> np.ndarray:
    """(n, 4) rows a, b, c, d: every ordered pair of two distinct word pairs of one section, sections in turn."""
    out, word = [], 0
    while len(out) < n_questions:
        pairs = [(word + 2 * k, word + 2 * k + 1) for k in range(pairs_per_section)]
        word += 2 * pairs_per_section
        out += [(a, b, c, d) for (a, b) in pairs for (c, d) in pairs if (a, b) != (c, d)]
    return np.array(out[:n_questions], dtype=np.int64)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    from forge.bench._analogy import evaluate_analogy
    from forge.bench._analogy_cuda import cuda_fp32, solve_analogies_torch
    from forge.bench._analogy_kernel import solve_analogies
    from forge.bench._parsers import AnalogySet
    from forge.bench._vectors import VectorView

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vocab", type=int, default=300_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--questions", type=int, default=N_QUESTIONS)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu to smoke-test the script")
    p.add_argument("--results", default=None, help="directory for the results (default benchmarks/results)")
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("SKIPPED: no CUDA device (use --device cpu for the smoke test)")
        return 0
    rng = np.random.default_rng(0)
    W = rng.standard_normal((args.vocab, args.dim), dtype=np.float32)
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    q = google_shaped(args.questions)
    assert q.max() < args.vocab, "--vocab is smaller than the questions' words"
    words = [f"w{i}" for i in range(args.vocab)]
    qs = AnalogySet(*([words[i] for i in q[:, k]] for k in range(3)), [(words[i],) for i in q[:, 3]], ["s"] * len(q))
    rows, cols = np.repeat(np.arange(len(q)), 3), q[:, :3].ravel()

    # the CPU path: answers (and the best two scores, for near-ties) and its time
    t = time.perf_counter()
    cpu = evaluate_analogy(VectorView((words, W)), qs, methods=("3cosadd",), device="cpu")
    cpu_s = time.perf_counter() - t
    want, top1, top2 = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols)
    near = (top1 - top2) < 1e-5

    # the kernel alone, vectors already on the device
    Wd = torch.as_tensor(W, device=args.device)
    times = []
    with cuda_fp32():
        for k in range(args.repeats + 1):  # the first is the warm-up
            _sync(args.device)
            t = time.perf_counter()
            got, _ = solve_analogies_torch(Wd, q[:, 0], q[:, 1], q[:, 2], rows, cols)
            _sync(args.device)
            if k:
                times.append(time.perf_counter() - t)
    differ = got != want
    # evaluate_analogy end to end (unit vectors, copy to the device, both methods)
    device = "cuda" if args.device.startswith("cuda") else "cpu"
    evaluate_analogy(VectorView((words, W)), qs, device=device)  # warm-up
    _sync(args.device)
    t = time.perf_counter()
    full = evaluate_analogy(VectorView((words, W)), qs, device=device)
    _sync(args.device)
    full_s = time.perf_counter() - t
    eval_differ = full.items["correct_3cosadd"] != cpu.items["correct_3cosadd"]
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (torch kernel, smoke test)"
    row = {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "device": name,
        "vocab": args.vocab,
        "dim": args.dim,
        "questions": len(q),
        "kernel_best_s": round(min(times), 4),
        "kernel_median_s": round(statistics.median(times), 4),
        "evaluate_both_methods_s": round(full_s, 3),
        "cpu_evaluate_s": round(cpu_s, 2),
        "differ": int(differ.sum()),
        "differ_beyond_near_ties": int((differ & ~near).sum()),
        "near_ties": int(near.sum()),
        "evaluate_differ_beyond_near_ties": int((eval_differ & ~near).sum()),
        "torch": torch.__version__,
    }
    print(
        f"{name}: {len(q):,} questions over {args.vocab:,} x {args.dim}: kernel {row['kernel_best_s']:.4f} s best, "
        f"{row['kernel_median_s']:.4f} s median of {args.repeats} after a warm-up (target <= 0.1 s); "
        f"evaluate_analogy (both methods, copy included) {full_s:.3f} s; CPU path {cpu_s:.2f} s; "
        f"answers differing from the CPU path: {row['differ']} ({row['near_ties']} near-ties in all, "
        f"{row['differ_beyond_near_ties']} differences beyond them)",
        flush=True,
    )
    results = Path(args.results) if args.results else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    csv_path = results / "analogy_cuda.csv"
    new = not csv_path.exists()
    with open(csv_path, "a", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    with open(results / "analogy_cuda.md", "a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write(
                "# Analogy evaluation on CUDA: the kernel after a warm-up, and its answers against the CPU path\n\n"
                "| date (UTC) | device | vocab x dim | questions | kernel best s | kernel median s | evaluate s "
                "(both methods) | CPU s | differ | beyond near-ties | near-ties |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|\n"
            )
        out.write(
            f"| {row['date_utc']} | {name} | {args.vocab:,} x {args.dim} | {len(q):,} | {row['kernel_best_s']} "
            f"| {row['kernel_median_s']} | {row['evaluate_both_methods_s']} | {row['cpu_evaluate_s']} "
            f"| {row['differ']} | {row['differ_beyond_near_ties']} | {row['near_ties']} |\n"
        )
    bad = row["differ_beyond_near_ties"] + row["evaluate_differ_beyond_near_ties"]
    if bad:
        print(f"FAILED: {bad} answers differ from the CPU path beyond near-ties", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
