"""The README's measured numbers come from ``benchmarks/results/`` (written by ``benchmarks/collect.py
--readme``), and no result file claims more data than there was."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TEXT8_PREFIX_TOKENS = 2_139_748  # the text8 prefix in FORGE_DATA_DIR (datasets/MANIFEST.md), checked below


def _collect():
    spec = importlib.util.spec_from_file_location("collect", ROOT / "benchmarks" / "collect.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_quotes_the_result_files():
    collect = _collect()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert collect.BLOCK.search(text), "the README has no <!-- results:NAME --> block"
    assert collect.readme_blocks(text) == text, (
        "README and benchmarks/results differ: python benchmarks/collect.py --readme"
    )


def test_a_changed_result_changes_the_block(tmp_path):
    collect = _collect()
    for path in RESULTS.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    csv = tmp_path / "rnn_long_range_recall.csv"
    csv.write_text(csv.read_text().replace("rnn,1.0,0.794", "rnn,1.0,0.123"))
    text = "<!-- results:recurrent -->\nold\n<!-- /results:recurrent -->\n"
    assert "the plain RNN recalls 1.00/0.12/" in collect.readme_blocks(text, tmp_path)
    assert "old" not in collect.readme_blocks(text, tmp_path)


def test_no_result_claims_more_text8_than_there_is():
    claims = [
        (path.name, int(m.group(1).replace(",", "")))
        for path in RESULTS.glob("*.md")
        for m in re.finditer(r"text8 prefix of ([\d,]+) tokens", path.read_text(encoding="utf-8"))
    ]
    assert claims  # the contextual-quality results state their tokens
    too_many = [(name, n) for name, n in claims if n > TEXT8_PREFIX_TOKENS]
    assert not too_many, f"claims more tokens than the text8 prefix has ({TEXT8_PREFIX_TOKENS:,}): {too_many}"


@pytest.mark.data
def test_the_text8_prefix_has_the_tokens_the_check_assumes():
    import forge

    try:
        corpus = forge.corpora.load("text8")
    except forge.errors.ForgeError as exc:
        pytest.skip(f"text8 not in FORGE_DATA_DIR: {exc}")
    assert sum(len(line) for line in corpus) == TEXT8_PREFIX_TOKENS


def test_the_defaults_block_reports_time_load_and_the_static_part_beside_the_skipgram(tmp_path):
    import pandas as pd

    collect = _collect()
    pd.DataFrame(
        [
            {
                "job": "train-bilstm",
                "command": "forge train bilstm --corpus gensim-default (no parameters)",
                "seconds": 183.4,
                "load_before": 0.5,
                "load_after": 1.9,
                "ws353_static": 0.61,
                "ws353_skipgram": 0.61,
                "simlex_static": 0.21,
                "simlex_skipgram": 0.2,
                "epochs_run": 5,
                "valid_ppl": 1656.4,
            }
        ]
    ).to_csv(tmp_path / "readme_timings.csv", index=False)
    text = collect.readme_blocks("<!-- results:defaults -->\n<!-- /results:defaults -->\n", tmp_path)
    assert "  - `forge train bilstm --corpus gensim-default (no parameters)`: 183 s (3.1 min; 1-minute load 0.5" in text
    assert "5 epochs, last validation perplexity 1,656" in text
    assert "WordSim-353 0.610 vs 0.610, SimLex-999 0.210 vs 0.200" in text
