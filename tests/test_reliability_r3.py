"""Issue 17 (reliability, round three), one regression test per item, and issue 20 item 3 (format told
against the file; saving over another encoder's model)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import forge
from forge import bench
from forge._files import open_regular, sha256_file
from forge._folders import atomic_dir
from forge.bench._context_formats import parse_sentence_pairs
from forge.bench._parsers import parse_word_pairs
from forge.cli import main
from forge.errors import BadInputError, CorruptModelError
from forge.testing import deadline

CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 5


@pytest.fixture(scope="module")
def onehot():
    return forge.create("onehot").fit(CORPUS)


def _fifo(tmp_path: Path, name: str = "fifo.txt") -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


# ------------------------------------------------------------------ item 1: a symlinked target
def test_saving_through_a_symlink_is_refused_and_the_folder_behind_it_kept(onehot, tmp_path):
    real = onehot.save(tmp_path / "real")
    before = sorted(p.name for p in real.iterdir())
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(BadInputError, match=r"symbolic link.*save to the real folder"):
        onehot.save(link)
    assert sorted(p.name for p in real.iterdir()) == before
    assert link.is_symlink() and forge.load(real).vocabulary == onehot.vocabulary
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(BadInputError, match="symbolic link"):
        onehot.save(dangling)
    assert not (tmp_path / "nowhere").exists()


# ------------------------------------------------------------------ item 2: forged markers
@pytest.mark.parametrize("forgery", ["sizes", "digests", "sizes-only-old-style"])
def test_a_forged_marker_does_not_make_a_folder_forges(onehot, tmp_path, forgery):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("three years")
    (target / "data.json").write_text('{"x": 1}')
    files: dict[str, object] = {}
    for p in sorted(target.iterdir()):
        size = p.stat().st_size
        if forgery == "sizes":
            files[p.name] = {"size": size + 1, "sha256": sha256_file(p)}
        elif forgery == "digests":
            files[p.name] = {"size": size, "sha256": "0" * 64}
        else:
            files[p.name] = size  # the marker of the previous forge: sizes only, which anyone can write
    marker = {"kind": "model", "forge_version": "0", "complete": True, "files": files}
    (target / ".forge-model").write_text(json.dumps(marker))
    with pytest.raises(BadInputError, match=r"thesis\.tex|data\.json"):
        onehot.save(target)
    assert (target / "thesis.tex").read_text() == "three years"
    assert (target / "data.json").read_text() == '{"x": 1}'


def test_a_real_marker_still_lets_forge_replace_its_own_model(onehot, tmp_path):
    target = onehot.save(tmp_path / "m")
    marker = json.loads((target / ".forge-model").read_text())
    assert all(set(e) == {"size", "sha256"} for e in marker["files"].values())
    onehot.save(target)  # replaced: every listed file matches
    assert forge.load(target).vocabulary == onehot.vocabulary


# ------------------------------------------------------------------ item 3: user files inside sub-folders
def test_a_user_file_inside_an_owned_sub_folder_is_kept(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target, kind="example") as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "weights.bin").write_bytes(b"w" * 10)
    (target / "sub" / "notes.txt").write_text("mine")
    with pytest.raises(BadInputError, match=r"sub/notes\.txt"), atomic_dir(target, kind="example"):
        pass
    assert (target / "sub" / "notes.txt").read_text() == "mine"
    (target / "sub" / "notes.txt").unlink()
    (target / "sub" / "weights.bin").write_bytes(b"x" * 10)  # same size, other content: not forge's any more
    with pytest.raises(BadInputError, match=r"sub/weights\.bin"), atomic_dir(target, kind="example"):
        pass
    assert (target / "sub" / "weights.bin").read_bytes() == b"x" * 10


def test_a_symlink_inside_an_owned_folder_makes_it_foreign(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target, kind="example") as tmp:
        (tmp / "a.txt").write_text("a")
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (target / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadInputError, match="link"), atomic_dir(target, kind="example"):
        pass
    assert (outside / "keep.txt").read_text() == "keep"


# ------------------------------------------------------------------ item 4: the format version
def _set_version(path: Path, version: object) -> None:
    cfg = json.loads((path / "config.json").read_text())
    cfg["format_version"] = version
    (path / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize(
    ("version", "message"),
    [(1, "carries the checksums"), (0, "not a format forge ever wrote"), (2, "changed after it was saved"),
     (4, "newer forge"), (-1, "not a format"), (True, "small integer")],
)  # fmt: skip
def test_an_edited_format_version_never_switches_the_checksums_off(onehot, tmp_path, version, message):
    path = onehot.save(tmp_path / "m")
    vectors = next(p for p in path.iterdir() if p.suffix == ".npy") if any(path.glob("*.npy")) else None
    _set_version(path, version)
    with pytest.raises(CorruptModelError, match=message):
        forge.load(path)
    with pytest.raises(CorruptModelError, match=message):
        forge.load(path, allow_unchecked=True)  # the opt-in is for genuine format-1 models only
    assert vectors is None or vectors.exists()


def test_format_1_loads_only_on_request_with_a_warning_and_checked_arrays(tmp_path):
    enc = forge.create("skipgram", vector_size=4, min_count=1, epochs=1, workers=1, progress=False).fit(CORPUS)
    path = enc.save(tmp_path / "m")
    cfg = json.loads((path / "config.json").read_text())
    cfg["format_version"] = 1
    del cfg["files"], cfg["params_sha256"]
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CorruptModelError, match="allow_unchecked=True"):
        forge.load(path)
    with pytest.warns(UserWarning, match="without checksums"):
        assert forge.load(path, allow_unchecked=True).vocabulary == enc.vocabulary
    bad = np.load(path / "vectors.npy")
    bad[0, 0] = np.inf
    np.save(path / "vectors.npy", bad)
    with pytest.raises(CorruptModelError, match="non-finite"), pytest.warns(UserWarning, match="without checksums"):
        forge.load(path, allow_unchecked=True)


# ------------------------------------------------------------------ item 5: the lock file
def test_a_dangling_lock_symlink_is_an_error_and_nothing_is_created(onehot, tmp_path):
    victim = tmp_path / "victim.txt"
    (tmp_path / ".m.lock").symlink_to(victim)
    with pytest.raises(BadInputError, match=r"\.m\.lock is a symbolic link"):
        onehot.save(tmp_path / "m")
    assert not victim.exists() and not (tmp_path / "m").exists()
    (tmp_path / ".m.lock").unlink()
    os.mkfifo(tmp_path / ".m.lock")
    with deadline(), pytest.raises(BadInputError, match="FIFO"):
        onehot.save(tmp_path / "m")


def test_a_lock_file_left_by_a_killed_save_is_taken_over(onehot, tmp_path):
    (tmp_path / ".m.lock").write_text("")  # a killed process's lock: no flock holder
    onehot.save(tmp_path / "m")
    assert not (tmp_path / ".m.lock").exists()


# ------------------------------------------------------------------ item 6: special files
def test_every_reader_refuses_special_files_before_reading(tmp_path, onehot):
    fifo = _fifo(tmp_path)
    with deadline():
        for call in (
            lambda p: sha256_file(p),
            lambda p: open_regular(p),
            lambda p: forge.load_vectors(p),
            lambda p: list(forge.corpora.TextCorpus(p)),
            lambda p: parse_word_pairs(p),
            lambda p: bench.evaluate_word_pairs(onehot, p),
            lambda p: bench.evaluate_word_analogies(onehot, p),
        ):
            for path in (fifo, Path("/dev/zero")):
                with pytest.raises(BadInputError, match="not a regular file"):
                    call(path)


def test_a_corpus_file_swapped_for_a_fifo_after_listing_is_refused(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\n")
    corpus = forge.corpora.TextCorpus(path)
    path.unlink()
    os.mkfifo(path)
    with deadline(), pytest.raises(BadInputError, match="FIFO"):
        list(corpus)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_load_dataset_refuses_special_files_in_the_checksum_step(tmp_path, special):
    path = _fifo(tmp_path) if special == "fifo" else Path(special)
    bench.register_dataset("t-r3-special", path, overwrite=True)
    try:
        with deadline(), pytest.raises(BadInputError, match="not a regular file"):
            bench.load_dataset("t-r3-special")
    finally:
        bench.unregister_dataset("t-r3-special")


def test_a_model_file_replaced_by_a_fifo_is_refused(onehot, tmp_path):
    path = onehot.save(tmp_path / "m")
    victim = next(p for p in path.iterdir() if p.name != "config.json" and not p.name.startswith("."))
    victim.unlink()
    os.mkfifo(victim)
    with deadline(), pytest.raises(BadInputError):
        forge.load(path)


# ------------------------------------------------------------------ item 7: vector headers
@pytest.mark.parametrize(
    ("header", "body"),
    [("999999999999 3", "a 1 2 3\n"), ("2 999999999999", "a 1 2\n"), ("99999999999999999999999 3", ""),
     ("3 400000000", "a 1\nb 2\nc 3\n")],
)  # fmt: skip
def test_a_huge_header_is_refused_before_allocation(tmp_path, header, body):
    path = tmp_path / "v.txt"
    path.write_text(f"{header}\n{body}")
    with pytest.raises(BadInputError, match=r"v\.txt: the header .*promises.*room for at most \d+"):
        forge.load_vectors(path, format="word2vec")
    binary = tmp_path / "v.bin"
    binary.write_bytes(f"{header}\n".encode() + b"a " + np.ones(3, "<f4").tobytes())
    with pytest.raises(BadInputError, match=r"v\.bin: the header .*room for at most"):
        forge.load_vectors(binary, format="word2vec-binary")


def test_a_huge_header_from_the_cli_is_one_error_line(tmp_path, capsys):
    path = tmp_path / "v.txt"
    path.write_text("999999999999 3\na 1 2 3\n")
    assert main(["bench", "--encoders", f"x={path}", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "room for at most" in err and "Traceback" not in err


# ------------------------------------------------------------------ item 8: common=True on polysemy
def test_common_applies_to_polysemy_items(fixtures):
    words = ["bank", "cat", "dog", "king", "queen"]
    rng = np.random.default_rng(0)
    big = (words, rng.normal(size=(len(words), 4)))
    small = (["bank", "king", "queen"], rng.normal(size=(3, 4)))  # no cat, no dog: one item fewer
    bench.register_dataset("t-r3-scws", fixtures / "bench" / "scws.txt", format="scws", overwrite=True)
    try:
        alone = bench.run({"big": big}, ["t-r3-scws"], progress=False)
        both = bench.run({"big": big, "small": small}, ["t-r3-scws"], common=True, progress=False)
    finally:
        bench.unregister_dataset("t-r3-scws")
    n = both.frame[both.frame["metric"] == "spearman"].set_index("encoder")["n"]
    assert n["big"] == n["small"] == 2  # the same items for both
    assert alone.frame.loc[alone.frame["metric"] == "spearman", "n"].iloc[0] == 3


# ------------------------------------------------------------------ item 9: the index base
def test_an_ambiguous_index_base_warns_and_the_choice_is_recorded(tmp_path):
    path = tmp_path / "pairs.tsv"
    # 1-based indices, different target words in the two sentences: the file cannot tell
    path.write_text(
        "the car is red\t2\t3.0\nan automobile stopped\t2\t3.0\nbig dogs bark\t1\t1.0\ncats sleep now\t2\t1.0\n"
    )
    with pytest.warns(UserWarning, match=r"0- or 1-based.*index_base="):
        guessed = parse_sentence_pairs(path)
    assert guessed.parse_info["index_base"] == 0 and guessed.parse_info["index_base_how"].startswith("ambiguous")
    given = parse_sentence_pairs(path, index_base=1)
    assert (
        given.word1 == ["car", "big"] and given.word2 == ["automobile", "sleep"] and given.parse_info["index_base"] == 1
    )
    bench.register_dataset("t-r3-sp", path, format="sentence-pairs", index_base=1, overwrite=True)
    try:
        rep = bench.run({"r": (["car", "automobile", "big", "sleep"], np.eye(4))}, ["t-r3-sp"], progress=False)
    finally:
        bench.unregister_dataset("t-r3-sp")
    assert rep.protocol["datasets"]["t-r3-sp"]["index_base"] == 1


def test_a_clear_one_based_file_needs_no_option(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "he sat on the bank\t5\t2.0\nthe bank lent money\t2\t2.0\nplay a game\t3\t1\nthe game ended\t2\t1\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        items = parse_sentence_pairs(path)
    assert items.word1 == ["bank", "game"] and items.parse_info["index_base"] == 1


# ------------------------------------------------------------------ item 10: the default score column
def test_default_score_column_is_the_third_so_per_rater_files_read_the_mean(tmp_path):
    path = tmp_path / "raters.txt"
    path.write_text("word1\tword2\tmean\tr1\tr2\tr3\ncat\tdog\t7.0\t6\t7\t8\ncar\tbus\t5.0\t4\t5\t6\n")
    assert parse_word_pairs(path).scores.tolist() == [7.0, 5.0]
    assert parse_word_pairs(path, score_col=-1).scores.tolist() == [8.0, 6.0]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "default 2: the third field" in readme and "(default: the last)" not in readme


# ------------------------------------------------------------------ item 11: gensim's numbers, near-ties included
def _near_ties(seed: int, n: int = 200, dim: int = 30) -> tuple[list[str], np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    mat = rng.normal(size=(n, dim)).astype(np.float32)
    for k in range(0, n - 1, 2):  # rows 2k and 2k+1 differ by float32 rounding noise
        mat[k + 1] = mat[k] + rng.normal(size=dim).astype(np.float32) * np.float32(3e-7)
    return [f"w{i}" for i in range(n)], mat, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluate_word_pairs_returns_gensims_numbers_on_near_ties(tmp_path, seed):
    from gensim.models import KeyedVectors

    words, mat, rng = _near_ties(seed)
    lines = []
    for _ in range(150):
        a, b = rng.choice(len(words), 2, replace=False)
        lines += [
            f"{words[a]}\t{words[b]}\t{rng.uniform(0, 10):.2f}",
            f"{words[a]}\t{words[b ^ 1]}\t{rng.uniform(0, 10):.2f}",
        ]
    lines.append("w0\tnot_a_word\t3.0")
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n")
    kv = KeyedVectors(mat.shape[1])
    kv.add_vectors(words, mat)
    for dummy in (False, True):
        want = kv.evaluate_word_pairs(str(path), dummy4unknown=dummy)
        got = bench.evaluate_word_pairs((words, mat), path, dummy4unknown=dummy)
        assert (got[0].statistic, got[0].pvalue) == (want[0].statistic, want[0].pvalue)
        assert (got[1].statistic, got[1].pvalue) == (want[1].statistic, want[1].pvalue)
        assert got[2] == want[2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluate_word_analogies_returns_gensims_answers_on_near_ties(tmp_path, seed):
    from gensim.models import KeyedVectors

    words, mat, rng = _near_ties(seed)
    lines = [": near"]
    for _ in range(120):  # the answer and its near-twin tie within float32 rounding
        a, b, c = rng.choice(len(words), 3, replace=False)
        unit = mat / np.linalg.norm(mat, axis=1, keepdims=True)
        e = 2 * int(rng.integers(0, len(words) // 2))
        if e in (a, b, c) or e + 1 in (a, b, c):
            continue
        mat[e] = (unit[b] + unit[c] - unit[a]) * 5
        mat[e + 1] = mat[e] + rng.normal(size=mat.shape[1]).astype(np.float32) * np.float32(2e-7)
        lines.append(f"{words[a]} {words[b]} {words[c]} {words[e + int(rng.integers(0, 2))]}")
    path = tmp_path / "q.txt"
    path.write_text("\n".join(lines) + "\n")
    kv = KeyedVectors(mat.shape[1])
    kv.add_vectors(words, mat)
    want = kv.evaluate_word_analogies(str(path))
    got = bench.evaluate_word_analogies((words, mat), path)
    assert got[0] == want[0] and got[1] == want[1]


# ------------------------------------------------------------------ issue 20, item 3
def test_a_word2vec_file_told_to_be_glove_is_refused_naming_the_header(tmp_path):
    path = tmp_path / "w2v.txt"
    path.write_text("3 2\nthe 0.1 0.2\nking 0.3 0.4\nqueen 0.5 0.6\n")
    with pytest.raises(BadInputError, match=r"format='glove'.*line 1 '3 2' is a word2vec/fastText header"):
        forge.load_vectors(path, format="glove")
    assert forge.load_vectors(path, format="word2vec").dim == 2
    with pytest.raises(BadInputError, match="is word2vec text"):
        forge.load_vectors(path, format="word2vec-binary")


def test_saving_over_another_encoders_model_needs_overwrite(onehot, tmp_path, fixtures, capsys):
    path = forge.create("vectors", vector_size=3).fit(CORPUS).save(tmp_path / "m")
    with pytest.raises(BadInputError, match=r"holds a saved 'vectors' model.*overwrite=True"):
        onehot.save(path)
    assert json.loads((path / "config.json").read_text())["encoder"] == "vectors"
    onehot.save(path, overwrite=True)
    assert json.loads((path / "config.json").read_text())["encoder"] == "onehot"
    onehot.save(path)  # the same encoder again: no question asked
    corpus = str(fixtures / "corpora" / "small.txt")
    assert main(["train", "vectors", "--corpus", corpus, "--out", str(path), "--param", "vector_size=3"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (
        main(["train", "vectors", "--corpus", corpus, "--out", str(path), "--param", "vector_size=3", "--overwrite"])
        == 0
    )
    assert json.loads((path / "config.json").read_text())["encoder"] == "vectors"


def test_a_wrong_dimension_in_a_binary_header_is_refused_even_with_limit(tmp_path):
    rows = b"".join(w + b" " + np.full(2, i, "<f4").tobytes() + b"\n" for i, w in enumerate([b"aa", b"bb", b"cc"]))
    for header in (b"3 3\n", b"3 1\n", b"99 3\n"):
        path = tmp_path / "v.bin"
        path.write_bytes(header + rows)
        with pytest.raises(BadInputError, match="the dimension does not match the rows"):
            forge.load_vectors(path, format="word2vec-binary", limit=1)
    path.write_bytes(b"3 2\n" + rows)
    assert forge.load_vectors(path, format="word2vec-binary", limit=1).vocabulary.words == ["aa"]


def test_word2vec_text_rows_need_exactly_the_header_dimension(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("2 2\na 1 2 3\nb 4 5 6\n")  # rows of 3 numbers under a header of 2: not a word 'a 1'
    with pytest.raises(BadInputError, match="line 2: expected a word and 2 numbers, found 3"):
        forge.load_vectors(path)


def test_a_copy_left_by_the_previous_forge_in_the_rename_window_is_still_recovered(onehot, tmp_path):
    """Its marker lists sizes only (not believed for replacing anything), but the model's own checksums vouch."""
    from forge.errors import RecoveredWarning

    saved = onehot.save(tmp_path / "m")
    marker = json.loads((saved / ".forge-model").read_text())
    marker["files"] = {rel: e["size"] for rel, e in marker["files"].items()}
    (saved / ".forge-model").write_text(json.dumps(marker))
    saved.rename(tmp_path / ".m.old-1a2b")
    with pytest.warns(RecoveredWarning):
        assert forge.load(tmp_path / "m").vocabulary == onehot.vocabulary
