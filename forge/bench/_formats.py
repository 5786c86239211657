"""Dataset file formats: each names its parser and the kind of task its items feed.

A :class:`Format` is one row of a table: how to parse the file(s) of a
dataset, which parser options a user may set, which files a registered path
stands for, and the task kind (``"similarity"``, ``"analogy"``,
``"polysemy"``, or a kind added with :func:`forge.bench.register_task_kind`)
that scores the parsed items. A new format is one :func:`register_format`
call; nothing else in forge changes.

Examples
--------
>>> from forge.bench._formats import FORMATS, get_format
>>> FORMATS["wic"], get_format("pairs").kind
('polysemy', 'similarity')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forge._catalogue import Registry
from forge.bench import _context_formats as CF
from forge.bench import _parsers as P
from forge.errors import PluginError

__all__ = ["FORMATS", "Format", "get_format", "one_file", "register_format"]


@dataclass(frozen=True)
class Format:
    """How a dataset format is read, and the task kind that scores it.

    Parameters
    ----------
    name : str
        The ``format=`` of :func:`forge.bench.register_dataset`.
    kind : str
        The task kind of the parsed items (a registered task kind).
    parse : callable
        ``parse(paths, options) -> data``: the parsed items of the dataset's
        files (one path, or several for multi-file records).
    parser : callable, optional
        The underlying parser function, whose keyword parameters (less
        ``fixed``) are the options a user may pass; None: any option is passed on.
    fixed : tuple of str
        Parameters of ``parser`` that forge sets itself (the path...).
    check : callable, optional
        ``check(options)`` raises :class:`forge.errors.BadInputError` for bad option values.
    files : callable, optional
        ``files(path) -> tuple of str``: the files a registered path stands for
        (default: the path itself).
    folder : bool
        The path is a folder parsed as a whole, checked as one digest of its
        files (``bats``).
    """

    name: str
    kind: str
    parse: Callable[[list[Path], dict[str, Any]], Any]
    parser: Callable[..., Any] | None = None
    fixed: tuple[str, ...] = ("path",)
    check: Callable[[dict[str, Any]], None] | None = None
    files: Callable[[Path], tuple[str, ...]] | None = None
    folder: bool = False

    def files_of(self, path: Path) -> tuple[str, ...]:
        """The files a registered ``path`` stands for."""
        return self.files(path) if self.files is not None else (str(path),)


def _validate(name: str, fmt: Any, where: str) -> Format:
    if not isinstance(fmt, Format) or not callable(fmt.parse) or not isinstance(fmt.kind, str) or not fmt.kind:
        raise PluginError(
            f"{where} must be a forge.bench._formats.Format with a parse callable and a task kind, got {fmt!r}."
        )
    return fmt


_FORMATS = Registry("dataset format", validate=_validate)


class _FormatKinds(Mapping[str, str]):
    """``{format: task kind}``, a live view of the format table (what ``forge.bench.FORMATS`` is)."""

    def __getitem__(self, name: str) -> str:
        if name not in _FORMATS:
            raise KeyError(name)
        return _FORMATS.get(name).kind

    def __iter__(self) -> Iterator[str]:
        return iter(_FORMATS)

    def __len__(self) -> int:
        return len(_FORMATS)

    def __repr__(self) -> str:
        return repr(dict(self))


FORMATS: Mapping[str, str] = _FormatKinds()


def register_format(
    name: str,
    parse: Callable[..., Any],
    kind: str,
    *,
    parser: Callable[..., Any] | None = None,
    fixed: tuple[str, ...] = ("path",),
    check: Callable[[dict[str, Any]], None] | None = None,
    files: Callable[[Path], tuple[str, ...]] | None = None,
    folder: bool = False,
    overwrite: bool = False,
    builtin: bool = False,
) -> Format:
    """Register a dataset format: its parser and the task kind that scores its items.

    ``parse`` is either ``parse(paths, options)`` (set ``parser=None``) or, more
    simply, a one-file parser ``fn(path, **options)``: pass it as ``parser`` and
    ``parse=one_file(fn)``. See :class:`Format` for the other fields.

    Examples
    --------
    >>> from forge.bench._formats import register_format, one_file, _FORMATS
    >>> def parse_lines(path, encoding="utf-8"):
    ...     return open(path, encoding=encoding).read().split()
    >>> with _FORMATS.isolated():
    ...     fmt = register_format("word-lines", one_file(parse_lines), "similarity", parser=parse_lines)
    ...     fmt.kind
    'similarity'
    """
    fmt = Format(name, kind, parse, parser, fixed, check, files, folder)
    return _FORMATS.register(name, fmt, overwrite=overwrite, builtin=builtin)


def get_format(name: str) -> Format:
    """The :class:`Format` named ``name``; an unknown name lists the formats."""
    return _FORMATS.get(name)


def one_file(fn: Callable[..., Any]) -> Callable[[list[Path], dict[str, Any]], Any]:
    """``parse(paths, options)`` for a parser of one file ``fn(path, **options)``."""

    def parse(paths: list[Path], options: dict[str, Any]) -> Any:
        return fn(paths[0], **options)

    parse.__qualname__ = f"one_file({getattr(fn, '__qualname__', fn)})"
    return parse


def _analogy_files(fn: Callable[..., P.AnalogySet]) -> Callable[[list[Path], dict[str, Any]], P.AnalogySet]:
    """Analogy files read one by one and joined; sections are prefixed with their file's stem."""

    def parse(paths: list[Path], options: dict[str, Any]) -> P.AnalogySet:
        parts = [fn(p, **options) for p in paths]
        if len(parts) == 1:
            return parts[0]
        out = P.AnalogySet([], [], [], [], [], ";".join(str(p) for p in paths))
        for path, part in zip(paths, parts, strict=True):
            out.a += part.a
            out.b += part.b
            out.c += part.c
            out.answers += part.answers
            out.sections += [f"{path.stem}/{s}" for s in part.sections]
        return out

    return parse


def _parse_wic(paths: list[Path], options: dict[str, Any]) -> P.ContextPairs:
    """The WiC folder: train, dev and test, each a data and a gold file, as one set with splits."""
    parts = [
        P.parse_wic(paths[i], paths[i + 1], split=s, **options)
        for i, s in zip((0, 2, 4), ("train", "dev", "test"), strict=True)
    ]
    out = P.ContextPairs([], [], [], [], [], [], labels=None, splits=[], source=str(paths[0].parent.parent))
    for part in parts:
        for attr in ("word1", "word2", "context1", "context2", "index1", "index2", "splits"):
            getattr(out, attr).extend(getattr(part, attr))
    out.labels = np.concatenate([p.labels for p in parts])
    return out


def _wic_files(path: Path) -> tuple[str, ...]:
    return tuple(str(path / s / f"{s}.{p}.txt") for s in ("train", "dev", "test") for p in ("data", "gold"))


def _check_pairs(options: dict[str, Any]) -> None:
    P.check_pair_options(**{k: v for k, v in options.items() if k != "encoding" and k != "symmetric"})


_Row = tuple[str, Callable[[list[Path], dict[str, Any]], Any], Callable[..., Any] | None, str, tuple[str, ...]]
_BUILTIN: list[_Row] = [
    ("pairs", one_file(P.parse_word_pairs), P.parse_word_pairs, "similarity", ("path",)),
    ("google", _analogy_files(P.parse_google_analogy), P.parse_google_analogy, "analogy", ("path",)),
    ("csv-analogy", _analogy_files(P.parse_csv_analogy), P.parse_csv_analogy, "analogy", ("path",)),
    ("bats", one_file(P.parse_bats), P.parse_bats, "analogy", ("directory",)),
    ("scws", one_file(P.parse_scws), P.parse_scws, "polysemy", ("path",)),
    ("wic", _parse_wic, P.parse_wic, "polysemy", ("data_path", "gold_path", "split")),
    ("wic-tsv", one_file(P.parse_wic_tsv), P.parse_wic_tsv, "polysemy", ("path",)),
    ("marked-pairs", one_file(CF.parse_marked_pairs), None, "polysemy", ("path",)),
    ("sentence-pairs", one_file(CF.parse_sentence_pairs), None, "polysemy", ("path",)),
]
for _name, _parse, _parser, _kind, _fixed in _BUILTIN:
    register_format(
        _name,
        _parse,
        _kind,
        parser=_parser,
        fixed=_fixed,
        builtin=True,
        check=_check_pairs if _name == "pairs" else None,
        files=_wic_files if _name == "wic" else None,
        folder=_name == "bats",
    )
