"""Benchmark results: a tidy DataFrame, a protocol record, paired comparisons, files.

``Report.frame`` has one row per (encoder, dataset, metric[, section]):

=========== ==========================================================
encoder     the name given to :func:`forge.bench.run`
dataset     dataset name; ``kind`` and ``language`` follow
metric      ``spearman``/``pearson``, ``accuracy_3cosadd``... (see tasks)
section     analogy section for per-section rows, else ``""``
value       the score; ``ci_low``/``ci_high`` its 95% interval
n           items scored; ``n_total`` items in the dataset
coverage    share of the dataset's items the encoder covers
main        True for the dataset's headline metric
=========== ==========================================================

``Report.protocol`` records how the numbers were made: dataset sha256 and
origin, OOV policy, case folding, vocabulary limit, analogy methods, CI
method, seed, forge version, and each encoder's class and parameters.
``save(dir)`` writes ``results.csv``, ``results.json`` (frame + protocol),
``items.npz`` (per-item outputs, for :meth:`Report.compare` after
loading), ``report.md`` and ``report.html`` (tables and one bar chart with
error bars per task kind, also saved as PNG), all or nothing.

This module holds the :class:`Report` (the frame, its views, comparisons,
renaming and merging); its jobs live in their own modules: files
(:mod:`forge.bench._report_files`), the score table with its marks and notes
(:mod:`forge.bench._report_tables`), the pages (:mod:`forge.bench._report_pages`)
and the charts (:mod:`forge.bench._report_charts`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forge.bench import _report_charts, _report_pages, _report_tables
from forge.bench._paired import COMPARE_COLUMNS
from forge.bench._report_files import check_report_target, read_report, write_report
from forge.bench._result import COLUMNS
from forge.bench._tasks import _KINDS
from forge.errors import BadInputError, UnknownNameError

__all__ = ["COLUMNS", "Report", "check_report_target"]


def _paired_test(kind: str) -> Any:
    """The paired test of task kind ``kind``, or None when no such kind is registered."""
    if kind not in _KINDS:
        return None
    return _KINDS.get(kind).paired_test


class Report:
    """Results of :func:`forge.bench.run` (see the module docstring)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        protocol: dict[str, Any],
        items: dict[tuple[str, str], dict[str, np.ndarray]] | None = None,
    ):
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise BadInputError(f"A report frame needs the columns {COLUMNS}; missing {missing}.")
        self.frame = frame.reset_index(drop=True)
        self.protocol = protocol
        self.items = items or {}

    # --------------------------------------------------------------- views
    @property
    def encoders(self) -> list[str]:
        return list(dict.fromkeys(self.frame["encoder"]))

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(self.frame["dataset"]))

    def main_scores(self) -> pd.DataFrame:
        """The headline row of every (encoder, dataset)."""
        return self.frame[self.frame["main"].astype(bool)]

    def to_wide(self, metric: str | None = None) -> pd.DataFrame:
        """Encoders x datasets table of the main scores (or of ``metric``, section totals only)."""
        rows = (
            self.main_scores()
            if metric is None
            else self.frame[(self.frame["metric"] == metric) & (self.frame["section"] == "")]
        )
        wide = rows.pivot_table(
            index="encoder", columns="dataset", values="value", aggfunc="first", sort=False, dropna=False
        )
        wide.columns.name = None
        return wide.reindex(
            index=[e for e in self.encoders if e in wide.index], columns=[d for d in self.datasets if d in wide.columns]
        )

    def __repr__(self) -> str:
        return (
            f"Report({len(self.encoders)} encoders x {len(self.datasets)} datasets, "
            f"{len(self.frame)} rows)\n{self.to_wide().round(3).to_string()}"
        )

    # ---------------------------------------------------------- comparison
    def compare(self, a: str, b: str, n_boot: int = 1000, seed: int | None = None) -> pd.DataFrame:
        """Paired significance of encoder ``a`` vs ``b`` on every dataset both were scored on.

        Each dataset's task kind names the test (:meth:`DatasetTask.paired_test`,
        :mod:`forge.bench._paired`). Correlations: paired bootstrap of the
        Spearman difference (95% CI) and Williams' test p-value, on the items
        both cover. Accuracies: McNemar's exact test on the questions both cover
        (``diff`` = accuracy difference).
        """
        for name in (a, b):
            if name not in self.encoders:
                raise UnknownNameError("encoder in this report", name, self.encoders)
        seed = self.protocol.get("seed", 0) if seed is None else seed
        out = []
        for ds in self.datasets:
            ia, ib = self.items.get((a, ds)), self.items.get((b, ds))
            if ia is None or ib is None:
                continue
            kind = self.frame.loc[self.frame["dataset"] == ds, "kind"].iloc[0]
            test = _paired_test(kind)  # the task kind names its test
            if test is None:
                out.append(
                    {
                        "dataset": ds,
                        "kind": kind,
                        "metric": "",
                        "a": float("nan"),
                        "b": float("nan"),
                        "diff": float("nan"),
                        "ci_low": float("nan"),
                        "ci_high": float("nan"),
                        "test": "",
                        "p_value": float("nan"),
                        "p_bootstrap": float("nan"),
                        "n": 0,
                        "note": f"no paired test: the task kind {kind!r} is not registered in this process "
                        f"(register it with forge.bench.register_task_kind before comparing)",
                    }
                )
                continue
            row = test(ia, ib, n_boot=n_boot, seed=seed)
            if row is None:
                continue
            out.append({"dataset": ds, "kind": kind, **row})
            last = out[-1]
            last["note"] = ""
            if last["n"] == 0:
                last["note"] = f"no item covered by both {a} and {b}: nothing to test (p is NaN, not 1.0)"
            elif not np.isfinite(last["p_value"]):
                undefined = [name for name, v in ((a, last["a"]), (b, last["b"])) if not np.isfinite(v)]
                last["note"] = (
                    f"{' and '.join(undefined)}: score undefined on these items (constant predictions, "
                    f"e.g. one-hot cosines are all 0): no test"
                    if undefined
                    else "too few paired items for the test"
                )
        return pd.DataFrame(out, columns=COMPARE_COLUMNS)

    def add_comparison(self, a: str, b: str, **kwargs: Any) -> pd.DataFrame:
        """Run :meth:`compare` and keep its table in the report (``protocol["comparisons"]``), so that
        :meth:`save` writes it into ``results.json``, ``report.md`` and ``report.html``."""
        table = self.compare(a, b, **kwargs)
        self.protocol.setdefault("comparisons", {})[f"{a} vs {b}"] = json.loads(
            table.to_json(orient="records", double_precision=15)
        )  # p-values such as 2e-13 must not round to 0
        return table

    # --------------------------------------------------------------- merge
    def rename(self, mapping: dict[str, str]) -> Report:
        """A copy with encoders renamed (``{old: new}``): rows, per-item outputs and protocol entries.

        Used to merge runs that gave two models the same name (``forge report --label OLD=NEW``).

        Examples
        --------
        >>> import numpy as np
        >>> from forge.bench import run
        >>> rep = run({"sg": (["king", "queen"], np.eye(2))}, ["wordsim353"], progress=False)
        >>> rep.rename({"sg": "sg-text8"}).encoders
        ['sg-text8']
        """
        unknown = [old for old in mapping if old not in self.encoders]
        if unknown:
            raise UnknownNameError("encoder in this report", unknown[0], self.encoders)
        names = [mapping.get(e, e) for e in self.encoders]
        clash = sorted({n for n in names if names.count(n) > 1} | {n for n in mapping.values() if not n})
        if clash:
            raise BadInputError(
                f"Renaming {mapping} would give the encoder name {clash[0]!r} to "
                f"{'no encoder (empty)' if not clash[0] else 'two encoders'}; choose distinct non-empty names."
            )

        def key(k: str) -> str:  # protocol["errors"] keys: "encoder" or "encoder/dataset"
            enc, sep, rest = k.partition("/")
            return mapping.get(enc, enc) + sep + rest

        protocol = dict(self.protocol)
        protocol["encoders"] = {mapping.get(k, k): v for k, v in self.protocol.get("encoders", {}).items()}
        protocol["errors"] = {key(k): v for k, v in self.protocol.get("errors", {}).items()}
        if "comparisons" in protocol:
            protocol["comparisons"] = {
                " vs ".join(mapping.get(n, n) for n in title.split(" vs ")): records
                for title, records in protocol["comparisons"].items()
            }
        frame = self.frame.assign(encoder=self.frame["encoder"].map(lambda e: mapping.get(e, e)))
        items = {(mapping.get(enc, enc), ds): v for (enc, ds), v in self.items.items()}
        return type(self)(frame, protocol, items)

    @classmethod
    def merge(cls, *reports: Report) -> Report:
        """One report from several (e.g. one per tox environment); encoder names must not clash."""
        if len(reports) == 1 and isinstance(reports[0], (list, tuple)):
            reports = tuple(reports[0])
        if not reports:
            raise BadInputError("Report.merge needs at least one report.")
        seen: set[tuple[str, str]] = set()
        items: dict = {}
        protocol: dict[str, Any] = {"merged_from": [], "encoders": {}, "datasets": {}, "skipped": {}, "errors": {}}
        for rep in reports:
            pairs = set(zip(rep.frame["encoder"], rep.frame["dataset"]))
            clash = seen & pairs
            if clash:
                enc, ds = sorted(clash)[0]
                raise BadInputError(
                    f"Cannot merge: encoder {enc!r} on dataset {ds!r} appears in two reports; "
                    f"give the runs distinct encoder names (Report.rename, or forge report --label "
                    f"{enc}={enc}-{{dir}}: each result directory's name is appended)."
                )
            seen |= pairs
            items.update(rep.items)
            settings = {
                k: v
                for k, v in rep.protocol.items()
                if k not in ("encoders", "datasets", "skipped", "errors", "merged_from")
            }
            protocol["merged_from"].append(settings)
            for key in ("encoders", "datasets", "skipped", "errors"):
                protocol[key].update(rep.protocol.get(key, {}))
        for key in ("forge_version", "seed", "oov", "case_insensitive", "restrict_vocab", "ci"):
            values = {json.dumps(s.get(key)) for s in protocol["merged_from"]}
            if len(values) == 1:
                protocol[key] = protocol["merged_from"][0].get(key)
        frame = pd.concat([r.frame for r in reports], ignore_index=True)
        return cls(frame, protocol, items)

    # ------------------------------------------------------------ save/load
    def save(self, path: str | Path) -> Path:
        """Write the report files into directory ``path`` atomically (all files or none); returns the folder.

        ``path`` may be new, empty, or an earlier report (replaced). A folder that holds earlier
        runs in sub-folders (``results/bench-*``) keeps them: the report goes into a new sub-folder
        ``bench-YYYYmmdd-HHMMSS`` of it, whose path is returned. Any other non-empty folder is
        refused (:class:`~forge.errors.BadInputError`), never emptied.
        """
        return write_report(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Report:
        """Read a directory written by :meth:`save`; a damaged one gives :class:`~forge.errors.BadInputError`."""
        return cls(*read_report(path))

    # -------------------------------------------------------------- render
    def score_notes(self) -> dict[tuple[str, str], str]:
        """Why each NaN main score is NaN: ``{(encoder, dataset): note}``, in table order (dataset, encoder).

        The note is the one the task left in ``protocol["errors"]`` (e.g. constant predictions: every
        one-hot cosine is 0), with the encoder's coverage of the dataset.
        """
        return _report_tables.score_notes(self)

    def score_table(self, ci: bool = True) -> pd.DataFrame:
        """Datasets x encoders table of the main scores as text, as every page and the console show them.

        A score over fewer than ``MIN_ITEMS`` (10) items carries a warning mark and its n; a NaN score
        reads ``n/a [k]``, ``k`` being its number in :meth:`score_notes`; ``ci`` adds the 95% intervals.
        The last column gives each encoder's coverage (a mark below ``LOW_COVERAGE``, 50%).
        """
        return _report_tables.score_table(self, ci)

    def _note_lines(self) -> list[str]:
        return _report_tables.note_lines(self)

    def uncovered(self) -> list[str]:
        """Datasets no encoder covers at all (coverage 0 for every encoder, hence no score): listed apart
        in the page instead of drawn as empty slots. A dataset an encoder covers but scores as NaN (e.g.
        constant one-hot cosines) is not one of them: its row stays, with the NaN's note."""
        return _report_tables.uncovered(self)

    def to_markdown(self) -> str:
        """A Markdown page: main scores with 95% CIs, coverage, notes, protocol, skipped datasets."""
        return _report_pages.to_markdown(self)

    def to_html(self, charts: dict[str, bytes] | None = None) -> str:
        """A standalone HTML page: the table, the charts (embedded PNG) and the protocol."""
        return _report_pages.to_html(self, self._charts() if charts is None else charts)

    def _chart_groups(self) -> dict[str, pd.DataFrame]:
        return _report_charts.chart_groups(self)

    def _charts(self) -> dict[str, bytes]:
        return _report_charts.charts(self)
