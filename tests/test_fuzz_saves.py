"""Property-based attack on the save path and on readers (issue 17, items 1-3, 5 and 6).

A save target is built at random: user files (nested in sub-folders), symbolic links (to a folder
outside, to a file outside, dangling), FIFOs, a forged or genuine ``.forge-model`` marker, a lock
file that is a link, and the target itself may be a link. Whatever is there, ``encoder.save`` either
succeeds (only when the folder held nothing but forge's own model) or raises a ``ForgeError``; no
user file (inside or outside the target) is lost or changed, and nothing is created outside the
target. Readers get regular files, FIFOs, devices and links to them: they read or refuse, never hang.

``FORGE_FUZZ_EXAMPLES`` raises the number of examples (attack runs), ``FORGE_FUZZ_STATS=path``
appends the counts of inputs and outcomes there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forge
from forge import bench
from forge.errors import ForgeError
from forge.testing import deadline, tree_snapshot

EXAMPLES = int(os.environ.get("FORGE_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CORPUS = [["the", "cat", "sat"], ["a", "dog", "ran"]] * 3
STATS = {"inputs": 0, "forge_error": 0, "saved": 0, "read": 0}
NAMES = st.sampled_from(["notes.txt", "vocab.json", "config.json", "vectors.npy", "a.bin", "x"])


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    target = os.environ.get("FORGE_FUZZ_STATS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"suite": "saves", **STATS}) + "\n")


@pytest.fixture(scope="module")
def encoder():
    return forge.create("onehot").fit(CORPUS)


def _entry(data, folder: Path, outside: Path, depth: int = 0) -> list[str]:
    """Create one random entry; returns the kinds of the non-folder entries made (empty folders hold nothing)."""
    kind = data.draw(
        st.sampled_from(["file", "file", "sub", "link-dir", "link-file", "dangling", "fifo"]), label="kind"
    )
    name = data.draw(NAMES, label="name")
    p = folder / name
    if p.exists() or p.is_symlink():
        return []
    made = [kind]
    if kind == "file":
        p.write_bytes(data.draw(st.binary(max_size=40), label="bytes"))
    elif kind == "sub" and depth < 2:
        p.mkdir()
        made = []
        for _ in range(data.draw(st.integers(0, 2), label="n")):
            made += _entry(data, p, outside, depth + 1)
    elif kind == "link-dir":
        p.symlink_to(outside, target_is_directory=True)
    elif kind == "link-file":
        p.symlink_to(outside / "precious.txt")
    elif kind == "dangling":
        p.symlink_to(outside.parent / "nowhere")
    elif kind == "fifo":
        os.mkfifo(p)
    else:
        made = []
    return made


def _forge_marker(data, folder: Path) -> bool:
    """A marker listing what is there, each entry honest or forged (size, digest, or the old sizes-only form);
    True when every entry is honest (then, by design, the marker makes the folder forge's)."""
    files = {}
    honest = True
    for dirpath, _, names in os.walk(folder, followlinks=False):
        for name in names:
            p = Path(dirpath) / name
            if not p.is_file() or p.is_symlink():
                continue
            rel = p.relative_to(folder).as_posix()
            size, digest = p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()
            how = data.draw(st.sampled_from(["honest", "size", "digest", "old"]), label="entry")
            honest = honest and how == "honest"
            files[rel] = {
                "honest": {"size": size, "sha256": digest},
                "size": {"size": size + 1, "sha256": digest},
                "digest": {"size": size, "sha256": "f" * 64},
                "old": size,
            }[how]
    (folder / ".forge-model").write_text(json.dumps({"kind": "model", "complete": True, "files": files}))
    return honest


@FUZZ
@given(data=st.data())
def test_a_save_never_loses_or_creates_a_file_it_does_not_own(encoder, data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        outside = root / "outside"
        outside.mkdir()
        (outside / "precious.txt").write_text("precious")
        start = data.draw(st.sampled_from(["absent", "own-model", "user-folder", "own-model+user"]), label="start")
        target = root / "target"
        if start.startswith("own-model"):
            encoder.save(target)
        if start != "absent":
            target.mkdir(exist_ok=True)
        made: list[str] = []
        adopted = False  # an honest marker over the user's regular files: forge's by the rule of item 2
        if "user" in start:
            for _ in range(data.draw(st.integers(1, 4), label="entries")):
                made += _entry(data, target, outside)
            if data.draw(st.booleans(), label="forged marker"):
                adopted = _forge_marker(data, target) and set(made) <= {"file"}
        where = target
        if data.draw(st.integers(0, 4), label="link target") == 0:
            where = root / "link"
            where.symlink_to(target if target.exists() else outside, target_is_directory=True)
        if data.draw(st.integers(0, 4), label="lock link") == 0:
            (root / f".{where.name}.lock").symlink_to(outside / "lock-victim")
        before_outside = tree_snapshot(outside)
        before_target = tree_snapshot(target) if target.exists() else {}
        before_root = tree_snapshot(root, skip=target)
        user_owned = bool(made) and not adopted
        STATS["inputs"] += 1
        with deadline():
            try:
                encoder.save(where)
                saved = True
                STATS["saved"] += 1
            except ForgeError:
                saved = False
                STATS["forge_error"] += 1
        assert tree_snapshot(outside) == before_outside, "a file outside the target was changed, lost or created"
        assert not (outside / "lock-victim").exists()
        if saved:
            assert where == target and not user_owned, f"replaced a folder holding user files ({start})"
            assert forge.load(target).vocabulary == encoder.vocabulary
        else:
            assert (tree_snapshot(target) if target.exists() else {}) == before_target, (
                "a refused save changed the target"
            )
        leftovers = set(tree_snapshot(root, skip=target)) - set(before_root)
        assert not {p for p in leftovers if not p.startswith("target")}, f"created outside the target: {leftovers}"


SPECIAL = st.sampled_from(["fifo", "/dev/zero", "/dev/null", "link-to-fifo", "link-to-zero", "dir", "regular"])
READERS = {
    "load_vectors": lambda p: forge.load_vectors(p),
    "TextCorpus": lambda p: list(forge.corpora.TextCorpus(p)),
    "load": lambda p: forge.load(p),
    "evaluate_word_pairs": lambda p: bench.evaluate_word_pairs((["a", "b"], [[1.0, 0.0], [0.0, 1.0]]), p),
    "register+load_dataset": lambda p: (
        bench.register_dataset("t-fuzz-special", p, overwrite=True),
        bench.load_dataset("t-fuzz-special"),
    ),
}


@FUZZ
@given(data=st.data())
def test_readers_refuse_special_files_and_never_hang(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kind = data.draw(SPECIAL, label="path")
        reader = data.draw(st.sampled_from(sorted(READERS)), label="reader")
        path = root / "input.txt"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind.startswith("/dev/"):
            path = Path(kind)
        elif kind == "link-to-fifo":
            os.mkfifo(root / "f")
            path.symlink_to(root / "f")
        elif kind == "link-to-zero":
            path.symlink_to("/dev/zero")
        elif kind == "dir":
            path.mkdir()
        else:
            path.write_text("a\tb\t1.0\nb\ta\t2.0\na\ta\t3.0\n")
        STATS["inputs"] += 1
        with deadline():
            try:
                READERS[reader](path)
                STATS["read"] += 1
                assert kind == "regular" or (kind == "dir" and reader == "TextCorpus") or kind == "/dev/null", (
                    f"{reader} read {kind} without a word"
                )
            except ForgeError:
                STATS["forge_error"] += 1
            finally:
                with contextlib.suppress(ForgeError):
                    bench.unregister_dataset("t-fuzz-special")
        shutil.rmtree(root, ignore_errors=True)
