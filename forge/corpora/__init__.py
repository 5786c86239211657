"""Corpora: restartable streams of token lists, tokenizers and named corpora."""

from forge.corpora._corpus_file import CORPUS_FILE_MAX_WORDS, gensim_corpus_file
from forge.corpora._named import ZipLinesCorpus, list_corpora, load, register_corpus
from forge.corpora._open import open_corpus
from forge.corpora._readers import Corpus, ListCorpus, TextCorpus, as_corpus
from forge.corpora._tokenizers import (
    get_tokenizer,
    list_tokenizers,
    regex_tokenize,
    register_tokenizer,
    whitespace_tokenize,
)
from forge.corpora._zh import jieba_tokenize, to_simplified, to_traditional

__all__ = [
    "CORPUS_FILE_MAX_WORDS",
    "Corpus",
    "ListCorpus",
    "TextCorpus",
    "ZipLinesCorpus",
    "as_corpus",
    "gensim_corpus_file",
    "get_tokenizer",
    "jieba_tokenize",
    "list_corpora",
    "list_tokenizers",
    "load",
    "open_corpus",
    "regex_tokenize",
    "register_corpus",
    "register_tokenizer",
    "to_simplified",
    "to_traditional",
    "whitespace_tokenize",
]
