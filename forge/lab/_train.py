"""Training the lab's encoders (English and Chinese), or loading the ones an earlier run saved."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import forge
from forge.errors import BadInputError
from forge.lab import _sizes  # read at call time: tests shrink the sizes and the encoder lists
from forge.lab._corpus import first_tokens, sample_sentences, zh_corpus
from forge.lab._sentences import en_lab_sentences, zh_training_sentences

__all__ = ["load_lab_encoders", "train_lab_encoders"]


def train_lab_encoders(
    corpus_name: str = "gensim-default",
    quick: bool = False,
    seed: int = 0,
    rnn_tokens: int | None = None,
    rnn_hidden: int | None = None,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Fit the English encoders on ``corpus_name`` and the Chinese ones; returns (en, zh, info)."""

    size = _sizes.LAB_SIZES["quick" if quick else "full"]
    n_rnn_tokens = rnn_tokens or size["rnn_tokens"]
    hidden = rnn_hidden or size["rnn_hidden"]
    info: dict[str, Any] = {"corpus": corpus_name, "train_seconds": {}}
    corpus = forge.corpora.load(corpus_name)
    encoders: dict[str, Any] = {}

    def fit(label: str, name: str, data, **params):
        start = time.perf_counter()
        encoders_ref = forge.create(name, **params).fit(data)
        info["train_seconds"][label] = round(time.perf_counter() - start, 1)
        log(
            f"trained {label:<18} {len(encoders_ref.vocabulary):>7} words, dim {encoders_ref.dim:>6}, "
            f"{info['train_seconds'][label]:6.1f} s"
        )
        return encoders_ref

    encoders["onehot"] = fit("onehot", "onehot", corpus, min_count=size["w2v"]["min_count"])
    for name in ("cbow", "skipgram"):
        w2v = {**size["w2v"], "epochs": size.get("w2v_epochs", {}).get(name, size["w2v"]["epochs"])}
        encoders[name] = fit(name, name, corpus, workers=2, seed=seed + 1, **w2v)
        info.setdefault("w2v", {})[name] = w2v

    extra = en_lab_sentences()
    head = first_tokens(corpus, n_rnn_tokens) + extra
    info["rnn_corpus"] = (
        f"the first {sum(map(len, head)) - sum(map(len, extra)):,} tokens of {corpus_name} plus "
        f"the lab's {len(extra)} English example sentences (so that the probe words are in their "
        f"vocabulary)"
    )
    # forge's recipe for contextual vectors: built on the skip-gram's vectors, layer="mix" keeps them beside
    # the recurrent states; the untrained models get the same start (only their recurrent weights are random)
    recipe = {"init_from": encoders["skipgram"], "layer": "mix"}
    info["rnn_recipe"] = "input embeddings from the skip-gram above, layer='mix', LSTM forget-gate bias 1.0"
    for name in _sizes.RECURRENT:
        encoders[name] = fit(
            name, name, head, **_sizes.recurrent_params(size, hidden, size["rnn_vocab"], 1, seed), **recipe
        )
    for name in _sizes.UNTRAINED:
        encoders[f"{name}-untrained"] = fit(
            f"{name}-untrained",
            name,
            head,
            **_sizes.recurrent_params(size, hidden, size["rnn_vocab"], 0, seed),
            **recipe,
        )
    for name in _sizes.attention_names():
        encoders[name] = fit(
            name, name, head, **_sizes.attention_params(hidden, _sizes.ATTENTION[name], 1, seed), **recipe
        )
    info["sentences"] = sample_sentences(first_tokens(corpus, 200_000), 100 if quick else 400, seed)
    # Chinese: the lab's own sentences, plus the Sinica treebank (converted to Simplified) when available
    zh_data = zh_corpus(log)
    info["zh_corpus"] = zh_data[1]
    zh: dict[str, Any] = {}
    zh["zh-onehot"] = fit("zh-onehot", "onehot", zh_data[0])
    zh["zh-skipgram"] = fit(
        "zh-skipgram",
        "skipgram",
        zh_data[0],
        vector_size=50,
        window=3,
        min_count=1,
        epochs=30,
        workers=1,
        seed=seed + 1,
    )
    n_tokens = sum(map(len, zh_data[0]))
    n_words = len({t for s in zh_data[0] for t in s})
    # about 40k tokens of training whatever the corpus; every word kept (the probes need 派, 手机...)
    epochs = max(1, min(size["zh_epochs"], 40_000 // n_tokens))
    zh_softmax: dict[str, Any] = (
        {"softmax": "adaptive", "cutoffs": [1000, 4000]} if n_words > 5000 else {"softmax": "full", "cutoffs": None}
    )
    for name, n_epochs in [(n, epochs) for n in ("rnn", "birnn", "lstm", "bilstm")] + [("rnn", 0)]:
        params = _sizes.recurrent_params(size, 32, None, n_epochs, seed)
        params.update(min_count=1, batch_size=32, lr=3e-3, **zh_softmax)
        label = f"zh-{name}" + ("-untrained" if n_epochs == 0 else "")
        zh[label] = fit(label, name, zh_data[0], **params)
    if "transformer" in _sizes.attention_names():  # its attention maps on the Chinese example sentences
        # --quick: the lab's own 4k-token Chinese text (the maps need only its words), 8 epochs in seconds
        own = zh_training_sentences() if quick else zh_data[0]
        n_own = sum(map(len, own))
        epochs_own = max(1, min(size["zh_epochs"], 40_000 // n_own))
        params = _sizes.attention_params(32, _sizes.ATTENTION["transformer"], epochs_own, seed)
        params.update(min_count=1, batch_size=32, lr=3e-3, **(zh_softmax if not quick else {"softmax": "full"}))
        zh["zh-transformer"] = fit("zh-transformer", "transformer", own, **params)
    return encoders, zh, info


def load_lab_encoders(
    models: str | Path, corpus_name: str, quick: bool, seed: int, log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Encoders saved by ``run_lab(save_models=...)``, split into English and Chinese, and the run info."""

    root = Path(models)
    dirs = sorted(p for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []
    if not dirs:
        raise BadInputError(
            f"{root} holds no saved encoders (sub-directories with a config.json); run "
            f"`forge lab --save-models {root}` first."
        )
    order = {
        n: k
        for k, n in enumerate(
            list(_sizes.STATIC)
            + list(_sizes.RECURRENT)
            + [f"{u}-untrained" for u in _sizes.UNTRAINED]
            + list(_sizes.ATTENTION)
        )
    }
    loaded = {
        p.name: forge.load(p)
        for p in sorted(
            dirs, key=lambda p: (p.name.startswith("zh-"), order.get(p.name.removeprefix("zh-"), 99), p.name)
        )
    }
    log(f"loaded {len(loaded)} encoders from {root}")
    en = {k: v for k, v in loaded.items() if not k.startswith("zh-")}
    zh = {k: v for k, v in loaded.items() if k.startswith("zh-")}
    corpus = forge.corpora.load(corpus_name)
    info = {
        "corpus": corpus_name,
        "models": str(root),
        "rnn_corpus": f"(loaded from {root})",
        "zh_corpus": f"(loaded from {root})",
        "sentences": sample_sentences(first_tokens(corpus, 200_000), 100 if quick else 400, seed),
    }
    return en, zh, info
