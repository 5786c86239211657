"""The numba analogy kernels are cached on disk across processes (issue 20, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

numba = pytest.importorskip("numba")

from forge.bench import _analogy_numba  # noqa: E402


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
    assert numba.config.CACHE_DIR == str(tmp_path / "numba")


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
