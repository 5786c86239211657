"""Shared fixtures. Tests that need the real datasets use ``data_dir`` and skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep forge's cache (e.g. the tokenised gensim-default corpus) inside the test session."""
    if "FORGE_CACHE_DIR" not in os.environ:
        os.environ["FORGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("forge-cache"))
    yield


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
