"""The one Registry class: lazy entries, the overwrite policy, plugins (with fake entry points), lookups;
and the dependency rules it makes possible (bench never imports the lab, no core import cycle)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import forge
from forge import _catalogue
from forge._catalogue import Registry
from forge._protocol import check_encoder_class, protocol_members
from forge.errors import BadInputError, PluginError, UnknownNameError

FORGE = Path(forge.__file__).parent


class FakeEP:
    """Enough of importlib.metadata.EntryPoint for the registry."""

    def __init__(self, name, value, dist="forge-fake", load=None):
        self.name, self.value, self.dist = name, value, SimpleNamespace(name=dist)
        self._load = load

    def load(self):
        return self._load()


def _with_entry_points(monkeypatch, registry, eps):
    monkeypatch.setattr(_catalogue.metadata, "entry_points", lambda group: list(eps))
    registry._scanned = False


def _exit():
    sys.exit(3)


def test_lazy_entry_is_imported_on_first_use_only():
    reg = Registry("thing")
    reg.register_lazy("fractions", "fractions:Fraction")
    code = (
        "import sys; from forge._catalogue import Registry; r = Registry('t'); "
        "r.register_lazy('f', 'fractions:Fraction'); a = 'fractions' in sys.modules; r.get('f'); "
        "print(a, 'fractions' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
    from fractions import Fraction

    assert reg.get("fractions") is Fraction and reg.entry("fractions").resolved
    with pytest.raises(BadInputError, match="module:attr"):
        reg.register_lazy("bad", "no colon here")


def test_failed_lookup_lists_what_exists_with_a_suggestion():
    reg = Registry("colour")
    for name in ("red", "green", "blue"):
        reg.register(name, name.upper())
    with pytest.raises(
        UnknownNameError,
        match=r"Unknown colour 'gren'\. Did you mean 'green'\? "
        r"Available: blue, green, red\.",
    ):
        reg.get("gren")


def test_overwrite_policy():
    reg = Registry("thing")
    reg.register("core", 1, builtin=True)
    for overwrite in (False, True):  # 1. a built-in is never replaced
        with pytest.raises(BadInputError, match="cannot replace the built-in thing 'core'"):
            reg.register("core", 2, overwrite=overwrite)
    with pytest.raises(BadInputError, match="built-in"):
        reg.unregister("core")

    def mine(x):
        return x

    reg.register("mine", mine)
    reg.register("mine", mine)  # 2. the same object again: fine
    with pytest.raises(BadInputError, match="already registered.*overwrite=True"):
        reg.register("mine", print)
    reg.register("mine", print, overwrite=True)
    assert reg.get("mine") is print

    def mine(x):
        return x + 1

    reg.register("mine", mine, overwrite=True)
    redefined = mine

    def mine(x):
        return x + 2

    reg.register("mine", mine)
    assert reg.get("mine") is mine and reg.get("mine") is not redefined
    reg.unregister("mine")
    assert "mine" not in reg


def test_validation_hook_runs_at_registration():
    def positive(name, obj, where):
        if obj <= 0:
            raise BadInputError(f"{where} must be positive")
        return obj

    reg = Registry("number", validate=positive)
    reg.register("one", 1)
    with pytest.raises(BadInputError, match="Number 'minus' .*must be positive"):
        reg.register("minus", -1)
    assert "minus" not in reg


def test_plugin_failures_are_reported_not_fatal(monkeypatch):
    reg = Registry("thing", group="forge.test-things")
    reg.register("core", 1, builtin=True)
    _with_entry_points(
        monkeypatch,
        reg,
        [
            FakeEP("good", "pkg:GOOD", load=lambda: 42),
            FakeEP("exits", "forge_exits:X", load=_exit),
            FakeEP("raises", "forge_raises:X", load=lambda: 1 / 0),
            FakeEP("core", "forge_hijack:X", dist="forge-hijack", load=lambda: 0),
            FakeEP("twin", "forge_a:X", dist="forge-a", load=lambda: 1),
            FakeEP("twin", "forge_b:X", dist="forge-b", load=lambda: 2),
            FakeEP("malformed", "not a valid reference!", load=lambda: 3),
        ],
    )
    assert reg.get("good") == 42 and reg.entry("good").source == "plugin forge-fake"
    for name, words in [("exits", "SystemExit: 3"), ("raises", "ZeroDivisionError")]:
        with pytest.raises(PluginError, match=f"'{name}'.*failed to import: {words}"):
            reg.get(name)
    broken = reg.broken()
    assert broken["exits"] == "SystemExit: 3"
    assert "forge-hijack" in broken["core"] and "built-in" in broken["core"] and reg.get("core") == 1
    assert "conflict" in broken["twin"] and "forge-a" in broken["twin"] and "forge-b" in broken["twin"]
    assert "malformed entry point 'malformed'" in broken["malformed"] and "'module:attr'" in broken["malformed"]
    with pytest.raises(PluginError, match="installed but broken: conflict"):
        reg.get("twin")
    assert reg.names() == ["core", "good"]


def test_a_plugin_module_cannot_take_a_builtin_name(monkeypatch):
    reg = Registry("thing", group="forge.test-things")
    reg.register("core", 1, builtin=True)

    def import_plugin():  # what a plugin module's top level would do
        reg.register("core", 2)
        return 3

    _with_entry_points(monkeypatch, reg, [FakeEP("sneaky", "forge_sneaky:X", dist="forge-sneaky", load=import_plugin)])
    with pytest.raises(PluginError, match="plugin forge-sneaky.*cannot replace the built-in thing 'core'"):
        reg.get("sneaky")
    assert reg.get("core") == 1 and "sneaky" in reg.broken()


def test_a_plugin_may_register_its_own_name_while_importing(monkeypatch):
    reg = Registry("thing", group="forge.test-things")

    def import_plugin():
        reg.register("mine", "registered by decorator")
        return "loaded"

    _with_entry_points(monkeypatch, reg, [FakeEP("mine", "forge_mine:X", dist="forge-mine", load=import_plugin)])
    assert reg.get("mine") == "registered by decorator"
    assert reg.entry("mine").source == "plugin forge-mine"


def test_forge_own_entry_points_are_builtins(monkeypatch):
    reg = Registry("thing", group="forge.test-things")
    _with_entry_points(
        monkeypatch,
        reg,
        [FakeEP("ours", "fractions:Fraction", dist=_catalogue.FORGE_DISTRIBUTION, load=lambda: "ours")],
    )
    assert reg.entry("ours").builtin
    with pytest.raises(BadInputError, match="built-in"):
        reg.register("ours", "theirs", overwrite=True)


def test_every_registry_uses_the_one_class():
    from forge._registry import ENCODERS
    from forge.bench._datasets import _REGISTRY
    from forge.corpora._named import CORPORA
    from forge.corpora._tokenizers import TOKENIZERS
    from forge.lab._probe import _PROBES

    groups = {r.kind: r.group for r in (ENCODERS, CORPORA, TOKENIZERS, _REGISTRY, _PROBES)}
    assert groups == {
        "encoder": "forge.encoders",
        "corpus": "forge.corpora",
        "tokenizer": "forge.tokenizers",
        "dataset": "forge.tasks",
        "probe": None,
    }
    with pytest.raises(UnknownNameError, match="Did you mean 'gensim-default'"):
        forge.corpora.load("gensim-defualt")
    with pytest.raises(BadInputError, match="built-in tokenizer 'regex'"):
        forge.corpora.register_tokenizer("regex", str.split, overwrite=True)


def test_builtin_encoders_are_registered_once():
    from forge._registry import ENCODERS

    text = "".join(p.read_text(encoding="utf-8") for p in (FORGE / "encoders").glob("*.py"))
    assert "register_encoder" not in text, "built-ins are the lazy table in forge/_registry.py, nothing else"
    assert all(ENCODERS.entry(n).builtin for n in ("onehot", "word2vec", "lstm", "bigru"))


# ----------------------------------------------------------------- the encoder contract
def test_registration_checks_the_protocol_members():
    assert {"is_fitted", "set_params", "static_matrix", "static_dim", "vector", "embed"} <= set(protocol_members())

    class AlmostEncoder(forge.BaseEncoder):
        pass

    check_encoder_class(AlmostEncoder, "x")  # BaseEncoder supplies every member
    del_static = type("NoStatic", (), {m: (lambda self: None) for m in protocol_members() if m != "static_matrix"})
    with pytest.raises(PluginError, match="missing: static_matrix"):
        check_encoder_class(del_static, "Encoder 'nostatic' (user)")


def test_the_shape_rule_holds_when_dim_and_static_dim_differ():
    """A bidirectional LSTM whose input embedding (6, doubled: 12) is narrower than its output (2 x 10)."""
    pytest.importorskip("torch")
    from forge.testing import check_shapes_and_dtypes, fitted

    params = {**forge.get_encoder_class("bilstm")._test_params, "embedding_dim": 6, "hidden_size": 10, "layer": "top"}

    def factory():
        return forge.create("bilstm", **params)

    check_shapes_and_dtypes(factory)
    enc = fitted(factory)
    assert (enc.dim, enc.static_dim) == (20, 12)
    assert enc.static_matrix().shape == (len(enc.vocabulary), 12) and enc.vector("king").shape == (12,)


def test_encoder_built_from_its_class_saves_under_its_registered_name(tmp_path):
    from forge._registry import ENCODERS

    with ENCODERS.isolated():

        class Plain(forge.encoders.OneHotEncoder):
            name = ""  # as a plugin class that does not set one

        ENCODERS.register("test-plain", Plain)
        enc = Plain().fit([["a", "b"]])
        back = forge.load(enc.save(tmp_path / "m"))
        assert type(back) is Plain and back.name == "test-plain"

        class Unregistered(forge.encoders.OneHotEncoder):
            name = ""

        with pytest.raises(BadInputError, match="not registered under any encoder name"):
            Unregistered().fit([["a"]]).save(tmp_path / "u")


# ----------------------------------------------------------------- dependency direction
def test_every_probe_is_declared_as_a_forge_task_entry_point():
    import tomllib

    from forge.lab import list_probes

    pyproject = tomllib.loads((FORGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"]["forge.tasks"]
    assert declared == {name: f"forge.lab._bench:{name.replace('-', '_')}" for name in list_probes()}


def test_import_forge_bench_does_not_import_the_lab():
    from importlib.metadata import entry_points

    if not any(ep.name == "probe-order" for ep in entry_points(group="forge.tasks")):
        pytest.skip(
            "the installed metadata of forge predates its forge.tasks entry points: reinstall forge "
            "(pip install -e .) so that forge.bench can find the lab's probes without importing it"
        )
    code = (
        "import sys, forge.bench; forge.bench.expand_names('probe-order,wordsim353'); "
        "print(sorted(m for m in sys.modules if m.startswith(('forge.lab', 'forge.cli'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _imports(path: Path) -> set[str]:
    """Every forge module a file imports, at the top or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("forge"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("forge"))
    return out


def test_bench_never_imports_the_lab_or_private_cli_names():
    for path in (FORGE / "bench").glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith(("forge.lab", "forge.cli._"))}
        assert not bad, f"{path.name} imports {bad}"


def test_a_user_probe_becomes_a_benchmark_task():
    from forge.bench._datasets import _REGISTRY as tasks
    from forge.lab import Probe, ProbeOutcome, register_probe
    from forge.lab._probe import _PROBES, row

    probe = Probe(
        name="probe-test-user",
        claim=99,
        title="a user's probe",
        claim_text="vocabularies are finite",
        measure=lambda enc, options: ProbeOutcome(rows=[row("vocab", len(enc.vocabulary), main=True)]),
        plot=lambda rows, fig: None,
    )
    with _PROBES.isolated(), tasks.isolated():
        register_probe(probe)
        with pytest.raises(BadInputError, match="already registered"):
            register_probe(Probe(**{**probe.__dict__, "title": "another"}))
        enc = forge.create("onehot").fit([["a", "b", "c"]])
        frame = forge.bench.run({"onehot": enc}, ["probe-test-user"], progress=False).frame
        assert frame[["dataset", "metric", "value"]].values.tolist() == [["probe-test-user", "vocab", 3.0]]
    assert "probe-test-user" not in tasks
