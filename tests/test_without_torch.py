"""torch is an optional extra: forge's core works in a process where ``import torch`` fails.

The check runs in a subprocess that blocks torch (a meta-path finder makes every ``import torch``
raise ModuleNotFoundError, as on an install without it), so it holds in the full test environment
too; ``.ci/notorch.sh`` and ``tox -e notorch`` run the whole suite where torch is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_TORCH = textwrap.dedent("""
    import importlib.abc
    import sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTorch())
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        raise AssertionError("torch was imported although it is blocked")
""")

SCRIPT = BLOCK_TORCH + textwrap.dedent("""

    import forge
    import forge.bench
    import forge.corpora
    import forge.testing

    corpus = [["the", "king", "spoke", "to", "the", "queen"], ["a", "man", "and", "a", "woman", "spoke"]] * 20
    onehot = forge.create("onehot").fit(corpus)
    assert onehot.embed([["the", "king"]])[0].shape == (2, onehot.dim)

    w2v = forge.create("skipgram", vector_size=8, min_count=1, epochs=1, workers=1, seed=1,
                       progress=False).fit(corpus)
    assert w2v.vector("king").shape == (8,)

    report = forge.bench.run({"onehot": onehot, "skipgram": w2v}, ["wordsim353"], progress=False)
    assert set(report.frame["encoder"]) == {"onehot", "skipgram"}, report.frame

    names = forge.list_encoders()
    assert {"onehot", "cbow", "skipgram"} <= set(names), names
    assert "torch" not in sys.modules
    print("ok", forge.__version__)
""")


def test_core_encoders_and_harness_run_with_torch_blocked(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split()[0] == "ok"


def test_cli_list_runs_with_torch_blocked(tmp_path):
    code = BLOCK_TORCH + "from forge.cli import main\nsys.exit(main(['list']))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "onehot" in proc.stdout and "skipgram" in proc.stdout
