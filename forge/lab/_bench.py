"""The probes as benchmark tasks: what ``forge.bench.run`` calls for names like ``probe-order``.

``forge.bench`` never imports the lab: forge's own ``pyproject.toml`` declares
each probe in the ``forge.tasks`` entry-point group as
``probe-order = "forge.lab._bench:probe_order"``, so the name is known to the
harness without importing anything, and this module is imported only when a
probe is run. Any attribute ``probe_<name>`` of this module is the
:class:`ProbeTask` of probe ``probe-<name>`` (dashes written as underscores),
so the probe list is kept once, by the probes' own registrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forge.lab._probe import ProbeOptions, get_probe, list_probes
from forge.lab._runner import run_probes

__all__ = ["ProbeTask", "is_probe", "probe_names", "probe_rows"]


def probe_names() -> list[str]:
    return list(list_probes())


def is_probe(name: str) -> bool:
    """True for a registered probe name (``probe-onehot`` ... ``probe-speed``)."""
    return name in probe_names()


@dataclass(frozen=True)
class ProbeTask:
    """A lab probe seen as a benchmark task (:class:`forge.bench.Task`)."""

    name: str
    kind: str = "probe"

    @property
    def description(self) -> str:
        """``"claim N: title"`` of the probe (what ``forge bench --list`` shows)."""
        probe = get_probe(self.name)
        return f"claim {probe.claim}: {probe.title}"

    def evaluate(
        self, encoders: dict[str, Any], *, seed: int = 0
    ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]:
        """Rows (harness columns), ``{probe: info}`` for the protocol, ``{"encoder/probe": why skipped}``."""
        return probe_rows(encoders, [self.name], seed)


def probe_rows(
    encoders: dict[str, Any], names: list[str], seed: int = 0
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]:
    """Rows (harness columns) of the probes ``names`` on the forge encoders among ``encoders``.

    Returns (rows, {probe: info} for the protocol, {"encoder/probe": why skipped}).
    """
    usable = {k: e for k, e in encoders.items() if hasattr(e, "embed") and hasattr(e, "vocabulary")}
    skipped = {
        f"{k}/{n}": "not a forge encoder (a KeyedVectors or a (words, matrix) pair): probes need embed()"
        for k in encoders
        if k not in usable
        for n in names
    }
    if not usable:
        return [], {}, skipped
    result = run_probes(usable, names, ProbeOptions(seed=seed))
    info = {
        n: {
            "kind": "probe",
            "claim": get_probe(n).claim,
            "method": get_probe(n).method,
            "notes": {e: result.notes.get((n, e), []) for e in usable},
        }
        for n in names
    }
    return result.frame.to_dict("records"), info, skipped


def __getattr__(attr: str) -> ProbeTask:
    # the entry points' targets: probe_order -> ProbeTask("probe-order"), for every registered probe
    if attr.startswith("probe_"):
        name = attr.replace("_", "-")
        if is_probe(name):
            return ProbeTask(name)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
