"""Parsers for the benchmark file formats.

Every parser reads UTF-8 text (or ``encoding=...``) with any line ending
(LF, CRLF), skips blank lines and ``#`` comments, and raises
:class:`forge.errors.BadInputError` naming the file and the 1-based line for
a malformed line, for a file with no items at all, for text holding a NUL
character (UTF-16 without a BOM, binary data) and for a path that is not a
regular file (a pipe would block forever).

Formats
-------
word pairs (:func:`parse_word_pairs`)
    ``word1 SEP word2 SEP ... score ...`` with SEP a TAB, a comma or runs of
    spaces (``sep=None`` detects it from the first data line: TAB if present,
    else comma if the line splits into enough comma fields, else whitespace).
    The score may be in any column (``score_col``, negative counts from the
    end) and on any scale. A header line is detected when its score field is
    not a number (``header="auto"``). Duplicates: ``duplicates="keep"`` (the
    default, the published protocol and gensim's: every line is one item),
    ``"mean"`` (one item per pair, scores averaged) or ``"first"``; with
    ``symmetric=True`` (default) ``a b`` and ``b a`` count as the same pair for
    ``"mean"``/``"first"``.
analogy, Google format (:func:`parse_google_analogy`)
    ``: section`` header lines, then ``a b c d`` (a:b :: c:d). The answer may
    list alternatives separated by ``/`` (``c d1/d2``).
analogy, CSV (:func:`parse_csv_analogy`)
    a header naming ``word1, word2, word3, target`` and optionally ``type``
    (the section), as in the MSR and SemEval-2012 conversions of vecto. One
    question per line: a quoted field cannot span lines.
analogy, BATS directory (:func:`parse_bats`)
    one file per relation, lines ``word TAB answer1/answer2/...``; questions
    pair every two lines of a relation: ``a a' :: b ?`` with ``a'`` the first
    listed answer of line a and every listed answer of line b accepted (so a
    relation needs at least two lines).
SCWS (:func:`parse_scws`)
    TAB-separated ``id word1 POS1 word2 POS2 context1 context2 mean r1..``
    with the target marked ``<b> word </b>`` in each context.
WiC (:func:`parse_wic`)
    ``target POS i1-i2 sentence1 sentence2`` (0-based token indices) plus a
    line-aligned gold file of ``T``/``F``.
generic word in context (:func:`parse_wic_tsv`)
    TAB-separated with a header naming at least ``word1 context1 context2``
    and ``score`` (graded, evaluated like SCWS) or ``label`` (T/F, 1/0,
    true/false; evaluated like WiC). Optional columns: ``word2`` (default
    word1), ``index1``/``index2`` (0-based token positions; default: the
    ``<b> </b>`` marked token, else the first occurrence of the word) and
    ``split`` (train/dev/test). Contexts are split on whitespace.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forge._files import open_regular
from forge.errors import BadInputError

__all__ = [
    "AnalogySet",
    "ContextPairs",
    "WordPairs",
    "check_encoding",
    "check_pair_options",
    "parse_bats",
    "parse_csv_analogy",
    "parse_google_analogy",
    "parse_scws",
    "parse_wic",
    "parse_wic_tsv",
    "parse_word_pairs",
    "read_lines",
]


@dataclass
class WordPairs:
    """Scored word pairs; ``lines`` are the 1-based source lines."""

    word1: list[str]
    word2: list[str]
    scores: np.ndarray
    lines: list[int] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.word1)


@dataclass
class AnalogySet:
    """Analogy questions ``a:b :: c:?``; ``answers[i]`` lists the accepted words."""

    a: list[str]
    b: list[str]
    c: list[str]
    answers: list[tuple[str, ...]]
    sections: list[str]
    source: str = ""

    def __len__(self) -> int:
        return len(self.a)


@dataclass
class ContextPairs:
    """A target word in two tokenised contexts, with a graded score or a binary label."""

    word1: list[str]
    word2: list[str]
    context1: list[list[str]]
    context2: list[list[str]]
    index1: list[int]
    index2: list[int]
    scores: np.ndarray | None = None  # graded (SCWS-like)
    labels: np.ndarray | None = None  # bool (WiC-like)
    splits: list[str] | None = None  # "train"/"dev"/"test" per item, WiC-like only
    source: str = ""
    parse_info: dict[str, Any] = field(default_factory=dict)  # how the file was read (recorded in the protocol)

    def __len__(self) -> int:
        return len(self.word1)


# ------------------------------------------------------------------ helpers
def check_encoding(encoding: object) -> str:
    """``encoding`` if it names a text codec Python knows, else :class:`BadInputError`."""
    try:
        info = codecs.lookup(encoding if isinstance(encoding, str) else "(not a str)")
        if not getattr(info, "_is_text_encoding", True):  # base64, rot13...: bytes-to-bytes codecs
            raise LookupError
    except (LookupError, ValueError):  # ValueError: a name with a NUL character
        raise BadInputError(
            f"encoding={encoding!r} is not a text encoding Python knows; use e.g. 'utf-8', "
            f"'utf-8-sig', 'cp1252' or 'gb18030'."
        ) from None
    return str(encoding)


def read_lines(path: str | Path, encoding: str = "utf-8") -> list[tuple[int, str]]:
    """``(line_number, stripped_line)`` for every non-blank, non-comment line."""
    path = Path(path)
    check_encoding(encoding)
    try:
        if path.is_dir():
            raise IsADirectoryError
        with open_regular(path, "Dataset file") as handle:  # a FIFO would block forever, a device never ends
            data = handle.read()
    except FileNotFoundError:
        raise BadInputError(f"Dataset file {path} does not exist.") from None
    except IsADirectoryError:
        raise BadInputError(f"Dataset file {path} is a directory; expected a text file.") from None
    except OSError as exc:  # permissions, a symlink loop, an I/O error
        raise BadInputError(f"Cannot read dataset file {path}: {exc.strerror or exc}.") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInputError(
            f"{path}, line {line}: not valid {encoding} text ({exc.reason}); "
            f"re-encode the file as UTF-8 or pass encoding=..."
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise BadInputError(
            f"{path}, line {line}: contains a NUL character, so it is not {encoding} text (it "
            f"may be UTF-16 or binary); re-encode the file as UTF-8 or pass encoding=..."
        )
    out = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, stripped))
    return out


def _bad(path, line: int, msg: str, text: str) -> BadInputError:
    return BadInputError(f"{path}, line {line}: {msg}; got {text[:120]!r}.")


def _empty(path, what: str) -> BadInputError:
    return BadInputError(f"{path} contains no {what}: the file is empty or has only comments/headers.")


def _float(value: str) -> float | None:
    try:
        out = float(value)
    except ValueError:
        return None
    return out if np.isfinite(out) else None


def check_pair_options(
    sep: object = None,
    header: object = "auto",
    word_cols: object = (0, 1),
    score_col: object = 2,
    duplicates: object = "keep",
) -> None:
    """Validate the options of :func:`parse_word_pairs` (raises :class:`BadInputError`)."""
    if sep is not None and not (isinstance(sep, str) and sep):
        raise BadInputError(
            f"sep={sep!r} is not valid; give a non-empty separator such as '\\t', ',' or ' ', or None to detect it."
        )
    if header not in ("auto", True, False) or (isinstance(header, int) and not isinstance(header, bool)):
        raise BadInputError(f"header={header!r} is not valid; choose 'auto', True or False.")
    if not (
        isinstance(word_cols, (tuple, list)) and len(word_cols) == 2 and all(_is_int(c) and c >= 0 for c in word_cols)
    ):
        raise BadInputError(f"word_cols={word_cols!r} is not valid; give two 0-based column numbers, e.g. (0, 1).")
    if not _is_int(score_col):
        raise BadInputError(
            f"score_col={score_col!r} is not valid; give a column number (0-based, negative counts from the end)."
        )
    if duplicates not in ("keep", "mean", "first"):
        raise BadInputError(f"duplicates={duplicates!r} is not valid; choose 'keep', 'mean' or 'first'.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _split(line: str, sep: str | None) -> list[str]:
    if sep is None or sep == " ":
        return line.split()
    return [f.strip() for f in line.split(sep)]


def _detect_sep(line: str, needed: int) -> str | None:
    if "\t" in line:
        return "\t"
    if "," in line and len(line.split(",")) >= needed:
        return ","
    return None


# --------------------------------------------------------------- word pairs
def parse_word_pairs(
    path: str | Path,
    sep: str | None = None,
    header: str | bool = "auto",
    word_cols: tuple[int, int] = (0, 1),
    score_col: int = 2,
    duplicates: str = "keep",
    symmetric: bool = True,
    encoding: str = "utf-8",
) -> WordPairs:
    """Read a scored word-pair file (see the module docstring for the format).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "pairs.csv")
    >>> _ = Path(p).write_bytes(b"w1,w2,score\\r\\ncat,dog,7.5\\r\\ndog,cat,6.5\\r\\n")
    >>> pairs = parse_word_pairs(p)
    >>> len(pairs), pairs.scores.tolist()
    (2, [7.5, 6.5])
    >>> parse_word_pairs(p, duplicates="mean").scores.tolist()
    [7.0]
    """
    check_pair_options(sep, header, word_cols, score_col, duplicates)
    lines = read_lines(path, encoding)
    needed = max(max(word_cols), score_col if score_col >= 0 else -score_col - 1) + 1
    if lines and sep is None:
        sep = _detect_sep(lines[0][1], needed)
    w1, w2, scores, numbers = [], [], [], []
    for pos, (number, line) in enumerate(lines):
        fields = _split(line, sep)
        if len(fields) < needed:
            raise _bad(
                path,
                number,
                f"expected at least {needed} fields separated by {'whitespace' if sep is None else repr(sep)}",
                line,
            )
        score = _float(fields[score_col])
        if score is None:
            if pos == 0 and header in ("auto", True):
                continue  # a header line
            raise _bad(
                path, number, f"field {score_col + 1 if score_col >= 0 else score_col} should be a numeric score", line
            )
        if pos == 0 and header is True:
            continue
        a, b = fields[word_cols[0]], fields[word_cols[1]]
        if not a or not b:
            raise _bad(path, number, "empty word", line)
        w1.append(a)
        w2.append(b)
        scores.append(score)
        numbers.append(number)
    if not w1:
        raise _empty(path, "word pairs")
    if duplicates != "keep":
        groups: dict[tuple[str, str], list[int]] = {}
        for i, (a, b) in enumerate(zip(w1, w2)):
            key = (min(a, b), max(a, b)) if symmetric else (a, b)
            groups.setdefault(key, []).append(i)
        keep = [idx[0] for idx in groups.values()]
        new_scores = [
            float(np.mean([scores[i] for i in idx])) if duplicates == "mean" else scores[idx[0]]
            for idx in groups.values()
        ]
        w1, w2, numbers = [w1[i] for i in keep], [w2[i] for i in keep], [numbers[i] for i in keep]
        scores = new_scores
    return WordPairs(w1, w2, np.asarray(scores, dtype=np.float64), numbers, str(path))


# ------------------------------------------------------------------ analogy
def _answers(field_: str) -> tuple[str, ...]:
    return tuple(a for a in field_.split("/") if a)


def parse_google_analogy(path: str | Path, encoding: str = "utf-8") -> AnalogySet:
    """Read a ``: section`` / ``a b c d`` analogy file (Google, CA8, Chen et al.).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "q.txt")
    >>> _ = Path(p).write_bytes(b": capitals\\nAthens Greece Paris France\\nman king woman queen/empress\\n")
    >>> qs = parse_google_analogy(p)
    >>> len(qs), qs.sections[0], qs.answers[1]
    (2, 'capitals', ('queen', 'empress'))
    """
    section = Path(path).stem
    out = AnalogySet([], [], [], [], [], str(path))
    for number, line in read_lines(path, encoding):
        if line.startswith(":"):
            section = line[1:].strip() or section
            continue
        fields = line.split()
        if len(fields) != 4 or not _answers(fields[3]):
            raise _bad(path, number, "expected 4 words 'a b c d' (a:b :: c:d) or a ': section' line", line)
        out.a.append(fields[0])
        out.b.append(fields[1])
        out.c.append(fields[2])
        out.answers.append(_answers(fields[3]))
        out.sections.append(section)
    if not out.a:
        raise _empty(path, "analogy questions")
    return out


def parse_csv_analogy(path: str | Path, encoding: str = "utf-8") -> AnalogySet:
    """Read a CSV analogy file with header ``word1,word2,word3,target`` (+ ``type``)."""
    lines = read_lines(path, encoding)
    if not lines:
        raise _empty(path, "analogy questions")
    rows = [_csv_row(path, number, line) for number, line in lines]  # one row per line: exact line numbers
    head = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("word1", "word2", "word3", "target") if c not in head]
    if missing:
        raise _bad(
            path,
            lines[0][0],
            f"the header must name the columns word1, word2, word3, target (missing {', '.join(missing)})",
            lines[0][1],
        )
    col = {name: head.index(name) for name in head if name}
    out = AnalogySet([], [], [], [], [], str(path))
    for (number, line), row in zip(lines[1:], rows[1:]):
        row = [c.strip() for c in row]
        if (
            len(row) != len(head)
            or not all(row[col[k]] for k in ("word1", "word2", "word3"))
            or not _answers(row[col["target"]])
        ):
            raise _bad(path, number, f"expected {len(head)} comma-separated fields with four words", line)
        out.a.append(row[col["word1"]])
        out.b.append(row[col["word2"]])
        out.c.append(row[col["word3"]])
        out.answers.append(_answers(row[col["target"]]))
        out.sections.append(row[col["type"]] if "type" in col else Path(path).stem)
    if not out.a:
        raise _empty(path, "analogy questions")
    return out


def _csv_row(path, number: int, line: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line), strict=True))
    except csv.Error as exc:  # an unclosed quote, a field over csv.field_size_limit()
        raise _bad(path, number, f"not a valid CSV line ({exc})", line) from None


def parse_bats(directory: str | Path, encoding: str = "utf-8") -> AnalogySet:
    """Read a BATS directory: every ``*.txt`` under it is one relation (a section)."""
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*.txt") if p.is_file())
    if not files:
        raise BadInputError(
            f"{directory} holds no relation files (*.txt); expected the BATS layout "
            f"(e.g. 1_Inflectional_morphology/I01 [noun - plural_reg].txt)."
        )
    out = AnalogySet([], [], [], [], [], str(directory))
    for path in files:
        pairs = []
        for number, line in read_lines(path, encoding):
            fields = line.split("\t") if "\t" in line else line.split()
            fields = [f.strip() for f in fields if f.strip()]
            if len(fields) != 2 or not _answers(fields[1]):
                raise _bad(path, number, "expected 'word<TAB>answer1/answer2/...'", line)
            pairs.append((fields[0], _answers(fields[1])))
        if not pairs:
            raise _empty(path, "word pairs")
        if len(pairs) < 2:
            raise BadInputError(
                f"{path} holds only one word pair; a BATS relation needs at least two (each "
                f"question pairs two lines of a relation). Add pairs or remove the file."
            )
        for i, (a, a_answers) in enumerate(pairs):
            for j, (c, c_answers) in enumerate(pairs):
                if i != j:
                    out.a.append(a)
                    out.b.append(a_answers[0])
                    out.c.append(c)
                    out.answers.append(c_answers)
                    out.sections.append(path.stem)
    return out


# -------------------------------------------------------------- in context
def _marked(tokens: list[str], path, number: int, line: str) -> tuple[list[str], int]:
    """Remove ``<b> w </b>`` markers; return the tokens and the target's index."""
    try:
        start = tokens.index("<b>")
        end = tokens.index("</b>", start)
    except ValueError:
        raise _bad(path, number, "the context does not mark its target word as '<b> word </b>'", line) from None
    if end != start + 2:
        raise _bad(path, number, "expected exactly one token between <b> and </b>", line)
    return [*tokens[:start], tokens[start + 1], *tokens[end + 1 :]], start


def parse_scws(path: str | Path, encoding: str = "utf-8") -> ContextPairs:
    """Read the SCWS ratings file (see the module docstring)."""
    out = ContextPairs([], [], [], [], [], [], source=str(path))
    scores = []
    for number, line in read_lines(path, encoding):
        fields = line.split("\t")
        score = _float(fields[7]) if len(fields) >= 8 else None
        if score is None:
            raise _bad(
                path,
                number,
                "expected TAB-separated 'id word1 POS1 word2 POS2 context1 context2 mean ...' with a numeric mean",
                line,
            )
        ctx1, i1 = _marked(fields[5].split(), path, number, line)
        ctx2, i2 = _marked(fields[6].split(), path, number, line)
        out.word1.append(fields[1])
        out.word2.append(fields[3])
        out.context1.append(ctx1)
        out.context2.append(ctx2)
        out.index1.append(i1)
        out.index2.append(i2)
        scores.append(score)
    if not scores:
        raise _empty(path, "SCWS items")
    out.scores = np.asarray(scores, dtype=np.float64)
    return out


_TRUE = {"t", "true", "1", "yes", "y"}
_FALSE = {"f", "false", "0", "no", "n"}


def _label(value: str) -> bool | None:
    value = value.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def parse_wic(
    data_path: str | Path, gold_path: str | Path | None = None, split: str = "test", encoding: str = "utf-8"
) -> ContextPairs:
    """Read one WiC split: the data file and its line-aligned gold file."""
    out = ContextPairs([], [], [], [], [], [], source=str(data_path))
    for number, line in read_lines(data_path, encoding):
        fields = line.split("\t")
        try:
            i1, i2 = (int(x) for x in fields[2].split("-"))
            ok = len(fields) == 5
        except (ValueError, IndexError):
            ok = False
        if not ok:
            raise _bad(data_path, number, "expected TAB-separated 'target POS i1-i2 sentence1 sentence2'", line)
        s1, s2 = fields[3].split(), fields[4].split()
        if not (0 <= i1 < len(s1) and 0 <= i2 < len(s2)):
            raise _bad(
                data_path,
                number,
                f"token index {i1}-{i2} is outside the sentences ({len(s1)} and {len(s2)} tokens)",
                line,
            )
        out.word1.append(s1[i1])
        out.word2.append(s2[i2])
        out.context1.append(s1)
        out.context2.append(s2)
        out.index1.append(i1)
        out.index2.append(i2)
    if not out.word1:
        raise _empty(data_path, "WiC items")
    if gold_path is not None:
        gold = read_lines(gold_path, encoding)
        labels = []
        for number, line in gold:
            value = _label(line)
            if value is None:
                raise _bad(gold_path, number, "expected T or F", line)
            labels.append(value)
        if len(labels) != len(out.word1):
            raise BadInputError(
                f"{gold_path} has {len(labels)} labels but {data_path} has "
                f"{len(out.word1)} items; the gold file must be line-aligned with the data."
            )
        out.labels = np.asarray(labels, dtype=bool)
    out.splits = [split] * len(out.word1)
    return out


def _cell(fields: list[str], col: dict[str, int], name: str) -> str:
    """The stripped field *name* of one TSV row (a column the header check made sure of)."""
    return fields[col[name]].strip()


def _optional_cell(fields: list[str], col: dict[str, int], name: str) -> str | None:
    """The stripped field *name* of one TSV row, or None when the header has no such column."""
    return fields[col[name]].strip() if name in col else None


def _locate(tokens: list[str], word: str, index: str | None, path, number: int, line: str) -> tuple[list[str], int]:
    if index not in (None, ""):
        try:
            i = int(index)
        except ValueError:
            raise _bad(path, number, f"index {index!r} is not an integer", line) from None
        if not 0 <= i < len(tokens):
            raise _bad(path, number, f"index {i} is outside the context ({len(tokens)} tokens)", line)
        return tokens, i
    if "<b>" in tokens:
        return _marked(tokens, path, number, line)
    if word in tokens:
        return tokens, tokens.index(word)
    raise _bad(
        path,
        number,
        f"the target {word!r} does not occur in its context; add an index column or mark it as '<b> {word} </b>'",
        line,
    )


def parse_wic_tsv(path: str | Path, encoding: str = "utf-8") -> ContextPairs:
    """Read the generic word-in-context TSV (see the module docstring).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "wic.tsv")
    >>> _ = Path(p).write_bytes(b"word1\\tcontext1\\tcontext2\\tscore\\n"
    ...                        b"bank\\tthe <b> bank </b> lent money\\twe sat on the bank\\t2.5\\n")
    >>> items = parse_wic_tsv(p)
    >>> items.context1[0], items.index1[0], items.index2[0], items.scores.tolist()
    (['the', 'bank', 'lent', 'money'], 1, 4, [2.5])
    """
    lines = read_lines(path, encoding)
    if not lines:
        raise _empty(path, "word-in-context items")
    head = [h.strip().lower() for h in lines[0][1].split("\t")]
    graded = "score" in head
    if not {"word1", "context1", "context2"} <= set(head) or not (graded or "label" in head):
        raise _bad(
            path,
            lines[0][0],
            "the header must name word1, context1, context2 and score or label (TAB-separated)",
            lines[0][1],
        )
    col = {name: i for i, name in enumerate(head)}
    out = ContextPairs([], [], [], [], [], [], source=str(path))
    values, splits = [], []
    for number, line in lines[1:]:
        fields = line.split("\t")
        if len(fields) != len(head):
            raise _bad(path, number, f"expected {len(head)} TAB-separated fields like the header", line)
        w1 = _cell(fields, col, "word1")
        w2 = _optional_cell(fields, col, "word2") or w1
        c1, i1 = _locate(
            _cell(fields, col, "context1").split(), w1, _optional_cell(fields, col, "index1"), path, number, line
        )
        c2, i2 = _locate(
            _cell(fields, col, "context2").split(), w2, _optional_cell(fields, col, "index2"), path, number, line
        )
        value = _float(_cell(fields, col, "score")) if graded else _label(_cell(fields, col, "label"))
        if value is None:
            raise _bad(
                path,
                number,
                "the score must be a number" if graded else "the label must be T/F, 1/0 or true/false",
                line,
            )
        split = (_optional_cell(fields, col, "split") or "test").lower()
        if split not in ("train", "dev", "test"):
            raise _bad(path, number, f"split must be train, dev or test, not {split!r}", line)
        out.word1.append(c1[i1])
        out.word2.append(c2[i2])
        out.context1.append(c1)
        out.context2.append(c2)
        out.index1.append(i1)
        out.index2.append(i2)
        values.append(value)
        splits.append(split)
    if not values:
        raise _empty(path, "word-in-context items")
    if graded:
        out.scores = np.asarray(values, dtype=np.float64)
    else:
        out.labels = np.asarray(values, dtype=bool)
        out.splits = splits
    return out
