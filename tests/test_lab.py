"""The lab's probes: each claim's defining property on small data, the harness hook, the report, the CLI."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import forge
from forge.errors import UnknownNameError
from forge.lab import ProbeOptions, get_probe, list_probes, mean_pool, run_probes
from forge.lab._sentences import LEFT_CONTEXT, ORDER_SENTENCES, SENSES, zh_training_sentences

QUICK = ProbeOptions(quick=True, benchmarks=False)


def _corpus() -> list[list[str]]:
    english = ORDER_SENTENCES + [ctx for _, _, ctx in SENSES] + [s for a, b, _, _ in LEFT_CONTEXT for s in (a, b)]
    return zh_training_sentences() + english


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models: one thread is faster, and immune to other processes competing for the cores."""
    from forge.lab._threads import one_thread

    with one_thread():
        yield


@pytest.fixture(scope="module")
def _fitted(_one_torch_thread):
    pytest.importorskip("torch", reason="the lab's recurrent encoders need the torch extra")
    corpus = _corpus()
    small = {
        "hidden_size": 8,
        "layers": 1,
        "batch_size": 32,
        "dropout": 0.0,
        "validation": 0.0,
        "device": "cpu",
        "progress": False,
        "seed": 0,
    }
    return {
        "onehot": forge.create("onehot").fit(corpus),
        "skipgram": forge.create("skipgram", vector_size=16, epochs=1, min_count=1, workers=1, seed=1).fit(corpus),
        "rnn": forge.create("rnn", epochs=1, **small).fit(corpus),
        "rnn-untrained": forge.create("rnn", epochs=0, **small).fit(corpus),
        "birnn": forge.create("birnn", epochs=1, **small).fit(corpus),
    }


@pytest.fixture
def encoders(_fitted):
    return copy.deepcopy(_fitted)


def _values(result, metric: str, section: str | None = None) -> dict[str, float]:
    f = result.frame[result.frame["metric"] == metric]
    if section is not None:
        f = f[f["section"] == section]
    return dict(zip(f["encoder"], f["value"]))


def test_registry_lists_the_nine_claims():
    probes = list_probes()
    assert [get_probe(p).claim for p in probes] == list(range(1, 10))
    with pytest.raises(UnknownNameError, match="probe-order"):
        get_probe("probe-ordr")


def test_mean_pool_ignores_summation_order():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(30, 5)) * np.logspace(-12, 6, 30)[:, None]  # wildly different magnitudes
    pooled = mean_pool(rows)
    for _ in range(5):
        assert np.array_equal(mean_pool(rows[rng.permutation(30)]), pooled)


def test_claim1_onehot_pairs_are_exactly_orthogonal(encoders):
    res = run_probes(encoders, ["probe-onehot"], QUICK)
    zero = _values(res, "cosine_exactly_zero_fraction")
    assert zero["onehot"] == 1.0
    assert zero["skipgram"] < 1.0
    assert _values(res, "cosine", "apple / banana")["onehot"] == 0.0
    dim = _values(res, "dim")
    assert dim["onehot"] == len(encoders["onehot"].vocabulary)
    density = _values(res, "density")
    assert density["onehot"] == pytest.approx(1 / dim["onehot"])
    assert _values(res, "bytes_per_token_stored")["onehot"] < _values(res, "bytes_per_token_dense")["onehot"]


def test_claim3_static_vectors_have_zero_spread(encoders):
    res = run_probes(encoders, ["probe-polysemy"], QUICK)
    spread = _values(res, "spread_mean")
    assert spread["onehot"] == 0.0 and spread["skipgram"] == 0.0
    assert spread["rnn"] > 0.0 and spread["birnn"] > 0.0
    assert _values(res, "identical_fraction")["skipgram"] == 1.0


def test_claim4_mean_pooling_static_vectors_is_exactly_order_blind(encoders):
    res = run_probes(encoders, ["probe-order"], QUICK)
    same, dist = _values(res, "identical_fraction"), _values(res, "cosine_distance_mean")
    for static in ("onehot", "skipgram"):
        assert same[static] == 1.0 and dist[static] == 0.0
    for recurrent in ("rnn", "rnn-untrained", "birnn"):  # order-sensitive even with random weights
        assert same[recurrent] == 0.0 and dist[recurrent] > 0.0
    pair = _values(res, "cosine_distance", "我打你 / 你打我")
    assert pair["skipgram"] == 0.0 and pair["rnn"] > 0.0


def test_claim5_bag_of_words_is_at_chance_on_who_did_what(encoders):
    res = run_probes(encoders, ["probe-order-task"], QUICK)
    for split in ("accuracy_new_pairs", "accuracy_new_words"):
        acc = _values(res, split)
        # every test bag appears in both orders with opposite labels: identical features, one of two right
        assert acc["onehot"] == 0.5 and acc["skipgram"] == 0.5
        assert all(0.0 <= acc[e] <= 1.0 for e in ("rnn", "rnn-untrained", "birnn"))
    # structure alone separates the orders of known words, even with random weights
    assert _values(res, "train_accuracy_new_pairs")["rnn-untrained"] > 0.5
    assert set(res.frame["language"]) == {"zh"}


def test_claim6_left_to_right_gives_identical_vectors(encoders):
    res = run_probes(encoders, ["probe-left-context"], QUICK)
    dist, same = _values(res, "cosine_distance_mean"), _values(res, "identical_fraction")
    for uni in ("onehot", "skipgram", "rnn", "rnn-untrained"):
        assert dist[uni] == 0.0 and same[uni] == 1.0
    assert dist["birnn"] > 0.0 and same["birnn"] == 0.0
    apple = _values(res, "l2_distance", "苹果: 苹果派 / 苹果手机")
    assert apple["rnn"] == 0.0 and apple["birnn"] > 0.0


def test_claim2_related_pairs_and_analogies_run(encoders):
    res = run_probes({"skipgram": encoders["skipgram"]}, ["probe-static-similarity"], QUICK)
    notes = res.notes[("probe-static-similarity", "skipgram")]
    assert any(n.startswith("neighbours of") for n in notes)


def test_claim7_recall_task_and_vanishing_gradient():
    pytest.importorskip("torch", reason="the lab's recurrent encoders need the torch extra")
    from forge.lab._probe_memory import recall_batch, recall_curve

    tokens, keys = recall_batch(np.random.default_rng(0), 4, 6)
    assert tokens.shape == (4, 8) and np.array_equal(tokens[:, 0], keys + 1)
    accs, init, _trained = recall_curve("rnn", (1, 20), steps=20)
    assert len(accs) == 2 and all(0.0 <= a <= 1.0 for a in accs)
    assert len(init) == 22 and init[-1] < 1e-3 * init[0]  # the gradient from 21 steps back has vanished


def test_claim7_skips_encoders_without_a_cell(encoders):
    res = run_probes({"onehot": encoders["onehot"]}, ["probe-long-range"], QUICK)
    assert res.frame.empty
    assert "does not apply" in res.notes[("probe-long-range", "onehot")][0]


def test_claim8_times_embed_and_parallel_layers(encoders):
    res = run_probes({"rnn": encoders["rnn"], "onehot": encoders["onehot"]}, ["probe-speed"], QUICK)
    times = res.frame[res.frame["metric"] == "ms_per_batch_embed"]
    assert len(times) == 6 and (times["value"] > 0).all()
    metrics = set(res.frame[res.frame["encoder"] == "rnn"]["metric"])
    assert {"ms_per_batch_recurrent_layer", "ms_per_batch_conv1d", "ms_per_batch_self_attention"} <= metrics
    assert "ms_per_batch_conv1d" not in set(res.frame[res.frame["encoder"] == "onehot"]["metric"])


@pytest.mark.cuda
def test_claim8_times_the_layers_on_cuda_when_present(encoders):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    res = run_probes({"rnn": encoders["rnn"]}, ["probe-speed"], QUICK)
    exps = res.frame[res.frame["metric"] == "growth_exponent_recurrent_layer"]
    assert set(exps["section"]) == {"cpu", "cuda"}
    assert (res.frame[res.frame["section"].str.startswith("cuda ")]["value"] > 0).all()


def test_probes_run_through_the_harness(encoders):
    from forge.bench import expand_names, run

    assert expand_names("probe-order,wordsim353") == ["probe-order", "wordsim353"]
    with pytest.raises(UnknownNameError):
        expand_names("probe-nope")
    report = run({"onehot": encoders["onehot"], "rnn": encoders["rnn"]}, ["probe-order"], progress=False)
    main = report.main_scores().set_index("encoder")["value"]
    assert main["onehot"] == 1.0 and main["rnn"] == 0.0
    assert set(report.frame["kind"]) == {"probe"}
    assert report.protocol["datasets"]["probe-order"]["claim"] == 4


def test_report_files(encoders, tmp_path):
    res = run_probes(
        {"onehot": encoders["onehot"], "birnn": encoders["birnn"]}, ["probe-order", "probe-left-context"], QUICK
    )
    out = res.save(tmp_path / "lab")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Claim 4" in md and "## Claim 6" in md and "我打你" in md
    assert (out / "fig4-probe-order.png").read_bytes()[:4] == b"\x89PNG"
    assert "data:image/png;base64" in (out / "report.html").read_text(encoding="utf-8")
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {r["dataset"] for r in payload["results"]} == {"probe-order", "probe-left-context"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_cli_lists_probes(capsys):
    from forge.cli import main

    assert main(["lab", "--list"]) == 0
    out = capsys.readouterr().out
    assert "probe-left-context" in out and "probe-speed" in out


@pytest.fixture
def tiny_lab(monkeypatch):
    """run_lab's sizes made tiny (`forge.lab._sizes`): the wiring runs in seconds of CPU; returns `forge.lab._run`."""
    pytest.importorskip("torch", reason="the lab's recurrent encoders need the torch extra")
    from forge.corpora import ListCorpus
    from forge.errors import MissingDataError
    from forge.lab import _probe_memory, _probe_speed, _run, _sentences, _sizes

    tiny = _corpus()[-120:]

    def load(name, **kw):
        if name == "sinica":
            raise MissingDataError("no sinica in this test")
        return ListCorpus(tiny)

    monkeypatch.setattr(forge.corpora, "load", load)
    monkeypatch.setattr(_sentences, "zh_training_sentences", lambda: zh_training_sentences()[:150])
    monkeypatch.setattr(_probe_memory, "_settings", lambda options: ((2,), 3))
    monkeypatch.setitem(_probe_speed.LENGTHS, "quick", (4, 8))
    monkeypatch.setitem(
        _sizes.LAB_SIZES,
        "quick",
        {
            "w2v": {"vector_size": 8, "epochs": 1, "min_count": 1},
            "rnn_hidden": 4,
            "rnn_tokens": 300,
            "rnn_vocab": 200,
            "zh_epochs": 1,
        },
    )
    monkeypatch.setattr(_sizes, "RECURRENT", ("rnn", "birnn"))
    monkeypatch.setattr(_sizes, "UNTRAINED", ("rnn",))
    return _run


@pytest.mark.slow
def test_run_lab_end_to_end(tmp_path, tiny_lab):
    """The wiring of run_lab (train, probe, report) with every size made tiny."""
    _run = tiny_lab
    res = _run.run_lab(quick=True, out=tmp_path / "lab", log=lambda msg: None, save_models=tmp_path / "models")
    assert {"probe-onehot", "probe-order", "probe-left-context", "probe-long-range"} <= set(res.frame["dataset"])
    assert (tmp_path / "lab" / "report.html").is_file() and (tmp_path / "models" / "zh-rnn").is_dir()
    again = _run.run_lab(quick=True, models=tmp_path / "models", log=lambda msg: None)
    assert set(again.frame["encoder"]) == set(res.frame["encoder"])


@pytest.mark.slow
def test_forge_lab_quick_runs_without_the_chinese_extra(tmp_path, tiny_lab, monkeypatch, capsys):
    """`forge lab --quick` where neither jieba nor OpenCC imports (issue 19): the whole story runs, Chinese
    encoders included (their sentences are hand-segmented), and the terminal and the report say what was
    skipped and how to get it."""
    import sys

    from forge.cli import main
    from forge.corpora import _zh

    monkeypatch.setitem(sys.modules, "jieba", None)  # `import jieba` raises ImportError
    monkeypatch.setitem(sys.modules, "opencc", None)
    _zh._converter.cache_clear()  # no converter left from an earlier test
    assert main(["lab", "--quick", "--out", str(tmp_path / "lab")]) == 0
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "opencc-python-reimplemented is not installed" in stream and "jieba is not installed" in stream
        assert 'pip install "foundations-forge[zh]"' in stream
    report = (tmp_path / "lab" / "report.md").read_text(encoding="utf-8")
    assert "Skipped: opencc-python-reimplemented is not installed" in report
    assert "Skipped: jieba is not installed" in report
    saved = json.loads((tmp_path / "lab" / "results.json").read_text(encoding="utf-8"))
    assert any("zh-" in r["encoder"] for r in saved["results"])  # the Chinese encoders still ran
    assert any(r["language"] == "en" for r in saved["results"])
    _zh._converter.cache_clear()


def test_order_probes_fall_back_to_vocabulary_words():
    enc = forge.create("onehot").fit([[f"w{i}" for i in range(12)]] * 2)  # no lab word in its vocabulary
    res = run_probes({"onehot": enc}, ["probe-order", "probe-left-context"], QUICK)
    assert _values(res, "identical_fraction", "50 sentences x 3 permutations")["onehot"] == 1.0
    assert _values(res, "cosine_distance_mean", "all pairs")["onehot"] == 0.0
