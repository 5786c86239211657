"""Registering a probe: into the lab's probe registry, and into the harness as a benchmark task."""

from __future__ import annotations

from forge.bench import list_tasks, register_task
from forge.lab._bench import ProbeTask
from forge.lab._probe import _PROBES, Probe

__all__ = ["register_probe"]


def register_probe(probe: Probe, *, overwrite: bool = False) -> Probe:
    """Register ``probe`` under ``probe.name``; it also becomes a benchmark task of that name.

    forge's own probes reach ``forge.bench`` through the ``forge.tasks`` entry points of forge's
    ``pyproject.toml`` (so the harness knows them without importing the lab); any probe not declared
    there (a user's, or one added to the lab but not yet to the entry points) is registered into the
    harness here, so ``forge.bench.run(encoders, [probe.name])`` runs it too.
    """
    builtin = getattr(probe.measure, "__module__", "").startswith("forge.lab.")
    _PROBES.register(probe.name, probe, overwrite=overwrite, builtin=builtin)
    if not builtin or probe.name not in list_tasks():
        register_task(probe.name, ProbeTask(probe.name), overwrite=overwrite)
    return probe
