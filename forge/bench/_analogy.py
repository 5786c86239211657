"""Word analogy ``a:b :: c:?`` with 3CosAdd and 3CosMul, batched.

Protocol (gensim's ``evaluate_word_analogies``): a question is covered when
a, b, c and an accepted answer are among the first ``restrict_vocab``
vocabulary words (after case folding when ``case_insensitive``; the most
frequent case variant's vector is used). Candidates are the first
``restrict_vocab`` words minus the three question words (all their case
variants). The prediction is correct when it is an accepted answer (case
folded). ``accuracy_<method>`` is over covered questions (gensim's score),
``accuracy_all_<method>`` counts uncovered questions as wrong (gensim's
``dummy4unknown=True``); per-section accuracies have the section name in
the ``section`` column.

* 3CosAdd: ``argmax_x cos(x, b - a + c)`` over unit vectors (Mikolov).
* 3CosMul: ``argmax_x cos'(x,b) cos'(x,c) / (cos'(x,a) + 1e-3)`` with
  ``cos' = (1 + cos) / 2`` (Levy & Goldberg 2014, their epsilon).

Scores for a batch of questions come from one matrix product
``(batch, dim) @ (dim, vocab)``: numpy on the CPU, torch on a CUDA device
when one is present (``device="auto"``).
"""

from __future__ import annotations

import glob
import os
import sys
from typing import Any

import numpy as np
import scipy.sparse as sp

from forge.bench._analogy_kernel import solve_analogies  # exact, grouped by (a, b) pair
from forge.bench._parsers import AnalogySet
from forge.bench._result import TaskResult, metric_row
from forge.bench._stats import wilson_ci
from forge.bench._vectors import VectorView, fold
from forge.errors import BadInputError, DeviceError

__all__ = ["METHODS", "evaluate_analogy"]

METHODS = ("3cosadd", "3cosmul")
_EPS = 1e-3


class _Backend:
    """Matrix products and argmax on numpy or torch (CUDA)."""

    def __init__(self, unit, device: str):
        self.torch = None
        self.W: Any  # (vocab, dim): a torch tensor on the CUDA device, else the numpy or SciPy unit rows
        if device not in ("auto", "cpu", "cuda"):
            raise BadInputError(f"device={device!r} is not valid; choose 'auto', 'cpu' or 'cuda'.")
        if not sp.issparse(unit) and (device == "cuda" or (device == "auto" and _cuda_possible())):
            try:
                import torch  # lazy: torch is optional: import forge never loads it

                if torch.cuda.is_available():
                    self.torch = torch
                    self.W = torch.as_tensor(unit, device="cuda")  # (vocab, dim)
            except ImportError:
                pass
            if device == "cuda" and self.torch is None:
                raise DeviceError(
                    "device='cuda' was asked for analogies but no CUDA device is available; use device='auto' or 'cpu'."
                )
        if self.torch is None:
            self.W = unit

    def scores(self, idx: np.ndarray):
        """Cosines of every candidate with each row in ``idx``: (len(idx), vocab)."""
        if self.torch is not None:
            t = self.torch.as_tensor(idx, device="cuda")
            return self.W[t] @ self.W.T
        out = self.W[idx] @ self.W.T
        return out.toarray() if sp.issparse(out) else out

    def query_scores(self, ia, ib, ic):
        if self.torch is not None:
            t = [self.torch.as_tensor(x, device="cuda") for x in (ia, ib, ic)]
            return (self.W[t[1]] - self.W[t[0]] + self.W[t[2]]) @ self.W.T
        q = self.W[ib] - self.W[ia] + self.W[ic]  # (batch, dim)
        out = q @ self.W.T  # (batch, vocab)
        return out.toarray() if sp.issparse(out) else np.asarray(out)

    def finish(self, scores, banned_rows, banned_cols) -> np.ndarray:
        """Ban (row, col) pairs, return the argmax column per row."""
        if self.torch is not None:
            r = self.torch.as_tensor(banned_rows, device="cuda")
            c = self.torch.as_tensor(banned_cols, device="cuda")
            scores[r, c] = -float("inf")
            return scores.argmax(dim=1).cpu().numpy()
        scores[banned_rows, banned_cols] = -np.inf
        return scores.argmax(axis=1)


def _cuda_possible() -> bool:
    """Whether ``device="auto"`` should import torch to ask for CUDA: torch is imported already, or an NVIDIA
    driver is present (or the platform has no /dev to tell). Importing torch only to learn that a CPU machine
    has no GPU cost 3.3 s, most of the first forge.bench.run call in a new process."""
    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return True
    return os.path.exists("/proc/driver/nvidia/version") or bool(glob.glob("/dev/nvidia[0-9]*"))


def evaluate_analogy(
    view: VectorView,
    questions: AnalogySet,
    methods: tuple[str, ...] = METHODS,
    batch_size: int | None = None,
    device: str = "auto",
    progress=None,
) -> TaskResult:
    """Answer every analogy question with each method in ``methods`` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from forge.bench._parsers import AnalogySet
    >>> words = ["man", "woman", "king", "queen", "apple"]
    >>> vecs = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, -1]], dtype=np.float32)
    >>> qs = AnalogySet(["man"], ["woman"], ["king"], [("queen",)], ["royals"])
    >>> res = evaluate_analogy(VectorView((words, vecs)), qs, device="cpu")
    >>> res.main()["metric"], res.main()["value"]
    ('accuracy_3cosadd', 1.0)
    """
    for m in methods:
        if m not in METHODS:
            raise BadInputError(f"Unknown analogy method {m!r}; choose from {METHODS}.")
    if not methods:
        raise BadInputError("methods is empty; give at least one of " + ", ".join(METHODS) + ".")
    n = len(questions)
    view.screen()  # words with NaN/inf vectors are out of vocabulary and never a candidate
    # questions reuse few words (19,544 Google questions, ~900 words): look each up once
    words = list(dict.fromkeys([*questions.a, *questions.b, *questions.c]))
    row_of = dict(zip(words, view.lookups(words).tolist()))
    ia, ib, ic = (np.array([row_of[w] for w in col], dtype=np.int64) for col in (questions.a, questions.b, questions.c))
    groups_of: dict[Any, set[int]] = {}
    answer_groups = []
    for ans in questions.answers:
        key = tuple(ans)
        if key not in groups_of:
            folded = {fold(w) if view.case_insensitive else w for w in ans}
            groups_of[key] = {view.index[g] for g in folded if g in view.index}
        answer_groups.append(groups_of[key])
    covered = (ia >= 0) & (ib >= 0) & (ic >= 0) & np.array([bool(g) for g in answer_groups], dtype=bool)
    cov_idx = np.flatnonzero(covered)
    correct = {m: np.full(n, np.nan) for m in methods}
    if len(cov_idx):
        unit = view.unit()[: view.restrict]
        backend = _Backend(unit, device)
        qa, qb, qc = ia[cov_idx], ib[cov_idx], ic[cov_idx]
        n_unique = len(np.unique(np.concatenate([qa, qb, qc])))
        if backend.torch is None and not sp.issparse(unit) and 2 * n_unique < len(cov_idx):
            rows, cols = _banned(view, qa, qb, qc, np.flatnonzero(view.group < 0))
            best = {
                m: solve_analogies(
                    unit, qa, qb, qc, rows, cols, method=m, runner_up=False, progress=progress if j == 0 else None
                )[0]
                for j, m in enumerate(methods)
            }
        elif backend.torch is not None:  # CUDA, in true fp32 (no TF32); same arithmetic and ties as the CPU kernel
            from forge.bench._analogy_cuda import (  # lazy: torch is optional: the CUDA path only when a CUDA device is asked for
                cuda_fp32,
                solve_analogies_torch,
            )

            rows, cols = _banned(view, qa, qb, qc, np.flatnonzero(view.group < 0))
            with cuda_fp32():
                best = {m: solve_analogies_torch(backend.W, qa, qb, qc, rows, cols, method=m)[0] for m in methods}
            if progress is not None:
                progress.update(len(qa))
        else:
            best = _solve_batched(view, backend, qa, qb, qc, methods, batch_size, progress)
        for m in methods:
            groups = view.group[best[m]]
            correct[m][cov_idx] = [g in answer_groups[k] for g, k in zip(groups, cov_idx)]
    rows_out = []
    sections = list(dict.fromkeys(questions.sections))
    sec_arr = np.array(questions.sections, dtype=object)
    code_of = {s: i for i, s in enumerate(sections)}
    sec_code = np.array([code_of[s] for s in questions.sections], dtype=np.int64)  # int compares, not object ones
    for j, m in enumerate(methods):
        c = correct[m]
        k, used = int(np.nansum(c)), int(covered.sum())
        acc = k / used if used else float("nan")
        rows_out.append(metric_row(f"accuracy_{m}", acc, wilson_ci(k, used), used, main=(j == 0)))
        rows_out.append(metric_row(f"accuracy_all_{m}", k / n if n else float("nan"), wilson_ci(k, n), n))
        for s in sections:
            mask = (sec_code == code_of[s]) & covered
            ks, ns = int(np.nansum(c[mask])), int(mask.sum())
            rows_out.append(
                metric_row(f"accuracy_{m}", ks / ns if ns else float("nan"), wilson_ci(ks, ns), ns, section=s)
            )
    items = {f"correct_{m}": correct[m] for m in methods}
    return TaskResult(rows_out, items, n, int(covered.sum()), _nan_notes(questions, covered, sections, sec_arr))


def _nan_notes(questions: AnalogySet, covered: np.ndarray, sections: list, sec_arr: np.ndarray) -> list[str]:
    """Say why accuracies are NaN: no question at all, none covered, or sections without a covered question."""
    if not len(questions):
        return ["the dataset has no analogy question, so the accuracies are NaN"]
    if not covered.any():
        return ["no question is covered by the vocabulary, so the accuracies are NaN"]
    present = set(sec_arr[covered])
    empty = [s for s in sections if s not in present]
    if not empty:
        return []
    return [
        f"{len(empty)} section(s) have no covered question and a NaN accuracy: "
        + ", ".join(map(str, empty[:10]))
        + (" ..." if len(empty) > 10 else "")
    ]


def _solve_batched(
    view: VectorView,
    backend: _Backend,
    ia: np.ndarray,
    ib: np.ndarray,
    ic: np.ndarray,
    methods: tuple[str, ...],
    batch_size: int | None,
    progress,
) -> dict[str, np.ndarray]:
    """One (batch, dim) @ (dim, vocab) product per batch of questions (GPU, sparse, or few repeats)."""
    R = view.restrict
    bs = batch_size or max(1, min(4096, (32 << 20) // max(R, 1)))  # ~128 MB of float32 scores
    always = np.flatnonzero(view.group < 0)
    best = {m: np.zeros(len(ia), dtype=np.int64) for m in methods}
    for start in range(0, len(ia), bs):
        q = slice(start, start + bs)
        rows, cols = _banned(view, ia[q], ib[q], ic[q], always)
        for m in methods:
            if m == "3cosadd":
                scores = backend.query_scores(ia[q], ib[q], ic[q])
            else:  # in place: at most two (batch, vocab) arrays alive
                scores = backend.scores(ib[q])
                scores += 1
                scores *= 0.5
                tmp = backend.scores(ic[q])
                tmp += 1
                tmp *= 0.5
                scores *= tmp
                tmp = backend.scores(ia[q])
                tmp += 1
                tmp *= 0.5
                tmp += _EPS
                scores /= tmp
                del tmp
            best[m][q] = backend.finish(scores, rows, cols)
        if progress is not None:
            progress.update(len(ia[q]))
    return best


def _banned(
    view: VectorView, ia: np.ndarray, ib: np.ndarray, ic: np.ndarray, always: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row-in-batch, column) pairs to exclude: the question words with all their case variants,
    plus columns that are never candidates (special tokens)."""
    b = len(ia)
    rows = [np.repeat(np.arange(b), 3), np.repeat(np.arange(b), len(always))]
    cols = [np.stack([ia, ib, ic], axis=1).ravel(), np.tile(always, b)]
    if view.variants:
        for k in range(b):
            for g in {int(ia[k]), int(ib[k]), int(ic[k])}:
                extra = view.variants.get(g)
                if extra is not None:
                    rows.append(np.full(len(extra), k))
                    cols.append(extra)
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
