"""Habits that keep the project honest: the pre-commit hooks run what CI runs, with the pinned tools, and
ARCHITECTURE.md names the layers the dependency test enforces."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pre_commit_hooks_run_what_ci_runs_with_the_pinned_tools():
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    entries = re.findall(r"^\s+entry: (.+)$", config, re.M)
    assert [e.split(" --force-exclude")[0] for e in entries] == ["ruff check", "ruff format --check", "mypy"]
    for entry in entries:
        assert f".venv/bin/{entry.split(' --force-exclude')[0]}" in ci.replace(" .\n", "\n"), entry
    assert re.findall(r"^\s+language: (\w+)$", config, re.M) == ["system"] * 3  # the tools of the lint extra
    pins = dict(re.findall(r'"(ruff|mypy)==([\d.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")))
    assert set(pins) == {"ruff", "mypy"}
    for tool, version in pins.items():
        assert f"{tool}=={version}" in config, f"the pre-commit config names another {tool} than the lint extra pins"


def test_architecture_names_the_layers_the_dependency_test_enforces():
    from test_dependencies import LAYERS

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 120  # one page
    for name in LAYERS:
        assert name in text, name
    for module in ("forge._catalogue", "forge._registry", "forge.encoders", "forge.bench", "forge.lab", "forge.cli"):
        assert f"`{module}" in text, module


def test_the_dataset_catalogue_is_data():
    """The built-in datasets are records (literals only) apart from the code that loads them."""
    import ast

    from forge.bench import _catalogue_data, list_datasets

    tree = ast.parse(Path(_catalogue_data.__file__).read_text(encoding="utf-8"))
    assigns = [n for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)]
    code = [
        n for n in tree.body if not isinstance(n, ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom | ast.Expr)
    ]
    assert not code and len(assigns) == 1
    records = ast.literal_eval(assigns[0].value)  # raises on anything but a literal
    assert records == _catalogue_data.RECORDS
    assert {r["name"] for r in records} <= set(list_datasets()) and len(records) > 30
