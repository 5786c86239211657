"""The lab report: one page (Markdown and HTML) telling the story claim by claim, with figures.

``write_report(result, dir)`` writes, all or nothing (``forge._persist.atomic_dir``):
``report.md``, ``report.html`` (figures embedded), ``fig<claim>-<probe>.png``,
``results.csv`` and ``results.json`` (the rows and the protocol, readable by
``forge.bench.Report.load``).

What a claim's section shows comes from its probe (:class:`forge.lab.Probe`:
``columns``, ``summarize``, ``remark``, ``plot``, ``rule``); the page is built
with the harness's renderer (:class:`forge.bench.Page`), like the benchmark
report.
"""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forge._persist import atomic_dir
from forge.bench import Page, format_number, html_table, markdown_table
from forge.lab._plotting import render_figure
from forge.lab._probe import get_probe, list_probes
from forge.lab._readout import summary_table

__all__ = ["findings", "render_figure", "summary_table", "verdict_markdown", "verdict_text", "write_report"]

CSS = (
    "td,th{text-align:right}blockquote{color:#333;border-left:3px solid #aaa;padding-left:1em}"
    "td.l,th.l{text-align:left}.v{padding:1px 6px;border-radius:3px;font-size:85%;white-space:nowrap}"
    ".supported{background:#d8f0d8}.not-supported{background:#f6d5d5}.mixed{background:#f7ecc8}"
    ".not-measured{background:#e6e6e6}"
)
NO_ROWS = "(no encoder produced rows for this probe)"


def findings(frame: pd.DataFrame, probe: str) -> str:
    """One or two plain sentences stating what was measured (the probe's ``summarize`` of its rows)."""
    sub = frame[frame["dataset"] == probe]
    if sub.empty:
        return "No encoder produced rows for this probe."
    summarize = get_probe(probe).summarize
    return summarize(sub) if summarize is not None else ""


# ------------------------------------------------------------------ writing
def _intro(result) -> tuple[str, list[str]]:
    p = result.protocol
    lines = [
        "This report measures, one claim at a time, why each step of the story was needed: one-hot vectors, "
        "then Word2Vec (CBOW, skip-gram), then recurrent encoders (RNN, LSTM, GRU, and their bidirectional "
        "versions). Every number below was computed by the probes in `forge.lab` on the encoders listed here; "
        "each probe is also a harness task (`forge bench --datasets probe-order ...`)."
    ]
    facts = []
    if p.get("corpus"):
        facts.append(
            f"English encoders trained on `{p['corpus']}`; the recurrent ones on {p.get('rnn_corpus', '?')}"
            f" (one epoch; `-untrained` = same architecture, random weights)."
        )
    if p.get("w2v"):
        facts.append(
            "Word2Vec settings: "
            + "; ".join(f"{k} " + ", ".join(f"{a}={b}" for a, b in v.items()) for k, v in p["w2v"].items())
            + "."
        )
    if p.get("zh_corpus"):
        facts.append(f"Chinese encoders (`zh-...`) trained on {p['zh_corpus']}.")
    if p.get("train_seconds"):
        facts.append("Training time (s): " + ", ".join(f"{k} {v}" for k, v in p["train_seconds"].items()) + ".")
    if p.get("total_seconds"):
        facts.append(
            f"The whole lab took {p['total_seconds']} s (forge {p.get('forge_version', '?')}, "
            f"{'quick' if p.get('quick') else 'full'} sizes, seed {p.get('seed')})."
        )
    for line in p.get("skipped", []):  # optional packages missing where the lab ran
        facts.append(f"Skipped: {line}")
    return lines[0], facts


def _notes_for(result, probe: str) -> list[tuple[str, list[str]]]:
    return [(enc, notes) for (p, enc), notes in result.notes.items() if p == probe and notes]


def write_report(result, path: str | Path) -> Path:
    """Write the report files into directory ``path`` (replaced atomically)."""
    frame = result.frame
    probes = [p for p in list_probes() if p in set(frame["dataset"]) or p in result.protocol.get("probes", [])]
    intro, facts = _intro(result)
    verdicts = result.verdicts()
    by_probe = {r["probe"]: r for _, r in verdicts.iterrows()}
    page = Page("forge lab", css=CSS, max_width=1000)
    page.heading("The forge lab: the story, measured", level=1)
    page.paragraph(intro)
    page.bullets(facts)
    page.heading("Verdicts")
    page.paragraph(VERDICT_INTRO)
    page.table(verdict_markdown(verdicts), _verdict_html(verdicts))
    for name in probes:
        _claim_section(page, result, name, by_probe.get(name))
    for name in probes:  # closing sections a probe brings (after every claim)
        closing = get_probe(name).section
        if closing is not None:
            closing(page, result)
    if getattr(result, "benchmarks", None) is not None and len(result.benchmarks):
        _benchmark_section(page, result.benchmarks)
    payload = {
        "protocol": result.protocol,
        "results": json.loads(frame.to_json(orient="records")),
        "verdicts": verdicts.to_dict("records"),
        "notes": [{"probe": p, "encoder": e, "notes": n} for (p, e), n in result.notes.items()],
        "benchmarks": (
            json.loads(result.benchmarks.to_json(orient="records"))
            if getattr(result, "benchmarks", None) is not None
            else None
        ),
    }
    path = Path(path)
    with atomic_dir(path, kind="lab-report", legacy=_legacy_lab_report) as tmp:
        (tmp / "report.md").write_text(page.markdown(), encoding="utf-8")
        (tmp / "report.html").write_text(page.html(), encoding="utf-8")
        for fig_name, png in page.files.items():
            (tmp / fig_name).write_bytes(png)
        frame.to_csv(tmp / "results.csv", index=False)
        (tmp / "results.json").write_text(
            json.dumps(payload, indent=1, ensure_ascii=False, default=_json_default), encoding="utf-8"
        )
    return path


def _claim_section(page: Page, result: Any, name: str, v: Any) -> None:
    """One claim: the claim, the method, the verdict and its rule, what was measured, the table, the figure,
    the notes per encoder; everything shown comes from the probe."""
    probe = get_probe(name)
    verdict = v["verdict"] if v is not None else "not measured"
    page.heading(
        f"Claim {probe.claim}: {probe.title}", anchor=f"claim-{probe.claim}", badge=verdict, badge_class=_css(verdict)
    )
    page.quote(f"The claim: {probe.claim_text}")
    page.paragraph(
        f"**How it is measured** (`{name}`): {probe.method}",
        f"<b>How it is measured</b> (<code>{name}</code>): {html.escape(probe.method)}",
    )
    if v is not None:
        page.paragraph(
            f"**Verdict: {verdict}.** Rule: {v['rule']} Evidence: {v['evidence'] or '(none)'}.",
            f"<b>Verdict:</b> <span class='v {_css(verdict)}'>{html.escape(verdict)}</span> "
            f"<b>Rule:</b> {html.escape(v['rule'])} <b>Evidence:</b> "
            f"{html.escape(v['evidence'] or '(none)')}.",
            css_class="verdict",
        )
    remark = probe.remark() if probe.remark is not None else None
    if remark:
        page.paragraph(remark)
    said = findings(result.frame, name)
    page.paragraph(f"**Measured:** {said}", f"<b>Measured:</b> {html.escape(said)}")
    page.frame_table(summary_table(result.frame, name), empty=NO_ROWS)
    png = render_figure(result.frame, name)
    if png is not None:
        page.figure(png, f"fig{probe.claim}-{name}.png", f"claim {probe.claim}", f"claim {probe.claim} figure")
    sub = result.frame[result.frame["dataset"] == name].reset_index(drop=True)
    for file, reading, extra in probe.figures(sub) if probe.figures is not None and len(sub) else []:
        page.figure(extra, file, file.removesuffix(".png"))
        page.paragraph(reading)
    notes = _notes_for(result, name)
    if notes:
        page.details(
            "Details per encoder",
            [f"- **{enc}**: " + "; ".join(line.rstrip(".") for line in lines) for enc, lines in notes],
            "<ul>"
            + "".join(
                f"<li><b>{html.escape(enc)}</b><ul>"
                + "".join(f"<li>{html.escape(line)}</li>" for line in lines)
                + "</ul></li>"
                for enc, lines in notes
            )
            + "</ul>",
        )


def _benchmark_section(page: Page, benchmarks: pd.DataFrame) -> None:
    """The Chinese encoders on the Chinese datasets run through the harness: score and coverage per encoder.

    A NaN score reads ``n/a [k]``; note k under the table says why (the harness's note, with the coverage).
    """
    bench = benchmarks[benchmarks["main"].astype(bool)]
    encoders = list(dict.fromkeys(bench["encoder"]))
    datasets = list(dict.fromkeys(bench["dataset"]))
    notes: list[str] = []
    rows = []
    for ds in datasets:
        scores, covs = [], []
        for enc in encoders:
            r = bench[(bench["dataset"] == ds) & (bench["encoder"] == enc)]
            if not len(r):
                scores.append("")
                covs.append("")
                continue
            value, cov = float(r["value"].iloc[0]), float(r["coverage"].iloc[0])
            covs.append(format_number(cov))
            if np.isfinite(value):
                scores.append(format_number(value))
                continue
            why = str(r["note"].iloc[0]) if "note" in r and isinstance(r["note"].iloc[0], str) else ""
            notes.append(f"[{len(notes) + 1}] {enc} on {ds} (coverage {cov:.0%}): {why or 'no score (NaN)'}")
            scores.append(f"n/a [{len(notes)}]")
        rows.append([ds, *scores, *covs])
    header = ["dataset", *[f"{e} score" for e in encoders], *[f"{e} coverage" for e in encoders]]
    scripts = dict(zip(bench["dataset"], bench.get("script", pd.Series([""] * len(bench)))))
    text = (
        "The Chinese encoders on the Chinese similarity (Spearman) and analogy (3CosAdd accuracy) datasets "
        "found in the data directory, through `forge.bench.run`; Traditional-script sets ("
        + ", ".join(d for d, s in scripts.items() if s == "traditional")
        + ") converted to Simplified with OpenCC. Small training corpus: read coverage first. A score "
        "marked n/a is undefined; the note under the table says why (e.g. one-hot: every covered pair has "
        "cosine 0, so no rank correlation)."
    )
    page.heading("Chinese datasets through the harness")
    page.paragraph(text)
    if not rows:
        page.paragraph(f"_{NO_ROWS}_", f"<em>{html.escape(NO_ROWS)}</em>")
        return
    align = ["---"] + ["---:"] * (len(header) - 1)
    page.table(markdown_table(header, rows, align), html_table(header, rows))
    if notes:
        page.bullets(notes)


VERDICT_INTRO = (
    "Each claim's verdict is computed from its own numbers by the rule written under the claim "
    "(thresholds, intervals, which encoders): supported, not supported, mixed at this budget (some "
    "tests pass, some fail, or the intervals cannot tell with these small models and this corpus), or "
    "not measured (the encoders the rule needs did not run). A claim is never shown as holding when "
    "its numbers contradict it."
)


def _css(verdict: str) -> str:
    return verdict.split(" at ")[0].replace(" ", "-")


def verdict_markdown(verdicts: pd.DataFrame) -> str:
    """The verdicts as a Markdown table (claim, title, verdict, evidence)."""
    rows = [
        [
            str(v["claim"]),
            f"[{get_probe(v['probe']).title}](#claim-{v['claim']})",
            f"**{v['verdict']}**",
            str(v["evidence"]).replace("|", "/"),
        ]
        for _, v in verdicts.iterrows()
    ]
    return markdown_table(["claim", "", "verdict", "evidence"], rows, ["---:", "---", "---", "---"])


def verdict_text(verdicts: pd.DataFrame, width: int = 100) -> str:
    """The verdicts as plain text for a terminal: one line per claim, its evidence wrapped below."""
    out = [f"{'claim':<5}  {'verdict':<20}  title"]
    for _, v in verdicts.iterrows():
        out.append(f"{v['claim']:<5}  {v['verdict']:<20}  {get_probe(v['probe']).title}")
        if v["evidence"]:
            out += textwrap.wrap(str(v["evidence"]), width, initial_indent=" " * 7, subsequent_indent=" " * 7)
    return "\n".join(out)


def _verdict_html(verdicts: pd.DataFrame) -> str:
    rows = [
        [
            str(v["claim"]),
            f"<a href='#claim-{v['claim']}'>{html.escape(get_probe(v['probe']).title)}</a>",
            f"<span class='v {_css(v['verdict'])}'>{html.escape(v['verdict'])}</span>",
            html.escape(str(v["evidence"])),
        ]
        for _, v in verdicts.iterrows()
    ]
    return html_table(
        ["claim", "", "verdict", "evidence"],
        rows,
        raw=True,
        attrs=["", "class='l' style='min-width:16em'", "class='l'", "class='l' style='font-size:12px'"],
        head_attrs=["", "class='l'", "class='l'", "class='l'"],
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return repr(value)


def _legacy_lab_report(folder: Path) -> bool:
    """A lab report folder of an earlier forge (before markers): only the files write_report writes."""
    names = [p.name for p in folder.iterdir()]
    return (
        "results.json" in names
        and all((folder / n).is_file() for n in names)
        and all(n in ("report.md", "report.html", "results.csv", "results.json") or n.endswith(".png") for n in names)
    )
