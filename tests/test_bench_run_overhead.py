"""forge.bench.run's fixed per-call costs (issue 20, item 6): a dataset is parsed once per process while its
files are unchanged."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forge.bench import _run
from forge.bench._analogy import evaluate_analogy
from forge.bench._parsers import AnalogySet
from forge.bench._vectors import VectorView


@dataclass
class _Loaded:
    record: str
    files: list[Path]


class _Task:
    def __init__(self, name: str, record: str, files: list[Path]):
        self.name, self.record, self.files, self.loads = name, record, files, 0

    def load(self, *, download: bool = False, transform=None):
        self.loads += 1
        return _Loaded(self.record, self.files)


def test_a_dataset_is_parsed_once_while_its_files_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(_run, "_LOADED", {})
    f = tmp_path / "q.txt"
    f.write_text("a b c d\n")
    task = _Task("mine", "record-1", [f])
    first = _run._load(task, False, None)
    assert _run._load(task, False, None) is first and task.loads == 1
    f.write_text("a b c e f\n")  # other size
    os.utime(f, ns=(1, 1))
    assert _run._load(task, False, None) is not first and task.loads == 2
    task.record = "record-2"  # the name registered again for another record
    _run._load(task, False, None)
    assert task.loads == 3
    _run._load(task, False, str.upper)  # another transform
    assert task.loads == 4
    f.unlink()  # unreadable: parsed again (and the loader reports the missing file)
    _run._load(task, False, str.upper)
    assert task.loads == 5


def test_folder_datasets_are_stamped_file_by_file(tmp_path):
    d = tmp_path / "bats"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "x.txt").write_text("1")
    before = _run._stamp([d])
    (d / "sub" / "x.txt").write_text("22")
    assert _run._stamp([d]) != before


def test_questions_sharing_words_are_looked_up_once_and_score_the_same():
    words = ["man", "woman", "king", "queen", "boy", "girl", "apple"]
    vecs = np.array(
        [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0.5], [1, 1, 0.5], [0, 0, -1]], dtype=np.float32
    )
    qs = AnalogySet(
        ["man", "man", "Man", "boy"],
        ["woman", "woman", "Woman", "girl"],
        ["king", "boy", "KING", "pear"],
        [("queen",), ("girl",), ("Queen", "queen"), ("x",)],
        ["royals", "kids", "royals", "kids"],
    )
    res = evaluate_analogy(VectorView((words, vecs)), qs, methods=("3cosadd",), device="cpu")
    np.testing.assert_array_equal(res.items["correct_3cosadd"], [1.0, 1.0, 1.0, np.nan])
    assert res.main()["value"] == 1.0 and res.n_covered == 3


_NO_TORCH = """
import sys
import numpy as np
from forge.bench._analogy import evaluate_analogy
from forge.bench._parsers import AnalogySet
from forge.bench._vectors import VectorView
words = ["man", "woman", "king", "queen", "apple", "pear"]
vecs = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, -1], [0, 1, -1]], dtype=np.float32)
qs = AnalogySet(["man"] * 3, ["woman"] * 3, ["king"] * 3, [("queen",)] * 3, ["royals"] * 3)
res = evaluate_analogy(VectorView((words, vecs)), qs, methods=("3cosadd",))
assert res.main()["value"] == 1.0
print("torch" in sys.modules)
"""


def test_auto_device_does_not_import_torch_without_an_nvidia_driver():
    import subprocess
    import sys

    from forge.bench._analogy import _cuda_possible

    if _cuda_possible():
        import pytest

        pytest.skip("an NVIDIA driver (or a non-Linux platform): auto asks torch for CUDA here")
    out = subprocess.run([sys.executable, "-c", _NO_TORCH], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # importing torch to find no GPU cost 3.3 s of a first run() call


def test_cuda_possible_when_torch_is_already_imported(monkeypatch):
    import sys

    from forge.bench import _analogy

    monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch") or object())
    assert _analogy._cuda_possible()
