"""Running probes over encoders: ``run_probes`` (one row set, notes and protocol per run)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forge.bench import COLUMNS
from forge.errors import BadInputError
from forge.lab._probe import ProbeOptions, check_encoder, get_probe, list_probes
from forge.lab._result import LabResult
from forge.lab._threads import one_thread

__all__ = ["run_probes"]


def _rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:

    return pd.DataFrame(rows, columns=COLUMNS)


def run_probes(
    encoders: dict[str, Any],
    probes: Sequence[str] | None = None,
    options: ProbeOptions | None = None,
    select: Callable[[str, str], bool] | None = None,
    log: Callable[[str], None] | None = None,
) -> LabResult:
    """Run ``probes`` (default: all) on every encoder; ``select(probe, encoder)`` may skip pairs.

    Examples
    --------
    >>> import forge
    >>> from forge.lab import run_probes
    >>> enc = forge.create("onehot").fit([["the", "dog", "bit", "the", "man"]] * 3)
    >>> res = run_probes({"onehot": enc}, ["probe-order"])
    >>> res.frame.loc[res.frame["main"], ["dataset", "metric", "value"]].values.tolist()
    [['probe-order', 'identical_fraction', 1.0]]
    """
    if not isinstance(encoders, dict) or not encoders:
        raise BadInputError("run_probes expects a non-empty dict {name: fitted encoder}.")
    options = options or ProbeOptions()
    names = list(probes) if probes is not None else list(list_probes())
    rows: list[dict[str, Any]] = []
    notes: dict[tuple[str, str], list[str]] = {}
    timing: dict[str, float] = {}
    for enc in encoders.values():
        check_encoder(enc)
    with one_thread():  # small kernels: one thread is as fast, and steadier on a shared machine
        for pname in names:
            _run_probe(pname, encoders, options, select, log, rows, notes, timing)
    protocol = {
        "probes": names,
        "seed": options.seed,
        "quick": options.quick,
        "probe_seconds": timing,
        "encoders": {n: _encoder_info(e) for n, e in encoders.items()},
    }
    return LabResult(_rows_frame(rows), notes, protocol)


def _run_probe(
    pname: str,
    encoders: dict[str, Any],
    options: ProbeOptions,
    select,
    log,
    rows: list[dict[str, Any]],
    notes: dict,
    timing: dict[str, float],
) -> None:
    probe = get_probe(pname)
    start = time.perf_counter()
    for ename, enc in encoders.items():
        if select is not None and not select(pname, ename):
            continue
        if log:
            log(f"  {pname} on {ename}")
        outcome = probe.measure(enc, options)
        notes[(pname, ename)] = outcome.notes
        for r in outcome.rows:
            rows.append({"encoder": ename, "dataset": pname, **r, "n_total": r["n"], "coverage": np.nan})
    timing[pname] = round(time.perf_counter() - start, 2)


def _encoder_info(enc: Any) -> dict[str, Any]:

    params = {}
    for k, v in enc.get_params().items() if hasattr(enc, "get_params") else []:
        try:
            json.dumps(v)
            params[k] = v
        except TypeError:
            params[k] = repr(v)
    return {
        "encoder": getattr(enc, "name", type(enc).__name__),
        "params": params,
        "vocab_size": len(enc.vocabulary),
        "tags": dict(getattr(enc, "tags", {})),
    }
