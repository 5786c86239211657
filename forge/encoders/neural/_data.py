"""Token ids for the recurrent language models: encoding, length-bucketed batches, sharding.

A corpus is encoded once into one flat int32 array plus sentence offsets:
memory is 4 bytes a token, with no Python list per sentence. Each sentence is
stored as ``[<s>, w_1 .. w_n, </s>]``. Sentences longer than ``max_len`` words
are cut into pieces (text8 is one line of 17M words).

Batches hold ``batch_size`` sentences of similar length. Sentences are drawn
in random pools of 100 batches, each pool is sorted by length and cut into
batches, and the batch order is shuffled. This keeps the padding small and
the order random. The order depends only on ``(seed, epoch)``, so every DDP
rank computes the same global batches without any communication. Each rank
then takes its share of every batch: ``batch[rank::world]``.

Stream mode (``context="stream"``) reads the corpus as one token stream
instead: ``[</s>, w_1 .. w_n, </s>, w_1 .. ]`` (every sentence followed by
``</s>``, as PyTorch's ``word_language_model`` does with ``<eos>``), cut into
``batch`` rows of equal length (:func:`batchify`) and read ``bptt`` steps at a
time (:func:`stream_chunks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from forge.errors import BadInputError

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIALS",
    "UNK",
    "Encoded",
    "batch_order",
    "batchify",
    "encode_corpus",
    "pad_batch",
    "split_stream",
    "stream_chunks",
    "to_stream",
]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = [PAD, UNK, BOS, EOS]  # ids 0..3, in this order
POOL = 100  # batches per length-sorted pool (~2% padding on PTB)
MIN_FOR_VALIDATION = 20


@dataclass
class Encoded:
    """Sentences as one flat id array: sentence i is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray  # (tokens,) int32, boundary tokens included
    offsets: np.ndarray  # (sentences + 1,) int64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def n_predictions(self) -> int:
        """Predicted tokens per direction: every token after ``<s>`` (the words and ``</s>``)."""
        return int((self.lengths - 1).sum())

    def subset(self, index: np.ndarray) -> Encoded:
        lengths = self.lengths[index]
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        parts = [self.ids[self.offsets[i] : self.offsets[i + 1]] for i in index]
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return Encoded(ids.astype(np.int32, copy=False), offsets)


def encode_corpus(corpus: Iterable[Sequence[str]], index: dict[str, int], max_len: int) -> Encoded:
    """Encode sentences to ``[<s>, ids.., </s>]``, unknown words as ``<unk>``, empty sentences skipped."""
    unk, bos, eos = index[UNK], index[BOS], index[EOS]
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    buf: list[int] = []

    def flush() -> None:
        chunks.append(np.asarray(buf, dtype=np.int32))
        buf.clear()

    get = index.get
    for sentence in corpus:
        for start in range(0, len(sentence), max_len):
            piece = sentence[start : start + max_len]
            buf.append(bos)
            buf.extend(get(w, unk) for w in piece)
            buf.append(eos)
            lengths.append(len(piece) + 2)
            if len(buf) > 1 << 20:
                flush()
    if buf:
        flush()
    ids = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Encoded(ids, offsets)


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, valid): a random ``fraction`` of the sentences is held out (at least one).

    Corpora of fewer than ``MIN_FOR_VALIDATION`` sentences are too small to hold any out: none is.
    """
    if not fraction or n < MIN_FOR_VALIDATION:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    n_valid = max(1, int(round(n * fraction)))
    if n_valid >= n:
        raise BadInputError(
            f"validation={fraction} leaves no training sentence out of {n}; use a "
            f"smaller fraction, validation=0, or a bigger corpus."
        )
    perm = np.random.RandomState(seed).permutation(n)
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def batch_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int, shuffle: bool = True) -> list[np.ndarray]:
    """Global batches of sentence indices, length-bucketed; the same on every rank for (seed, epoch)."""
    n = len(lengths)
    if not shuffle:  # evaluation: sorted by length, the least padding
        order = np.argsort(lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    rng = np.random.RandomState((seed * 1_000_003 + epoch) % (2**32))
    perm = rng.permutation(n)
    batches: list[np.ndarray] = []
    pool = batch_size * POOL
    for p in range(0, n, pool):
        chunk = perm[p : p + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def pad_batch(data: Encoded, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tokens (batch, time) int64 right-padded with 0, lengths (batch,) int64)."""
    lengths = data.lengths[index]
    tokens = np.zeros((len(index), int(lengths.max()) if len(index) else 0), dtype=np.int64)
    for row, i in enumerate(index):
        tokens[row, : lengths[row]] = data.ids[data.offsets[i] : data.offsets[i + 1]]
    return tokens, lengths.astype(np.int64)


# ------------------------------------------------------------------ stream mode
def to_stream(data: Encoded) -> np.ndarray:
    """The sentences as one stream ``[</s>, w.., </s>, w.., </s>]`` (int64): every ``<s>`` becomes nothing.

    ``data`` comes from :func:`encode_corpus`; ids 2 and 3 are ``<s>`` and ``</s>`` (``SPECIALS``).
    """
    bos, eos = SPECIALS.index(BOS), SPECIALS.index(EOS)
    ids = data.ids[data.ids != bos].astype(np.int64)
    return np.concatenate([np.array([eos], dtype=np.int64), ids]) if len(ids) else ids


def split_stream(stream: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, valid): the last ``fraction`` of the stream is held out, contiguous (none when too short)."""
    n_valid = int(round(len(stream) * fraction)) if fraction else 0
    if n_valid < 2 or len(stream) - n_valid < 2:
        return stream, stream[:0]
    return stream[:-n_valid], stream[-n_valid:]


def batchify(stream: np.ndarray, rows: int) -> np.ndarray:
    """(rows, length): row r is the r-th contiguous piece of the stream; the remainder is dropped."""
    length = len(stream) // rows
    return stream[: rows * length].reshape(rows, length)


def stream_chunks(length: int, bptt: int) -> list[tuple[int, int]]:
    """(start, steps) of each chunk of a row of ``length`` tokens: inputs ``[start, start + steps)``,
    targets one further on."""
    return [(i, min(bptt, length - 1 - i)) for i in range(0, length - 1, bptt)]
