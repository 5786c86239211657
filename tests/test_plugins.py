"""Plugins as users install them: a package with a ``forge.encoders`` entry point, in a fresh venv.

The minimal plugin of the README's "Write your own encoder" guide lives in
``tests/data/plugins/forge-random``; the broken ones are written here. The
venv tests pip-install them into a throwaway ``--system-site-packages`` venv
(no network, nothing installed into the environment running the tests) and
ask a subprocess what ``forge list`` and the conformance suite say.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import forge
from forge import _registry
from forge.errors import UnknownNameError
from forge.testing import check_encoder

RANDOM_PLUGIN = Path(__file__).parent / "data" / "plugins" / "forge-random"

BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "forge-broken-examples"
version = "0.0.1"

[project.entry-points."forge.encoders"]
brokenimport = "forge_broken_import:Encoder"
wronginterface = "forge_wrong_interface:NotAnEncoder"
onehot = "forge_wrong_interface:NotAnEncoder"
exits = "forge_exits:Encoder"
hijack = "forge_hijack:Hijack"

[tool.setuptools]
py-modules = ["forge_broken_import", "forge_wrong_interface", "forge_exits", "forge_hijack"]
"""
BROKEN_IMPORT = "import forge_no_such_dependency_xyz  # the plugin forgot a dependency\n"
EXITS = "import sys\nsys.exit(3)  # a plugin that ends the process on import\n"
HIJACK = textwrap.dedent("""\
    import forge


    @forge.register_encoder("onehot")   # tries to take over a built-in name
    class Hijack(forge.BaseEncoder):
        pass
    """)
# distributions written by hand (a dist-info folder is all importlib.metadata reads): two that declare the
# same encoder name, and one whose entry point is not "module:attr"
HAND_MADE = {
    "forge_twin_a-1.0": "[forge.encoders]\ntwin = forge_wrong_interface:NotAnEncoder\n",
    "forge_twin_b-1.0": "[forge.encoders]\ntwin = forge_broken_import:Encoder\n",
    "forge_malformed-1.0": "[forge.encoders]\nmalformed = not a valid reference!\n",
    "forge_toys-1.0": (
        "[forge.corpora]\ntoy-corpus = forge_toys:toy_corpus\n[forge.tokenizers]\n"
        "backwards = forge_toys:backwards\n[forge.tasks]\ntoy-task = forge_toys:TASK\n"
    ),
}
# the other plugin kinds: a corpus, a tokenizer and a benchmark task of a new kind
TOYS = textwrap.dedent('''\
    import math

    from forge.corpora import ListCorpus


    def toy_corpus(split=None):
        """Three tiny sentences."""
        return ListCorpus([["a", "b"], ["b", "c"], ["c", "a"]])


    def backwards(text):
        return text.split()[::-1]


    class ToyTask:
        name, kind = "toy-task", "toy"

        def evaluate(self, encoders, *, seed=0):
            rows = [{"encoder": n, "dataset": self.name, "kind": self.kind, "language": "en", "metric": "vocab",
                     "section": "", "value": float(len(e.vocabulary)), "ci_low": math.nan, "ci_high": math.nan,
                     "n": 1, "n_total": 1, "coverage": 1.0, "main": True} for n, e in encoders.items()]
            return rows, {self.name: {"kind": self.kind}}, {}


    TASK = ToyTask()
    ''')
WRONG_INTERFACE = textwrap.dedent('''\
    class NotAnEncoder:
        """Has fit but none of vector/embed/similarity/...: not a forge encoder."""
        def fit(self, corpus):
            return self
    ''')


def _load_random_plugin_module():
    spec = importlib.util.spec_from_file_location(
        "forge_random_from_source", RANDOM_PLUGIN / "src" / "forge_random" / "__init__.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_minimal_plugin_passes_conformance_in_process(monkeypatch):
    """The guide's example, registered by decorator here (restored afterwards), passes the suite."""
    monkeypatch.setattr(_registry, "ENCODERS", _registry.ENCODERS.copy())
    cls = _load_random_plugin_module().RandomEncoder
    monkeypatch.setattr(cls, "name", "")
    forge.register_encoder("random-from-source")(cls)
    check_encoder(lambda: forge.create("random-from-source", **cls.test_params))


# ---------------------------------------------------------------- fresh venv
def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory) -> Path:
    """A fresh venv that sees this environment's packages and has the example plugins installed."""
    from importlib.metadata import version

    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("building the example plugins offline (--no-build-isolation) needs setuptools here")
    # setuptools before 70.1 builds wheels only with the separate `wheel` package (bdist_wheel)
    if (
        tuple(int(x) for x in version("setuptools").split(".")[:2]) < (70, 1)
        and importlib.util.find_spec("wheel") is None
    ):
        pytest.skip(
            f"setuptools {version('setuptools')} needs the wheel package to build the example plugins "
            "offline; pip install 'setuptools>=70.1' (or wheel)"
        )
    # pip >= 22.3 installs into another interpreter (--python): the venv then needs no pip of its own
    own_pip = tuple(int(x) for x in version("pip").split(".")[:2]) >= (22, 3)
    root = tmp_path_factory.mktemp("plugin-venv")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", *(["--without-pip"] if own_pip else []), str(venv)])
    python = venv / "bin" / "python"
    if sys.prefix != sys.base_prefix:
        # we run inside a venv: --system-site-packages would only reach the base interpreter,
        # so also expose this venv's site-packages (processing its .pth files: editable forge)
        site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
        ours = sysconfig.get_paths()["purelib"]
        Path(site, "_forge_parent_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    src = root / "src"
    shutil.copytree(RANDOM_PLUGIN, src / "forge-random", ignore=shutil.ignore_patterns("*.egg-info", "build"))
    broken = src / "forge-broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken / "forge_broken_import.py").write_text(BROKEN_IMPORT)
    (broken / "forge_wrong_interface.py").write_text(WRONG_INTERFACE)
    (broken / "forge_exits.py").write_text(EXITS)
    (broken / "forge_hijack.py").write_text(HIJACK)
    pip_cmd = [sys.executable, "-m", "pip", "--python", str(python)] if own_pip else [str(python), "-m", "pip"]
    _run(
        [
            *pip_cmd,
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(src / "forge-random"),
            str(broken),
        ],
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    for folder, entry_points in HAND_MADE.items():
        dist = Path(site, folder + ".dist-info")
        dist.mkdir()
        name, version = folder.rsplit("-", 1)
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n")
        (dist / "entry_points.txt").write_text(entry_points)
    Path(site, "forge_toys.py").write_text(TOYS)
    return python


def _in_venv(python: Path, code: str) -> str:
    return _run([str(python), "-c", textwrap.dedent(code)], cwd=python.parent).stdout


def test_installed_plugin_is_listed_and_conforms(plugin_venv):
    listing = _run([str(plugin_venv), "-m", "forge", "list"], cwd=plugin_venv.parent).stdout
    lines = {line.split()[0]: line for line in listing.splitlines() if line.startswith("  ")}
    assert "random" in lines and "chance" in lines["random"] and "BROKEN" not in lines["random"]
    assert "onehot" in lines and "skipgram" in lines, "the built-ins are still listed"
    out = _in_venv(
        plugin_venv,
        """
        import forge
        from forge.testing import check_encoder
        cls = forge.get_encoder_class("random")
        check_encoder(lambda: forge.create("random", **cls.test_params))
        print(cls.__module__, forge._registry.encoder_source("random"))
    """,
    )
    assert out.split() == ["forge_random", "plugin", "forge-random"]


def test_broken_plugins_are_reported_and_do_not_hide_others(plugin_venv):
    listing = _run([str(plugin_venv), "-m", "forge", "list"], cwd=plugin_venv.parent).stdout
    assert "random" in listing and "onehot" in listing
    broken_lines = [line for line in listing.splitlines() if "BROKEN" in line]
    assert any(line.split()[0] == "brokenimport" and "forge_no_such_dependency_xyz" in line for line in broken_lines)
    assert any(line.split()[0] == "wronginterface" and "missing:" in line and "vector" in line for line in broken_lines)
    report = json.loads(
        _in_venv(
            plugin_venv,
            """
        import json, forge
        from forge.errors import PluginError
        errors = {}
        for name in ("brokenimport", "wronginterface"):
            try:
                forge.create(name)
            except PluginError as exc:
                errors[name] = str(exc)
        print(json.dumps({"broken": forge.broken_plugins(), "create": errors,
                          "onehot": forge.get_encoder_class("onehot").__module__}))
    """,
        )
    )
    broken = report["broken"]
    assert "ModuleNotFoundError" in broken["brokenimport"] and "forge_no_such_dependency_xyz" in broken["brokenimport"]
    assert "forge_wrong_interface.NotAnEncoder" in broken["wronginterface"]
    assert "replace the built-in encoder 'onehot'" in broken["onehot"]
    assert report["onehot"] == "forge.encoders.onehot", "a plugin cannot take over a built-in name"
    assert set(report["create"]) == {"brokenimport", "wronginterface"}
    assert all(name in msg for name, msg in report["create"].items())


def test_nothing_leaks_into_this_environment(plugin_venv):
    assert "random" not in forge.list_encoders()
    assert not any(n in forge.broken_plugins() for n in ("brokenimport", "wronginterface"))
    with pytest.raises(UnknownNameError):
        forge.create("random")


def test_plugins_cannot_end_or_hijack_forge(plugin_venv):
    """sys.exit at import, a decorator taking a built-in name, two distributions claiming one name and a
    malformed entry point: each is listed as BROKEN, in words, and `forge list` still lists everything else."""
    proc = subprocess.run(
        [str(plugin_venv), "-m", "forge", "list"], cwd=plugin_venv.parent, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    broken = {line.split()[0]: line for line in proc.stdout.splitlines() if "BROKEN" in line}
    assert "SystemExit" in broken["exits"]
    assert "cannot replace the built-in encoder 'onehot'" in broken["hijack"]
    assert "forge-broken-examples" in broken["hijack"], "the error names the plugin"
    assert "conflict" in broken["twin"] and "forge-twin-a" in broken["twin"] and "forge-twin-b" in broken["twin"]
    assert "malformed entry point" in broken["malformed"] and "'module:attr'" in broken["malformed"]
    assert "NoneType" not in proc.stdout
    assert "random" in proc.stdout and "skipgram" in proc.stdout
    report = json.loads(
        _in_venv(
            plugin_venv,
            """
        import json, forge
        from forge.errors import PluginError
        errors = {}
        for name in ("exits", "hijack", "twin", "malformed"):
            try:
                forge.create(name)
            except PluginError as exc:
                errors[name] = str(exc)
        enc = forge.create("onehot").fit([["a", "b"]])
        print(json.dumps({"errors": errors, "onehot": type(enc).__module__}))
    """,
        )
    )
    assert report["onehot"] == "forge.encoders.onehot"
    assert set(report["errors"]) == {"exits", "hijack", "twin", "malformed"}
    assert "forge-twin-a" in report["errors"]["twin"] and "forge-twin-b" in report["errors"]["twin"]


def test_the_guides_conformance_test_passes_run_alone(plugin_venv, tmp_path):
    """README step 4, copied from the README as written, in a fresh process where nothing else ran."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("# tests/test_random.py")
    test_file = tmp_path / "test_random.py"
    test_file.write_text(readme[start : readme.index("```", start)])
    out = _run([str(plugin_venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)], cwd=tmp_path).stdout
    assert " passed" in out and "failed" not in out, out
    assert int(out.strip().splitlines()[-1].split()[0]) >= 16, out


def test_corpora_tokenizers_and_tasks_come_from_plugins_too(plugin_venv):
    out = json.loads(
        _in_venv(
            plugin_venv,
            """
        import json, sys, forge, forge.bench
        corpus = forge.corpora.load("toy-corpus")
        enc = forge.create("onehot").fit(corpus)
        frame = forge.bench.run({"onehot": enc}, ["toy-task"], progress=False).frame
        print(json.dumps({"corpora": list(forge.corpora.list_corpora()),
                          "tokenize": forge.corpora.get_tokenizer("backwards")("a b c"),
                          "value": float(frame["value"].iloc[0]), "kind": frame["kind"].iloc[0],
                          "lab": any(m.startswith("forge.lab") for m in sys.modules)}))
    """,
        )
    )
    assert "toy-corpus" in out["corpora"] and out["tokenize"] == ["c", "b", "a"]
    assert (out["value"], out["kind"], out["lab"]) == (3.0, "toy", False)


# ------------------------------------------------------- public names only
PLUGIN_SOURCES = [
    *sorted((Path(__file__).parents[1] / "plugins").glob("*/src/**/*.py")),
    *sorted(RANDOM_PLUGIN.glob("src/**/*.py")),
]


def _private_forge_imports(source: str) -> list[str]:
    """``forge._x`` (or ``forge.sub._x``) modules and ``_names`` a source imports from forge."""
    import ast

    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules, names = [node.module], [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] != "forge":
                continue
            if any(p.startswith("_") for p in parts[1:]):
                bad.append(module)
            bad += [f"{module}.{n}" for n in names if n.startswith("_")]
    return bad


def test_the_private_import_scan_finds_what_the_plugins_used_to_import():
    """A test of the test below: the imports the plugins had before issue 18 are found."""
    old = "from forge._interface import OOV_POLICIES, _check_sentences\nimport forge._registry\n"
    old += "from forge import _registry\nfrom forge.encoders.neural._config import Options\nimport numpy._core\n"
    assert _private_forge_imports(old) == [
        "forge._interface",
        "forge._interface._check_sentences",
        "forge._registry",
        "forge._registry",
        "forge.encoders.neural._config",
    ]
    assert _private_forge_imports("import forge\nfrom forge import BaseEncoder, OOV_POLICIES\n") == []


def test_plugins_import_nothing_private_from_forge():
    assert len(PLUGIN_SOURCES) >= 6, PLUGIN_SOURCES  # both plugins and the guide's example were found
    bad = {str(p): found for p in PLUGIN_SOURCES if (found := _private_forge_imports(p.read_text("utf-8")))}
    assert not bad, f"plugins must use forge's public names only (export what they need): {bad}"


def test_plugins_use_public_hook_names_only():
    """The hooks forge calls are public (save_state, load_state, validate_params, config_params, test_params)."""
    old_hooks = ("def _save_state", "def _load_state", "def _validate_params", "def _config_params", "_test_params =")
    found = {str(p): [h for h in old_hooks if h in p.read_text("utf-8")] for p in PLUGIN_SOURCES}
    assert not {p: h for p, h in found.items() if h}


@pytest.mark.parametrize("plugin", ["forge-ppmi", "forge-fasttext"])
def test_plugins_ship_py_typed(plugin):
    root = Path(__file__).parents[1] / "plugins" / plugin
    package = plugin.replace("-", "_")
    assert (root / "src" / package / "py.typed").is_file()
    import tomllib

    pyproject = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    assert pyproject["tool"]["setuptools"]["package-data"][package] == ["py.typed"]
