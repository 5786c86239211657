"""The polysemy task kind: a target word in two contexts (see :mod:`forge.bench._polysemy`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from forge.bench._paired import accuracy_test, correlation_test
from forge.bench._parsers import ContextPairs
from forge.bench._polysemy import evaluate_polysemy
from forge.bench._result import TaskResult
from forge.bench._tasks import DatasetTask, RunOptions
from forge.bench._vectors import VectorView

__all__ = ["PolysemyTask"]


class PolysemyTask(DatasetTask):
    """Graded items (SCWS): Spearman, compared with Williams' test; binary items (WiC): accuracy with a
    threshold tuned on train, compared with McNemar's test. ``common=True`` keeps the items whose two
    targets every encoder has (static: both target words; contextual: both target tokens)."""

    kind = "polysemy"
    main_score = "spearman (graded items) or accuracy_test (binary items)"
    chance = {"accuracy_test": 0.5}  # WiC: half the pairs use the word in the same sense

    def evaluate(
        self,
        view: VectorView,
        data: ContextPairs,
        options: RunOptions,
        *,
        subset: np.ndarray | None = None,
        progress: Any = None,
    ) -> TaskResult:
        return evaluate_polysemy(
            view, data, ci=options.ci, n_boot=options.n_boot, seed=options.seed, progress=progress, subset=subset
        )

    def common_subset(self, data: ContextPairs, views: dict[str, VectorView]) -> np.ndarray | None:
        masks = []
        for view in views.values():
            if view.contextual:
                mask = [
                    view.lookup(c1[i1]) is not None and view.lookup(c2[i2]) is not None
                    for c1, c2, i1, i2 in zip(data.context1, data.context2, data.index1, data.index2)
                ]
                masks.append(np.asarray(mask, dtype=bool))
            else:
                view.screen()  # words with NaN/inf vectors count as out of vocabulary, as when scoring
                masks.append((view.lookups(data.word1) >= 0) & (view.lookups(data.word2) >= 0))
        return np.logical_and.reduce(masks) if masks else None

    @staticmethod
    def transform(data: ContextPairs, fn: Any) -> ContextPairs:
        return replace(
            data,
            word1=[fn(w) for w in data.word1],
            word2=[fn(w) for w in data.word2],
            context1=[[fn(t) for t in c] for c in data.context1],
            context2=[[fn(t) for t in c] for c in data.context2],
        )

    @classmethod
    def paired_test(
        cls, items_a: dict[str, np.ndarray], items_b: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any] | None:
        if "correct" in items_a:  # binary (WiC): per-item correctness on test
            return accuracy_test(items_a, items_b, n_boot=n_boot, seed=seed)
        return correlation_test(items_a, items_b, n_boot=n_boot, seed=seed)
