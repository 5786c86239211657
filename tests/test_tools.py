"""The tools around the lab: help texts, listings, saved comparisons, the HTML page, tox, the demo, scripts."""

from __future__ import annotations

import argparse
import configparser
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forge
from forge.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_texts_mention_only_real_flags_and_no_rst():
    subs = _subparsers()
    flags = {name: {s for a in sub._actions for s in a.option_strings} for name, sub in subs.items()}
    for name, sub in subs.items():
        text = sub.format_help()
        assert "``" not in text, f"forge {name} --help shows RST double backticks"
        assert sub.description, f"forge {name} --help has no description"
        # a flag belongs to this command, or to the command named just before it ("forge bench --list")
        for other, flag in re.findall(r"(?:forge (\w+) )?(?<![\w-])(--[a-z][a-z0-9-]*)", text):
            owner = other if other in subs else name
            assert flag in flags[owner], f"forge {name} --help mentions {flag}, which forge {owner} does not have"


def test_bench_list_has_headers_groups_and_probes(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"name\s+kind\s+lang\s+status\s+description", out)
    assert "Groups" in out and "zh_tw_chen_ma_2018" in out
    assert "lab's probes" in out and re.search(r"probe-long-range\s+probe\s+claim 7: Plain RNNs forget", out)


def test_list_says_which_corpora_are_available(capsys, monkeypatch):
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"gensim-default\s+available", out) and re.search(r"text8\s+missing", out)


# ------------------------------------------------------------------ paired tests
def test_mcnemar_without_paired_items_is_nan():
    from forge.bench._stats import mcnemar

    assert math.isnan(mcnemar(np.array([], bool), np.array([], bool))[2])
    assert mcnemar(np.array([1, 0], bool), np.array([1, 0], bool))[2] == 1.0  # paired, no discordance


def _analogy_report() -> forge.bench.Report:
    from forge.bench import Report
    from forge.bench._report import COLUMNS

    rows = [
        {
            "encoder": e,
            "dataset": "toy-analogy",
            "kind": "analogy",
            "language": "en",
            "metric": "accuracy_3cosadd",
            "section": "",
            "value": v,
            "ci_low": v - 0.2,
            "ci_high": v + 0.2,
            "n": 4,
            "n_total": 4,
            "coverage": 1.0,
            "main": True,
        }
        for e, v in (("a", 0.5), ("b", 0.25))
    ]
    nan = np.full(4, np.nan)
    items = {
        ("a", "toy-analogy"): {"correct_3cosadd": np.array([1, 1, np.nan, np.nan])},
        ("b", "toy-analogy"): {"correct_3cosadd": np.array([np.nan, np.nan, 0, 1.0])},
    }
    assert nan.shape == (4,)
    return Report(pd.DataFrame(rows, columns=COLUMNS), {"seed": 0}, items)


def test_compare_with_no_common_item_gives_nan_and_a_note(tmp_path):
    report = _analogy_report()
    table = report.add_comparison("a", "b")
    row = table.iloc[0]
    assert row["n"] == 0 and math.isnan(row["p_value"]) and "no item covered by both" in row["note"]
    out = report.save(tmp_path / "r")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Paired tests: a vs b" in md and "no item covered by both" in md
    assert "Paired tests: a vs b" in (out / "report.html").read_text(encoding="utf-8")
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))["protocol"]["comparisons"]["a vs b"]
    assert saved[0]["n"] == 0


# ------------------------------------------------------------------ the bench page
def test_html_page_fits_and_lists_uncovered_datasets_apart():
    from forge.bench import Report
    from forge.bench._report import COLUMNS

    rows = []
    for enc in ("x", "y"):
        for ds, kind, metric, value in (
            ("sim-a", "similarity", "spearman", 0.3),
            ("sim-nobody", "similarity", "spearman", np.nan),
            ("wic", "polysemy", "accuracy_test", 0.6),
            ("scws", "polysemy", "spearman", 0.4),
        ):
            rows.append(
                {
                    "encoder": enc,
                    "dataset": ds,
                    "kind": kind,
                    "language": "en",
                    "metric": metric,
                    "section": "",
                    "value": value,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n": 10,
                    "n_total": 10,
                    "coverage": 0.0 if np.isnan(value) else 1.0,
                    "main": True,
                }
            )
    report = Report(pd.DataFrame(rows, columns=COLUMNS), {"seed": 0, "encoders": {"x": {}, "y": {}}})
    assert report.uncovered() == ["sim-nobody"]
    groups = report._chart_groups()
    assert all(g["metric"].nunique() == 1 for g in groups.values())  # one metric per y-axis
    assert set(groups) == {"similarity", "polysemy_accuracy_test", "polysemy_spearman"}
    assert "sim-nobody" not in set(pd.concat(groups.values())["dataset"])
    page = report.to_html()
    assert "img{max-width:100%" in page
    assert "Covered by no encoder</b> (no score, not drawn): sim-nobody" in page
    assert re.search(r"<h2>Protocol</h2><details><summary>.*</summary><pre>", page)


# ------------------------------------------------------------------ tox
def _tox() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "tox.ini")
    return cfg


def _factor_lines(value: str, factors: set[str]) -> list[str]:
    """The lines of a tox setting that apply to an environment with these factors."""
    out = []
    for line in value.strip().splitlines():
        cond, sep, rest = line.partition(": ")
        if sep and re.fullmatch(r"[\w,!-]+", cond.strip()):
            if any(all(f in factors for f in alt.split("-")) for alt in cond.strip().split(",")):
                out.append(rest.strip())
        elif line.strip():
            out.append(line.strip())
    return out


def test_tox_matrix_installs_only_what_each_encoder_needs():
    cfg = _tox()
    section = next(s for s in cfg.sections() if s.startswith("testenv:bench-{"))
    assert section.endswith("-{cpu,cuda}")
    extras = cfg[section]["extras"]
    for encoder in ("onehot", "cbow", "skipgram", "ppmi", "fasttext"):
        got = _factor_lines(extras, {"bench", encoder, "cpu"})
        assert got and not {"torch", "test", "all"} & set(got), (encoder, got)
    for encoder in ("rnn", "lstm", "bilstm"):
        assert "torch" in _factor_lines(extras, {"bench", encoder, "cpu"})
    for env in ("speed-word2vec", "speed-analogy", "speed-lstm", "memory-onehot"):
        script = re.search(r"benchmarks/(\w+\.py)", cfg[f"testenv:{env}"]["commands"]).group(1)
        assert (ROOT / "benchmarks" / script).is_file()
    assert "results/bench-*" in cfg["testenv:report"]["commands"]


def test_cuda_environments_skip_with_a_message(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: nothing is skipped")
    import importlib.util

    spec = importlib.util.spec_from_file_location("device_gate", ROOT / "benchmarks" / "device_gate.py")
    gate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gate)
    assert gate.main(["cuda", "--", "false"]) == 0
    assert "SKIPPED (device cuda)" in capsys.readouterr().out


def test_report_merges_only_bench_directories(tmp_path, capsys):
    from forge.bench import Report

    rep = _analogy_report()
    Report(rep.frame[rep.frame["encoder"] == "a"], {"seed": 0}).save(tmp_path / "results" / "bench-a-cpu")
    Report(rep.frame[rep.frame["encoder"] == "a"], {"seed": 0}).save(tmp_path / "results" / "run1")  # same name
    assert main(["report", str(tmp_path / "results" / "bench-*"), "--out", str(tmp_path / "merged")]) == 0
    assert "merged 1 result directory" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing-*")]) == 2


# ------------------------------------------------------------------ Chinese scripts
def test_script_mismatch_warns_and_names_the_opencc_transform(tmp_path):
    pytest.importorskip("opencc")
    from forge.bench import register_dataset, run
    from forge.bench._script import ScriptMismatchWarning, chinese_script

    words = ["蘋果", "電腦", "學習", "國家", "經濟", "語言", "時間", "問題"]  # Traditional
    path = tmp_path / "simp.txt"
    path.write_text("苹果 电脑 5.0\n学习 语言 6.0\n国家 经济 7.0\n时间 问题 2.0\n", encoding="utf-8")
    register_dataset("toy-zh-simplified", path, language="zh", overwrite=True)
    vectors = (words, np.random.default_rng(0).normal(size=(len(words), 4)))
    assert chinese_script(words) == "traditional"
    with pytest.warns(ScriptMismatchWarning, match="OpenCC 's2t'"):
        report = run({"trad": vectors}, ["toy-zh-simplified"], progress=False)
    assert "s2t" in report.protocol["errors"]["trad/toy-zh-simplified"]
    from forge.corpora._zh import to_traditional

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = run({"trad": vectors}, ["toy-zh-simplified"], progress=False, transform=to_traditional)
    assert fixed.main_scores()["coverage"].iloc[0] == 1.0


# ------------------------------------------------------------------ the demo
def test_demo_is_reproducible_and_explains(fixtures):
    from forge.bench._demo import run_demo

    corpus = forge.corpora.TextCorpus(fixtures / "corpora" / "text8_style.txt", tokenizer="whitespace")
    outputs = []
    for _ in range(2):
        lines: list[str] = []
        run_demo(
            corpus=corpus,
            words=("the", "of"),
            datasets=("wordsim353",),
            print_fn=lines.append,
            params={
                "cbow": {"vector_size": 16, "epochs": 3, "min_count": 1, "workers": 1, "seed": 1, "progress": False},
                "skipgram": {
                    "vector_size": 16,
                    "epochs": 2,
                    "min_count": 1,
                    "workers": 1,
                    "seed": 1,
                    "progress": False,
                },
            },
        )
        outputs.append([re.sub(r"\d+\.\d s", "", line) for line in lines])  # training times differ
    assert outputs[0] == outputs[1]
    text = "\n".join(outputs[0])
    assert "Mean cosine of 500 random pairs" in text and "What the scores mean here" in text
    assert "forge lab" in text


def test_collect_puts_the_benchmark_tables_on_the_report_page(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("collect", ROOT / "benchmarks" / "collect.py")
    collect = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(collect)
    _analogy_report().save(tmp_path / "report")
    assert collect.main([str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "forge benchmark report" in page and "Speed and memory benchmarks" in page
    for result in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        assert f"benchmarks/results/{result.name}" in page
