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
"""

from __future__ import annotations

import datetime
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forge._folders import check_replaceable, refuse_cwd
from forge._persist import atomic_dir
from forge.bench._paired import COMPARE_COLUMNS
from forge.bench._render import details_html, html_page, image_html, markdown_table
from forge.bench._tasks import _KINDS
from forge.errors import BadInputError, UnknownNameError

__all__ = ["Report", "COLUMNS", "check_report_target"]

COLUMNS = [
    "encoder",
    "dataset",
    "kind",
    "language",
    "metric",
    "section",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "n_total",
    "coverage",
    "main",
]
_FILES = ("results.csv", "results.json", "items.npz", "report.md", "report.html")
REPORT_KIND = "report"


def _legacy_report(folder: Path) -> bool:
    """A report folder of an earlier forge (before markers): only the files save() writes."""
    names = [p.name for p in folder.iterdir() if p.name != f".forge-{REPORT_KIND}"]  # (a damaged marker)
    return (
        "results.json" in names
        and all((folder / n).is_file() for n in names)
        and all(n in _FILES or (n.startswith("chart_") and n.endswith(".png")) for n in names)
    )


def _is_report(folder: Path) -> bool:
    return folder.is_dir() and ((folder / f".forge-{REPORT_KIND}").is_file() or _legacy_report(folder))


def check_report_target(path: str | Path) -> Path:
    """The folder :meth:`Report.save` will write for ``path``; raises now if it would be refused."""
    target = _target_folder(Path(path))
    refuse_cwd(target)
    check_replaceable(target, REPORT_KIND, _legacy_report)
    return target


def _target_folder(path: Path) -> Path:
    """``path``, or a new ``bench-<time>`` sub-folder when ``path`` is a folder of earlier runs."""
    if not path.is_dir() or _is_report(path) or not any(path.iterdir()):
        return path
    if not any(_is_report(p) for p in path.iterdir() if not p.name.startswith(".")):
        return path  # someone else's folder: atomic_dir refuses it with the names of the files

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    target, k = path / f"bench-{stamp}", 1
    while target.exists():
        k += 1
        target = path / f"bench-{stamp}-{k}"
    return target


MIN_ITEMS = 10  # a main score over fewer items is shown with WARN and its n, never as a plain number
LOW_COVERAGE = 0.5  # coverage below this is flagged with WARN in the tables
WARN = "\u26a0"
_LEGEND = (
    f"{WARN} before a score: fewer than {MIN_ITEMS} items were scored (n given), too few to trust; "
    f"{WARN} after a coverage: the encoder covers less than {LOW_COVERAGE:.0%} of the dataset."
)


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
                    f"give the runs distinct encoder names."
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
        path = _target_folder(Path(path))
        markdown = self.to_markdown()
        charts = self._charts()
        with atomic_dir(path, kind=REPORT_KIND, legacy=_legacy_report) as tmp:
            self.frame.to_csv(tmp / "results.csv", index=False)
            index: dict[str, list[str]] = {}
            arrays: dict[str, Any] = {}  # Any: numpy's stubs let **arrays reach savez's allow_pickle: bool
            for (enc, ds), fields in sorted(self.items.items()):
                for name, arr in fields.items():
                    key = f"i{len(index)}"
                    index[key] = [enc, ds, name]
                    arrays[key] = np.asarray(arr)
            np.savez_compressed(tmp / "items.npz", **arrays)
            payload = {
                "protocol": self.protocol,
                "items_index": index,
                "results": json.loads(self.frame.to_json(orient="records")),
            }
            (tmp / "results.json").write_text(
                json.dumps(payload, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
            )
            (tmp / "report.md").write_text(markdown, encoding="utf-8")
            for kind, png in charts.items():
                (tmp / f"chart_{kind}.png").write_bytes(png)
            (tmp / "report.html").write_text(self.to_html(charts), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Report:
        """Read a directory written by :meth:`save`; a damaged one gives :class:`~forge.errors.BadInputError`."""
        path = Path(path)
        if not (path / "results.json").is_file():
            raise BadInputError(
                f"{path} is not a forge bench results directory (no results.json); "
                f"run `forge bench --out {path}` first."
            )
        try:
            return cls._load(path)
        except BadInputError:
            raise
        except Exception as exc:  # damaged JSON, arrays or columns: one clear error, whatever broke
            raise BadInputError(
                f"{path} is a damaged forge bench results directory ({type(exc).__name__}: "
                f"{str(exc)[:200]}); re-run the benchmark to write it again."
            ) from None

    @classmethod
    def _load(cls, path: Path) -> Report:
        payload = json.loads((path / "results.json").read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise BadInputError(
                f"{path / 'results.json'} must hold an object with a 'results' list; re-run the benchmark."
            )
        rows = payload["results"]
        if not all(isinstance(r, dict) for r in rows):
            raise BadInputError(f"{path / 'results.json'}: every entry of 'results' must be an object (one row).")
        frame = pd.DataFrame(rows, columns=COLUMNS)
        for col in ("value", "ci_low", "ci_high", "n", "n_total", "coverage"):
            frame[col] = pd.to_numeric(frame[col], errors="raise").astype(float)
        for col in ("encoder", "dataset", "kind", "language", "metric", "section"):
            if not frame[col].map(lambda v: v is None or isinstance(v, str)).all():
                raise BadInputError(f"{path / 'results.json'}: column {col!r} must hold strings.")
        frame["section"] = frame["section"].fillna("")
        frame["main"] = frame["main"].fillna(False).astype(bool)
        protocol = payload.get("protocol", {})
        if not isinstance(protocol, dict):
            raise BadInputError(f"{path / 'results.json'}: 'protocol' must be an object.")
        index = payload.get("items_index", {})
        if not isinstance(index, dict) or not all(
            isinstance(v, list) and len(v) == 3 and all(isinstance(x, str) for x in v) for v in index.values()
        ):
            raise BadInputError(f"{path / 'results.json'}: 'items_index' must map keys to [encoder, dataset, field].")
        items: dict = {}
        npz = path / "items.npz"
        if npz.exists():  # our own handle: np.load leaks its own when the zip is damaged
            with open(npz, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                for key, (enc, ds, name) in index.items():
                    items.setdefault((enc, ds), {})[name] = data[key]
        return cls(frame, protocol, items)

    # -------------------------------------------------------------- render
    def _main_table(self) -> pd.DataFrame:
        rows = self.main_scores()
        table: dict[str, dict[str, str]] = {}
        for _, r in rows.iterrows():
            cell = _fmt(r["value"])
            if np.isfinite(r["ci_low"]):
                cell += f" [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            if pd.notna(r["n"]) and r["n"] < MIN_ITEMS and np.isfinite(r["value"]):
                cell = f"{WARN} {cell} (n={int(r['n'])})"  # too few items to stand behind the number
            table.setdefault(r["dataset"], {})[r["encoder"]] = cell
        meta = rows.drop_duplicates("dataset").set_index("dataset")
        out = pd.DataFrame(table).T.reindex(columns=self.encoders)
        out.insert(0, "metric", meta["metric"])
        out.insert(0, "kind", meta["kind"])
        cov = rows.pivot_table(index="dataset", columns="encoder", values="coverage", aggfunc="first")
        out["coverage"] = [
            ", ".join(
                f"{cov.loc[d, e]:.0%}" + (f" {WARN}" if cov.loc[d, e] < LOW_COVERAGE else "")
                for e in self.encoders
                if d in cov.index and e in cov.columns and np.isfinite(cov.loc[d, e])
            )
            for d in out.index
        ]
        return out

    def to_markdown(self) -> str:
        """A Markdown page: main scores with 95% CIs, coverage, protocol, skipped datasets."""
        t = self._main_table()
        lines = [
            "# forge benchmark report",
            "",
            "Main score per dataset with its 95% confidence interval; coverage per encoder in column order.",
            "",
            _LEGEND,
            "",
        ]
        head = ["dataset"] + list(t.columns)
        rows = [[ds] + ["" if pd.isna(v) else str(v) for v in row] for ds, row in t.iterrows()]
        lines += markdown_table(head, rows).splitlines()
        gone = self.uncovered()
        if gone:
            lines += ["", "Covered by no encoder (no score; not drawn): " + ", ".join(gone) + "."]
        lines += self._comparisons_markdown()
        lines += ["", "## Protocol", ""]
        for key, value in self.protocol.items():
            if key in ("encoders", "datasets", "merged_from"):
                continue
            lines.append(f"- {key}: {json.dumps(value, ensure_ascii=False, default=str)}")
        lines += ["", "## Encoders", ""]
        for name, info in self.protocol.get("encoders", {}).items():
            lines.append(f"- **{name}**: {json.dumps(info, ensure_ascii=False, default=str)}")
        lines += ["", "## Datasets", ""]
        for name, info in self.protocol.get("datasets", {}).items():
            lines.append(
                f"- **{name}** ({info.get('origin')}, sha256 {str(info.get('sha256'))[:12]}...): "
                f"{info.get('n_items')} items. {info.get('citation', '')}"
            )
        return "\n".join(lines) + "\n"

    def uncovered(self) -> list[str]:
        """Datasets on which no encoder has a finite main score (none covers enough of it): listed apart
        in the page instead of drawn as empty slots."""
        main = self.main_scores()
        finite = main.groupby("dataset", sort=False)["value"].apply(lambda v: bool(np.isfinite(v.astype(float)).any()))
        return [d for d, ok in finite.items() if not ok]

    def _chart_groups(self) -> dict[str, pd.DataFrame]:
        """Main rows per chart: one chart per (kind, metric), so that every y-axis shows one metric."""
        main = self.main_scores()
        main = main[~main["dataset"].isin(self.uncovered())]
        groups = {}
        for kind in dict.fromkeys(main["kind"]):
            sub = main[main["kind"] == kind]
            metrics = list(dict.fromkeys(sub["metric"]))
            for metric in metrics:
                groups[kind if len(metrics) == 1 else f"{kind}_{metric}"] = sub[sub["metric"] == metric]
        return groups

    def _charts(self) -> dict[str, bytes]:
        # lazy: matplotlib loads only when a chart is drawn; no pyplot: no global backend state
        from matplotlib.figure import Figure

        charts = {}
        for key, sub in self._chart_groups().items():
            kind, metric = sub["kind"].iloc[0], sub["metric"].iloc[0]
            datasets, encoders = list(dict.fromkeys(sub["dataset"])), list(dict.fromkeys(sub["encoder"]))
            # at most 13 in (1170 px at 90 dpi); the page scales it down further (max-width: 100%)
            fig = Figure(figsize=(min(13.0, max(5.0, 0.9 * len(datasets) * max(1, len(encoders)) ** 0.5 + 2)), 3.6))
            ax = fig.add_subplot()
            width = 0.8 / max(1, len(encoders))
            for j, enc in enumerate(encoders):
                part = sub[sub["encoder"] == enc].set_index("dataset").reindex(datasets)
                vals = part["value"].to_numpy(float)
                err = np.vstack([vals - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - vals])
                err = np.where(np.isfinite(err), np.abs(err), 0.0)
                xs = np.arange(len(datasets)) + j * width - 0.4 + width / 2
                ax.bar(xs, np.nan_to_num(vals), width, yerr=err, capsize=2, label=enc)
                for x, v in zip(xs, vals):
                    if not np.isfinite(v):  # this encoder has no score here (see the table's notes)
                        ax.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=6, rotation=90, color="grey")
            ax.set_xticks(np.arange(len(datasets)), datasets, rotation=30, ha="right", fontsize=8)
            ax.set_ylabel(metric)
            ax.set_title(f"{kind}: {metric} (95% CI)")
            ax.axhline(0, color="black", linewidth=0.5)
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never over a bar
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
            charts[key] = buf.getvalue()
        return charts

    def _comparisons_markdown(self) -> list[str]:
        lines = []
        gone = set(self.uncovered())
        for title, records in self.protocol.get("comparisons", {}).items():
            records = [r for r in records if r["dataset"] not in gone]
            rows = [
                [
                    r["dataset"],
                    r["metric"],
                    _fmt(_num(r["a"])),
                    _fmt(_num(r["b"])),
                    _fmt(_num(r["diff"])),
                    f"[{_fmt(_num(r['ci_low']))}, {_fmt(_num(r['ci_high']))}]",
                    r["test"],
                    f"{_num(r['p_value']):.3g}",
                    str(r["n"]),
                    r.get("note") or "",
                ]
                for r in records
            ]
            lines += ["", f"## Paired tests: {title}", ""]
            lines += markdown_table(
                ["dataset", "metric", "a", "b", "diff", "95% CI", "test", "p", "n", "note"], rows
            ).splitlines()
        return lines

    def to_html(self, charts: dict[str, bytes] | None = None) -> str:
        """A standalone HTML page: the table, the charts (embedded PNG) and the protocol."""
        charts = self._charts() if charts is None else charts
        gone = self.uncovered()
        table = self._main_table()
        parts = [
            "<h1>forge benchmark report</h1>",
            "<p>Main score per dataset with its 95% confidence interval.</p>",
            f"<p>{html.escape(_LEGEND)}</p>",
            table.drop(index=[d for d in gone if d in table.index]).to_html(escape=True, na_rep=""),
        ]
        if gone:
            parts.append(
                "<p><b>Covered by no encoder</b> (no score, not drawn): " + html.escape(", ".join(gone)) + ".</p>"
            )
        for key, png in charts.items():
            parts.append(f"<h2>{html.escape(key.replace('_', ': ', 1))}</h2>" + image_html(png, f"{key} chart"))
        for title, records in self.protocol.get("comparisons", {}).items():
            frame = pd.DataFrame(records)
            frame = frame[~frame["dataset"].isin(gone)] if len(frame) else frame
            parts.append(
                f"<h2>Paired tests: {html.escape(title)}</h2>"
                + frame.to_html(escape=True, na_rep="", index=False, float_format=lambda v: f"{v:.4g}")
                + ("<p>Datasets covered by no encoder are left out.</p>" if gone else "")
            )
        protocol = {k: v for k, v in self.protocol.items() if k != "comparisons"}
        parts.append(
            "<h2>Protocol</h2>"
            + details_html(
                "How the numbers were made: datasets (sha256), OOV policy, encoders and their parameters (JSON)",
                "<pre>" + html.escape(json.dumps(protocol, indent=1, ensure_ascii=False, default=str)) + "</pre>",
            )
        )
        return html_page(
            "forge benchmark report",
            "\n".join(parts),
            max_width=1200,
            css="details pre{max-height:40em;overflow:auto;background:#f6f6f6;padding:1em;font-size:12px}",
        )


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _fmt(x: float) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"
