"""The analogy task kind: ``a : b :: c : ?`` questions (see :mod:`forge.bench._analogy`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from forge.bench._analogy import evaluate_analogy
from forge.bench._paired import accuracy_test
from forge.bench._parsers import AnalogySet
from forge.bench._result import TaskResult
from forge.bench._tasks import DatasetTask, RunOptions
from forge.bench._vectors import VectorView

__all__ = ["AnalogyTask"]


class AnalogyTask(DatasetTask):
    """Accuracy per method (the first is main) and per section; compared with McNemar's test."""

    kind = "analogy"
    main_score = "accuracy_<first analogy method>"

    def evaluate(
        self,
        view: VectorView,
        data: AnalogySet,
        options: RunOptions,
        *,
        subset: np.ndarray | None = None,
        progress: Any = None,
    ) -> TaskResult:
        questions = data if subset is None else _subset(data, subset)
        res = evaluate_analogy(view, questions, options.analogy_methods, device=options.device, progress=progress)
        if progress is not None:
            progress.update(len(data) - res.n_covered)  # the bar advanced over covered questions
        return res

    def common_subset(self, data: AnalogySet, views: dict[str, VectorView]) -> np.ndarray | None:
        for v in views.values():
            v.screen()
        masks = []
        for v in views.values():
            ans = np.array([any(v.lookup(w) is not None for w in a) for a in data.answers], dtype=bool)
            masks.append((v.lookups(data.a) >= 0) & (v.lookups(data.b) >= 0) & (v.lookups(data.c) >= 0) & ans)
        return np.logical_and.reduce(masks)

    @staticmethod
    def transform(data: AnalogySet, fn: Any) -> AnalogySet:
        return replace(
            data,
            a=[fn(w) for w in data.a],
            b=[fn(w) for w in data.b],
            c=[fn(w) for w in data.c],
            answers=[tuple(fn(w) for w in ans) for ans in data.answers],
        )

    @classmethod
    def paired_test(
        cls, items_a: dict[str, np.ndarray], items_b: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any] | None:
        return accuracy_test(items_a, items_b, n_boot=n_boot, seed=seed)


def _subset(q: AnalogySet, mask: np.ndarray) -> AnalogySet:
    idx = np.flatnonzero(mask)
    return AnalogySet(
        [q.a[i] for i in idx],
        [q.b[i] for i in idx],
        [q.c[i] for i in idx],
        [q.answers[i] for i in idx],
        [q.sections[i] for i in idx],
        q.source,
    )
