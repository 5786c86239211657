"""Issue 9, item 5 (and the checkpoint half of item 1): resume only what it was; damaged checkpoints
are CorruptModelError naming what is wrong; checkpoint_dir never deletes a user's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")  # checkpoints are the recurrent encoders'

import forge
from forge._persist import file_manifest
from forge.encoders.neural._checkpoint import trainer_digest
from forge.errors import BadInputError, CorruptModelError

PARAMS = {
    "hidden_size": 8,
    "layers": 1,
    "batch_size": 4,
    "dropout": 0.0,
    "validation": 0.0,
    "device": "cpu",
    "progress": False,
    "seed": 1,
    "init_from": None,
    "layer": "top",
}
# a: 20, b: 15, c: 10, d: 5 in both corpora (the same vocabulary, in the same order), other sentences
CORPUS = [["a"] * 4 + ["b"] * 3, ["c"] * 2 + ["d"]] * 5
OTHER_SENTENCES = [["a"] * 4 + ["c"] * 2, ["b"] * 3 + ["d"]] * 5
OTHER_ORDER = [["b"] * 4 + ["a"] * 3, ["c"] * 2 + ["d"]] * 5  # the same words, b now the most frequent


@pytest.fixture
def ckpt(tmp_path) -> Path:
    path = tmp_path / "ckpt"
    forge.create("lstm", epochs=1, checkpoint_dir=str(path), **PARAMS).fit(CORPUS)
    return path


def _resume(path: Path, corpus=CORPUS):
    return forge.create("lstm", epochs=2, resume=True, checkpoint_dir=str(path), **PARAMS).fit(corpus)


def _rewrite(path: Path, trainer_fn=None, tensors_fn=None) -> None:
    """Damage a checkpoint the way a careless tool would, keeping its checksums consistent."""
    from safetensors.torch import load_file, save_file

    if tensors_fn is not None:
        tensors = load_file(str(path / "checkpoint.safetensors"))
        tensors_fn(tensors)
        save_file(tensors, str(path / "checkpoint.safetensors"))
    trainer = json.loads((path / "trainer.json").read_text())
    trainer["files"] = file_manifest(path, skip=("trainer.json",))
    if trainer_fn is not None:
        trainer_fn(trainer)
    trainer["trainer_sha256"] = trainer_digest(trainer)
    (path / "trainer.json").write_text(json.dumps(trainer))


def test_resume_on_other_sentences_with_the_same_vocabulary_is_refused(ckpt):
    with pytest.raises(BadInputError, match="training data differ"):
        _resume(ckpt, OTHER_SENTENCES)
    assert len(_resume(ckpt).history_) == 2  # the same data resumes


def test_a_vocabulary_in_another_order_says_so(ckpt):
    with pytest.raises(BadInputError, match="same 8 words in another order"):
        _resume(ckpt, OTHER_ORDER)


def test_an_edited_trainer_json_is_refused(ckpt):
    trainer = json.loads((ckpt / "trainer.json").read_text())
    trainer["epoch"] = 0
    (ckpt / "trainer.json").write_text(json.dumps(trainer))
    with pytest.raises(CorruptModelError, match="changed after it was saved.*resume=False"):
        _resume(ckpt)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ({"trainer_fn": lambda t: t.pop("epoch")}, "'epoch'.*missing"),
        ({"trainer_fn": lambda t: t.update(epoch=-1)}, "'epoch' must be an integer"),
        ({"trainer_fn": lambda t: t.pop("optimizer")}, "'optimizer'.*missing"),
        (
            {"trainer_fn": lambda t: t["optimizer"]["state"]["0"].update(moment="__tensor__")},
            "'optim.0.moment' is missing",
        ),
        ({"trainer_fn": lambda t: t["optimizer"]["state"]["0"].pop("step")}, "optimizer state.*does not fit"),
        ({"tensors_fn": lambda t: t.pop("rng.torch")}, "random-number-generator"),
        ({"tensors_fn": lambda t: t.update({"rng.cuda": t["rng.torch"].float()})}, "'rng.cuda' is missing or damaged"),
        ({"tensors_fn": lambda t: t.pop("optim.0.exp_avg")}, "optimizer tensor 'optim.0.exp_avg' is missing"),
        (
            {"tensors_fn": lambda t: t.update({"model.embedding.weight": t["model.embedding.weight"][:3]})},
            "'model.embedding.weight' has shape",
        ),
        ({"tensors_fn": lambda t: t.update({"optim.0.exp_avg": t["optim.0.exp_avg"][:2]})}, "has shape"),
        ({"tensors_fn": lambda t: t.pop("model.embedding.weight")}, "missing.*model.embedding.weight"),
    ],
)
def test_damaged_checkpoints_name_what_is_wrong(ckpt, damage, message):
    _rewrite(ckpt, **damage)
    with pytest.raises(CorruptModelError, match=message):
        _resume(ckpt)


def test_a_bit_flip_in_the_checkpoint_is_caught(ckpt):
    blob = bytearray((ckpt / "checkpoint.safetensors").read_bytes())
    blob[-3] ^= 0x10
    (ckpt / "checkpoint.safetensors").write_bytes(bytes(blob))
    with pytest.raises(CorruptModelError, match="does not match the sha256.*resume=False"):
        _resume(ckpt)


def test_checkpoint_dir_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    for resume in (False, True):
        with pytest.raises(CorruptModelError, match="is a file"):
            forge.create("lstm", epochs=1, resume=resume, checkpoint_dir=str(tmp_path / "f"), **PARAMS).fit(CORPUS)
    assert (tmp_path / "f").read_text() == "x"


def test_checkpoint_dir_with_foreign_files_is_refused_before_training(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "thesis.tex").write_text("mine")
    for resume in (False, True):
        with pytest.raises(BadInputError, match=r"thesis\.tex"):
            forge.create("lstm", epochs=1, resume=resume, checkpoint_dir=str(folder), **PARAMS).fit(CORPUS)
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.tex"]


def test_a_checkpoint_of_the_previous_format_still_resumes(ckpt):
    trainer = json.loads((ckpt / "trainer.json").read_text())
    for key in ("files", "trainer_sha256"):
        trainer.pop(key)
    for key in ("data_sha256", "data_tokens"):
        trainer["fingerprint"].pop(key)
    (ckpt / "trainer.json").write_text(json.dumps(trainer))
    (ckpt / ".forge-checkpoint").unlink()
    assert [h["epoch"] for h in _resume(ckpt).history_] == [1, 2]
    assert (ckpt / ".forge-checkpoint").is_file()  # replaced by a checkpoint of this format
