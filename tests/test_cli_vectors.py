"""`forge bench` with vector files, bare paths, saved models, --dataset-file and --language; report warnings."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from gensim.test.utils import datapath

import forge
from forge.bench import Report, list_datasets, run
from forge.bench.cli import _by_language, _label_of
from forge.cli import main


def test_bench_takes_vector_files_bare_paths_and_models(tmp_path, fixtures, capsys):
    glove = tmp_path / "glove.6B.50d.txt"
    shutil.copy(datapath("test_glove.txt"), glove)
    model = tmp_path / "saved"
    forge.load_vectors(datapath("word2vec_pre_kv_c")).save(model)
    out = tmp_path / "out"
    code = main(
        [
            "bench",
            "--encoders",
            f"w2v={datapath('word2vec_pre_kv_c')},{glove},{model}",
            "--dataset-file",
            f"mine={fixtures / 'bench' / 'pairs_space.txt'}",
            "--dataset-file",
            f"ana={fixtures / 'bench' / 'analogy_google.txt'}:google",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "loaded glove.6B.50d from" in err and "(glove, 76 x 50)" in err and "loaded saved from" in err
    report = Report.load(out)
    assert set(report.encoders) == {"w2v", "glove.6B.50d", "saved"}
    assert set(report.datasets) == {"mine", "ana"}


def test_bench_missing_path_and_bad_dataset_file(tmp_path, capsys):
    assert main(["bench", "--encoders", f"x={tmp_path / 'nope.txt'}", "--quiet"]) == 2
    assert (
        "does not exist; expected a model directory saved with encoder.save() or a vector file"
        in capsys.readouterr().err
    )
    vec = datapath("word2vec_pre_kv_c")
    assert main(["bench", "--encoders", vec, "--dataset-file", "nameonly", "--quiet"]) == 2
    assert "expected NAME=PATH or NAME=PATH:FORMAT" in capsys.readouterr().err
    assert main(["bench", "--encoders", vec, "--dataset-file", f"x={tmp_path}/a.txt:nosuch", "--quiet"]) == 2
    assert "unknown format 'nosuch'" in capsys.readouterr().err


def test_label_of_vector_files(tmp_path):
    assert _label_of(tmp_path / "glove.6B.100d.txt.gz") == "glove.6B.100d"
    assert _label_of(tmp_path / "cc.en.300.vec") == "cc.en.300"
    assert _label_of(tmp_path) == tmp_path.name


def test_language_filter():
    zh = list(list_datasets(language="zh"))
    en = list(list_datasets(language="en"))
    assert zh and en
    assert _by_language(en[:2] + zh[:2], "en") == en[:2]
    assert _by_language(en[:2] + zh[:2], "zh") == zh[:2]
    with pytest.raises(forge.errors.BadInputError, match="none of the selected datasets"):
        _by_language(en[:1], "zh")


def test_report_flags_low_coverage_and_tiny_samples(fixtures):
    from forge.bench import register_dataset, unregister_dataset

    register_dataset("tiny-pairs", fixtures / "bench" / "pairs_space.txt", overwrite=True)  # 4 pairs
    rng = np.random.default_rng(0)
    try:
        three = ["king", "queen", "man", "woman", "cat", "dog"]  # 3 of 4 pairs: 75% coverage, n=3
        one = ["king", "queen"]  # 1 of 4 pairs: 25% coverage
        rep = run(
            {"three": (three, rng.normal(size=(6, 3))), "one": (one, rng.normal(size=(2, 3)))},
            ["tiny-pairs"],
            progress=False,
        )
    finally:
        unregister_dataset("tiny-pairs")
    md, page = rep.to_markdown(), rep.to_html(charts={})
    row = next(line for line in md.splitlines() if line.startswith("| tiny-pairs"))
    assert "\u26a0 " in row and "(n=3)" in row  # a score over < 10 items is never a plain number
    assert "75%, 25% \u26a0" in row  # coverage below 50% flagged
    assert "fewer than 10 items" in md and "fewer than 10 items" in page and "(n=3)" in page
