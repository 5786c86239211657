"""Two general word-in-context formats: marked pairs in one context, and sentence pairs on consecutive lines.

marked pairs (format ``"marked-pairs"``, :func:`parse_marked_pairs`)
    Graded similarity of two target words marked inside the same context
    (CoSimLex / SemEval-2020 Task 3 style). TAB-separated with a header
    line; column names are case-insensitive:

    ``context`` or ``context1``, ``context2``, ... (required)
        Text in which both target words are marked, ``<strong>w</strong>``,
        ``<b> w </b>``, ``<em>``, ``<i>``, ``<u>`` or ``<mark>`` (spaces
        inside the tags optional, punctuation next to a tag allowed). A
        marked span of several tokens stands for its last token. Exactly two
        marks per context.
    ``score``/``sim`` or ``score1``/``sim1``, ``score2``/``sim2``, ... (required)
        The human similarity of the two targets in context 1, 2, ...
    ``word1``, ``word2`` (optional)
        Lemmas, kept for reference; the scored targets are the marked tokens.

    Other columns (standard deviations, p-values...) are ignored. Each
    (row, context) with a score is one item. Evaluated like SCWS: cosine of
    the two targets' vectors in that context (contextual encoders: rows of
    ``embed(context)``; static encoders: the context-free vectors), Spearman
    (main) and Pearson over all items. Rows with two or more scored contexts
    also get the *change* scored: predicted ``cos(context2) - cos(context1)``
    against ``score2 - score1``, as ``pearson_change`` (uncentred, the
    SemEval-2020 Task 3 subtask 1 measure) and ``spearman_change``. A static
    encoder predicts no change, so those are NaN for it.

sentence pairs (format ``"sentence-pairs"``, :func:`parse_sentence_pairs`)
    Two consecutive (non-blank, non-``#``) lines form one item, each
    ``sentence <TAB> target_index <TAB> score [<TAB> anything ...]``: the
    target word at ``target_index`` of the whitespace-tokenised sentence.
    ``index_base=0`` or ``1`` says how the indices count; ``"auto"`` (default)
    detects it over the whole file: 1 when an index is out of range for
    0-based, the base under which clearly more pairs name the same word
    otherwise; when the file cannot tell, 0 with a ``UserWarning`` asking
    for ``index_base=``. The base used and how it was chosen are recorded
    (``parse_info``, the report's protocol); punctuation glued to a target
    token is stripped.
    ``score`` is a number (graded, scored like SCWS) or a label ``T``/``F``,
    ``1``/``0``, ``true``/``false`` (binary, scored like WiC without a train
    split: oracle accuracy only). When both lines carry a score they are
    averaged (files usually repeat the same one); fields after the score are
    ignored.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from forge.bench._parsers import ContextPairs, _bad, _empty, _float, _label, read_lines
from forge.bench._result import metric_row
from forge.bench._stats import bootstrap_ci, fisher_ci, spearman
from forge.errors import BadInputError

__all__ = ["MarkedPairs", "parse_marked_pairs", "parse_sentence_pairs", "split_marked"]

_MARK = re.compile(r"<(strong|b|em|i|u|mark)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_PUNCT = "\"'“”‘’«»()[]{}.,;:!?¡¿…"


def split_marked(text: str) -> tuple[list[str], list[int]]:
    """Whitespace tokens of ``text`` with the marks removed, and the index of each marked target.

    Examples
    --------
    >>> split_marked("The <strong>cat</strong> chased a <b> mouse </b>.")
    (['The', 'cat', 'chased', 'a', 'mouse', '.'], [1, 4])
    """
    tokens: list[str] = []
    marks: list[int] = []
    pos = 0
    for m in _MARK.finditer(text):
        tokens += text[pos : m.start()].split()
        span = m.group(2).split()
        if span:
            tokens += span
            marks.append(len(tokens) - 1)  # a multi-token span stands for its last token
        pos = m.end()
    tokens += text[pos:].split()
    return tokens, marks


@dataclass
class MarkedPairs(ContextPairs):
    """Items of :func:`parse_marked_pairs`: ``context1 == context2`` per item, plus the row and context number."""

    row: list[int] = field(default_factory=list)
    slot: list[int] = field(default_factory=list)

    def change_rows(
        self, cos: np.ndarray, ci: str = "fisher", n_boot: int = 1000, seed: int = 0, contextual: bool = True
    ) -> list[dict]:
        """``pearson_change`` (uncentred) and ``spearman_change`` over rows with two scored, covered contexts.

        NaN for a static (``contextual=False``) encoder: its vectors do not depend on the context, so any
        predicted change would only come from the surface forms of the targets.
        """
        scores = self.scores
        if scores is None:
            raise BadInputError(
                "MarkedPairs.change_rows needs graded items (scores is None); read them with parse_marked_pairs."
            )
        first: dict[int, int] = {}
        pred, gold = [], []
        for k, (r, s) in enumerate(zip(self.row, self.slot)):
            if s == 1:
                first[r] = k
        for k, (r, s) in enumerate(zip(self.row, self.slot)):
            if s == 2 and r in first:
                j = first[r]
                if np.isfinite(cos[k]) and np.isfinite(cos[j]):
                    pred.append(cos[k] - cos[j])
                    gold.append(scores[k] - scores[j])
        if not gold and not any(s == 2 for s in self.slot):
            return []
        p, g = np.asarray(pred, dtype=np.float64), np.asarray(gold, dtype=np.float64)
        if not contextual:
            return [
                metric_row("pearson_change", float("nan"), n=len(p)),
                metric_row("spearman_change", float("nan"), n=len(p)),
            ]
        denom = float(np.sqrt((p @ p) * (g @ g))) if len(p) else 0.0
        unc = float(p @ g) / denom if denom > 0 else float("nan")
        rho = spearman(g, p) if len(p) > 2 else float("nan")
        rho_ci = (
            bootstrap_ci(g, p, spearman, n_boot, seed=seed)
            if ci == "bootstrap" and len(p) > 2
            else fisher_ci(rho, len(p), method="spearman")
        )
        return [metric_row("pearson_change", unc, n=len(p)), metric_row("spearman_change", rho, rho_ci, len(p))]


def _columns(head: list[str], path, number: int, line: str) -> tuple[dict[int, int], dict[int, int]]:
    """``{context number: column}`` and ``{context number: score column}`` from the header."""
    contexts, scores = {}, {}
    for i, name in enumerate(head):
        if m := re.fullmatch(r"context(\d*)", name):
            contexts[int(m.group(1) or 1)] = i
        elif m := re.fullmatch(r"(?:score|sim|similarity|mean)(\d*)", name):
            scores[int(m.group(1) or 1)] = i
    if not contexts or not (set(contexts) & set(scores)):
        raise _bad(
            path,
            number,
            "the header must name context (or context1, context2...) and score (or "
            "score1/sim1, score2/sim2...) columns, TAB-separated",
            line,
        )
    return contexts, scores


def parse_marked_pairs(path: str | Path, encoding: str = "utf-8") -> MarkedPairs:
    """Read two target words marked in shared contexts with graded scores (see the module docstring).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "cosim.tsv")
    >>> _ = Path(p).write_text("word1\\tword2\\tcontext1\\tcontext2\\tsim1\\tsim2\\n"
    ...                        "cat\\tdog\\tMy <strong>cat</strong> hates the <strong>dog</strong>.\\t"
    ...                        "A <b>cat</b> and a <b>dog</b> are pets.\\t2.5\\t4.0\\n")
    >>> items = parse_marked_pairs(p)
    >>> items.word1, items.word2, items.index1, items.index2, items.scores.tolist()
    (['cat', 'cat'], ['dog', 'dog'], [1, 1], [4, 4], [2.5, 4.0])
    """
    lines = read_lines(path, encoding)
    if not lines:
        raise _empty(path, "marked word pairs")
    head = [h.strip().lower() for h in lines[0][1].split("\t")]
    contexts, score_cols = _columns(head, path, lines[0][0], lines[0][1])
    out = MarkedPairs([], [], [], [], [], [], source=str(path))
    values: list[float] = []
    for row, (number, line) in enumerate(lines[1:]):
        fields = line.split("\t")
        if len(fields) > len(head):
            raise _bad(
                path, number, f"expected {len(head)} TAB-separated fields like the header, got {len(fields)}", line
            )
        fields += [""] * (len(head) - len(fields))  # trailing empty fields (lines are stripped)
        before = len(values)
        for slot, col in sorted(contexts.items()):
            if slot not in score_cols or not fields[score_cols[slot]].strip():
                continue
            value = _float(fields[score_cols[slot]])
            if value is None:
                raise _bad(
                    path, number, f"{head[score_cols[slot]]} must be a number, not {fields[score_cols[slot]]!r}", line
                )
            tokens, marks = split_marked(fields[col])
            if len(marks) != 2:
                raise _bad(
                    path,
                    number,
                    f"{head[col]} must mark exactly two target words (e.g. "
                    f"'<strong>w</strong>' or '<b>w</b>'), found {len(marks)}",
                    line,
                )
            for target in marks:
                tokens[target] = tokens[target].strip(_PUNCT) or tokens[target]
            out.word1.append(tokens[marks[0]])
            out.word2.append(tokens[marks[1]])
            out.context1.append(tokens)
            out.context2.append(tokens)
            out.index1.append(marks[0])
            out.index2.append(marks[1])
            out.row.append(row)
            out.slot.append(slot)
            values.append(value)
        if len(values) == before:
            raise _bad(path, number, "no context of this row has both marked targets and a score", line)
    if not values:
        raise _empty(path, "scored marked word pairs")
    out.scores = np.asarray(values, dtype=np.float64)
    return out


def _index_base(pairs: list[tuple[list[str], list[str], int, int]]) -> tuple[int, str]:
    """``(base, how)``: 0 or 1 (-1: neither fits) and how it was chosen.

    Only one base keeps every index in range: that one. Both do: the base under which clearly more
    pairs name the same word (at least half of the pairs, and twice as many as under the other base);
    otherwise the file cannot tell (``how == "ambiguous"``) and 0 is returned with that flag.
    """

    def fits(base: int) -> bool:
        return all(base <= i1 < len(t1) + base and base <= i2 < len(t2) + base for t1, t2, i1, i2 in pairs)

    def agree(base: int) -> int:
        def key(tok: str) -> str:
            return tok.strip(_PUNCT).lower()[:4]

        return sum(key(t1[i1 - base]) == key(t2[i2 - base]) for t1, t2, i1, i2 in pairs)

    ok = [b for b in (0, 1) if fits(b)]
    if len(ok) < 2:
        return (ok[0], "the only base that keeps every index in range") if ok else (-1, "")
    zero, one = agree(0), agree(1)
    for base, mine, other in ((0, zero, one), (1, one, zero)):
        if 2 * mine >= len(pairs) and mine >= 2 * other and mine > other:
            return base, f"detected: {mine} of {len(pairs)} pairs name the same word ({other} with {1 - base}-based)"
    return 0, f"ambiguous: {zero} of {len(pairs)} pairs name the same word with 0-based indices, {one} with 1-based"


def parse_sentence_pairs(path: str | Path, encoding: str = "utf-8", index_base: int | str = "auto") -> ContextPairs:
    """Read sentence pairs given as two consecutive lines ``sentence TAB index TAB score`` (module docstring).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> p = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> _ = Path(p).write_text("He sat on a bank.\\t4\\t1.5\\nThe bank lent money.\\t1\\t1.5\\n")
    >>> items = parse_sentence_pairs(p)
    >>> items.word1, items.index1, items.index2, items.scores.tolist()
    (['bank'], [4], [1], [1.5])
    """
    lines = read_lines(path, encoding)
    if not lines:
        raise _empty(path, "sentence pairs")
    if len(lines) % 2:
        raise BadInputError(
            f"{path} has {len(lines)} non-blank lines; sentence pairs take two consecutive lines "
            f"each, so the count must be even (line {lines[-1][0]} has no partner)."
        )
    parsed = []
    for number, line in lines:
        fields = line.split("\t")
        if len(fields) < 3:
            raise _bad(path, number, "expected 'sentence <TAB> target_index <TAB> score'", line)
        try:
            index = int(fields[1].strip())
        except ValueError:
            raise _bad(path, number, f"target_index {fields[1].strip()!r} is not an integer", line) from None
        raw = fields[2].strip()
        value: float | bool | None = _float(raw)
        kind = "score"
        if value is None:
            value, kind = _label(raw), "label"
            if value is None:
                raise _bad(path, number, f"the score {raw!r} is neither a number nor a T/F label", line)
        parsed.append((number, line, fields[0].split(), index, value, kind))
    pairs = [(parsed[k][2], parsed[k + 1][2], parsed[k][3], parsed[k + 1][3]) for k in range(0, len(parsed), 2)]
    if index_base == "auto":
        base, how = _index_base(pairs)
        if base < 0:
            bad = next(p for p in parsed if not 0 <= p[3] < len(p[2]) + 1)
            raise _bad(path, bad[0], f"target_index {bad[3]} is outside the sentence ({len(bad[2])} tokens)", bad[1])
        if how.startswith("ambiguous"):
            warnings.warn(
                f"{path}: cannot tell whether the target indices are 0- or 1-based ({how[len('ambiguous: ') :]}); "
                f"read as 0-based. Pass index_base=0 or index_base=1 (register_dataset(..., index_base=1)) "
                f"to say which.",
                UserWarning,
                stacklevel=2,
            )
    elif index_base in (0, 1) and not isinstance(index_base, bool):
        base, how = int(index_base), "given (index_base=)"
    else:
        raise BadInputError(f"index_base={index_base!r}; expected 'auto', 0 or 1.")
    kinds = {p[5] for p in parsed}
    if len(kinds) > 1:
        first_label = next(p for p in parsed if p[5] == "label")
        raise _bad(path, first_label[0], "the file mixes numeric scores and T/F labels", first_label[1])
    out = ContextPairs([], [], [], [], [], [], source=str(path), parse_info={"index_base": base, "index_base_how": how})
    values = []
    for k in range(0, len(parsed), 2):
        items = []
        for number, line, tokens, index, _, _ in parsed[k : k + 2]:
            i = index - base
            if not 0 <= i < len(tokens):
                raise _bad(
                    path,
                    number,
                    f"target_index {index} is outside the sentence ({len(tokens)} tokens, {base}-based indices)",
                    line,
                )
            tokens = list(tokens)
            tokens[i] = tokens[i].strip(_PUNCT) or tokens[i]
            items.append((tokens, i))
        (t1, i1), (t2, i2) = items
        out.word1.append(t1[i1])
        out.word2.append(t2[i2])
        out.context1.append(t1)
        out.context2.append(t2)
        out.index1.append(i1)
        out.index2.append(i2)
        v1, v2 = parsed[k][4], parsed[k + 1][4]
        values.append((v1 + v2) / 2 if kinds == {"score"} else bool(v1))
        if kinds == {"label"} and v1 != v2:
            raise _bad(path, parsed[k + 1][0], "the two lines of a pair carry different labels", parsed[k + 1][1])
    if kinds == {"score"}:
        out.scores = np.asarray(values, dtype=np.float64)
    else:
        out.labels = np.asarray(values, dtype=bool)
        out.splits = ["test"] * len(values)
    return out
