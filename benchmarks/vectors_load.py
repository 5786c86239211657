"""Loading a word2vec text file: forge.load_vectors vs gensim's KeyedVectors.load_word2vec_format.

Writes a ROWS x DIM word2vec text file of random vectors (5 decimals, like
published files) into a temporary directory, then in one run:

* times ``forge.load_vectors(path)`` and ``KeyedVectors.load_word2vec_format(path)``
  on the same file (best of ``--repeat``), each in a fresh subprocess so
  neither pays for the other's memory;
* measures forge's peak traced allocation (tracemalloc, a second subprocess;
  gensim's too with ``--trace-gensim``) against the size of the float32
  matrix: forge streams rows into one preallocated matrix, so its peak must
  stay <= 1.3x the matrix.

Both must read identical words and vectors (checked). Results go to
``benchmarks/results/vectors_load.{csv,md}``.

    python benchmarks/vectors_load.py [--rows 300000] [--dim 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import write

_CHILD = r"""
import json, sys, time, tracemalloc
import numpy as np
which, path, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if which == "forge":
    import forge
    load = lambda: forge.load_vectors(path)
else:
    from gensim.models import KeyedVectors
    load = lambda: KeyedVectors.load_word2vec_format(path)
if trace:
    tracemalloc.start()
t = time.perf_counter()
obj = load()
seconds = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] if trace else 0
vectors = obj.vectors_ if which == "forge" else obj.vectors
words = obj.vocabulary.words if which == "forge" else obj.index_to_key
print(json.dumps({"seconds": seconds, "peak": peak, "matrix": int(vectors.nbytes), "shape": list(vectors.shape),
                  "checksum": float(np.asarray(vectors, dtype=np.float64).sum()), "first": words[0],
                  "last": words[-1]}))
"""


def _write_file(path: Path, rows: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{rows} {dim}\n")
        for start in range(0, rows, 5000):
            block = rng.integers(-99999, 100000, size=(min(5000, rows - start), dim)) / 1e5
            text = "\n".join(f"w{start + k} " + " ".join(f"{x:.5f}" for x in row) for k, row in enumerate(block))
            out.write(text + "\n")


def _child(which: str, path: Path, trace: bool) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]),
    )
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, which, str(path), "1" if trace else "0"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--trace-gensim", action="store_true", help="also trace gensim's peak (another full load)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.txt"
        t = time.perf_counter()
        _write_file(path, args.rows, args.dim)
        print(
            f"wrote {path.stat().st_size / 1e6:.0f} MB ({args.rows} x {args.dim}) in {time.perf_counter() - t:.0f} s",
            flush=True,
        )
        rows = []
        timed: dict[str, dict] = {}
        for _ in range(args.repeat):
            for which in ("gensim", "forge"):  # alternate, so load changes hit both sides alike
                r = _child(which, path, trace=False)
                if which not in timed or r["seconds"] < timed[which]["seconds"]:
                    timed[which] = r
                print(f"{which}: {r['seconds']:.1f} s", flush=True)
        for which in ("gensim", "forge") if args.trace_gensim else ("forge",):
            traced = _child(which, path, trace=True)
            r = timed[which]
            rows.append(
                {
                    "loader": which,
                    "rows": args.rows,
                    "dim": args.dim,
                    "load_seconds": round(r["seconds"], 2),
                    "matrix_bytes": r["matrix"],
                    "peak_traced_bytes": traced["peak"],
                    "peak_over_matrix": round(traced["peak"] / r["matrix"], 3),
                }
            )
        same = (
            all(timed["forge"][k] == timed["gensim"][k] for k in ("shape", "first", "last"))
            and abs(timed["forge"]["checksum"] - timed["gensim"]["checksum"]) < 1e-3
        )
    frame = pd.DataFrame(rows)
    speed = timed["gensim"]["seconds"] / timed["forge"]["seconds"]
    forge_peak = frame.loc[frame["loader"] == "forge", "peak_over_matrix"].iloc[0]
    write(
        frame,
        "vectors_load",
        f"Loading a {args.rows} x {args.dim} word2vec text file",
        f"Same file, same run, each loader in a fresh subprocess (best of {args.repeat}); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs shared with other jobs. forge / gensim speed: "
        f"{speed:.2f}x (gensim time / forge time). forge peak traced allocation / float32 matrix: "
        f"{forge_peak:.3f} (target <= 1.3). Identical words and vectors: {same}.",
    )
    assert same, "forge and gensim read different vectors"


if __name__ == "__main__":
    main()
