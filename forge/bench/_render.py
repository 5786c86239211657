"""One renderer for forge's report pages: tables, figures and sections as Markdown and HTML.

The benchmark report (:class:`forge.bench.Report`) and the lab report
(``forge lab``) both build their pages here, so they format numbers, tables,
embedded figures, collapsible blocks and the page frame (one style sheet:
tables with thin borders, images capped at the page width) the same way.

A :class:`Page` collects the Markdown lines and the HTML parts side by side;
the module-level functions render one table or image on their own.

Examples
--------
>>> import pandas as pd
>>> from forge.bench import Page
>>> page = Page("Toy")
>>> page.heading("Toy", level=1)
>>> page.paragraph("Two encoders on one probe.")
>>> page.frame_table(pd.DataFrame({"cos": [0.5, 0.0]}, index=["a", "b"]))
>>> print(page.markdown())
# Toy
<BLANKLINE>
Two encoders on one probe.
<BLANKLINE>
| encoder | cos |
|---|---:|
| a | 0.500 |
| b | 0 |
<BLANKLINE>
<BLANKLINE>
>>> "<td>0.500</td>" in page.html()
True
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "BASE_CSS",
    "Page",
    "details_html",
    "format_number",
    "frame_html",
    "frame_markdown",
    "html_page",
    "html_table",
    "image_html",
    "markdown_table",
]

# the style every page shares: bordered tables, images never wider than the page
BASE_CSS = (
    "body{font-family:sans-serif;margin:2em;max-width:%dpx}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}img{max-width:100%%;height:auto}"
)


def format_number(x: Any) -> str:
    """A number for a table cell: blank for NaN/None, thousands separated, 3 decimals, 3 significant digits
    below 0.01.

    Examples
    --------
    >>> [format_number(v) for v in (float("nan"), 0.0, 12345.6, 7.0, 0.25, 0.00123)]
    ['', '0', '12,346', '7', '0.250', '0.00123']
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1 and float(x).is_integer():
        return f"{x:.0f}"
    return f"{x:.3g}" if abs(x) < 0.01 else f"{x:.3f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> str:
    """A pipe table from text cells; ``align`` gives each column's separator (``"---"``, ``"---:"``)."""
    align = ["---"] * len(header) if align is None else list(align)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def html_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    attrs: Sequence[str] | None = None,
    head_attrs: Sequence[str] | None = None,
    raw: bool = False,
) -> str:
    """An HTML table from text cells (escaped unless ``raw``: then the cells are HTML already).

    ``attrs`` are the attributes of each column's cells (``"class='l'"``), ``head_attrs`` those of its
    header (default: ``attrs``).
    """

    def cell(tag: str, attr: str, text: str) -> str:
        return f"<{tag}{' ' + attr if attr else ''}>{text if raw else html.escape(text)}</{tag}>"

    attrs = [""] * len(header) if attrs is None else list(attrs)
    head_attrs = attrs if head_attrs is None else list(head_attrs)
    out = ["<table><tr>" + "".join(cell("th", a, h) for a, h in zip(head_attrs, header)) + "</tr>"]
    out += ["<tr>" + "".join(cell("td", a, c) for a, c in zip(attrs, row)) + "</tr>" for row in rows]
    return "".join(out) + "</table>"


def _frame_rows(table: Any, fmt: Callable[[Any], str]) -> list[list[str]]:
    return [[str(idx)] + [fmt(v) for v in values] for idx, values in zip(table.index, table.to_numpy(float))]


def frame_markdown(
    table: Any, index: str = "encoder", fmt: Callable[[Any], str] = format_number, empty: str = "(no rows)"
) -> str:
    """A numeric DataFrame as a Markdown table: its index (titled ``index``) then right-aligned numbers."""
    if table.empty:
        return f"_{empty}_\n"
    return markdown_table(
        [index, *map(str, table.columns)], _frame_rows(table, fmt), ["---"] + ["---:"] * len(table.columns)
    )


def frame_html(
    table: Any, index: str = "encoder", fmt: Callable[[Any], str] = format_number, empty: str = "(no rows)"
) -> str:
    """A numeric DataFrame as an HTML table (see :func:`frame_markdown`)."""
    if table.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return html_table([index, *map(str, table.columns)], _frame_rows(table, fmt))


def image_html(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG embedded (the page needs no other file)."""
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def details_html(summary: str, inner: str) -> str:
    """A collapsed block titled ``summary`` (text) around ``inner`` (HTML)."""
    return f"<details><summary>{html.escape(summary)}</summary>{inner}</details>"


def html_page(title: str, body: str, *, css: str = "", max_width: int = 1000) -> str:
    """A standalone HTML page: the shared style sheet (+ ``css``) around ``body``."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
        + BASE_CSS % max_width
        + css
        + "</style></head><body>"
        + body
        + "</body></html>"
    )


class Page:
    """A report page built once and written as Markdown (:meth:`markdown`) and HTML (:meth:`html`).

    Each method adds one block to both versions; ``md``/``html_text`` arguments give a version its
    own text where the two differ (Markdown emphasis vs tags). Figures added with :meth:`figure`
    are kept in :attr:`files` (``{file name: PNG bytes}``) for the Markdown page to link to.
    """

    def __init__(self, title: str, *, css: str = "", max_width: int = 1000):
        self.title, self.css, self.max_width = title, css, max_width
        self.md: list[str] = []
        self.parts: list[str] = []
        self.files: dict[str, bytes] = {}

    def heading(
        self, text: str, level: int = 2, *, anchor: str | None = None, badge: str | None = None, badge_class: str = ""
    ) -> None:
        """A heading; ``anchor`` makes it a link target, ``badge`` a tag after it (``(badge)`` in Markdown)."""
        if anchor:
            self.md += [f"<a id='{anchor}'></a>", ""]
        self.md += ["#" * level + f" {text}" + (f" ({badge})" if badge else ""), ""]
        tag = f" <span class='v {badge_class}'>{html.escape(badge)}</span>" if badge else ""
        ident = f" id='{anchor}'" if anchor else ""
        self.parts.append(f"<h{level}{ident}>{html.escape(text)}{tag}</h{level}>")

    def paragraph(self, text: str, html_text: str | None = None, *, css_class: str = "") -> None:
        """A paragraph: ``text`` in Markdown, ``html_text`` (HTML, default: ``text`` escaped) on the page."""
        self.md += [text, ""]
        cls = f" class='{css_class}'" if css_class else ""
        self.parts.append(f"<p{cls}>{html.escape(text) if html_text is None else html_text}</p>")

    def quote(self, text: str) -> None:
        """A block quote."""
        self.md += [f"> {text}", ""]
        self.parts.append(f"<blockquote>{html.escape(text)}</blockquote>")

    def bullets(self, items: Sequence[str]) -> None:
        """A bullet list of plain text items."""
        self.md += [f"- {item}" for item in items] + [""]
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")

    def table(self, markdown: str, html_text: str) -> None:
        """A table already rendered both ways (:func:`markdown_table`, :func:`html_table`)."""
        self.md.append(markdown)
        self.parts.append(html_text)

    def frame_table(
        self, table: Any, index: str = "encoder", fmt: Callable[[Any], str] = format_number, empty: str = "(no rows)"
    ) -> None:
        """A numeric DataFrame as a table (:func:`frame_markdown`, :func:`frame_html`)."""
        self.table(frame_markdown(table, index, fmt, empty), frame_html(table, index, fmt, empty))

    def figure(self, png: bytes, file: str, alt: str, html_alt: str | None = None) -> None:
        """A figure: linked as ``file`` from the Markdown page, embedded in the HTML page."""
        self.files[file] = png
        self.md += [f"![{alt}]({file})", ""]
        self.parts.append(f"<p>{image_html(png, alt if html_alt is None else html_alt)}</p>")

    def details(self, summary: str, md_lines: Sequence[str], html_text: str) -> None:
        """A collapsed block (``<details>``) titled ``summary``."""
        self.md += [f"<details><summary>{summary}</summary>", "", *md_lines, "", "</details>", ""]
        self.parts.append(details_html(summary, html_text))

    def raw(self, md: Sequence[str] = (), html_text: str = "") -> None:
        """Markdown lines and HTML added as they are."""
        self.md += list(md)
        if html_text:
            self.parts.append(html_text)

    def markdown(self) -> str:
        """The Markdown page."""
        return "\n".join(self.md) + "\n"

    def html(self) -> str:
        """The standalone HTML page (figures embedded)."""
        return html_page(self.title, "\n".join(self.parts), css=self.css, max_width=self.max_width)
