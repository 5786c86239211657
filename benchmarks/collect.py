"""One page from everything measured: the merged `forge bench` report plus the benchmark scripts' tables.

    python benchmarks/collect.py results/report      # after `forge report results/bench-* --out results/report`

Reads ``benchmarks/results/*.md`` (written by word2vec_speed.py, analogy_speed.py, lstm_throughput.py,
onehot_memory.py, ...; ``*.json`` results are shown as they are) and writes ``index.html`` into the
report directory: the bench page's body, then one section per benchmark result. Only ``index.html`` is
written (atomically); the files of `forge report` are left as they are.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def sections(results: Path = RESULTS) -> list[str]:
    out = []
    for path in sorted(results.glob("*.md")) + sorted(results.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")), path.stem)
        out.append(
            f"<h2 id='{html.escape(path.stem)}'>{html.escape(title)}</h2><p><code>benchmarks/results/"
            f"{html.escape(path.name)}</code></p><pre>{html.escape(text)}</pre>"
        )
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    report = Path(argv[0])
    page = report / "report.html"
    bench = (
        page.read_text(encoding="utf-8")
        if page.is_file()
        else (
            "<!doctype html><html><head><meta charset='utf-8'><title>forge results</title></head><body>"
            "<p>(no forge bench results merged: run the bench-* environments first)</p></body></html>"
        )
    )
    parts = sections()
    extra = (
        "<h1 id='benchmarks'>Speed and memory benchmarks (benchmarks/)</h1>"
        "<p>Each script measures forge against a reference side by side in one run; timings were taken on "
        "the machine named in each table, often shared with other jobs.</p>"
        + ("".join(parts) if parts else "<p>(no results in benchmarks/results yet)</p>")
    )
    style = "<style>pre{white-space:pre-wrap;background:#f6f6f6;padding:1em;font-size:12px}</style>"
    text = bench.replace("</head>", style + "</head>", 1).replace("</body>", extra + "</body>", 1)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from forge._persist import atomic_file

    report.mkdir(parents=True, exist_ok=True)
    with atomic_file(report / "index.html", "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {report / 'index.html'}: the bench report and {len(parts)} benchmark results")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
