"""How large the lab's encoders are (``LAB_SIZES``), which ones it trains, and their recurrent settings."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import forge

__all__ = [
    "ATTENTION",
    "LAB_SIZES",
    "RECURRENT",
    "STATIC",
    "UNTRAINED",
    "LabSize",
    "Word2VecSize",
    "attention_names",
    "attention_params",
    "recurrent_params",
]


# sizes that keep `forge lab` within a few minutes on 2 CPU cores; --quick halves them again.
# w2v_epochs: on the 0.5M-word default corpus, CBOW with 5 epochs collapses (mean cosine of random word pairs
# 0.91, related-unrelated gap -0.004); 20 epochs give 0.13 and +0.18, skip-gram 10 epochs 0.33 (forge/bench/_demo.py).
class Word2VecSize(TypedDict):
    """The word2vec settings of one lab size (``w2v_epochs`` overrides ``epochs`` per model)."""

    vector_size: int
    epochs: int
    min_count: int


class LabSize(TypedDict):
    """How large the lab's encoders are at one size (``"full"`` or ``"quick"``)."""

    w2v: Word2VecSize
    w2v_epochs: NotRequired[dict[str, int]]
    rnn_hidden: int
    rnn_tokens: int
    rnn_vocab: int | None
    zh_epochs: int


LAB_SIZES: dict[str, LabSize] = {
    "full": {
        "w2v": {"vector_size": 100, "epochs": 5, "min_count": 3},
        "w2v_epochs": {"cbow": 20, "skipgram": 10},
        "rnn_hidden": 64,
        "rnn_tokens": 40_000,
        "rnn_vocab": None,
        "zh_epochs": 10,
    },
    "quick": {
        "w2v": {"vector_size": 50, "epochs": 3, "min_count": 3},
        "w2v_epochs": {"cbow": 10, "skipgram": 5},
        "rnn_hidden": 32,
        "rnn_tokens": 20_000,
        "rnn_vocab": None,
        "zh_epochs": 8,
    },
}
STATIC = ("onehot", "cbow", "skipgram")
RECURRENT = ("rnn", "birnn", "lstm", "bilstm", "gru", "bigru")
UNTRAINED = ("rnn", "lstm", "bilstm")
# the attention encoders (claim 9), with the positions each uses: the figure shows one against the other
ATTENTION = {"transformer": "sinusoidal", "bitransformer": "learned"}


def _training(epochs: int, seed: int) -> dict[str, Any]:
    """The lab's training settings, the same for every neural encoder: no dropout, no validation split, every
    word kept (the probe words occur only a few times), the adaptive softmax for a large vocabulary, CPU."""
    return {
        "epochs": epochs,
        "batch_size": 64,
        "dropout": 0.0,
        "validation": 0.0,
        "softmax": "adaptive",
        "cutoffs": None,
        "oov": "unk",
        "device": "cpu",
        "progress": False,
        "seed": seed,
    }


def attention_params(width: int, positions: str, epochs: int, seed: int) -> dict[str, Any]:
    """Tiny attention encoders (2 layers, 2 heads, width of the recurrent ones): --quick stays within minutes."""
    return {
        **_training(epochs, seed),
        "d_model": width,
        "heads": 2,
        "layers": 2,
        "ff": 2 * width,
        "positions": positions,
        "tie_weights": False,  # the adaptive softmax has its own output weights
        # a learned position table as long as the longest sentence claim 8 times (1,024 words)
        "max_len": 1024 if positions == "learned" else 60,
    }


def attention_names() -> list[str]:
    """The attention encoders registered in this installation (none before they exist)."""
    return [n for n in ATTENTION if n in forge.list_encoders()]


def recurrent_params(size: LabSize, hidden: int, vocab: int | None, epochs: int, seed: int) -> dict[str, Any]:
    """One recurrent layer of ``hidden`` units with the lab's training settings."""
    return {**_training(epochs, seed), "hidden_size": hidden, "layers": 1, "max_vocab": vocab, "max_len": 60}
