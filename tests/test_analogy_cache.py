"""The numba analogy kernels are cached on disk across processes (issue 20, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from forge.bench import _analogy_numba


def test_kernels_have_no_closure_so_their_cache_key_is_stable():
    # numba keys a cached function by its closure's values too; a closure over another jitted function
    # (pickled with a per-process id) never matched, so every new process compiled the kernel again
    kernels = _analogy_numba._kernels()
    for name in ("chunk_pass", "product", "divide", "_max"):
        dispatcher = getattr(kernels, name)
        assert dispatcher.py_func.__closure__ is None, name
        assert dispatcher._cache.__class__.__name__ == "FunctionCache", name  # cache=True


def test_cache_goes_under_forge_cache_when_package_folder_is_read_only(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    _analogy_numba._cache_dir()
    assert str(tmp_path / "numba") == numba.config.CACHE_DIR


def test_user_numba_cache_dir_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "unchanged")
    _analogy_numba._cache_dir()
    assert numba.config.CACHE_DIR == "unchanged"


_CALL = """
import numpy as np
from forge.bench._analogy_kernel import solve_analogies
W = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
W /= np.linalg.norm(W, axis=1, keepdims=True)
q = np.arange(6)
best, _, _ = solve_analogies(W, q, q + 1, q + 2, np.repeat(q, 3), np.stack([q, q + 1, q + 2], 1).ravel())
print(best.tolist())
"""


@pytest.mark.slow
def test_second_process_loads_the_kernels_from_the_cache(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_DEBUG_CACHE": "1"}
    runs = [
        subprocess.run([sys.executable, "-c", _CALL], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert "data saved" in runs[0].stdout + runs[0].stderr
    second = runs[1].stdout + runs[1].stderr
    assert "data loaded" in second and "data saved" not in second
    assert runs[0].stdout.splitlines()[-1] == runs[1].stdout.splitlines()[-1]
    assert any(Path(tmp_path).rglob("*.nbc"))


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize("norms", [False, True])
def test_one_parallel_region_equals_one_region_per_chunk_bit_for_bit(monkeypatch, method, norms):
    # one region per call (the default: measured 6x faster on a 2-core machine at load 16, where every
    # per-chunk barrier waited for a descheduled thread) against one region per chunk; tiny chunks, so that
    # both threads take several interleaved chunks and the merge decides exact ties (the duplicated last rows)
    from forge.bench import _analogy_kernel
    from forge.bench._analogy_kernel import solve_analogies

    rng = np.random.default_rng(5)
    W = (rng.integers(-8, 9, (500, 16)) / 16).astype(np.float32)
    W[499] = W[498] = W[3]  # exact ties
    ia, ib, ic = (rng.integers(0, 50, 300) for _ in range(3))
    rows, cols = np.repeat(np.arange(300), 3), np.stack([ia, ib, ic], axis=1).ravel()
    # dyadic values: every product is exact whatever the split; with norms, rows stored doubled and divided by 2
    n = np.full(500, 2.0, dtype=np.float32) if norms else None
    W_in = W * 2 if norms else W
    out = {}
    for one in (True, False):
        monkeypatch.setattr(_analogy_kernel, "_ONE_REGION", one)
        out[one] = solve_analogies(W_in, ia, ib, ic, rows, cols, method=method, chunk=37, use_numba=True, norms=n)
    for x, y in zip(out[True], out[False]):
        np.testing.assert_array_equal(x, y)
