"""Recurrent encoders: the config value, stream mode, the sampled softmax, the "mix" layer, the recipe."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge.encoders.neural._cells import make_layer
from forge.encoders.neural._config import RecurrentConfig, resumable_params
from forge.encoders.neural._data import (
    SPECIALS,
    batchify,
    encode_corpus,
    stream_chunks,
    to_stream,
)
from forge.encoders.neural._model import RecurrentLM
from forge.encoders.neural.recurrent import RecurrentEncoder, choose_softmax
from forge.errors import BadInputError

DATA = Path(__file__).parent / "data" / "rnn_corpus.txt"
TINY = {"hidden_size": 8, "layers": 1, "batch_size": 8, "progress": False, "device": "cpu", "dropout": 0.0, "seed": 3}
TINY.update(init_from=None, layer="top")  # bare models: the recipe defaults are tested on their own
SENT = [["the", "cat", "sees", "a", "book"]]


@pytest.fixture(scope="module")
def corpus():
    return list(forge.corpora.TextCorpus(DATA))


def _weights(enc) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in enc.model_.state_dict().items()}


# ------------------------------------------------------------------ the config value
def test_config_fields_are_the_constructor_parameters():
    # the shared fields (NeuralConfig) come first, then the recurrent ones: the same set, each once
    names = [f.name for f in dataclasses.fields(RecurrentConfig)]
    assert sorted(names) == sorted(RecurrentEncoder._param_names()) and len(set(names)) == len(names)
    from forge.encoders.neural._config import AttentionConfig, NeuralConfig
    from forge.encoders.neural.attention import AttentionEncoder

    shared = {f.name for f in dataclasses.fields(NeuralConfig)}
    attention = [f.name for f in dataclasses.fields(AttentionConfig)]
    assert sorted(attention) == sorted(AttentionEncoder._param_names())
    assert shared <= set(names) & set(attention)  # declared once, on the shared base
    enc = RecurrentEncoder()
    config = enc._validate_params()
    assert isinstance(config, RecurrentConfig) and config.to_dict() == enc.get_params()


def test_resumable_parameters_are_derived_from_the_field_metadata():
    derived = resumable_params()
    assert set(derived) == {
        "epochs",
        "resume",
        "checkpoint_dir",
        "device",
        "impl",
        "progress",
        "patience",
        "layer",
        "mix_static",
        "oov",
    }
    from forge.encoders.neural import recurrent

    assert derived == recurrent.RESUMABLE


@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        ("context", "doc", r"one of 'sentence', 'stream'"),
        ("hidden_size", 0, r"an integer >= 1"),
        ("hidden_size", 2.5, r"an integer >= 1"),
        ("bidirectional", "yes", r"True or False"),
        ("dropout", 1.0, r"a number in \[0, 1\)"),
        ("lr", 0, r"a number > 0"),
        ("bptt", 1, r"an integer >= 2"),
        ("clip_grad", -1.0, r"a number > 0 or None"),
        ("cutoffs", [30, 10], r"an increasing list of positive integers or None"),
        ("forget_bias", "open", r"'chrono' or None"),
        ("layer", "bottom", r"'top', 'mean', 'mix'"),
        ("num_sampled", True, r"an integer >= 1"),
    ],
)
def test_validation_message_names_parameter_value_and_what_is_allowed(param, value, allowed):
    enc = forge.create("lstm", **{param: value})
    with pytest.raises(
        BadInputError,
        match=rf"{param}={value!r}".replace("[", r"\[").replace("]", r"\]")
        + rf" is not valid for RecurrentEncoder; expected .*{allowed}",
    ):
        enc._validate_params()
    with pytest.raises(BadInputError, match=param):
        enc.fit([["a", "b"]])  # fit validates through the same method


def test_cross_parameter_rules():
    with pytest.raises(BadInputError, match="layer=3 is not valid.*layers=2.*0..2"):
        forge.create("lstm", layers=2, layer=3)._validate_params()
    with pytest.raises(BadInputError, match=r"layer=\[0.5, 0.5\] has 2 weights but layers=2 needs 3"):
        forge.create("lstm", layers=2, layer=[0.5, 0.5])._validate_params()
    for weights in ([0, 0, 0], [0.0, float("nan"), 1.0], [float("inf"), 0, 0]):
        with pytest.raises(BadInputError, match="mixing weights must be finite numbers, at least one of them non-zero"):
            forge.create("lstm", layers=2, layer=weights)._validate_params()
    forge.create("lstm", layers=2, layer=[0, 0, 1])._validate_params()  # allowed
    with pytest.raises(BadInputError, match="tie_weights=True needs softmax="):
        forge.create("lstm", tie_weights=True, softmax="adaptive")._validate_params()
    forge.create("lstm", tie_weights=True, softmax="sampled")._validate_params()  # allowed


# ------------------------------------------------------------------ stream mode
def test_stream_encoding_and_chunks():
    index = {w: i for i, w in enumerate([*SPECIALS, "a", "b", "c"])}
    stream = to_stream(encode_corpus([["a", "b"], ["c"]], index, 100))
    assert stream.tolist() == [3, 4, 5, 3, 6, 3]  # </s> a b </s> c </s>
    rows = batchify(np.arange(11), 3)
    assert rows.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert stream_chunks(10, 4) == [(0, 4), (4, 4), (8, 1)]  # the last input is position 8, its target 9


def test_stream_mode_trains_carries_state_and_reports_its_mode(corpus, tmp_path):
    enc = forge.create("lstm", context="stream", bptt=6, epochs=2, lr=0.01, **TINY).fit(corpus)
    assert [h["context"] for h in enc.history_] == ["stream", "stream"]
    assert enc.history_[1]["train_loss"] < enc.history_[0]["train_loss"]
    stream_ppl = enc.perplexity(corpus)
    assert 1.0 < stream_ppl < len(enc.vocabulary)
    assert enc.perplexity(corpus, context="stream") == stream_ppl
    assert enc.perplexity(corpus, context="sentence") != stream_ppl
    # save/load keeps the mode (config and recurrent.json) and the figures
    path = enc.save(tmp_path / "m")
    assert json.loads((path / "config.json").read_text())["params"]["context"] == "stream"
    assert json.loads((path / "recurrent.json").read_text())["context"] == "stream"
    loaded = forge.load(path)
    assert loaded.context == "stream" and loaded.perplexity(corpus) == pytest.approx(stream_ppl, rel=1e-6)
    np.testing.assert_array_equal(loaded.embed(SENT)[0], enc.embed(SENT)[0])


def test_stream_state_is_carried_across_chunks():
    torch.manual_seed(0)
    model = RecurrentLM(
        vocab_size=20,
        cell="lstm",
        impl="fused",
        bidirectional=False,
        embedding_dim=4,
        hidden_size=4,
        layers=2,
        dropout=0.0,
        tie_weights=False,
        softmax="full",
    ).eval()
    tokens = torch.randint(1, 20, (2, 9))
    whole, _, _ = model(tokens, None)
    first, _, states = model(tokens[:, :5], None)
    second, _, _ = model(tokens[:, 4:], None, states=states)
    torch.testing.assert_close(first + second, whole)  # carried: the same as reading it at once
    fresh, _, _ = model(tokens[:, 4:], None)
    assert not torch.allclose(fresh, second)  # from zeros it differs


def test_bidirectional_stream_resume_equals_uninterrupted(corpus, tmp_path):
    params = dict(context="stream", bptt=5, validation=0.1, softmax="sampled", num_sampled=16, **TINY)
    straight = forge.create("bilstm", epochs=2, **params).fit(corpus)
    ckpt = tmp_path / "ckpt"
    forge.create("bilstm", epochs=1, checkpoint_dir=str(ckpt), **params).fit(corpus)
    resumed = forge.create("bilstm", epochs=2, checkpoint_dir=str(ckpt), resume=True, **params).fit(corpus)
    assert [h["epoch"] for h in resumed.history_] == [1, 2]
    for key, value in _weights(straight).items():
        np.testing.assert_array_equal(_weights(resumed)[key], value, err_msg=key)
    with pytest.raises(BadInputError, match=r"context: checkpoint 'stream' -> now 'sentence'"):
        forge.create(
            "bilstm", epochs=3, checkpoint_dir=str(ckpt), resume=True, **{**params, "context": "sentence"}
        ).fit(corpus)


def test_loaded_model_resume_never_silently_does_nothing(corpus, tmp_path):
    ckpt = tmp_path / "ckpt"
    enc = forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), context="stream", **TINY).fit(corpus)
    loaded = forge.load(enc.save(tmp_path / "m"))
    with pytest.raises(BadInputError, match=r"Nothing to train.*completed 1 epochs.*epochs=2"):
        loaded.set_params(epochs=1, resume=True).fit(corpus)
    loaded.set_params(epochs=2, resume=True).fit(corpus)
    assert [h["epoch"] for h in loaded.history_] == [1, 2]


def test_stream_too_short_for_the_batch_is_a_clear_error():
    with pytest.raises(BadInputError, match="batch_size=64 rows.*lower batch_size"):
        forge.create("lstm", context="stream", **{**TINY, "batch_size": 64}).fit([["a", "b", "c"]])


# ------------------------------------------------------------------ output layers
def test_sampled_softmax_trains_and_evaluates_exactly(corpus):
    enc = forge.create("lstm", softmax="sampled", num_sampled=8, epochs=3, lr=0.02, **TINY).fit(corpus)
    assert enc.softmax_ == "sampled" and isinstance(enc.model_.decoder, torch.nn.Linear)
    model = enc.model_
    tokens = torch.tensor([[2, 5, 6, 7, 3]])
    lengths = torch.tensor([5])
    model.eval()
    nll, _count = model(tokens, lengths)  # eval: the full softmax, exact
    logits = model.decoder(model._stack(model.fwd, model.embedding(tokens[:, :-1]))[-1][0])
    exact = torch.nn.functional.cross_entropy(logits, tokens[0, 1:], reduction="sum")
    torch.testing.assert_close(nll, exact)
    assert 1.0 < enc.perplexity(corpus) < len(enc.vocabulary)
    assert enc.history_[-1]["train_loss"] < enc.history_[0]["train_loss"]


def test_sampled_loss_matches_its_formula():
    torch.manual_seed(0)
    model = RecurrentLM(
        vocab_size=12,
        cell="rnn",
        impl="fused",
        bidirectional=False,
        embedding_dim=3,
        hidden_size=3,
        layers=1,
        dropout=0.0,
        tie_weights=False,
        softmax="sampled",
        num_sampled=5,
    )
    model.set_proposal(np.arange(12.0))
    hidden, targets = torch.randn(4, 3), torch.tensor([1, 2, 3, 11])
    state = torch.get_rng_state()
    loss = model._sampled_nll_sum(hidden, targets)
    torch.set_rng_state(state)
    q = model.log_q.exp()
    samples = torch.multinomial(q, 5, replacement=True)
    assert q[0] == 0 and not (samples == 0).any()  # padding is never drawn
    w, b = model.decoder.weight, model.decoder.bias
    expected = 0.0
    for h, t in zip(hidden, targets):
        true = h @ w[t] + b[t] - torch.log(5 * q[t])
        neg = [h @ w[s] + b[s] - torch.log(5 * q[s]) for s in samples if s != t]
        expected += -(true - torch.logsumexp(torch.stack([true, *neg]), 0))
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("softmax", ["full", "adaptive", "sampled"])
def test_fused_equals_scratch_under_each_output_layer(softmax):
    kwargs = {
        "vocab_size": 30,
        "cell": "lstm",
        "bidirectional": True,
        "embedding_dim": 6,
        "hidden_size": 6,
        "layers": 2,
        "dropout": 0.0,
        "tie_weights": False,
        "softmax": softmax,
        "cutoffs": [10, 20],
        "num_sampled": 7,
        "forget_bias": 1.0,
    }
    torch.manual_seed(1)
    fused = RecurrentLM(impl="fused", **kwargs).double()
    torch.manual_seed(1)
    scratch = RecurrentLM(impl="scratch", **kwargs).double()
    for key, value in fused.state_dict().items():  # same seed, same weights
        torch.testing.assert_close(scratch.state_dict()[key], value, rtol=0, atol=0)
    counts = np.arange(30.0)
    fused.set_proposal(counts)
    scratch.set_proposal(counts)
    tokens = torch.tensor([[2, 5, 6, 7, 9, 3], [2, 8, 11, 3, 0, 0]])
    lengths = torch.tensor([6, 4])
    for stream in (False, True):
        torch.manual_seed(7)  # the same negatives for both
        out_f = fused(tokens, lengths) if not stream else fused(tokens[:, :4] + 1, None, reverse=tokens[:, 2:] + 1)
        torch.manual_seed(7)
        out_s = scratch(tokens, lengths) if not stream else scratch(tokens[:, :4] + 1, None, reverse=tokens[:, 2:] + 1)
        torch.testing.assert_close(out_s[0], out_f[0], rtol=1e-10, atol=1e-10)
        fused.zero_grad()
        scratch.zero_grad()
        out_f[0].backward()
        out_s[0].backward()
        grads = dict(fused.named_parameters())
        for name, param in scratch.named_parameters():
            if param.grad is not None or grads[name].grad is not None:
                torch.testing.assert_close(param.grad, grads[name].grad, rtol=1e-8, atol=1e-10, msg=name)


def test_auto_softmax_says_what_it_picked(corpus, caplog):
    assert choose_softmax(12_900, "cpu", False, 512)[0] == "sampled"
    assert choose_softmax(500, "cpu", False, 512)[0] == "full"
    assert choose_softmax(12_900, "cuda", False, 512)[0] == "full"
    assert choose_softmax(200_000, "cuda", False, 512)[0] == "adaptive"
    assert choose_softmax(200_000, "cuda", True, 512)[0] == "sampled"
    with caplog.at_level(logging.INFO, logger="forge.encoders.neural"):
        enc = forge.create("lstm", epochs=1, num_sampled=8, **TINY).fit(corpus)
    assert enc.softmax_ == "sampled" and "num_sampled=8" in enc.softmax_reason_
    assert "softmax='auto' picked 'sampled'" in caplog.text


# ------------------------------------------------------------------ the recipe
def test_forget_gate_bias_is_initialised_in_both_impls():
    for impl in ("fused", "scratch"):
        layer = make_layer(impl, "lstm", 3, 4, forget_bias=1.0)
        assert torch.all(layer.bias_ih_l0[4:8] == 1.0) and torch.all(layer.bias_hh_l0[4:8] == 0.0)
        chrono = make_layer(impl, "lstm", 3, 4, forget_bias="chrono", t_max=20)
        b_f = chrono.bias_ih_l0[4:8]
        assert torch.all(b_f >= 0) and torch.all(b_f <= math.log(19) + 1e-6)
        torch.testing.assert_close(chrono.bias_ih_l0[:4], -b_f)
    assert forge.create("lstm").forget_bias == 1.0


def test_mix_layer_keeps_the_static_signal(corpus):
    w2v = forge.create("onehot").fit(corpus)
    enc = forge.create(
        "bilstm", epochs=1, **{**TINY, "layers": 2, "init_from": w2v, "freeze_embedding": True, "layer": "mix"}
    ).fit(corpus)
    static, hidden = enc.embedding_dim_, enc.hidden_size
    assert enc.dim == 2 * (static + 2 * hidden)
    sents = [["the", "cat", "sees", "a", "book"], ["a", "cat", "likes", "the", "garden"]]
    mixed = enc.embed(sents)
    assert [m.shape for m in mixed] == [(5, enc.dim), (5, enc.dim)]
    np.testing.assert_allclose(np.linalg.norm(mixed[0], axis=1), 1.0, rtol=1e-5)
    # the cosine of two mixed vectors = 1/2 cos(layer 0) + 1/4 cos(layer 1) + 1/4 cos(layer 2)
    per_layer = []
    for k in range(3):
        enc.layer = k
        a, b = enc.embed(sents)
        per_layer.append(float(a[1] @ b[1] / (np.linalg.norm(a[1]) * np.linalg.norm(b[1]))))
    expected = 0.5 * per_layer[0] + 0.25 * per_layer[1] + 0.25 * per_layer[2]
    assert float(mixed[0][1] @ mixed[1][1]) == pytest.approx(expected, abs=1e-5)
    assert per_layer[0] == pytest.approx(1.0)  # layer 0 of "cat" is context-free
    # mix_static moves the share of layer 0 without retraining; the width stays (a zero share is a zero block)
    enc.set_params(layer="mix")
    for share in (0.0, 0.8, 1.0):
        a, b = enc.set_params(mix_static=share).embed(sents)
        assert a.shape == (5, enc.dim)
        rest = (1.0 - share) / 2
        want = share * per_layer[0] + rest * per_layer[1] + rest * per_layer[2]
        assert float(a[1] @ b[1]) == pytest.approx(want, abs=1e-5)
    with pytest.raises(BadInputError, match="mix_static=1.5"):
        enc.set_params(mix_static=1.5)


def test_init_from_a_static_encoder_name(corpus, caplog):
    try:
        forge.get_encoder_class("skipgram")
    except forge.errors.ForgeError as exc:
        pytest.skip(f"skipgram unavailable: {exc}")
    with caplog.at_level(logging.INFO, logger="forge.encoders.neural"):
        enc = forge.create(
            "lstm", embedding_dim=8, freeze_embedding=True, epochs=1, **{**TINY, "init_from": "skipgram"}
        ).fit(corpus)
    static = enc.init_encoder_
    np.testing.assert_allclose(enc.vector("cat"), static.vector("cat"), rtol=1e-6)
    assert "fitting skipgram" in caplog.text and enc.init_note_.startswith("skipgram (8-d")
    with pytest.raises(BadInputError, match="neither an existing path nor a registered encoder"):
        forge.create("lstm", epochs=1, **{**TINY, "init_from": "no-such-thing"}).fit(corpus)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_stream_mode_with_sampled_softmax_bf16(corpus, tmp_path):
    enc = forge.create(
        "bilstm",
        context="stream",
        bptt=8,
        softmax="sampled",
        num_sampled=16,
        epochs=2,
        lr=0.01,
        **{**TINY, "device": "cuda"},
    ).fit(corpus)
    assert enc.tags["device"] == "cuda" and enc.history_[-1]["context"] == "stream"
    ppl = enc.perplexity(corpus)
    assert 1.0 < ppl < len(enc.vocabulary)
    loaded = forge.load(enc.save(tmp_path / "m"))
    assert loaded.perplexity(corpus) == pytest.approx(ppl, rel=1e-3)


def test_gpu_suite_dry_run_lists_every_step():
    import subprocess

    script = Path(__file__).parent.parent / "benchmarks" / "gpu_suite.sh"
    out = subprocess.run(["bash", str(script), "--dry"], capture_output=True, text=True, check=True).stdout
    assert "-n auto" in out and "--devices cuda --precision fp32" in out  # the whole suite, then the rows
    assert "--modes sentence,stream" in out and "analogy_cuda.py" in out and "lab_claim8.py" in out
    assert "--batch 1024" in out and "--precision bf16" in out
    assert "ptb_lstm_quality.py --context stream --hidden 650" in out and "--max-minutes" in out


def test_bench_trains_recurrent_encoders_with_the_recipe():
    from forge.bench.cli import _recipe
    from forge.encoders.neural.recurrent import RECIPE

    assert _recipe(forge.get_encoder_class("bilstm")) == RECIPE == {"init_from": "skipgram", "layer": "mix"}
    assert forge.get_encoder_class("bilstm").recipe == RECIPE  # public, on the class: no import of the module
    assert _recipe(forge.get_encoder_class("onehot")) == {}
