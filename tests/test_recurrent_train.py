"""Recurrent LM training: checkpoints and resume, divergence, early stopping, softmaxes, DDP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge.encoders.neural._data import split_validation
from forge.encoders.neural._model import RecurrentLM
from forge.encoders.neural.recurrent import TrainingDivergedError
from forge.errors import BadInputError, CorruptModelError

DATA = Path(__file__).parent / "data" / "rnn_corpus.txt"
PARAMS = {
    "hidden_size": 8,
    "layers": 1,
    "batch_size": 16,
    "progress": False,
    "device": "cpu",
    "dropout": 0.2,
    "seed": 2,
}
PARAMS.update(init_from=None, layer="top")  # bare models: the recipe defaults are tested on their own
SENT = [["the", "cat", "sees", "a", "book", "today"]]


@pytest.fixture(scope="module")
def corpus():
    return list(forge.corpora.TextCorpus(DATA))


def _weights(enc) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in enc.model_.state_dict().items()}


def test_checkpoint_each_epoch_and_resume_matches_uninterrupted(corpus, tmp_path):
    straight = forge.create("lstm", epochs=3, **PARAMS).fit(corpus)
    ckpt = tmp_path / "ckpt"
    first = forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), **PARAMS).fit(corpus)
    assert sorted(p.name for p in ckpt.iterdir()) == [
        ".forge-checkpoint",
        "checkpoint.safetensors",
        "trainer.json",
        "vocab.json",
    ]
    assert json.loads((ckpt / "trainer.json").read_text())["epoch"] == 1
    assert len(first.history_) == 1
    # "interrupted" after epoch 1: resuming with more epochs continues from the checkpoint
    resumed = forge.create("lstm", epochs=3, checkpoint_dir=str(ckpt), resume=True, **PARAMS).fit(corpus)
    assert [h["epoch"] for h in resumed.history_] == [1, 2, 3]
    assert json.loads((ckpt / "trainer.json").read_text())["epoch"] == 3
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(_weights(resumed)[key], value, err_msg=key)
    # resuming a finished run never silently trains nothing: the error says how to train further
    with pytest.raises(BadInputError, match=r"Nothing to train.*completed 3 epochs.*Set epochs=4"):
        forge.create("lstm", epochs=3, checkpoint_dir=str(ckpt), resume=True, **PARAMS).fit(corpus)


def test_resume_with_changed_params_is_a_clear_error(corpus, tmp_path):
    ckpt = tmp_path / "ckpt"
    forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), **PARAMS).fit(corpus)
    changed = {**PARAMS, "hidden_size": 12}
    with pytest.raises(BadInputError, match=r"hidden_size: checkpoint 8 -> now 12.*resume=False"):
        forge.create("lstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, **changed).fit(corpus)
    with pytest.raises(BadInputError, match="another vocabulary"):
        forge.create("lstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, **PARAMS).fit(corpus[:50])
    with pytest.raises(BadInputError, match="checkpoint_dir"):
        forge.create("lstm", epochs=2, resume=True, **PARAMS).fit(corpus)
    # changing what does not alter the trained weights is allowed
    forge.create("lstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, impl="scratch", **{**PARAMS, "layer": 0}).fit(
        corpus
    )


def test_corrupt_checkpoint_is_a_clear_error(corpus, tmp_path):
    ckpt = tmp_path / "ckpt"
    forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), **PARAMS).fit(corpus)
    blob = (ckpt / "checkpoint.safetensors").read_bytes()
    (ckpt / "checkpoint.safetensors").write_bytes(blob[:100])
    with pytest.raises(CorruptModelError, match="checkpoint.*(unreadable|truncated).*resume=False"):
        forge.create("lstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, **PARAMS).fit(corpus)
    # starting over (resume=False) replaces the broken checkpoint
    forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), **PARAMS).fit(corpus)
    assert json.loads((ckpt / "trainer.json").read_text())["epoch"] == 1


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(corpus, tmp_path, monkeypatch):
    ckpt = tmp_path / "ckpt"
    forward = RecurrentLM.forward
    calls = {"n": 0}
    batches_per_epoch = int(np.ceil(0.95 * len(corpus) / PARAMS["batch_size"]))

    def poisoned(self, tokens, lengths):
        nll, count = forward(self, tokens, lengths)
        calls["n"] += self.training
        return (nll * float("nan") if calls["n"] > batches_per_epoch + 2 else nll), count

    monkeypatch.setattr(RecurrentLM, "forward", poisoned)
    enc = forge.create("lstm", epochs=3, checkpoint_dir=str(ckpt), **PARAMS)
    with pytest.raises(TrainingDivergedError, match=r"loss became nan in epoch 2.*epoch 1 is kept.*lr="):
        enc.fit(corpus)
    assert not enc.is_fitted
    assert json.loads((ckpt / "trainer.json").read_text())["epoch"] == 1
    monkeypatch.setattr(RecurrentLM, "forward", forward)
    resumed = forge.create("lstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, **PARAMS).fit(corpus)
    assert [h["epoch"] for h in resumed.history_] == [1, 2]
    assert np.isfinite(resumed.embed(SENT)[0]).all()


def test_diverging_loss_without_checkpoint_dir(corpus, monkeypatch):
    # a huge SGD learning rate is not a reliable way to diverge: lr=1e30 overflowed here but the loss stayed
    # finite on CI's CPU (likely saturated tanh and vanishing gradients); poison the loss instead
    forward = RecurrentLM.forward

    def overflowing(self, tokens, lengths):
        nll, count = forward(self, tokens, lengths)
        return (nll * float("inf") if self.training else nll), count

    monkeypatch.setattr(RecurrentLM, "forward", overflowing)
    enc = forge.create("rnn", epochs=2, **{**PARAMS, "dropout": 0.0})
    with pytest.raises(TrainingDivergedError, match=r"loss became (inf|nan) in epoch 1.*no checkpoint was written"):
        enc.fit(corpus)
    assert not enc.is_fitted


def test_early_stopping_keeps_the_best_epoch(corpus):
    # PyTorch's initialisation (forget_bias=None): this learning rate then overfits within 8 epochs
    enc = forge.create(
        "lstm",
        epochs=8,
        patience=1,
        lr=0.3,
        optimizer="adam",
        validation=0.2,
        forget_bias=None,
        **{**PARAMS, "dropout": 0.0},
    ).fit(corpus)
    history = enc.history_
    assert all("valid_ppl" in h for h in history)
    best = min(h["valid_ppl"] for h in history)
    assert len(history) < 8 and history[-1]["valid_ppl"] > best  # it stopped after getting worse
    # the weights kept are those of the best epoch: their perplexity on the held-out split is the best one
    _, valid_idx = split_validation(len(corpus), 0.2, PARAMS["seed"])
    assert enc.perplexity([corpus[i] for i in valid_idx]) == pytest.approx(best, rel=1e-5)


@pytest.mark.parametrize("name", ["lstm", "bigru"])
def test_adaptive_softmax(corpus, name):
    enc = forge.create(name, epochs=3, lr=0.01, softmax="adaptive", cutoffs=[10, 30], **PARAMS).fit(corpus)
    assert enc.softmax_ == "adaptive"
    assert isinstance(enc.model_.decoder, torch.nn.AdaptiveLogSoftmaxWithLoss)
    assert 1.0 < enc.perplexity(corpus) < len(enc.vocabulary)
    assert forge.create(name, epochs=1, **PARAMS).fit(corpus).softmax_ == "full"  # auto, small vocabulary


def test_tied_weights_share_the_embedding(corpus, tmp_path):
    enc = forge.create("lstm", epochs=1, tie_weights=True, embedding_dim=6, **PARAMS).fit(corpus)
    model = enc.model_
    assert model.decoder.weight is model.embedding.weight and model.proj is not None
    loaded = forge.load(enc.save(tmp_path / "m"))
    assert loaded.model_.decoder.weight is loaded.model_.embedding.weight
    np.testing.assert_array_equal(loaded.embed(SENT)[0], enc.embed(SENT)[0])


def test_progress_bar_shows_labelled_loss_exact_ppl_tokens_per_second(corpus, capsys):
    forge.create("lstm", epochs=2, softmax="sampled", num_sampled=8, **{**PARAMS, "progress": True}).fit(corpus)
    err = capsys.readouterr().err
    assert "lstm epoch 1/2" in err and "tok/s" in err and "valid ppl" in err
    assert "loss (sampled softmax, dropout on)" in err  # the training loss says what it is
    assert "train ppl" in err and "(exact: full softmax, dropout off" in err
    assert "exact train ppl=" in err  # epoch 2's bar shows epoch 1's exact figure


def test_progress_bars_only_on_a_terminal_unless_asked(corpus, capsys, monkeypatch):
    params = {**PARAMS, "progress": None}
    forge.create("lstm", epochs=1, **params).fit(corpus)  # stderr is captured: not a terminal
    assert "batch/s" not in capsys.readouterr().err
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    from forge.encoders.neural._train import show_progress

    assert show_progress(None) is True and show_progress(False) is False and show_progress(True) is True


def test_history_holds_the_exact_training_perplexity_beside_the_sampled_loss(corpus):
    enc = forge.create("lstm", epochs=2, softmax="sampled", num_sampled=8, **PARAMS).fit(corpus)
    for record in enc.history_:
        assert record["train_objective"] == "sampled softmax, dropout on"
        assert record["train_ppl_exact"] > 1.0 and record["exact_sample_predictions"] > 0
        assert record["precision"] == "fp32"
    # the exact figure is the full softmax with dropout off on the sample: evaluate it again by hand
    from forge.encoders.neural._data import encode_corpus
    from forge.encoders.neural._train import evaluate_nll, exact_sample

    data = encode_corpus(corpus, enc.vocab_.index, enc.max_len)
    from forge.encoders.neural._data import split_validation

    train_idx, _ = split_validation(len(data), enc.validation, enc.seed)
    sample = exact_sample(data.subset(train_idx), enc.seed)
    best = min(range(2), key=lambda i: enc.history_[i]["valid_loss"])
    nll, count = evaluate_nll(enc.model_, sample, 16, "cpu", "fp32")
    assert count == enc.history_[best]["exact_sample_predictions"]
    np.testing.assert_allclose(nll / count, enc.history_[best]["train_loss_exact"], rtol=1e-6)


def test_frozen_embedding_does_not_change(corpus):
    """Training moves the recurrent weights but leaves a frozen embedding exactly as it started."""
    static = forge.create("onehot").fit(corpus)
    start = forge.create("gru", epochs=0, freeze_embedding=True, **{**PARAMS, "init_from": static}).fit(corpus)
    enc = forge.create("gru", epochs=1, freeze_embedding=True, **{**PARAMS, "init_from": static}).fit(corpus)
    before, after = start.model_.embedding.weight.detach(), enc.model_.embedding.weight.detach()
    assert before.abs().sum() > 0 and torch.equal(before, after)
    assert not enc.model_.embedding.weight.requires_grad
    moved = [
        n
        for n, w in enc.model_.named_parameters()
        if w.requires_grad and not torch.equal(w, dict(start.model_.named_parameters())[n])
    ]
    assert moved, "nothing was trained"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DDP_SCRIPT = """
import sys, forge
corpus = list(forge.corpora.TextCorpus(sys.argv[1]))
enc = forge.create("bilstm", **{params}).fit(corpus)
if int(__import__("os").environ["RANK"]) == 0:
    enc.save(sys.argv[2])
"""


@pytest.mark.slow
def test_ddp_two_cpu_processes_match_one_process(corpus, tmp_path):
    params = {
        "hidden_size": 8,
        "layers": 1,
        "epochs": 2,
        "batch_size": 8,
        "dropout": 0.0,
        "validation": 0.1,
        "seed": 4,
        "device": "cpu",
        "progress": False,
    }
    single = forge.create("bilstm", **params).fit(corpus)
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.replace("{params}", repr(params)))
    port = str(_free_port())
    procs = []
    for rank in range(2):
        env = {
            **os.environ,
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": "2",
            "LOCAL_WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "OMP_NUM_THREADS": "1",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script), str(DATA), str(tmp_path / "ddp_model")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode()[-3000:]
    ddp = forge.load(tmp_path / "ddp_model")
    for key, value in _weights(single).items():
        np.testing.assert_allclose(_weights(ddp)[key], value, rtol=1e-4, atol=1e-6, err_msg=key)
    assert [round(h["valid_ppl"], 4) for h in ddp.history_] == [round(h["valid_ppl"], 4) for h in single.history_]


def test_explicit_validation_corpus(corpus):
    held_out = corpus[:12]
    enc = forge.create("gru", epochs=2, **{**PARAMS, "dropout": 0.0}).fit(corpus[12:], valid=held_out)
    best = min(h["valid_ppl"] for h in enc.history_)
    assert enc.perplexity(held_out) == pytest.approx(best, rel=1e-5)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_bf16_training_and_fused_equals_scratch_on_gpu(corpus, tmp_path):
    enc = forge.create("bilstm", epochs=1, **{**PARAMS, "device": "cuda"}).fit(corpus)
    assert enc.tags["device"] == "cuda" and not enc.tags["deterministic"]
    assert next(enc.model_.parameters()).is_cuda
    out = enc.embed(SENT)[0]
    assert out.shape == (6, 16) and np.isfinite(out).all()
    assert np.isfinite(enc.perplexity(corpus))
    np.testing.assert_allclose(forge.load(enc.save(tmp_path / "m")).embed(SENT)[0], out, rtol=1e-5, atol=1e-6)
    kwargs = {
        "vocab_size": 30,
        "cell": "lstm",
        "bidirectional": True,
        "embedding_dim": 6,
        "hidden_size": 6,
        "layers": 2,
        "dropout": 0.0,
        "tie_weights": False,
        "softmax": "full",
    }
    fused = RecurrentLM(impl="fused", **kwargs).cuda()
    scratch = RecurrentLM(impl="scratch", **kwargs).cuda()
    scratch.load_state_dict(fused.state_dict())
    tokens = torch.tensor([[2, 5, 6, 7, 9, 3], [2, 8, 11, 3, 0, 0]], device="cuda")
    lengths = torch.tensor([6, 4], device="cuda")
    cudnn_tf32 = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False  # compare in true fp32
    try:
        for a, b in zip(fused.layer_outputs(tokens, lengths), scratch.layer_outputs(tokens, lengths)):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    finally:
        torch.backends.cudnn.allow_tf32 = cudnn_tf32
