"""Vocabulary shared by the encoders that index words (one-hot, recurrent...)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from forge.errors import BadInputError, CorruptModelError

__all__ = ["Vocabulary"]


class Vocabulary:
    """Words in index order with their corpus counts.

    Special tokens (e.g. ``<unk>``, ``<eos>``) come first, then words by
    decreasing frequency (ties broken by first appearance, so the order is
    deterministic).

    Examples
    --------
    >>> v = Vocabulary.build([["a", "b", "a"], ["c", "a"]], min_count=1, specials=["<unk>"])
    >>> v.words, v["a"], "z" in v
    (['<unk>', 'a', 'b', 'c'], 1, False)
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | None = None, specials: Sequence[str] = ()):
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            dup = next(w for w in self.words if self.words.count(w) > 1)
            raise BadInputError(f"Vocabulary has the duplicate word {dup!r}; words must be unique.")
        self.counts = np.asarray(counts if counts is not None else np.zeros(len(self.words)), dtype=np.int64)
        self.specials = list(specials)

    @classmethod
    def build(
        cls,
        corpus: Iterable[Sequence[str]],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (),
    ) -> Vocabulary:
        """Count a corpus in one streaming pass and keep the frequent words."""
        if min_count < 1:
            raise BadInputError(f"min_count must be >= 1, got {min_count}.")
        if max_size is not None and max_size < 1:
            raise BadInputError(f"max_size must be >= 1 or None, got {max_size}.")
        counter: Counter[str] = Counter()
        for sentence in corpus:
            counter.update(sentence)
        kept = [(w, c) for w, c in counter.most_common() if c >= min_count and w not in specials]
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        words = list(specials) + [w for w, _ in kept]
        counts = [0] * len(specials) + [c for _, c in kept]
        return cls(words, counts, specials)

    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> int:
        return self.index[word]

    def get(self, word: str, default: int | None = None) -> int | None:
        return self.index.get(word, default)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.words == other.words

    def __repr__(self) -> str:
        head = ", ".join(repr(w) for w in self.words[:5])
        return f"Vocabulary({len(self)} words: {head}{', ...' if len(self) > 5 else ''})"

    @property
    def total(self) -> int:
        """Number of corpus tokens covered by the vocabulary."""
        return int(self.counts.sum())

    def encode(self, tokens: Sequence[str], unk: str | None = None) -> np.ndarray:
        """Token ids; unknown tokens map to ``unk`` (or raise when it is None)."""
        unk_id = self.index.get(unk) if unk is not None else None
        ids = np.empty(len(tokens), dtype=np.int64)
        for i, tok in enumerate(tokens):
            idx = self.index.get(tok, unk_id)
            if idx is None:
                raise BadInputError(f"Token {tok!r} is not in the vocabulary and no unknown-word token is set.")
            ids[i] = idx
        return ids

    def to_dict(self) -> dict:
        return {"words": self.words, "counts": self.counts.tolist(), "specials": self.specials}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            words, counts, specials = data["words"], data["counts"], data.get("specials", [])
            # a JSON file of the right shape, but of the wrong types, would give a vocabulary that breaks later
            if not (
                isinstance(words, list)
                and all(type(w) is str for w in words)
                and isinstance(counts, list)
                and len(counts) == len(words)
                and all(type(c) is int and 0 <= c < 2**63 for c in counts)
                and isinstance(specials, list)
                and all(type(s) is str and s in words for s in specials)
            ):
                raise TypeError(
                    "expected 'words' (strings), 'counts' (as many integers >= 0) and 'specials' "
                    "(words of the vocabulary)"
                )
            return cls(words, counts, specials)
        except FileNotFoundError:
            raise CorruptModelError(f"Vocabulary file {path} is missing; the model directory is incomplete.") from None
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
            # ValueError covers JSONDecodeError, UnicodeDecodeError and over-long integers; BadInputError
            # (a duplicate word) is a ValueError too
            raise CorruptModelError(
                f"Vocabulary file {path} is unreadable ({type(exc).__name__}: "
                f"{str(exc)[:200]}); the model directory is truncated or corrupt: save the "
                f"model again."
            ) from None
