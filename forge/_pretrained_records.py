"""The registry of well-known pretrained word-vector files, as data (read by :mod:`forge._pretrained`).

One record per name. Fields: ``url`` (the public source), ``file`` (the name the download is stored under;
records that share a file share one download), ``member`` (the file inside a zip archive, if any),
``format`` (:func:`forge.load_vectors` format of the vectors once unpacked), ``size`` (bytes of the
download), ``sha256``, ``md5``, ``n_words``, ``dim``, ``language``, ``licence``, ``description`` and
``manual`` (True when the source is a share page a program cannot download from).

Checksums are only the ones the sources publish: gensim-data lists the md5 and the size of each release
asset (``list.json`` of github.com/RaRe-Technologies/gensim-data; its downloader checks the same md5).
No source here publishes a sha256, so ``sha256`` is None everywhere and forge pins the sha256 of the first
download (trust on first use, with a warning when no published checksum verified it either); ``size`` is
None where the source does not state the exact byte count.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RECORDS"]

_GENSIM = "https://github.com/RaRe-Technologies/gensim-data/releases/download/{0}/{0}.gz"
_PDDL = "PDDL 1.0 (http://opendatacommons.org/licenses/pddl/)"
_CC_BY_SA_3 = "CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/)"
_FASTTEXT = "https://dl.fbaipublicfiles.com/fasttext/"
_CWV = "not stated by the source; see https://github.com/Embedding/Chinese-Word-Vectors (cite Li et al., ACL 2018)"


def _gensim(name: str, size: int, md5: str, n_words: int, dim: int, fmt: str, licence: str, what: str) -> dict:
    return {
        "url": _GENSIM.format(name),
        "file": f"{name}.gz",
        "format": fmt,
        "size": size,
        "md5": md5,
        "n_words": n_words,
        "dim": dim,
        "language": "en",
        "licence": licence,
        "description": what + " (gensim-data release asset)",
    }


_WIKI_GIGA = "GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, 400k words, uncased)"
_TWITTER = "GloVe, Twitter (2B tweets, 27B tokens, 1.2M words, uncased)"

RECORDS: dict[str, dict[str, Any]] = {
    # --- gensim-data: the names gensim.downloader.load() accepts, with its published sizes and md5s
    "glove-wiki-gigaword-50": _gensim(
        "glove-wiki-gigaword-50",
        69182535,
        "c289bc5d7f2f02c6dc9f2f9b67641813",
        400000,
        50,
        "word2vec",
        _PDDL,
        _WIKI_GIGA,
    ),
    "glove-wiki-gigaword-100": _gensim(
        "glove-wiki-gigaword-100",
        134300434,
        "40ec481866001177b8cd4cb0df92924f",
        400000,
        100,
        "word2vec",
        _PDDL,
        _WIKI_GIGA,
    ),
    "glove-wiki-gigaword-200": _gensim(
        "glove-wiki-gigaword-200",
        264336934,
        "59652db361b7a87ee73834a6c391dfc1",
        400000,
        200,
        "word2vec",
        _PDDL,
        _WIKI_GIGA,
    ),
    "glove-wiki-gigaword-300": _gensim(
        "glove-wiki-gigaword-300",
        394362229,
        "29e9329ac2241937d55b852e8284e89b",
        400000,
        300,
        "word2vec",
        _PDDL,
        _WIKI_GIGA,
    ),
    "glove-twitter-25": _gensim(
        "glove-twitter-25", 109885004, "50db0211d7e7a2dcd362c6b774762793", 1193514, 25, "word2vec", _PDDL, _TWITTER
    ),
    "glove-twitter-50": _gensim(
        "glove-twitter-50", 209216938, "c168f18641f8c8a00fe30984c4799b2b", 1193514, 50, "word2vec", _PDDL, _TWITTER
    ),
    "glove-twitter-100": _gensim(
        "glove-twitter-100", 405932991, "b04f7bed38756d64cf55b58ce7e97b15", 1193514, 100, "word2vec", _PDDL, _TWITTER
    ),
    "glove-twitter-200": _gensim(
        "glove-twitter-200", 795373100, "e52e8392d1860b95d5308a525817d8f9", 1193514, 200, "word2vec", _PDDL, _TWITTER
    ),
    "word2vec-google-news-300": _gensim(
        "word2vec-google-news-300",
        1743563840,
        "a5e5354d40acb95f9ec66d5977d140ef",
        3000000,
        300,
        "word2vec-binary",
        "not stated by the source (https://code.google.com/archive/p/word2vec/)",
        "word2vec skip-gram, Google News (about 100B tokens, 3M words and phrases, cased)",
    ),
    "fasttext-wiki-news-subwords-300": _gensim(
        "fasttext-wiki-news-subwords-300",
        1005007116,
        "de2bb3a20c46ce65c9c131e1ad9a77af",
        999999,
        300,
        "word2vec",
        _CC_BY_SA_3,
        "fastText with subwords, Wikipedia 2017 + UMBC webbase + statmt.org news (16B tokens, 1M words)",
    ),
}

# --- the GloVe originals (nlp.stanford.edu): one zip holds every dimension, downloaded once
for _dim in (50, 100, 200, 300):
    RECORDS[f"glove.6B.{_dim}d"] = {
        "url": "https://nlp.stanford.edu/data/glove.6B.zip",
        "file": "glove.6B.zip",
        "member": f"glove.6B.{_dim}d.txt",
        "format": "glove",
        "n_words": 400000,
        "dim": _dim,
        "language": "en",
        "licence": _PDDL,
        "description": _WIKI_GIGA + " (Stanford original zip, shared by the four dimensions)",
    }
for _dim in (25, 50, 100, 200):
    RECORDS[f"glove.twitter.27B.{_dim}d"] = {
        "url": "https://nlp.stanford.edu/data/glove.twitter.27B.zip",
        "file": "glove.twitter.27B.zip",
        "member": f"glove.twitter.27B.{_dim}d.txt",
        "format": "glove",
        "n_words": 1193514,
        "dim": _dim,
        "language": "en",
        "licence": _PDDL,
        "description": _TWITTER + " (Stanford original zip, shared by the four dimensions)",
    }
RECORDS["glove.840B.300d"] = {
    "url": "https://nlp.stanford.edu/data/glove.840B.300d.zip",
    "file": "glove.840B.300d.zip",
    "member": "glove.840B.300d.txt",
    "format": "glove",
    "dim": 300,
    "language": "en",
    "licence": _PDDL,
    "description": "GloVe, Common Crawl (840B tokens, 2.2M words, cased)",
}

# --- fastText (Facebook AI): Wikipedia (Bojanowski et al. 2017) and Common Crawl (Grave et al. 2018)
for _lang, _label in (("en", "English"), ("zh", "Chinese")):
    RECORDS[f"fasttext-wiki-{_lang}-300"] = {
        "url": f"{_FASTTEXT}vectors-wiki/wiki.{_lang}.vec",
        "file": f"wiki.{_lang}.vec",
        "format": "fasttext",
        "dim": 300,
        "language": _lang,
        "licence": _CC_BY_SA_3,
        "description": f"fastText, {_label} Wikipedia (Bojanowski et al. 2017)",
    }
    RECORDS[f"fasttext-crawl-{_lang}-300"] = {
        "url": f"{_FASTTEXT}vectors-crawl/cc.{_lang}.300.vec.gz",
        "file": f"cc.{_lang}.300.vec.gz",
        "format": "fasttext",
        "dim": 300,
        "language": _lang,
        "licence": _CC_BY_SA_3,
        "description": f"fastText, {_label} Common Crawl + Wikipedia, CBOW with position weights (Grave et al. 2018)",
    }
RECORDS["fasttext-crawl-300d-2M"] = {
    "url": f"{_FASTTEXT}vectors-english/crawl-300d-2M.vec.zip",
    "file": "crawl-300d-2M.vec.zip",
    "member": "crawl-300d-2M.vec",
    "format": "fasttext",
    "dim": 300,
    "language": "en",
    "licence": _CC_BY_SA_3,
    "description": "fastText, English Common Crawl (600B tokens, 2M words; Mikolov et al. 2018)",
}

# --- Chinese Word Vectors (Li et al., ACL 2018): Baidu Netdisk share pages, downloaded by hand
for _name, _share, _what in (
    ("sgns.wiki.word", "1AmXYWVgkxrG4GokevPtNgA", "Chinese Wikipedia, word context"),
    ("sgns.baidubaike.bigram-char", "1Gndr0fReIq_oJ3R34CxlPg", "Baidu Encyclopedia, word + character + ngram"),
    ("sgns.merge.word", "1luy-GlTdqqvJ3j-A4FcIOw", "mixed-large corpus, word context"),
):
    RECORDS[_name] = {
        "url": f"https://pan.baidu.com/s/{_share}",
        "file": f"{_name}.bz2",
        "format": "word2vec",
        "dim": 300,
        "language": "zh",
        "licence": _CWV,
        "manual": True,
        "description": f"Chinese Word Vectors, SGNS, {_what} (Li et al. 2018)",
    }
