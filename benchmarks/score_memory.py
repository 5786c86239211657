"""Peak memory of scoring 1,000,000 x 300 float32 vectors on every English dataset (target: < 8 GB).

The vectors are random; their first rows are the words of the English
datasets (so every task really runs), the rest fillers. They are saved as a
forge model and loaded with ``forge.load(path, mmap=True)``, the way a big
pretrained file is meant to be scored, then ``forge.bench.run`` scores them
on all English datasets available offline. A subprocess does the scoring so
that its peak resident set size (``ru_maxrss``) is the scoring alone.

    python benchmarks/score_memory.py [--rows 1000000] [--dim 300]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import write

_CHILD = r"""
import json, resource, sys, time
import forge
from forge.bench import available_datasets, get_record, run
path = sys.argv[1]
names = [n for n in available_datasets("all")[0] if get_record(n).language == "en"]
t = time.perf_counter()
enc = forge.load(path, mmap=True)
report = run({"random": enc}, names, progress=False)
seconds = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
main = report.main_scores()
print(json.dumps({"datasets": names, "seconds": seconds, "peak_rss_bytes": peak_kb * 1024,
                  "rows_scored": int(len(main)), "mean_coverage": float(main["coverage"].mean())}))
"""


def _build(path: Path, rows: int, dim: int) -> int:
    import numpy as np

    from forge.bench import available_datasets, get_record, load_dataset
    from forge.encoders import KeyedVectorsEncoder

    words: dict[str, None] = {}
    for name in available_datasets("all")[0]:
        if get_record(name).language != "en":
            continue
        data = load_dataset(name).data
        for attr in ("word1", "word2", "a", "b", "c"):
            for w in getattr(data, attr, []):
                words.setdefault(w.lower())
        for ans in getattr(data, "answers", []):
            for w in ans:
                words.setdefault(w.lower())
        for ctx in getattr(data, "context1", []) + getattr(data, "context2", []):
            for w in ctx:
                words.setdefault(w.lower())
    n_real = len(words)
    names = list(words)[:rows] + [f"filler{i}" for i in range(max(0, rows - len(words)))]
    rng = np.random.default_rng(0)
    mat = np.empty((rows, dim), dtype=np.float32)
    for start in range(0, rows, 100_000):
        mat[start : start + 100_000] = rng.standard_normal((min(100_000, rows - start), dim), dtype=np.float32)
    KeyedVectorsEncoder.from_arrays(names, mat).save(path)
    return n_real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors"
        t = time.perf_counter()
        n_real = _build(path, args.rows, args.dim)
        print(
            f"saved {args.rows} x {args.dim} random vectors ({n_real} dataset words) in "
            f"{time.perf_counter() - t:.0f} s",
            flush=True,
        )
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]),
        )
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env, check=False
        )
        if out.returncode:
            print(out.stderr[-3000:])
            raise SystemExit(out.returncode)
        res = json.loads(out.stdout.strip().splitlines()[-1])
    matrix = args.rows * args.dim * 4
    frame = pd.DataFrame(
        [
            {
                "rows": args.rows,
                "dim": args.dim,
                "matrix_bytes": matrix,
                "datasets": len(res["datasets"]),
                "main_scores": res["rows_scored"],
                "mean_coverage": round(res["mean_coverage"], 3),
                "seconds": round(res["seconds"], 1),
                "peak_rss_bytes": res["peak_rss_bytes"],
                "peak_rss_gb": round(res["peak_rss_bytes"] / 2**30, 2),
                "fits_8gb": res["peak_rss_bytes"] < 8 * 2**30,
            }
        ]
    )
    write(
        frame,
        "score_memory",
        f"Scoring {args.rows} x {args.dim} float32 vectors on all English datasets",
        f"Datasets: {', '.join(res['datasets'])}. Vectors memory-mapped (forge.load(path, mmap=True)); peak "
        f"RSS of the scoring subprocess (ru_maxrss), target < 8 GB. Machine shared with other jobs (load "
        f"average {os.getloadavg()[0]:.1f}). Own process peak for building the file: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB.",
    )


if __name__ == "__main__":
    main()
