"""Dependency rules of forge's modules, read from the source (AST): every ``import``, at the top or inside a
function, and every import string (``"forge.bench.cli"``, ``"forge.encoders.onehot:OneHotEncoder"``, the
argument of ``importlib.import_module``) counts as an edge.

1. Direction: the layers are core (``forge._*``, ``forge.errors``, ``forge.vocab``), then corpora and encoders
   (``forge.corpora``, ``forge.encoders``, ``forge.testing``), then ``forge.bench``, then ``forge.lab``, then the
   command line (``forge.cli``, ``forge.__main__``). A module imports only its own layer and the layers below.
   The package ``forge`` itself is the public face: it may import any layer (the higher ones lazily), and to a
   module that imports it, it counts as the corpora/encoders layer (what it imports eagerly).
2. No module imports a private module or name of another subpackage; plugins import only public forge names.
3. No two modules import each other, directly or through others.

A higher layer extends a lower one by registering into it (encoders into the core registry, probes into the
bench's tasks), never the other way round.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import forge

FORGE = Path(forge.__file__).parent
PLUGINS = FORGE.parent / "plugins"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(FORGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(FORGE.rglob("*.py"))}
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}
SOURCES = {name: path.read_text(encoding="utf-8") for name, path in MODULES.items()}

LAYERS = ("core", "corpora and encoders", "bench", "lab", "cli")
_TOP_LAYER = {
    "corpora": 1,
    "encoders": 1,
    "testing": 1,
    "_conformance": 1,
    "_cli_interrupt": 4,
    "bench": 2,
    "lab": 3,
    "cli": 4,
    "__main__": 4,
}
# "forge.bench.cli:main", "forge.encoders.neural.recurrent": a dotted forge name, optionally ":attribute"
_IMPORT_STRING = re.compile(r"forge(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?")


def layer(name: str) -> int:
    """The layer of module ``name`` (an index into :data:`LAYERS`); the package ``forge`` counts as layer 1."""
    if name == "forge":
        return 1
    return _TOP_LAYER.get(name.split(".")[1], 0)


def _package(name: str, packages: set[str] = PACKAGES) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to the package itself)."""
    return name if name in packages else name.rsplit(".", 1)[0]


def _import_strings(node: ast.AST, modules: set[str]) -> list[str]:
    """The import strings in ``node``: ``"module:attr"``, a dotted name of a forge module (not a package: the
    group names of entry points and the loggers are packages' names), and any argument of ``import_module``."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and getattr(sub.func, "attr", getattr(sub.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            out += [a.value for a in sub.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        elif (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and _IMPORT_STRING.fullmatch(sub.value)
            and (":" in sub.value or (sub.value in modules and sub.value not in PACKAGES))
        ):
            out.append(sub.value.replace(":", "."))
    return list(dict.fromkeys(s for s in out if s == "forge" or s.startswith("forge.")))


def _imported(name: str, source: str | None = None, packages: set[str] = PACKAGES) -> list[tuple[str, int]]:
    """Every forge name a module imports, dotted in full (``forge.bench._stats.wilson_ci``), with its line:
    import statements anywhere in the module, and import strings."""
    tree = ast.parse(SOURCES[name] if source is None else source)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                pkg = _package(name, packages).split(".")
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            if base == "forge" or base.startswith("forge."):
                out += [(f"{base}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name == "forge" or a.name.startswith("forge.")]
    strings = _import_strings(tree, set(MODULES))
    lines = {s: n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) for s in [n.value] if s in strings}
    out += [(s, lines.get(s, 0)) for s in strings]
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


def upward_edges(sources: dict[str, str], packages: set[str] = PACKAGES) -> list[str]:
    """Every import (statement or string) in ``sources`` (``{module name: source}``) of a higher layer."""
    bad = []
    for name, source in sources.items():
        if name == "forge":  # the public face: lazily exports every layer
            continue
        for dotted, line in _imported(name, source, packages):
            target = _module_of(dotted)
            if target is not None and layer(target) > layer(name):
                bad.append(
                    f"{name}:{line} ({LAYERS[layer(name)]}) imports {dotted} ({LAYERS[layer(target)]}): "
                    f"move the code down, or let the higher layer register into the lower one"
                )
    return bad


def test_the_rule_reads_imports_as_intended():
    assert _private_owner("forge.bench._stats.wilson_ci") == "forge.bench"
    assert _private_owner("forge.cli._load_corpus") == "forge.cli"
    assert _private_owner("forge.bench.wilson_ci") is None
    assert _private_owner("forge.__version__") is None
    assert "forge.lab._probe.get_probe" in {d for d, _ in _imported("forge.lab._report")}
    assert _module_of("forge.bench._stats.wilson_ci") == "forge.bench._stats"
    assert _package("forge.lab") == "forge.lab" and _package("forge.lab._run") == "forge.lab"
    assert [layer(m) for m in ("forge._persist", "forge.errors", "forge.corpora._named", "forge.encoders.onehot")] == [
        0,
        0,
        1,
        1,
    ]
    assert [layer(m) for m in ("forge.bench._run", "forge.bench.cli", "forge.lab._run", "forge.cli")] == [2, 2, 3, 4]
    # import strings: forge.cli loads the subpackages' commands by name
    assert {"forge.bench.cli", "forge.lab.cli"} <= {d for d, _ in _imported("forge.cli")}


@pytest.mark.parametrize(
    "source",
    [
        "from forge.bench import run",  # at the top
        "def f():\n    import forge.lab\n    return forge.lab",  # inside a function
        "def f():\n    from forge import cli\n    return cli",  # a subpackage through the package
        "TARGET = 'forge.bench.cli:main'",  # an entry-point style string
        "import importlib\nmod = importlib.import_module('forge.lab')",  # a package by import_module
        "MODULES = ['forge.lab.cli']",  # a module named in a list
    ],
)
def test_the_checker_fails_on_an_upward_edge(source):
    """The test of the test: the real modules plus one core module with an upward edge are refused."""
    sources = {**SOURCES, "forge._upward": source}
    bad = upward_edges(sources)
    assert bad and all(b.startswith("forge._upward:") for b in bad), bad


def test_the_checker_accepts_edges_that_point_down():
    sources = {
        "forge.lab._down": "from forge.bench import run\nfrom forge.encoders import OneHotEncoder\nimport forge",
        "forge.corpora._down": "import forge\nLOG = 'forge.corpora'\nfrom forge.errors import BadInputError",
        "forge.encoders._down": "TARGET = 'forge.corpora._named:load'",  # the same layer
    }
    assert upward_edges(sources) == []


def test_every_layer_imports_only_itself_and_the_layers_below():
    bad = upward_edges(SOURCES)
    assert not bad, "imports of a higher layer:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_private_module_of_another_subpackage(name):
    """A subpackage uses another only through its public names (its ``__init__``/``__all__``); the core's own
    private modules (``forge._persist``...) are shared by every subpackage, which all sit inside ``forge``."""
    bad = _violations(name)
    assert not bad, "import the public name instead (export it in its subpackage's __init__):\n" + "\n".join(bad)


PLUGIN_FILES = sorted(PLUGINS.glob("*/src/**/*.py"))


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=[str(p.relative_to(PLUGINS)) for p in PLUGIN_FILES])
def test_plugins_import_only_public_forge_names(path):
    imported = _imported("forge_plugin", path.read_text(encoding="utf-8"), packages=set())
    bad = [f"{path.name}:{line} imports {dotted}" for dotted, line in imported if _private_owner(dotted)]
    if bad and all("forge._interface." in b for b in bad):  # remove once issue 18 item 2 has landed
        pytest.xfail("imports forge._interface (issue 18 item 2 exports OOV_POLICIES and the sentence check)")
    assert not bad, "a plugin uses forge through its public names only:\n" + "\n".join(bad)


def test_no_import_cycle_between_forge_modules():
    """Tarjan's strongly connected components over every import, at the top, inside functions or as a string
    (an import inside a function, or by name, still ties the two modules together). A package's ``__init__``
    importing its own modules is not an edge back from them: importing ``forge.lab._run`` runs ``forge.lab``
    first by design."""
    graph = {
        name: {
            m
            for d, _ in _imported(name)
            if (m := _module_of(d)) is not None and m != name and not (name in PACKAGES and m.startswith(name + "."))
        }
        for name in MODULES
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


def _function_body_imports(source: str) -> list[ast.Import | ast.ImportFrom]:
    tree = ast.parse(source)
    return [
        node
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def test_an_import_inside_a_function_says_why_it_is_lazy():
    """Imports go at the top; one inside a function keeps a heavy optional package (torch, numba, matplotlib,
    gensim...) out of ``import forge`` and says so in a ``# lazy:`` comment on its line or the line above."""
    bad = []
    for name, source in SOURCES.items():
        lines = source.splitlines()
        for node in _function_body_imports(source):
            near = lines[node.lineno - 2 : node.end_lineno]
            if not any("# lazy:" in line for line in near):
                bad.append(f"{MODULES[name].relative_to(FORGE.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, "move these imports to the top of the module (or say why they are lazy):\n" + "\n".join(bad)
    # a guard against growth, not a target: 127 at the start of issue 18, 29 after it; the attention chapter
    # added torch- and matplotlib-only paths in the lab (each with its reason)
    assert len(bad) == 0 and sum(len(_function_body_imports(s)) for s in SOURCES.values()) < 45
