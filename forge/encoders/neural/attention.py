"""Self-attention encoders: a causal Transformer LM (``transformer``) and a masked LM (``bitransformer``).

One class serves both registered names. They share everything with the recurrent encoders but the
layers (:class:`~forge.encoders.neural._encoder.NeuralEncoder`: data, trainer, checkpoints, the
ELMo-style mix, the gensim surface); the model is in ``forge/encoders/neural/_attention.py``.

Importing this module imports torch; ``import forge`` alone never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from forge._interface import _check_sentences
from forge._params import dataclass_constraints
from forge.encoders.neural._attention import TransformerLM
from forge.encoders.neural._config import MIX_WEIGHT_STATIC, AttentionConfig
from forge.encoders.neural._data import BOS, EOS, PAD
from forge.encoders.neural._encoder import NeuralEncoder
from forge.encoders.neural._train import precision_scope
from forge.errors import BadInputError

__all__ = ["AttentionConfig", "AttentionEncoder"]


class AttentionEncoder(NeuralEncoder):
    """A Transformer language model whose block outputs are contextual word vectors.

    Parameters
    ----------
    bidirectional : bool
        False (``transformer``): a causal LM, each position attends to itself and the positions
        before it and predicts the next word. True (``bitransformer``): a masked LM (BERT's
        objective: 15% of the positions, 80% replaced by ``[MASK]``, 10% by a random word, 10%
        kept), every position attends to the whole sentence.
    layers, d_model, heads, ff : int
        Blocks, model width, attention heads (``d_model`` divisible by ``heads``) and the width of
        each block's feed-forward layer.
    embedding_dim : int or None
        Input embedding width; None: that of ``init_from``, else ``d_model``. When it differs from
        ``d_model`` a linear projection maps it to ``d_model`` (and back before the tied output).
    dropout : float
        Dropout on the embeddings, the attention weights and each residual branch.
    max_len : int
        Training sentences longer than this are cut into pieces; with ``positions="learned"`` the
        position table has ``max_len + 2`` rows (``bptt + 1`` in stream mode, if larger), the
        longest sequence the model can read.
    positions : {"sinusoidal", "learned", "rope"}
        Fixed sine/cosine table added to the input (Vaswani et al. 2017), a learned table, or rotary
        positions applied to queries and keys (Su et al. 2021).
    impl : {"fused", "scratch"}
        ``torch.nn.functional.scaled_dot_product_attention`` (flash / memory-efficient kernels on
        GPU) or the attention written out: scores, mask, softmax, weighted sum; same weights.
    tie_weights : bool
        Share the input embedding with the output softmax (default True).
    softmax, cutoffs, num_sampled, context, bptt, device, precision, epochs, batch_size, lr,
    optimizer, clip_grad, min_count, max_vocab, validation, patience, layer, mix_static, init_from,
    freeze_embedding, oov, seed, checkpoint_dir, resume, progress
        As for :class:`~forge.encoders.neural.recurrent.RecurrentEncoder` (one trainer, one data
        pipeline). In stream mode each ``bptt``-token chunk is the context (no state is carried).
        ``layer="mix"`` gives ``dim = embedding_dim + layers x d_model``.

    Examples
    --------
    >>> import forge
    >>> corpus = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 5
    >>> enc = forge.create("transformer", d_model=16, heads=2, ff=32, layers=1, epochs=1, init_from=None, layer="top")
    >>> enc = enc.fit(corpus)
    >>> [v.shape for v in enc.embed([["the", "cat", "sat"]])]
    [(3, 16)]
    >>> enc.attention_weights(["the", "cat", "sat"]).shape
    (1, 2, 3, 3)
    """

    name: ClassVar[str] = "transformer"
    _config_class = AttentionConfig
    param_constraints = dataclass_constraints(AttentionConfig)  # declared once, on the config's fields
    _META_FILE: ClassVar[str] = "attention.json"
    test_params: ClassVar[dict[str, Any]] = {
        "d_model": 16,
        "heads": 2,
        "ff": 32,
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
        bidirectional: bool = False,
        layers: int = 2,
        d_model: int = 128,
        heads: int = 4,
        ff: int = 512,
        embedding_dim: int | None = None,
        dropout: float = 0.1,
        max_len: int = 100,
        positions: str = "sinusoidal",
        impl: str = "fused",
        tie_weights: bool = True,
        softmax: str = "auto",
        cutoffs: list[int] | None = None,
        num_sampled: int = 512,
        context: str = "sentence",
        bptt: int = 35,
        device: str = "auto",
        precision: str = "auto",
        epochs: int = 5,
        batch_size: int = 32,
        lr: float = 1e-3,
        optimizer: str = "adam",
        clip_grad: float | None = 1.0,
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
        self.bidirectional = bidirectional
        self.layers = layers
        self.d_model = d_model
        self.heads = heads
        self.ff = ff
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.max_len = max_len
        self.positions = positions
        self.impl = impl
        self.tie_weights = tie_weights
        self.softmax = softmax
        self.cutoffs = cutoffs
        self.num_sampled = num_sampled
        self.context = context
        self.bptt = bptt
        self.device = device
        self.precision = precision
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.clip_grad = clip_grad
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
        return self.d_model

    def _build(self, vocab_size: int, emb_dim: int, softmax: str, cutoffs: list[int]) -> TransformerLM:
        return TransformerLM(
            vocab_size=vocab_size,
            embedding_dim=emb_dim,
            d_model=self.d_model,
            heads=self.heads,
            ff=self.ff,
            layers=self.layers,
            dropout=float(self.dropout),
            positions=self.positions,
            max_positions=max(self.max_len + 2, self.bptt + 1),
            impl=self.impl,
            bidirectional=self.bidirectional,
            tie_weights=self.tie_weights,
            softmax=softmax,
            cutoffs=cutoffs,
            num_sampled=self.num_sampled,
        )

    def attention_weights(self, sentence: Sequence[str], boundaries: bool = False) -> np.ndarray:
        """Each head's attention weights over ``sentence``: ``(layers, heads, T, T)``, row = query, column = key.

        ``T = len(sentence)`` (``boundaries=False``: the words only, so a row sums to 1 minus the
        weight on ``<s>`` and ``</s>``) or ``len(sentence) + 2`` with the boundary tokens first and
        last. The causal ``transformer``'s rows are zero right of the diagonal.

        >>> import forge
        >>> enc = forge.create("bitransformer", d_model=8, heads=2, ff=16, layers=1, epochs=1, init_from=None)
        >>> w = enc.fit([["a", "b", "c"]] * 8).attention_weights(["a", "b", "c"], boundaries=True)
        >>> w.shape, bool(np.allclose(w.sum(-1), 1.0))
        ((1, 2, 5, 5), True)
        """
        self._check_fitted()
        (words,) = _check_sentences([sentence])
        ids = [idx if idx is not None else self.vocab_[PAD] for idx in map(self._index, words)]
        bos = self.vocab_[EOS] if self.context == "stream" else self.vocab_[BOS]
        tokens = torch.tensor([[bos, *ids, self.vocab_[EOS]]], device=self.device_)
        lengths = torch.tensor([len(ids) + 2], device=self.device_)
        if self.positions == "learned" and tokens.shape[1] > max(self.max_len + 2, self.bptt + 1):
            raise BadInputError(
                f"attention_weights: the sentence has {len(ids)} words, more than max_len={self.max_len} "
                f"learned positions allow; pass a shorter sentence."
            )
        model = self.model_
        assert isinstance(model, TransformerLM), "an attention encoder holds a TransformerLM"
        model.eval()
        with torch.no_grad(), precision_scope(self.precision_):
            maps = model.attention_maps(tokens, lengths)[0].float().cpu().numpy()  # (layers, heads, T, T)
        return maps if boundaries else np.ascontiguousarray(maps[:, :, 1:-1, 1:-1])
