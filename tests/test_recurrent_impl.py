"""impl="scratch" (the cell equations written out) equals impl="fused" (torch.nn.RNN/GRU/LSTM)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge.encoders.neural._cells import CELLS, make_layer
from forge.encoders.neural._model import RecurrentLM, reverse_padded


@pytest.mark.parametrize("cell", CELLS)
def test_layers_same_outputs_and_gradients_with_shared_weights(cell):
    torch.manual_seed(0)
    fused = make_layer("fused", cell, 5, 7).double()
    scratch = make_layer("scratch", cell, 5, 7).double()
    scratch.load_state_dict(fused.state_dict())  # same names, same shapes
    x = torch.randn(3, 9, 5, dtype=torch.float64, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    out_f, out_s = fused(x), scratch(x2)
    torch.testing.assert_close(out_s, out_f, rtol=1e-10, atol=1e-10)
    weight = torch.randn_like(out_f)
    (out_f * weight).sum().backward()
    (out_s * weight).sum().backward()
    torch.testing.assert_close(x2.grad, x.grad, rtol=1e-10, atol=1e-10)
    grads_f = dict(fused.named_parameters())
    for name, param in scratch.named_parameters():
        torch.testing.assert_close(param.grad, grads_f[name].grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_same_seed_same_initial_weights(cell):
    torch.manual_seed(3)
    a = make_layer("fused", cell, 4, 6).state_dict()
    torch.manual_seed(3)
    b = make_layer("scratch", cell, 4, 6).state_dict()
    assert list(a) == list(b) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_lm_loss_and_gradients_match(cell):
    kwargs = {
        "vocab_size": 30,
        "cell": cell,
        "bidirectional": True,
        "embedding_dim": 6,
        "hidden_size": 6,
        "layers": 2,
        "dropout": 0.0,
        "tie_weights": True,
        "softmax": "full",
    }
    torch.manual_seed(1)
    fused = RecurrentLM(impl="fused", **kwargs).double()
    scratch = RecurrentLM(impl="scratch", **kwargs).double()
    scratch.load_state_dict(fused.state_dict())
    tokens = torch.tensor([[2, 5, 6, 7, 9, 3], [2, 8, 11, 3, 0, 0], [2, 12, 3, 0, 0, 0]])
    lengths = torch.tensor([6, 4, 3])
    loss_f, n_f = fused(tokens, lengths)
    loss_s, n_s = scratch(tokens, lengths)
    assert int(n_f) == int(n_s) == 2 * (5 + 3 + 2)
    torch.testing.assert_close(loss_s, loss_f, rtol=1e-10, atol=1e-10)
    loss_f.backward()
    loss_s.backward()
    grads_f = dict(fused.named_parameters())
    for name, param in scratch.named_parameters():
        torch.testing.assert_close(param.grad, grads_f[name].grad, rtol=1e-9, atol=1e-10, msg=name)
    for a, b in zip(fused.layer_outputs(tokens, lengths), scratch.layer_outputs(tokens, lengths)):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


def test_padding_never_changes_real_positions():
    torch.manual_seed(0)
    model = RecurrentLM(
        vocab_size=20,
        cell="lstm",
        impl="fused",
        bidirectional=True,
        embedding_dim=4,
        hidden_size=4,
        layers=1,
        dropout=0.0,
        tie_weights=False,
        softmax="full",
    ).eval()
    short = torch.tensor([[2, 5, 6, 3]])
    padded = torch.tensor([[2, 5, 6, 3, 0, 0, 0]])
    a = model.layer_outputs(short, torch.tensor([4]))[1]
    b = model.layer_outputs(padded, torch.tensor([4]))[1][:, :2]
    torch.testing.assert_close(a, b)
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert reverse_padded(x, torch.tensor([3, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


def test_encoders_trained_fused_and_scratch_agree():
    corpus = [["the", "cat", "sat", "down"], ["a", "dog", "ran"], ["the", "dog", "sat"]] * 8
    # SGD: Adam divides by tiny second moments and would amplify float32 rounding differences
    params = {
        "hidden_size": 8, "layers": 2, "epochs": 2, "batch_size": 8, "dropout": 0.2, "progress": False, "seed": 5, "optimizer": "sgd", "lr": 0.5,
        "precision": "fp32",  # true fp32 on CUDA too (device="auto" would otherwise mean bf16 there, TF32 in cuDNN)
    }  # fmt: skip
    fused = forge.create("bilstm", impl="fused", **params).fit(corpus)
    scratch = forge.create("bilstm", impl="scratch", **params).fit(corpus)
    sent = [["the", "cat", "ran"]]
    np.testing.assert_allclose(scratch.embed(sent)[0], fused.embed(sent)[0], rtol=1e-4, atol=1e-5)
    assert scratch.perplexity(corpus) == pytest.approx(fused.perplexity(corpus), rel=1e-4)
    # the weights are interchangeable: a fused model runs as scratch
    fused.impl = "scratch"
    scratch_model = fused._build(len(fused.vocab_), fused.embedding_dim_, fused.softmax_, fused.cutoffs_)
    scratch_model.load_state_dict(fused.model_.state_dict())
    fused.model_ = scratch_model.eval()
    np.testing.assert_allclose(fused.embed(sent)[0], scratch.embed(sent)[0], rtol=1e-4, atol=1e-5)
