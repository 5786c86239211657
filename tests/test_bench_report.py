"""Reports: tidy frame, protocol, to_wide, compare, save/load atomically, merge; the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import forge
from forge.bench import Report, load_dataset, run
from forge.bench._report import COLUMNS
from forge.cli import main
from forge.errors import BadInputError, UnknownNameError


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(0)
    pairs = load_dataset("wordsim353").data
    qs = load_dataset("google-analogy").data
    words = list(dict.fromkeys(pairs.word1 + pairs.word2 + [w.lower() for w in qs.a[:3000] + qs.b[:3000]]))
    base = rng.normal(size=(len(words), 10))
    good = (words, base)
    noisy = (words, base + 0.8 * rng.normal(size=base.shape))
    return run({"good": good, "noisy": noisy}, ["wordsim353", "google-analogy"], progress=False)


def test_frame_is_tidy_with_protocol(report):
    f = report.frame
    assert list(f.columns) == COLUMNS
    assert not f.duplicated(["encoder", "dataset", "metric", "section"]).any()
    assert f.groupby(["encoder", "dataset"])["main"].sum().eq(1).all()
    p = report.protocol
    for key in ("forge_version", "seed", "oov", "case_insensitive", "restrict_vocab", "encoders", "datasets"):
        assert key in p
    assert len(p["datasets"]["wordsim353"]["sha256"]) == 64
    assert p["datasets"]["google-analogy"]["origin"] in ("gensim", "data_dir")


def test_to_wide(report):
    wide = report.to_wide()
    assert list(wide.index) == ["good", "noisy"] and list(wide.columns) == ["wordsim353", "google-analogy"]
    pearson = report.to_wide("pearson")
    assert list(pearson.columns) == ["wordsim353"]
    assert "good" in repr(report)


def test_compare(report):
    cmp = report.compare("good", "noisy", n_boot=100)
    assert list(cmp["dataset"]) == ["wordsim353", "google-analogy"]
    sim = cmp.iloc[0]
    assert sim["test"] == "Williams" and sim["diff"] == pytest.approx(sim["a"] - sim["b"])
    assert cmp.iloc[1]["test"].startswith("McNemar")
    with pytest.raises(UnknownNameError, match="Did you mean 'good'"):
        report.compare("goood", "noisy")


def test_save_load_roundtrip(report, tmp_path):
    out = report.save(tmp_path / "res")
    names = {p.name for p in out.iterdir()}
    assert {"results.csv", "results.json", "items.npz", "report.md", "report.html"} <= names
    assert any(n.startswith("chart_") for n in names)
    back = Report.load(out)
    pd.testing.assert_frame_equal(back.frame, report.frame, check_dtype=False)
    assert back.protocol["datasets"] == json.loads(json.dumps(report.protocol["datasets"]))
    pd.testing.assert_frame_equal(back.compare("good", "noisy", n_boot=50), report.compare("good", "noisy", n_boot=50))
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "wordsim353" in html
    assert "| wordsim353 |" in (out / "report.md").read_text()
    assert pd.read_csv(out / "results.csv").shape[0] == len(report.frame)


def test_save_is_atomic(report, tmp_path, monkeypatch):
    target = tmp_path / "res"
    report.save(target)
    before = sorted(p.name for p in target.iterdir())

    def boom(self, charts=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Report, "to_html", boom)
    with pytest.raises(RuntimeError):
        report.save(target)
    assert sorted(p.name for p in target.iterdir()) == before  # the old results are intact
    with pytest.raises(RuntimeError):
        report.save(tmp_path / "new")
    assert list(tmp_path.iterdir()) == [target]  # no partial directory left


def test_merge(report):
    a = Report(
        report.frame[report.frame.encoder == "good"],
        report.protocol,
        {k: v for k, v in report.items.items() if k[0] == "good"},
    )
    b = Report(
        report.frame[report.frame.encoder == "noisy"],
        report.protocol,
        {k: v for k, v in report.items.items() if k[0] == "noisy"},
    )
    merged = Report.merge(a, b)
    assert merged.encoders == ["good", "noisy"] and len(merged.frame) == len(report.frame)
    assert not merged.compare("good", "noisy", n_boot=20).empty
    with pytest.raises(BadInputError, match="appears in two reports"):
        Report.merge(a, a)


def test_load_rejects_non_results_dir(tmp_path):
    with pytest.raises(BadInputError, match="not a forge bench results directory"):
        Report.load(tmp_path)


# -------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(1)
    pairs = load_dataset("wordsim353").data
    words = list(dict.fromkeys(pairs.word1 + pairs.word2))
    kv = KeyedVectors(8)
    kv.add_vectors(words, rng.normal(size=(len(words), 8)).astype(np.float32))
    enc = forge.get_encoder_class("skipgram").from_keyed_vectors(kv)
    return enc.save(tmp_path_factory.mktemp("models") / "sg-random")


def test_cli_bench_and_report(saved_model, tmp_path, capsys):
    out1, out2 = tmp_path / "results" / "one", tmp_path / "results" / "two"
    assert (
        main(
            [
                "bench",
                "--encoders",
                f"one={saved_model}",
                "--datasets",
                "wordsim353,simlex999",
                "--out",
                str(out1),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "bench",
                "--encoders",
                f"two={saved_model}",
                "--datasets",
                "wordsim353",
                "--out",
                str(out2),
                "--quiet",
                "--oov",
                "zero",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "wordsim353" in text and (out1 / "report.html").exists()
    merged = tmp_path / "results" / "merged"
    assert main(["report", str(tmp_path / "results"), "--out", str(merged), "--compare", "one,two"]) == 0
    text = capsys.readouterr().out
    assert "merged 2 result directories" in text and "Williams" in text
    assert set(Report.load(merged).encoders) == {"one", "two"}


def test_cli_bad_input_leaves_no_files(saved_model, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["bench", "--encoders", str(saved_model), "--datasets", "wordsim35", "--out", str(out)]) == 2
    assert "Did you mean 'wordsim353'" in capsys.readouterr().err
    assert main(["bench", "--encoders", "skipgrm", "--out", str(out)]) == 2
    assert "Did you mean 'skipgram'" in capsys.readouterr().err
    assert (
        main(
            [
                "bench",
                "--encoders",
                str(saved_model),
                "--datasets",
                "wordsim353",
                "--methods",
                "3cosx",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.exists()


def test_cli_list(capsys):
    assert main(["bench", "--list"]) == 0
    assert "google-analogy" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_bench_trains_named_encoder_offline(tmp_path, capsys, monkeypatch):
    """`forge bench` on the embedded default: trains on gensim-default, runs the offline datasets."""
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    out = tmp_path / "bench-skipgram"
    assert (
        main(
            [
                "bench",
                "--encoders",
                "bench-skipgram",
                "--param",
                "vector_size=16",
                "--param",
                "epochs=1",
                "--param",
                "min_count=3",
                "--param",
                "progress=false",
                "--out",
                str(out),
                "--quiet",
                "--methods",
                "3cosadd",
            ]
        )
        == 0
    )
    wide = Report.load(out).to_wide()
    assert list(wide.index) == ["skipgram"]
    assert list(wide.columns) == ["wordsim353", "simlex999", "google-analogy"]


def test_cli_params_apply_to_encoders_that_have_them(saved_model, tmp_path, capsys):
    out = tmp_path / "out"
    # vector_size is not a one-hot parameter: an error only because no trained encoder has it
    assert main(["bench", "--encoders", "onehot", "--param", "vector_size=8", "--out", str(out)]) == 2
    assert "none of the trained encoders (onehot) has a parameter 'vector_size'" in capsys.readouterr().err
    assert main(["bench", "--encoders", "onehot", "--param", "onehot.epochs=1", "--out", str(out)]) == 2
    assert "'onehot' has no parameter 'epochs'" in capsys.readouterr().err
    assert not out.exists()
    assert main(["bench", "--encoders", "onehot", "--param", "lstn.epochs=1", "--out", str(out)]) == 2
    assert "Did you mean 'lstm'" in capsys.readouterr().err


# ------------------------------------------------- NaN scores: shown with their note, never "uncovered"
@pytest.fixture(scope="module")
def onehot_report():
    """Issue 20: a one-hot model covering most of SimLex-999 has a NaN score (every cosine is 0)."""
    pairs = load_dataset("simlex999").data
    n = int(0.85 * len(pairs))
    enc = forge.create("onehot").fit([[a, b] for a, b in zip(pairs.word1[:n], pairs.word2[:n])])
    nothing = (["zzzq", "qqqz"], np.eye(2))  # covers nothing of either dataset
    return run({"onehot": enc, "nothing": nothing}, ["simlex999", "wordsim353"], progress=False)


def test_a_covered_nan_score_is_not_listed_as_uncovered(onehot_report):
    main_rows = onehot_report.main_scores().set_index(["encoder", "dataset"])
    assert np.isnan(main_rows.loc[("onehot", "simlex999"), "value"])
    assert main_rows.loc[("onehot", "simlex999"), "coverage"] >= 0.85
    assert onehot_report.uncovered() == []  # simlex999 is covered by the one-hot; wordsim353 partly
    only_nothing = Report(onehot_report.frame[onehot_report.frame["encoder"] == "nothing"], onehot_report.protocol)
    assert only_nothing.uncovered() == ["simlex999", "wordsim353"]  # coverage 0 for every encoder


def test_a_nan_score_appears_with_its_note_in_every_table(onehot_report, tmp_path, capsys):
    notes = onehot_report.score_notes()
    assert list(notes)[:2] == [("onehot", "simlex999"), ("nothing", "simlex999")]  # table order
    assert list(notes)[-1] == ("nothing", "wordsim353")
    note = notes[("onehot", "simlex999")]
    cov = onehot_report.main_scores().set_index(["encoder", "dataset"]).loc[("onehot", "simlex999"), "coverage"]
    assert f"(coverage {cov:.0%})" in note and "same similarity (0" in note  # constant predictions + coverage
    assert "coverage 0%" in notes[("nothing", "simlex999")] and "no item is covered" in notes[("nothing", "simlex999")]
    table = onehot_report.score_table()
    assert table.loc["simlex999", "onehot"] == "n/a [1]"
    assert table.loc["wordsim353", "nothing"] == f"n/a [{len(notes)}]"
    out = onehot_report.save(tmp_path / "r")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| simlex999 | similarity | spearman | n/a [1] |" in md
    assert f"- [1] {note}" in md and "Covered by no encoder" not in md
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<th>simlex999</th>" in page and "<td>n/a [1]</td>" in page  # the row stays in the HTML table
    assert "Covered by no encoder" not in page and html_escape(note) in page
    from forge.bench.cli import _print

    _print(onehot_report)
    console = capsys.readouterr().out
    table_text = console.split("\u26a0 before")[0]
    assert "n/a [1]" in table_text and "NaN" not in table_text and f"[1] {note}" in console


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_console_table_marks_a_score_over_two_items(capsys):
    """A 2-item analogy accuracy of 1.0 never prints as a plain 1.0."""
    words = ["athens", "greece", "baghdad", "iraq", "bangkok", "thailand"]
    vecs = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 1, 1], [0, 0.5, 0], [0, 0.5, 1]], dtype=float)
    rep = run({"tiny": (words, vecs)}, ["google-analogy"], progress=False, analogy_methods=("3cosadd",))
    row = rep.main_scores().iloc[0]
    assert row["n"] < 10
    from forge.bench.cli import _print

    _print(rep)
    console = capsys.readouterr().out
    assert f"\u26a0 {row['value']:.3f} (n={int(row['n'])})" in console and "fewer than 10 items" in console


def test_lab_page_shows_a_nan_benchmark_score_with_its_note(onehot_report, tmp_path):
    """The lab's "datasets through the harness" table: n/a [k] and the harness's note, not a blank cell."""
    from forge.lab import ProbeOptions, run_probes

    enc = forge.create("onehot").fit([["a", "b", "c"]] * 2)
    result = run_probes({"onehot": enc}, ["probe-order"], ProbeOptions(quick=True, benchmarks=False))
    why = onehot_report.protocol["errors"]
    frame = onehot_report.frame
    result.benchmarks = frame.assign(
        script="simplified", note=[why.get(f"{e}/{d}", "") for e, d in zip(frame["encoder"], frame["dataset"])]
    )
    out = result.save(tmp_path / "lab")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| simlex999 | n/a [1] |" in md
    cov = onehot_report.main_scores().set_index(["encoder", "dataset"]).loc[("onehot", "simlex999"), "coverage"]
    assert f"- [1] onehot on simlex999 (coverage {cov:.0%}): the encoder gives all" in md
    assert "<td>n/a [1]</td>" in (out / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------- forge report --label, forge bench --transform, skipped line
def test_cli_report_label_renames_runs_when_merging(saved_model, tmp_path, capsys):
    for run_dir in ("text8", "wiki"):  # two runs of one encoder name
        argv = ["bench", "--encoders", f"sg={saved_model}", "--datasets", "wordsim353", "--quiet"]
        assert main([*argv, "--out", str(tmp_path / "runs" / run_dir)]) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path / "runs")]) == 2
    assert "--label sg=sg-{dir}" in capsys.readouterr().err  # the clash names the fix
    merged = tmp_path / "merged"
    assert main(["report", str(tmp_path / "runs"), "--label", "sg=sg-{dir}", "--out", str(merged)]) == 0
    assert "sg-text8" in capsys.readouterr().out
    back = Report.load(merged)
    assert back.encoders == ["sg-text8", "sg-wiki"]
    assert set(back.protocol["encoders"]) == {"sg-text8", "sg-wiki"}
    assert {k[0] for k in back.items} == {"sg-text8", "sg-wiki"}
    assert not back.compare("sg-text8", "sg-wiki", n_boot=20).empty  # per-item outputs follow the new names
    assert main(["report", str(tmp_path / "runs" / "text8"), "--label", "sgg=x"]) == 2
    assert "Did you mean 'sg'" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "runs" / "text8"), "--label", "sg"]) == 2
    assert "expected OLD=NEW" in capsys.readouterr().err


def test_report_rename_refuses_a_clash(report):
    with pytest.raises(BadInputError, match="two encoders"):
        report.rename({"good": "noisy"})
    renamed = report.rename({"good": "best"})
    assert renamed.encoders == ["best", "noisy"] and report.encoders == ["good", "noisy"]  # a copy


def test_cli_bench_transform_converts_chinese_scripts(tmp_path, capsys):
    pytest.importorskip("opencc")
    from forge.bench._script import ScriptMismatchWarning

    words = ["蘋果", "電腦", "學習", "國家", "經濟", "語言", "時間", "問題"]  # Traditional
    rng = np.random.default_rng(0)
    vec = tmp_path / "trad.txt"
    vec.write_text(
        f"{len(words)} 4\n" + "".join(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=4)) + "\n" for w in words),
        encoding="utf-8",
    )
    pairs = tmp_path / "simp.txt"
    pairs.write_text("苹果 电脑 5.0\n学习 语言 6.0\n国家 经济 7.0\n时间 问题 2.0\n", encoding="utf-8")
    argv = ["bench", "--encoders", f"trad={vec}", "--dataset-file", f"toy-zh={pairs}", "--language", "zh", "--quiet"]
    with pytest.warns(ScriptMismatchWarning, match="forge bench --transform s2t"):
        assert main(argv) == 0
    assert "forge bench --transform s2t" in capsys.readouterr().out  # the console note names the CLI fix
    assert main([*argv, "--transform", "s2t", "--out", str(tmp_path / "r")]) == 0  # no warning: 100% covered
    assert Report.load(tmp_path / "r").main_scores()["coverage"].iloc[0] == 1.0


def test_skipped_datasets_print_one_line(report, capsys, monkeypatch):
    from forge.bench.cli import _print

    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    missing = {f"set{k}": f"Dataset 'set{k}' is not available offline: FORGE_DATA_DIR is not set." for k in range(31)}
    _print(Report(report.frame, {**report.protocol, "skipped": missing}))
    lines = [line for line in capsys.readouterr().out.splitlines() if "skipped" in line]
    assert len(lines) == 1
    assert lines[0].startswith("skipped 31 datasets (FORGE_DATA_DIR is not set): set0, set1,") and "set30" in lines[0]


def test_wic_chart_draws_the_chance_line():
    from forge.bench._report_charts import chart_figure

    rows = pd.DataFrame(
        [
            {
                "encoder": e,
                "dataset": "wic",
                "kind": "polysemy",
                "metric": "accuracy_test",
                "value": v,
                "ci_low": v - 0.03,
                "ci_high": v + 0.03,
                "main": True,
            }
            for e, v in (("sg", 0.55), ("bilstm", 0.61))
        ]
    )
    ax = chart_figure(rows).axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [tuple(line.get_ydata()) for line in dashed] == [(0.5, 0.5)]
    assert "chance (0.5)" in [t.get_text() for t in ax.get_legend().get_texts()]
    similarity = rows.assign(kind="similarity", metric="spearman")
    assert not [line for line in chart_figure(similarity).axes[0].get_lines() if line.get_linestyle() == "--"]


def test_bench_progress_bar_only_on_a_terminal(capsys):
    """forge bench's bar is drawn on a terminal only: in a log or a pipe (here: pytest's capture) it stays off."""
    from forge.bench._run import _progress

    bar = _progress(10, True)
    try:
        assert bar.disable
        bar.update(5)
    finally:
        bar.close()
    assert "forge bench" not in capsys.readouterr().err
