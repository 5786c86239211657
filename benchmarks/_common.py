"""Helpers shared by the benchmark scripts: where results go, and a Markdown table writer."""

from __future__ import annotations

import platform
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


def write(frame: pd.DataFrame, name: str, title: str, notes: str = "") -> Path:
    """Write ``results/<name>.csv`` and ``results/<name>.md`` and print the table."""
    from forge._persist import atomic_file

    RESULTS.mkdir(exist_ok=True)
    with atomic_file(RESULTS / f"{name}.csv", "w") as handle:
        frame.to_csv(handle, index=False)
    text = f"# {title}\n\nMachine: {machine()}\n\n{frame.to_markdown(index=False, floatfmt='.4g')}\n\n{notes}\n"
    with atomic_file(RESULTS / f"{name}.md", "w") as handle:
        handle.write(text)
    print(text)
    return RESULTS / f"{name}.md"
