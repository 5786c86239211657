"""The suite runs anywhere (issue 19): `pytest -n auto` with pytest-benchmark installed or not."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import pytest
from _pytest.config import parse_warning_filter

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"

# what pytest-benchmark says under xdist: 4.x at start-up, 5.x at the end when a benchmark test was found
XDIST_MESSAGES = [
    "Benchmarks are automatically disabled because xdist plugin is active.Benchmarks cannot be performed "
    "reliably in a parallelized environment.",
    "Benchmarks are automatically disabled because xdist plugin is active. Benchmarks cannot be performed "
    "reliably in a parallelized environment.",
]


def _apply_ini_filters() -> None:
    """Install the [tool.pytest.ini_options] filterwarnings in order, as pytest does (later ones win)."""
    lines = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["filterwarnings"]
    for line in lines:
        warnings.filterwarnings(*parse_warning_filter(line, escape=False))


class FakeBenchmarkWarning(pytest.PytestWarning):
    """Stands for pytest_benchmark.logger.PytestBenchmarkWarning (a PytestWarning), installed or not."""


@pytest.mark.parametrize("message", XDIST_MESSAGES)
def test_the_xdist_warning_of_pytest_benchmark_is_not_an_error(message):
    with warnings.catch_warnings():
        _apply_ini_filters()
        warnings.warn(FakeBenchmarkWarning(message), stacklevel=1)  # ignored: no exception


def test_other_warnings_stay_errors():
    with warnings.catch_warnings():
        _apply_ini_filters()
        with pytest.raises(FakeBenchmarkWarning):
            warnings.warn(FakeBenchmarkWarning("Benchmark machine info changed"), stacklevel=1)
