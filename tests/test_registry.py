"""The encoder registry, lazy imports, plugin validation and the public surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import forge
from forge import _catalogue, _registry
from forge.errors import PluginError, UnknownNameError


def test_list_has_builtins_with_descriptions():
    listed = forge.list_encoders()
    for name in ("onehot", "word2vec", "cbow", "skipgram", "rnn", "birnn", "lstm", "bilstm", "gru", "bigru"):
        assert name in listed and listed[name]


def test_unknown_name_suggests_the_closest_and_lists_all():
    with pytest.raises(UnknownNameError) as info:
        forge.create("lstn")
    message = str(info.value)
    assert "Did you mean 'lstm'?" in message and "skipgram" in message and "onehot" in message


def test_aliases_carry_their_defaults_and_name():
    assert forge.create("cbow").sg == 0 and forge.create("skipgram").sg == 1
    assert forge.create("skipgram").name == "skipgram"


def test_import_forge_does_not_import_torch_or_gensim():
    code = (
        "import sys, forge; forge.list_encoders(); forge.create('onehot').fit([['a']]);"
        "print('torch' in sys.modules, 'gensim' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_register_user_encoder_and_reject_broken_interface():
    with _registry.ENCODERS.isolated():

        @forge.register_encoder("test-onehot-copy", description="a copy")
        class Copy(forge.encoders.OneHotEncoder):
            pass

        assert forge.list_encoders()["test-onehot-copy"] == "a copy"
        assert isinstance(forge.create("test-onehot-copy"), Copy)
        assert Copy.name == "test-onehot-copy", "a subclass does not save under its parent's name"
        with pytest.raises(PluginError, match="test-broken.*missing: .*embed"):

            @forge.register_encoder("test-broken")
            class Broken:
                def fit(self, corpus):
                    return self

    assert "test-onehot-copy" not in forge.list_encoders()


def test_broken_entry_point_is_reported_not_fatal(monkeypatch):
    class FakeEP:
        name, value, dist = "test-bad-plugin", "no_such_module_xyz:Enc", None

        def load(self):
            import no_such_module_xyz  # noqa: F401

    monkeypatch.setattr(_registry, "ENCODERS", _registry.ENCODERS.copy())
    monkeypatch.setattr(_registry.ENCODERS, "_scanned", False)
    monkeypatch.setattr(_catalogue.metadata, "entry_points", lambda group: [FakeEP()])
    listed = forge.list_encoders(include_broken=True)
    assert "onehot" in listed
    assert listed["test-bad-plugin"].startswith("BROKEN: ModuleNotFoundError")
    with pytest.raises(PluginError, match="test-bad-plugin.*broken"):
        forge.create("test-bad-plugin")


def test_encoder_protocol_is_runtime_checkable():
    assert isinstance(forge.create("onehot").fit([["a"]]), forge.Encoder)


def test_exported_members_match_all():
    public = {name for name in dir(forge) if not name.startswith("_")}
    lazily = {"encoders", "testing", "bench", "lab"}
    assert set(forge.__all__) - {"__version__"} <= public | lazily
    for name in forge.__all__:
        assert getattr(forge, name) is not None


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(forge.errors.BadInputError, match="'epochs'.*Valid parameters: min_count"):
        forge.create("onehot", epochs=1)


def test_saved_models_get_ordinary_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = forge.create("onehot").fit([["a"]]).save(tmp_path / "m")
    finally:
        os.umask(mask)
    assert oct(path.stat().st_mode & 0o777) == oct(0o755)
    assert oct((path / "config.json").stat().st_mode & 0o777) == oct(0o644)
