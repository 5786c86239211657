"""A report as pages: Markdown (``report.md``) and standalone HTML (``report.html``).

Both show the score table of :mod:`forge.bench._report_tables` with its legend
and notes, the datasets no encoder covers, the paired tests kept with
:meth:`forge.bench.Report.add_comparison`, and the protocol; the HTML page
also embeds the charts (:mod:`forge.bench._report_charts`).
"""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd

from forge.bench._render import details_html, html_page, image_html, markdown_table
from forge.bench._report_tables import LEGEND, fmt, note_lines, num, score_table, uncovered

__all__ = ["to_html", "to_markdown"]


def to_markdown(report: Any) -> str:
    """A Markdown page: main scores with 95% CIs, coverage, notes, protocol, skipped datasets."""
    t = score_table(report)
    lines = [
        "# forge benchmark report",
        "",
        "Main score per dataset with its 95% confidence interval; coverage per encoder in column order.",
        "",
        LEGEND,
        "",
    ]
    head = ["dataset", *list(t.columns)]
    rows = [[ds] + ["" if pd.isna(v) else str(v) for v in row] for ds, row in t.iterrows()]
    lines += markdown_table(head, rows).splitlines()
    notes = note_lines(report)
    if notes:
        lines += ["", "Scores that are NaN (n/a):", ""] + [f"- {n}" for n in notes]
    gone = uncovered(report)
    if gone:
        lines += ["", "Covered by no encoder (no score; not drawn): " + ", ".join(gone) + "."]
    lines += _comparisons_markdown(report, set(gone))
    lines += ["", "## Protocol", ""]
    for key, value in report.protocol.items():
        if key in ("encoders", "datasets", "merged_from"):
            continue
        lines.append(f"- {key}: {json.dumps(value, ensure_ascii=False, default=str)}")
    lines += ["", "## Encoders", ""]
    for name, info in report.protocol.get("encoders", {}).items():
        lines.append(f"- **{name}**: {json.dumps(info, ensure_ascii=False, default=str)}")
    lines += ["", "## Datasets", ""]
    for name, info in report.protocol.get("datasets", {}).items():
        lines.append(
            f"- **{name}** ({info.get('origin')}, sha256 {str(info.get('sha256'))[:12]}...): "
            f"{info.get('n_items')} items. {info.get('citation', '')}"
        )
    return "\n".join(lines) + "\n"


def _comparisons_markdown(report: Any, gone: set[str]) -> list[str]:
    lines = []
    for title, records in report.protocol.get("comparisons", {}).items():
        records = [r for r in records if r["dataset"] not in gone]
        rows = [
            [
                r["dataset"],
                r["metric"],
                fmt(num(r["a"])),
                fmt(num(r["b"])),
                fmt(num(r["diff"])),
                f"[{fmt(num(r['ci_low']))}, {fmt(num(r['ci_high']))}]",
                r["test"],
                f"{num(r['p_value']):.3g}",
                str(r["n"]),
                r.get("note") or "",
            ]
            for r in records
        ]
        lines += ["", f"## Paired tests: {title}", ""]
        lines += markdown_table(
            ["dataset", "metric", "a", "b", "diff", "95% CI", "test", "p", "n", "note"], rows
        ).splitlines()
    return lines


def to_html(report: Any, charts: dict[str, bytes]) -> str:
    """A standalone HTML page: the table, the charts (embedded PNG) and the protocol."""
    gone = uncovered(report)
    table = score_table(report)
    parts = [
        "<h1>forge benchmark report</h1>",
        "<p>Main score per dataset with its 95% confidence interval.</p>",
        f"<p>{html.escape(LEGEND)}</p>",
        table.drop(index=[d for d in gone if d in table.index]).rename_axis(None).to_html(escape=True, na_rep=""),
    ]
    notes = note_lines(report)
    if notes:
        parts.append(
            "<p>Scores that are NaN (n/a):</p><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
    if gone:
        parts.append("<p><b>Covered by no encoder</b> (no score, not drawn): " + html.escape(", ".join(gone)) + ".</p>")
    for key, png in charts.items():
        parts.append(f"<h2>{html.escape(key.replace('_', ': ', 1))}</h2>" + image_html(png, f"{key} chart"))
    for title, records in report.protocol.get("comparisons", {}).items():
        frame = pd.DataFrame(records)
        frame = frame[~frame["dataset"].isin(gone)] if len(frame) else frame
        parts.append(
            f"<h2>Paired tests: {html.escape(title)}</h2>"
            + frame.to_html(escape=True, na_rep="", index=False, float_format=lambda v: f"{v:.4g}")
            + ("<p>Datasets covered by no encoder are left out.</p>" if gone else "")
        )
    protocol = {k: v for k, v in report.protocol.items() if k != "comparisons"}
    parts.append(
        "<h2>Protocol</h2>"
        + details_html(
            "How the numbers were made: datasets (sha256), OOV policy, encoders and their parameters (JSON)",
            "<pre>" + html.escape(json.dumps(protocol, indent=1, ensure_ascii=False, default=str)) + "</pre>",
        )
    )
    return html_page(
        "forge benchmark report",
        "\n".join(parts),
        max_width=1200,
        css="details pre{max-height:40em;overflow:auto;background:#f6f6f6;padding:1em;font-size:12px}",
    )
