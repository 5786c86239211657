"""The forge command line, and bad input given to it: clear errors, exit code 2, no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np
import pytest

import forge
from forge.cli import main, parse_params


def test_list_shows_encoders_and_corpora(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "skipgram" in out and "onehot" in out and "gensim-default" in out


def test_train_saves_a_loadable_model(tmp_path, fixtures, capsys):
    out_dir = tmp_path / "m"
    code = main(
        [
            "train",
            "cbow",
            "--corpus",
            str(fixtures / "corpora" / "small.txt"),
            "--out",
            str(out_dir),
            "--param",
            "min_count=1",
            "--param",
            "vector_size=8",
            "--param",
            "workers=1",
            "--param",
            "progress=false",
            "--show",
            "king",
        ]
    )
    assert code == 0
    assert "saved to" in capsys.readouterr().out
    model = forge.load(out_dir)
    assert model.vector_size == 8 and model.sg == 0 and "king" in model


def test_train_a_neural_encoder_says_what_it_was_built_on_and_what_the_epochs_reached(tmp_path, fixtures, capsys):
    pytest.importorskip("torch")
    corpus = tmp_path / "corpus.txt"  # enough sentences for a validation split (fewer than 20 hold none out)
    corpus.write_text((fixtures / "corpora" / "small.txt").read_text(encoding="utf-8") * 10, encoding="utf-8")
    params = ["hidden_size=8", "epochs=2", "device=cpu", "progress=false", "validation=0.2"]
    argv = ["train", "bilstm", "--corpus", str(corpus), "--out", str(tmp_path / "m")]
    assert main([*argv, *(x for p in params for x in ("--param", p))]) == 0
    out = capsys.readouterr().out
    model = forge.load(tmp_path / "m")
    assert "built on skipgram" in out and "trained on the fly on the same corpus" in out  # the recipe, said
    best = min(h["valid_ppl"] for h in model.history_)
    assert f"{len(model.history_)} epochs; best validation perplexity {best:,.1f} (the weights kept)" in out
    assert " min; saved to " in out


def test_param_values_are_parsed_as_json_when_possible():
    assert parse_params(["a=5", "b=0.5", "c=true", "d=text", "e=[1,2]"]) == {
        "a": 5,
        "b": 0.5,
        "c": True,
        "d": "text",
        "e": [1, 2],
    }


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "lstn", "--corpus", "x", "--out", "y"], "Did you mean 'lstm'"),
        (["train", "onehot", "--corpus", "no/such/file.txt", "--out", "y"], "no/such/file.txt does not exist"),
        (["train", "onehot", "--corpus", "{data}/corpora/binary.bin", "--out", "y"], "binary"),
        (["train", "onehot", "--corpus", "{data}/empty.txt", "--out", "y"], "no word"),
        (["train", "onehot", "--corpus", "{data}/corpora/small.txt", "--out", "y", "--param", "novalue"], "key=value"),
    ],
)
def test_bad_input_gives_a_clear_error(argv, expected, fixtures, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    argv = [a.replace("{data}/empty.txt", str(tmp_path / "empty.txt")).replace("{data}", str(fixtures)) for a in argv]
    argv = [str(tmp_path / "y") if a == "y" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_truncated_model_and_oov_are_clear_errors(tmp_path):
    enc = forge.create("onehot").fit([["a", "b"]])
    path = enc.save(tmp_path / "m")
    (path / "vocab.json").write_text('{"words": ["a"')
    with pytest.raises(forge.errors.CorruptModelError, match="vocab.json.*save"):
        forge.load(path)
    with pytest.raises(forge.errors.OutOfVocabularyError, match="'zzz'"):
        enc.vector("zzz")
    with pytest.raises(forge.errors.BadInputError, match="No saved model"):
        forge.load(tmp_path / "nothing")


def test_python_dash_m_forge_runs():
    out = subprocess.run([sys.executable, "-m", "forge", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("forge ")


@pytest.mark.parametrize("value", ["-1", "ten"])
def test_bench_rejects_a_bad_restrict_vocab_before_training(value, capsys, monkeypatch):
    monkeypatch.setattr(forge, "create", lambda *a, **k: pytest.fail("trained before checking --restrict-vocab"))
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--encoders", "skipgram", "--datasets", "wordsim353", "--restrict-vocab", value])
    assert exc.value.code == 2
    assert "--restrict-vocab: expected" in capsys.readouterr().err


# ------------------------------------------------------------------ Ctrl-C: one line, exit status 130
def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("argv", "patch", "expected"),
    [
        (
            ["list"],
            "forge.list_encoders",
            "forge list: interrupted (Ctrl-C); nothing was written; run it again: forge list",
        ),
        (
            ["demo", "--out", "{tmp}/demo"],
            "forge.bench.cli.run_demo",
            "nothing was written to {tmp}/demo (forge writes it at the end, all or nothing); run it again: forge demo",
        ),
        (
            ["bench", "--encoders", "onehot", "--out", "{tmp}/b", "--save-models", "{tmp}/m"],
            "forge.create",
            "the models already in {tmp}/m are complete",
        ),
        (["report", "{tmp}", "--out", "{tmp}/r"], "forge.bench.Report.merge", "run it again: forge report {tmp} --out"),
        (["lab", "--quick", "--out", "{tmp}/lab"], "forge.lab.cli.run_lab", "forge lab: interrupted (Ctrl-C); nothing"),
    ],
)
def test_ctrl_c_ends_every_command_with_one_line_and_130(argv, patch, expected, tmp_path, capsys, monkeypatch):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[0] == "report":  # a results folder for the command to read before it is interrupted
        forge.bench.run({"v": (["king", "queen"], np.eye(2))}, ["wordsim353"], progress=False).save(tmp_path / "x")
    monkeypatch.setattr(patch, _interrupt)
    assert main(argv) == 130
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert expected.replace("{tmp}", str(tmp_path)) in lines[0]
    for out in ("demo", "b", "lab", "r"):
        assert not (tmp_path / out).exists()  # nothing half-written


def test_ctrl_c_in_train_names_the_last_checkpoint_and_the_resume_command(tmp_path, capsys, monkeypatch, fixtures):
    pytest.importorskip("torch")  # the rnn encoder's class
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "trainer.json").write_text('{"epoch": 2}')  # what the trainer writes after each epoch (and more)
    cls = forge.get_encoder_class("rnn")
    monkeypatch.setattr(cls, "fit", _interrupt)
    corpus = str(fixtures / "corpora" / "small.txt")
    argv = ["train", "rnn", "--corpus", corpus, "--out", str(tmp_path / "m"), "--param", "epochs=5"]
    assert main([*argv, "--param", f"checkpoint_dir={ckpt}"]) == 130
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"interrupted (Ctrl-C) while training rnn; nothing was saved to {tmp_path / 'm'}" in line
    assert f"last checkpoint: {ckpt} (2 of 5 epochs done)" in line
    assert line.endswith(
        f"resume with: forge train rnn --corpus {corpus} --out {tmp_path / 'm'} --param epochs=5 "
        f"--param checkpoint_dir={ckpt} --param resume=true"
    )
    assert main(argv) == 130  # no checkpoint kept: say how to keep one
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "no checkpoint (pass --param checkpoint_dir=DIR to keep one after each epoch)" in line
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_sigint_to_a_training_process(tmp_path, fixtures):
    """A real Ctrl-C (SIGINT) to `forge train` once a checkpoint exists: exit 130, one line, resumable."""
    import json
    import os
    import time

    pytest.importorskip("torch")
    ckpt, out = tmp_path / "ckpt", tmp_path / "model"
    corpus = fixtures / "corpora" / "small.txt"
    argv = ["train", "rnn", "--corpus", str(corpus), "--out", str(out)]
    argv += [f"--param={kv}" for kv in ("hidden_size=8", "layers=1", "epochs=100000", "validation=0.0")]
    argv += [f"--param=checkpoint_dir={ckpt}", "--param=progress=false", "--device=cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # a terminal's Ctrl-C: the child gets SIGINT's default disposition (xdist workers and background shells
    # pass SIG_IGN on, and Python then installs no KeyboardInterrupt handler)
    proc = subprocess.Popen(
        [sys.executable, "-m", "forge", *argv],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not (ckpt / "trainer.json").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert (ckpt / "trainer.json").exists(), "no checkpoint within 2 minutes"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err and lines[-1].startswith("forge train: interrupted (Ctrl-C) while training rnn")
    epoch = json.loads((ckpt / "trainer.json").read_text())["epoch"]
    assert f"last checkpoint: {ckpt} (" in lines[-1] and "--param resume=true" in lines[-1] and epoch >= 1
    assert not out.exists()  # nothing half-written
