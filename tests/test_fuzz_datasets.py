"""Property suite: every dataset parser fails only with a ForgeError, and what it returns is sound.

Valid fixture files (tests/data/bench) are mutated: bytes flipped, inserted or deleted, the file
truncated, lines duplicated, dropped or swapped, columns removed, numbers replaced by words or
non-finite values, the text re-encoded (UTF-16, cp1252, GB18030), BOMs, NULs and CR-only line ends
inserted, and huge lines and CSV fields added. Each parser must either raise a
:class:`forge.errors.ForgeError` or return items that pass the checks in ``_sound_*`` (no silent wrong
results: equal lengths, finite scores, non-empty words, indices inside their contexts).

Bounded and reproducible: ``derandomize=True``, ``FORGE_FUZZ_EXAMPLES`` examples per format (default
60). ``FORGE_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_datasets.py --hypothesis-show-statistics``
is the longer attack run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forge import bench
from forge.bench import _datasets as D
from forge.bench import _parsers as P
from forge.errors import ForgeError

BENCH = Path(__file__).parent / "data" / "bench"
EXAMPLES = int(os.environ.get("FORGE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

TOKENS = [
    b"\t",
    b",",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b"/",
    b":",
    b": ",
    b"#",
    b"<b>",
    b"</b>",
    b'"',
    b"'",
    b"nan",
    b"inf",
    b"-inf",
    b"1e999",
    b"-1",
    b"0",
    b"1_0",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xef\xbb\xbf",
    "é".encode(),
    "中文".encode(),
    "\u2028".encode(),
    "\x85".encode(),
    b"0-0",
    b"99-99",
    b"-1-2",
    b"T",
    b"maybe",
    b"train",
    b"dev",
    b"nope",
    b"word1",
    b"score",
    b"label",
    b"\\",
    b"\x1c",
]


# ------------------------------------------------------------------ mutations
def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


@st.composite
def _mutation(draw, data: bytes) -> bytes:
    kind = draw(
        st.sampled_from(
            [
                "flip",
                "insert",
                "token",
                "delete",
                "truncate",
                "dup_line",
                "drop_line",
                "swap_lines",
                "drop_field",
                "replace_field",
                "reencode",
                "huge",
                "empty",
            ]
        )
    )
    n = len(data)
    pos = draw(st.integers(0, n))
    if kind == "flip" and n:
        pos = min(pos, n - 1)
        return data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1 :]
    if kind == "insert":
        return data[:pos] + draw(st.binary(min_size=1, max_size=6)) + data[pos:]
    if kind == "token":
        return data[:pos] + draw(st.sampled_from(TOKENS)) + data[pos:]
    if kind == "delete":
        return data[:pos] + data[pos + draw(st.integers(1, 40)) :]
    if kind == "truncate":
        return data[:pos]
    if kind == "empty":
        return b""
    if kind == "reencode":
        text = data.decode("utf-8", errors="replace")
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "cp1252", "gb18030", "utf-8-sig"]))
        return text.encode(codec, errors="replace")
    if kind == "huge":  # a line far longer than any real one; > csv.field_size_limit() as one field
        return data[:pos] + b"x" * draw(st.sampled_from([140_000, 300_000])) + data[pos:]
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "dup_line":
        return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if kind == "drop_line":
        return b"".join(lines[:i] + lines[i + 1 :])
    if kind == "swap_lines":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return b"".join(lines)
    sep = draw(st.sampled_from([b"\t", b",", b" "]))
    end = b"\r\n" if lines[i].endswith(b"\r\n") else b"\n" if lines[i].endswith(b"\n") else b""
    fields = lines[i][: len(lines[i]) - len(end)].split(sep)
    k = draw(st.integers(0, len(fields) - 1))
    if kind == "drop_field":
        del fields[k]
    else:  # replace_field
        fields[k] = draw(st.sampled_from([b"", b"nan", b"inf", b"abc", b"-5", b"3.5", b"1e400", b"<b>", b"T"]))
    lines[i] = sep.join(fields) + end
    return b"".join(lines)


@st.composite
def mutated(draw, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutation(data))
    return data


def _attempt(fn):
    """The parser's result, or None when it raised a ForgeError; any other exception fails the test."""
    try:
        return fn()
    except ForgeError:
        return None


# --------------------------------------------------------- soundness checks
def _words_ok(words) -> bool:
    """Non-empty stripped strings that hold no line break (a word never spans two lines of the file)."""
    return all(isinstance(w, str) and w and w == w.strip() and len(w.splitlines()) == 1 for w in words)


def _sound_pairs(out: P.WordPairs) -> None:
    assert len(out) > 0 and len(out.word1) == len(out.word2) == len(out.scores) == len(out.lines)
    assert np.all(np.isfinite(out.scores)) and out.scores.dtype == np.float64
    assert _words_ok(out.word1) and _words_ok(out.word2)


def _sound_analogy(out: P.AnalogySet) -> None:
    n = len(out)
    assert n > 0 and len(out.b) == len(out.c) == len(out.answers) == len(out.sections) == n
    assert _words_ok(out.a) and _words_ok(out.b) and _words_ok(out.c)
    assert all(ans and _words_ok(ans) and not any("/" in w for w in ans) for ans in out.answers)


def _sound_context(out: P.ContextPairs) -> None:
    n = len(out)
    assert n > 0
    assert len(out.word2) == len(out.context1) == len(out.context2) == len(out.index1) == len(out.index2) == n
    for k in range(n):
        assert 0 <= out.index1[k] < len(out.context1[k]) and 0 <= out.index2[k] < len(out.context2[k])
        assert _words_ok(out.context1[k]) and _words_ok(out.context2[k])
    assert (out.scores is None) != (out.labels is None)
    if out.scores is not None:
        assert len(out.scores) == n and np.all(np.isfinite(out.scores))
    else:
        assert len(out.labels) == n and out.labels.dtype == bool
        assert out.splits is not None and len(out.splits) == n
        assert set(out.splits) <= {"train", "dev", "test"}


# ------------------------------------------------------------------ tests
PAIR_FILES = ["pairs_tab_header_crlf.txt", "pairs_comma.csv", "pairs_space.txt", "pairs_score_col4.txt"]


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(PAIR_FILES),
    sep=st.sampled_from([None, "\t", ",", " "]),
    header=st.sampled_from(["auto", True, False]),
    duplicates=st.sampled_from(["keep", "mean", "first"]),
)
def test_fuzz_word_pairs(tmp_path, data, name, sep, header, duplicates):
    path = tmp_path / name
    path.write_bytes(data.draw(mutated((BENCH / name).read_bytes())))
    score_col = 3 if name == "pairs_score_col4.txt" else 2
    out = _attempt(lambda: P.parse_word_pairs(path, sep=sep, header=header, score_col=score_col, duplicates=duplicates))
    if out is not None:
        _sound_pairs(out)


@FUZZ
@given(data=st.data())
def test_fuzz_google_analogy(tmp_path, data):
    path = tmp_path / "q.txt"
    path.write_bytes(data.draw(mutated((BENCH / "analogy_google.txt").read_bytes())))
    out = _attempt(lambda: P.parse_google_analogy(path))
    if out is not None:
        _sound_analogy(out)


SEMEVAL = b"type,word1,word2,word3,target\n1a,dog,bark,cat,meow\n1a,cow,moo,dog,bark\n2b,hot,cold,up,down\n"


@FUZZ
@given(data=st.data(), base=st.sampled_from(["msr", "semeval"]))
def test_fuzz_csv_analogy(tmp_path, data, base):
    path = tmp_path / "q.csv"
    path.write_bytes(data.draw(mutated((BENCH / "analogy_msr.csv").read_bytes() if base == "msr" else SEMEVAL)))
    out = _attempt(lambda: P.parse_csv_analogy(path))
    if out is not None:
        _sound_analogy(out)


@FUZZ
@given(data=st.data())
def test_fuzz_bats(tmp_path, data):
    root = tmp_path / "bats"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(BENCH / "bats", root)
    files = sorted(root.rglob("*.txt"))
    target = data.draw(st.sampled_from(files))
    target.write_bytes(data.draw(mutated(target.read_bytes())))
    out = _attempt(lambda: P.parse_bats(root))
    if out is not None:
        _sound_analogy(out)


@FUZZ
@given(data=st.data())
def test_fuzz_scws(tmp_path, data):
    path = tmp_path / "ratings.txt"
    path.write_bytes(data.draw(mutated((BENCH / "scws.txt").read_bytes())))
    out = _attempt(lambda: P.parse_scws(path))
    if out is not None:
        _sound_context(out)


@FUZZ
@given(data=st.data(), part=st.sampled_from(["data", "gold"]))
def test_fuzz_wic(tmp_path, data, part):
    src = BENCH / "wic" / "train"
    for p in ("data", "gold"):
        (tmp_path / f"train.{p}.txt").write_bytes((src / f"train.{p}.txt").read_bytes())
    target = tmp_path / f"train.{part}.txt"
    target.write_bytes(data.draw(mutated(target.read_bytes())))
    out = _attempt(lambda: P.parse_wic(tmp_path / "train.data.txt", tmp_path / "train.gold.txt", split="train"))
    if out is not None:
        _sound_context(out)
        assert out.labels is not None and len(out.labels) == len(out)


@FUZZ
@given(data=st.data(), name=st.sampled_from(["wic_generic_labels.tsv", "wic_generic_scores.tsv"]))
def test_fuzz_wic_tsv(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data.draw(mutated((BENCH / name).read_bytes())))
    out = _attempt(lambda: P.parse_wic_tsv(path))
    if out is not None:
        _sound_context(out)


# options a user may pass to register_dataset: every bad one is a ForgeError, at registration or load
OPTION_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.sampled_from(["", "\t", ",", " ", "auto", "mean", "utf-8", "utf-16", "base64", "nope", "\x00"]),
    st.tuples(st.integers(-2, 5), st.integers(-2, 5)),
    st.lists(st.integers(0, 3)),
)


@FUZZ
@given(
    fmt=st.sampled_from(sorted(D.FORMATS)),
    options=st.dictionaries(
        st.sampled_from(
            ["sep", "header", "word_cols", "score_col", "duplicates", "symmetric", "encoding", "split", "delimiter"]
        ),
        OPTION_VALUES,
        max_size=3,
    ),
    sha=st.one_of(st.none(), st.sampled_from(["0" * 64, "SHA256:" + "A" * 64, "xyz", ""]), st.integers()),
    name=st.sampled_from(["t-fuzz", "t,fuzz", "", " t-fuzz", 7]),
    scale=st.one_of(st.none(), st.tuples(st.floats(), st.floats()), st.text(max_size=3), st.integers()),
)
def test_fuzz_register_dataset_options(fmt, options, sha, name, scale):
    path = {
        "pairs": "pairs_comma.csv",
        "google": "analogy_google.txt",
        "csv-analogy": "analogy_msr.csv",
        "bats": "bats",
        "scws": "scws.txt",
        "wic": "wic",
        "wic-tsv": "wic_generic_scores.tsv",
    }.get(fmt)
    if path is None:  # a format added later: not covered by this table
        return
    try:
        record = _attempt(
            lambda: bench.register_dataset(name, BENCH / path, fmt, sha256=sha, overwrite=True, scale=scale, **options)
        )
        if record is not None:
            ds = _attempt(lambda: bench.load_dataset(name))
            if ds is not None:
                assert len(ds) > 0 and len(ds.sha256) == 64
    finally:
        if name in D._REGISTRY:
            bench.unregister_dataset(name)


# a scored run on fuzzed files and vectors with broken rows: only ForgeErrors, and every NaN has a note
FILES = {
    "pairs": "pairs_tab_header_crlf.txt",
    "google": "analogy_google.txt",
    "csv-analogy": "analogy_msr.csv",
    "scws": "scws.txt",
    "wic-tsv": "wic_generic_labels.tsv",
}
VOCAB = [
    "king",
    "queen",
    "man",
    "woman",
    "cat",
    "cats",
    "dog",
    "dogs",
    "car",
    "cars",
    "banana",
    "bank",
    "Athens",
    "Greece",
    "Berlin",
    "Germany",
    "empress",
    "good",
    "better",
    "rough",
    "rougher",
    "city",
    "cities",
    "year",
    "years",
    "the",
    "lent",
    "money",
    "we",
    "sat",
    "on",
    "ruled",
    "a",
    "slept",
    "barked",
    "chess",
    "piece",
]


@settings(
    max_examples=max(10, EXAMPLES // 3),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.data(),
    fmt=st.sampled_from(sorted(FILES)),
    n_words=st.integers(0, len(VOCAB)),
    broken=st.lists(st.integers(0, len(VOCAB) - 1), max_size=4),
    seed=st.integers(0, 100),
    oov=st.sampled_from(["drop", "zero", "mean"]),
    constant=st.booleans(),
    all_broken=st.booleans(),
)
def test_fuzz_run_notes_every_nan(tmp_path, data, fmt, n_words, broken, seed, oov, constant, all_broken):
    path = tmp_path / FILES[fmt]
    raw = (BENCH / FILES[fmt]).read_bytes()
    path.write_bytes(data.draw(mutated(raw)) if data.draw(st.booleans()) else raw)
    rng = np.random.default_rng(seed)
    words = VOCAB[: max(1, n_words)]
    mat = np.ones((len(words), 3)) if constant else rng.normal(size=(len(words), 3))
    for i in range(len(words)) if all_broken else broken:
        if i < len(words):
            mat[i, 0] = np.nan
    try:
        if _attempt(lambda: bench.register_dataset("t-fuzz-run", path, fmt, overwrite=True)) is None:
            return
        report = _attempt(lambda: bench.run({"v": (words, mat)}, ["t-fuzz-run"], oov=oov, progress=False))
    finally:
        if "t-fuzz-run" in D._REGISTRY:
            bench.unregister_dataset("t-fuzz-run")
    if report is None:
        return
    frame = report.frame
    main = frame[frame["main"]]
    if frame["value"].isna().any() or (main["value"].notna() & main["ci_low"].isna()).any():
        assert "v/t-fuzz-run" in report.protocol["errors"], frame
    if all_broken or any(i < len(words) for i in broken):
        assert report.protocol["encoders"]["v"]["nonfinite_words"]
