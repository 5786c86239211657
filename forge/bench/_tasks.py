"""What a benchmark task is: a record of metadata plus the code that loads, scores and compares on it.

Two shapes of task share the task registry (:func:`forge.bench.get_task`):

* **dataset tasks**: a :class:`forge.bench.DatasetRecord` (the declarative
  metadata: name, kind, language, script, files and sha256, citation,
  licence) scored by the :class:`DatasetTask` class of its ``kind``
  (:class:`~forge.bench._task_similarity.SimilarityTask`,
  :class:`~forge.bench._task_analogy.AnalogyTask`,
  :class:`~forge.bench._task_polysemy.PolysemyTask`, or one added with
  :func:`register_task_kind`). The class evaluates one encoder's vectors on
  the parsed items, picks the items every encoder covers (``common=True``)
  and names the paired test that :meth:`forge.bench.Report.compare` runs.
  A dataset's ``format`` (:mod:`forge.bench._formats`) says which kind it is.
* **tasks that evaluate themselves** (a :class:`Task`, e.g. the lab's
  probes): ``evaluate(encoders, seed=)`` returns rows in the harness's
  columns. A higher layer (``forge.lab``) or a plugin adds them through the
  ``forge.tasks`` entry-point group, so ``forge.bench`` never imports them.

.. code-block:: toml

    [project.entry-points."forge.tasks"]
    probe-order = "forge.lab._bench:probe_order"

A new kind of task is one :class:`DatasetTask` subclass plus
``register_task_kind(cls)`` and a ``register_format`` for its files
(``tests/test_task_kinds.py`` adds a word-length regression task that way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from forge._catalogue import Registry
from forge.bench._result import TaskResult
from forge.bench._vectors import VectorView
from forge.errors import PluginError

__all__ = ["DatasetTask", "RunOptions", "Task", "TaskOutput", "get_task_kind", "list_task_kinds", "register_task_kind"]

# (rows in the harness's columns, {task name: protocol record}, {"encoder/task": why skipped or failed})
TaskOutput = tuple[list[dict[str, Any]], dict[str, Any], dict[str, str]]


@runtime_checkable
class Task(Protocol):
    """A registered task that evaluates encoders itself (see the module docstring)."""

    name: str
    kind: str

    def evaluate(self, encoders: dict[str, Any], *, seed: int = 0) -> TaskOutput:
        """Score every encoder of ``{name: encoder}``; rows carry ``encoder``, ``dataset`` (= the task name),
        ``kind``, ``metric``, ``value`` ... as :data:`forge.bench._result.COLUMNS`."""


@dataclass(frozen=True)
class RunOptions:
    """The protocol settings of one :func:`forge.bench.run`, as every dataset task sees them."""

    oov: str = "drop"
    analogy_methods: tuple[str, ...] = ("3cosadd", "3cosmul")
    ci: str = "fisher"
    n_boot: int = 1000
    seed: int = 0
    device: str = "auto"


class DatasetTask:
    """A dataset record and the behaviour of its kind (subclass per kind; see the module docstring).

    Subclasses set ``kind`` (and ``main_score``, the headline metric) and implement :meth:`evaluate` and
    :meth:`paired_test`; :meth:`common_subset` and :meth:`transform` have
    defaults (no common subset; words left as they are).

    Parameters
    ----------
    record : DatasetRecord
        The task's metadata (``record.kind`` must be this class's ``kind``).
    """

    kind: ClassVar[str] = ""
    main_score: ClassVar[str] = ""  # the metric of the rows marked ``main`` (documentation, --list)
    chance: ClassVar[dict[str, float]] = {}  # {metric: score of guessing}, drawn as a line on the report's chart

    def __init__(self, record: Any):
        self.record = record

    @property
    def name(self) -> str:
        return str(self.record.name)

    @property
    def metadata(self) -> Any:
        """The declarative record (name, kind, language, script, files, sha256, citation, licence)."""
        return self.record

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def load(self, *, download: bool = False, transform: Any = None) -> Any:
        """The verified, parsed :class:`forge.bench.Dataset` (see :func:`forge.bench.load_dataset`)."""
        if _LOADER is None:  # set by forge.bench._datasets, which every path to a DatasetTask imports
            raise RuntimeError("forge.bench._datasets is not imported: import forge.bench first")
        return _LOADER(self.record, download=download, transform=transform)

    def evaluate(
        self,
        view: VectorView,
        data: Any,
        options: RunOptions,
        *,
        subset: np.ndarray | None = None,
        progress: Any = None,
    ) -> TaskResult:
        """Score one encoder's vectors on the items; ``progress.update`` advances by ``len(data)`` in all.

        ``subset`` (bool per item, from :meth:`common_subset`) restricts scoring to those items.
        """
        raise NotImplementedError(f"{type(self).__name__}.evaluate")

    def common_subset(self, data: Any, views: dict[str, VectorView]) -> np.ndarray | None:
        """Items every encoder covers (bool per item), for ``run(..., common=True)``; None: no restriction."""
        return None

    @staticmethod
    def transform(data: Any, fn: Any) -> Any:
        """``data`` with ``fn`` (``str -> str``, e.g. a script converter) applied to every word."""
        return data

    @classmethod
    def paired_test(
        cls, items_a: dict[str, np.ndarray], items_b: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any] | None:
        """One row of :meth:`Report.compare` for two encoders' per-item outputs (see :mod:`forge.bench._paired`),
        or None when there is nothing to test."""
        return None


def _validate_kind(name: str, cls: Any, where: str) -> Any:
    if not (isinstance(cls, type) and issubclass(cls, DatasetTask)):
        raise PluginError(f"{where} must be a subclass of forge.bench.DatasetTask, got {cls!r}.")
    if cls.kind != name:
        raise PluginError(f"{where}: the class says kind={cls.kind!r}; register it under that name.")
    return cls


# the record loader (forge.bench._datasets.load_record), registered by that module when it is imported: it
# sits above this one (it knows the task kinds, for transform), so it plugs in here instead of being imported
_LOADER: Any = None


def set_record_loader(loader: Any) -> None:
    """Install the function :meth:`DatasetTask.load` calls (``forge.bench._datasets.load_record``)."""
    global _LOADER
    _LOADER = loader


# task kind -> DatasetTask subclass; the built-ins are imported when first asked for
_KINDS = Registry("task kind", validate=_validate_kind)
for _kind in ("similarity", "analogy", "polysemy"):
    _KINDS.register_lazy(_kind, f"forge.bench._task_{_kind}:{_kind.capitalize()}Task", builtin=True)


def register_task_kind(cls: type[DatasetTask], *, overwrite: bool = False) -> type[DatasetTask]:
    """Register a :class:`DatasetTask` subclass under its ``kind`` (also usable as a class decorator).

    Examples
    --------
    >>> from forge.bench import DatasetTask, register_task_kind, get_task_kind
    >>> from forge.bench._tasks import _KINDS
    >>> with _KINDS.isolated():
    ...     @register_task_kind
    ...     class Toy(DatasetTask):
    ...         kind = "toy"
    ...     get_task_kind("toy").__name__
    'Toy'
    """
    return _KINDS.register(getattr(cls, "kind", None) or "", cls, overwrite=overwrite)


def get_task_kind(kind: str) -> type[DatasetTask]:
    """The :class:`DatasetTask` subclass of ``kind``; an unknown kind lists the registered ones."""
    return _KINDS.get(kind)


def list_task_kinds() -> list[str]:
    """The registered task kinds."""
    return _KINDS.names()
