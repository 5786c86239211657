"""The precision policy of the neural encoders (issue 19 item 1).

``precision="fp32"`` is true fp32: TF32 off for cuDNN and matrix products while forge trains or
embeds, the caller's flags restored afterwards; ``"tf32"`` turns it on; the choice is recorded in
the model (``precision_``), its history and its saved metadata. On CUDA, fused and scratch agree
after training under fp32 (skipped without CUDA).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge.encoders.neural._train import precision_scope, resolve_precision
from forge.errors import BadInputError

CORPUS = [["the", "cat", "sat", "down"], ["a", "dog", "ran"], ["the", "dog", "sat"]] * 8
FLAGS = (torch.backends.cuda.matmul, torch.backends.cudnn)


def _flags() -> tuple[bool, bool]:
    return FLAGS[0].allow_tf32, FLAGS[1].allow_tf32


@pytest.fixture
def restore_flags():
    saved = _flags()
    yield
    FLAGS[0].allow_tf32, FLAGS[1].allow_tf32 = saved


@pytest.mark.parametrize("start", [(True, True), (False, True), (True, False)])
def test_precision_scope_sets_and_restores_the_tf32_flags(start, restore_flags):
    FLAGS[0].allow_tf32, FLAGS[1].allow_tf32 = start
    with precision_scope("fp32"):
        assert _flags() == (False, False)
        with precision_scope("tf32"):
            assert _flags() == (True, True)
        assert _flags() == (False, False)
    assert _flags() == start
    with pytest.raises(RuntimeError, match="inside"), precision_scope("tf32"):
        raise RuntimeError("inside")
    assert _flags() == start  # restored on the way out of an error too
    with precision_scope("bf16"):
        assert _flags() == start  # autocast decides there: flags untouched


def test_resolve_precision():
    assert resolve_precision("cpu", "auto") == "fp32"
    assert resolve_precision("cuda:0", "auto") == "bf16"
    assert resolve_precision("cuda", "tf32") == "tf32"


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_fit_and_embed_restore_the_callers_flags_and_record_the_choice(name, tmp_path, restore_flags, monkeypatch):
    FLAGS[0].allow_tf32, FLAGS[1].allow_tf32 = True, True
    seen = []
    from forge.encoders.neural import _encoder

    real = _encoder.train_lm

    def spy(*args, **kwargs):
        seen.append(_flags())
        return real(*args, **kwargs)

    monkeypatch.setattr(_encoder, "train_lm", spy)
    small = {"hidden_size": 8} if name == "lstm" else {"d_model": 8, "heads": 2, "ff": 16}
    enc = forge.create(name, layers=1, epochs=1, device="cpu", precision="fp32", progress=False, **small).fit(CORPUS)
    assert seen == [(False, False)]  # trained in true fp32
    assert _flags() == (True, True)  # and the caller's flags are back
    assert enc.precision_ == "fp32" and all(h["precision"] == "fp32" for h in enc.history_)
    back = forge.load(enc.save(tmp_path / "m"))
    assert back.precision_ == "fp32"
    auto = forge.create(name, layers=1, epochs=1, device="cpu", progress=False, **small).fit(CORPUS)
    assert auto.precision_ == "fp32"  # "auto" on CPU


def test_unknown_precision_lists_the_choices():
    with pytest.raises(BadInputError, match="'auto', 'fp32', 'tf32', 'bf16'"):
        forge.create("lstm", precision="fp16").fit(CORPUS)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ["bilstm", "transformer", "bitransformer"])
def test_cuda_fused_and_scratch_agree_after_training_in_fp32(name):
    small = {"hidden_size": 8} if "lstm" in name else {"d_model": 16, "heads": 2, "ff": 32}
    params = dict(
        layers=2, epochs=2, batch_size=8, dropout=0.0, progress=False, seed=5, optimizer="sgd", lr=0.5,
        device="cuda", precision="fp32", **small,
    )  # fmt: skip
    fused = forge.create(name, impl="fused", **params).fit(CORPUS)
    scratch = forge.create(name, impl="scratch", **params).fit(CORPUS)
    sent = [["the", "cat", "ran"]]
    np.testing.assert_allclose(scratch.embed(sent)[0], fused.embed(sent)[0], rtol=1e-4, atol=1e-5)
    assert scratch.perplexity(CORPUS) == pytest.approx(fused.perplexity(CORPUS), rel=1e-4)
