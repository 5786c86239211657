"""Attack run for issue 9: random SIGKILLs during saves and checkpoints, and racing saves.

Not a test (it takes minutes): it counts what users would lose.

* ``kills``: a child process saves a model over and over into one folder (next to a user's file);
  the parent kills it (SIGKILL) at a random moment. Afterwards ``forge.load`` must give a complete
  model (restoring the rename window's copy if needed), the user's file must be intact, and the
  next save must leave no ``.tmp-*`` / ``.old-*`` / ``.lock`` behind.
* ``ckpt-kills``: the same for a recurrent model writing a checkpoint after every epoch; afterwards
  ``resume=True`` must work.
* ``races``: several processes save to one folder at once; every failure must be a ForgeError.

Run: ``python benchmarks/attack_saves.py [kills] [ckpt_kills] [racers]`` (defaults 30 10 4).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    "OMP_NUM_THREADS": "1",
}

SAVER = textwrap.dedent("""
    import sys, numpy as np, forge
    enc = forge.create("skipgram", vector_size=64, min_count=1, epochs=1, workers=1, progress=False)
    words = [f"w{i}" for i in range(20000)]
    enc = enc.fit([words[i:i + 50] for i in range(0, len(words), 50)])
    print("ready", flush=True)
    while True:
        enc.save(sys.argv[1])
""")

TRAINER = textwrap.dedent("""
    import sys, forge
    corpus = [[f"w{(i * 7 + j) % 300}" for j in range(12)] for i in range(400)]
    print("ready", flush=True)
    forge.create("lstm", hidden_size=16, layers=1, epochs=50, batch_size=16, dropout=0.0, validation=0.0,
                 device="cpu", progress=False, checkpoint_dir=sys.argv[1], resume=True).fit(corpus)
""")

RACER = textwrap.dedent("""
    import sys, forge
    from forge.errors import ForgeError
    enc = forge.create("onehot").fit([["a", "b", sys.argv[2]]])
    ok = busy = 0
    for _ in range(int(sys.argv[3])):
        try:
            enc.save(sys.argv[1]); ok += 1
        except ForgeError:
            busy += 1
    print(ok, busy)
""")


def _leftovers(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def kills(n: int, rng: random.Random) -> dict[str, int]:
    import forge

    out = {"kills": 0, "recovered": 0, "load_failed": 0, "user_files_lost": 0, "leftovers_after_next_save": 0}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "thesis.tex").write_text("mine")
        target = root / "model"
        for _ in range(n):
            proc = subprocess.Popen([sys.executable, "-c", SAVER, str(target)], stdout=subprocess.PIPE, env=ENV)
            proc.stdout.readline()
            time.sleep(rng.uniform(0.0, 1.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            out["kills"] += 1
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    enc = forge.load(target)
                except forge.errors.ForgeError:
                    enc = None
                    if target.exists():  # no save finished yet is fine only before the first one
                        out["load_failed"] += 1
            out["recovered"] += any("restored" in str(w.message) for w in caught)
            if (root / "thesis.tex").read_text() != "mine":
                out["user_files_lost"] += 1
            if enc is not None:
                enc.save(target)
                out["leftovers_after_next_save"] += bool(_leftovers(root, "model"))
    return out


def ckpt_kills(n: int, rng: random.Random) -> dict[str, int]:
    out = {"kills": 0, "resume_failed": 0, "recovered": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(n):
            ckpt = Path(tmp) / f"ckpt{out['kills']}"
            proc = subprocess.Popen([sys.executable, "-c", TRAINER, str(ckpt)], stdout=subprocess.PIPE, env=ENV)
            proc.stdout.readline()
            time.sleep(rng.uniform(0.5, 6.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            out["kills"] += 1
            check = subprocess.run(
                [sys.executable, "-W", "always", "-c", TRAINER.replace("epochs=50", "epochs=1"), str(ckpt)],
                env=ENV,
                capture_output=True,
                text=True,
            )
            out["resume_failed"] += check.returncode != 0
            out["recovered"] += "restored" in check.stderr
    return out


def races(racers: int, saves: int) -> dict[str, int]:
    out = {"saves": 0, "ok": 0, "forge_errors": 0, "crashed_processes": 0, "leftovers": 0}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "m"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(target), f"w{i}", str(saves)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=ENV,
            )
            for i in range(racers)
        ]
        for proc in procs:
            stdout, _ = proc.communicate()
            if proc.returncode != 0:
                out["crashed_processes"] += 1
                continue
            ok, busy = map(int, stdout.split())
            out["ok"] += ok
            out["forge_errors"] += busy
        out["saves"] = racers * saves
        out["leftovers"] = len(_leftovers(Path(tmp), "m"))
    return out


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] + [30, 10, 4][len(sys.argv) - 1 :]
    rng = random.Random(9)
    result = {"kills": kills(args[0], rng), "ckpt_kills": ckpt_kills(args[1], rng), "races": races(args[2], 200)}
    print(json.dumps(result, indent=1))
