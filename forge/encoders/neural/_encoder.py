"""What every neural encoder shares: fitting, vectors, the ELMo-style mix, perplexity, persistence.

:class:`NeuralEncoder` is the base of :class:`~forge.encoders.neural.recurrent.RecurrentEncoder`
and :class:`~forge.encoders.neural.attention.AttentionEncoder`. A subclass declares its
configuration class (``_config_class``), builds its language model (``_build``) and says how wide
its contextual layers are (``_width``) and whether layer 0 is doubled (``_doubled``, ELMo's
bidirectional layout); the data pipeline, the trainer, the checkpoints and every public method
are this one.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

import forge
from forge._interface import BaseEncoder, _check_sentences, _dense
from forge._persist import load
from forge.corpora import as_corpus
from forge.encoders.neural._checkpoint import load_module_tensors, module_tensors, read_saved_model
from forge.encoders.neural._config import NeuralConfig, resumable_params
from forge.encoders.neural._data import (
    BOS,
    EOS,
    PAD,
    SPECIALS,
    encode_corpus,
    split_stream,
    split_validation,
    to_stream,
)
from forge.encoders.neural._model import LanguageModel, default_cutoffs
from forge.encoders.neural._train import (
    evaluate_nll,
    evaluate_stream_nll,
    precision_scope,
    resolve_device,
    resolve_precision,
    setup_distributed,
    train_lm,
)
from forge.errors import BadInputError, DeviceError
from forge.vocab import Vocabulary

__all__ = ["GPU_FULL_UNTIL", "NeuralEncoder", "choose_softmax"]

log = logging.getLogger("forge.encoders.neural")
GPU_FULL_UNTIL = 50000  # softmax="auto" on CUDA: the full softmax up to this vocabulary size


def choose_softmax(vocab_size: int, device: str, tie_weights: bool, num_sampled: int) -> tuple[str, str]:
    """What ``softmax="auto"`` picks, and why (measured in ``benchmarks/rnn_cpu_throughput.py``).

    On CPU the output layer dominates training once the vocabulary is several times ``num_sampled``:
    the sampled softmax is then the fastest (and works with tied weights). On CUDA a full softmax
    is one large matrix product and stays fast up to ~50k words; above, the adaptive softmax
    (the sampled one when the weights are tied).
    """
    if device.startswith("cuda"):
        if vocab_size <= GPU_FULL_UNTIL:
            return "full", f"{vocab_size:,} words <= {GPU_FULL_UNTIL:,} on {device}: one matrix product"
        if tie_weights:
            return "sampled", f"{vocab_size:,} words on {device} with tied weights (adaptive cannot tie)"
        return "adaptive", f"{vocab_size:,} words > {GPU_FULL_UNTIL:,} on {device}"
    if vocab_size <= 4 * num_sampled:
        return "full", f"{vocab_size:,} words <= 4 x num_sampled={num_sampled} on CPU: sampling saves little"
    return "sampled", f"{vocab_size:,} words > 4 x num_sampled={num_sampled} on CPU: the fastest to train"


class NeuralEncoder(BaseEncoder):
    """Base of the neural encoders (see the module docstring); not registered itself."""

    _config_class: ClassVar[type[NeuralConfig]] = NeuralConfig
    _META_FILE: ClassVar[str] = "recurrent.json"  # the saved model's metadata (one format for both families)
    _tags: ClassVar[dict[str, Any]] = {"contextual": True, "order_sensitive": True}
    # set by the subclass's constructor (constructor = configuration); declared for the type checker
    layers: int
    layer: Any
    mix_static: float
    init_from: Any
    embedding_dim: int | None
    context: str
    bptt: int
    max_len: int
    batch_size: int
    precision: str
    device: Any
    seed: int
    min_count: int

    @property
    def _width(self) -> int:
        """Width of each contextual layer's vectors (before doubling)."""
        raise NotImplementedError

    @property
    def _doubled(self) -> bool:
        """Whether vectors are two halves side by side (ELMo's forward + backward layout)."""
        return False

    def _build(self, vocab_size: int, emb_dim: int, softmax: str, cutoffs: list[int]) -> LanguageModel:
        raise NotImplementedError

    # ------------------------------------------------------------ validation
    def validate_params(self) -> Any:
        """Check every parameter (constraints declared once, on ``_config_class``); returns the config.

        ``fit`` calls it; so may ``forge.load``. Errors name the parameter, the value and what is allowed.
        """
        return self._config_class.from_params(self.get_params(), type(self).__name__)

    def _layer_weights(self, emb_dim: int) -> np.ndarray:
        """Mixing weights over the ``layers + 1`` representations for the ``layer`` setting."""
        self.validate_params()
        n = self.layers + 1
        spec = self.layer
        weights = np.zeros(n)
        if spec == "mix":  # concatenated, not summed (see _run): any widths go together
            weights[0] = self.mix_static
            weights[1:] = (1.0 - self.mix_static) / self.layers
            return weights
        if spec == "top":
            weights[-1] = 1.0
        elif spec == "mean":
            weights[:] = 1.0 / n
        elif isinstance(spec, int) and not isinstance(spec, bool) and -n <= spec < n:
            weights[spec] = 1.0
        elif isinstance(spec, (list, tuple)) and len(spec) == n and all(isinstance(w, (int, float)) for w in spec):
            weights[:] = spec
        else:
            raise BadInputError(
                f"layer={spec!r} is not valid: use 'top', 'mean', a layer index 0..{n - 1} "
                f"(0 = input embedding) or a list of {n} mixing weights."
            )
        if np.count_nonzero(weights) > 1 and emb_dim != self._width and weights[0] != 0:
            raise BadInputError(
                f"layer={spec!r} mixes the input embedding (width {emb_dim}) with the recurrent "
                f"states (width {self._width}); set embedding_dim={self._width} or "
                f"leave the embedding out of the mix (weight 0 first)."
            )
        return weights

    # ------------------------------------------------------------------ fit
    def fit(self, corpus: Iterable[Sequence[str]], valid: Iterable[Sequence[str]] | None = None) -> NeuralEncoder:
        """Train the language model on ``corpus`` (sentences of tokens); returns ``self``.

        ``valid``, a separate validation corpus (e.g. PTB's valid split), replaces the held-out
        ``validation`` fraction for early stopping (in stream mode the fraction is the stream's end).
        """
        config = self.validate_params()
        dist, device = setup_distributed(resolve_device(config.device))
        try:
            corpus = as_corpus(corpus)
            vocab = Vocabulary.build(corpus, config.min_count, config.max_vocab, SPECIALS)
            if len(vocab) == len(SPECIALS):
                raise BadInputError(
                    f"The corpus {corpus!r} yielded no word seen at least min_count="
                    f"{config.min_count} times; is it empty?"
                )
            train_data, valid_data, counts = self._encode(config, corpus, valid, vocab)
            pretrained, note = self._pretrained(vocab, corpus)
            emb_dim = pretrained.shape[1] if pretrained is not None else (config.embedding_dim or self._width)
            self._check_widths(emb_dim)
            softmax, reason = config.softmax, "set by the softmax parameter"
            if softmax == "auto":
                softmax, reason = choose_softmax(len(vocab), device, config.tie_weights, config.num_sampled)
                log.info("%s: softmax='auto' picked %r (%s)", self.name or "rnn", softmax, reason)
            cutoffs = list(config.cutoffs) if config.cutoffs else default_cutoffs(len(vocab))
            precision = resolve_precision(device, config.precision)
            resumable = resumable_params(self._config_class)
            params = {k: v for k, v in self.config_params().items() if k not in resumable}
            gpus = [torch.device(device).index or 0] if device.startswith("cuda") else []
            with torch.random.fork_rng(devices=gpus):  # seed our own run, leave the caller's RNG as it was
                torch.manual_seed(config.seed)
                model = self._build(len(vocab), emb_dim, softmax, cutoffs)
                if pretrained is not None:
                    with torch.no_grad():
                        model.embedding.weight.copy_(torch.from_numpy(pretrained))
                frozen = config.freeze_embedding if config.freeze_embedding is not None else pretrained is not None
                model.embedding.weight.requires_grad_(not frozen)
                model.set_proposal(counts)
                model.to(device)
                with precision_scope(precision):
                    state = train_lm(
                        model, train_data, valid_data, vocab, device, dist, config, params, label=self.name or "rnn"
                    )
        finally:
            dist.close()
        self.model_, self.device_, self.embedding_dim_ = model, device, emb_dim
        self.softmax_, self.softmax_reason_, self.cutoffs_, self.init_note_ = softmax, reason, cutoffs, note
        self.history_ = [{**record, "precision": precision} for record in state.history]
        self.precision_ = precision
        self.vocab_ = vocab
        self._matrix_cache: np.ndarray | None = None
        return self

    def _encode(
        self,
        config: Any,
        corpus: Iterable[Sequence[str]],
        valid: Iterable[Sequence[str]] | None,
        vocab: Vocabulary,
    ) -> tuple[Any, Any, np.ndarray]:
        """(train data, validation data, token counts of the training data) in the config's mode."""
        if config.context == "stream":
            stream = to_stream(encode_corpus(corpus, vocab.index, 1 << 62))
            if valid is not None:
                train_data, valid_data = stream, to_stream(encode_corpus(as_corpus(valid), vocab.index, 1 << 62))
            else:
                train_data, valid_data = split_stream(stream, float(config.validation))
            if len(train_data) // config.batch_size < 2:
                raise BadInputError(
                    f"context='stream' cuts the {len(train_data):,} training tokens into "
                    f"batch_size={config.batch_size} rows, fewer than 2 tokens a row; lower "
                    f"batch_size or use context='sentence'."
                )
            return train_data, valid_data, np.bincount(train_data, minlength=len(vocab))
        data = encode_corpus(corpus, vocab.index, config.max_len)
        if valid is not None:
            valid_set = encode_corpus(as_corpus(valid), vocab.index, config.max_len)
            train_set = data
        else:
            train_idx, valid_idx = split_validation(len(data), float(config.validation), config.seed)
            train_set, valid_set = data.subset(train_idx), data.subset(valid_idx)
        return train_set, valid_set, np.bincount(train_set.ids, minlength=len(vocab))

    def _check_widths(self, emb_dim: int) -> None:
        self._layer_weights(emb_dim)  # raises when a weighted sum mixes different widths

    def _pretrained(
        self, vocab: Vocabulary, corpus: Iterable[Sequence[str]] | None = None
    ) -> tuple[np.ndarray | None, str | None]:
        """The embedding matrix from ``init_from`` (uncovered words drawn at the same scale)."""
        src = self.init_from
        if src is None:
            return None, None
        if isinstance(src, (str, Path)) and not Path(src).exists() and corpus is not None:
            src = self._fit_static(str(src), corpus)
        elif isinstance(src, (str, Path)):
            src = load(src)
        if not isinstance(src, BaseEncoder) or not src.is_fitted:
            raise BadInputError(
                f"init_from must be a fitted static forge encoder (e.g. forge.create('skipgram')"
                f".fit(corpus)) or the path of a saved one; got {self.init_from!r}."
            )
        if src.tags.get("contextual"):
            raise BadInputError(
                f"init_from={src!r} is contextual; it needs a static encoder whose vector(word) "
                f"is the same in every sentence (word2vec, skipgram, cbow...)."
            )
        dim = src.dim
        if self.embedding_dim is not None and self.embedding_dim != dim:
            raise BadInputError(
                f"embedding_dim={self.embedding_dim} but init_from has {dim}-dimensional vectors; "
                f"leave embedding_dim=None to take the width of init_from."
            )
        rows, covered = {}, 0
        for i, word in enumerate(vocab.words):
            if i >= len(SPECIALS) and word in src:
                rows[i] = _dense(src.vector(word))
                covered += 1
        if not rows:
            raise BadInputError(
                f"init_from={src!r} shares no word with this corpus' vocabulary; was it trained "
                f"on another language or tokenisation?"
            )
        known = np.stack(list(rows.values()))
        rng = np.random.RandomState(self.seed)
        matrix = rng.normal(0.0, float(known.std()) or 0.1, size=(len(vocab), dim)).astype(np.float32)
        matrix[list(rows)] = known
        matrix[vocab[PAD]] = 0.0
        words = len(vocab) - len(SPECIALS)
        self.init_coverage_ = covered / words
        return matrix, f"{getattr(src, 'name', type(src).__name__)} ({dim}-d, {covered}/{words} words covered)"

    def _fit_static(self, name: str, corpus: Iterable[Sequence[str]]) -> BaseEncoder:
        """``init_from="skipgram"``: fit that registered static encoder on the same corpus first."""

        if name not in forge.list_encoders():
            raise BadInputError(
                f"init_from={name!r} is neither an existing path nor a registered encoder name; "
                f"pass a fitted static encoder, the directory of a saved one, or a name such as "
                f"'skipgram'."
            )
        cls = forge.get_encoder_class(name)
        if getattr(cls, "_tags", {}).get("contextual"):
            raise BadInputError(f"init_from={name!r} is contextual; it needs a static encoder (skipgram, cbow...).")
        valid = set(cls.param_names()) if hasattr(cls, "param_names") else set()
        wanted = {
            "vector_size": self.embedding_dim,
            "seed": self.seed,
            "workers": 1,
            "min_count": self.min_count,
            "progress": False,
        }
        params = {k: v for k, v in wanted.items() if k in valid and v is not None}
        log.info("init_from=%r: fitting %s(%s) on the training corpus first", name, name, params)
        static = forge.create(name, **params).fit(corpus)
        self.init_encoder_ = static
        return static

    # --------------------------------------------------------------- vectors
    @property
    def dim(self) -> int:
        """Width of the ``embed`` vectors (doubled when bidirectional)."""
        self._check_fitted()
        weights = self._layer_weights(self.embedding_dim_)
        if self.layer == "mix":
            width = self.embedding_dim_ + self.layers * self._width
        else:
            width = self.embedding_dim_ if np.flatnonzero(weights).tolist() == [0] else self._width
        return width * (2 if self._doubled else 1)

    @property
    def static_dim(self) -> int:
        """Width of the context-free ``vector(word)``: the input embedding, doubled when bidirectional.

        It equals ``dim`` when ``embedding_dim`` equals the layers' width (the default without ``init_from``).
        """
        self._check_fitted()
        return self.embedding_dim_ * (2 if self._doubled else 1)

    def _static_matrix(self) -> np.ndarray:
        matrix = getattr(self, "_matrix_cache", None)
        if matrix is None:
            matrix = self._matrix_cache = self.model_.embedding.weight.detach().float().cpu().numpy().copy()
        return matrix

    def static_matrix(self) -> np.ndarray:
        """``(len(vocabulary), static_dim)``: the input embedding, twice side by side when bidirectional.

        Row ``i`` is ``vector(vocabulary[i])`` (the same rule as every encoder).
        """
        self._check_fitted()
        matrix = self._static_matrix()
        return np.hstack([matrix, matrix]) if self._doubled else matrix

    def vector(self, word: str) -> np.ndarray:
        """The context-free input embedding of ``word``, shape ``(static_dim,)``.

        Bidirectional encoders return it twice side by side, as ELMo's layer 0 (and ``embed`` with
        ``layer=0``) does, so it lives in the same space as the contextual vectors; cosine
        similarities are those of the embedding itself.
        """
        idx = self._index(word)
        if idx is None:
            return np.zeros(self.static_dim, dtype=np.float32)
        row = self._static_matrix()[idx]
        return np.concatenate([row, row]) if self._doubled else row.copy()

    def _excluded_rows(self) -> frozenset[int]:
        """``<pad>``, ``<s>`` and ``</s>`` are not words: never neighbours in the gensim queries (KeyedMixin)."""
        return frozenset(self.vocab_[s] for s in (PAD, BOS, EOS))

    # ------------------------------------------------------------ contextual
    def _run(self, model_input: list[list[int]]) -> list[np.ndarray]:
        """Mixed layer representations for id lists (no boundary tokens), one array per sentence."""
        weights = torch.tensor(self._layer_weights(self.embedding_dim_), dtype=torch.float32)
        mix = self.layer == "mix"
        # "mix" keeps every layer in place (a zero share is a zero block), so dim does not depend on mix_static
        used = list(range(len(weights))) if mix else [k for k in range(len(weights)) if weights[k] != 0]
        # stream-trained models never saw <s>: a sentence starts after </s>, as in their training stream
        bos = self.vocab_[EOS] if self.context == "stream" else self.vocab_[BOS]
        eos = self.vocab_[EOS]
        order = sorted(range(len(model_input)), key=lambda i: len(model_input[i]))
        out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(model_input)
        self.model_.eval()
        step = max(self.batch_size, 64)
        for start in range(0, len(order), step):
            chunk = [i for i in order[start : start + step] if model_input[i]]
            if not chunk:
                continue
            lengths = np.array([len(model_input[i]) + 2 for i in chunk])
            tokens = np.zeros((len(chunk), lengths.max()), dtype=np.int64)
            for row, i in enumerate(chunk):
                tokens[row, : lengths[row]] = [bos, *model_input[i], eos]
            with torch.no_grad(), precision_scope(self.precision_):
                reps = self.model_.layer_outputs(
                    torch.from_numpy(tokens).to(self.device_), torch.from_numpy(lengths).to(self.device_)
                )
                if mix:  # unit length per layer, scaled by sqrt(weight), side by side: (batch, n, dim)
                    mixed = torch.cat(
                        [
                            math.sqrt(float(weights[k])) * torch.nn.functional.normalize(reps[k].float(), dim=-1)
                            for k in used
                        ],
                        dim=-1,
                    )
                else:
                    summed = sum(float(weights[k]) * reps[k].float() for k in used)  # (batch, n, dim)
                    assert isinstance(summed, torch.Tensor), "no layer has a non-zero weight"
                    mixed = summed
            vectors = mixed.cpu().numpy()
            for row, i in enumerate(chunk):
                out[i] = np.ascontiguousarray(vectors[row, : lengths[row] - 2], dtype=np.float32)
        return out

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[np.ndarray]:
        """Contextual vectors: one ``(len(sentence), dim)`` array per sentence (any length).

        Unknown words follow ``oov``; ``oov="zero"`` feeds them as a zero input vector.
        """
        self._check_fitted()
        sents = _check_sentences(sentences)
        ids = [[idx if idx is not None else self.vocab_[PAD] for idx in map(self._index, s)] for s in sents]
        return self._run(ids)

    def perplexity(self, corpus: Iterable[Sequence[str]], context: str | None = None) -> float:
        """Perplexity on ``corpus`` (unknown words count as ``<unk>``; each sentence ends with ``</s>``).

        ``context`` (default: the one the model was trained in, ``self.context``): ``"sentence"``
        reads each sentence from a zero state; ``"stream"`` reads the corpus as one stream, in 10
        rows, ``bptt`` steps at a time with the state carried (the protocol of Zaremba et al. and
        PyTorch's ``word_language_model``; report the mode with the figure). Bidirectional encoders
        report exp of the mean of the forward and backward losses, as ELMo does.
        """
        self._check_fitted()
        context = context or self.context
        if context not in ("sentence", "stream"):
            raise BadInputError(f"context={context!r} is not valid for perplexity(); expected 'sentence' or 'stream'.")
        if context == "stream":
            stream = to_stream(encode_corpus(as_corpus(corpus), self.vocab_.index, 1 << 62))
            if len(stream) < 2:
                raise BadInputError("perplexity() got a corpus with no words; pass tokenised sentences.")
            with precision_scope(self.precision_):
                nll, count = evaluate_stream_nll(self.model_, stream, self.bptt, self.device_, self.precision_)
            return math.exp(nll / count)
        data = encode_corpus(as_corpus(corpus), self.vocab_.index, self.max_len)
        if len(data) == 0:
            raise BadInputError("perplexity() got a corpus with no words; pass tokenised sentences.")
        with precision_scope(self.precision_):
            nll, count = evaluate_nll(self.model_, data, self.batch_size, self.device_, self.precision_)
        return math.exp(nll / count)

    def _more_tags(self) -> dict[str, Any]:
        device = getattr(self, "device_", None) or self.device
        return {"device": device, "deterministic": not str(device).startswith("cuda")}

    # ------------------------------------------------------------ persistence
    def config_params(self) -> dict[str, Any]:
        params = self.get_params()
        if params["init_from"] is not None and not isinstance(params["init_from"], str):
            # the weights already hold the vectors: the saved model never needs init_from again
            params["init_from"] = None
        for key, value in params.items():
            try:
                json.dumps(value)
            except TypeError:
                raise BadInputError(
                    f"Parameter {key}={value!r} of {type(self).__name__} cannot be saved as JSON."
                ) from None
        return params

    def save_state(self, directory: Path) -> None:
        from safetensors.torch import save_file  # lazy: safetensors comes with torch (the torch extra)

        save_file(module_tensors(self.model_), str(directory / "model.safetensors"))
        self.vocab_.save(directory / "vocab.json")
        meta = {
            "embedding_dim": self.embedding_dim_,
            "softmax": self.softmax_,
            "cutoffs": self.cutoffs_,
            "context": self.context,
            "init_from": self.init_note_,
            "trained_on": self.device_,
            "precision": self.precision_,
            "history": self.history_,
        }
        (directory / self._META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def load_state(self, directory: Path, mmap: bool = False) -> None:

        vocab, meta, tensors = read_saved_model(self, directory)  # types, shapes, dtypes and finiteness checked
        emb_dim, softmax, cutoffs = meta["embedding_dim"], meta["softmax"], meta["cutoffs"]
        try:
            device = resolve_device(self.device)
        except DeviceError:  # trained on a GPU, loaded where there is none
            device = "cpu"
        model = self._build(len(vocab), emb_dim, softmax, cutoffs)
        load_module_tensors(model, tensors)
        self.model_ = model.to(device).eval()
        self.device_, self.embedding_dim_, self.softmax_, self.cutoffs_ = device, emb_dim, softmax, cutoffs
        self.init_note_, self.history_ = meta.get("init_from"), meta.get("history", [])
        saved = meta.get("precision")
        self.precision_ = saved if saved in ("fp32", "tf32", "bf16") else resolve_precision(device, self.precision)
        self.softmax_reason_ = "as saved"
        self._matrix_cache = None
        self.vocab_ = vocab
