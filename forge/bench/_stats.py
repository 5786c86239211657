"""Confidence intervals and paired comparisons (pure functions).

* Correlations: Fisher-z intervals (Pearson: variance ``1/(n-3)``; Spearman:
  Bonett & Wright's ``(1 + r^2/2)/(n-3)``) or a percentile bootstrap.
* Accuracies: Wilson score intervals.
* Two encoders on the same items: a paired bootstrap of the difference of
  correlations and Williams' t-test for dependent correlations (Steiger 1980,
  eq. 7), McNemar's exact test for accuracies.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

__all__ = [
    "bootstrap_ci",
    "correlation_note",
    "fisher_ci",
    "mcnemar",
    "paired_bootstrap",
    "pearson",
    "spearman",
    "williams_test",
    "wilson_ci",
]


def _constant(x: np.ndarray) -> bool:
    """All values equal to within float precision (e.g. float32 cosines 1.0 and 0.99999994): a
    correlation with such a variable ranks rounding noise, so it is undefined (NaN)."""
    x = np.asarray(x, dtype=np.float64)
    return bool(np.ptp(x) <= 1e-6 * max(1.0, float(np.max(np.abs(x))))) if np.all(np.isfinite(x)) else False


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or _constant(x) or _constant(y):
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or _constant(x) or _constant(y):
        return float("nan")
    return float(stats.pearsonr(x, y).statistic)


def correlation_note(gold: np.ndarray, model: np.ndarray) -> str | None:
    """Why a correlation of ``gold`` and ``model`` is undefined (NaN), or None when it is defined.

    Examples
    --------
    >>> import numpy as np
    >>> correlation_note(np.array([3.0]), np.array([0.5]))
    'only 1 item is scored; a correlation needs at least 2'
    >>> correlation_note(np.array([1.0, 2.0]), np.array([0.1, 0.3])) is None
    True
    """
    n = len(gold)
    if n == 0:
        return "no item is scored (coverage 0), so the correlations are NaN"
    if n < 2:
        return f"only {n} item is scored; a correlation needs at least 2"
    if not (np.all(np.isfinite(gold)) and np.all(np.isfinite(model))):
        return "some scored items have a non-finite gold score or prediction, so the correlations are NaN"
    if _constant(gold):
        return f"all {n} scored items have the same gold score ({gold[0]:g}); a correlation is undefined (NaN)"
    if _constant(model):
        return (
            f"the encoder gives all {n} scored items the same similarity ({model[0]:g}, to within float "
            f"precision); a correlation is undefined (NaN)"
        )
    return None


def fisher_ci(r: float, n: int, level: float = 0.95, method: str = "pearson") -> tuple[float, float]:
    """Fisher-z interval for a correlation ``r`` on ``n`` items.

    Examples
    --------
    >>> lo, hi = fisher_ci(0.5, 100)
    >>> round(lo, 3), round(hi, 3)
    (0.337, 0.634)
    """
    if not np.isfinite(r) or n <= 3:
        return float("nan"), float("nan")
    r = float(np.clip(r, -0.999999, 0.999999))
    var = (1 + r * r / 2) / (n - 3) if method == "spearman" else 1 / (n - 3)
    z, half = np.arctanh(r), stats.norm.ppf(0.5 + level / 2) * np.sqrt(var)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def bootstrap_ci(
    x: np.ndarray,
    y: np.ndarray,
    stat: Callable[[np.ndarray, np.ndarray], float],
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(x, y)`` resampling items."""
    if len(x) < 4:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    vals = np.array([stat(x[i], y[i]) for i in idx])
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def wilson_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n``.

    Examples
    --------
    >>> [round(v, 3) for v in wilson_ci(8, 10)]
    [0.49, 0.943]
    """
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def williams_test(r12: float, r13: float, r23: float, n: int) -> float:
    """Two-sided p-value of Williams' t for H0: r12 == r13 (variable 1 = gold, shared).

    r12, r13: correlations of the gold scores with encoders A and B; r23:
    correlation between A's and B's scores, all on the same ``n`` items.
    """
    if n <= 3 or not all(np.isfinite([r12, r13, r23])):
        return float("nan")
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    rbar = (r12 + r13) / 2
    denom = 2 * (n - 1) / (n - 3) * det + rbar**2 * (1 - r23) ** 3
    if denom <= 0:
        return float("nan")
    t = (r12 - r13) * np.sqrt((n - 1) * (1 + r23) / denom)
    return float(2 * stats.t.sf(abs(t), n - 3))


def paired_bootstrap(
    gold: np.ndarray, a: np.ndarray, b: np.ndarray, stat: Callable = spearman, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float, float, float]:
    """``(diff, ci_low, ci_high, p)`` for ``stat(gold, a) - stat(gold, b)`` resampling items jointly.

    p is the two-sided bootstrap p-value (share of resampled differences on
    the other side of zero, doubled).
    """
    diff = stat(gold, a) - stat(gold, b)
    if len(gold) < 4:
        return diff, float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(gold), size=(n_boot, len(gold)))
    d = np.array([stat(gold[i], a[i]) - stat(gold[i], b[i]) for i in idx])
    d = d[np.isfinite(d)]
    if not len(d):
        return diff, float("nan"), float("nan"), float("nan")
    p = min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))
    return float(diff), float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975)), float(p)


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int, float]:
    """``(a_only, b_only, p)``: exact two-sided McNemar test on paired right/wrong outcomes.

    With no paired item at all there is nothing to test: p is NaN (not 1.0). With paired items but
    no discordant pair, p is 1.0 (the two encoders agree on every item).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1, 1, 1, 1, 1, 1, 0, 0], bool); b = np.array([0, 0, 0, 0, 0, 0, 0, 0], bool)
    >>> mcnemar(a, b)[:2], round(mcnemar(a, b)[2], 4)
    ((6, 0), 0.0312)
    >>> mcnemar(np.array([], bool), np.array([], bool))
    (0, 0, nan)
    """
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.size == 0:
        return 0, 0, float("nan")
    n01, n10 = int(np.sum(a & ~b)), int(np.sum(~a & b))
    if n01 + n10 == 0:
        return n01, n10, 1.0
    p = stats.binomtest(min(n01, n10), n01 + n10, 0.5).pvalue
    return n01, n10, float(min(1.0, p))
