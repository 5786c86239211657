"""Recurrent encoders: RNN, GRU and LSTM language models, left-to-right or bidirectional (ELMo-style).

One class serves six registered names: ``rnn``, ``gru``, ``lstm`` and
``birnn``, ``bigru``, ``bilstm``. Each is a language model: the
unidirectional ones predict the next word, and the bidirectional ones train
a forward and a separate backward LM. A word's contextual vector is made of
the LM states around it (see ``forge/encoders/neural/_model.py``).

Importing this module imports torch; ``import forge`` alone never does.
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
from forge.encoders.neural._checkpoint import read_saved_model
from forge.encoders.neural._config import MIX_WEIGHT_STATIC, RecurrentConfig, resumable_params
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
from forge.encoders.neural._model import RecurrentLM, default_cutoffs
from forge.encoders.neural._train import (
    TrainingDivergedError,
    evaluate_nll,
    evaluate_stream_nll,
    load_module_tensors,
    module_tensors,
    resolve_device,
    setup_distributed,
    train_lm,
)
from forge.errors import BadInputError, DeviceError
from forge.vocab import Vocabulary

__all__ = ["RecurrentEncoder", "TrainingDivergedError", "RecurrentConfig", "choose_softmax", "RECIPE"]

log = logging.getLogger("forge.encoders.neural")
# the recipe for contextual vectors (issue 12): built on a skip-gram's static vectors, an ELMo-style mix that
# keeps them (layer 0) beside the recurrent states; the forget-gate bias of 1.0 is already the default.
# forge bench and the lab apply it to the recurrent encoders they train unless told otherwise.
RECIPE: dict[str, Any] = {"init_from": "skipgram", "layer": "mix"}
GPU_FULL_UNTIL = 50000  # softmax="auto" on CUDA: the full softmax up to this vocabulary size
# parameters a resumed run may change (they do not alter the weights being trained): declared on the config
RESUMABLE = resumable_params()


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


class RecurrentEncoder(BaseEncoder):
    """A recurrent language model (RNN, GRU or LSTM) whose states are contextual word vectors.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}
        The recurrent cell.
    bidirectional : bool
        Train a forward and a separate backward LM (ELMo-style); vectors are both states side by side.
    hidden_size, layers : int
        Width and depth of each recurrent stack.
    embedding_dim : int or None
        Input embedding width; None: that of ``init_from``, else ``hidden_size``.
    dropout : float
        Dropout on the embeddings, between layers and before the softmax.
    tie_weights : bool
        Share the input embedding with the output softmax (a projection is added when the widths differ).
    softmax : {"auto", "full", "adaptive", "sampled"}
        The output layer in training. ``adaptive`` is ``torch.nn.AdaptiveLogSoftmaxWithLoss``;
        ``sampled`` trains on the target and ``num_sampled`` words drawn from the unigram**0.75
        distribution (a full softmax at evaluation, so perplexity is exact); ``auto`` picks the
        fastest for the vocabulary size and device (see :func:`choose_softmax`), logs its choice and
        stores it in ``softmax_`` (the reason in ``softmax_reason_``).
    cutoffs : list of int or None
        Adaptive-softmax cluster boundaries (None: 2000, 10000, 50000 below the vocabulary size).
    num_sampled : int
        Words drawn per batch by the sampled softmax.
    context : {"sentence", "stream"}
        ``sentence``: each sentence is read from a zero state (``[<s>, w.., </s>]``), in
        length-bucketed batches; what ``embed`` does at use, so it is the default. ``stream``: the
        standard LM protocol (Zaremba et al. 2014, PyTorch's ``word_language_model``): the corpus is
        one token stream (``</s>`` after each sentence) cut into ``batch_size`` rows, read ``bptt``
        steps at a time, the state carried across batches and detached; ``perplexity()`` then reads
        the text as a stream too (10 rows), the figure LM papers report.
    bptt : int
        Steps per truncated-BPTT chunk in stream mode.
    forget_bias : float, "chrono" or None
        LSTM forget-gate bias at initialisation: 1.0 (Jozefowicz et al. 2015) keeps the gate open
        at the start, so information and gradients survive many steps; "chrono" draws it from
        ``log(U(1, T - 1))`` with T = ``bptt`` (stream) or ``max_len`` (Tallec & Ollivier 2018);
        None keeps PyTorch's initialisation. Ignored for RNN and GRU cells. On the lab's recall task
        (``benchmarks/results/rnn_long_range_recall.md``) 1.0 recalls across 10 distractors but not 20;
        "chrono" recalls across 40, at a cost in LM perplexity on short training runs.
    impl : {"fused", "scratch"}
        ``torch.nn.RNN/GRU/LSTM`` (cuDNN on GPU) or the cell equations written out; same weights.
    device : {"auto", "cpu", "cuda", "cuda:N"}
        Where to train and run; ``auto`` uses a GPU when there is one.
    precision : {"auto", "fp32", "bf16"}
        ``auto``: bf16 autocast on CUDA, fp32 on CPU.
    epochs, batch_size, lr : training length, sentences per (global) batch, learning rate.
    optimizer : {"adam", "sgd"}
        SGD divides the learning rate by 4 when the validation perplexity does not improve.
    clip_grad : float or None
        Clip the gradient norm to this value.
    max_len : int
        Training sentences longer than this are cut into pieces (embed takes any length).
    min_count, max_vocab : vocabulary limits; rarer words become ``<unk>`` in training.
    validation : float
        Fraction of sentences held out for early stopping on perplexity (0: none; corpora of fewer
        than 20 sentences hold none out).
    patience : int or None
        Stop after this many epochs without a better validation perplexity; the best weights are kept.
    layer : "top", "mean", "mix", int or list of floats
        What ``embed`` returns: the top layer, the mean of all layers (input embedding included), layer
        k (0 is the input embedding, doubled when bidirectional, as in ELMo), a weighted sum (a list
        of ``layers + 1`` weights), or ``"mix"``: an ELMo-style mix that keeps the static signal.
        ``"mix"`` scales each layer's vector to unit length, weights layer 0 (the input embedding)
        by 1/2 and each recurrent layer by 1/(2 x layers), and concatenates them (each scaled by the
        square root of its weight), so that the cosine of two mixed vectors is exactly the
        weighted mean of the per-layer cosines: half static, half contextual. Concatenating rather
        than summing lets layer 0 keep the width of ``init_from``'s vectors;
        ``dim = (embedding_dim + layers x hidden_size)``, doubled when bidirectional.
    init_from : fitted static encoder, path of a saved one, static encoder name, or None
        Initialise the input embedding from its vectors (e.g. a fitted ``skipgram``). The name of a
        registered static encoder (``"skipgram"``, ``"cbow"``...) first fits one on the same corpus
        (``vector_size=embedding_dim`` when set, ``seed``, one worker so that it is reproducible).
        The recipe for contextual vectors is ``init_from="skipgram", layer="mix"`` (see the README).
    freeze_embedding : bool
        Keep the input embedding fixed during training.
    oov : {"error", "zero", "unk"}
        Unknown words in ``embed``/``vector``: raise, use a zero input vector, or ``<unk>``'s.
    seed : int
        Fixes initialisation, batch order and dropout (results are identical on CPU).
    checkpoint_dir : path or None
        Write a checkpoint there after every epoch (atomically).
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` (start fresh when there is none).
    progress : bool
        Show a progress bar with loss, perplexity and tokens/s.

    Examples
    --------
    >>> import forge
    >>> corpus = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 5
    >>> enc = forge.create("bilstm", hidden_size=8, layers=1, epochs=1, progress=False).fit(corpus)
    >>> [v.shape for v in enc.embed([["the", "cat", "sat"]])]
    [(3, 16)]
    >>> enc.perplexity(corpus) > 1.0
    True
    """

    name: ClassVar[str] = "lstm"
    _tags: ClassVar[dict[str, Any]] = {"contextual": True, "order_sensitive": True}
    recipe: ClassVar[dict[str, Any]] = RECIPE  # what forge bench trains with unless --param says otherwise
    _test_params: ClassVar[dict[str, Any]] = {
        "hidden_size": 16,
        "layers": 1,
        "epochs": 1,
        "batch_size": 32,
        "dropout": 0.0,
        "validation": 0.0,
        "device": "cpu",
        "progress": False,
    }

    def __init__(
        self,
        cell: str = "lstm",
        bidirectional: bool = False,
        hidden_size: int = 256,
        layers: int = 2,
        embedding_dim: int | None = None,
        dropout: float = 0.2,
        tie_weights: bool = False,
        softmax: str = "auto",
        cutoffs: list[int] | None = None,
        num_sampled: int = 512,
        context: str = "sentence",
        bptt: int = 35,
        forget_bias: float | str | None = 1.0,
        impl: str = "fused",
        device: str = "auto",
        precision: str = "auto",
        epochs: int = 5,
        batch_size: int = 32,
        lr: float = 1e-3,
        optimizer: str = "adam",
        clip_grad: float | None = 1.0,
        max_len: int = 100,
        min_count: int = 1,
        max_vocab: int | None = None,
        validation: float = 0.05,
        patience: int | None = 2,
        layer: str | int | list[float] = "top",
        init_from: Any = None,
        freeze_embedding: bool = False,
        oov: str = "error",
        seed: int = 0,
        checkpoint_dir: str | None = None,
        resume: bool = False,
        progress: bool = True,
    ):
        self.cell = cell
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.layers = layers
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.tie_weights = tie_weights
        self.softmax = softmax
        self.cutoffs = cutoffs
        self.num_sampled = num_sampled
        self.context = context
        self.bptt = bptt
        self.forget_bias = forget_bias
        self.impl = impl
        self.device = device
        self.precision = precision
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.clip_grad = clip_grad
        self.max_len = max_len
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.validation = validation
        self.patience = patience
        self.layer = layer
        self.init_from = init_from
        self.freeze_embedding = freeze_embedding
        self.oov = oov
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress

    # ------------------------------------------------------------ validation
    def _validate_params(self) -> RecurrentConfig:
        """Check every parameter (constraints declared once, on :class:`RecurrentConfig`); returns the config.

        ``fit`` calls it; so may ``forge.load``. Errors name the parameter, the value and what is allowed.
        """
        return RecurrentConfig.from_params(self.get_params(), type(self).__name__)

    def _layer_weights(self, emb_dim: int) -> np.ndarray:
        """Mixing weights over the ``layers + 1`` representations for the ``layer`` setting."""
        self._validate_params()
        n = self.layers + 1
        spec = self.layer
        weights = np.zeros(n)
        if spec == "mix":  # concatenated, not summed (see _run): any widths go together
            weights[0] = MIX_WEIGHT_STATIC
            weights[1:] = (1.0 - MIX_WEIGHT_STATIC) / self.layers
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
        if np.count_nonzero(weights) > 1 and emb_dim != self.hidden_size and weights[0] != 0:
            raise BadInputError(
                f"layer={spec!r} mixes the input embedding (width {emb_dim}) with the recurrent "
                f"states (width {self.hidden_size}); set embedding_dim={self.hidden_size} or "
                f"leave the embedding out of the mix (weight 0 first)."
            )
        return weights

    # ------------------------------------------------------------------ fit
    def fit(self, corpus: Iterable[Sequence[str]], valid: Iterable[Sequence[str]] | None = None) -> RecurrentEncoder:
        """Train the language model on ``corpus`` (sentences of tokens); returns ``self``.

        ``valid``, a separate validation corpus (e.g. PTB's valid split), replaces the held-out
        ``validation`` fraction for early stopping (in stream mode the fraction is the stream's end).
        """
        config = self._validate_params()
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
            emb_dim = pretrained.shape[1] if pretrained is not None else (config.embedding_dim or config.hidden_size)
            self._check_widths(emb_dim)
            softmax, reason = config.softmax, "set by the softmax parameter"
            if softmax == "auto":
                softmax, reason = choose_softmax(len(vocab), device, config.tie_weights, config.num_sampled)
                log.info("%s: softmax='auto' picked %r (%s)", self.name or "rnn", softmax, reason)
            cutoffs = list(config.cutoffs) if config.cutoffs else default_cutoffs(len(vocab))
            params = {k: v for k, v in self._config_params().items() if k not in RESUMABLE}
            gpus = [torch.device(device).index or 0] if device.startswith("cuda") else []
            with torch.random.fork_rng(devices=gpus):  # seed our own run, leave the caller's RNG as it was
                torch.manual_seed(config.seed)
                model = self._build(len(vocab), emb_dim, softmax, cutoffs)
                if pretrained is not None:
                    with torch.no_grad():
                        model.embedding.weight.copy_(torch.from_numpy(pretrained))
                model.embedding.weight.requires_grad_(not config.freeze_embedding)
                model.set_proposal(counts)
                model.to(device)
                state = train_lm(
                    model, train_data, valid_data, vocab, device, dist, config, params, label=self.name or "rnn"
                )
        finally:
            dist.close()
        self.model_, self.device_, self.embedding_dim_ = model, device, emb_dim
        self.softmax_, self.softmax_reason_, self.cutoffs_, self.init_note_ = softmax, reason, cutoffs, note
        self.history_ = state.history
        self.vocab_ = vocab
        self._matrix_cache: np.ndarray | None = None
        return self

    def _encode(
        self,
        config: RecurrentConfig,
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

    def _build(self, vocab_size: int, emb_dim: int, softmax: str, cutoffs: list[int]) -> RecurrentLM:
        t_max = self.bptt if self.context == "stream" else self.max_len
        return RecurrentLM(
            vocab_size=vocab_size,
            cell=self.cell,
            impl=self.impl,
            bidirectional=self.bidirectional,
            embedding_dim=emb_dim,
            hidden_size=self.hidden_size,
            layers=self.layers,
            dropout=float(self.dropout),
            tie_weights=self.tie_weights,
            softmax=softmax,
            cutoffs=cutoffs,
            num_sampled=self.num_sampled,
            forget_bias=self.forget_bias,
            t_max=t_max,
        )

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
        valid = set(cls._param_names()) if hasattr(cls, "_param_names") else set()
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
            width = self.embedding_dim_ + self.layers * self.hidden_size
        else:
            width = self.embedding_dim_ if np.flatnonzero(weights).tolist() == [0] else self.hidden_size
        return width * (2 if self.bidirectional else 1)

    @property
    def static_dim(self) -> int:
        """Width of the context-free ``vector(word)``: the input embedding, doubled when bidirectional.

        It equals ``dim`` when ``embedding_dim == hidden_size`` (the default without ``init_from``).
        """
        self._check_fitted()
        return self.embedding_dim_ * (2 if self.bidirectional else 1)

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
        return np.hstack([matrix, matrix]) if self.bidirectional else matrix

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
        return np.concatenate([row, row]) if self.bidirectional else row.copy()

    # a narrower call than gensim's most_similar(positive=, negative=, ...) of KeyedMixin (kept as is)
    def most_similar(self, word: str | np.ndarray, topn: int = 10) -> list[tuple[str, float]]:  # type: ignore[override]
        """Nearest words by cosine of the input embeddings, excluding ``word`` itself."""
        self._check_fitted()
        if not isinstance(word, str):
            query = np.asarray(word, dtype=np.float32)
            if query.shape != (self.static_dim,):
                raise BadInputError(
                    f"most_similar expects a word or a vector of shape ({self.static_dim},) "
                    f"(the input embedding), got shape {query.shape}."
                )
        query = self.vector(word) if isinstance(word, str) else query
        norm = float(np.linalg.norm(query)) or 1.0
        if self.bidirectional:  # cosine of [q1, q2] with [e, e] = (q1 + q2) . e / (sqrt(2) |q| |e|)
            half = self.embedding_dim_
            query, norm = query[:half] + query[half:], norm * math.sqrt(2.0)
        scores = self._unit_matrix() @ (query / norm)
        skip = {self.vocab_.get(word)} if isinstance(word, str) else set()
        skip |= {self.vocab_[s] for s in (PAD, BOS, EOS)}
        order = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in skip]
        return [(self.vocab_.words[i], float(scores[i])) for i in order[:topn]]

    # ------------------------------------------------------------ contextual
    def _run(self, model_input: list[list[int]]) -> list[np.ndarray]:
        """Mixed layer representations for id lists (no boundary tokens), one array per sentence."""
        weights = torch.tensor(self._layer_weights(self.embedding_dim_), dtype=torch.float32)
        used = [k for k in range(len(weights)) if weights[k] != 0]
        mix = self.layer == "mix"
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
            with torch.no_grad():
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
            nll, count = evaluate_stream_nll(self.model_, stream, self.bptt, self.device_, self.precision)
            return math.exp(nll / count)
        data = encode_corpus(as_corpus(corpus), self.vocab_.index, self.max_len)
        if len(data) == 0:
            raise BadInputError("perplexity() got a corpus with no words; pass tokenised sentences.")
        nll, count = evaluate_nll(self.model_, data, self.batch_size, self.device_, self.precision)
        return math.exp(nll / count)

    def _more_tags(self) -> dict[str, Any]:
        device = getattr(self, "device_", None) or self.device
        return {"device": device, "deterministic": not str(device).startswith("cuda")}

    # ------------------------------------------------------------ persistence
    def _config_params(self) -> dict[str, Any]:
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

    def _save_state(self, directory: Path) -> None:
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
            "history": self.history_,
        }
        (directory / "recurrent.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
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
        self.softmax_reason_ = "as saved"
        self._matrix_cache = None
        self.vocab_ = vocab
