"""Analogy evaluation speed: forge.bench.evaluate_word_analogies vs gensim's, side by side, and exact.

Both read the Google analogy file (questions-words.txt, 19,544 questions) and
answer it on the same vectors in one run, under gensim's protocol (3CosAdd,
upper-case folding, restrict_vocab=300000); both timings include reading the
file. forge's answers come from the batched kernel in
``forge/bench/_analogy_kernel.py``.

Exactness: the script computes, for every covered question, the best two
candidate scores (float32). Questions whose best two are within 1e-6 are
*near-ties*, where float32 rounding may legitimately pick either word; they
are counted and reported. Every other question must be answered the same
way (right or wrong) by forge and gensim, or the script fails. It never
fails because of a near-tie.

Vectors (``--vectors``):

* ``text8`` (default, needs FORGE_DATA_DIR): forge's skip-gram encoder trained
  on the text8 prefix (vector_size=100, epochs=1, min_count=5, workers=2);
  ``--model DIR`` reuses one saved with ``encoder.save``;
* ``random``: ``--vocab`` random vectors of ``--dim`` dimensions whose first
  rows are the dataset's words (accuracy ~0, timing only); use
  ``--max-questions`` to keep gensim's part short on big vocabularies.

Two sizes in one run (the default, no ``--vectors``): the text8 skip-gram (22,541 words) and a
skip-gram on gensim-default (9,846 words), trained once into ``--models`` (default: forge's cache).
For each, the first call in a new process (one process per side and per call: gensim's
``evaluate_word_analogies``, forge's ``evaluate_word_analogies`` and ``forge.bench.run`` on
google-analogy with 3CosAdd, the one method gensim computes), then warm calls in this process (best of
``--repeat``), and the ratios. The first call in a new process loads numba's compiled kernels from its
on-disk cache (compiled by an untimed process first). Writes ``results/analogy_speed_ratios.{json,md}``.

Run: ``FORGE_DATA_DIR=../shared/datasets python benchmarks/analogy_speed.py``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def _vectors(args):
    from gensim.models import KeyedVectors

    import forge

    if args.vectors == "text8" and args.model:
        enc = forge.load(args.model)
        return enc.keyed_vectors, f"skipgram text8-prefix (saved model {args.model})"
    if args.vectors == "text8":
        corpus = forge.corpora.load("text8")
        t = time.perf_counter()
        enc = forge.create(
            "skipgram", vector_size=args.dim, epochs=args.epochs, min_count=5, workers=2, seed=1, progress=False
        ).fit(corpus)
        print(
            f"trained skip-gram on text8 prefix in {time.perf_counter() - t:.1f} s: "
            f"{len(enc.vocabulary)} words x {enc.dim}"
        )
        return enc.keyed_vectors, f"skipgram text8-prefix dim={args.dim} epochs={args.epochs}"
    from forge.bench import load_dataset

    qs = load_dataset("google-analogy").data
    words = list(dict.fromkeys(w.lower() for w in qs.a + qs.b + qs.c + [a[0] for a in qs.answers]))
    words += [f"filler{i}" for i in range(max(0, args.vocab - len(words)))]
    rng = np.random.default_rng(0)
    kv = KeyedVectors(args.dim)
    kv.add_vectors(words, rng.standard_normal((len(words), args.dim), dtype=np.float32))
    return kv, f"random {len(words)} x {args.dim}"


def _near_ties(kv, path: Path, eps: float = 1e-6) -> set[tuple[str, tuple[str, str, str, str]]]:
    """(section, question) of covered questions whose best two candidates score within ``eps`` (untimed)."""
    from forge.bench._analogy_kernel import solve_analogies
    from forge.bench._gensim_eval import _banned, _question_rows, _words_and_vectors

    words, mat, norms = _words_and_vectors(kv, 300000)
    text = path.read_text(encoding="utf-8")
    first, variants = _question_rows([w.upper() for w in words], text.upper().split())
    section, quads = "", []
    for line in text.split("\n"):
        if line.startswith(": "):
            section = line.lstrip(": ").strip()
            continue
        parts = line.upper().split()
        if len(parts) == 4 and all(w in first for w in parts):
            quads.append((section, tuple(parts)))
    ia, ib, ic = (np.array([first[q[1][k]] for q in quads], dtype=np.int64) for k in range(3))
    rows, cols = _banned(ia, ib, ic, variants)
    _, top1, top2 = solve_analogies(mat, ia, ib, ic, rows, cols, runner_up=True, norms=norms)
    return {quads[k] for k in np.flatnonzero(top1 - top2 <= eps)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--vectors",
        choices=["text8", "random"],
        default=None,
        help="time one set of vectors (history in results/analogy_speed.json); default: the two-size suite",
    )
    p.add_argument("--models", default=None, help="folder for the suite's trained models (default: forge's cache)")
    p.add_argument("--first-repeat", type=int, default=2, help="new processes per side for first calls (best)")
    p.add_argument("--vocab", type=int, default=100000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--model", default=None, help="a saved skip-gram model directory to use for --vectors text8")
    p.add_argument("--max-questions", type=int, default=None, help="use only the first N questions")
    p.add_argument("--repeat", type=int, default=1, help="time each side N times, keep the best (noisy machines)")
    p.add_argument(
        "--pause",
        type=float,
        default=0.5,
        help="seconds of sleep before each timed call, so that neither side is timed while the other's worker "
        "threads (OpenBLAS spins after a product; numba's pool) still hold the cores",
    )
    p.add_argument("--out", default=str(RESULTS / "analogy_speed.json"))
    args = p.parse_args(argv)
    if args.vectors is None:
        return suite(args)

    from gensim.test.utils import datapath

    from forge.bench import evaluate_word_analogies
    from forge.bench._parsers import parse_google_analogy

    kv, label = _vectors(args)
    src = Path(datapath("questions-words.txt"))
    path = src
    if args.max_questions:
        lines, n = [], 0
        for line in src.read_text(encoding="utf-8").splitlines(keepends=True):
            if not line.startswith(":"):
                if n == args.max_questions:
                    continue
                n += 1
            lines.append(line)
        path = Path(tempfile.mkdtemp()) / "questions-subset.txt"
        path.write_text("".join(lines), encoding="utf-8")
    questions = parse_google_analogy(path)

    # one untimed call each on the first 10 questions: numba loads its compiled kernels, gensim fills its norms
    warm = Path(tempfile.mkdtemp()) / "warm-up.txt"
    warm.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:11]), encoding="utf-8")
    kv.evaluate_word_analogies(str(warm), restrict_vocab=300000, case_insensitive=True)
    evaluate_word_analogies(kv, warm, restrict_vocab=300000, case_insensitive=True)

    t_gensim = t_forge = float("inf")
    for _ in range(max(1, args.repeat)):
        time.sleep(args.pause)
        t = time.perf_counter()
        score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=300000, case_insensitive=True)
        t_gensim = min(t_gensim, time.perf_counter() - t)
        time.sleep(args.pause)
        t = time.perf_counter()
        f_score, f_sections = evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True)
        t_forge = min(t_forge, time.perf_counter() - t)
    total = sections[-1]
    g_correct, g_n = len(total["correct"]), len(total["correct"]) + len(total["incorrect"])
    f_correct = len(f_sections[-1]["correct"])
    f_n = f_correct + len(f_sections[-1]["incorrect"])
    near, differ = _near_ties(kv, path), []
    for g_sec, f_sec in zip(sections, f_sections):
        for q in set(g_sec["correct"]) ^ set(f_sec["correct"]):
            if (g_sec["section"], q) not in near and g_sec["section"] != "Total accuracy":
                differ.append((g_sec["section"], q))
    print(
        f"near-ties (best two candidates within 1e-6): {len(near)} of {g_n} covered questions; "
        f"answered differently by forge and gensim: {len(differ)} outside the near-ties"
    )
    assert f_n == g_n, f"covered questions differ: forge {f_n}, gensim {g_n}"
    assert not differ, f"answers differ on questions that are not near-ties: {differ[:5]}"
    ratio = t_gensim / t_forge
    print(f"vectors: {label}; questions: {len(questions)} ({g_n} covered)")
    print(f"gensim evaluate_word_analogies: {t_gensim:8.2f} s  accuracy {score:.4f} ({g_correct}/{g_n})")
    print(f"forge  evaluate_word_analogies: {t_forge:8.2f} s  accuracy {f_score:.4f} ({f_correct}/{f_n})")
    print(
        f"speed ratio: forge is {ratio:.1f}x faster (target >= 20x on CPU); best of {args.repeat}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    record = {
        "vectors": label,
        "vocab": len(kv),
        "dim": kv.vector_size,
        "questions": len(questions),
        "covered": g_n,
        "correct": g_correct,
        "forge_correct": f_correct,
        "near_ties": len(near),
        "accuracy": score,
        "gensim_s": round(t_gensim, 3),
        "forge_s": round(t_forge, 3),
        "ratio": round(ratio, 2),
        "repeat": args.repeat,
        "pause_s": args.pause,
        "load_average": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(out.read_text()) if out.exists() else []
    history.append(record)
    from forge._persist import atomic_file

    with atomic_file(out) as fh:
        json.dump(history, fh, indent=1)
    print(f"wrote {out}")
    return 0


# ------------------------------------------------------------------------------------- the two-size suite
_SIZES = {  # label -> (corpus, epochs): skip-gram, dim 100, min_count 5, seed 1
    "text8 skip-gram": ("text8", 1),
    "gensim-default skip-gram": ("gensim-default", 5),
}

_CHILD = r"""
import json, sys, time
import forge, gensim, numpy
from forge.bench import evaluate_word_analogies, run
model, path, side = sys.argv[1:4]
kv = forge.load(model).keyed_vectors
t = time.perf_counter()
if side == "gensim":
    kv.evaluate_word_analogies(path, restrict_vocab=300000, case_insensitive=True)
elif side == "forge":
    evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True)
else:
    run({"sg": kv}, ["google-analogy"], analogy_methods=("3cosadd",), progress=False)
print(json.dumps(time.perf_counter() - t))
"""


def _model(folder: Path, label: str, spec: tuple[str, int]) -> Path:
    """The saved skip-gram of ``label`` (trained and saved on first use)."""
    import forge

    corpus, epochs = spec
    out = folder / corpus
    if not out.is_dir() or not any(out.iterdir()):
        t = time.perf_counter()
        enc = forge.create(
            "skipgram", vector_size=100, epochs=epochs, min_count=5, workers=2, seed=1, progress=False
        ).fit(forge.corpora.load(corpus))
        enc.save(out)
        print(f"trained {label}: {len(enc.vocabulary)} words in {time.perf_counter() - t:.0f} s", flush=True)
    return out


def _first_call(model: Path, path: Path, side: str, repeat: int) -> float:
    """Seconds of the first call in a fresh process (best of ``repeat`` processes; loading is not timed)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(model), str(path), side], capture_output=True, text=True, check=True
        )
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return best


def _best(fn, repeat: int, pause: float) -> float:
    best = float("inf")
    for _ in range(max(1, repeat)):
        time.sleep(pause)
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def suite(args) -> int:
    from gensim.test.utils import datapath

    import forge
    from forge._paths import cache_dir
    from forge.bench import evaluate_word_analogies, run

    folder = Path(args.models) if args.models else cache_dir() / "benchmark-models"
    path = Path(datapath("questions-words.txt"))
    load_before = os.getloadavg()
    records = []
    for label, spec in _SIZES.items():
        model = _model(folder, label, spec)
        kv = forge.load(model).keyed_vectors
        # fills numba's on-disk cache when it is empty (the first call after an install compiles the kernels)
        subprocess.run([sys.executable, "-c", _CHILD, str(model), str(path), "forge"], check=True, capture_output=True)
        first = {side: _first_call(model, path, side, args.first_repeat) for side in ("gensim", "forge", "run")}
        # warm: one untimed call each, then the best of --repeat
        kv.evaluate_word_analogies(str(path), restrict_vocab=300000, case_insensitive=True)
        evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True)
        run({"sg": kv}, ["google-analogy"], analogy_methods=("3cosadd",), progress=False)
        warm = {
            "gensim": _best(
                lambda kv=kv: kv.evaluate_word_analogies(str(path), restrict_vocab=300000, case_insensitive=True),
                args.repeat,
                args.pause,
            ),
            "forge": _best(
                lambda kv=kv: evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True),
                args.repeat,
                args.pause,
            ),
            "run": _best(
                lambda kv=kv: run({"sg": kv}, ["google-analogy"], analogy_methods=("3cosadd",), progress=False),
                args.repeat,
                args.pause,
            ),
        }
        score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=300000, case_insensitive=True)
        f_score, f_sections = evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True)
        near = _near_ties(kv, path)
        differ = [
            (g["section"], q)
            for g, f in zip(sections, f_sections)
            for q in set(g["correct"]) ^ set(f["correct"])
            if (g["section"], q) not in near and g["section"] != "Total accuracy"
        ]
        assert not differ, f"answers differ on questions that are not near-ties: {differ[:5]}"
        covered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        rec = {
            "vectors": label,
            "vocab": len(kv),
            "dim": kv.vector_size,
            "covered": covered,
            "near_ties": len(near),
            "accuracy_gensim": round(score, 4),
            "accuracy_forge": round(f_score, 4),
            **{f"first_{k}_s": round(v, 3) for k, v in first.items()},
            "first_ratio_eval": round(first["gensim"] / first["forge"], 2),
            "first_ratio_run": round(first["gensim"] / first["run"], 2),
            **{f"warm_{k}_s": round(v, 4) for k, v in warm.items()},
            "warm_ratio_eval": round(warm["gensim"] / warm["forge"], 2),
            "warm_ratio_run": round(warm["gensim"] / warm["run"], 2),
        }
        records.append(rec)
        print(
            f"{label} ({rec['vocab']:,} words, {covered:,} covered): first call gensim {first['gensim']:.2f} s, "
            f"forge {first['forge']:.2f} s ({rec['first_ratio_eval']}x), run {first['run']:.2f} s "
            f"({rec['first_ratio_run']}x); warm gensim {warm['gensim']:.3f} s, forge {warm['forge']:.3f} s "
            f"({rec['warm_ratio_eval']}x), run {warm['run']:.3f} s ({rec['warm_ratio_run']}x); "
            f"near-ties {len(near)}, no other difference",
            flush=True,
        )
    meta = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_before": round(load_before[0], 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "repeat": args.repeat,
        "first_repeat": args.first_repeat,
        "pause_s": args.pause,
        "machine": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default",
    }
    _write_suite(records, meta)
    return 0


def _write_suite(records: list[dict], meta: dict) -> None:
    from forge._persist import atomic_file

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "analogy_speed_ratios.json"
    history = json.loads(out.read_text()) if out.exists() else []
    history.append({**meta, "results": records})
    with atomic_file(out) as fh:
        json.dump(history, fh, indent=1)
    head = "| vectors | words | covered | first: gensim / forge / run (s) | first ratio eval / run |"
    head += " warm: gensim / forge / run (s) | warm ratio eval / run | near-ties |"
    lines = [head, "|" + "---|" * 8]
    for r in records:
        lines.append(
            f"| {r['vectors']} | {r['vocab']:,} | {r['covered']:,} | {r['first_gensim_s']:.2f} / "
            f"{r['first_forge_s']:.2f} / {r['first_run_s']:.2f} | {r['first_ratio_eval']}x / "
            f"{r['first_ratio_run']}x | {r['warm_gensim_s']:.3f} / {r['warm_forge_s']:.3f} / "
            f"{r['warm_run_s']:.3f} | {r['warm_ratio_eval']}x / {r['warm_ratio_run']}x | {r['near_ties']} |"
        )
    text = (
        "# Analogy speed: forge vs gensim's evaluate_word_analogies, first call and warm\n\n"
        f"Measured {meta['when']} on {meta['cpus']} CPUs ({meta['machine']}, Python {meta['python']}); load "
        f"average {meta['load_average_before']} before, {meta['load_average_after']} after; BLAS threads: "
        f"{meta['blas_threads']}. Google analogy set "
        f"(19,544 questions), 3CosAdd, restrict_vocab=300000, case folded. First call: a new process per side "
        f"(best of {meta['first_repeat']}), loading not timed, numba's kernels from its on-disk cache. Warm: best "
        f"of {meta['repeat']} in one process. run = forge.bench.run(google-analogy, 3CosAdd).\n\n"
        + "\n".join(lines)
        + "\n"
    )
    with atomic_file(RESULTS / "analogy_speed_ratios.md") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
