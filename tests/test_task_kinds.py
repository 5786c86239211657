"""A new kind of task from this file alone: word-length regression, through forge.bench.run and Report.compare.

Nothing in forge knows this kind: the test registers a file format (its parser and task kind), the task
class (evaluate, common_subset, paired_test) and a dataset, as a user or a plugin would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import forge.bench
from forge.bench import (
    DatasetTask,
    Report,
    RunOptions,
    TaskResult,
    VectorView,
    metric_row,
    register_dataset,
    register_format,
    register_task_kind,
    unregister_dataset,
)
from forge.bench._formats import _FORMATS
from forge.bench._tasks import _KINDS
from forge.errors import BadInputError, PluginError, UnknownNameError


# ------------------------------------------------------------------ the toy task kind
@dataclass
class WordLengths:
    words: list[str]
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.words)


def parse_word_lengths(path: str | Path, encoding: str = "utf-8") -> WordLengths:
    """One word per line; its gold value is its number of characters."""
    words = [w.strip() for w in Path(path).read_text(encoding=encoding).splitlines() if w.strip()]
    return WordLengths(words, np.array([len(w) for w in words], dtype=float))


class WordLengthTask(DatasetTask):
    """Predict a word's length from its vector: ridge regression, leave-one-out predictions, Spearman (main)."""

    kind = "word-length"

    def evaluate(
        self,
        view: VectorView,
        data: WordLengths,
        options: RunOptions,
        *,
        subset: np.ndarray | None = None,
        progress: Any = None,
    ) -> TaskResult:
        view.screen()
        idx = view.lookups(data.words)
        use = idx >= 0 if subset is None else (idx >= 0) & subset
        pred = np.full(len(data), np.nan)
        rows = np.flatnonzero(use)
        if len(rows) > 2:
            x = np.c_[view.rows(idx[rows]), np.ones(len(rows))]
            y = data.lengths[rows]
            hat = x @ np.linalg.solve(x.T @ x + 1e-3 * np.eye(x.shape[1]), x.T)  # ridge hat matrix
            pred[rows] = (hat @ y - np.diag(hat) * y) / (1 - np.diag(hat))  # leave-one-out
        rho = stats.spearmanr(data.lengths[rows], pred[rows])[0] if len(rows) > 2 else float("nan")
        if progress is not None:
            progress.update(len(data))
        return TaskResult(
            [metric_row("spearman", rho, n=len(rows), main=True)],
            {"gold": data.lengths, "pred": pred},
            len(data),
            int((idx >= 0).sum()),
        )

    def common_subset(self, data: WordLengths, views: dict[str, VectorView]) -> np.ndarray | None:
        return np.logical_and.reduce([v.lookups(data.words) >= 0 for v in views.values()])

    @classmethod
    def paired_test(
        cls, items_a: dict[str, np.ndarray], items_b: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any] | None:
        both = np.isfinite(items_a["pred"]) & np.isfinite(items_b["pred"])
        err_a = np.abs(items_a["pred"] - items_a["gold"])[both]
        err_b = np.abs(items_b["pred"] - items_b["gold"])[both]
        p = stats.wilcoxon(err_a, err_b).pvalue if both.sum() > 1 else float("nan")
        return {
            "metric": "abs_error",
            "a": float(err_a.mean()),
            "b": float(err_b.mean()),
            "diff": float(err_a.mean() - err_b.mean()),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "test": "Wilcoxon signed-rank (absolute errors)",
            "p_value": float(p),
            "p_bootstrap": float("nan"),
            "n": int(both.sum()),
        }


@pytest.fixture
def toy_kind(tmp_path):
    """The format, the kind and a dataset registered; everything is undone afterwards."""
    words = [("".join(chr(97 + (i * 7 + j) % 26) for j in range(2 + i % 9))) for i in range(120)]
    path = tmp_path / "lengths.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    with _FORMATS.isolated(), _KINDS.isolated():
        register_format(
            "word-lengths",
            lambda paths, options: parse_word_lengths(paths[0], **options),
            "word-length",
            parser=parse_word_lengths,
        )
        register_task_kind(WordLengthTask)
        register_dataset("toy-lengths", path, format="word-lengths", overwrite=True)
        try:
            yield words
        finally:
            unregister_dataset("toy-lengths")


def _encoders(words: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
    rng = np.random.default_rng(0)
    lengths = np.array([len(w) for w in words], dtype=float)
    good = np.c_[lengths + rng.normal(scale=0.3, size=len(words)), rng.normal(size=(len(words), 3))]
    bad = rng.normal(size=(len(words) - 20, 4))  # knows nothing of length, and fewer words
    return {"good": (words, good), "bad": (words[20:], bad)}


def test_a_new_task_kind_runs_through_run_and_compare(toy_kind, tmp_path):
    assert forge.bench.FORMATS["word-lengths"] == "word-length"
    assert forge.bench.get_record("toy-lengths").kind == "word-length"
    rep = forge.bench.run(_encoders(toy_kind), ["toy-lengths", "wordsim353"], progress=False)
    main = rep.main_scores().set_index(["encoder", "dataset"])
    assert main.loc[("good", "toy-lengths"), "kind"] == "word-length"
    assert main.loc[("good", "toy-lengths"), "value"] > 0.9 > 0.5 > abs(main.loc[("bad", "toy-lengths"), "value"])
    assert main.loc[("bad", "toy-lengths"), "coverage"] == pytest.approx(100 / 120)
    assert rep.protocol["datasets"]["toy-lengths"]["format"] == "word-lengths"

    table = rep.compare("good", "bad").set_index("dataset")
    assert table.loc["toy-lengths", "test"] == "Wilcoxon signed-rank (absolute errors)"
    assert table.loc["toy-lengths", "n"] == 100 and table.loc["toy-lengths", "p_value"] < 1e-6
    assert table.loc["wordsim353", "test"] == "Williams"  # the built-in kinds keep their tests

    common = forge.bench.run(_encoders(toy_kind), ["toy-lengths"], common=True, progress=False)
    assert set(common.main_scores()["n"]) == {100}  # the words both encoders cover

    rep.save(tmp_path / "rep")
    again = Report.load(tmp_path / "rep").compare("good", "bad").set_index("dataset")
    assert again.loc["toy-lengths", "p_value"] == table.loc["toy-lengths", "p_value"]


def test_a_saved_report_of_an_unregistered_kind_says_why_it_has_no_test(toy_kind, tmp_path):
    forge.bench.run(_encoders(toy_kind), ["toy-lengths"], progress=False).save(tmp_path / "rep")
    with _KINDS.isolated():
        _KINDS.unregister("word-length")
        table = Report.load(tmp_path / "rep").compare("good", "bad")
    assert table["test"].tolist() == [""] and np.isnan(table["p_value"].iloc[0])
    assert "task kind 'word-length' is not registered" in table["note"].iloc[0]


def test_a_task_object_registered_by_name_brings_its_kind(tmp_path):
    """A plugin's forge.tasks entry point may name a DatasetTask object: record plus the class of its kind."""
    path = tmp_path / "w.txt"
    path.write_text("a\nbb\nccc\ndddd\neeeee\n", encoding="utf-8")
    with _FORMATS.isolated(), _KINDS.isolated(), forge.bench._datasets._REGISTRY.isolated():
        register_format(
            "word-lengths",
            lambda paths, options: parse_word_lengths(paths[0], **options),
            "word-length",
            parser=parse_word_lengths,
        )
        record = forge.bench.DatasetRecord(
            name="toy-obj", kind="word-length", language="en", format="word-lengths", files=(str(path),), user=True
        )
        forge.bench.register_task("toy-obj", WordLengthTask(record))
        assert forge.bench.get_task_kind("word-length") is WordLengthTask
        assert forge.bench.get_record("toy-obj") is record and len(forge.bench.load_dataset("toy-obj")) == 5
        words = ["a", "bb", "ccc", "dddd", "eeeee"]
        rep = forge.bench.run(
            {
                "x": (words, np.arange(10.0).reshape(5, 2) ** 2),
                "y": (words, np.random.default_rng(0).normal(size=(5, 2))),
            },
            ["toy-obj"],
            progress=False,
        )
        assert rep.main_scores()["kind"].tolist() == ["word-length"] * 2
        assert rep.compare("x", "y")["test"].tolist() == ["Wilcoxon signed-rank (absolute errors)"]
        wrong = forge.bench.DatasetRecord(
            name="toy-bad", kind="similarity", language="en", format="pairs", files=(str(path),), user=True
        )
        with pytest.raises(PluginError, match="record says kind='similarity'"):
            forge.bench.register_task("toy-bad", WordLengthTask(wrong))
    assert "toy-obj" not in forge.bench.list_tasks()


def test_task_kind_and_format_registration_errors(toy_kind):
    with pytest.raises(BadInputError, match="already registered"):
        register_task_kind(type("Other", (WordLengthTask,), {}))
    with pytest.raises(PluginError, match="subclass of forge.bench.DatasetTask"):
        _KINDS.register("plain", object)
    with pytest.raises(UnknownNameError, match="Did you mean 'word-length'"):
        forge.bench.get_task_kind("word-lenght")
    with pytest.raises(BadInputError, match="built-in dataset format 'pairs'"):
        register_format("pairs", lambda paths, options: None, "similarity", overwrite=True)
    with pytest.raises(BadInputError, match="Unknown option.*'sep'.*accepts encoding"):
        register_dataset("toy-2", __file__, format="word-lengths", sep=",")


def test_builtin_kinds_name_their_paired_tests():
    from forge.bench._paired import accuracy_test, correlation_test

    kinds = {k: forge.bench.get_task_kind(k) for k in ("similarity", "analogy", "polysemy")}
    gold, pred = np.arange(20.0), np.arange(20.0) ** 2
    graded = {"gold": gold, "pred": pred}
    noisy = {"gold": gold, "pred": pred + np.random.default_rng(0).normal(scale=50.0, size=20)}
    row = kinds["similarity"].paired_test(graded, noisy, n_boot=50)
    assert row == correlation_test(graded, noisy, n_boot=50) and 0 < row["p_value"] < 1
    correct = {"correct_3cosadd": (np.arange(20) % 2).astype(float)}
    assert kinds["analogy"].paired_test(correct, correct)["metric"] == "accuracy_3cosadd"
    wic = {"gold": gold, "pred": pred, "correct": (np.arange(20) % 3 == 0).astype(float)}
    assert kinds["polysemy"].paired_test(wic, wic)["metric"] == "accuracy_test"
    assert kinds["polysemy"].paired_test(graded, graded)["test"] == "Williams"
    assert accuracy_test(graded, graded) is None


def test_the_runner_and_compare_do_not_switch_on_kind_or_format():
    """Behaviour lives with the task kinds and formats: no ``== "analogy"``-style test in the runner or compare."""
    import ast

    bench = Path(forge.bench.__file__).parent
    names = set(forge.bench.list_task_kinds()) | set(forge.bench.FORMATS)
    for module in ("_run.py", "_report.py", "_datasets.py"):
        tree = ast.parse((bench / module).read_text(encoding="utf-8"))
        switches = [
            ast.unparse(node)
            for node in ast.walk(tree)
            if isinstance(node, ast.Compare)
            and any(isinstance(c, ast.Constant) and c.value in names for c in [node.left, *node.comparators])
        ]
        assert not switches, f"{module} switches on a kind or format: {switches}"
