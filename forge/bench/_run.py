"""``forge.bench.run``: every encoder on every dataset, into one :class:`Report`."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from forge import __version__
from forge._paths import cache_dir, data_dir
from forge.bench._analogy import METHODS
from forge.bench._datasets import DEFAULT_DATASETS, Dataset, DatasetRecord, available_datasets, expand_names, get_task
from forge.bench._report import COLUMNS, Report
from forge.bench._script import check_scripts, chinese_script
from forge.bench._similarity import OOV_CHOICES
from forge.bench._tasks import DatasetTask, RunOptions, get_task_kind
from forge.bench._vectors import VectorView, _check_restrict
from forge.errors import BadInputError, MissingDataError, NotFittedError

__all__ = ["encoder_record", "run"]


def run(
    encoders: dict[str, Any] | list[Any],
    datasets: str | list[str] | None = None,
    *,
    oov: str = "drop",
    case_insensitive: bool = True,
    restrict_vocab: int | None = 300000,
    analogy_methods: tuple[str, ...] = METHODS,
    common: bool = False,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
    download: bool = False,
    device: str = "auto",
    progress: bool = True,
    transform: Callable[[str], str] | None = None,
) -> Report:
    """Evaluate encoders on benchmark datasets with the standard protocols.

    Parameters
    ----------
    encoders : dict name -> encoder, or list of encoders
        Any forge encoder (fitted), a gensim ``KeyedVectors`` or a
        ``(words, matrix)`` pair.
    datasets : "all", list of names (or groups), or None
        None: the offline default (wordsim353, simlex999, google-analogy).
        ``"all"``: every dataset available without a download; the others are
        skipped and listed in ``report.protocol["skipped"]``. Named datasets
        that are not available raise :class:`forge.errors.MissingDataError`
        (unless ``download=True``).
    oov : {"drop", "zero", "mean"}
        OOV policy for similarity (see :mod:`forge.bench._similarity`).
    case_insensitive, restrict_vocab
        Case folding and vocabulary limit, as in gensim (both recorded).
    analogy_methods : tuple of "3cosadd", "3cosmul"
        The first is the main score.
    common : bool
        Score every encoder on the similarity pairs / analogy questions all
        of them cover.
    ci : {"fisher", "bootstrap"}
        Interval for correlations (accuracies always use Wilson).

    Examples
    --------
    >>> import numpy as np
    >>> from forge.bench import run
    >>> rng = np.random.default_rng(0)
    >>> words = ["love", "sex", "tiger", "cat", "king", "queen", "man", "woman"]
    >>> rep = run({"random": (words, rng.normal(size=(8, 5)))}, ["wordsim353"], progress=False)
    >>> rep.frame.loc[rep.frame["main"], ["encoder", "dataset", "metric"]].values.tolist()
    [['random', 'wordsim353', 'spearman']]
    """
    named = _name_encoders(encoders)
    if oov not in OOV_CHOICES:
        raise BadInputError(f"oov={oov!r} is not valid; choose one of {OOV_CHOICES}.")
    _check_restrict(restrict_vocab)  # before loading anything
    if ci not in ("fisher", "bootstrap"):
        raise BadInputError(f"ci={ci!r} is not valid; choose 'fisher' or 'bootstrap'.")
    analogy_methods = tuple(analogy_methods)
    for m in analogy_methods:
        if m not in METHODS:
            raise BadInputError(f"Unknown analogy method {m!r}; choose from {METHODS}.")
    skipped: dict[str, str] = {}
    if datasets is None:
        names = list(DEFAULT_DATASETS)
    elif datasets == "all" and not download:
        names, skipped = available_datasets("all")
    else:
        names = expand_names(datasets)
    # dataset records are scored by the task class of their kind; other tasks (the lab's probes, plugins')
    # evaluate themselves
    everything = [_as_task(get_task(n)) for n in names]
    tasks = [t for t in everything if not isinstance(t, DatasetTask)]
    # load (and verify) every dataset before computing anything
    loaded: list[tuple[DatasetTask, Dataset]] = []
    for task in everything:
        if not isinstance(task, DatasetTask):
            continue
        try:
            loaded.append((task, _load(task, download, transform)))
        except MissingDataError as exc:
            if datasets == "all":
                skipped[task.name] = str(exc)
            else:
                raise
    if not loaded and not tasks:
        raise MissingDataError("No dataset could be loaded: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))

    views = {name: VectorView(enc, case_insensitive, restrict_vocab) for name, enc in named.items()}
    protocol: dict[str, Any] = {
        "forge_version": _version(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "oov": oov,
        "case_insensitive": case_insensitive,
        "restrict_vocab": restrict_vocab,
        "analogy_methods": list(analogy_methods),
        "ci": ci,
        "n_boot": n_boot,
        "common": common,
        "polysemy": "static encoders: context-free cosine of the two targets; WiC threshold tuned on train",
        "encoders": {name: _encoder_info(enc, views[name]) for name, enc in named.items()},
        "datasets": {ds.name: _dataset_info(ds) for _, ds in loaded},
        "skipped": skipped,
        "errors": {},
    }
    rows: list[dict[str, Any]] = []
    items: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    bar = _progress(sum(len(ds) for _, ds in loaded) * len(named), progress)
    scripts: dict[str, str | None] = {}  # Chinese script of each encoder's vocabulary, when asked
    options = RunOptions(oov=oov, analogy_methods=analogy_methods, ci=ci, n_boot=n_boot, seed=seed, device=device)
    try:
        for task, ds in loaded:
            subset = task.common_subset(ds.data, views) if common else None
            for enc_name, view in views.items():
                res = task.evaluate(view, ds.data, options, subset=subset, progress=bar)
                notes = _result_notes(res)
                if ds.record.language == "zh" and transform is None:  # Simplified model, Traditional set?
                    if enc_name not in scripts:
                        scripts[enc_name] = chinese_script(view.words[:20000])
                    note = check_scripts(enc_name, scripts[enc_name], ds.name, ds.data, res.coverage)
                    if note:
                        notes.append(note)
                if notes:
                    protocol["errors"][f"{enc_name}/{ds.name}"] = "; ".join(notes)
                for r in res.rows:
                    rows.append(
                        {
                            "encoder": enc_name,
                            "dataset": ds.name,
                            "kind": ds.kind,
                            "language": ds.record.language,
                            **r,
                            "n_total": res.n_total,
                            "coverage": res.coverage,
                        }
                    )
                items[(enc_name, ds.name)] = res.items
    finally:
        bar.close()
    for enc_name, view in views.items():  # words left out for NaN/inf vectors (VectorView.screen)
        if view.nonfinite:
            protocol["encoders"][enc_name]["nonfinite_words"] = list(view.nonfinite)
            protocol["errors"][enc_name] = (
                f"{len(view.nonfinite)} word(s) have NaN or infinite vectors and were left out as out of "
                f"vocabulary: {', '.join(view.nonfinite[:10])}{' ...' if len(view.nonfinite) > 10 else ''}"
            )
    for other in tasks:
        task_rows, task_info, task_errors = other.evaluate(named, seed=seed)
        rows += task_rows
        protocol["datasets"].update(task_info)
        protocol["errors"].update(task_errors)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return Report(frame, protocol, items)


# ------------------------------------------------------------------ helpers
# parsed datasets of earlier calls in this process: reading and parsing the Google set costs more than scoring it
# (~0.2 s against ~0.1 s on text8 vectors), so a second run() reuses the parse while its files are unchanged
_LOADED: dict[tuple[Any, ...], tuple[Dataset, Any]] = {}
_LOADED_MAX = 32


def _load(task: DatasetTask, download: bool, transform: Callable[[str], str] | None) -> Dataset:
    """``task.load(...)``, reused from an earlier call while its record, the data folders and every file's
    size and modification time are the same (the sha256 was verified when it was first loaded)."""

    key = (task.name, download, transform, str(data_dir()), str(cache_dir()))
    try:
        hit = _LOADED.get(key)
    except TypeError:  # an unhashable transform: no reuse
        return task.load(download=download, transform=transform)
    if hit is not None and hit[1] is not None and hit[0].record == task.record and _stamp(hit[0].files) == hit[1]:
        return hit[0]
    ds = task.load(download=download, transform=transform)
    _LOADED.pop(key, None)
    _LOADED[key] = (ds, _stamp(ds.files))
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.pop(next(iter(_LOADED)))
    return ds


def _stamp(files: list[Any]) -> Any:
    """(path, size, mtime) of every file (those inside folders too); None when one cannot be read."""

    out = []
    try:
        for f in map(Path, files):
            for p in sorted(f.rglob("*")) if f.is_dir() else [f]:
                st = p.stat()
                out.append((str(p), st.st_size, st.st_mtime_ns))
    except OSError:
        return None
    return tuple(out)


def _result_notes(res) -> list[str]:
    """The task's notes; a NaN value never goes without one."""
    if res.n_covered == 0:
        return ["no item is covered by the vocabulary: the scores are NaN (coverage 0)"]
    notes = list(res.notes)
    nan_metrics = sorted({r["metric"] for r in res.rows if not np.isfinite(r["value"])})
    if nan_metrics and not notes:
        notes.append(f"NaN value for {', '.join(nan_metrics)}")
    tiny = [
        r
        for r in res.rows
        if r["main"]
        and np.isfinite(r["value"])
        and r["metric"] != "threshold"
        and not (np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]))
    ]
    if tiny:
        notes.append(
            f"{tiny[0]['metric']} is computed on only {tiny[0]['n']} items, too few for a confidence "
            f"interval; do not rely on it"
        )
    return notes


def _name_encoders(encoders) -> dict[str, Any]:
    if isinstance(encoders, dict):
        named = dict(encoders)
    elif isinstance(encoders, (list, tuple)) and not (len(encoders) == 2 and isinstance(encoders[0], list)):
        named = {}
        for enc in encoders:
            base = getattr(enc, "name", "") or type(enc).__name__
            name, k = base, 2
            while name in named:
                name, k = f"{base}-{k}", k + 1
            named[name] = enc
    else:
        raise BadInputError(
            f"encoders must be a dict {{name: encoder}} or a list of encoders; got {type(encoders).__name__}."
        )
    if not named:
        raise BadInputError("No encoder to evaluate: pass at least one, e.g. run({'sg': encoder}).")
    for name, enc in named.items():
        fitted = getattr(enc, "is_fitted", True)
        if not fitted:
            raise NotFittedError(
                f"Encoder {name!r} is not fitted: call .fit(corpus) (or forge.load) before benchmarking it."
            )
    return named


def _version() -> str:
    return __version__


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def encoder_record(enc: Any) -> dict[str, Any]:
    """What a report records of an encoder: its class, registered name, parameters (JSON-able), vocabulary
    size and tags (the bench's protocol and the lab's both use it)."""
    params = {k: _jsonable(v) for k, v in enc.get_params().items()} if hasattr(enc, "get_params") else {}
    vocab = getattr(enc, "vocabulary", None)
    return {
        "class": f"{type(enc).__module__}.{type(enc).__qualname__}",
        "encoder": getattr(enc, "name", None),
        "params": params,
        "vocab_size": len(vocab) if vocab is not None else None,
        "tags": dict(getattr(enc, "tags", None) or {}),
    }


def _encoder_info(enc: Any, view: VectorView) -> dict[str, Any]:
    return {**encoder_record(enc), "vocab_size": len(view.words), "contextual": view.contextual}


def _dataset_info(ds: Dataset) -> dict[str, Any]:
    r = ds.record
    return {
        "sha256": ds.sha256,
        "origin": ds.origin,
        "files": [str(p) for p in ds.files],
        "format": r.format,
        "kind": r.kind,
        "language": r.language,
        "script": r.script,
        "n_items": len(ds),
        "scale": r.scale,
        "citation": r.citation,
        "licence": r.licence,
        **getattr(ds.data, "parse_info", {}),  # e.g. sentence-pairs: the index base used and how it was chosen
    }


def _as_task(task: Any) -> Any:
    """A dataset record as the :class:`DatasetTask` of its kind; any other task as it is."""
    if isinstance(task, DatasetRecord):
        return get_task_kind(task.kind)(task)
    return task


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()

    # disable=None: drawn only on a terminal (no bar characters in logs and pipes)
    return tqdm(total=total, desc="forge bench", unit="item", leave=False, disable=None)
