"""The attention encoders (transformer, bitransformer): properties stated as tests.

Causal: a position's vector never depends on a later token (bit for bit). Bidirectional: it does.
Padding never changes a real position. fused == scratch (forward and gradients). Save, load and
resume are exact. Tiny models (d_model 16, one or two layers): each test takes about a second.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge._registry import registered_name
from forge.encoders.neural._attention import TransformerLM, rope_tables, sinusoidal_table
from forge.errors import BadInputError

CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["a", "dog", "ran", "to", "the", "park"],
    ["the", "dog", "sat", "on", "a", "mat"],
    ["a", "cat", "ran", "to", "a", "park"],
] * 8
TINY = {"d_model": 16, "heads": 2, "ff": 32, "layers": 2, "epochs": 1, "device": "cpu", "progress": False}
TINY.update(init_from=None, layer="top")  # bare models; the recipe defaults have their own tests


def fit(name: str, **params):
    return forge.create(name, **{**TINY, **params}).fit(CORPUS)


@pytest.fixture(scope="module")
def causal():
    return fit("transformer", dropout=0.0)


@pytest.fixture(scope="module")
def bidir():
    return fit("bitransformer", dropout=0.0)


def test_registered_and_named():
    assert {"transformer", "bitransformer"} <= set(forge.list_encoders())
    assert forge.create("bitransformer").bidirectional is True
    assert registered_name(forge.create("transformer")) == "transformer"
    assert registered_name(forge.create("bitransformer")) == "bitransformer"


@pytest.mark.parametrize("positions", ["sinusoidal", "learned", "rope"])
def test_causal_vector_at_t_ignores_every_later_token(causal, positions):
    enc = causal if positions == "sinusoidal" else fit("transformer", positions=positions, dropout=0.0)
    base = ["the", "cat", "sat", "on", "the", "mat"]
    t = 2
    (ref,) = enc.embed([base])
    for later in (["a", "dog", "ran"], ["park", "park", "park"], ["mat", "the", "on"]):
        (other,) = enc.embed([base[: t + 1] + later])
        assert np.array_equal(ref[: t + 1], other[: t + 1]), positions  # bit-identical
        assert not np.array_equal(ref[t + 1 :], other[t + 1 :])


def test_bidirectional_vector_at_t_sees_later_tokens(bidir):
    (ref,) = bidir.embed([["the", "cat", "sat", "on", "the", "mat"]])
    (other,) = bidir.embed([["the", "cat", "sat", "to", "a", "park"]])
    assert not np.allclose(ref[:3], other[:3])


@pytest.mark.parametrize("name", ["transformer", "bitransformer"])
def test_padding_never_changes_a_real_position(name, causal, bidir):
    enc = causal if name == "transformer" else bidir
    short = ["a", "cat", "sat"]
    (alone,) = enc.embed([short])
    together = enc.embed([short, ["the", "dog", "ran", "to", "the", "park", "on", "a", "mat"]])
    np.testing.assert_allclose(together[0], alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("positions", ["sinusoidal", "learned", "rope"])
def test_fused_equals_scratch_forward_and_gradients(bidirectional, positions):
    def build(impl):
        torch.manual_seed(0)
        return TransformerLM(
            vocab_size=30, embedding_dim=12, d_model=16, heads=2, ff=32, layers=2, dropout=0.0,
            positions=positions, max_positions=20, impl=impl, bidirectional=bidirectional,
            tie_weights=True, softmax="full",
        )  # fmt: skip

    fused, scratch = build("fused"), build("scratch")
    scratch.load_state_dict(fused.state_dict())
    tokens = torch.randint(4, 30, (3, 9))
    tokens[:, 0] = 2
    lengths = torch.tensor([9, 6, 4])
    for row, n in enumerate(lengths.tolist()):
        tokens[row, n:] = 0
    outs = []
    for model in (fused, scratch):
        torch.manual_seed(1)  # the masked LM draws the same positions in both
        nll, count = model(tokens, lengths)
        nll.backward()
        reps = model.layer_outputs(tokens, lengths)
        outs.append((nll.detach(), count, reps, {n: p.grad.clone() for n, p in model.named_parameters()}))
    (n1, c1, r1, g1), (n2, c2, r2, g2) = outs
    assert int(c1) == int(c2)
    torch.testing.assert_close(n1, n2, rtol=1e-5, atol=1e-5)
    for a, b in zip(r1, r2, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert g1.keys() == g2.keys()
    for name in g1:
        torch.testing.assert_close(g1[name], g2[name], rtol=1e-4, atol=1e-6, msg=name)


def test_fused_and_scratch_encoders_agree_after_training():
    fused = fit("transformer", impl="fused", dropout=0.0, epochs=2)
    scratch = fit("transformer", impl="scratch", dropout=0.0, epochs=2)
    for a, b in zip(fused.embed(CORPUS[:4]), scratch.embed(CORPUS[:4]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["transformer", "bitransformer"])
def test_attention_weights_are_distributions_and_causal(name, causal, bidir):
    enc = causal if name == "transformer" else bidir
    w = enc.attention_weights(["the", "cat", "sat", "on"], boundaries=True)
    assert w.shape == (2, 2, 6, 6)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    upper = np.triu(np.ones((6, 6), dtype=bool), k=1)
    if name == "transformer":
        assert np.all(w[..., upper] == 0.0)
    else:
        assert np.any(w[..., upper] > 0.0)
    assert enc.attention_weights(["the", "cat", "sat", "on"]).shape == (2, 2, 4, 4)


def test_shapes_layers_mix_and_static(causal):
    enc = fit("transformer", layer="mix", dropout=0.0)
    (v,) = enc.embed([["the", "cat", "sat"]])
    assert v.shape == (3, enc.dim) and enc.dim == 16 + 2 * 16
    assert enc.static_matrix().shape == (len(enc.vocabulary), 16)
    np.testing.assert_array_equal(enc.vector("cat"), enc.static_matrix()[enc.vocabulary.index["cat"]])
    (layer0,) = causal.set_params(layer=0).embed([["the", "cat"]])
    np.testing.assert_allclose(layer0[1], causal.vector("cat"))
    causal.set_params(layer="top")
    assert [w for w, _ in causal.most_similar("cat", topn=3)]


def test_init_from_a_static_encoder_of_another_width_is_projected():
    static = forge.create("skipgram", vector_size=12, min_count=1, epochs=2, seed=0, workers=1).fit(CORPUS)
    enc = fit("transformer", init_from=static, dropout=0.0, freeze_embedding=True)
    assert enc.embedding_dim_ == 12 and enc.static_dim == 12 and enc.dim == 16
    np.testing.assert_allclose(enc.vector("cat"), static.vector("cat"), rtol=1e-6)
    assert enc.model_.in_proj is not None and enc.model_.proj is not None  # d_model 16 <-> 12, tied


def test_stream_mode_trains_and_reports_stream_perplexity():
    enc = fit("transformer", context="stream", bptt=8, batch_size=4, epochs=2, validation=0.1)
    assert enc.history_[-1]["context"] == "stream"
    assert 1.0 < enc.perplexity(CORPUS[:8]) < 100.0
    bi = fit("bitransformer", context="stream", bptt=8, batch_size=4)
    assert 1.0 < bi.perplexity(CORPUS[:8]) < 100.0


def test_save_load_and_resume_are_exact(tmp_path):
    enc = fit("bitransformer", dropout=0.1, epochs=2, positions="rope")
    enc.save(tmp_path / "m")
    back = forge.load(tmp_path / "m")
    for a, b in zip(enc.embed(CORPUS[:3]), back.embed(CORPUS[:3]), strict=True):
        np.testing.assert_array_equal(a, b)
    assert back.perplexity(CORPUS[:8]) == enc.perplexity(CORPUS[:8])
    ckpt = tmp_path / "ckpt"
    fit("bitransformer", dropout=0.1, epochs=1, positions="rope", checkpoint_dir=str(ckpt))
    resumed = fit("bitransformer", dropout=0.1, epochs=2, positions="rope", checkpoint_dir=str(ckpt), resume=True)
    for a, b in zip(enc.embed(CORPUS[:3]), resumed.embed(CORPUS[:3]), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [h["train_loss"] for h in resumed.history_] == [h["train_loss"] for h in enc.history_]


def test_learned_positions_refuse_sentences_longer_than_the_table():
    enc = fit("transformer", positions="learned", max_len=6, bptt=4)  # 8 positions
    with pytest.raises(BadInputError, match="learned positions"):
        enc.embed([["the"] * 9])
    assert fit("transformer", positions="rope", max_len=6).embed([["the"] * 9])[0].shape == (9, 16)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"d_model": 18, "heads": 4}, "not divisible by heads=4"),
        ({"d_model": 12, "heads": 4, "positions": "rope"}, "must be even"),
        ({"positions": "alibi"}, "'sinusoidal', 'learned', 'rope'"),
        ({"impl": "flash"}, "'fused', 'scratch'"),
    ],
)
def test_bad_parameters_name_the_fix(params, match):
    with pytest.raises(BadInputError, match=match):
        forge.create("transformer", **params).fit(CORPUS)


def test_position_tables():
    table = sinusoidal_table(10, 8)
    assert table.shape == (10, 8)
    torch.testing.assert_close(table[0], torch.tensor([0.0, 1.0] * 4))
    cos, sin = rope_tables(5, 4)
    torch.testing.assert_close(cos**2 + sin**2, torch.ones(5, 4))


@pytest.mark.parametrize("name", ["transformer", "bitransformer", "lstm", "bigru"])
def test_defaults_are_the_recipe_built_on_a_skipgram_trained_on_the_fly(name, caplog):
    import logging

    enc = forge.create(name)
    assert (enc.init_from, enc.layer, enc.freeze_embedding) == ("skipgram", "mix", None)
    small = {"d_model": 16, "heads": 2, "ff": 32} if "transformer" in name else {"hidden_size": 16}
    with caplog.at_level(logging.INFO, logger="forge.encoders.neural"):
        enc = forge.create(name, layers=1, epochs=1, device="cpu", **small).fit(CORPUS)
    assert "fitting skipgram" in caplog.text  # said in the log
    sg = enc.init_encoder_
    # the static part is the skip-gram's, unchanged (frozen): its neighbours are the skip-gram's
    half = enc.static_matrix()[:, : sg.dim]
    for word in ("cat", "park", "the"):
        np.testing.assert_allclose(half[enc.vocabulary.index[word]], sg.vector(word), rtol=1e-6)
    assert enc.similarity("cat", "dog") == pytest.approx(sg.similarity("cat", "dog"), abs=1e-5)
    assert not enc.model_.embedding.weight.requires_grad
    bare = forge.create(name, layers=1, epochs=1, device="cpu", init_from=None, **small).fit(CORPUS)
    assert bare.model_.embedding.weight.requires_grad and bare.init_note_ is None


def test_masked_lm_picks_15_percent_then_80_10_10():
    torch.manual_seed(0)
    model = TransformerLM(
        vocab_size=1000, embedding_dim=8, d_model=8, heads=2, ff=16, layers=1, dropout=0.0,
        positions="sinusoidal", max_positions=210, impl="fused", bidirectional=True, tie_weights=True,
        softmax="full",
    )  # fmt: skip
    tokens = torch.randint(4, 1000, (200, 200))
    candidates = torch.ones_like(tokens, dtype=torch.bool)
    candidates[:, 0] = False  # <s> is never predicted
    chosen, inputs, masked = model._masked_positions(tokens, candidates)
    n = int(chosen.sum())
    assert not chosen[:, 0].any() and abs(n / candidates.sum().item() - 0.15) < 0.01
    assert abs(int(masked.sum()) / n - 0.8) < 0.02
    swapped = chosen & ~masked & (inputs != tokens)
    kept = chosen & ~masked & (inputs == tokens)
    assert abs(int(swapped.sum()) / n - 0.1) < 0.02 and abs(int(kept.sum()) / n - 0.1) < 0.02
    assert torch.equal(inputs[~chosen], tokens[~chosen])  # nothing else is touched
    model.eval()  # evaluation masks come from a fixed seed: repeatable
    first = model._masked_positions(tokens, candidates)[0]
    assert torch.equal(first, model._masked_positions(tokens, candidates)[0])
