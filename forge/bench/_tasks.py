"""What a benchmark task that is not a dataset file must answer (the lab's probes are such tasks).

``forge.bench.run`` loads and scores dataset records itself; any other
registered task (a :class:`Task`) evaluates the encoders on its own and
returns rows in the harness's columns. A higher layer (``forge.lab``) or a
plugin adds tasks by registering them, through the ``forge.tasks``
entry-point group, so ``forge.bench`` never imports them.

.. code-block:: toml

    [project.entry-points."forge.tasks"]
    probe-order = "forge.lab._bench:probe_order"
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Task", "TaskOutput"]

# (rows in the harness's columns, {task name: protocol record}, {"encoder/task": why skipped or failed})
TaskOutput = tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]


@runtime_checkable
class Task(Protocol):
    """A registered task that evaluates encoders itself (see the module docstring)."""

    name: str
    kind: str

    def evaluate(self, encoders: dict[str, Any], *, seed: int = 0) -> TaskOutput:
        """Score every encoder of ``{name: encoder}``; rows carry ``encoder``, ``dataset`` (= the task name),
        ``kind``, ``metric``, ``value`` ... as :data:`forge.bench._report.COLUMNS`."""
