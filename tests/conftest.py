"""Shared fixtures. Tests that need the real datasets use ``data_dir`` and skip without it."""

from __future__ import annotations

import os
from pathlib import Path

# One BLAS/OpenMP thread: on a busy 2-core machine torch's default of 2 threads ran the recurrent
# tests 6-10x slower. Set before anything imports torch; an explicit setting wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep forge's cache (e.g. the tokenised gensim-default corpus) inside the test session."""
    if "FORGE_CACHE_DIR" not in os.environ:
        os.environ["FORGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("forge-cache"))
    return


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (FORGE_DATA_DIR, e.g. ../shared/datasets); skips when absent."""
    value = os.environ.get("FORGE_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("needs the real datasets: set FORGE_DATA_DIR (e.g. to ../shared/datasets)")
    return Path(value)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/data: tiny files authored for the tests."""
    return DATA
