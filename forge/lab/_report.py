"""The lab report: one page (Markdown and HTML) telling the story claim by claim, with figures.

``write_report(result, dir)`` writes, all or nothing (``forge._persist.atomic_dir``):
``report.md``, ``report.html`` (figures embedded), ``fig<claim>-<probe>.png``,
``results.csv`` and ``results.json`` (the rows and the protocol, readable by
``forge.bench.Report.load``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forge._persist import atomic_dir
from forge.lab._base import cjk_font, get_probe, list_probes

__all__ = ["write_report", "render_figure", "summary_table", "findings", "verdict_markdown", "verdict_text"]

# per probe: (metric, section or None for any, column title) shown in its table
TABLES: dict[str, list[tuple[str, str | None, str]]] = {
    "probe-onehot": [("dim", None, "dim"), ("density", None, "non-zero share"),
                     ("bytes_per_token_stored", None, "B/token stored"), ("bytes_per_token_dense", None,
                                                                         "B/token dense"),
                     ("cosine_exactly_zero_fraction", None, "pairs with cos = 0"), ("cosine_mean", None, "mean cos")],
    "probe-static-similarity": [("cosine_related", None, "cos related"), ("cosine_unrelated", None, "cos unrelated"),
                                ("related_minus_unrelated", None, "gap"),
                                ("analogy_top1_fraction", None, "analogies right")],
    "probe-polysemy": [("spread_mean", None, "spread"), ("identical_fraction", None, "identical share"),
                       ("sense_gap_mean", None, "sense gap"), ("scws_spearman", None, "SCWS rho"),
                       ("wic_accuracy_test", None, "WiC test acc")],
    "probe-order": [("identical_fraction", None, "identical share"), ("cosine_distance_mean", None, "mean distance")],
    "probe-order-task": [("accuracy_new_pairs", None, "acc. new pairs"), ("accuracy_new_words", None, "acc. new words"),
                         ("ci_low", None, "CI low (new words)"), ("ci_high", None, "CI high (new words)"),
                         ("train_accuracy_new_words", None, "train acc.")],
    "probe-left-context": [("cosine_distance_mean", None, "mean cos distance"),
                           ("identical_fraction", None, "identical share")],
    "probe-long-range": [("recall_accuracy", "gap *", "recall"), ("recall_accuracy_mean", None, "mean")],
    "probe-speed": [("ms_per_batch_embed", "cpu length *", "embed ms"),
                    ("growth_exponent_embed", None, "exponent"),
                    ("growth_exponent_recurrent_layer", "cpu", "layer exp."),
                    ("growth_exponent_conv1d", "cpu", "conv1d exp."),
                    ("growth_exponent_self_attention", "cpu", "attention exp.")],
}


def _value(frame: pd.DataFrame, enc: str, metric: str, section: str | None = None, col: str = "value") -> float:
    sub = frame[(frame["encoder"] == enc) & (frame["metric"] == metric)]
    if section is not None:
        sub = sub[sub["section"] == section]
    return float(sub[col].iloc[0]) if len(sub) else float("nan")


def summary_table(frame: pd.DataFrame, probe: str) -> pd.DataFrame:
    """Encoders x the probe's key metrics (a ``*`` section expands to one column per section)."""
    sub = frame[frame["dataset"] == probe]
    encoders = list(dict.fromkeys(sub["encoder"]))
    cols: dict[str, list[float]] = {}
    for metric, section, title in TABLES.get(probe, []):
        if metric in ("ci_low", "ci_high"):
            cols[title] = [_value(sub, e, "accuracy_new_words", col=metric) for e in encoders]
            continue
        if section and section.endswith("*"):
            prefix = section[:-1]
            secs = list(dict.fromkeys(sub[(sub["metric"] == metric) & sub["section"].str.startswith(prefix)]["section"]))
            for sec in secs:
                cols[f"{title} {sec.removeprefix(prefix)}"] = [_value(sub, e, metric, sec) for e in encoders]
            continue
        cols[title] = [_value(sub, e, metric, section) for e in encoders]
    table = pd.DataFrame(cols, index=encoders)
    table.index.name = "encoder"
    return table.dropna(axis=1, how="all").dropna(axis=0, how="all")


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1 and float(x).is_integer():
        return f"{x:.0f}"
    return f"{x:.3g}" if abs(x) < 0.01 else f"{x:.3f}"


def _markdown_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "_(no encoder produced rows for this probe)_\n"
    head = "| encoder | " + " | ".join(table.columns) + " |"
    sep = "|---|" + "---:|" * len(table.columns)
    lines = [head, sep] + [f"| {idx} | " + " | ".join(_fmt(v) for v in row) + " |"
                           for idx, row in zip(table.index, table.to_numpy(float))]
    return "\n".join(lines) + "\n"


def _html_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p><em>(no encoder produced rows for this probe)</em></p>"
    out = ["<table><tr><th>encoder</th>" + "".join(f"<th>{html.escape(c)}</th>" for c in table.columns) + "</tr>"]
    for idx, row in zip(table.index, table.to_numpy(float)):
        out.append(f"<tr><td>{html.escape(str(idx))}</td>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>")
    return "".join(out) + "</table>"


def render_figure(frame: pd.DataFrame, probe_name: str) -> bytes | None:
    """The probe's figure as PNG bytes (None when it has no rows)."""
    sub = frame[frame["dataset"] == probe_name]
    if sub.empty:
        return None
    import matplotlib
    from matplotlib.figure import Figure   # no pyplot: no global backend state
    probe = get_probe(probe_name)
    font = cjk_font()
    rc = {"font.family": ["DejaVu Sans", font]} if font else {}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(11, 4.4))
        probe.plot(sub.reset_index(drop=True), fig)
        fig.suptitle(f"Claim {probe.claim}: {probe.title}", fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")  # legends placed outside the axes
    return buf.getvalue()


# ------------------------------------------------------------ plain findings
def _encs(frame: pd.DataFrame, probe: str) -> list[str]:
    return list(dict.fromkeys(frame[frame["dataset"] == probe]["encoder"]))


def _list(pairs: list[tuple[str, float]], fmt: str = "{:.3g}") -> str:
    return ", ".join(f"{e} {fmt.format(v)}" for e, v in pairs if not math.isnan(v))


def findings(frame: pd.DataFrame, probe: str) -> str:
    """One or two plain sentences stating what was measured (numbers read from the rows)."""
    sub = frame[frame["dataset"] == probe]
    encs = _encs(frame, probe)
    if sub.empty:
        return "No encoder produced rows for this probe."
    if probe == "probe-onehot":
        zero = [(e, _value(sub, e, "cosine_exactly_zero_fraction")) for e in encs]
        return ("Share of random pairs of distinct words whose cosine is exactly 0: " + _list(zero, "{:.0%}") + ". "
                "Non-zero share of embed() entries: " + _list([(e, _value(sub, e, "density")) for e in encs],
                                                             "{:.2%}") + ".")
    if probe == "probe-static-similarity":
        return ("Mean cosine of related minus unrelated pairs: " + _list(
            [(e, _value(sub[sub["main"].astype(bool)], e, "related_minus_unrelated")) for e in encs], "{:+.3f}")
            + ". Analogy examples answered right (top 1): " + _list(
                [(e, _value(sub, e, "analogy_top1_fraction")) for e in encs], "{:.0%}") + ".")
    if probe == "probe-polysemy":
        return ("Spread of a word's vectors across its contexts (mean cosine distance; 0 = one vector for every "
                "sense): " + _list([(e, _value(sub, e, "spread_mean")) for e in encs]) + ".")
    if probe == "probe-order":
        return ("Share of (sentence, permutation) pairs with bit-identical mean-pooled vectors: "
                + _list([(e, _value(sub, e, "identical_fraction")) for e in encs], "{:.0%}")
                + ". Mean cosine distance: " + _list([(e, _value(sub, e, "cosine_distance_mean")) for e in encs])
                + ".")
    if probe == "probe-order-task":
        return ("Test accuracy (chance 0.5) on new (person, animal) pairs: "
                + _list([(e, _value(sub, e, "accuracy_new_pairs")) for e in encs], "{:.3f}")
                + "; on new persons and animals: "
                + _list([(e, _value(sub, e, "accuracy_new_words")) for e in encs], "{:.3f}") + ".")
    if probe == "probe-left-context":
        return ("Mean cosine distance between the target's two vectors: "
                + _list([(e, _value(sub, e, "cosine_distance_mean")) for e in encs]) + "; bit-identical share: "
                + _list([(e, _value(sub, e, "identical_fraction")) for e in encs], "{:.0%}") + ".")
    if probe == "probe-long-range":
        acc = sub[sub["metric"] == "recall_accuracy"]
        parts = []
        for e in encs:
            a = acc[acc["encoder"] == e]
            if len(a):
                parts.append(f"{e} " + "/".join(f"{v:.2f}" for v in a["value"]))
        gaps = "/".join(s.split()[-1] for s in dict.fromkeys(acc["section"]))
        return f"Recall accuracy at k = {gaps} distractors (chance 0.125): " + "; ".join(parts) + "."
    if probe == "probe-speed":
        text = "Growth exponent of embed() time vs length (1 = linear): " + _list(
            [(e, _value(sub, e, "growth_exponent_embed")) for e in encs], "{:.2f}") + "."
        layer = [(e, _value(sub, e, "growth_exponent_recurrent_layer", "cpu")) for e in encs]
        conv = [(e, _value(sub, e, "growth_exponent_conv1d", "cpu")) for e in encs]
        att = [(e, _value(sub, e, "growth_exponent_self_attention", "cpu")) for e in encs]
        if any(not math.isnan(v) for _, v in layer):
            text += (" Bare layers on CPU: recurrent " + _list(layer, "{:.2f}") + "; conv1d " + _list(conv, "{:.2f}")
                     + "; self-attention " + _list(att, "{:.2f}") + ".")
        return text
    return ""


# ------------------------------------------------------------------ writing
def _intro(result) -> tuple[str, list[str]]:
    p = result.protocol
    lines = ["This report measures, one claim at a time, why each step of the story was needed: one-hot vectors, "
             "then Word2Vec (CBOW, skip-gram), then recurrent encoders (RNN, LSTM, GRU, and their bidirectional "
             "versions). Every number below was computed by the probes in `forge.lab` on the encoders listed here; "
             "each probe is also a harness task (`forge bench --datasets probe-order ...`)."]
    facts = []
    if p.get("corpus"):
        facts.append(f"English encoders trained on `{p['corpus']}`; the recurrent ones on {p.get('rnn_corpus', '?')}"
                     f" (one epoch; `-untrained` = same architecture, random weights).")
    if p.get("w2v"):
        facts.append("Word2Vec settings: " + "; ".join(f"{k} " + ", ".join(f"{a}={b}" for a, b in v.items())
                                                      for k, v in p["w2v"].items()) + ".")
    if p.get("zh_corpus"):
        facts.append(f"Chinese encoders (`zh-...`) trained on {p['zh_corpus']}.")
    if p.get("train_seconds"):
        facts.append("Training time (s): " + ", ".join(f"{k} {v}" for k, v in p["train_seconds"].items()) + ".")
    if p.get("total_seconds"):
        facts.append(f"The whole lab took {p['total_seconds']} s (forge {p.get('forge_version', '?')}, "
                     f"{'quick' if p.get('quick') else 'full'} sizes, seed {p.get('seed')}).")
    return lines[0], facts


def _notes_for(result, probe: str) -> list[tuple[str, list[str]]]:
    return [(enc, notes) for (p, enc), notes in result.notes.items() if p == probe and notes]


def write_report(result, path: str | Path) -> Path:
    """Write the report files into directory ``path`` (replaced atomically)."""
    from forge.lab._probe_context import jieba_segmentation
    frame = result.frame
    probes = [p for p in list_probes() if p in set(frame["dataset"]) or p in result.protocol.get("probes", [])]
    intro, facts = _intro(result)
    verdicts = result.verdicts()
    by_probe = {r["probe"]: r for _, r in verdicts.iterrows()}
    md = ["# The forge lab: the story, measured", "", intro, ""] + [f"- {f}" for f in facts] + [""]
    body = [f"<h1>The forge lab: the story, measured</h1><p>{html.escape(intro)}</p>",
            "<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in facts) + "</ul>"]
    md += ["## Verdicts", "", VERDICT_INTRO, "", verdict_markdown(verdicts)]
    body += ["<h2>Verdicts</h2>", f"<p>{html.escape(VERDICT_INTRO)}</p>", _verdict_html(verdicts)]
    figures: dict[str, bytes] = {}
    for name in probes:
        probe = get_probe(name)
        png = render_figure(frame, name)
        fig_name = f"fig{probe.claim}-{name}.png"
        table = summary_table(frame, name)
        said = findings(frame, name)
        v = by_probe.get(name)
        verdict = v["verdict"] if v is not None else "not measured"
        md += [f"<a id='claim-{probe.claim}'></a>", "",
               f"## Claim {probe.claim}: {probe.title} ({verdict})", "", f"> The claim: {probe.claim_text}", "",
               f"**How it is measured** (`{name}`): {probe.method}", ""]
        body += [f"<h2 id='claim-{probe.claim}'>Claim {probe.claim}: {html.escape(probe.title)} "
                 f"<span class='v {_css(verdict)}'>{html.escape(verdict)}</span></h2>",
                 f"<blockquote>The claim: {html.escape(probe.claim_text)}</blockquote>",
                 f"<p><b>How it is measured</b> (<code>{name}</code>): {html.escape(probe.method)}</p>"]
        if v is not None:
            text = f"**Verdict: {verdict}.** Rule: {v['rule']} Evidence: {v['evidence'] or '(none)'}."
            md += [text, ""]
            body.append(f"<p class='verdict'><b>Verdict:</b> <span class='v {_css(verdict)}'>{html.escape(verdict)}"
                        f"</span> <b>Rule:</b> {html.escape(v['rule'])} <b>Evidence:</b> "
                        f"{html.escape(v['evidence'] or '(none)')}.</p>")
        if name == "probe-left-context":
            seg = jieba_segmentation("苹果派")
            if seg is not None:
                text = (f"jieba segments 苹果派 as {seg} and 苹果手机 as {jieba_segmentation('苹果手机')}, so the "
                        f"token lists are written out: ['苹果', '派'] vs ['苹果', '手机'].")
                md += [text, ""]
                body.append(f"<p>{html.escape(text)}</p>")
        md += [f"**Measured:** {said}", "", _markdown_table(table)]
        body += [f"<p><b>Measured:</b> {html.escape(said)}</p>", _html_table(table)]
        if png is not None:
            figures[fig_name] = png
            md += [f"![claim {probe.claim}]({fig_name})", ""]
            body.append(f"<p><img alt='claim {probe.claim} figure' src='data:image/png;base64,"
                        f"{base64.b64encode(png).decode()}'></p>")
        notes = _notes_for(result, name)
        if notes:
            md += ["<details><summary>Details per encoder</summary>", ""]
            body.append("<details><summary>Details per encoder</summary><ul>")
            for enc, lines in notes:
                md += [f"- **{enc}**: " + "; ".join(line.rstrip(".") for line in lines)]
                body.append(f"<li><b>{html.escape(enc)}</b><ul>"
                            + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul></li>")
            md += ["", "</details>", ""]
            body.append("</ul></details>")
    if getattr(result, "benchmarks", None) is not None and len(result.benchmarks):
        bench = result.benchmarks[result.benchmarks["main"].astype(bool)]
        wide = bench.pivot_table(index="dataset", columns="encoder", values="value", aggfunc="first", sort=False)
        cov = bench.pivot_table(index="dataset", columns="encoder", values="coverage", aggfunc="first", sort=False)
        wide.columns = [f"{c} score" for c in wide.columns]
        cov.columns = [f"{c} coverage" for c in cov.columns]
        table = pd.concat([wide, cov], axis=1)
        scripts = dict(zip(bench["dataset"], bench.get("script", pd.Series([""] * len(bench)))))
        text = ("The Chinese encoders on the Chinese similarity (Spearman) and analogy (3CosAdd accuracy) datasets "
                "found in the data directory, through `forge.bench.run`; Traditional-script sets ("
                + ", ".join(d for d, s in scripts.items() if s == "traditional")
                + ") converted to Simplified with OpenCC. Small training corpus: read coverage first. A blank score is "
                "undefined (e.g. one-hot: every covered pair has cosine 0, so no rank correlation).")
        md += ["## Chinese datasets through the harness", "", text, "", _markdown_table(table).replace(
            "| encoder |", "| dataset |", 1)]
        body += ["<h2>Chinese datasets through the harness</h2>", f"<p>{html.escape(text)}</p>", _html_table(table)]
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>forge lab</title><style>"
            "body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}"
            "blockquote{color:#333;border-left:3px solid #aaa;padding-left:1em}img{max-width:100%;height:auto}"
            "td.l,th.l{text-align:left}.v{padding:1px 6px;border-radius:3px;font-size:85%;white-space:nowrap}"
            ".supported{background:#d8f0d8}.not-supported{background:#f6d5d5}.mixed{background:#f7ecc8}"
            ".not-measured{background:#e6e6e6}"
            "</style></head><body>" + "\n".join(body) + "</body></html>")
    payload = {"protocol": result.protocol, "results": json.loads(frame.to_json(orient="records")),
               "verdicts": verdicts.to_dict("records"),
               "notes": [{"probe": p, "encoder": e, "notes": n} for (p, e), n in result.notes.items()],
               "benchmarks": (json.loads(result.benchmarks.to_json(orient="records"))
                              if getattr(result, "benchmarks", None) is not None else None)}
    path = Path(path)
    with atomic_dir(path, kind="lab-report", legacy=_legacy_lab_report) as tmp:
        (tmp / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(page, encoding="utf-8")
        for fig_name, png in figures.items():
            (tmp / fig_name).write_bytes(png)
        frame.to_csv(tmp / "results.csv", index=False)
        (tmp / "results.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=_json_default),
                                          encoding="utf-8")
    return path


VERDICT_INTRO = ("Each claim's verdict is computed from its own numbers by the rule written under the claim "
                 "(thresholds, intervals, which encoders): supported, not supported, mixed at this budget (some "
                 "tests pass, some fail, or the intervals cannot tell with these small models and this corpus), or "
                 "not measured (the encoders the rule needs did not run). A claim is never shown as holding when "
                 "its numbers contradict it.")


def _css(verdict: str) -> str:
    return verdict.split(" at ")[0].replace(" ", "-")


def verdict_markdown(verdicts: pd.DataFrame) -> str:
    """The verdicts as a Markdown table (claim, title, verdict, evidence)."""
    lines = ["| claim | | verdict | evidence |", "|---:|---|---|---|"]
    for _, v in verdicts.iterrows():
        title = get_probe(v["probe"]).title
        lines.append(f"| {v['claim']} | [{title}](#claim-{v['claim']}) | **{v['verdict']}** | "
                     f"{str(v['evidence']).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def verdict_text(verdicts: pd.DataFrame, width: int = 100) -> str:
    """The verdicts as plain text for a terminal: one line per claim, its evidence wrapped below."""
    import textwrap
    out = [f"{'claim':<5}  {'verdict':<20}  title"]
    for _, v in verdicts.iterrows():
        out.append(f"{v['claim']:<5}  {v['verdict']:<20}  {get_probe(v['probe']).title}")
        if v["evidence"]:
            out += textwrap.wrap(str(v["evidence"]), width, initial_indent=" " * 7, subsequent_indent=" " * 7)
    return "\n".join(out)


def _verdict_html(verdicts: pd.DataFrame) -> str:
    rows = ["<table><tr><th>claim</th><th class='l'></th><th class='l'>verdict</th><th class='l'>evidence</th></tr>"]
    for _, v in verdicts.iterrows():
        title = html.escape(get_probe(v["probe"]).title)
        rows.append(f"<tr><td>{v['claim']}</td><td class='l' style='min-width:16em'>"
                    f"<a href='#claim-{v['claim']}'>{title}</a></td>"
                    f"<td class='l'><span class='v {_css(v['verdict'])}'>{html.escape(v['verdict'])}</span></td>"
                    f"<td class='l' style='font-size:12px'>{html.escape(str(v['evidence']))}</td></tr>")
    return "".join(rows) + "</table>"


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return repr(value)


def _legacy_lab_report(folder: Path) -> bool:
    """A lab report folder of an earlier forge (before markers): only the files write_report writes."""
    names = [p.name for p in folder.iterdir()]
    return ("results.json" in names and all((folder / n).is_file() for n in names)
            and all(n in ("report.md", "report.html", "results.csv", "results.json") or n.endswith(".png")
                    for n in names))
