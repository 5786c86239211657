"""Issue 9, items 1-3 and the Report part of 9: saves never delete what forge did not write,
the rename window is recovered, and a saved model is checked before it is trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import forge
from forge._folders import FolderLock
from forge._persist import _params_digest
from forge.bench import Report
from forge.cli import main
from forge.errors import BadInputError, CorruptModelError, ForgeError, RecoveredWarning

CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 10
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def w2v():
    return forge.create("skipgram", vector_size=8, min_count=1, epochs=1, workers=1, progress=False).fit(CORPUS)


def _edit_config(path: Path, edit, keep_digest: bool = False) -> None:
    cfg = json.loads((path / "config.json").read_text())
    edit(cfg)
    if not keep_digest:
        cfg.pop("params_sha256", None)
    (path / "config.json").write_text(json.dumps(cfg))


# ------------------------------------------------------------------ item 1: nothing foreign is deleted
def test_save_into_folder_with_foreign_file_refuses_and_keeps_it(w2v, tmp_path):
    target = tmp_path / "thesis"
    target.mkdir()
    (target / "thesis.tex").write_text("three years of work")
    with pytest.raises(BadInputError, match=r"thesis\.tex.*choose a new or empty folder"):
        w2v.save(target)
    assert (target / "thesis.tex").read_text() == "three years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]  # no lock, no .tmp left behind


def test_save_replaces_its_own_model_but_not_files_added_to_it(w2v, tmp_path):
    target = tmp_path / "m"
    w2v.save(target)
    w2v.save(target)  # a forge model of the same kind: replaced
    assert (target / ".forge-model").is_file()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(BadInputError, match=r"notes\.txt"):
        w2v.save(target)
    assert (target / "notes.txt").read_text() == "mine"
    assert forge.load(target).vocabulary == w2v.vocabulary


@pytest.mark.parametrize("spec", [".", "cwd", "..", "cwd/.."])
def test_save_refuses_the_current_directory_and_above(w2v, tmp_path, monkeypatch, spec):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.csv").write_text("x")
    monkeypatch.chdir(work)
    path = {"cwd": os.getcwd(), "cwd/..": os.path.join(os.getcwd(), "..")}.get(spec, spec)
    with pytest.raises(BadInputError, match="current directory"):
        w2v.save(path)
    assert (work / "data.csv").read_text() == "x"


def test_save_refuses_another_kind_and_a_file(w2v, tmp_path):
    report = _tiny_report()
    folder = report.save(tmp_path / "rep")
    with pytest.raises(BadInputError, match="holds a forge report, not a model"):
        w2v.save(folder)
    (tmp_path / "f").write_text("x")
    with pytest.raises(BadInputError, match="not a folder"):
        w2v.save(tmp_path / "f")
    assert (tmp_path / "f").read_text() == "x"


def test_model_of_the_previous_format_is_replaced_and_loads(w2v, tmp_path):
    target = tmp_path / "old"
    w2v.save(target)
    _make_format_1(target)
    with pytest.raises(CorruptModelError, match="allow_unchecked=True"):
        forge.load(target)  # no checksums to verify: only on request (issue 17, item 4)
    with pytest.warns(UserWarning, match="without checksums"):
        loaded = forge.load(target, allow_unchecked=True)
    np.testing.assert_array_equal(loaded.vector("cat"), w2v.vector("cat"))
    w2v.save(target)  # recognised as forge's own (only forge file names in it)
    assert (target / ".forge-model").is_file()


def _make_format_1(path: Path) -> None:
    cfg = json.loads((path / "config.json").read_text())
    cfg["format_version"] = 1
    cfg.pop("files"), cfg.pop("params_sha256")
    (path / "config.json").write_text(json.dumps(cfg))
    (path / ".forge-model").unlink()


def test_cli_train_refuses_a_foreign_folder_before_training(tmp_path, fixtures, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.me").write_text("x")
    code = main(["train", "onehot", "--corpus", str(fixtures / "corpora" / "small.txt"), "--out", str(out)])
    assert code == 2
    assert "keep.me" in capsys.readouterr().err
    assert (out / "keep.me").read_text() == "x"


# ------------------------------------------------------------------ reports (items 1 and 9)
def _tiny_report(encoder: str = "e") -> Report:
    import pandas as pd

    row = {
        "encoder": encoder,
        "dataset": "d",
        "kind": "similarity",
        "language": "en",
        "metric": "spearman",
        "section": "",
        "value": 0.5,
        "ci_low": 0.4,
        "ci_high": 0.6,
        "n": 10,
        "n_total": 10,
        "coverage": 1.0,
        "main": True,
    }
    return Report(pd.DataFrame([row]), {"seed": 0}, {(encoder, "d"): {"gold": np.arange(3.0), "pred": np.ones(3)}})


def test_report_save_keeps_earlier_runs_and_foreign_files(tmp_path, capsys):
    results = tmp_path / "results"
    a = _tiny_report("a").save(results / "bench-a")
    b = _tiny_report("b").save(results / "bench-b")
    (results / "README.txt").write_text("my notes")
    new = _tiny_report("c").save(results)  # a folder of runs: a new sub-folder, nothing removed
    assert new.parent == results and new.name.startswith("bench-")
    assert Report.load(a).encoders == ["a"] and Report.load(b).encoders == ["b"]
    assert Report.load(new).encoders == ["c"]
    assert (results / "README.txt").read_text() == "my notes"
    # the CLI does the same, and says where it wrote
    assert main(["report", str(a), str(b), "--out", str(results)]) == 0
    assert "wrote " + str(results / "bench-") in capsys.readouterr().out
    assert len([p for p in results.iterdir() if p.name.startswith("bench-")]) == 4
    # an earlier report at the exact path is replaced; a folder of someone else's files is refused
    _tiny_report("d").save(a)
    assert Report.load(a).encoders == ["d"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("x")
    with pytest.raises(BadInputError, match=r"x\.txt"):
        _tiny_report().save(other)
    assert (other / "x.txt").read_text() == "x"


def _damage_results(path: Path, case: str) -> None:
    js = path / "results.json"
    payload = json.loads(js.read_text())
    if case == "list":
        js.write_text("[1, 2]")
    elif case == "results_not_list":
        payload["results"] = {"a": 1}
        js.write_text(json.dumps(payload))
    elif case == "row_not_object":
        payload["results"] = [1]
        js.write_text(json.dumps(payload))
    elif case == "value_text":
        payload["results"][0]["value"] = "high"
        js.write_text(json.dumps(payload))
    elif case == "encoder_number":
        payload["results"][0]["encoder"] = 3
        js.write_text(json.dumps(payload))
    elif case == "index_bad":
        payload["items_index"] = {"i0": ["only", "two"]}
        js.write_text(json.dumps(payload))
    elif case == "index_missing_key":
        payload["items_index"] = {"zz": ["e", "d", "gold"]}
        js.write_text(json.dumps(payload))
    elif case == "npz_garbage":
        (path / "items.npz").write_bytes(b"PK\x03\x04 not a zip")
    elif case == "utf8":
        js.write_bytes(b"\xff\xfe{")
    elif case == "deep":
        js.write_text("[" * 100000 + "]" * 100000)
    elif case == "truncated":
        js.write_text(js.read_text()[:50])
    elif case == "protocol_list":
        payload["protocol"] = [1]
        js.write_text(json.dumps(payload))


@pytest.mark.parametrize(
    "case",
    [
        "list",
        "results_not_list",
        "row_not_object",
        "value_text",
        "encoder_number",
        "index_bad",
        "index_missing_key",
        "npz_garbage",
        "utf8",
        "deep",
        "truncated",
        "protocol_list",
    ],
)
def test_report_load_of_a_damaged_folder_is_a_forge_error(tmp_path, case):
    path = _tiny_report().save(tmp_path / "r")
    _damage_results(path, case)
    with pytest.raises(BadInputError):
        Report.load(path)


def test_report_load_of_a_file_is_a_forge_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(BadInputError, match="not a forge bench results directory"):
        Report.load(tmp_path / "f")


# ------------------------------------------------------------------ item 2: leftovers, locks, rename window
def test_stale_leftovers_forge_made_are_removed_by_the_next_save(w2v, tmp_path):
    target = tmp_path / "m"
    for name in (".m.tmp-dead1", ".m.old-dead2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".forge-model").write_text("{}")
        (tmp_path / name / "vectors.npy").write_bytes(b"x" * 1000)
    (tmp_path / ".m.tmp-user").mkdir()  # not forge's (no marker): left alone
    (tmp_path / ".m.tmp-user" / "keep").write_text("x")
    w2v.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.tmp-user", "m"]


def test_a_concurrent_save_is_a_forge_error_and_leaves_nothing(w2v, tmp_path):
    target = tmp_path / "m"
    w2v.save(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    with FolderLock(target):  # another save holds the lock
        with pytest.raises(BadInputError, match="another process is saving"):
            w2v.save(target)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, ".m.lock"])
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert forge.load(target).vocabulary == w2v.vocabulary


_RACE = textwrap.dedent("""
    import sys, forge
    from forge.errors import ForgeError
    enc = forge.create("onehot").fit([["a", "b", sys.argv[2]]])
    ok = busy = 0
    for _ in range(15):
        try:
            enc.save(sys.argv[1]); ok += 1
        except ForgeError:
            busy += 1
    print(ok, busy)
""")


def test_racing_saves_from_processes_give_forge_errors_only(tmp_path):
    target = tmp_path / "m"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACE, str(target), f"w{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err  # a bare OSError/traceback would end the process with 1
        ok, busy = map(int, out.split())
        assert ok + busy == 15
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert forge.load(target).vocabulary.words[:2] == ["a", "b"]


_KILL_IN_WINDOW = textwrap.dedent("""
    import os, signal, sys, forge
    real = os.rename
    def rename(src, dst):
        real(src, dst)
        if ".old-" in str(dst):  # the folder has just moved aside: die before the new one moves in
            os.kill(os.getpid(), signal.SIGKILL)
    os.rename = rename
    {action}
""")


def _run_killed(action: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_IN_WINDOW.format(action=action)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr  # killed by SIGKILL inside the window


def test_sigkill_in_the_rename_window_then_load_recovers(tmp_path):
    target = tmp_path / "m"
    first = forge.create("onehot").fit([["a", "b"]])
    first.save(target)
    _run_killed(f"forge.create('onehot').fit([['x', 'y', 'z']]).save({str(target)!r})")
    assert not target.exists() and any(p.name.startswith(".m.old-") for p in tmp_path.iterdir())
    with pytest.warns(RecoveredWarning, match="restored the complete previous model"):
        loaded = forge.load(target)
    assert loaded.vocabulary.words == ["a", "b"]
    assert target.is_dir()
    first.save(target)  # and the next save cleans up the dead save's new copy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_sigkill_while_the_old_copy_is_deleted_leaves_nothing_after_the_next_save(tmp_path):
    """Found by benchmarks/attack_saves.py: the old copy lost its marker first and stayed forever."""
    target = tmp_path / "m"
    forge.create("onehot").fit([["a", "b"]]).save(target)
    _run_killed_on_delete(f"forge.create('onehot').fit([['x', 'y']]).save({str(target)!r})")
    assert any(p.name.startswith(".m.old-") for p in tmp_path.iterdir())
    assert forge.load(target).vocabulary.words == ["x", "y"]
    forge.create("onehot").fit([["a", "b"]]).save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


_KILL_ON_DELETE = textwrap.dedent("""
    import os, pathlib, signal, sys, forge
    real_unlink = pathlib.Path.unlink
    def unlink(self, *args, **kwargs):
        real_unlink(self, *args, **kwargs)
        if ".old-" in str(self):  # the first file of the old copy is gone: die
            os.kill(os.getpid(), signal.SIGKILL)
    pathlib.Path.unlink = unlink
    {action}
""")


def _run_killed_on_delete(action: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_ON_DELETE.format(action=action)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr


RNN = {
    "hidden_size": 8,
    "layers": 1,
    "batch_size": 8,
    "dropout": 0.0,
    "validation": 0.0,
    "device": "cpu",
    "progress": False,
    "seed": 3,
}


def test_sigkill_in_the_checkpoint_rename_window_then_resume_recovers(tmp_path):
    pytest.importorskip("torch", reason="recurrent checkpoints need the torch extra")
    ckpt = tmp_path / "ckpt"
    forge.create("lstm", epochs=1, checkpoint_dir=str(ckpt), **RNN).fit(CORPUS)
    action = f"forge.create('lstm', epochs=2, resume=True, checkpoint_dir={str(ckpt)!r}, **{RNN!r}).fit({CORPUS!r})"
    _run_killed("import forge.encoders.neural.recurrent\n" + action)
    assert not ckpt.exists()
    with pytest.warns(RecoveredWarning, match="previous checkpoint"):
        resumed = forge.create("lstm", epochs=2, resume=True, checkpoint_dir=str(ckpt), **RNN).fit(CORPUS)
    straight = forge.create("lstm", epochs=2, **RNN).fit(CORPUS)
    assert [h["epoch"] for h in resumed.history_] == [1, 2]  # epoch 1 came from the recovered checkpoint
    np.testing.assert_allclose(resumed.vector("cat"), straight.vector("cat"), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ item 3: checked before trusted
def test_a_bit_flip_in_an_array_is_caught_by_the_checksum(w2v, tmp_path):
    path = w2v.save(tmp_path / "m")
    blob = bytearray((path / "vectors.npy").read_bytes())
    blob[-5] ^= 0x01  # one bit of one float: today this loads with a changed vector
    (path / "vectors.npy").write_bytes(bytes(blob))
    with pytest.raises(CorruptModelError, match="vectors.npy does not match the sha256"):
        forge.load(path)


def test_an_edited_config_is_refused_then_validated_as_fit_validates(w2v, tmp_path):
    path = w2v.save(tmp_path / "m")
    _edit_config(path, lambda c: c["params"].update(oov="zero"), keep_digest=True)
    with pytest.raises(CorruptModelError, match="changed after it was saved.*params_sha256"):
        forge.load(path)
    _edit_config(path, lambda c: c["params"].update(oov="zero"))  # digest deleted: an edit on purpose
    assert forge.load(path).oov == "zero"
    _edit_config(path, lambda c: c["params"].update(oov="sometimes"))
    with pytest.raises(CorruptModelError, match="oov='sometimes' is not valid for Word2VecEncoder"):
        forge.load(path)


@pytest.fixture(scope="module")
def lstm_dir(tmp_path_factory):
    pytest.importorskip("torch", reason="the recurrent encoders need the torch extra")
    path = tmp_path_factory.mktemp("lstm") / "m"
    forge.create("lstm", epochs=1, **RNN).fit(CORPUS).save(path)
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"tie_weights": True}, "unexpected.*decoder"),
        ({"impl": "x"}, "impl='x' is not valid"),
        ({"batch_size": 0}, "batch_size=0 is not valid"),
        ({"hidden_size": 10**12}, "hidden_size|shape|built"),
        ({"layers": 2}, "missing"),
        ({"unknown_param": 1}, "do not fit encoder"),
    ],
)
def test_recurrent_config_edits_are_refused(lstm_dir, tmp_path, edit, message):
    import shutil

    path = tmp_path / "m"
    shutil.copytree(lstm_dir, path)
    _edit_config(path, lambda c: c["params"].update(edit))
    with pytest.raises(CorruptModelError, match=message):
        forge.load(path)


@pytest.mark.parametrize(
    "text",
    [
        '{"encoder": "onehot", "params": ' + "[" * 50000 + "]" * 50000 + "}",
        '{"encoder": "onehot", "params": {"min_count": ' + "9" * 5000 + "}}",
        '{"encoder": "onehot", "params": {"min_count": 1e999}}',
        '{"encoder": ["onehot"], "params": {}}',
        '{"encoder": "onehot", "params": []}',
        '{"encoder": "onehot", "params": {}, "format_version": "2"}',
        '{"encoder": "onehot", "params": {}, "format_version": 2, "files": {"../x": 1}}',
        "[]",
        '"model"',
    ],
)
def test_config_of_wrong_types_nesting_or_huge_numbers_is_corrupt(tmp_path, text):
    path = forge.create("onehot").fit([["a"]]).save(tmp_path / "m")
    (path / "config.json").write_text(text)
    with pytest.raises(CorruptModelError):
        forge.load(path)


def test_non_finite_or_wrong_dtype_arrays_are_refused_without_checksums(w2v, tmp_path):
    path = w2v.save(tmp_path / "m")
    _make_format_1(path)  # the previous format has no checksums: the arrays themselves are checked
    vectors = np.load(path / "vectors.npy")
    bad = vectors.copy()
    bad[2, 0] = np.nan
    np.save(path / "vectors.npy", bad)
    for array, message in ((bad, "non-finite"), (vectors.astype(np.int64), "int64"), (vectors[:-1], "shape")):
        np.save(path / "vectors.npy", array)
        with pytest.raises(CorruptModelError, match=message), pytest.warns(UserWarning, match="without checksums"):
            forge.load(path, allow_unchecked=True)


def test_params_digest_ignores_key_order():
    a = {"encoder": "x", "class": "y", "params": {"a": 1, "b": 2}}
    b = {"params": {"b": 2, "a": 1}, "class": "y", "encoder": "x"}
    assert _params_digest(a) == _params_digest(b)


def test_every_load_failure_is_a_forge_error(tmp_path):
    with pytest.raises(ForgeError, match="No saved model"):
        forge.load(tmp_path / "absent")


def test_cli_bench_refuses_a_foreign_out_folder_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "draft.docx").write_text("x")
    assert main(["bench", "--encoders", "skipgram", "--out", str(out), "--quiet"]) == 2
    assert "draft.docx" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["draft.docx"]


def test_a_model_left_in_the_previous_forge_old_layout_is_recovered(w2v, tmp_path):
    """forge before format 2 moved the model to .NAME.old-XXXX/x; a kill there lost it for load()."""
    saved = w2v.save(tmp_path / "m")
    _make_format_1(saved)
    (tmp_path / ".m.old-k2j4").mkdir()
    saved.rename(tmp_path / ".m.old-k2j4" / "x")
    with pytest.warns(RecoveredWarning, match=r"from \.m\.old-k2j4"), pytest.warns(UserWarning, match="format 1"):
        loaded = forge.load(tmp_path / "m", allow_unchecked=True)
    np.testing.assert_array_equal(loaded.vector("cat"), w2v.vector("cat"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
