"""gensim's one-line evaluators, same signatures and return values, on any forge vectors.

:func:`evaluate_word_pairs` and :func:`evaluate_word_analogies` follow
``gensim.models.KeyedVectors.evaluate_word_pairs`` / ``evaluate_word_analogies``
line for line (file reading, upper-case folding, ``restrict_vocab``, OOV
counting) so that scores equal gensim's on the same vectors; the analogy
search runs on the batched kernel of :mod:`forge.bench._analogy_kernel`
(exact, many times faster than gensim's loop over ``most_similar``).

They accept a forge encoder, a gensim ``KeyedVectors`` or a ``(words, matrix)``
pair. For reports with confidence intervals, coverage notes and many
datasets use :func:`forge.bench.run`.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from forge._files import open_regular
from forge.bench._analogy_kernel import solve_analogies
from forge.bench._vectors import VectorView
from forge.errors import BadInputError

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs"]


def _words_and_vectors(model: Any, restrict_vocab: int | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The first ``restrict_vocab`` words, their float32 vectors (the model's own array when it is one) and norms
    (0 replaced by 1)."""
    if isinstance(model, tuple) and len(model) == 2:
        words, mat = list(model[0]), model[1]
    elif hasattr(model, "index_to_key") and hasattr(model, "vectors"):  # gensim KeyedVectors
        words, mat = model.index_to_key, model.vectors
    else:
        view = VectorView(model, case_insensitive=False, restrict_vocab=None)
        if view.contextual:
            raise BadInputError(
                f"{type(model).__name__} is contextual; gensim's evaluators score static vectors. "
                f"Use forge.bench.run for contextual encoders."
            )
        words, mat = view.words, view.matrix()
    if not len(words):
        raise BadInputError(f"{type(model).__name__} has no words to evaluate.")
    words = words[:restrict_vocab] if restrict_vocab else words
    mat = mat[: len(words)]
    if hasattr(mat, "toarray"):
        mat = mat.toarray()
    mat = np.ascontiguousarray(mat, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", mat, mat))  # no (vocab, dim) temporary
    norms[norms == 0] = 1
    return words, mat, norms


def _gensim_unitvec(vec: np.ndarray) -> np.ndarray:
    """``gensim.matutils.unitvec(vec)`` to the bit: the length by BLAS ``dnrm2`` and the scaling by ``dscal``
    (gensim takes the float64 BLAS routines, so a float32 vector is scaled in float64), cast back to its dtype."""
    from scipy.linalg import get_blas_funcs  # lazy: scipy.linalg only where gensim's BLAS dot is reproduced

    nrm2, scal = get_blas_funcs(("nrm2", "scal"), (np.array([], dtype=float),))
    veclen = nrm2(vec) if vec.size else 0.0
    if veclen > 0.0:
        return np.asarray(scal(1.0 / veclen, vec)).astype(vec.dtype)
    return vec


@contextlib.contextmanager
def _open_text(path: str | Path, encoding: str) -> Iterator[io.TextIOWrapper]:
    """A text file as gensim opens it (universal newlines), refused before a byte is read unless regular."""
    with open_regular(path, "Dataset file") as raw, io.TextIOWrapper(raw, encoding=encoding) as text:
        yield text


def _ok_vocab(words: list[str], case_insensitive: bool) -> dict[str, int]:
    """gensim's lookup: the first (most frequent) row of each (upper-cased) key."""
    keys = list(map(str.upper, words)) if case_insensitive else words
    return dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))  # the first row is written last: it wins


def evaluate_word_pairs(
    model: Any,
    pairs: str | Path,
    delimiter: str = "\t",
    encoding: str = "utf8",
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
) -> tuple[Any, Any, float]:
    """Correlation of the model's cosines with human similarity judgements (gensim's call).

    Parameters
    ----------
    model : forge encoder, gensim ``KeyedVectors`` or ``(words, matrix)``
    pairs : path
        ``word1 <delimiter> word2 <delimiter> score`` per line; ``#`` lines are comments and
        lines that do not parse are skipped (as in gensim).
    delimiter, encoding, restrict_vocab, case_insensitive, dummy4unknown
        As in gensim: only the first ``restrict_vocab`` words are used; ``dummy4unknown=True``
        gives OOV pairs similarity 0 instead of skipping them.

    Returns
    -------
    pearson : scipy ``PearsonRResult`` (statistic, pvalue)
    spearman : scipy ``SignificanceResult`` (statistic, pvalue)
    oov_ratio : float
        Percentage of pairs with an unknown word.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> _ = Path(path).write_text("a\\tb\\t9\\na\\tc\\t1\\nb\\tc\\t3\\na\\tzz\\t5\\n")
    >>> words, vecs = ["a", "b", "c"], np.array([[1, 0], [1, 0.2], [0, 1]], dtype=np.float32)
    >>> pearson, spearman, oov = evaluate_word_pairs((words, vecs), path)
    >>> round(float(spearman.statistic), 3), oov
    (1.0, 25.0)
    """

    words, mat, _ = _words_and_vectors(model, restrict_vocab)
    ok_vocab = _ok_vocab(words, case_insensitive)
    gold, i1, i2, oov = [], [], [], 0
    with _open_text(pairs, encoding) as fin:
        for line in fin:
            if not line or line.startswith("#"):
                continue
            try:
                fields = line.split(delimiter)
                if case_insensitive:
                    fields = [f.upper() for f in fields]
                a, b, sim_text = fields
                sim = float(sim_text)
            except (ValueError, TypeError):
                continue  # gensim skips lines that do not parse
            if a not in ok_vocab or b not in ok_vocab:
                oov += 1
                if dummy4unknown:
                    gold.append(sim)
                    i1.append(-1)
                    i2.append(-1)
                continue
            gold.append(sim)
            i1.append(ok_vocab[a])
            i2.append(ok_vocab[b])
    if not gold:
        raise BadInputError(
            f"No valid similarity judgements found in {pairs}: expected lines "
            f"'word1{delimiter!r}word2{delimiter!r}score', or every pair is out of vocabulary."
        )
    # gensim's arithmetic to the bit: similarity = dot(unitvec(v1), unitvec(v2)) in float32 (unitvec: BLAS dnrm2
    # and dscal in float64, cast back), each a numpy float32; OOV pairs under dummy4unknown are the float 0.0.
    # The lists go to scipy as gensim's do, so the ranks (and their ties) are the same.
    units: dict[int, np.ndarray] = {}
    model_sims: list[Any] = []
    for r1, r2 in zip(i1, i2):
        if r1 < 0:
            model_sims.append(0.0)
            continue
        for r in (r1, r2):
            if r not in units:
                units[r] = _gensim_unitvec(mat[r])
        model_sims.append(np.dot(units[r1], units[r2]))
    spearman = stats.spearmanr(gold, model_sims)
    pearson = stats.pearsonr(gold, model_sims)
    oov_ratio = float(oov) / len(gold) * 100 if dummy4unknown else float(oov) / (len(gold) + oov) * 100
    return pearson, spearman, oov_ratio


def evaluate_word_analogies(
    model: Any,
    analogies: str | Path,
    restrict_vocab: int = 300000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
    similarity_function: str = "most_similar",
) -> tuple[float, list[dict[str, Any]]]:
    """Accuracy on ``a b c d`` analogy questions in the Google format (gensim's call and return value).

    Parameters
    ----------
    model : forge encoder, gensim ``KeyedVectors`` or ``(words, matrix)``
    analogies : path
        ``: section`` lines, then ``a b c d`` per line (lines that do not split into 4 words are skipped).
    restrict_vocab, case_insensitive, dummy4unknown
        As in gensim (``dummy4unknown=True`` counts questions with unknown words as incorrect).
    similarity_function : {"most_similar", "most_similar_cosmul"}
        3CosAdd (gensim's) or 3CosMul.

    Returns
    -------
    score : float
        Overall accuracy.
    sections : list of dict
        ``{"section": name, "correct": [(a, b, c, d), ...], "incorrect": [...]}`` per section, then
        ``"Total accuracy"``; words upper-cased when ``case_insensitive``, as gensim does.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "q.txt")
    >>> _ = Path(path).write_text(": royals\\nman woman king queen\\n")
    >>> words = ["man", "woman", "king", "queen", "apple"]
    >>> vecs = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, -1]], dtype=np.float32)
    >>> score, sections = evaluate_word_analogies((words, vecs), path)
    >>> score, sections[-1]["correct"]
    (1.0, [('MAN', 'WOMAN', 'KING', 'QUEEN')])
    """
    methods = {"most_similar": "3cosadd", "most_similar_cosmul": "3cosmul"}
    if similarity_function not in methods:
        raise BadInputError(f"similarity_function={similarity_function!r}; choose one of {sorted(methods)}.")
    words, mat, norms = _words_and_vectors(model, restrict_vocab)
    with _gc_paused():
        return _evaluate_analogies(
            analogies, words, mat, norms, methods[similarity_function], dummy4unknown, case_insensitive
        )


_HEADER = re.compile(r"^: .*$", re.MULTILINE)


def _questions(piece: str) -> list[tuple[str, ...]]:
    """The lines of ``piece`` that ``str.split()`` into 4 words, as tuples (map and compress: the loop in C)."""
    parts = list(map(str.split, piece.split("\n")))
    return list(map(tuple, itertools.compress(parts, map((4).__eq__, map(len, parts)))))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (tens of thousands of short lists and tuples would start it again
    and again: measured 3x slower parsing of the Google file); it runs again afterwards if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _evaluate_analogies(
    analogies: str | Path,
    words: list[str],
    mat: np.ndarray,
    norms: np.ndarray,
    method: str,
    dummy4unknown: bool,
    case_insensitive: bool,
) -> tuple[float, list[dict[str, Any]]]:
    """The body of :func:`evaluate_word_analogies` (file reading, lookups, the kernel, gensim's result lists)."""
    with open_regular(analogies, "Dataset file") as raw:
        text = raw.read().decode("utf8")
    # gensim reads "\n"-terminated lines: ": name" starts a section, a line that splits into 4 words is a
    # question, others are skipped
    pieces = _HEADER.split(text.upper() if case_insensitive else text)  # .upper() keeps every line
    if pieces[0]:
        raise BadInputError(f"{analogies}, line 1: missing ': section' header before the first question.")
    sections: list[dict[str, Any]] = [
        {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []} for line in _HEADER.findall(text)
    ]
    per_section = [_questions(piece) for piece in pieces[1:]]
    quads: list[tuple[str, ...]] = list(itertools.chain.from_iterable(per_section))
    bounds = np.cumsum([0] + [len(q) for q in per_section])
    keys = list(map(str.upper, words)) if case_insensitive else words
    first, variants = _question_rows(keys, itertools.chain.from_iterable(quads))
    flat = itertools.chain.from_iterable(quads)  # map() keeps the 4 lookups per question in C
    idx = np.fromiter(map(first.get, flat, itertools.repeat(-1)), dtype=np.int64, count=4 * len(quads)).reshape(-1, 4)
    covered = np.asarray((idx >= 0).all(axis=1))  # asarray: numpy's stubs type .all(axis=...) as bool | array
    cov = np.flatnonzero(covered)
    correct = np.zeros(len(quads), dtype=bool)
    if len(cov):
        ia, ib, ic, expected = idx[cov].T
        rows, cols = _banned(ia, ib, ic, variants if case_insensitive else {})
        exact = method == "3cosadd"  # gensim's evaluator runs 3CosAdd only: that is what must match it bit for bit
        best, top1, top2 = solve_analogies(mat, ia, ib, ic, rows, cols, method=method, runner_up=exact, norms=norms)
        # correct when the predicted row's key is the expected word's (case variants share a key)
        correct[cov] = [keys[b] == keys[e] for b, e in zip(best.tolist(), expected.tolist())]
        if exact:
            # near-ties (and questions whose words have case variants, which gensim skips among its top 5
            # only): answered with gensim's own float32 arithmetic, so the result is gensim's, ties included
            recheck = (top1 - top2) < _near_tie_tolerance(mat.shape[1])
            if variants:
                has_variant = np.fromiter((int(r) in variants for r in idx[cov, :3].ravel()), bool, 3 * len(cov))
                recheck |= has_variant.reshape(-1, 3).any(axis=1)
            todo = np.flatnonzero(recheck)
            if len(todo):
                gnorms = np.linalg.norm(mat, axis=1)  # gensim's fill_norms (zero rows stay zero)
                for j in todo.tolist():
                    q = int(cov[j])
                    got = _gensim_3cosadd(mat, gnorms, keys, quads[q], (int(ia[j]), int(ib[j]), int(ic[j])))
                    correct[q] = got == quads[q][3]
    wrong = ~correct if dummy4unknown else covered & ~correct
    for k, sec in enumerate(sections):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        sec["correct"] = list(itertools.compress(quads[lo:hi], correct[lo:hi].tolist()))
        sec["incorrect"] = list(itertools.compress(quads[lo:hi], wrong[lo:hi].tolist()))
    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    n = len(total["correct"]) + len(total["incorrect"])
    score = len(total["correct"]) / n if n else 0.0
    sections.append(total)
    return score, sections


def _question_rows(keys: list[str], tokens: Any) -> tuple[dict[str, int], dict[int, list[int]]]:
    """gensim's lookup for the question words only: the first (most frequent) row of each key among ``tokens``,
    and, for keys held by several rows (case variants), all their rows by first row. One pass over the keys in
    C; no dictionary of the whole vocabulary."""
    wanted = dict.fromkeys(tokens)
    first: dict[str, int] = {}
    variants: dict[int, list[int]] = {}
    for r in itertools.compress(range(len(keys)), map(wanted.__contains__, keys)):
        f = first.setdefault(keys[r], r)
        if f != r:
            variants.setdefault(f, [f]).append(r)
    return first, variants


def _banned(
    ia: np.ndarray, ib: np.ndarray, ic: np.ndarray, variants: dict[int, list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """(question, row) pairs never predicted: the three question words and every case variant of them
    (``variants``: all rows of a key, by its first row)."""
    n = len(ia)
    rows = [np.repeat(np.arange(n), 3)]
    cols = [np.stack([ia, ib, ic], axis=1).ravel()]
    if variants:
        for k, trio in enumerate(zip(ia.tolist(), ib.tolist(), ic.tolist())):
            for g in set(trio):
                extra = variants.get(g)
                if extra is not None:
                    rows.append(np.full(len(extra), k))
                    cols.append(np.asarray(extra))
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)


# ------------------------------------------------------------------ gensim's own arithmetic, for near-ties
def _gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """``gensim.matutils.argsort(x, topn, reverse=True)``: the same numpy calls, so the same order of ties."""
    x = -np.asarray(x)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    most_extreme = np.argpartition(x, topn)[:topn]
    return most_extreme.take(np.argsort(x.take(most_extreme)))


def _gensim_3cosadd(mat: np.ndarray, norms: np.ndarray, keys: list[str], quad: tuple[str, ...], rows: Any) -> str:
    """What gensim's ``evaluate_word_analogies`` predicts for one question, computed as gensim computes it.

    ``most_similar(positive=[b, c], negative=[a], topn=5)``: the weighted mean of the unit vectors (float64
    weights on float32 rows, as gensim's ``get_mean_vector``), ``unitvec``, ``dot(vectors, mean) / norms``
    (one float32 matrix-vector product over the whole restricted vocabulary), ``argsort`` of the top 8,
    the question rows dropped, then the first of 5 whose key is not a question word.
    """
    ia, ib, ic = rows
    weight = np.concatenate((np.ones(2), -1.0 * np.ones(1)))
    mean = np.zeros(mat.shape[1], mat.dtype)
    total_weight: Any = 0
    for idx, r in enumerate((ib, ic, ia)):
        vec = mat[r] / norms[r]
        mean += weight[idx] * vec
        total_weight += abs(weight[idx])
    if total_weight > 0:
        mean = mean / total_weight
    mean = _gensim_unitvec(mean).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero row: gensim divides by 0 as well
        dists = np.dot(mat, mean) / norms
    best = _gensim_argsort(dists, 5 + 3)
    question = (ib, ic, ia)
    result = [int(sim) for sim in best if sim not in question][:5]
    ignore = set(quad[:3])
    predicted = ""
    for sim in result:
        predicted = keys[sim]
        if predicted not in ignore:
            break
    return predicted


def _near_tie_tolerance(dim: int) -> float:
    """Kernel score gap under which forge's float32 sums and gensim's may rank the two best differently.

    A float32 dot product of unit vectors is off by at most about ``dim`` units in the last place (2**-24);
    3CosAdd adds three of them (kernel) and gensim's mean-vector product scales by at most 3: twice the sum
    of both, with room for the normalisations.
    """
    return 2 * (3 * (dim + 2) + 3 * (dim + 10)) * 2.0**-24
