"""Benchmark datasets as declarative records, and where their files come from.

A :class:`DatasetRecord` names the files (relative to the data directory, in
the layout of ``shared/datasets``), the format, the sha256 of every file, the
score scale, the citation and the licence note. :func:`load_dataset` resolves
the files in this order and verifies every sha256 (a mismatch is refused):

1. the data directory ``FORGE_DATA_DIR`` (:func:`forge._paths.data_dir`);
2. the user cache ``forge._paths.cache_dir() / "datasets"``;
3. gensim's shipped test data, for ``wordsim353``, ``simlex999`` and
   ``google-analogy`` (so these work offline on every install);
4. with ``download=True``, a checksummed download (pooch) from the source
   URL into the user cache.

Users add their own files with :func:`register_dataset`. ``script`` marks
Chinese sets as simplified or traditional; ``transform`` (a ``str -> str``
callable applied to every word and context token when loading, e.g. an
OpenCC converter) is the hook for script conversion.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forge._catalogue import Registry
from forge._paths import cache_dir, data_dir
from forge.bench import _checksums as C
from forge.bench import _parsers as P
from forge.bench._catalogue_data import RECORDS
from forge.bench._formats import FORMATS, get_format
from forge.bench._tasks import _KINDS, DatasetTask, get_task_kind, set_record_loader
from forge.errors import BadInputError, MissingDataError, PluginError, UnknownNameError

__all__ = [
    "FORMATS",
    "GROUPS",
    "Dataset",
    "DatasetRecord",
    "available_datasets",
    "expand_names",
    "get_record",
    "get_task",
    "list_datasets",
    "list_tasks",
    "load_dataset",
    "load_record",
    "register_dataset",
    "register_task",
]


@dataclass(frozen=True)
class DatasetRecord:
    """What a benchmark dataset is and where its files live.

    ``files`` are relative to the data directory (or absolute for user
    datasets); ``sha256`` maps each of them to its checksum (None: not
    checked); ``urls`` maps them to download sources; ``digest``, when set,
    is checked against the whole dataset's digest (:attr:`Dataset.sha256`),
    as ``register_dataset(..., sha256=...)`` gives it for a ``wic`` folder.
    """

    name: str
    kind: str
    language: str
    format: str
    files: tuple[str, ...]
    sha256: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    scale: tuple[float, float] | None = None
    citation: str = ""
    licence: str = "not stated; research use, cite the paper"
    description: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    gensim_file: str | None = None  # name in gensim.test.utils.datapath
    gensim_sha256: str | None = None
    gensim_options: dict[str, Any] = field(default_factory=dict)
    script: str | None = None  # "simplified" / "traditional" for Chinese
    transform: Callable[[str], str] | None = None
    user: bool = False
    digest: str | None = None  # sha256 of the whole dataset (Dataset.sha256), multi-file sets


@dataclass
class Dataset:
    """A loaded dataset: its record, parsed items, checksum and origin."""

    record: DatasetRecord
    data: Any  # WordPairs | AnalogySet | ContextPairs
    sha256: str
    files: list[Path]
    origin: str  # data_dir | cache | gensim | download | user

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def kind(self) -> str:
        return self.record.kind

    def __len__(self) -> int:
        return len(self.data)


def _validate_task(name: str, task: Any, where: str) -> Any:
    """A task is a :class:`DatasetRecord`, a :class:`forge.bench.DatasetTask` (a record with the class of its
    kind) or an object with ``evaluate`` (:class:`forge.bench.Task`)."""
    if isinstance(task, DatasetTask):
        if getattr(task.record, "kind", None) != task.kind:
            raise PluginError(
                f"{where}: its record says kind={getattr(task.record, 'kind', None)!r} but it is a "
                f"{type(task).__name__} (kind {task.kind!r}); make them agree."
            )
        if task.kind not in _KINDS:  # so that Report.compare finds the kind's paired test
            _KINDS.register(task.kind, type(task))
        return task
    if isinstance(task, DatasetRecord) or callable(getattr(task, "evaluate", None)):
        return task
    raise PluginError(
        f"{where} must be a forge.bench.DatasetRecord or a task with an evaluate(encoders, seed=) method, got {task!r}."
    )


# every benchmark task by name: the dataset records below, the user's, plugins' and the lab's probes
# ([project.entry-points."forge.tasks"]); see forge._catalogue for the overwrite policy
_REGISTRY = Registry("dataset", group="forge.tasks", validate=_validate_task)


def _records() -> dict[str, DatasetRecord]:
    """The registered dataset records (tasks that are data files), in registration order."""
    return {
        e.name: e.target.record if isinstance(e.target, DatasetTask) else e.target
        for e in _REGISTRY.entries()
        if e.resolved and isinstance(e.target, (DatasetRecord, DatasetTask))
    }


# the built-in datasets: records in forge/bench/_catalogue_data.py (data only), registered here
def _builtin(record: dict[str, Any]) -> None:
    rec = dict(record)
    files = tuple(rec.pop("files"))
    urls, sha256 = rec.pop("urls", ()), rec.pop("sha256", {})
    rec.pop("group", None)
    if "scale" in rec:
        rec["scale"] = tuple(rec["scale"])
    _REGISTRY.register(
        rec["name"],
        DatasetRecord(
            kind=FORMATS[rec["format"]],
            files=files,
            sha256={f: sha256.get(f) for f in files},
            urls=dict(zip(files, urls)),
            **rec,
        ),
        builtin=True,
    )


for _record in RECORDS:
    _builtin(_record)

# groups usable in place of a name: the records' "group"
GROUPS: dict[str, list[str]] = {}
for _record in RECORDS:
    if "group" in _record:
        GROUPS.setdefault(_record["group"], []).append(_record["name"])
# the offline default: available from gensim's test data on every install
DEFAULT_DATASETS = ("wordsim353", "simlex999", "google-analogy")


# ------------------------------------------------------------------ public
def list_datasets(kind: str | None = None, language: str | None = None) -> dict[str, str]:
    """``{name: description}`` of the registered datasets, optionally filtered.

    Examples
    --------
    >>> from forge.bench import list_datasets
    >>> "simlex999" in list_datasets(kind="similarity")
    True
    """
    return {
        n: r.description
        for n, r in sorted(_records().items())
        if (kind is None or r.kind == kind) and (language is None or r.language == language)
    }


def get_task(name: str) -> Any:
    """The task registered under ``name``: a :class:`DatasetRecord`, or a task object (a lab probe, a plugin's)."""
    if name not in _REGISTRY:
        raise UnknownNameError("dataset", name, _REGISTRY.names() + list(GROUPS))
    return _REGISTRY.get(name)


def list_tasks() -> list[str]:
    """Every task name: the datasets, the lab's probes and plugins' tasks (nothing is imported)."""
    return _REGISTRY.names()


def register_task(name: str, task: Any, *, overwrite: bool = False) -> Any:
    """Register a task that evaluates encoders itself (a :class:`forge.bench.Task`) under ``name``.

    Data-file datasets go through :func:`register_dataset`; packages add tasks
    without being imported by ``forge.bench`` through the ``forge.tasks``
    entry-point group. A built-in name is never replaced; another taken name
    only with ``overwrite=True``.
    """
    if name in GROUPS or name == "all":
        raise BadInputError(f"{name!r} is reserved (a dataset group); pick another name.")
    return _REGISTRY.register(name, task, overwrite=overwrite)


def get_record(name: str) -> DatasetRecord:
    """The :class:`DatasetRecord` of dataset ``name`` (a task object's own record, for a dataset task)."""
    record = get_task(name)
    if isinstance(record, DatasetTask):
        return record.record
    if not isinstance(record, DatasetRecord):
        raise BadInputError(
            f"{name!r} is a {getattr(record, 'kind', 'task')} task, not a dataset file; "
            f"run it with forge.bench.run(encoders, [{name!r}])."
        )
    return record


def expand_names(names: str | list[str]) -> list[str]:
    """Resolve ``"all"`` (every dataset record), group names and single task names (validated)."""
    if isinstance(names, str):
        names = list(_records()) if names == "all" else [n.strip() for n in names.split(",") if n.strip()]
    out: list[str] = []
    for name in names:
        for n in list(_records()) if name == "all" else GROUPS.get(name, [name]):
            if n not in _REGISTRY:
                raise UnknownNameError("dataset", n, _REGISTRY.names() + list(GROUPS))
            if n not in out:
                out.append(n)
    return out


def register_dataset(
    name: str,
    path: str | Path,
    format: str = "pairs",
    *,
    language: str = "en",
    sha256: str | Mapping[str, str] | None = None,
    scale: tuple[float, float] | None = None,
    citation: str = "",
    licence: str = "user data",
    description: str = "",
    script: str | None = None,
    transform: Callable[[str], str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> DatasetRecord:
    """Register your own dataset file (or directory, for ``bats`` and ``wic``) in one call.

    ``format`` is one of :data:`FORMATS`; ``options`` go to the parser (e.g.
    ``sep=","``, ``score_col=3``, ``duplicates="mean"`` for ``pairs``; ``encoding``
    for every format) and are checked here.

    ``sha256`` pins the data; :func:`load_dataset` refuses files that differ. It is
    the dataset digest that ``load_dataset(name).sha256`` and the report protocol
    show: for one file its ``sha256sum``; for a ``bats`` folder the digest of its
    ``*.txt`` files; for a ``wic`` folder the digest of its six files. Upper case
    and a ``sha256:`` prefix are accepted. For a folder format it may instead be a
    mapping ``{path relative to the folder: sha256}`` of every file; a mismatch then
    names the changed, missing or added file.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> from forge.bench import register_dataset, load_dataset
    >>> p = os.path.join(tempfile.mkdtemp(), "mine.txt")
    >>> _ = Path(p).write_bytes(b"cat dog 3.5\\ncar bus 2.0\\n")
    >>> _ = register_dataset("my-pairs", p, overwrite=True)
    >>> len(load_dataset("my-pairs"))
    2
    """
    if format not in FORMATS:
        raise UnknownNameError("dataset format", format, FORMATS)
    _check_user_record(name, path, scale, transform)
    if name in _REGISTRY and not overwrite:
        raise BadInputError(
            f"A dataset named {name!r} is already registered; pick another name or pass overwrite=True."
        )
    if name in _REGISTRY and _REGISTRY.entry(name).builtin:
        raise BadInputError(f"{name!r} is a built-in dataset and cannot be replaced; pick another name.")
    if name in GROUPS or name == "all":
        raise BadInputError(f"{name!r} is reserved (a dataset group); pick another name.")
    _check_options(format, options)
    try:
        path = Path(path).expanduser().resolve()
        exists = path.exists()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11-3.12)
        raise BadInputError(
            f"Cannot register dataset {name!r}: {path} cannot be resolved ({exc}); "
            f"check for a symlink loop or a broken link."
        ) from None
    if not exists:
        raise BadInputError(f"Cannot register dataset {name!r}: {path} does not exist.")
    files = get_format(format).files_of(path)
    shas, digest = _user_checksums(format, path, files, sha256)
    record = DatasetRecord(
        name=name,
        kind=FORMATS[format],
        language=language,
        format=format,
        files=files,
        sha256=shas,
        options=options,
        digest=digest,
        scale=scale,
        citation=citation,
        licence=licence,
        description=description or str(path),
        script=script,
        transform=transform,
        user=True,
    )
    _REGISTRY.register(name, record, overwrite=overwrite)
    return record


def _check_user_record(name: object, path: object, scale: object, transform: object) -> None:
    """The arguments of :func:`register_dataset` that are not parser options."""
    if not isinstance(name, str) or not name.strip() or name != name.strip() or "," in name:
        raise BadInputError(
            f"Dataset name {name!r} is not valid; give a non-empty str without commas or "
            f"surrounding spaces (names are listed comma-separated, e.g. 'men,my-set')."
        )
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise BadInputError(f"Cannot register dataset {name!r}: path={path!r} is not a file or folder path.")
    if scale is not None:
        low, high = scale if isinstance(scale, (tuple, list)) and len(scale) == 2 else (np.nan, np.nan)
        if (
            not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in (low, high))
            or low >= high
        ):
            raise BadInputError(f"scale={scale!r} is not valid; give (low, high) with low < high, e.g. (0, 10).")
    if transform is not None and not callable(transform):
        raise BadInputError(f"transform={transform!r} is not callable; give a str -> str function or None.")


def _check_options(format: str, options: dict[str, Any]) -> None:
    """Parser options of a user dataset: known names (for the parser of ``format``) and valid values."""
    fmt = get_format(format)
    if fmt.parser is not None:
        allowed = [p for p in inspect.signature(fmt.parser).parameters if p not in fmt.fixed]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise BadInputError(
                f"Unknown option(s) {', '.join(map(repr, unknown))} for format {format!r}; "
                f"its parser accepts {', '.join(allowed)}."
            )
    P.check_encoding(options.get("encoding", "utf-8"))
    if fmt.check is not None:
        fmt.check(options)


def _user_checksums(
    format: str, path: Path, files: tuple[str, ...], sha256: str | Mapping[str, str] | None
) -> tuple[dict[str, str | None], str | None]:
    """``(per-file sha256, whole-dataset digest)`` for a user record from ``register_dataset(sha256=...)``."""
    if sha256 is None:
        return {}, None
    if isinstance(sha256, Mapping):
        if get_format(format).folder:
            return {files[0]: C.remember_folder(sha256)}, None
        if len(files) > 1:
            rels = [Path(f).relative_to(path).as_posix() for f in files]
            given = {Path(str(k)).as_posix(): v for k, v in sha256.items()}
            if set(given) != set(rels):
                raise BadInputError(
                    f"sha256 for a {format} folder must give exactly the files {', '.join(rels)}; "
                    f"got {', '.join(sorted(given)) or 'none'}."
                )
            return {f: C.normalise_sha256(given[rel], f"sha256[{rel!r}]") for f, rel in zip(files, rels)}, None
        raise BadInputError(f"sha256 for a single-file dataset ({format!r}) must be one digest, not a mapping.")
    digest = C.normalise_sha256(sha256)
    if len(files) == 1:
        return {files[0]: digest}, None
    return {}, digest


def unregister_dataset(name: str) -> None:
    """Remove a dataset registered with :func:`register_dataset`."""
    record = get_record(name)
    if not record.user:
        raise BadInputError(f"{name!r} is a built-in dataset and cannot be removed.")
    _REGISTRY.unregister(name)


def available_datasets(names: str | list[str] = "all") -> tuple[list[str], dict[str, str]]:
    """Split ``names`` into those loadable without a download and ``{name: why not}`` for the rest."""
    ok, missing = [], {}
    for name in expand_names(names):
        where = _locate(get_record(name))
        if where is None:
            missing[name] = _missing_message(get_record(name))
        else:
            ok.append(name)
    return ok, missing


def load_dataset(name: str, download: bool = False, transform: Callable[[str], str] | None = None) -> Dataset:
    """Load, verify and parse a dataset (resolution order in the module docstring).

    ``transform`` (e.g. a script converter) overrides the record's own.

    Examples
    --------
    >>> from forge.bench import load_dataset
    >>> ds = load_dataset("google-analogy")      # from FORGE_DATA_DIR, else gensim's copy
    >>> len(ds), ds.kind
    (19544, 'analogy')
    """
    return load_record(get_record(name), download=download, transform=transform)


def load_record(
    record: DatasetRecord, download: bool = False, transform: Callable[[str], str] | None = None
) -> Dataset:
    """Load, verify and parse the files of ``record`` (what :func:`load_dataset` does for a name)."""
    where = _locate(record)
    if where is None:
        if not download or not record.urls or len(record.urls) != len(record.files):
            raise MissingDataError(_missing_message(record))
        where = _download(record)
    paths, origin, shas, options = where
    digest = _verify(record, paths, shas)
    if record.digest is not None and digest != record.digest:
        raise BadInputError(
            f"Checksum mismatch for dataset {record.name!r}: its files ({', '.join(map(str, paths))}) have the "
            f"dataset digest {digest}, expected {record.digest}. Their current sha256: "
            + "; ".join(f"{p.name} {_digest(p)}" for p in paths)
            + ". Restore the original files, or register the dataset again with the new digest (or a "
            "per-file mapping, to be told which file changed)."
        )
    data = get_format(record.format).parse(paths, {**record.options, **options})
    fn = transform or record.transform
    if fn is not None:
        data = get_task_kind(record.kind).transform(data, fn)
    return Dataset(record, data, digest, paths, origin)


set_record_loader(load_record)


# ----------------------------------------------------------------- internals
def _locate(record: DatasetRecord):
    """``(paths, origin, expected sha256 per path, parser options)`` or None."""
    if record.user:
        paths = [Path(f) for f in record.files]
        if all(p.exists() for p in paths):
            return paths, "user", [record.sha256.get(f) for f in record.files], {}
        return None
    roots = [(data_dir(), "data_dir"), (cache_dir() / "datasets", "cache")]
    for root, origin in roots:
        if root is None:
            continue
        paths = [root / f for f in record.files]
        if all(p.exists() for p in paths):
            return paths, origin, [record.sha256.get(f) for f in record.files], {}
    if record.gensim_file:
        from gensim.test.utils import datapath  # lazy: gensim takes about a second to import; only this path needs it

        path = Path(datapath(record.gensim_file))
        if path.exists():
            return [path], "gensim", [record.gensim_sha256], record.gensim_options
    return None


def _missing_message(record: DatasetRecord) -> str:
    where = data_dir()
    hint = f"FORGE_DATA_DIR={where} has no {record.files[0]}" if where else "FORGE_DATA_DIR is not set"
    dl = " or pass download=True (forge bench --download) to fetch it" if record.urls else ""
    return (
        f"Dataset {record.name!r} is not available offline: {hint}, and the cache "
        f"{cache_dir() / 'datasets'} does not hold it. Put {', '.join(record.files)} under the data "
        f"directory (layout of shared/datasets){dl}."
    )


def _digest(path: Path) -> str:
    """sha256 of a file; for a directory, of the ``sha256  relpath`` lines of its *.txt files."""
    try:
        if path.is_dir():
            return C.folder_digest(C.folder_files(path))
        return C.sha256_file(path)
    except OSError as exc:
        raise BadInputError(f"Cannot read {path} to check its sha256: {exc.strerror or exc}.") from None


def _verify(record: DatasetRecord, paths: list[Path], expected: list[str | None]) -> str:
    actual = []
    for path, want in zip(paths, expected):
        got = _digest(path)
        if want is not None and got != want:
            which = C.explain_folder_mismatch(want, C.folder_files(path)) if path.is_dir() else ""
            raise BadInputError(
                f"Checksum mismatch for dataset {record.name!r}: {path} has sha256 {got}, expected {want}.{which} "
                f"The {'folder' if path.is_dir() else 'file'} is corrupt, truncated or a different version; "
                f"replace it with the original (see the dataset manifest) or delete it so that it can be "
                f"downloaded again."
            )
        actual.append(got)
    if len(actual) == 1:
        return actual[0]
    return hashlib.sha256("".join(f"{s}  {p.name}\n" for s, p in zip(actual, paths)).encode()).hexdigest()


def _download(record: DatasetRecord):
    import pooch  # lazy: pooch is needed only to download

    root = cache_dir() / "datasets"
    paths = []
    for rel in record.files:
        target = root / rel
        sha = record.sha256.get(rel)
        try:
            pooch.retrieve(
                record.urls[rel],
                known_hash=f"sha256:{sha}" if sha else None,
                path=target.parent,
                fname=target.name,
                progressbar=False,
            )
        except ValueError as exc:  # pooch's hash mismatch
            raise BadInputError(
                f"Download of {record.urls[rel]} for dataset {record.name!r} was refused: {exc}"
            ) from None
        except Exception as exc:
            raise MissingDataError(
                f"Could not download {record.urls[rel]} for dataset {record.name!r} "
                f"({type(exc).__name__}: {exc}). {_missing_message(record)}"
            ) from None
        paths.append(target)
    return paths, "download", [record.sha256.get(f) for f in record.files], {}
