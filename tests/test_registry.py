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
        assert listed.get(name)


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


# ------------------------------------------- parameters declared once (issue 18)
def test_oov_policies_are_defined_once_and_exported():
    import re
    from pathlib import Path

    root = Path(forge.__file__).parents[1]
    sources = [*root.joinpath("forge").rglob("*.py"), *root.joinpath("plugins").rglob("*.py")]
    defining = [str(p) for p in sources if re.search(r"^OOV_POLICIES\s*=", p.read_text("utf-8"), re.M)]
    assert defining == [str(root / "forge" / "_params.py")]
    assert forge.OOV_POLICIES == ("error", "zero", "unk")


@pytest.mark.parametrize("name", ["onehot", "word2vec", "vectors"])
def test_every_parameter_has_a_declared_constraint(name):
    cls = forge.get_encoder_class(name)
    assert set(cls.declared_constraints()) == set(cls.param_names())


def test_set_params_fit_and_load_refuse_alike(tmp_path):
    """One check (forge.check_params over param_constraints) for the three doors; the vectors encoder's oov too."""
    import json

    from forge._persist import _params_digest

    message = "oov='bogus' is not valid for KeyedVectorsEncoder; expected one of 'error', 'zero', 'unk'"
    with pytest.raises(forge.errors.BadInputError, match=message):
        forge.create("vectors").set_params(oov="bogus")
    with pytest.raises(forge.errors.BadInputError, match=message):
        forge.create("vectors", oov="bogus").fit([["a", "b"]])
    path = forge.create("vectors", vector_size=4).fit([["a", "b"]]).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text("utf-8"))
    config["params"]["oov"] = "bogus"
    config["params_sha256"] = _params_digest(config)  # a consistent edit: only the parameter check can catch it
    (path / "config.json").write_text(json.dumps(config), "utf-8")
    with pytest.raises(forge.errors.CorruptModelError, match=f"config.json: {message}"):
        forge.load(path)
    enc = forge.create("vectors")
    with pytest.raises(forge.errors.BadInputError):
        enc.set_params(vector_size=8, oov="bogus")
    assert enc.vector_size == 100, "a refused set_params changes nothing"


def test_subclass_extends_parameters_without_copying_them():
    from forge.encoders import Word2VecEncoder

    class Wider(Word2VecEncoder):
        param_constraints = {"extra": (forge.Interval(int, 0, None),)}

        def __init__(self, extra: int = 2, **params):
            super().__init__(**params)
            self.extra = extra

    names = Wider.param_names()
    assert names[: len(Word2VecEncoder.param_names())] == Word2VecEncoder.param_names() and names[-1] == "extra"
    enc = Wider(vector_size=8, extra=3)
    assert enc.get_params()["vector_size"] == 8 and repr(enc) == "Wider(vector_size=8, extra=3)"
    assert enc.clone().get_params() == enc.get_params()
    with pytest.raises(forge.errors.BadInputError, match="extra=-1 is not valid for Wider"):
        enc.set_params(extra=-1)
    with pytest.raises(forge.errors.BadInputError, match="window=0 is not valid for Wider"):
        Wider(window=0).validate_params()


def test_the_old_private_hook_names_still_work(tmp_path, monkeypatch):
    """Encoders written before the hooks were public (``_save_state``...) keep working (the recurrent ones do)."""
    import numpy as np

    monkeypatch.setattr(_registry, "ENCODERS", _registry.ENCODERS.copy())

    @forge.register_encoder("old-style")
    class OldStyle(forge.BaseEncoder):
        _test_params = {"size": 3}

        def __init__(self, size: int = 2, oov: str = "error"):
            self.size, self.oov = size, oov

        def _validate_params(self):
            if self.size < 1:
                raise forge.errors.BadInputError(f"size={self.size} must be >= 1")

        def fit(self, corpus):
            self.validate_params()
            self.vocab_ = forge.Vocabulary.build(forge.corpora.as_corpus(corpus))
            self.vectors_ = np.ones((len(self.vocab_), self.size), dtype=np.float32)
            return self

        @property
        def dim(self):
            return self.size

        def _static_matrix(self):
            return self.vectors_

        def _save_state(self, directory):
            np.save(directory / "v.npy", self.vectors_)
            self.vocab_.save(directory / "vocab.json")

        def _load_state(self, directory):
            self.seen_mmap = self._load_mmap
            self.vectors_ = np.load(directory / "v.npy")
            self.vocab_ = forge.Vocabulary.load(directory / "vocab.json")

    assert OldStyle.test_params == {"size": 3}
    with pytest.raises(forge.errors.BadInputError, match="size=0"):
        OldStyle(size=0).fit([["a"]])
    back = forge.load(OldStyle(size=3).fit([["a", "b"]]).save(tmp_path / "m"), mmap=True)
    assert back.vector("a").shape == (3,) and back.seen_mmap is True


def test_protocol_declares_the_gensim_surface_and_the_hooks():
    from forge._protocol import protocol_members

    members = protocol_members()
    for name in ("most_similar", "most_similar_cosmul", "doesnt_match", "n_similarity", "rank", "__getitem__"):
        assert members[name] == "method", name
    for name in ("param_names", "validate_params", "config_params", "save_state", "load_state"):
        assert members[name] == "method", name


def test_check_sentences_is_public_and_refuses_a_flat_token_list():
    assert forge.check_sentences([("a", "b"), ["c"]]) == [["a", "b"], ["c"]]
    with pytest.raises(forge.errors.BadInputError, match=r"flat list of 3 strings.*\[\['the', 'king', 'spoke'\]\]"):
        forge.check_sentences(["the", "king", "spoke"])
    with pytest.raises(forge.errors.BadInputError, match=r"fit\(\) got a flat list .*\[\['the', 'king'\]\]"):
        forge.create("onehot").fit(["the", "king"])
    # whole sentences as strings are still tokenised (ListCorpus's documented behaviour)
    assert "king" in forge.create("onehot").fit(["the king spoke", "a queen"])
