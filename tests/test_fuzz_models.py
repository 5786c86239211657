"""Property-based attack on saved models and checkpoints (issue 9).

Whatever is done to the files (bit flips, truncation, wrong JSON types, deep nesting, huge
numbers, missing keys), ``forge.load`` and ``resume=True`` either work or raise a ``ForgeError``.
With the checksums of format 2, damage never loads silently: a model that loads gives exactly
the outputs it was saved with, and a resumed run trains exactly as from the intact checkpoint.

Bounded and derandomized; ``FORGE_FUZZ_EXAMPLES`` raises the number of examples per test (for
attack runs), ``FORGE_FUZZ_STATS=path`` appends the counts of inputs and outcomes there.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forge
from forge._interface import _dense
from forge._persist import _params_digest, file_manifest
from forge.errors import ForgeError, PluginError, UnknownNameError

EXAMPLES = int(os.environ.get("FORGE_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["a", "dog", "sat", "on", "a", "log"],
    ["the", "dog", "ran"],
    ["a", "cat", "ran"],
] * 5
RNN = {
    "hidden_size": 8,
    "layers": 1,
    "epochs": 1,
    "batch_size": 8,
    "dropout": 0.0,
    "validation": 0.0,
    "device": "cpu",
    "progress": False,
    "seed": 2,
}
ENCODERS = {
    "onehot": {},
    "skipgram": {"vector_size": 8, "min_count": 1, "epochs": 1, "workers": 1, "progress": False},
    "lstm": RNN,
    "bigru": {**RNN, "tie_weights": True, "softmax": "full"},
    "ppmi": None,
    "fasttext": None,
}
STATS = {"inputs": 0, "forge_error": 0, "loaded_same": 0, "loaded_changed": 0}


def _fit(name: str):
    params = ENCODERS[name]
    try:
        cls = forge.get_encoder_class(name)
    except (UnknownNameError, PluginError):
        if params is None:
            return None  # a plugin that is not installed (or not importable here): its own suite covers it
        raise
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            return None  # the recurrent encoders without the torch extra
        raise
    if params is None:
        params = dict(getattr(cls, "_test_params", {}), min_count=1)
    return forge.create(name, **params).fit(CORPUS)


def outputs(enc) -> list[np.ndarray]:
    words = ["cat", "dog", "sat"]
    out = [np.asarray(_dense(m.toarray() if hasattr(m, "toarray") else m)) for m in enc.embed([words])]
    out.append(_dense(enc.vector("cat")))
    out.append(np.array([s for _, s in enc.most_similar("cat", topn=3)], dtype=float))
    out.append(np.array([enc.similarity("cat", "dog")]))
    return out


def _same(a: list[np.ndarray] | None, b: list[np.ndarray]) -> bool:
    return a is not None and len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def attempt(path: Path, allow_unchecked: bool = False) -> list[np.ndarray] | None:
    """Load and use the model: None when forge refused it; any other exception fails the test."""
    STATS["inputs"] += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # format 1 under allow_unchecked=True warns
            return outputs(forge.load(path, allow_unchecked=allow_unchecked))
    except ForgeError:
        STATS["forge_error"] += 1
        return None


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    target = os.environ.get("FORGE_FUZZ_STATS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(STATS) + "\n")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-models")
    out = {}
    for name in ENCODERS:
        enc = _fit(name)
        if enc is not None:
            out[name] = (enc.save(root / name), outputs(enc))
    return out


NAMES = list(ENCODERS)


def _model(saved, name):
    if name not in saved:
        pytest.skip(f"encoder {name!r} is not installed (a plugin, or torch for the recurrent encoders)")
    return saved[name]


def _copy(src: Path, tmp: str) -> Path:
    path = Path(tmp) / "m"
    shutil.copytree(src, path)
    return path


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_file())


def _make_format_1(path: Path) -> None:
    """The previous format: no checksums, no marker (the arrays themselves must still be checked)."""
    cfg = json.loads((path / "config.json").read_text())
    cfg["format_version"] = 1
    cfg.pop("files", None), cfg.pop("params_sha256", None)
    (path / "config.json").write_text(json.dumps(cfg))
    (path / ".forge-model").unlink()


# ------------------------------------------------------------------ byte-level damage
@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_a_bit_flip_anywhere_is_refused_or_harmless(saved, name, data):
    src, expected = _model(saved, name)
    fname = data.draw(st.sampled_from(_files(src)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        blob = bytearray((path / fname).read_bytes())
        i = data.draw(st.integers(0, len(blob) - 1), label="byte")
        blob[i] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        (path / fname).write_bytes(bytes(blob))
        got = attempt(path)
        if got is not None:
            assert _same(got, expected), f"{fname}: a flipped bit at byte {i} loaded with changed outputs"
            STATS["loaded_same"] += 1


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_truncation_is_refused(saved, name, data):
    src, _expected = _model(saved, name)
    fname = data.draw(st.sampled_from([f for f in _files(src) if not f.startswith(".forge-")]), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        blob = (path / fname).read_bytes()
        (path / fname).write_bytes(blob[: data.draw(st.integers(0, len(blob) - 1), label="length")])
        assert attempt(path) is None


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_damage_without_checksums_is_a_forge_error_or_loads_usably(saved, name, data):
    """Format 1 has no checksums: damaged state files must still never give a bare traceback."""
    src, expected = _model(saved, name)
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        _make_format_1(path)
        fname = data.draw(st.sampled_from([f for f in _files(path) if f != "config.json"]), label="file")
        blob = bytearray((path / fname).read_bytes())
        how = data.draw(st.sampled_from(["flip", "truncate", "zero-run", "garbage"]), label="how")
        i = data.draw(st.integers(0, len(blob) - 1), label="at")
        if how == "flip":
            blob[i] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "truncate":
            del blob[i:]
        elif how == "zero-run":
            blob[i : i + 16] = bytes(len(blob[i : i + 16]))
        else:
            blob = bytearray(data.draw(st.binary(max_size=200), label="bytes"))
        (path / fname).write_bytes(bytes(blob))
        got = attempt(path, allow_unchecked=True)
        if got is not None:
            STATS["loaded_same" if _same(got, expected) else "loaded_changed"] += 1


VERSIONS = st.one_of(
    st.integers(-3, 12), st.sampled_from([True, False, None, "1", "3", 1.0, 2.5, [], {}]), st.just("absent")
)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_an_edited_format_version_never_loads_a_damaged_array(saved, name, data):
    """Issue 17 item 4: whatever format_version says (a bit flip, a hand edit, removed), damaged state
    files never load, with or without allow_unchecked; the checksums stay on."""
    src, expected = _model(saved, name)
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        cfg = json.loads((path / "config.json").read_text())
        version = data.draw(VERSIONS, label="format_version")
        if version == "absent":
            cfg.pop("format_version")
        else:
            cfg["format_version"] = version
        if data.draw(st.booleans(), label="drop params_sha256"):
            cfg.pop("params_sha256", None)
        (path / "config.json").write_text(json.dumps(cfg))
        fname = data.draw(st.sampled_from([f for f in _files(path) if f != "config.json"]), label="file")
        blob = bytearray((path / fname).read_bytes())
        i = data.draw(st.integers(0, len(blob) - 1), label="byte")
        blob[i] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        (path / fname).write_bytes(bytes(blob))
        for unchecked in (False, True):
            got = attempt(path, allow_unchecked=unchecked)
            assert got is None or _same(got, expected), f"{fname} byte {i} loaded changed under version {version!r}"
            if got is not None:
                STATS["loaded_same"] += 1


# ------------------------------------------------------------------ config.json edits
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=10**300)
    | st.floats()
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
SPECIAL = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "huge-int": "9" * 5000,
    "huge-float": "1e999",
    "neg-huge": "-1e400",
    "nan": "NaN",
}


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_edited_config_is_a_corrupt_model_error_or_loads_usably(saved, name, data):
    """Edits on purpose (the digest recomputed, as a careful user would delete it): validated as fit does."""
    src, _ = _model(saved, name)
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        cfg = json.loads((path / "config.json").read_text())
        where = data.draw(st.sampled_from(["param", "top"]), label="where")
        table = cfg["params"] if where == "param" else cfg
        key = data.draw(st.sampled_from(sorted(table)), label="key")
        action = data.draw(st.sampled_from(["set", "delete", "special"]), label="action")
        raw = None
        if action == "set":
            table[key] = data.draw(JSON, label="value")
        elif action == "delete":
            del table[key]
        else:
            raw = SPECIAL[data.draw(st.sampled_from(sorted(SPECIAL)), label="special")]
            table[key] = "__RAW__"
        if "params_sha256" in cfg and isinstance(cfg.get("params"), dict):
            cfg["params_sha256"] = _params_digest(cfg)
        text = json.dumps(cfg)
        if raw is not None:
            text = text.replace('"__RAW__"', raw)
        (path / "config.json").write_text(text)
        attempt(path)


# ------------------------------------------------------------------ checkpoints
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    pytest.importorskip("torch", reason="checkpoints are written by the recurrent encoders (torch extra)")
    ckpt = tmp_path_factory.mktemp("fuzz-ckpt") / "ckpt"
    forge.create("lstm", checkpoint_dir=str(ckpt), **RNN).fit(CORPUS)
    with tempfile.TemporaryDirectory() as tmp:
        expected = outputs(_resume(_copy(ckpt, tmp)))
    return ckpt, expected


def _resume(path: Path):
    return forge.create("lstm", **{**RNN, "epochs": 2}, resume=True, checkpoint_dir=str(path)).fit(CORPUS)


def attempt_resume(path: Path) -> list[np.ndarray] | None:
    STATS["inputs"] += 1
    try:
        return outputs(_resume(path))
    except ForgeError:
        STATS["forge_error"] += 1
        return None


@FUZZ
@given(data=st.data())
def test_checkpoint_damage_is_refused_or_resumes_exactly(checkpoint, data):
    src, expected = checkpoint
    fname = data.draw(st.sampled_from(_files(src)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        blob = bytearray((path / fname).read_bytes())
        i = data.draw(st.integers(0, len(blob) - 1), label="byte")
        if data.draw(st.booleans(), label="truncate"):
            del blob[i:]
        else:
            blob[i] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        (path / fname).write_bytes(bytes(blob))
        got = attempt_resume(path)
        if got is not None:
            assert _same(got, expected), f"{fname}: damage at byte {i} resumed into a different model"
            STATS["loaded_same"] += 1


@FUZZ
@given(data=st.data())
def test_checkpoint_edits_with_consistent_checksums_are_forge_errors(checkpoint, data):
    """Damage that keeps the checksums consistent (a careless tool): parsed and checked, never a traceback."""
    from safetensors.torch import load_file, save_file

    from forge.encoders.neural._checkpoint import trainer_digest

    src, _ = checkpoint
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(src, tmp)
        trainer = json.loads((path / "trainer.json").read_text())
        target = data.draw(st.sampled_from(["trainer", "optimizer", "tensors"]), label="target")
        if target == "trainer":
            key = data.draw(st.sampled_from(sorted(trainer)), label="key")
            if data.draw(st.booleans(), label="delete"):
                del trainer[key]
            else:
                trainer[key] = data.draw(JSON, label="value")
        elif target == "optimizer":
            groups = trainer["optimizer"]["param_groups"][0]
            key = data.draw(st.sampled_from(sorted(groups)), label="key")
            groups[key] = data.draw(JSON, label="value")
        else:
            tensors = load_file(str(path / "checkpoint.safetensors"))
            key = data.draw(st.sampled_from(sorted(tensors)), label="tensor")
            change = data.draw(st.sampled_from(["drop", "shrink", "nan", "dtype"]), label="change")
            if change == "drop":
                del tensors[key]
            elif change == "shrink":
                tensors[key] = tensors[key].flatten()[:1].clone()
            elif change == "nan":
                tensors[key] = tensors[key].float().clone().fill_(float("nan"))
            else:
                tensors[key] = tensors[key].to(dtype=__import__("torch").int64)
            save_file(tensors, str(path / "checkpoint.safetensors"))
            trainer["files"] = file_manifest(path, skip=("trainer.json",))
        trainer["trainer_sha256"] = trainer_digest(trainer) if isinstance(trainer, dict) else None
        (path / "trainer.json").write_text(json.dumps(trainer))
        attempt_resume(path)
