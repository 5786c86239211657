"""The benchmark harness: similarity, analogy and polysemy datasets, standard protocols, reports.

Examples
--------
>>> import numpy as np
>>> import forge.bench
>>> words = ["king", "queen", "man", "woman", "tiger", "cat"]
>>> vecs = np.random.default_rng(0).normal(size=(6, 4))
>>> report = forge.bench.run({"toy": (words, vecs)}, ["wordsim353", "google-analogy"], progress=False)
>>> sorted(report.to_wide().columns)
['google-analogy', 'wordsim353']

See :func:`run`, :class:`Report`, :func:`register_dataset`, :func:`list_datasets`; a new kind of task is
a :class:`DatasetTask` subclass registered with :func:`register_task_kind`, and its file format a
:func:`register_format` call.
"""

from forge.bench._analogy import evaluate_analogy
from forge.bench._datasets import (
    DEFAULT_DATASETS,
    FORMATS,
    GROUPS,
    Dataset,
    DatasetRecord,
    available_datasets,
    expand_names,
    get_record,
    get_task,
    list_datasets,
    list_tasks,
    load_dataset,
    register_dataset,
    register_task,
    unregister_dataset,
)
from forge.bench._formats import Format, register_format
from forge.bench._gensim_eval import evaluate_word_analogies, evaluate_word_pairs
from forge.bench._polysemy import evaluate_polysemy
from forge.bench._render import Page, format_number, html_table, markdown_table
from forge.bench._report import COLUMNS, Report
from forge.bench._result import TaskResult, metric_row
from forge.bench._run import encoder_record, run
from forge.bench._similarity import evaluate_similarity
from forge.bench._stats import wilson_ci
from forge.bench._tasks import DatasetTask, RunOptions, Task, get_task_kind, list_task_kinds, register_task_kind
from forge.bench._vectors import VectorView

__all__ = [
    "COLUMNS",
    "DEFAULT_DATASETS",
    "FORMATS",
    "GROUPS",
    "Dataset",
    "DatasetRecord",
    "DatasetTask",
    "Format",
    "Page",
    "Report",
    "RunOptions",
    "Task",
    "TaskResult",
    "VectorView",
    "available_datasets",
    "encoder_record",
    "evaluate_analogy",
    "evaluate_polysemy",
    "evaluate_similarity",
    "evaluate_word_analogies",
    "evaluate_word_pairs",
    "expand_names",
    "format_number",
    "get_record",
    "get_task",
    "get_task_kind",
    "html_table",
    "list_datasets",
    "list_task_kinds",
    "list_tasks",
    "load_dataset",
    "markdown_table",
    "metric_row",
    "register_dataset",
    "register_format",
    "register_task",
    "register_task_kind",
    "run",
    "unregister_dataset",
    "wilson_ci",
]
