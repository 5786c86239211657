"""Recurrent encoders: RNN, GRU and LSTM language models, left-to-right or bidirectional (ELMo-style).

One class serves six registered names: ``rnn``, ``gru``, ``lstm`` and
``birnn``, ``bigru``, ``bilstm``. Each is a language model: the
unidirectional ones predict the next word, and the bidirectional ones train
a forward and a separate backward LM. A word's contextual vector is made of
the LM states around it (see ``forge/encoders/_rnn_model.py``).

Importing this module imports torch; ``import forge`` alone never does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from forge._interface import OOV_POLICIES, BaseEncoder, _check_sentences, _dense
from forge.corpora import as_corpus
from forge.encoders._rnn_cells import CELLS, IMPLS
from forge.encoders._rnn_data import BOS, EOS, PAD, SPECIALS, encode_corpus, split_validation
from forge.encoders._rnn_model import RecurrentLM, default_cutoffs
from forge.encoders._rnn_train import (TrainingDivergedError, evaluate_nll, load_module_tensors,
                                       module_tensors, resolve_device, setup_distributed, train_lm)
from forge.errors import BadInputError, DeviceError
from forge.vocab import Vocabulary

__all__ = ["RecurrentEncoder", "TrainingDivergedError"]

SOFTMAXES = ("auto", "full", "adaptive")
OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("auto", "fp32", "bf16")
ADAPTIVE_FROM = 20000     # softmax="auto" turns adaptive from this vocabulary size on
# parameters a resumed run may change: they do not alter the weights being trained
RESUMABLE = ("epochs", "resume", "checkpoint_dir", "device", "impl", "progress", "patience", "layer", "oov")


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
    softmax : {"auto", "full", "adaptive"}
        ``adaptive`` (``torch.nn.AdaptiveLogSoftmaxWithLoss``) keeps large vocabularies fast;
        ``auto`` picks it from 20,000 words on.
    cutoffs : list of int or None
        Adaptive-softmax cluster boundaries (None: 2000, 10000, 50000 below the vocabulary size).
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
    layer : "top", "mean", int or list of floats
        What ``embed`` returns: the top layer, the mean of all layers (input embedding included), layer
        k (0 is the input embedding, doubled when bidirectional, as in ELMo), or a weighted mix.
    init_from : fitted static encoder, path of a saved one, or None
        Initialise the input embedding from its vectors (e.g. a fitted ``skipgram``).
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
    _test_params: ClassVar[dict[str, Any]] = {"hidden_size": 16, "layers": 1, "epochs": 1, "batch_size": 32,
                                               "dropout": 0.0, "validation": 0.0, "device": "cpu",
                                               "progress": False}

    def __init__(self, cell: str = "lstm", bidirectional: bool = False, hidden_size: int = 256, layers: int = 2,
                 embedding_dim: int | None = None, dropout: float = 0.2, tie_weights: bool = False,
                 softmax: str = "auto", cutoffs: list[int] | None = None, impl: str = "fused",
                 device: str = "auto", precision: str = "auto", epochs: int = 5, batch_size: int = 32,
                 lr: float = 1e-3, optimizer: str = "adam", clip_grad: float | None = 1.0, max_len: int = 100,
                 min_count: int = 1, max_vocab: int | None = None, validation: float = 0.05,
                 patience: int | None = 2, layer: str | int | list[float] = "top", init_from: Any = None,
                 freeze_embedding: bool = False, oov: str = "error", seed: int = 0,
                 checkpoint_dir: str | None = None, resume: bool = False, progress: bool = True):
        self.cell = cell
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.layers = layers
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.tie_weights = tie_weights
        self.softmax = softmax
        self.cutoffs = cutoffs
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
    def _validate_params(self) -> None:
        self._validate()

    def _validate(self) -> None:
        choices = {"cell": CELLS, "impl": IMPLS, "softmax": SOFTMAXES, "optimizer": OPTIMIZERS,
                   "precision": PRECISIONS, "oov": OOV_POLICIES}
        for key, valid in choices.items():
            if getattr(self, key) not in valid:
                raise BadInputError(f"{key}={getattr(self, key)!r} is not valid for {type(self).__name__}; "
                                    f"choose one of {', '.join(map(repr, valid))}.")
        if not isinstance(self.bidirectional, bool):
            raise BadInputError(f"bidirectional must be True or False, got {self.bidirectional!r}.")
        for key in ("hidden_size", "layers", "epochs", "batch_size", "max_len", "min_count"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "epochs" else 1):
                raise BadInputError(f"{key} must be a positive integer, got {value!r}.")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise BadInputError(f"dropout must be in [0, 1), got {self.dropout!r}.")
        if not 0.0 <= float(self.validation) < 1.0:
            raise BadInputError(f"validation must be a fraction in [0, 1), got {self.validation!r}.")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise BadInputError(f"lr must be a positive number, got {self.lr!r}.")
        if self.tie_weights and self.softmax == "adaptive":
            raise BadInputError("tie_weights=True needs softmax='full' (the adaptive softmax has its own "
                                "cluster weights); set one or the other.")
        self._layer_weights(self.embedding_dim or self.hidden_size)  # raises on a bad `layer`

    def _layer_weights(self, emb_dim: int) -> np.ndarray:
        """Mixing weights over the ``layers + 1`` representations for the ``layer`` setting."""
        n = self.layers + 1
        spec = self.layer
        weights = np.zeros(n)
        if spec == "top":
            weights[-1] = 1.0
        elif spec == "mean":
            weights[:] = 1.0 / n
        elif isinstance(spec, int) and not isinstance(spec, bool) and -n <= spec < n:
            weights[spec] = 1.0
        elif isinstance(spec, (list, tuple)) and len(spec) == n and all(isinstance(w, (int, float)) for w in spec):
            weights[:] = spec
        else:
            raise BadInputError(f"layer={spec!r} is not valid: use 'top', 'mean', a layer index 0..{n - 1} "
                                f"(0 = input embedding) or a list of {n} mixing weights.")
        if np.count_nonzero(weights) > 1 and emb_dim != self.hidden_size and weights[0] != 0:
            raise BadInputError(f"layer={spec!r} mixes the input embedding (width {emb_dim}) with the recurrent "
                                f"states (width {self.hidden_size}); set embedding_dim={self.hidden_size} or "
                                f"leave the embedding out of the mix (weight 0 first).")
        return weights

    # ------------------------------------------------------------------ fit
    def fit(self, corpus: Iterable[Sequence[str]], valid: Iterable[Sequence[str]] | None = None
            ) -> "RecurrentEncoder":
        """Train the language model on ``corpus`` (sentences of tokens); returns ``self``.

        ``valid``, a separate validation corpus (e.g. PTB's valid split), replaces the held-out
        ``validation`` fraction for early stopping.
        """
        self._validate_params()
        dist, device = setup_distributed(resolve_device(self.device))
        try:
            corpus = as_corpus(corpus)
            vocab = Vocabulary.build(corpus, self.min_count, self.max_vocab, SPECIALS)
            if len(vocab) == len(SPECIALS):
                raise BadInputError(f"The corpus {corpus!r} yielded no word seen at least min_count="
                                    f"{self.min_count} times; is it empty?")
            data = encode_corpus(corpus, vocab.index, self.max_len)
            if valid is not None:
                valid_data = encode_corpus(as_corpus(valid), vocab.index, self.max_len)
                train_data = data
            else:
                train_idx, valid_idx = split_validation(len(data), float(self.validation), self.seed)
                train_data, valid_data = data.subset(train_idx), data.subset(valid_idx)
            pretrained, note = self._pretrained(vocab)
            emb_dim = pretrained.shape[1] if pretrained is not None else (self.embedding_dim or self.hidden_size)
            self._layer_weights(emb_dim)
            softmax = self.softmax
            if softmax == "auto":
                softmax = "adaptive" if len(vocab) >= ADAPTIVE_FROM and not self.tie_weights else "full"
            cutoffs = list(self.cutoffs) if self.cutoffs else default_cutoffs(len(vocab))
            params = {k: v for k, v in self._config_params().items() if k not in RESUMABLE}
            gpus = [torch.device(device).index or 0] if device.startswith("cuda") else []
            with torch.random.fork_rng(devices=gpus):   # seed our own run, leave the caller's RNG as it was
                torch.manual_seed(self.seed)
                model = self._build(len(vocab), emb_dim, softmax, cutoffs)
                if pretrained is not None:
                    with torch.no_grad():
                        model.embedding.weight.copy_(torch.from_numpy(pretrained))
                model.embedding.weight.requires_grad_(not self.freeze_embedding)
                model.to(device)
                state = train_lm(self, model, train_data, valid_data, vocab, device, dist, params)
        finally:
            dist.close()
        self.model_, self.device_, self.embedding_dim_ = model, device, emb_dim
        self.softmax_, self.cutoffs_, self.init_note_ = softmax, cutoffs, note
        self.history_ = state.history
        self.vocab_ = vocab
        self._matrix_cache = None
        return self

    def _build(self, vocab_size: int, emb_dim: int, softmax: str, cutoffs: list[int]) -> RecurrentLM:
        return RecurrentLM(vocab_size=vocab_size, cell=self.cell, impl=self.impl, bidirectional=self.bidirectional,
                           embedding_dim=emb_dim, hidden_size=self.hidden_size, layers=self.layers,
                           dropout=float(self.dropout), tie_weights=self.tie_weights, softmax=softmax,
                           cutoffs=cutoffs)

    def _pretrained(self, vocab: Vocabulary) -> tuple[np.ndarray | None, str | None]:
        """The embedding matrix from ``init_from`` (uncovered words drawn at the same scale)."""
        src = self.init_from
        if src is None:
            return None, None
        if isinstance(src, (str, Path)):
            from forge._persist import load
            src = load(src)
        if not isinstance(src, BaseEncoder) or not src.is_fitted:
            raise BadInputError(f"init_from must be a fitted static forge encoder (e.g. forge.create('skipgram')"
                                f".fit(corpus)) or the path of a saved one; got {self.init_from!r}.")
        if src.tags.get("contextual"):
            raise BadInputError(f"init_from={src!r} is contextual; it needs a static encoder whose vector(word) "
                                f"is the same in every sentence (word2vec, skipgram, cbow...).")
        dim = src.dim
        if self.embedding_dim is not None and self.embedding_dim != dim:
            raise BadInputError(f"embedding_dim={self.embedding_dim} but init_from has {dim}-dimensional vectors; "
                                f"leave embedding_dim=None to take the width of init_from.")
        rows, covered = {}, 0
        for i, word in enumerate(vocab.words):
            if i >= len(SPECIALS) and word in src:
                rows[i] = _dense(src.vector(word))
                covered += 1
        if not rows:
            raise BadInputError(f"init_from={src!r} shares no word with this corpus' vocabulary; was it trained "
                                f"on another language or tokenisation?")
        known = np.stack(list(rows.values()))
        rng = np.random.RandomState(self.seed)
        matrix = rng.normal(0.0, float(known.std()) or 0.1, size=(len(vocab), dim)).astype(np.float32)
        matrix[list(rows)] = known
        matrix[vocab[PAD]] = 0.0
        words = len(vocab) - len(SPECIALS)
        self.init_coverage_ = covered / words
        return matrix, f"{getattr(src, 'name', type(src).__name__)} ({dim}-d, {covered}/{words} words covered)"

    # --------------------------------------------------------------- vectors
    @property
    def dim(self) -> int:
        """Width of the ``embed`` vectors (doubled when bidirectional)."""
        self._check_fitted()
        weights = self._layer_weights(self.embedding_dim_)
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
        if getattr(self, "_matrix_cache", None) is None:
            self._matrix_cache = self.model_.embedding.weight.detach().float().cpu().numpy().copy()
        return self._matrix_cache

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

    def most_similar(self, word: str | np.ndarray, topn: int = 10) -> list[tuple[str, float]]:
        """Nearest words by cosine of the input embeddings, excluding ``word`` itself."""
        self._check_fitted()
        if not isinstance(word, str):
            query = np.asarray(word, dtype=np.float32)
            if query.shape != (self.static_dim,):
                raise BadInputError(f"most_similar expects a word or a vector of shape ({self.static_dim},) "
                                    f"(the input embedding), got shape {query.shape}.")
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
        bos, eos = self.vocab_[BOS], self.vocab_[EOS]
        order = sorted(range(len(model_input)), key=lambda i: len(model_input[i]))
        out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(model_input)
        self.model_.eval()
        step = max(self.batch_size, 64)
        for start in range(0, len(order), step):
            chunk = [i for i in order[start:start + step] if model_input[i]]
            if not chunk:
                continue
            lengths = np.array([len(model_input[i]) + 2 for i in chunk])
            tokens = np.zeros((len(chunk), lengths.max()), dtype=np.int64)
            for row, i in enumerate(chunk):
                tokens[row, :lengths[row]] = [bos, *model_input[i], eos]
            with torch.no_grad():
                reps = self.model_.layer_outputs(torch.from_numpy(tokens).to(self.device_),
                                                 torch.from_numpy(lengths).to(self.device_))
                mixed = sum(float(weights[k]) * reps[k].float() for k in used)   # (batch, n, dim)
            mixed = mixed.cpu().numpy()
            for row, i in enumerate(chunk):
                out[i] = np.ascontiguousarray(mixed[row, :lengths[row] - 2], dtype=np.float32)
        return out

    def embed(self, sentences: Iterable[Sequence[str]]) -> list[np.ndarray]:
        """Contextual vectors: one ``(len(sentence), dim)`` array per sentence (any length).

        Unknown words follow ``oov``; ``oov="zero"`` feeds them as a zero input vector.
        """
        self._check_fitted()
        sents = _check_sentences(sentences)
        ids = [[idx if idx is not None else self.vocab_[PAD] for idx in map(self._index, s)] for s in sents]
        return self._run(ids)

    def perplexity(self, corpus: Iterable[Sequence[str]]) -> float:
        """Perplexity on ``corpus`` (unknown words count as ``<unk>``; each sentence ends with ``</s>``).

        Bidirectional encoders report exp of the mean of the forward and backward losses, as ELMo does.
        """
        self._check_fitted()
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
                raise BadInputError(f"Parameter {key}={value!r} of {type(self).__name__} cannot be saved as "
                                    f"JSON.") from None
        return params

    def _save_state(self, directory: Path) -> None:
        from safetensors.torch import save_file
        save_file(module_tensors(self.model_), str(directory / "model.safetensors"))
        self.vocab_.save(directory / "vocab.json")
        meta = {"embedding_dim": self.embedding_dim_, "softmax": self.softmax_, "cutoffs": self.cutoffs_,
                "init_from": self.init_note_, "trained_on": self.device_, "history": self.history_}
        (directory / "recurrent.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
        from forge.encoders._rnn_checkpoint import read_saved_model
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
        self._matrix_cache = None
        self.vocab_ = vocab
