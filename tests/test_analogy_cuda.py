"""Analogies on a torch device (issue 19): the CPU kernel's answers and tie rule, in true fp32.

The kernel runs on CPU tensors here (its arithmetic and tie rule); the CUDA tests (skipped without a
CUDA device) check `evaluate_analogy(device="cuda")` against the CPU path on Google-sized word reuse.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from forge.bench._analogy import evaluate_analogy
from forge.bench._analogy_cuda import cuda_fp32, solve_analogies_torch
from forge.bench._analogy_kernel import solve_analogies
from forge.bench._parsers import AnalogySet
from forge.bench._vectors import VectorView


def _unit(vocab: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(vocab, dim)).astype(np.float32)
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    W[vocab // 2] = W[vocab // 2 + 1]  # an exact tie: the lower row must win
    return W


def _questions(n: int, words: int, seed: int = 1) -> np.ndarray:
    """(n, 4) rows of a, b, c, answer drawn from the first ``words`` rows (few words, reused: like Google's)."""
    return np.random.default_rng(seed).integers(0, words, size=(n, 4))


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_torch_kernel_gives_the_cpu_kernels_answers(method):
    W = _unit(2000, 16)
    q = _questions(3000, 80)
    rows, cols = np.repeat(np.arange(len(q)), 3), q[:, :3].ravel()
    want, top1, _ = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols, method=method, use_numba=False)
    # small chunks and blocks: the running best is merged across chunks and blocks
    got, score = solve_analogies_torch(torch.from_numpy(W), q[:, 0], q[:, 1], q[:, 2], rows, cols, method, 300, 700)
    assert np.array_equal(got, want)
    assert np.array_equal(score, top1)
    assert not (got[:, None] == q[:, :3]).any()  # a question's own words are never its answer


def test_exact_ties_go_to_the_lowest_row_across_chunks():
    W = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 3, 3]]  # rows 3, 4, 5 identical
    a, b, c = np.array([0]), np.array([1]), np.array([2])
    rows, cols = np.zeros(3, dtype=np.int64), np.array([0, 1, 2])
    for chunk in (1, 2, 4, None):
        best, _ = solve_analogies_torch(torch.from_numpy(W), a, b, c, rows, cols, chunk=chunk)
        assert best[0] == 3


def test_cuda_fp32_turns_tf32_off_and_restores_the_settings():
    before = (torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision())
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        with cuda_fp32():
            assert torch.backends.cuda.matmul.allow_tf32 is False and torch.backends.cudnn.allow_tf32 is False
            assert torch.get_float32_matmul_precision() == "highest"
        assert torch.backends.cuda.matmul.allow_tf32 is True
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before[0]
        torch.set_float32_matmul_precision(before[1])


def _analogy_set(words: list[str], q: np.ndarray) -> AnalogySet:
    return AnalogySet(
        [words[i] for i in q[:, 0]],
        [words[i] for i in q[:, 1]],
        [words[i] for i in q[:, 2]],
        [(words[i],) for i in q[:, 3]],
        ["s"] * len(q),
    )


@pytest.mark.cuda
@pytest.mark.parametrize("tf32_before", [False, True])
def test_cuda_analogies_equal_the_cpu_path_in_true_fp32(tf32_before):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    vocab, dim = 30000, 64
    W = _unit(vocab, dim)
    words = [f"w{i}" for i in range(vocab)]
    q = _questions(6000, 300)
    qs = _analogy_set(words, q)
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32_before  # a program that allowed TF32 gets fp32 answers anyway
    try:
        cpu = evaluate_analogy(VectorView((words, W)), qs, device="cpu")
        gpu = evaluate_analogy(VectorView((words, W)), qs, device="cuda")
        assert torch.backends.cuda.matmul.allow_tf32 is tf32_before  # restored
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved
    # near-ties (best two within 1e-5 on the CPU) may go either way: cuBLAS sums the dot products in another order
    rows, cols = np.repeat(np.arange(len(q)), 3), q[:, :3].ravel()
    for method in ("3cosadd", "3cosmul"):
        _, top1, top2 = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols, method=method, use_numba=False)
        near = (top1 - top2) < 1e-5
        key = f"correct_{method}"
        differ = np.flatnonzero(cpu.items[key] != gpu.items[key])
        assert np.all(near[differ]), f"{method}: {len(differ)} answers differ, not all near-ties"
        assert near.mean() < 0.01
    for cr, gr in zip(cpu.rows, gpu.rows):
        assert cr["metric"] == gr["metric"]


@pytest.mark.cuda
def test_cuda_kernel_equals_cpu_kernel_answer_by_answer():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    W = _unit(50000, 300)
    q = _questions(8000, 900)
    rows, cols = np.repeat(np.arange(len(q)), 3), q[:, :3].ravel()
    for method in ("3cosadd", "3cosmul"):
        want, top1, top2 = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols, method=method, use_numba=False)
        with cuda_fp32():
            got, _ = solve_analogies_torch(
                torch.as_tensor(W, device="cuda"), q[:, 0], q[:, 1], q[:, 2], rows, cols, method
            )
        differ = got != want
        assert np.all((top1 - top2)[differ] < 1e-5), f"{method}: {differ.sum()} differ beyond near-ties"
