"""Dependency rules of forge's modules, read from the source (AST), imports inside functions included:
no module imports a private module or name of another subpackage, and no two modules import each other,
directly or through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import forge

FORGE = Path(forge.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(FORGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(FORGE.rglob("*.py"))}


def _package(name: str) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to the package itself)."""
    return name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]


def _imported(name: str) -> list[tuple[str, int]]:
    """Every forge name a module imports, dotted in full (``forge.bench._stats.wilson_ci``), with its line."""
    out = []
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                pkg = _package(name).split(".")
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            if base == "forge" or base.startswith("forge."):
                out += [(f"{base}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name == "forge" or a.name.startswith("forge.")]
    return out


def _module_of(dotted: str) -> str | None:
    """The longest prefix of ``dotted`` that is a forge module."""
    while dotted not in MODULES and "." in dotted:
        dotted = dotted.rsplit(".", 1)[0]
    return dotted if dotted in MODULES else None


def _private_owner(dotted: str) -> str | None:
    """The package or module that owns the first private part of ``dotted`` (``forge.bench`` for
    ``forge.bench._stats.wilson_ci``), or None when every part is public."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join(parts[:i])
    return None


def _violations(name: str) -> list[str]:
    """Private modules or names of another (sub)package that module ``name`` imports."""
    bad = []
    for dotted, line in _imported(name):
        owner = _private_owner(dotted)
        if owner is None:
            continue
        inside = _package(name) == owner or _package(name).startswith(owner + ".") or name == owner
        if not inside:
            bad.append(f"{MODULES[name].relative_to(FORGE.parent)}:{line} imports {dotted}")
    return bad


def test_the_rule_reads_imports_as_intended():
    assert _private_owner("forge.bench._stats.wilson_ci") == "forge.bench"
    assert _private_owner("forge.cli._load_corpus") == "forge.cli"
    assert _private_owner("forge.bench.wilson_ci") is None
    assert _private_owner("forge.__version__") is None
    assert "forge.lab._probe.get_probe" in {d for d, _ in _imported("forge.lab._report")}
    assert _module_of("forge.bench._stats.wilson_ci") == "forge.bench._stats"
    assert _package("forge.lab") == "forge.lab" and _package("forge.lab._run") == "forge.lab"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_private_module_of_another_subpackage(name):
    """A subpackage uses another only through its public names (its ``__init__``/``__all__``); the core's own
    private modules (``forge._persist``...) are shared by every subpackage, which all sit inside ``forge``."""
    bad = _violations(name)
    assert not bad, "import the public name instead (export it in its subpackage's __init__):\n" + "\n".join(bad)


def test_no_import_cycle_between_forge_modules():
    """Tarjan's strongly connected components over every import, at the top or inside functions (an import
    inside a function still ties the two modules together). A package's ``__init__`` importing its own
    modules is not an edge back from them: importing ``forge.lab._run`` runs ``forge.lab`` first by design."""
    graph = {
        name: {m for d, _ in _imported(name) if (m := _module_of(d)) is not None and m != name} for name in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    detail = [f"{c}: " + "; ".join(f"{v} -> {sorted(graph[v] & set(c))}" for v in c) for c in cycles]
    assert not cycles, "import cycles:\n" + "\n".join(detail)
    assert len(graph) > 60  # every module was read


def test_a_probe_reports_through_its_own_record():
    """What the lab report shows of a claim (table, summary, remark) comes from the probe, not from the report."""
    from forge.lab import _report, get_probe, list_probes

    source = Path(_report.__file__).read_text(encoding="utf-8")
    for name in list_probes():
        assert f'"{name}"' not in source, f"the lab report names {name}: put what it shows in the probe"
        probe = get_probe(name)
        assert probe.columns and probe.summarize is not None, name
