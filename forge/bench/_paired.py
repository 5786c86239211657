"""Paired tests of two encoders on the same items; a task kind names the one that fits its scores.

Each test takes the per-item outputs (``Report.items[(encoder, dataset)]``)
of encoders ``a`` and ``b`` and returns one row of :meth:`Report.compare`
(without ``dataset``, ``kind`` and ``note``), or None when the items hold
nothing it can test.

* :func:`correlation_test`: graded items (``gold``, ``pred``): Spearman of
  each on the items both cover, paired bootstrap of the difference (95% CI)
  and Williams' test p-value.
* :func:`accuracy_test`: per-item correctness (``correct_<method>`` or
  ``correct``): McNemar's exact test on the items both cover.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forge.bench import _stats

__all__ = ["COMPARE_COLUMNS", "accuracy_test", "correlation_test"]

COMPARE_COLUMNS = [
    "dataset",
    "kind",
    "metric",
    "a",
    "b",
    "diff",
    "ci_low",
    "ci_high",
    "test",
    "p_value",
    "p_bootstrap",
    "n",
    "note",
]


def correlation_test(
    ia: dict[str, np.ndarray], ib: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any] | None:
    """Williams' test and a paired bootstrap of the Spearman difference (items ``gold`` and ``pred``)."""
    if "pred" not in ia or "pred" not in ib or "gold" not in ia:
        return None
    gold = ia["gold"]
    both = np.isfinite(ia["pred"]) & np.isfinite(ib["pred"])
    g, pa, pb = gold[both], ia["pred"][both], ib["pred"][both]
    diff, lo, hi, p_boot = _stats.paired_bootstrap(g, pa, pb, _stats.spearman, n_boot, seed)
    r12, r13 = _stats.spearman(g, pa), _stats.spearman(g, pb)
    p_w = _stats.williams_test(r12, r13, _stats.spearman(pa, pb), int(both.sum()))
    return {
        "metric": "spearman",
        "a": r12,
        "b": r13,
        "diff": diff,
        "ci_low": lo,
        "ci_high": hi,
        "test": "Williams",
        "p_value": p_w,
        "p_bootstrap": p_boot,
        "n": int(both.sum()),
    }


def accuracy_test(
    ia: dict[str, np.ndarray], ib: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any] | None:
    """McNemar's exact test on the first ``correct*`` item array (``diff`` = accuracy difference)."""
    key = next((k for k in ia if k.startswith("correct")), None)
    if key is None or key not in ib:
        return None
    both = np.isfinite(ia[key]) & np.isfinite(ib[key])
    ca, cb = ia[key][both].astype(bool), ib[key][both].astype(bool)
    a_only, b_only, p = _stats.mcnemar(ca, cb)
    acc_a = float(ca.mean()) if both.any() else float("nan")
    acc_b = float(cb.mean()) if both.any() else float("nan")
    return {
        "metric": key.replace("correct", "accuracy") if key != "correct" else "accuracy_test",
        "a": acc_a,
        "b": acc_b,
        "diff": acc_a - acc_b,
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "test": f"McNemar ({a_only} vs {b_only} discordant)",
        "p_value": p,
        "p_bootstrap": float("nan"),
        "n": int(both.sum()),
    }
