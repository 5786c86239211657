"""Recurrent encoders: RNN, GRU and LSTM language models, left-to-right or bidirectional (ELMo-style).

One class serves six registered names: ``rnn``, ``gru``, ``lstm`` and
``birnn``, ``bigru``, ``bilstm``. Each is a language model: the
unidirectional ones predict the next word, and the bidirectional ones train
a forward and a separate backward LM. A word's contextual vector is made of
the LM states around it (see ``forge/encoders/neural/_model.py``).

Importing this module imports torch; ``import forge`` alone never does.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from forge._params import dataclass_constraints
from forge.encoders.neural._config import MIX_WEIGHT_STATIC, RecurrentConfig, resumable_params
from forge.encoders.neural._encoder import GPU_FULL_UNTIL, NeuralEncoder, choose_softmax
from forge.encoders.neural._model import RecurrentLM
from forge.errors import TrainingDivergedError

__all__ = [
    "GPU_FULL_UNTIL",
    "RECIPE",
    "RecurrentConfig",
    "RecurrentEncoder",
    "TrainingDivergedError",
    "choose_softmax",
]

log = logging.getLogger("forge.encoders.neural")
# the recipe for contextual vectors (issue 12): built on a skip-gram's static vectors, an ELMo-style mix that
# keeps them (layer 0) beside the recurrent states; the forget-gate bias of 1.0 is already the default.
# forge bench and the lab apply it to the recurrent encoders they train unless told otherwise.
RECIPE: dict[str, Any] = {"init_from": "skipgram", "layer": "mix"}
# parameters a resumed run may change (they do not alter the weights being trained): declared on the config
RESUMABLE = resumable_params()


class RecurrentEncoder(NeuralEncoder):
    """A recurrent language model (RNN, GRU or LSTM) whose states are contextual word vectors.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}
        The recurrent cell.
    bidirectional : bool
        Train a forward and a separate backward LM (ELMo-style); vectors are both states side by side.
    hidden_size, layers : int
        Width and depth of each recurrent stack. The defaults (128, 1; ``batch_size=64``) are sized for a
        first model in minutes: on gensim-default's 0.5M tokens on 2 CPU cores, ``forge train bilstm``
        with no parameters takes about 3 minutes (``benchmarks/results/readme_timings.md``). Larger
        corpora want more (PTB's ``word_language_model`` uses 2 x 200 to 2 x 1500).
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
    precision : {"auto", "fp32", "tf32", "bf16"}
        ``auto``: bf16 autocast on CUDA, fp32 on CPU. ``fp32`` is true fp32 on CUDA too (TF32 off for
        cuDNN and matrix products while forge trains or embeds, restored afterwards); ``tf32`` allows
        TF32 for speed. The choice made is stored in ``precision_`` and in each ``history_`` record.
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
        by ``mix_static`` (1/2) and each recurrent layer by ``(1 - mix_static) / layers``, and
        concatenates them (each scaled by the square root of its weight), so that the cosine of two
        mixed vectors is exactly the weighted mean of the per-layer cosines: half static, half
        contextual by default. Concatenating rather
        than summing lets layer 0 keep the width of ``init_from``'s vectors;
        ``dim = (embedding_dim + layers x hidden_size)``, doubled when bidirectional.
    mix_static : float
        ``layer="mix"`` only: the static input embedding's share of the cosine, in [0, 1] (0.5). Like
        ELMo's task-specific layer weights, fit it on a development split of the task at hand (never on
        the test data); changing it does not retrain (``set_params(mix_static=0.7)``).
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
    progress : bool or None
        Show a progress bar with the training loss (labelled with its objective), the exact training
        perplexity of the last epoch and tokens/s. None (the default): only when stderr is a terminal.

    Examples
    --------
    >>> import forge
    >>> corpus = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 5
    >>> enc = forge.create("bilstm", hidden_size=8, layers=1, epochs=1, init_from=None, layer="top").fit(corpus)
    >>> [v.shape for v in enc.embed([["the", "cat", "sat"]])]
    [(3, 16)]
    >>> recipe = forge.create("bilstm", hidden_size=8, layers=1, epochs=1).fit(corpus)  # on a skip-gram, "mix"
    >>> recipe.dim, recipe.static_dim  # (100 skip-gram + 8 LSTM) x 2 directions; 100 x 2
    (216, 200)
    >>> enc.perplexity(corpus) > 1.0
    True
    """

    name: ClassVar[str] = "lstm"
    _config_class = RecurrentConfig
    param_constraints = dataclass_constraints(RecurrentConfig)  # declared once, on the config's fields
    recipe: ClassVar[dict[str, Any]] = RECIPE  # what forge bench trains with unless --param says otherwise
    test_params: ClassVar[dict[str, Any]] = {
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
        hidden_size: int = 128,
        layers: int = 1,
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
        batch_size: int = 64,
        lr: float = 1e-3,
        optimizer: str = "adam",
        clip_grad: float | None = 1.0,
        max_len: int = 100,
        min_count: int = 1,
        max_vocab: int | None = None,
        validation: float = 0.05,
        patience: int | None = 2,
        layer: str | int | list[float] = "mix",
        mix_static: float = MIX_WEIGHT_STATIC,
        init_from: Any = "skipgram",
        freeze_embedding: bool | None = None,
        oov: str = "error",
        seed: int = 0,
        checkpoint_dir: str | None = None,
        resume: bool = False,
        progress: bool | None = None,
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
        self.mix_static = mix_static
        self.init_from = init_from
        self.freeze_embedding = freeze_embedding
        self.oov = oov
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress

    @property
    def _width(self) -> int:
        return self.hidden_size

    @property
    def _doubled(self) -> bool:
        return self.bidirectional

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
