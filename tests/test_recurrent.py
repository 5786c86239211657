"""Recurrent encoders: registry, embeddings, the language-model targets, save/load, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import forge
from forge.errors import BadInputError, CorruptModelError, DeviceError, OutOfVocabularyError

DATA = Path(__file__).parent / "data" / "rnn_corpus.txt"
NAMES = ["rnn", "birnn", "lstm", "bilstm", "gru", "bigru"]
FAST = {
    "hidden_size": 8,
    "layers": 2,
    "epochs": 1,
    "batch_size": 16,
    "progress": False,
    "device": "cpu",
    "init_from": None,
    "layer": "top",
}


@pytest.fixture(scope="module")
def corpus():
    return list(forge.corpora.TextCorpus(DATA))


@pytest.fixture(scope="module")
def fitted(corpus):
    return {name: forge.create(name, **FAST).fit(corpus) for name in ("lstm", "bilstm")}


def test_import_forge_does_not_import_torch():
    code = "import sys, forge; forge.list_encoders(); assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", NAMES)
def test_registered_names_set_cell_and_direction(name):
    enc = forge.create(name)
    assert type(enc).__name__ == "RecurrentEncoder"
    assert enc.cell == name.removeprefix("bi")
    assert enc.bidirectional is name.startswith("bi")
    assert enc.name == name


@pytest.mark.parametrize(
    ("param", "value", "valid"),
    [
        ("cell", "lstn", "'rnn', 'gru', 'lstm'"),
        ("impl", "cudnn", "'fused', 'scratch'"),
        ("softmax", "nce", "'auto', 'full', 'adaptive', 'sampled'"),
    ],
)
def test_unknown_choice_lists_the_valid_ones(param, value, valid, corpus):
    with pytest.raises(BadInputError, match=f"{param}='{value}'.*{valid}"):
        forge.create("lstm", **{**FAST, param: value}).fit(corpus)


def test_embed_shapes_and_dim(fitted):
    uni, bi = fitted["lstm"], fitted["bilstm"]
    assert uni.dim == 8 and bi.dim == 16
    out = bi.embed([["the", "cat", "sees", "a", "book"], ["a", "bird"]])
    assert [a.shape for a in out] == [(5, 16), (2, 16)]
    assert all(a.dtype == np.float32 for a in out)
    assert uni.vector("cat").shape == (uni.static_dim,) == (8,)
    assert uni.tags["contextual"] and uni.tags["order_sensitive"] and uni.tags["device"] == "cpu"


def test_embed_is_batch_independent(fitted):
    enc = fitted["bilstm"]
    sents = [["the", "cat", "sees", "a", "book", "today"], ["a", "bird"], ["the", "king"]]
    together = enc.embed(sents)
    for sent, vecs in zip(sents, together):
        np.testing.assert_allclose(enc.embed([sent])[0], vecs, atol=1e-6)


def test_unidirectional_state_depends_only_on_the_left(fitted):
    enc = fitted["lstm"]
    a = enc.embed([["the", "cat", "sees", "the", "ball"]])[0]
    b = enc.embed([["the", "cat", "likes", "a", "song"]])[0]
    np.testing.assert_array_equal(a[:2], b[:2])  # same left context: identical vectors
    assert np.abs(a[2:] - b[2:]).max() > 0


def test_bidirectional_halves_see_their_side_only(fitted):
    enc = fitted["bilstm"]
    h = enc.hidden_size
    a = enc.embed([["the", "cat", "sees", "the", "ball"]])[0]
    b = enc.embed([["the", "cat", "sees", "a", "song"]])[0]  # words 3, 4 differ
    np.testing.assert_array_equal(a[:3, :h], b[:3, :h])  # forward half: left context only
    assert np.abs(a[:3, h:] - b[:3, h:]).max() > 0  # backward half sees the changed right
    c = enc.embed([["a", "dog", "sees", "the", "ball"]])[0]  # words 0, 1 differ
    np.testing.assert_array_equal(a[2:, h:], c[2:, h:])
    # "apple pie" vs "apple phone": the unidirectional vector of the first word is the same, bi differs
    assert np.abs(enc.embed([["the", "cat"]])[0][0] - enc.embed([["the", "dog"]])[0][0]).max() > 0


def test_layer_selection(corpus):
    enc = forge.create("bilstm", **FAST).fit(corpus)
    top = enc.embed([["the", "cat"]])[0]
    for layer, dim in [(0, 16), (1, 16), (2, 16), ("mean", 16), ([0.0, 0.5, 0.5], 16)]:
        enc.layer = layer
        assert enc.embed([["the", "cat"]])[0].shape == (2, dim)
    enc.layer = 0
    emb = enc.embed([["the", "cat"]])[0]
    np.testing.assert_allclose(emb[0], enc.vector("the"))  # ELMo's layer 0: [e, e]
    assert enc.static_dim == enc.dim == 16
    enc.layer = [0.0, 0.0, 1.0]
    np.testing.assert_allclose(enc.embed([["the", "cat"]])[0], top, atol=1e-6)
    enc.layer = 7
    with pytest.raises(BadInputError, match="layer=7"):
        enc.embed([["the"]])
    with pytest.raises(BadInputError, match="embedding_dim"):
        forge.create("lstm", **{**FAST, "embedding_dim": 4, "layer": "mean"}).fit(corpus)


def test_learns_a_deterministic_sequence():
    corpus = [["a", "b", "c", "d", "e", "f"]] * 40
    enc = forge.create(
        "lstm",
        hidden_size=16,
        layers=1,
        batch_size=32,
        epochs=15,
        lr=0.02,
        dropout=0.0,
        validation=0,
        progress=False,
        init_from=None,
    ).fit(corpus)
    assert enc.perplexity(corpus) < 1.5  # every next word (and </s>) is certain


@pytest.mark.parametrize("name", ["bilstm", "birnn"])
def test_bidirectional_lm_never_sees_its_target(name):
    # random words: a model that saw the word it predicts would reach perplexity ~1 on new data
    rng = np.random.RandomState(0)
    words = [f"w{i}" for i in range(12)]
    train = [list(rng.choice(words, 8)) for _ in range(200)]
    test = [list(rng.choice(words, 8)) for _ in range(50)]
    enc = forge.create(
        name, hidden_size=16, layers=1, epochs=3, lr=0.01, dropout=0.0, validation=0, progress=False
    ).fit(train)
    assert enc.perplexity(test) > 8.0  # close to the 12 equally likely words (+ </s>)


def test_oov_policies(corpus):
    enc = forge.create("lstm", **FAST).fit(corpus)
    with pytest.raises(OutOfVocabularyError, match="zebra"):
        enc.embed([["the", "zebra"]])
    enc.oov = "unk"
    assert enc.embed([["the", "zebra"]])[0].shape == (2, 8)
    np.testing.assert_array_equal(enc.vector("zebra"), enc.vector("<unk>"))
    enc.oov = "zero"
    assert not enc.vector("zebra").any()
    assert np.isfinite(enc.embed([["the", "zebra"]])[0]).all()


def test_empty_batch_and_empty_sentence(fitted):
    enc = fitted["bilstm"]
    assert enc.embed([]) == []
    out = enc.embed([[], ["the"], []])
    assert [a.shape for a in out] == [(0, 16), (1, 16), (0, 16)]
    with pytest.raises(BadInputError, match="string"):
        enc.embed("the cat")
    with pytest.raises(BadInputError, match="no words"):
        enc.perplexity([[]])


def test_sentence_longer_than_any_seen(fitted, corpus):
    enc = fitted["lstm"]
    longest = max(map(len, corpus))
    sent = (["the", "cat", "sees", "the", "ball", "and"] * 100)[: 20 * longest]
    out = enc.embed([sent])[0]
    assert out.shape == (len(sent), 8) and np.isfinite(out).all()  # a recurrent model has no length limit
    assert enc.perplexity([sent]) > 1.0


def test_empty_corpus_and_bad_params():
    with pytest.raises(BadInputError, match="empty"):
        forge.create("lstm", **FAST).fit([[], []])
    with pytest.raises(BadInputError, match="dropout"):
        forge.create("lstm", **{**FAST, "dropout": 1.5}).fit([["a"]])
    with pytest.raises(BadInputError, match="tie_weights"):
        forge.create("lstm", **{**FAST, "tie_weights": True, "softmax": "adaptive"}).fit([["a"]])


@pytest.mark.parametrize("device", ["tpu", "gpu", "cuda:x", 3])
def test_unknown_device(device):
    with pytest.raises(DeviceError, match="Unknown device"):
        forge.create("lstm", **{**FAST, "device": device}).fit([["a", "b"]])


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when CUDA is absent")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_absent_is_a_clear_error(device):
    with pytest.raises(DeviceError, match="CUDA is not available.*device='cpu'"):
        forge.create("lstm", **{**FAST, "device": device}).fit([["a", "b"]])


def test_auto_device_resolves(fitted):
    enc = forge.create("lstm", **{**FAST, "device": "auto"}).fit([["a", "b"]])
    assert enc.tags["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


def test_save_load_roundtrip_safetensors_no_pickle(fitted, tmp_path):
    enc = fitted["bilstm"]
    path = enc.save(tmp_path / "m")
    files = sorted(p.name for p in path.iterdir() if not p.name.startswith(".forge-"))
    assert files == ["config.json", "model.safetensors", "recurrent.json", "vocab.json"]
    for name in files:
        assert not (path / name).read_bytes().startswith(b"\x80")  # no pickle protocol header
    config = json.loads((path / "config.json").read_text())
    assert config["encoder"] == "bilstm" and config["params"]["hidden_size"] == 8
    loaded = forge.load(path)
    sents = [["the", "cat", "sees", "a", "book"]]
    np.testing.assert_array_equal(loaded.embed(sents)[0], enc.embed(sents)[0])
    np.testing.assert_array_equal(loaded.vector("cat"), enc.vector("cat"))
    assert loaded.perplexity(sents) == pytest.approx(enc.perplexity(sents), rel=1e-6)


def test_corrupt_model_files(fitted, tmp_path):
    path = fitted["lstm"].save(tmp_path / "m")
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptModelError, match="model.safetensors"):
        forge.load(path)
    path = fitted["lstm"].save(tmp_path / "m2")
    (path / "recurrent.json").write_text("{not json")
    with pytest.raises(CorruptModelError, match="recurrent.json"):
        forge.load(path)


def test_init_from_static_encoder_frozen_and_saved_without_it(corpus, tmp_path):
    static = forge.create("onehot").fit(corpus)
    enc = forge.create("lstm", **{**FAST, "init_from": static, "freeze_embedding": True}).fit(corpus)
    assert enc.static_dim == static.dim
    for word in ("cat", "garden"):
        np.testing.assert_array_equal(enc.vector(word), static.vector(word).toarray().ravel())
    assert enc.init_coverage_ == 1.0
    path = enc.save(tmp_path / "m")
    assert json.loads((path / "config.json").read_text())["params"]["init_from"] is None
    np.testing.assert_array_equal(forge.load(path).vector("cat"), enc.vector("cat"))


def test_init_from_fine_tuned_changes_and_bad_sources(corpus, tmp_path):
    static = forge.create("onehot").fit(corpus)
    enc = forge.create("lstm", **{**FAST, "init_from": static, "lr": 0.05, "freeze_embedding": False}).fit(corpus)
    assert not np.array_equal(enc.vector("cat"), static.vector("cat").toarray().ravel())
    with pytest.raises(BadInputError, match="fitted static"):
        forge.create("lstm", **{**FAST, "init_from": forge.create("onehot")}).fit(corpus)
    with pytest.raises(BadInputError, match="contextual"):
        forge.create("lstm", **{**FAST, "init_from": enc}).fit(corpus)
    with pytest.raises(BadInputError, match="embedding_dim=4"):
        forge.create("lstm", **{**FAST, "init_from": static, "embedding_dim": 4}).fit(corpus)
    path = static.save(tmp_path / "onehot")
    by_path = forge.create("lstm", **{**FAST, "init_from": str(path), "freeze_embedding": True}).fit(corpus)
    np.testing.assert_array_equal(by_path.vector("cat"), static.vector("cat").toarray().ravel())


def test_init_from_word2vec(corpus):
    try:
        w2v = forge.create("skipgram", vector_size=12, epochs=1, seed=1, workers=1, min_count=1).fit(corpus)
    except (ImportError, KeyError, forge.errors.ForgeError) as exc:  # the word2vec module may not exist yet
        pytest.skip(f"skipgram encoder unavailable: {exc}")
    enc = forge.create("bilstm", **{**FAST, "init_from": w2v, "freeze_embedding": True}).fit(corpus)
    np.testing.assert_allclose(enc.vector("cat"), np.concatenate([w2v.vector("cat")] * 2), rtol=1e-6)
    assert enc.embed([["the", "cat"]])[0].shape == (2, 16)


def test_deterministic_for_a_fixed_seed(corpus):
    params = {**FAST, "dropout": 0.3, "validation": 0.1, "epochs": 2}
    corpus = corpus[:60]
    a = forge.create("bigru", **params).fit(corpus)
    b = forge.create("bigru", **params).fit(corpus)
    c = forge.create("bigru", **{**params, "seed": 1}).fit(corpus)
    sent = [["the", "cat", "sees", "a", "book"]]
    np.testing.assert_array_equal(a.embed(sent)[0], b.embed(sent)[0])
    assert a.history_ == [
        {**h, "tokens_per_s": a.history_[i]["tokens_per_s"], "seconds": a.history_[i]["seconds"]}
        for i, h in enumerate(b.history_)
    ]
    assert not np.array_equal(a.embed(sent)[0], c.embed(sent)[0])


def test_most_similar_and_similarity_use_the_input_embedding(fitted):
    enc = fitted["lstm"]
    near = enc.most_similar("cat", topn=3)
    assert len(near) == 3 and all(w not in ("cat", "<pad>", "<s>", "</s>") for w, _ in near)
    assert enc.most_similar(enc.vector("cat"), topn=1)[0][0] == "cat"
    assert -1.0 <= enc.similarity("cat", "dog") <= 1.0
    with pytest.raises(BadInputError, match="shape"):
        enc.most_similar(np.zeros(3))
    bi = fitted["bilstm"]
    assert bi.vector("cat").shape == (16,)
    top = bi.most_similar(bi.vector("cat"), topn=2)
    assert top[0][0] == "cat" and top[0][1] == pytest.approx(1.0, abs=1e-5)
    assert bi.most_similar("cat", topn=1)[0][0] == top[1][0]
    assert bi.similarity("cat", "dog") == pytest.approx(
        float(
            np.dot(bi.vector("cat"), bi.vector("dog"))
            / (np.linalg.norm(bi.vector("cat")) * np.linalg.norm(bi.vector("dog")))
        ),
        abs=1e-6,
    )


def test_fit_leaves_the_global_rng_alone(corpus):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    forge.create("gru", **FAST).fit(corpus[:30])
    assert torch.equal(torch.rand(3), expected)


def test_cli_train_and_load(tmp_path, capsys):
    from forge.cli import main

    out = tmp_path / "model"
    assert (
        main(
            [
                "train",
                "bigru",
                "--corpus",
                str(DATA),
                "--param",
                "hidden_size=8",
                "--param",
                "epochs=1",
                "--param",
                "progress=false",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Trained bigru" in printed and "built on skipgram (100-d" in printed and "on the fly" in printed
    loaded = forge.load(out)  # no parameters: the recipe, a skip-gram (100-d) under a GRU (16), layer="mix"
    assert loaded.init_from == "skipgram" and loaded.embed([["the", "cat"]])[0].shape == (
        2,
        2 * (100 + 8),
    )  # 1 layer (the default) of 8
    if not torch.cuda.is_available():
        assert main(["train", "lstm", "--corpus", str(DATA), "--device", "cuda", "--out", str(tmp_path / "m2")]) == 2
        assert "CUDA is not available" in capsys.readouterr().err
