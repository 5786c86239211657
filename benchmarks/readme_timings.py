"""Wall time of the commands whose duration the README quotes, with the machine's load while they ran.

Runs each job in a fresh process (offline, no FORGE_DATA_DIR: what a new user runs first) and writes
``benchmarks/results/readme_timings.{csv,md}``. The README quotes these files, never typed guesses.

    python benchmarks/readme_timings.py                 # every job
    python benchmarks/readme_timings.py lab-quick       # only these jobs

Jobs: ``lab-quick`` (``forge lab --quick``), ``notebook`` (``docs/tutorial.ipynb`` executed through
nbclient, its default sizes), ``demo`` (``forge demo``), ``train-bilstm`` and ``train-transformer``
(``forge train NAME --corpus gensim-default`` with no parameters; the row adds WordSim-353 and SimLex
of the trained model's static part beside the skip-gram it was built on). The load average is read before and after each
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
from _common import RESULTS, write

ROOT = Path(__file__).resolve().parents[1]
TRAINED = ("bilstm", "transformer")  # forge train NAME with no parameters: the 5-minute goal

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
        **{
            f"train-{name}": (
                f"forge train {name} --corpus gensim-default (no parameters)",
                [py, "-m", "forge", "train", name, "--corpus", "gensim-default", "--out", str(tmp / name)],
            )
            for name in TRAINED
        },
    }


def static_quality(model_dir: Path) -> dict:
    """WordSim-353 and SimLex-999 (gensim's copies) of a trained model's static part and of the skip-gram.

    The skip-gram is fitted as ``init_from="skipgram"`` fits it (one worker, the encoder's seed and
    min_count): the same vectors the neural encoder was built on. Spearman rho, OOV pairs skipped.
    """
    from gensim.test.utils import datapath

    import forge
    from forge.bench import evaluate_word_pairs

    model = forge.load(model_dir)
    corpus = forge.corpora.load("gensim-default")
    params = model.get_params()
    sg = forge.create("skipgram", seed=params["seed"], workers=1, min_count=params["min_count"], progress=False)
    sg.fit(corpus)
    static = (list(model.vocabulary.words), model.static_matrix())  # the input embedding, a row per word
    out = {}
    for key, file in (("ws353", "wordsim353.tsv"), ("simlex", "simlex999.txt")):
        out[f"{key}_static"] = round(float(evaluate_word_pairs(static, datapath(file))[1][0]), 4)
        out[f"{key}_skipgram"] = round(float(evaluate_word_pairs(sg, datapath(file))[1][0]), 4)
    out["epochs_run"] = len(model.history_)
    out["valid_ppl"] = round(model.history_[-1].get("valid_ppl", float("nan")), 1)
    return out


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
            if name.startswith("train-"):
                rows[-1].update(static_quality(Path(tmp) / name.removeprefix("train-")))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    old = RESULTS / "readme_timings.csv"
    if old.is_file():  # keep the rows of the jobs not run this time
        kept = pd.read_csv(old)
        frame = pd.concat([kept[~kept["job"].isin(frame["job"])], frame], ignore_index=True)
    write(
        frame,
        "readme_timings",
        "Wall time of the commands the README times",
        "Offline (no FORGE_DATA_DIR), each in a fresh process. load_before/load_after: the 1-minute load "
        "average; a load above the number of cores means other work shared the machine. train-* rows: "
        "Spearman rho of the trained model's static part (ws353_static, simlex_static) and of the "
        "skip-gram it was built on (fitted again the same way), epochs run and the last validation "
        "perplexity.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
