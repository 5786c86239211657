"""``LabResult``: the probes' rows, their notes and protocol, and what is made from them (report, verdicts)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forge.bench import COLUMNS, Report
from forge.errors import BadInputError
from forge.lab._plotting import render_figure
from forge.lab._probe import get_probe
from forge.lab._report import write_report
from forge.lab._verdict import judge_probes, verdict_frame

__all__ = ["LabResult"]


@dataclass
class LabResult:
    """Probe rows in the harness's tidy format, notes per (probe, encoder), and how they were made."""

    frame: pd.DataFrame
    notes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    benchmarks: pd.DataFrame | None = None  # harness rows of the Chinese datasets (run_lab), if any

    def to_report(self):
        """The rows as a :class:`forge.bench.Report` (``to_wide()``, ``save()``, merging with benchmarks)."""

        return Report(self.frame, self.protocol)

    def to_wide(self) -> pd.DataFrame:
        return self.to_report().to_wide()

    @classmethod
    def load(cls, path: str | Path) -> LabResult:
        """A result saved with :meth:`save` (to re-render the report, or compare runs)."""

        file = Path(path) / "results.json"
        try:
            payload = json.loads(file.read_text(encoding="utf-8"))
            frame = pd.DataFrame(payload["results"], columns=COLUMNS)
            notes = {(n["probe"], n["encoder"]): n["notes"] for n in payload.get("notes", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadInputError(
                f"{file} is not a forge lab result ({type(exc).__name__}: {exc}); expected the "
                f"results.json written by LabResult.save / forge lab."
            ) from None
        bench = payload.get("benchmarks")
        return cls(frame, notes, payload.get("protocol", {}), pd.DataFrame(bench) if bench else None)

    def figure(self, probe: str) -> bytes | None:
        """The probe's figure as PNG bytes (None when it has no rows), e.g. for ``IPython.display.Image``."""

        return render_figure(self.frame, get_probe(probe).name)

    def verdicts(self) -> pd.DataFrame:
        """Each claim's verdict from its own numbers: claim, probe, verdict, rule, evidence.

        The rule lives with the probe (``Probe.rule``, ``Probe.judge``); see :mod:`forge.lab._verdict`.
        """

        return verdict_frame(judge_probes(self.frame, self.protocol.get("encoders", {})))

    def save(self, path: str | Path) -> Path:
        """Write the lab report (report.md, report.html, figures, results.csv/json) into ``path``, atomically."""

        return write_report(self, path)
