"""Corpora: streaming readers, tokenizers, named corpora, and their errors."""

from __future__ import annotations

import pytest

import forge
from forge.corpora import ListCorpus, TextCorpus, _readers, get_tokenizer, register_tokenizer
from forge.errors import BadInputError, MissingDataError, UnknownNameError


def test_text_file_is_tokenised_lowercase_and_restartable(fixtures):
    corpus = TextCorpus(fixtures / "corpora" / "small.txt")
    first = list(corpus)
    assert first == [
        ["the", "king", "spoke", "to", "the", "queen"],
        ["a", "man", "and", "a", "woman", "walked"],
        ["the", "king", "smiled"],
    ]
    assert list(corpus) == first  # a second pass re-reads the file


@pytest.mark.parametrize("name", ["small.txt.gz", "small.txt.bz2", "crlf.txt"])
def test_compressed_and_crlf_files_read_like_plain(fixtures, name):
    plain = list(TextCorpus(fixtures / "corpora" / "small.txt"))
    got = list(TextCorpus(fixtures / "corpora" / name))
    assert got == plain[: len(got)] and len(got) >= 2


def test_directory_reads_all_files_in_sorted_order(fixtures):
    assert list(TextCorpus(fixtures / "corpora" / "dir")) == [["first", "file", "here"], ["second", "file"]]


def test_single_line_text8_file_is_streamed_in_chunks(fixtures, monkeypatch):
    monkeypatch.setattr(_readers, "CHUNK_CHARS", 1000)  # force the long-line path on a small file
    corpus = TextCorpus(fixtures / "corpora" / "text8_style.txt", tokenizer="whitespace", max_sentence_length=500)
    sentences = list(corpus)
    assert len(sentences) > 4 and all(len(s) <= 500 for s in sentences)
    tokens = [t for s in sentences for t in s]
    assert len(tokens) == 2100 and tokens[:3] == ["anarchism", "originated", "as"]
    assert set(tokens) == {"anarchism", "originated", "as", "a", "term", "of", "abuse"}  # no word was cut


def test_tokenizers_registry_and_callables():
    assert get_tokenizer(None)("Don't STOP, well-known 2024!") == ["don't", "stop", "well-known", "2024"]
    assert get_tokenizer("whitespace")("A b  C") == ["A", "b", "C"]
    register_tokenizer("test-chars", lambda s: list(s))
    assert list(ListCorpus(["ab"], tokenizer="test-chars")) == [["a", "b"]]
    with pytest.raises(UnknownNameError, match="Did you mean 'regex'"):
        get_tokenizer("regx")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(MissingDataError, match="nope.txt"):
        TextCorpus(tmp_path / "nope.txt")


def test_binary_file_is_rejected_clearly(fixtures):
    with pytest.raises(BadInputError, match="binary"):
        list(TextCorpus(fixtures / "corpora" / "binary.bin"))


def test_wrong_encoding_names_file_and_fix(fixtures):
    with pytest.raises(BadInputError, match="latin1.txt.*encoding"):
        list(TextCorpus(fixtures / "corpora" / "latin1.txt"))
    assert list(TextCorpus(fixtures / "corpora" / "latin1.txt", encoding="latin-1")) == [["café", "naïve"]]


def test_truncated_gzip_is_a_clear_error(fixtures, tmp_path):
    data = (fixtures / "corpora" / "small.txt.gz").read_bytes()
    bad = tmp_path / "cut.txt.gz"
    bad.write_bytes(data[:-12])
    with pytest.raises(BadInputError, match="cut.txt.gz"):
        list(TextCorpus(bad))


def test_generators_are_refused_because_corpora_are_read_twice():
    with pytest.raises(BadInputError, match="one-shot"):
        forge.create("onehot").fit(iter([["a"]]))


def test_list_corpus_rejects_non_string_tokens():
    with pytest.raises(BadInputError, match="non-string"):
        list(ListCorpus([["a", 3]]))


def test_gensim_default_is_offline_and_cached():
    corpus = forge.corpora.load("gensim-default")
    first = next(iter(corpus))
    assert first[:3] == ["hundreds", "of", "people"]
    assert corpus.line_sentence_file() is not None  # gensim's corpus_file mode can read it directly


def test_unknown_corpus_suggests_and_missing_data_explains(monkeypatch):
    with pytest.raises(UnknownNameError, match="Did you mean 'text8'"):
        forge.corpora.load("txt8")
    monkeypatch.delenv("FORGE_DATA_DIR", raising=False)
    with pytest.raises(MissingDataError, match="FORGE_DATA_DIR"):
        forge.corpora.load("ptb")
    with pytest.raises(BadInputError, match="splits train, valid, test"):
        forge.corpora.load("ptb", split="dev")


@pytest.mark.parametrize(
    ("name", "split", "first"),
    [
        ("ptb", "valid", ["consumers", "may", "want"]),
        ("text8", None, ["anarchism", "originated", "as"]),
        ("wikitext2", "test", ["=", "Robert", "<unk>"]),
        ("brown", None, ["the", "fulton", "county"]),
    ],
)
def test_data_dir_corpora(data_dir, name, split, first):
    corpus = forge.corpora.load(name, split=split)
    sentence = next(iter(corpus))
    assert sentence[:3] == first


def test_sinica_is_segmented_chinese(data_dir):
    sentence = next(iter(forge.corpora.load("sinica")))
    assert sentence == ["一", "。"]


def test_max_tokens_per_line_counts_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(_readers, "CHUNK_CHARS", 7)  # tokens are cut by chunk edges
    path = tmp_path / "c.txt"
    path.write_text("alpha beta gamma\n\none two three four five six\nx\n")
    _readers._SCAN_CACHE.clear()
    assert _readers.max_tokens_per_line(path) == 6


def test_long_lines_are_not_handed_to_gensim_corpus_file(tmp_path):
    # gensim's corpus_file mode trains only on the first 10000 words of each line, and trains worse than
    # its iterable mode on lines longer than about 1000 words (issue 9, item 11)
    path = tmp_path / "one_line.txt"
    path.write_text(" ".join(["w"] * (forge.corpora.CORPUS_FILE_MAX_WORDS + 1)))
    assert TextCorpus(path, tokenizer="whitespace").line_sentence_file() is None
    path.write_text(" ".join(["w"] * forge.corpora.CORPUS_FILE_MAX_WORDS))
    assert TextCorpus(path, tokenizer="whitespace").line_sentence_file() == path
