"""Optional packages (issue 19): without each one the lab goes on, and says what it skipped and how to get it.

Absence is simulated with ``sys.modules[name] = None`` (``import name`` then raises ImportError).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from forge.lab import _corpus, _extras, _plotting, _run


@pytest.mark.parametrize(
    ("module", "name", "install"),
    [
        ("jieba", "jieba", "foundations-forge[zh]"),
        ("opencc", "opencc-python-reimplemented", "foundations-forge[zh]"),
        ("numba", "numba", "foundations-forge[fast]"),
    ],
)
def test_each_missing_package_is_named_with_what_is_skipped_and_how_to_get_it(monkeypatch, module, name, install):
    monkeypatch.setitem(sys.modules, module, None)
    assert not _extras.has_module(module)
    missing = {e.name: e for e in _extras.missing_extras()}
    assert name in missing
    line = missing[name].line()
    assert line.startswith(f"{name} is not installed: ") and install in line
    assert any(line == s for s in _extras.skipped_lines())


def test_present_packages_are_not_reported():
    pytest.importorskip("jieba")
    pytest.importorskip("opencc")
    names = {e.name for e in _extras.missing_extras()}
    assert "jieba" not in names and "opencc-python-reimplemented" not in names


def test_no_cjk_font_glosses_figure_labels_and_says_so(monkeypatch):
    monkeypatch.setattr(_plotting, "cjk_font", lambda: None)
    assert "a CJK font" in {e.name for e in _extras.missing_extras()}
    assert _plotting.plot_text("苹果派 / 苹果手机") == "<apple-pie> / <apple-phone>"


def test_without_opencc_the_sinica_sample_is_skipped_not_fatal(monkeypatch):
    import forge

    def load(name, **kw):
        raise AssertionError(f"corpus {name!r} must not be loaded without OpenCC")

    monkeypatch.setitem(sys.modules, "opencc", None)
    monkeypatch.setattr(forge.corpora, "load", load)
    said: list[str] = []
    sents, text = _corpus.zh_corpus(said.append)
    assert sents and "Sinica" not in text
    assert said == ["(sinica not used: converting it to Simplified needs OpenCC, from the Chinese extra)"]


def test_without_opencc_the_traditional_benchmarks_are_skipped(monkeypatch):
    from forge.corpora import _zh

    class Record:
        kind = "similarity"

        def __init__(self, script):
            self.script = script

    records = {"zh-simp": Record("simplified"), "zh-trad": Record("traditional")}
    ran: list[tuple[list[str], object]] = []

    class Result:
        def __init__(self, names):
            import pandas as pd

            self.frame = pd.DataFrame({"dataset": names})

    def run(encoders, names, transform=None, progress=False):
        ran.append((list(names), transform))
        return Result(names)

    monkeypatch.setattr(_run, "list_datasets", lambda language=None: list(records))
    monkeypatch.setattr(_run, "get_record", records.__getitem__)
    monkeypatch.setattr(_run, "available_datasets", lambda names: (list(names), {}))
    monkeypatch.setattr(_run, "run", run)
    monkeypatch.setitem(sys.modules, "opencc", None)
    _zh._converter.cache_clear()
    frame = _run.chinese_benchmarks({}, lambda msg: None)
    assert ran == [(["zh-simp"], None)]
    assert list(frame["script"]) == ["simplified"]
    _zh._converter.cache_clear()


def test_without_jieba_claim6_has_no_segmentation_note(monkeypatch):
    from forge.lab._probe_context import jieba_segmentation, segmentation_remark

    monkeypatch.setitem(sys.modules, "jieba", None)
    assert jieba_segmentation("苹果派") is None and segmentation_remark() is None


def test_without_numba_analogies_take_the_numpy_path_with_the_same_answers(monkeypatch):
    from forge.bench import _analogy_numba
    from forge.bench._analogy_kernel import solve_analogies

    rng = np.random.default_rng(0)
    W = rng.normal(size=(300, 8)).astype(np.float32)
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    q = rng.integers(0, 20, size=(200, 3))
    rows, cols = np.repeat(np.arange(200), 3), q.ravel()
    before = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols, use_numba=False)[0]  # the numpy path
    monkeypatch.setattr(_analogy_numba, "numba", None)  # as when `import numba` failed
    assert not _analogy_numba.available()

    def fused(*args, **kwargs):
        raise AssertionError("the fused kernel must not run without numba")

    monkeypatch.setattr(_analogy_numba, "chunk_pass", fused)
    after = solve_analogies(W, q[:, 0], q[:, 1], q[:, 2], rows, cols)[0]
    assert np.array_equal(before, after)
