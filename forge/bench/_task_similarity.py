"""The word-similarity task kind: graded word pairs scored by cosine (see :mod:`forge.bench._similarity`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from forge.bench._paired import correlation_test
from forge.bench._parsers import WordPairs
from forge.bench._result import TaskResult
from forge.bench._similarity import evaluate_similarity
from forge.bench._tasks import DatasetTask, RunOptions
from forge.bench._vectors import VectorView

__all__ = ["SimilarityTask"]


class SimilarityTask(DatasetTask):
    """Spearman (main) and Pearson of human scores and cosines; compared with Williams' test."""

    kind = "similarity"
    main_score = "spearman"

    def evaluate(
        self,
        view: VectorView,
        data: WordPairs,
        options: RunOptions,
        *,
        subset: np.ndarray | None = None,
        progress: Any = None,
    ) -> TaskResult:
        res = evaluate_similarity(
            view, data, oov=options.oov, subset=subset, ci=options.ci, n_boot=options.n_boot, seed=options.seed
        )
        if progress is not None:
            progress.update(len(data))
        return res

    def common_subset(self, data: WordPairs, views: dict[str, VectorView]) -> np.ndarray | None:
        for v in views.values():
            v.screen()
        masks = [(v.lookups(data.word1) >= 0) & (v.lookups(data.word2) >= 0) for v in views.values()]
        return np.logical_and.reduce(masks)

    @staticmethod
    def transform(data: WordPairs, fn: Any) -> WordPairs:
        return replace(data, word1=[fn(w) for w in data.word1], word2=[fn(w) for w in data.word2])

    @classmethod
    def paired_test(
        cls, items_a: dict[str, np.ndarray], items_b: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any] | None:
        return correlation_test(items_a, items_b, n_boot=n_boot, seed=seed)
