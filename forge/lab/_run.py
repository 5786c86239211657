"""``run_lab``: train the encoders of the story, run every probe, add the Chinese benchmarks, write the report.

The jobs live in their own modules: :mod:`forge.lab._result` (``LabResult``), :mod:`forge.lab._runner`
(``run_probes``), :mod:`forge.lab._sizes` (how large), :mod:`forge.lab._corpus` (the text),
:mod:`forge.lab._train` (training or loading the encoders), :mod:`forge.lab._extras` (optional packages).
"""

from __future__ import annotations

import datetime as _dt
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from forge._version import __version__
from forge.bench import available_datasets, encoder_record, get_record, list_datasets, run
from forge.corpora import to_simplified
from forge.lab._extras import has_module, skipped_lines
from forge.lab._probe import ProbeOptions, get_probe
from forge.lab._result import LabResult
from forge.lab._runner import run_probes
from forge.lab._sizes import LAB_SIZES
from forge.lab._threads import one_thread
from forge.lab._train import load_lab_encoders, train_lab_encoders
from forge.lab._verdict import profile

__all__ = ["LAB_SIZES", "LabResult", "run_lab", "run_probes", "train_lab_encoders"]


def chinese_benchmarks(encoders: dict[str, Any], log: Callable[[str], None]) -> pd.DataFrame | None:
    """The Chinese similarity and analogy datasets available offline, through ``forge.bench.run``.

    The encoders are trained on Simplified text: Simplified sets run as they are, Traditional ones
    with an OpenCC ``to_simplified`` transform on every word.
    """
    frames = []
    scripts: list[tuple[str, Callable[[str], str] | None]] = [("simplified", None)]
    if has_module("opencc"):  # without OpenCC the Traditional sets are skipped (said in the report)
        scripts.append(("traditional", to_simplified))
    for script, transform in scripts:
        names = [
            n
            for n in list_datasets(language="zh")
            if get_record(n).kind != "polysemy" and get_record(n).script == script
        ]
        ok, _ = available_datasets(names) if names else ([], {})
        if ok:
            log(f"  Chinese {script} datasets through forge.bench: {', '.join(ok)}")
            frames.append(run(encoders, ok, transform=transform, progress=False).frame.assign(script=script))
    return pd.concat(frames, ignore_index=True) if frames else None


def _selector(encoders: dict[str, Any], chinese: Iterable[str]) -> Callable[[str, str], bool]:
    """Which probe runs on which lab encoder: what each probe declares (``Probe.needs``/``skips``) against
    each encoder's profile tags (its record, and the language it was trained on)."""
    zh = set(chinese)
    tags = {n: profile(encoder_record(e), "zh" if n in zh else "en") for n, e in encoders.items()}
    return lambda pname, ename: get_probe(pname).applies(tags[ename])


def run_lab(
    corpus: str = "gensim-default",
    out: str | Path | None = None,
    quick: bool = False,
    seed: int = 0,
    rnn_tokens: int | None = None,
    rnn_hidden: int | None = None,
    save_models: str | Path | None = None,
    models: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    probes: Sequence[str] | None = None,
) -> LabResult:
    """Train the encoders of the story and run every probe on them; save the report to ``out``.

    ``save_models``: also save every trained encoder there. ``models``: instead of training, load the
    encoders saved there by an earlier run (one sub-directory per encoder; ``zh-*`` are the Chinese ones).
    ``probes``: run only these probes (default: all).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    start = time.perf_counter()
    skipped = skipped_lines()  # optional packages missing here: the lab goes on without their parts
    for line in skipped:
        log(f"optional: {line}")
    if models is not None:
        en, zh, info = load_lab_encoders(models, corpus, quick, seed, log)
    else:
        with one_thread():  # small models: one thread is about as fast, and steady on a busy machine
            en, zh, info = train_lab_encoders(corpus, quick, seed, rnn_tokens, rnn_hidden, log)
    if save_models is not None and models is None:
        for name, enc in {**en, **zh}.items():
            enc.save(Path(save_models) / name)
    options = ProbeOptions(seed=seed, quick=quick, sentences=info.pop("sentences"))
    encoders = {**en, **zh}
    result = run_probes(encoders, probes, options=options, select=_selector(encoders, zh), log=log)
    result.protocol.update(info)
    result.benchmarks = (
        chinese_benchmarks({k: zh[k] for k in ("zh-onehot", "zh-skipgram", "zh-bilstm") if k in zh}, log)
        if zh
        else None
    )
    result.protocol["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    result.protocol["total_seconds"] = round(time.perf_counter() - start, 1)

    result.protocol["forge_version"] = __version__
    result.protocol["skipped"] = skipped
    if out is not None:
        result.save(out)
        log(f"lab report written to {out}/report.html and {out}/report.md")
    return result
