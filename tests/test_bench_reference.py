"""forge's similarity and analogy scores equal gensim's on the same vectors under the same protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

import forge
from forge.bench import VectorView, evaluate_analogy, evaluate_similarity, load_dataset, run
from forge.bench._parsers import parse_google_analogy, parse_word_pairs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _analogy_vectors(path, every: int, seed: int = 0, dim: int = 24, noise: float = 0.45):
    """KeyedVectors with real analogy structure (so both right and wrong answers occur), case variants,
    a few missing words and filler words."""
    rng = np.random.default_rng(seed)
    text = Path(path).read_text(encoding="utf-8").splitlines()
    lines = [ln.split() for ln in text if not ln.startswith(":")][::every]
    offsets, vecs = {}, {}
    for k, (a, b, c, d) in enumerate(lines):
        off = offsets.setdefault(k // 40, rng.normal(size=dim))
        for x, y in ((a, b), (c, d)):
            if x not in vecs:
                vecs[x] = rng.normal(size=dim)
            if y not in vecs:
                vecs[y] = vecs[x] + off + noise * rng.normal(size=dim)
    words = list(vecs)
    rng.shuffle(words)
    words = [w for w in words if rng.random() > 0.03]  # some OOV questions
    # case variants: lower-case copies, some before (more frequent) and some after the original
    variants = [w.lower() for w in words if w != w.lower()][:30]
    filler = [f"filler{i}" for i in range(300)]
    order = variants[:15] + words + variants[15:] + filler
    order = list(dict.fromkeys(order))
    mat = np.stack([vecs.get(w, rng.normal(size=dim)) if w in vecs else rng.normal(size=dim) for w in order])
    kv = KeyedVectors(dim)
    kv.add_vectors(order, mat.astype(np.float32))
    return kv, lines


@pytest.fixture(scope="module")
def analogy_setup(tmp_path_factory):
    src = datapath("questions-words.txt")
    kv, lines = _analogy_vectors(src, every=9)
    # a subset file in the same format, sections kept
    path = tmp_path_factory.mktemp("analogy") / "subset.txt"
    out, keep = [], {tuple(x) for x in lines}
    for ln in Path(src).read_text(encoding="utf-8").splitlines():
        if ln.startswith(":") or tuple(ln.split()) in keep:
            out.append(ln + "\n")
    path.write_text("".join(out), encoding="utf-8")
    return kv, path


def _gensim_counts(sections):
    return {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections}


@pytest.mark.parametrize(("restrict_vocab", "case_insensitive"), [(300000, True), (600, True), (300000, False)])
def test_analogy_accuracy_equals_gensim(analogy_setup, restrict_vocab, case_insensitive):
    kv, path = analogy_setup
    score, sections = kv.evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    qs = parse_google_analogy(path)
    view = VectorView(kv, case_insensitive=case_insensitive, restrict_vocab=restrict_vocab)
    res = evaluate_analogy(view, qs, methods=("3cosadd",), device="cpu", batch_size=97)
    main = res.main()
    gensim_total = _gensim_counts(sections)["Total accuracy"]
    assert 0.05 < score < 0.95, "the fixture should give both right and wrong answers"
    assert main["value"] == pytest.approx(score, abs=1e-12)
    assert (round(main["value"] * main["n"]), main["n"]) == gensim_total
    for name, (correct, total) in _gensim_counts(sections).items():
        if name == "Total accuracy" or total == 0:
            continue
        row = next(r for r in res.rows if r["section"] == name and r["metric"] == "accuracy_3cosadd")
        assert (round(row["value"] * row["n"]), row["n"]) == (correct, total), name
    # gensim's dummy4unknown=True score is forge's accuracy_all
    dummy, _ = kv.evaluate_word_analogies(
        str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, dummy4unknown=True
    )
    row = next(r for r in res.rows if r["metric"] == "accuracy_all_3cosadd" and r["section"] == "")
    assert row["value"] == pytest.approx(dummy, abs=1e-12)


def test_3cosmul_matches_brute_force(analogy_setup):
    kv, path = analogy_setup
    qs = parse_google_analogy(path)
    view = VectorView(kv, case_insensitive=False)
    res = evaluate_analogy(view, qs, methods=("3cosmul",), device="cpu", batch_size=50)
    unit = kv.get_normed_vectors()
    idx = kv.key_to_index
    expected = []
    for a, b, c, (d,) in zip(qs.a, qs.b, qs.c, qs.answers):
        if not all(w in idx for w in (a, b, c, d)):
            continue
        cos = [(1 + unit @ unit[idx[w]]) / 2 for w in (a, b, c)]
        score = cos[1] * cos[2] / (cos[0] + 1e-3)
        score[[idx[a], idx[b], idx[c]]] = -np.inf
        expected.append(kv.index_to_key[int(np.argmax(score))] == d)
    assert res.main()["value"] == pytest.approx(np.mean(expected), abs=1e-12)
    assert res.main()["n"] == len(expected)


@pytest.fixture(scope="module")
def pair_vectors():
    rng = np.random.default_rng(1)
    pairs = parse_word_pairs(datapath("wordsim353.tsv"))
    words = list(dict.fromkeys(pairs.word1 + pairs.word2))
    keep = [w for w in words if rng.random() > 0.2]
    keep += ["TIGER", "Love"]  # case variants after the originals
    kv = KeyedVectors(16)
    kv.add_vectors(keep, rng.normal(size=(len(keep), 16)).astype(np.float32))
    return kv, pairs


@pytest.mark.parametrize(("restrict_vocab", "case_insensitive"), [(300000, True), (150, True), (300000, False)])
def test_similarity_equals_gensim(pair_vectors, restrict_vocab, case_insensitive):
    kv, pairs = pair_vectors
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(
        datapath("wordsim353.tsv"), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    view = VectorView(kv, case_insensitive=case_insensitive, restrict_vocab=restrict_vocab)
    res = evaluate_similarity(view, pairs)
    values = {r["metric"]: r["value"] for r in res.rows}
    assert values["spearman"] == pytest.approx(spearman.statistic, abs=1e-9)
    assert values["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
    assert 100 * (1 - res.coverage) == pytest.approx(oov_ratio, abs=1e-9)


def test_similarity_zero_policy_equals_gensim_dummy4unknown(pair_vectors):
    kv, pairs = pair_vectors
    pearson, spearman, _ = kv.evaluate_word_pairs(datapath("wordsim353.tsv"), dummy4unknown=True)
    res = evaluate_similarity(VectorView(kv), pairs, oov="zero")
    values = {r["metric"]: r["value"] for r in res.rows}
    assert values["spearman"] == pytest.approx(spearman.statistic, abs=1e-9)
    assert values["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
    assert res.main()["n"] == len(pairs)


@pytest.mark.slow
def test_forge_word2vec_encoder_equals_gensim_on_its_keyed_vectors(tmp_path):
    text = Path(datapath("lee_background.cor")).read_text(encoding="utf-8").lower().splitlines()
    corpus = [line.split() for line in text if line.strip()]
    enc = forge.create("skipgram", vector_size=16, min_count=1, epochs=1, workers=1, seed=3, progress=False).fit(corpus)
    kv = enc.keyed_vectors
    rep = run({"sg": enc}, ["wordsim353"], progress=False)
    _, spearman, _ = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    assert rep.main_scores()["value"].iloc[0] == pytest.approx(spearman.statistic, abs=1e-9)
    # analogy on every 6th Google question (gensim answers one question at a time)
    lines = Path(datapath("questions-words.txt")).read_text(encoding="utf-8").splitlines()
    subset = tmp_path / "q.txt"
    subset.write_text("\n".join(ln for i, ln in enumerate(lines) if ln.startswith(":") or i % 6 == 0) + "\n")
    score, _ = kv.evaluate_word_analogies(str(subset))
    res = evaluate_analogy(VectorView(enc), parse_google_analogy(subset), methods=("3cosadd",))
    assert res.main()["value"] == pytest.approx(score, abs=1e-12)
    assert res.n_covered > 20


def test_all_pairs_oov_gensim_crashes_forge_reports_nan(tmp_path):
    kv = KeyedVectors(4)
    kv.add_vectors(["zzz", "yyy"], np.eye(2, 4, dtype=np.float32))
    with pytest.raises(ValueError, match=r"."):  # gensim fails on an all-OOV dataset (its message varies by version)
        kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    rep = run({"tiny": kv}, ["wordsim353", "google-analogy"], progress=False)
    main = rep.main_scores().set_index("dataset")
    assert np.isnan(main.loc["wordsim353", "value"]) and main.loc["wordsim353", "coverage"] == 0
    assert np.isnan(main.loc["google-analogy", "value"]) and main.loc["google-analogy", "coverage"] == 0
    assert "tiny/wordsim353" in rep.protocol["errors"]
    saved = rep.save(tmp_path / "r")
    assert (saved / "report.html").exists()


def test_dataset_file_from_gensim_matches_registry():
    ds = load_dataset("wordsim353")
    assert len(ds) == 353
