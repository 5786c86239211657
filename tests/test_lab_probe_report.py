"""What a claim's section shows comes from its probe; the lab and bench pages share one renderer."""

from __future__ import annotations

import numpy as np
import pandas as pd

import forge
import forge.bench
from forge.bench import Page, format_number
from forge.bench._render import BASE_CSS
from forge.lab import Column, Probe, ProbeOptions, ProbeOutcome, register_probe, run_probes
from forge.lab._probe import _PROBES, row


def _toy_probe() -> Probe:
    def measure(enc, options):
        n = len(enc.vocabulary)
        return ProbeOutcome(
            rows=[
                row("vocab", n, main=True),
                row("half", n / 2, ci=(1.0, 2.0)),
                row("per_gap", 0.25, section="gap 1"),
                row("per_gap", 0.75, section="gap 4"),
            ],
            notes=[f"{n} words."],
        )

    return Probe(
        name="probe-toy-report",
        claim=42,
        title="Vocabularies are finite",
        claim_text="They are.",
        measure=measure,
        plot=lambda rows, fig: fig.add_subplot().bar([0], [1]),
        method="Count them.",
        rule="supported when it has words.",
        judge=lambda rows, kinds: ("supported", "has words"),
        columns=(
            Column("vocab", "words"),
            Column("half", "half low", field="ci_low"),
            Column("per_gap", "at k =", "gap *"),
        ),
        summarize=lambda rows: f"The toy counted {int(rows['value'].iloc[0])} words.",
        remark=lambda: "A remark that only this probe makes.",
    )


def test_a_new_probe_reports_through_its_own_record(tmp_path):
    from forge.bench._datasets import _REGISTRY as tasks

    enc = forge.create("onehot").fit([["a", "b", "c", "d"]])
    with _PROBES.isolated(), tasks.isolated():
        register_probe(_toy_probe())
        result = run_probes({"onehot": enc}, ["probe-toy-report"], ProbeOptions(benchmarks=False))
        out = result.save(tmp_path / "lab")
    md = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert md.index("## Verdicts") < md.index("## Claim 42: Vocabularies are finite (supported)")
    assert "| claim |  | verdict | evidence |" in md and "[Vocabularies are finite](#claim-42)" in md
    assert "**Measured:** The toy counted 4 words." in md
    assert "A remark that only this probe makes." in md and "A remark that only this probe makes." in page
    assert "| encoder | words | half low | at k = 1 | at k = 4 |" in md
    assert "| onehot | 4 | 1 | 0.250 | 0.750 |" in md
    assert "![claim 42](fig42-probe-toy-report.png)" in md and (out / "fig42-probe-toy-report.png").is_file()
    assert "<h2 id='claim-42'>Claim 42: Vocabularies are finite <span class='v supported'>supported</span></h2>" in page
    assert "- **onehot**: 4 words" in md


def test_both_reports_are_pages_of_the_one_renderer(tmp_path):
    words = ["king", "queen", "man", "woman"]
    report = forge.bench.run({"toy": (words, np.eye(4))}, ["wordsim353"], progress=False)
    bench_page = report.to_html()
    assert bench_page.startswith("<!doctype html>") and BASE_CSS % 1200 in bench_page
    assert "<details><summary>How the numbers were made" in bench_page
    enc = forge.create("onehot").fit([["a", "b", "c"]])
    out = run_probes({"onehot": enc}, ["probe-onehot"], ProbeOptions(benchmarks=False)).save(tmp_path / "lab")
    assert BASE_CSS % 1000 in (out / "report.html").read_text(encoding="utf-8")


def test_page_renders_tables_and_figures_both_ways():
    page = Page("t")
    page.heading("Scores", anchor="s", badge="mixed at this budget", badge_class="mixed")
    page.frame_table(pd.DataFrame({"r": [0.5, float("nan")]}, index=["a", "b"]), index="dataset")
    page.figure(b"\x89PNG-not-really", "f.png", "the figure")
    page.details("More", ["- x"], "<ul><li>x</li></ul>")
    md, html = page.markdown(), page.html()
    assert md.splitlines()[:3] == ["<a id='s'></a>", "", "## Scores (mixed at this budget)"]
    assert "| dataset | r |\n|---|---:|\n| a | 0.500 |\n| b |  |" in md
    assert "![the figure](f.png)" in md and page.files == {"f.png": b"\x89PNG-not-really"}
    assert "<h2 id='s'>Scores <span class='v mixed'>mixed at this budget</span></h2>" in html
    assert "<tr><td>b</td><td></td></tr>" in html and "src='data:image/png;base64," in html
    assert "<details><summary>More</summary><ul><li>x</li></ul></details>" in html
    assert [format_number(v) for v in (1234.0, 2.0, 0.004567)] == ["1,234", "2", "0.00457"]
