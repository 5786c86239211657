"""A report's files: where :meth:`forge.bench.Report.save` writes them, how, and how they are read back.

``write_report`` writes ``results.csv``, ``results.json`` (frame + protocol),
``items.npz`` (per-item outputs), ``report.md``, ``report.html`` and one
``chart_<kind>.png`` per chart into a folder, all or nothing
(:func:`forge._persist.atomic_dir`). ``read_report`` checks every part of
such a folder and says what is damaged.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forge._folders import check_replaceable, refuse_cwd
from forge._persist import atomic_dir
from forge.bench._result import COLUMNS
from forge.errors import BadInputError

__all__ = ["REPORT_KIND", "check_report_target", "read_report", "write_report"]

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


def write_report(report: Any, path: str | Path) -> Path:
    """Write ``report``'s files into ``path`` atomically (see :meth:`forge.bench.Report.save`)."""
    path = _target_folder(Path(path))
    markdown = report.to_markdown()
    charts = report._charts()
    with atomic_dir(path, kind=REPORT_KIND, legacy=_legacy_report) as tmp:
        report.frame.to_csv(tmp / "results.csv", index=False)
        index: dict[str, list[str]] = {}
        arrays: dict[str, Any] = {}  # Any: numpy's stubs let **arrays reach savez's allow_pickle: bool
        for (enc, ds), fields in sorted(report.items.items()):
            for name, arr in fields.items():
                key = f"i{len(index)}"
                index[key] = [enc, ds, name]
                arrays[key] = np.asarray(arr)
        np.savez_compressed(tmp / "items.npz", **arrays)
        payload = {
            "protocol": report.protocol,
            "items_index": index,
            "results": json.loads(report.frame.to_json(orient="records")),
        }
        (tmp / "results.json").write_text(
            json.dumps(payload, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
        )
        (tmp / "report.md").write_text(markdown, encoding="utf-8")
        for kind, png in charts.items():
            (tmp / f"chart_{kind}.png").write_bytes(png)
        (tmp / "report.html").write_text(report.to_html(charts), encoding="utf-8")
    return path


def read_report(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
    """(frame, protocol, items) of a folder written by :func:`write_report`; a damaged one gives
    :class:`~forge.errors.BadInputError`."""
    path = Path(path)
    if not (path / "results.json").is_file():
        raise BadInputError(
            f"{path} is not a forge bench results directory (no results.json); run `forge bench --out {path}` first."
        )
    try:
        return _read(path)
    except BadInputError:
        raise
    except Exception as exc:  # damaged JSON, arrays or columns: one clear error, whatever broke
        raise BadInputError(
            f"{path} is a damaged forge bench results directory ({type(exc).__name__}: "
            f"{str(exc)[:200]}); re-run the benchmark to write it again."
        ) from None


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
    payload = json.loads((path / "results.json").read_text(encoding="utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadInputError(f"{path / 'results.json'} must hold an object with a 'results' list; re-run the benchmark.")
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
    return frame, protocol, items
