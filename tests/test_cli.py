"""The forge command line, and bad input given to it: clear errors, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

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


def test_param_values_are_parsed_as_json_when_possible():
    assert parse_params(["a=5", "b=0.5", "c=true", "d=text", "e=[1,2]"]) == {
        "a": 5,
        "b": 0.5,
        "c": True,
        "d": "text",
        "e": [1, 2],
    }


@pytest.mark.parametrize(
    "argv, expected",
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
