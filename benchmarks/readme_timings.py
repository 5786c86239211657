"""Wall time of the commands whose duration the README quotes, with the machine's load while they ran.

Runs each job in a fresh process (offline, no FORGE_DATA_DIR: what a new user runs first) and writes
``benchmarks/results/readme_timings.{csv,md}``. The README quotes these files, never typed guesses.

    python benchmarks/readme_timings.py                 # every job
    python benchmarks/readme_timings.py lab-quick       # only these jobs

Jobs: ``lab-quick`` (``forge lab --quick``), ``notebook`` (``docs/tutorial.ipynb`` executed through
nbclient, its default sizes), ``demo`` (``forge demo``). The load average is read before and after each
job: on a machine shared with other work the times are longer, and the table says how busy it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import write

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
sys.exit(1 if errors else 0)
"""


def _jobs(tmp: Path) -> dict[str, tuple[str, list[str]]]:
    py = sys.executable
    return {
        "lab-quick": ("forge lab --quick", [py, "-m", "forge", "lab", "--quick", "--out", str(tmp / "lab")]),
        "notebook": (
            "docs/tutorial.ipynb (nbclient, default sizes)",
            [py, "-c", NOTEBOOK, str(ROOT / "docs" / "tutorial.ipynb"), str(tmp)],
        ),
        "demo": ("forge demo", [py, "-m", "forge", "demo"]),
    }


def main(argv: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "FORGE_DATA_DIR"}
    env["MPLBACKEND"] = "Agg"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = _jobs(Path(tmp))
        for name in argv or list(jobs):
            command, args = jobs[name]
            load_before = os.getloadavg()[0]
            start = time.perf_counter()
            proc = subprocess.run(args, env=env, cwd=tmp, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{name} failed (exit {proc.returncode})")
            rows.append(
                {
                    "job": name,
                    "command": command,
                    "seconds": round(seconds, 1),
                    "load_before": round(load_before, 1),
                    "load_after": round(os.getloadavg()[0], 1),
                }
            )
            print(rows[-1], flush=True)
    write(
        pd.DataFrame(rows),
        "readme_timings",
        "Wall time of the commands the README times",
        "Offline (no FORGE_DATA_DIR), each in a fresh process. load_before/load_after: the 1-minute load "
        "average; a load above the number of cores means other work shared the machine.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
