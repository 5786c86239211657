"""docs/tutorial.ipynb runs (quick setting), and its Chinese edition has the same code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _code(name: str) -> list[str]:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(DOCS / name, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_both_editions_share_the_code_and_are_built_from_the_generator():
    nbformat = pytest.importorskip("nbformat")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_tutorial", DOCS / "make_tutorial.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert _code("tutorial.ipynb") == _code("tutorial.zh.ipynb") == [c[2] for c in make.CELLS]
    for lang, name in ((0, "tutorial.ipynb"), (1, "tutorial.zh.ipynb")):
        on_disk = nbformat.read(DOCS / name, as_version=4)
        assert [c.source for c in on_disk.cells] == [c.source for c in make.build(lang).cells], (
            f"docs/{name} is out of date: run python docs/make_tutorial.py"
        )


@pytest.mark.slow
def test_tutorial_runs_in_the_quick_setting(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("torch")
    nb = nbformat.read(DOCS / "tutorial.ipynb", as_version=4)
    env = {"FORGE_TUTORIAL_QUICK": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = nbclient.NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Claim 1: SUPPORTED" in text and "Claim 7:" in text and "Claim 9:" in text and "quick setting" in text
    assert text.count("Reading:") >= 2  # the attention maps and the positional encodings, each read in one line
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 7  # the figures are inline
