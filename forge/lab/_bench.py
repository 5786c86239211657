"""The probes as benchmark tasks: the glue ``forge.bench.run`` calls for names like ``probe-order``."""

from __future__ import annotations

from typing import Any

__all__ = ["is_probe", "probe_names", "probe_rows"]


def probe_names() -> list[str]:
    from forge.lab._base import list_probes
    return list(list_probes())


def is_probe(name: str) -> bool:
    """True for a registered probe name (``probe-onehot`` ... ``probe-speed``)."""
    return name.startswith("probe-") and name in probe_names()


def probe_rows(encoders: dict[str, Any], names: list[str], seed: int = 0) -> tuple[list[dict[str, Any]],
                                                                                    dict[str, Any], dict[str, str]]:
    """Rows (harness columns) of the probes ``names`` on the forge encoders among ``encoders``.

    Returns (rows, {probe: info} for the protocol, {"encoder/probe": why skipped}).
    """
    from forge.lab._base import ProbeOptions, get_probe
    from forge.lab._run import run_probes
    usable = {k: e for k, e in encoders.items() if hasattr(e, "embed") and hasattr(e, "vocabulary")}
    skipped = {f"{k}/{n}": "not a forge encoder (a KeyedVectors or a (words, matrix) pair): probes need embed()"
               for k in encoders if k not in usable for n in names}
    if not usable:
        return [], {}, skipped
    result = run_probes(usable, names, ProbeOptions(seed=seed))
    info = {n: {"kind": "probe", "claim": get_probe(n).claim, "method": get_probe(n).method,
                "notes": {e: result.notes.get((n, e), []) for e in usable}} for n in names}
    return result.frame.to_dict("records"), info, skipped
