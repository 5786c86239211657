"""One page from everything measured, and the README's measured numbers, both from ``benchmarks/results/``.

    python benchmarks/collect.py results/report      # after `forge report results/bench-* --out results/report`
    python benchmarks/collect.py --readme            # rewrite the README's generated block(s)

The README quotes measured numbers only inside ``<!-- results:NAME -->`` ... ``<!-- /results:NAME -->``
blocks, written by :func:`readme_blocks` from the result files; ``tests/test_tools.py`` fails when the README
and the files differ (run ``--readme`` after a benchmark writes new results).

Reads ``benchmarks/results/*.md`` (written by word2vec_speed.py, analogy_speed.py, lstm_throughput.py,
onehot_memory.py, ...; ``*.json`` results are shown as they are) and writes ``index.html`` into the
report directory: the bench page's body, then one section per benchmark result. Only ``index.html`` is
written (atomically); the files of `forge report` are left as they are.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)


def _notes(md: Path) -> str:
    """The last paragraph of a result's Markdown file: what was measured, with the amounts actually used."""
    return md.read_text(encoding="utf-8").strip().split("\n\n")[-1].strip()


def _contextual(name: str, results: Path) -> str:
    frame = pd.read_csv(results / f"{name}.csv")
    score = frame[frame["kind"] == "score"].set_index(["encoder", "dataset"])["value"]
    paired = frame[frame["kind"] != "score"].set_index("dataset")
    scws, wic = paired.loc["scws"], paired.loc["wic"]
    n_test = int(frame[(frame["kind"] == "score") & (frame["dataset"] == "wic")]["n"].max())
    mixed = (
        f"; this run predates a fix: its McNemar items include WiC's dev split ({int(wic['n']) - n_test:,} of "
        f"them beside the {n_test:,} test items), so read that p-value as dev + test"
        if int(wic["n"]) > n_test
        else ""
    )
    return (
        f"SCWS Spearman {score['bilstm-recipe', 'scws']:.3f} vs the skip-gram's {score['skipgram', 'scws']:.3f} "
        f"(difference {scws['diff']:+.3f}, 95% CI [{scws['ci_low']:.3f}, {scws['ci_high']:.3f}], Williams p = "
        f"{scws['p_value']:.2f}); WiC test accuracy {score['bilstm-recipe', 'wic']:.3f} vs "
        f"{score['skipgram', 'wic']:.3f} (McNemar on the {int(wic['n']):,} items both cover: {wic['a']:.3f} vs "
        f"{wic['b']:.3f}, p = {wic['p_value']:.2g}{mixed}). Run: {_notes(results / f'{name}.md')}"
    )


def recurrent_block(results: Path = RESULTS) -> str:
    """The README's measured numbers of the recurrent encoders (section "Measured"), from the result files."""
    thr = pd.read_csv(results / "rnn_cpu_throughput.csv").set_index(["size", "output"])
    rec = pd.read_csv(results / "rnn_long_range_recall.csv").set_index("model")
    ks = [c for c in rec.columns if c.startswith("k=")]
    runs = [json.loads(line) for line in (results / "ptb_lstm_quality.jsonl").read_text().splitlines() if line]
    stream = [r for r in runs if r["config"].startswith("stream")]
    best = min(stream, key=lambda r: r["test_ppl"])

    def recall(model: str) -> str:
        return "/".join(f"{rec.loc[model, k]:.2f}" for k in ks)

    sizes = list(dict.fromkeys(s for s, _ in thr.index))
    lines = [
        "* **Output layers** (`benchmarks/results/rnn_cpu_throughput.md`): the sampled softmax trains at "
        + " and ".join(f"{thr.loc[(s, 'sampled'), 'vs_none']:.2f}x ({s})" for s in sizes)
        + " the tokens/s of the same model with no output layer at all, and "
        + " / ".join(f"{thr.loc[(s, 'sampled'), 'vs_full']:.1f}x" for s in sizes)
        + " the full softmax (adaptive: "
        + " / ".join(f"{thr.loc[(s, 'adaptive'), 'vs_full']:.1f}x" for s in sizes)
        + f" the full softmax). Run: {_notes(results / 'rnn_cpu_throughput.md')}",
        "* **Contextual quality** (`benchmarks/results/rnn_contextual_quality.md`): "
        + _contextual("rnn_contextual_quality", results),
        "* **Contextual quality, the whole text8 prefix** (`benchmarks/results/rnn_contextual_quality_2139k.md`): "
        + _contextual("rnn_contextual_quality_2139k", results),
        f"* **Long-range recall** (`benchmarks/results/rnn_long_range_recall.md`, the lab's claim-7 task): at "
        f"{'/'.join(k[2:] for k in ks)} distractors the plain RNN recalls {recall('rnn')}, the default LSTM "
        f'(forget bias 1.0) {recall("lstm (default: forget bias 1.0)")}, the LSTM with `forget_bias="chrono"` '
        f"{recall('lstm, chrono init')} and with bias 3.0 {recall('lstm, forget bias 3.0')}.",
        f"* **PTB stream mode** (`benchmarks/results/ptb_lstm_quality.jsonl`, {best['date_utc']}): {best['label']}; "
        f"{best['config']}: test perplexity {best['test_ppl']:.2f} (valid {best['valid_ppl']:.2f}) after "
        f"{best['train_minutes']:.1f} min at {best['tokens_per_s']:,} tokens/s on {best['device']}.",
    ]
    return "\n".join(lines) + "\n"


def defaults_block(results: Path = RESULTS) -> str:
    """The README's timings of the no-parameter commands (``benchmarks/readme_timings.py``), with the load."""
    rows = pd.read_csv(results / "readme_timings.csv").set_index("job")
    lines = []
    for job in ("train-bilstm", "train-transformer"):
        if job not in rows.index:
            continue
        r = rows.loc[job]
        lines.append(
            f"  - `{r['command']}`: {r['seconds']:.0f} s ({r['seconds'] / 60:.1f} min; 1-minute load "
            f"{r['load_before']:.1f} before, {r['load_after']:.1f} after), {int(r['epochs_run'])} epochs, last "
            f"validation perplexity {r['valid_ppl']:,.0f}. Static part against the skip-gram it was built on: "
            f"WordSim-353 {r['ws353_static']:.3f} vs {r['ws353_skipgram']:.3f}, SimLex-999 {r['simlex_static']:.3f} "
            f"vs {r['simlex_skipgram']:.3f}."
        )
    return "\n".join(lines) + "\n"


def timings_block(results: Path = RESULTS) -> str:
    """The README's wall times of the lab and the notebook (``benchmarks/readme_timings.py``), with the load."""
    rows = pd.read_csv(results / "readme_timings.csv").set_index("job")
    lines = [
        f"`{rows.loc[job, 'command']}` took {rows.loc[job, 'seconds']:.0f} s (1-minute load "
        f"{rows.loc[job, 'load_before']:.1f} before, {rows.loc[job, 'load_after']:.1f} after)"
        for job in ("lab-quick", "notebook", "demo")
        if job in rows.index
    ]
    return "Measured on 2 cores: " + "; ".join(lines) + ". A load above 2 means other jobs shared the cores.\n"


BLOCKS = {"recurrent": recurrent_block, "defaults": defaults_block, "timings": timings_block}


def readme_blocks(text: str, results: Path = RESULTS) -> str:
    """``text`` (the README) with every ``<!-- results:NAME -->`` block rewritten from the result files."""
    return BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group("name")](results) + m.group(4), text)


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
    if argv == ["--readme"]:
        text = README.read_text(encoding="utf-8")
        new = readme_blocks(text)
        README.write_text(new, encoding="utf-8")
        print(f"{README}: {'rewritten' if new != text else 'already up to date'}")
        return 0
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
