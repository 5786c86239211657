"""Dataset registry: resolution order, checksums, user datasets, names, real data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import forge.bench as bench
from forge.bench import _datasets as D
from forge.errors import BadInputError, MissingDataError, UnknownNameError


@pytest.fixture
def no_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path / "cache"))


def test_offline_defaults_come_from_gensim(no_data_dir):
    for name, n in [("wordsim353", 353), ("simlex999", 999), ("google-analogy", 19544)]:
        ds = bench.load_dataset(name)
        assert (ds.origin, len(ds)) == ("gensim", n)
        assert len(ds.sha256) == 64
    ok, missing = bench.available_datasets("all")
    assert ok == ["wordsim353", "simlex999", "google-analogy"]
    assert "FORGE_DATA_DIR is not set" in missing["men"]


def test_missing_dataset_says_where_to_put_it(no_data_dir):
    with pytest.raises(MissingDataError, match=r"'men' is not available offline.*men/MEN_dataset_natural_form_full"):
        bench.load_dataset("men")


def test_unknown_name_suggests(no_data_dir):
    with pytest.raises(UnknownNameError, match="Unknown dataset 'simlex99'. Did you mean 'simlex999'"):
        bench.load_dataset("simlex99")
    with pytest.raises(UnknownNameError, match="Did you mean 'wordsim353'"):
        bench.run({"x": (["a"], [[1.0]])}, ["wordsim35"], progress=False)


def test_groups_and_all():
    assert "zh_trad_gwe_analogy" in D.expand_names("zh_trad_gwe")
    assert len(D.expand_names("zh_tw_chen_ma_2018")) == 8
    assert D.expand_names("all") == list(D._records())
    assert D.expand_names("men, rw") == ["men", "rw"]
    assert bench.get_record("zh_wordsim240").script == "simplified"
    assert bench.get_record("zh_tw_men").script == "traditional"


def test_every_builtin_file_has_a_checksum():
    for record in D._records().values():
        if not record.user:
            assert all(len(record.sha256[f] or "") == 64 for f in record.files), record.name


def test_data_dir_checksum_mismatch_is_refused(monkeypatch, tmp_path):
    (tmp_path / "mc30").mkdir()
    (tmp_path / "mc30" / "EN-MC-30.txt").write_text("car\tautomobile\t3.92\n")  # not the published file
    monkeypatch.setenv("FORGE_DATA_DIR", str(tmp_path))
    with pytest.raises(BadInputError, match=r"Checksum mismatch for dataset 'mc30'.*EN-MC-30.txt has sha256"):
        bench.load_dataset("mc30")
    out = tmp_path / "results"
    with pytest.raises(BadInputError, match="Checksum mismatch"):
        bench.run({"x": (["car"], [[1.0]])}, ["mc30"], progress=False)
    assert not out.exists()


def test_download_hash_mismatch_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    import pooch

    def fake_retrieve(url, known_hash, path, fname, progressbar):
        assert known_hash == "sha256:" + D.get_record("rg65").sha256["rg65/EN-RG-65.txt"] and url.startswith("https://")
        raise ValueError(f"SHA256 hash of downloaded file ({fname}) does not match the known hash")

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(BadInputError, match=r"Download of https://\S+EN-RG-65.txt for dataset 'rg65' was refused"):
        bench.load_dataset("rg65", download=True)
    with pytest.raises(MissingDataError):
        bench.load_dataset("rg65")  # no download without asking


def test_cache_is_used_and_verified(monkeypatch, tmp_path, data_dir):
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path))
    (tmp_path / "datasets" / "rg65").mkdir(parents=True)
    shutil.copy(data_dir / "rg65" / "EN-RG-65.txt", tmp_path / "datasets" / "rg65")
    ds = bench.load_dataset("rg65")
    assert (ds.origin, len(ds)) == ("cache", 65)


def test_register_dataset_formats(fixtures):
    b = fixtures / "bench"
    try:
        rec = bench.register_dataset("t-pairs", b / "pairs_comma.csv", scale=(0, 5), overwrite=True)
        assert rec.kind == "similarity"
        assert len(bench.load_dataset("t-pairs")) == 4
        bench.register_dataset("t-simlexlike", b / "pairs_score_col4.txt", score_col=3, overwrite=True)
        assert bench.load_dataset("t-simlexlike").data.scores.tolist() == [8.5, 8.3, 7.0]
        bench.register_dataset("t-bats", b / "bats", format="bats", overwrite=True)
        assert bench.load_dataset("t-bats").kind == "analogy"
        bench.register_dataset("t-wic", b / "wic", format="wic", overwrite=True)
        wic = bench.load_dataset("t-wic")
        assert wic.data.splits.count("train") == 4 and len(wic) == 8
        bench.register_dataset("t-scws", b / "scws.txt", format="scws", overwrite=True)
        bench.register_dataset("t-generic", b / "wic_generic_labels.tsv", format="wic-tsv", overwrite=True)
        assert bench.load_dataset("t-generic").data.labels is not None
        with pytest.raises(BadInputError, match="already registered"):
            bench.register_dataset("t-pairs", b / "pairs_comma.csv")
        with pytest.raises(UnknownNameError, match="Unknown dataset format 'csv'"):
            bench.register_dataset("t-x", b / "pairs_comma.csv", format="csv")
        with pytest.raises(BadInputError, match="does not exist"):
            bench.register_dataset("t-y", b / "nope.txt")
        bench.register_dataset("t-bad", b / "pairs_comma.csv", sha256="0" * 64, overwrite=True)
        with pytest.raises(BadInputError, match="Checksum mismatch for dataset 't-bad'"):
            bench.load_dataset("t-bad")
    finally:
        for name in ("t-pairs", "t-simlexlike", "t-bats", "t-wic", "t-scws", "t-generic", "t-bad"):
            if name in D._REGISTRY:
                bench.unregister_dataset(name)
    with pytest.raises(BadInputError, match="built-in"):
        bench.unregister_dataset("men")


def test_transform_hook(fixtures):
    try:
        bench.register_dataset("t-upper", fixtures / "bench" / "pairs_comma.csv", overwrite=True, transform=str.upper)
        assert bench.load_dataset("t-upper").data.word1[0] == "KING"
        assert bench.load_dataset("t-upper", transform=str.title).data.word1[0] == "King"
    finally:
        bench.unregister_dataset("t-upper")


EXPECTED = {
    "wordsim353": 353,
    "wordsim353-sim": 203,
    "wordsim353-rel": 252,
    "simlex999": 999,
    "men": 3000,
    "rw": 2034,
    "mturk287": 287,
    "rg65": 65,
    "mc30": 30,
    "simverb3500": 3500,
    "google-analogy": 19544,
    "google-phrases": 3218,
    "msr-analogy": 8000,
    "bats": 98000,
    "semeval2012": 10014,
    "scws": 2003,
    "wic": 7466,
    "zh_wordsim240": 240,
    "zh_wordsim297": 297,
    "zh_analogy_chen2015": 1124,
    "zh_ca8": 17813,
    "zh_ca_translated": 953,
    "zh_trad_gwe_simlex999": 999,
    "zh_trad_gwe_wordsim240": 240,
    "zh_trad_gwe_wordsim297": 297,
    "zh_trad_gwe_analogy": 1124,
    "zh_tw_pku500": 494,
    "zh_tw_simlex999": 998,
    "zh_tw_men": 2985,
    "zh_tw_mturk287": 287,
    "zh_tw_wordsim353": 352,
    "zh_tw_wordsim353_rel": 252,
    "zh_tw_wordsim353_sim": 203,
    "zh_tw_wordsim240": 239,
}


@pytest.mark.data
def test_every_real_dataset_loads_with_its_published_size(data_dir, monkeypatch):
    monkeypatch.setenv("FORGE_DATA_DIR", str(data_dir))
    builtins = [n for n, r in D._records().items() if not r.user]
    assert sorted(builtins) == sorted(EXPECTED)
    for name in builtins:
        ds = bench.load_dataset(name)
        assert (ds.origin, len(ds)) == ("data_dir", EXPECTED[name]), name


def test_wic_paired_test_compares_test_items_only(fixtures):
    # the dev split may choose settings (a threshold, a mixing weight): McNemar on "accuracy_test" must not count it
    from forge.bench import run

    words = ["bank", "run", "cat", "king", "banks", "ran", "runs", "cats"]
    rng = np.random.default_rng(0)
    encoders = {name: (words, rng.normal(size=(len(words), 4)).astype(np.float32)) for name in ("a", "b")}
    try:
        bench.register_dataset("t-wic-paired", fixtures / "bench" / "wic", format="wic", overwrite=True)
        report = run(encoders, ["t-wic-paired"], progress=False)
        rows = report.frame
        n_test = int(rows[(rows["encoder"] == "a") & (rows["metric"] == "accuracy_test")]["n"].iloc[0])
        n_dev = int(rows[(rows["encoder"] == "a") & (rows["metric"] == "accuracy_dev")]["n"].iloc[0])
        assert n_test > 0 and n_dev > 0
        paired = report.compare("a", "b")
        assert int(paired["n"].iloc[0]) == n_test  # not n_test + n_dev
    finally:
        bench.unregister_dataset("t-wic-paired")
