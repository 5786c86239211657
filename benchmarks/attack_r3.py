"""Attack run for issue 17 (reliability, round three): the attacks of items 1-7 in bulk.

Not a test (it takes a few minutes): it counts what would hurt users.

* ``save-targets``: a save into a folder built at random (user files nested in sub-folders, links to a
  folder or file outside, dangling links, FIFOs, a forged or honest ``.forge-model`` marker, a link as the
  target, a link as the lock file).
* ``sub-folders``: a folder saved with sub-folders (as custom and plugin encoders do), then a user file
  added to a sub-folder, a saved file edited (same size), a link put inside, the marker edited.
* ``format-versions``: ``format_version`` set to a random value (or removed, ``params_sha256`` dropped or
  not) and a random byte of a state file flipped; loaded with and without ``allow_unchecked=True``.
* ``locks``: ``.NAME.lock`` is a dangling link, a link to a file or folder, a FIFO, a folder, or a stale file.
* ``special-files``: every reader (vector files, corpora, models, datasets, gensim-style evaluators, the
  CLI) on FIFOs, ``/dev/zero``, ``/dev/urandom``, ``/dev/null``, links to them and folders.
* ``vector-headers``: word2vec/GloVe files whose header claims random counts and dimensions (huge, zero,
  too big for an int64), read with every ``format=``, plain or gzipped, through the API and the CLI.

Counted: inputs tried; non-forge exceptions (anything but a ``ForgeError``, a hang, a traceback from the
CLI); silent wrong results (a save that replaced user files, a damaged model or vector file read without
an error into values that differ from what was saved or written); files lost or created outside the target.

Run: ``python benchmarks/attack_r3.py [scale]`` (default 1: about 1,600 inputs; each family scales).
Results: ``benchmarks/results/attack_r3.json``.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import forge  # noqa: E402
from forge import bench  # noqa: E402
from forge._folders import atomic_dir  # noqa: E402
from forge.cli import main  # noqa: E402
from forge.errors import ForgeError  # noqa: E402
from forge.testing import deadline, tree_snapshot  # noqa: E402

COUNTS: Counter[str] = Counter()
EXAMPLES: dict[str, list[str]] = {"non_forge": [], "silent_wrong": [], "files_outside": []}


class Hang(Exception):
    pass


def note(kind: str, family: str, what: str) -> None:
    COUNTS[kind] += 1
    COUNTS[f"{family}:{kind}"] += 1
    if len(EXAMPLES[kind]) < 20:
        EXAMPLES[kind].append(f"{family}: {what}")


def attempt(family: str, label: str, fn: Callable[[], object]) -> tuple[bool, object]:
    """Run one input: (True, result) on success, (False, None) on a ForgeError; anything else is counted."""
    COUNTS["inputs"] += 1
    COUNTS[f"{family}:inputs"] += 1
    try:
        with deadline(15, Hang), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, fn()
    except ForgeError:
        COUNTS["forge_errors"] += 1
        return False, None
    except Exception as exc:
        note("non_forge", family, f"{label}: {type(exc).__name__}: {str(exc)[:160]}")
        return False, None


CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 5
NAMES = ["notes.txt", "vocab.json", "config.json", "vectors.npy", "a.bin", "x", "sub"]


def _entry(rng: random.Random, folder: Path, outside: Path, depth: int = 0) -> None:
    kind = rng.choice(["file", "file", "sub", "link-dir", "link-file", "dangling", "fifo"])
    p = folder / rng.choice(NAMES)
    if p.exists() or p.is_symlink():
        return
    if kind == "file":
        p.write_bytes(rng.randbytes(rng.randint(0, 40)))
    elif kind == "sub" and depth < 2:
        p.mkdir()
        for _ in range(rng.randint(0, 2)):
            _entry(rng, p, outside, depth + 1)
    elif kind == "link-dir":
        p.symlink_to(outside, target_is_directory=True)
    elif kind == "link-file":
        p.symlink_to(outside / "precious.txt")
    elif kind == "dangling":
        p.symlink_to(outside.parent / "nowhere")
    elif kind == "fifo":
        os.mkfifo(p)


def _marker(rng: random.Random, folder: Path) -> None:
    files: dict[str, object] = {}
    for dirpath, _, names in os.walk(folder, followlinks=False):
        for name in names:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                size, digest = p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()
                files[p.relative_to(folder).as_posix()] = rng.choice(
                    [{"size": size, "sha256": digest}, {"size": size + 1, "sha256": digest},
                     {"size": size, "sha256": "f" * 64}, size]
                )  # fmt: skip
    (folder / ".forge-model").write_text(json.dumps({"kind": "model", "complete": True, "files": files}))


def _provably_forges(target: Path, before: dict[str, str]) -> bool:
    """The spec (issue 17, items 1-3): a folder may be replaced when it was empty, or when its marker listed
    every file in it with its size and sha256 and it held no link or special file."""
    if not before:
        return True
    if any(v.startswith("link:") or v == "special" for v in before.values()):
        return False
    if _config_proves(target, before):
        return True
    try:
        marker = json.loads(before_marker.get(str(target), "null"))
    except ValueError:
        return False
    files = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(files, dict):
        return False
    listed = {rel: e["sha256"] for rel, e in files.items() if isinstance(e, dict) and isinstance(e.get("sha256"), str)}
    present = {rel: v for rel, v in before.items() if v != "dir" and rel != ".forge-model"}
    return present == listed and all(
        isinstance(e, dict) and e.get("size") == sizes.get(str(target), {}).get(rel) for rel, e in files.items()
    )


def _config_proves(target: Path, before: dict[str, str]) -> bool:
    """A model's own config.json (format 2+) lists every other file with its sha256 (the marker aside)."""
    try:
        cfg = json.loads(before_config.get(str(target), "null"))
        files = {rel: e["sha256"] for rel, e in cfg["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return False
    present = {r: v for r, v in before.items() if v != "dir" and not r.startswith(".forge-") and r != "config.json"}
    return isinstance(cfg.get("format_version"), int) and cfg["format_version"] >= 2 and present == files


before_config: dict[str, str] = {}
before_marker: dict[str, str] = {}
sizes: dict[str, dict[str, int]] = {}


# ------------------------------------------------------------------ families
def save_targets(n: int, rng: random.Random, enc) -> None:
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            outside = root / "outside"
            outside.mkdir()
            (outside / "precious.txt").write_text("precious")
            start = rng.choice(["absent", "own-model", "user-folder", "own-model+user"])
            target = root / "target"
            if start.startswith("own-model"):
                enc.save(target)
            if start != "absent":
                target.mkdir(exist_ok=True)
            if "user" in start:
                for _ in range(rng.randint(1, 4)):
                    _entry(rng, target, outside)
                if rng.random() < 0.6:
                    _marker(rng, target)
            where = target
            if rng.random() < 0.2:
                where = root / "link"
                where.symlink_to(target if target.exists() else outside, target_is_directory=True)
            if rng.random() < 0.2:
                (root / f".{where.name}.lock").symlink_to(outside / "lock-victim")
            before_outside, before_root = tree_snapshot(outside), tree_snapshot(root, skip=target)
            m = target / ".forge-model"
            before_marker[str(target)] = m.read_text() if m.is_file() and not m.is_symlink() else "null"
            c = target / "config.json"
            before_config[str(target)] = (
                c.read_text("utf-8", "replace") if c.is_file() and not c.is_symlink() else "null"
            )
            sizes[str(target)] = {
                p.relative_to(target).as_posix(): p.stat().st_size
                for p in (target.rglob("*") if target.is_dir() and not target.is_symlink() else [])
                if p.is_file() and not p.is_symlink()
            }
            before_target = tree_snapshot(target) if target.exists() else {}
            ok, _ = attempt("save-targets", f"#{k} {start}", lambda w=where: enc.save(w))
            if tree_snapshot(outside) != before_outside or (outside / "lock-victim").exists():
                note("files_outside", "save-targets", f"#{k} {start}: the folder outside changed")
            created = {
                p for p in set(tree_snapshot(root, skip=target)) - set(before_root) if not p.startswith("target")
            }
            if created:
                note("files_outside", "save-targets", f"#{k} {start}: created {sorted(created)[:3]}")
            if ok and (where != target or not _provably_forges(target, before_target)):
                note("silent_wrong", "save-targets", f"#{k} {start}: replaced a folder forge cannot show it wrote")
            if not ok and (tree_snapshot(target) if target.exists() else {}) != before_target:
                note("files_outside", "save-targets", f"#{k} {start}: a refused save changed the target")


def sub_folders(n: int, rng: random.Random) -> None:
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            target = root / "out"
            with atomic_dir(target, kind="plugin") as t:
                for d in ("sub", "sub/deeper"):
                    (t / d).mkdir()
                    (t / d / "w.bin").write_bytes(rng.randbytes(16))
            how = rng.choice(["user-file", "same-size-edit", "link", "marker-edit", "nothing"])
            if how == "user-file":
                (target / rng.choice(["sub", "sub/deeper"]) / "mine.txt").write_text("user data")
            elif how == "same-size-edit":
                (target / "sub" / "w.bin").write_bytes(b"u" * 16)
            elif how == "link":
                (root / "precious").mkdir()
                (root / "precious" / "keep.txt").write_text("keep")
                (target / "sub" / "lnk").symlink_to(root / "precious", target_is_directory=True)
            elif how == "marker-edit":
                (target / "sub" / "mine.txt").write_text("user data")
                m = json.loads((target / ".forge-plugin").read_text())
                m["files"]["sub/mine.txt"] = {"size": 9, "sha256": "0" * 64}
                (target / ".forge-plugin").write_text(json.dumps(m))
            before = tree_snapshot(root)

            def save(target: Path = target) -> None:
                with atomic_dir(target, kind="plugin") as t:
                    (t / "new.bin").write_bytes(b"n")

            ok, _ = attempt("sub-folders", f"#{k} {how}", save)
            if ok and how != "nothing":
                note("silent_wrong", "sub-folders", f"#{k} {how}: the folder was replaced")
            if not ok and tree_snapshot(root) != before:
                note("files_outside", "sub-folders", f"#{k} {how}: a refused save changed files")


def _outputs(enc) -> list[np.ndarray]:
    return [np.asarray(enc.vector(w)) for w in ("cat", "dog", "sat")]


def format_versions(n: int, rng: random.Random, saved: Path, expected: list[np.ndarray]) -> None:
    import shutil

    versions: list[object] = [*range(-3, 12), True, False, None, "1", "3", 1.0, 2.5, [], {}, "absent"]
    state = sorted(p.name for p in saved.iterdir() if p.is_file() and p.name != "config.json")
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m"
            shutil.copytree(saved, path)
            cfg = json.loads((path / "config.json").read_text())
            version = rng.choice(versions)
            if version == "absent":
                cfg.pop("format_version")
            else:
                cfg["format_version"] = version
            if rng.random() < 0.5:
                cfg.pop("params_sha256", None)
            if rng.random() < 0.3:
                cfg.pop("files", None)
            (path / "config.json").write_text(json.dumps(cfg))
            damaged = rng.random() < 0.8
            if damaged:
                name = rng.choice(state)
                blob = bytearray((path / name).read_bytes())
                blob[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
                (path / name).write_bytes(bytes(blob))
            for unchecked in (False, True):
                ok, got = attempt(
                    "format-versions",
                    f"#{k} v={version!r}",
                    lambda u=unchecked, p=path: _outputs(forge.load(p, allow_unchecked=u)),
                )
                if ok and not all(np.array_equal(a, b) for a, b in zip(got, expected)):  # type: ignore[arg-type]
                    genuine_v1 = version in (1, "absent") and "files" not in cfg and "params_sha256" not in cfg
                    if unchecked and genuine_v1:  # format 1 opted into: no checksums by definition (counted apart)
                        COUNTS["format-versions:changed_under_allow_unchecked"] += 1
                    else:
                        note("silent_wrong", "format-versions", f"#{k} v={version!r} unchecked={unchecked}: changed")


def locks(n: int, rng: random.Random, enc) -> None:
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "outside").mkdir()
            (root / "outside" / "f.txt").write_text("x")
            lock = root / ".m.lock"
            how = rng.choice(["dangling", "to-file", "to-dir", "fifo", "dir", "stale"])
            if how == "dangling":
                lock.symlink_to(root / "outside" / "victim")
            elif how == "to-file":
                lock.symlink_to(root / "outside" / "f.txt")
            elif how == "to-dir":
                lock.symlink_to(root / "outside", target_is_directory=True)
            elif how == "fifo":
                os.mkfifo(lock)
            elif how == "dir":
                lock.mkdir()
            else:
                lock.write_text("")
            before = tree_snapshot(root / "outside")
            ok, _ = attempt("locks", f"#{k} {how}", lambda r=root: enc.save(r / "m"))
            if tree_snapshot(root / "outside") != before:
                note("files_outside", "locks", f"#{k} {how}: the lock's target was created or changed")
            if ok and how != "stale":
                note("silent_wrong", "locks", f"#{k} {how}: saved through a lock that is not forge's")


def _special(kind: str, root: Path) -> Path:
    path = root / "input.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind.startswith("/dev/"):
        return Path(kind)
    elif kind == "link-fifo":
        os.mkfifo(root / "f")
        path.symlink_to(root / "f")
    elif kind == "link-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dir":
        path.mkdir()
    return path


def _cli(args: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    if "Traceback" in err.getvalue():
        raise RuntimeError("the CLI printed a traceback")
    if code != 0:
        raise ForgeError(err.getvalue()[-200:])


def special_files(enc) -> None:
    def register_and_load(p: Path) -> object:
        try:
            bench.register_dataset("t-attack", p, overwrite=True)
            return bench.load_dataset("t-attack")
        finally:
            with contextlib.suppress(ForgeError):
                bench.unregister_dataset("t-attack")

    readers: dict[str, Callable[[Path], object]] = {
        "load_vectors": lambda p: forge.load_vectors(p),
        "load_vectors-glove": lambda p: forge.load_vectors(p, format="glove"),
        "TextCorpus": lambda p: list(forge.corpora.TextCorpus(p)),
        "open_corpus": lambda p: list(forge.corpora.open_corpus(str(p))),
        "load": lambda p: forge.load(p),
        "evaluate_word_pairs": lambda p: bench.evaluate_word_pairs(enc, p),
        "evaluate_word_analogies": lambda p: bench.evaluate_word_analogies(enc, p),
        "register+load_dataset": register_and_load,
        "cli-bench-encoder": lambda p: _cli(["bench", "--encoders", f"x={p}", "--quiet"]),
        "cli-train-corpus": lambda p: _cli(["train", "onehot", "--corpus", str(p), "--out", str(p) + ".out"]),
    }
    kinds = ["fifo", "/dev/zero", "/dev/urandom", "/dev/null", "link-fifo", "link-zero", "dir"]
    for name, reader in readers.items():
        for kind in kinds:
            with tempfile.TemporaryDirectory() as tmp:
                path = _special(kind, Path(tmp))
                ok, _ = attempt("special-files", f"{name} on {kind}", lambda r=reader, p=path: r(p))
                if ok and kind not in ("dir",):
                    note("silent_wrong", "special-files", f"{name} read {kind} without an error")


def _vector_file(rng: random.Random, root: Path) -> tuple[Path, str, list[str], np.ndarray, bool]:
    n, dim = rng.randint(1, 6), rng.randint(1, 5)
    words = [f"w{i}" for i in range(n)]
    mat = np.round(np.asarray([[rng.uniform(-1, 1) for _ in range(dim)] for _ in range(n)], dtype=np.float32), 3)
    binary = rng.random() < 0.3
    claim_n = rng.choice([n, n + 1, 0, 10**12, 2**63, 10**25, rng.randint(1, 10**9)])
    claim_d = rng.choice([dim, dim + 1, 0, 10**12, 2**63, rng.randint(1, 10**9)])
    header = rng.choice([f"{claim_n} {claim_d}", f"{n} {dim}", ""]) if not binary else f"{claim_n} {claim_d}"
    if binary:
        body = b"".join(w.encode() + b" " + row.astype("<f4").tobytes() + b"\n" for w, row in zip(words, mat))
    else:
        body = "".join(f"{w} {' '.join(f'{x:.3f}' for x in row)}\n" for w, row in zip(words, mat)).encode()
    data = (header.encode() + b"\n" if header else b"") + body
    zipped = rng.random() < 0.25
    path = root / ("v.bin" if binary else "v.txt")
    path.write_bytes(gzip.compress(data) if zipped else data)
    honest = header in ("", f"{n} {dim}")
    return path, header, words, mat, honest


def vector_headers(n: int, rng: random.Random) -> None:
    formats = ["auto", "word2vec", "word2vec-binary", "glove", "fasttext"]
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            path, header, words, mat, honest = _vector_file(rng, Path(tmp))
            fmt = rng.choice(formats)
            limit = rng.choice([None, None, 1, 3])
            ok, got = attempt(
                "vector-headers", f"#{k} {header!r} {fmt}", lambda p=path, f=fmt, n=limit: forge.load_vectors(p, f, n)
            )
            if ok:
                m = limit or len(words)
                kv = got
                right = (
                    (honest or (limit is not None and limit <= len(words)))  # limit=: only the first rows asked for
                    and kv.vocabulary.words == words[:m]  # type: ignore[attr-defined]
                    and np.array_equal(np.asarray(kv._static_matrix()), mat[:m])  # type: ignore[attr-defined]
                )
                if not right:
                    note(
                        "silent_wrong", "vector-headers", f"#{k} header {header!r} read as {fmt}: wrong words or values"
                    )
            if k % 10 == 0:
                attempt(
                    "vector-headers",
                    f"#{k} cli {header!r}",
                    lambda p=path: _cli(["bench", "--encoders", f"x={p}", "--quiet"]),
                )


# ------------------------------------------------------------------ main
def run(scale: float = 1.0) -> dict[str, object]:
    rng = random.Random(17)
    enc = forge.create("onehot").fit(CORPUS)
    sg = forge.create("skipgram", vector_size=8, min_count=1, epochs=1, workers=1, progress=False).fit(CORPUS)
    t0 = time.perf_counter()
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        saved = sg.save(Path(tmp) / "sg")
        expected = _outputs(sg)
        for name, fn in (
            ("save-targets", lambda: save_targets(int(400 * scale), rng, enc)),
            ("sub-folders", lambda: sub_folders(int(150 * scale), rng)),
            ("format-versions", lambda: format_versions(int(250 * scale), rng, saved, expected)),
            ("locks", lambda: locks(int(60 * scale), rng, enc)),
            ("special-files", lambda: special_files(enc)),
            ("vector-headers", lambda: vector_headers(int(500 * scale), rng)),
        ):
            start = time.perf_counter()
            try:
                fn()
            except Exception:  # a crash of the harness itself is a finding too
                note("non_forge", name, "harness: " + traceback.format_exc(limit=3)[-300:])
            timings[name] = round(time.perf_counter() - start, 1)
    families = sorted({k.split(":")[0] for k in COUNTS if ":" in k})
    return {
        "inputs": COUNTS["inputs"],
        "forge_errors": COUNTS["forge_errors"],
        "non_forge_exceptions": COUNTS["non_forge"],
        "silent_wrong_results": COUNTS["silent_wrong"],
        "files_lost_or_created_outside": COUNTS["files_outside"],
        "per_family": {f: {k.split(":")[1]: v for k, v in COUNTS.items() if k.startswith(f + ":")} for f in families},
        "seconds": timings,
        "total_seconds": round(time.perf_counter() - t0, 1),
        "examples": EXAMPLES,
    }


if __name__ == "__main__":
    out = run(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
    text = json.dumps(out, indent=1)
    print(text)
    target = ROOT / "benchmarks" / "results" / "attack_r3.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text + "\n")
