"""The recurrent language model behind the rnn/gru/lstm encoders (and their bi- variants).

Token ids come in as right-padded sentences ``[<s>, w_1 .. w_n, </s>]``.

* The forward stack reads left to right and, at each position, predicts the
  next token.
* The bidirectional model adds a second, *separate* stack (ELMo-style). It
  reads each sentence reversed and predicts the previous token. The two
  stacks never exchange states, so no position ever sees the word it
  predicts. (A stacked ``nn.LSTM(bidirectional=True)`` would leak the
  future into layer 2.) The embedding and the softmax are shared.

A word's contextual vector at layer k concatenates two states. The forward
state has read ``w_1..w_i`` and predicts ``w_{i+1}``; the backward state has
read ``w_n..w_i`` and predicts ``w_{i-1}``.

Stream mode (``context="stream"``, PyTorch's ``word_language_model``): the
corpus is one token stream cut into ``batch`` rows; ``forward(chunk, None,
states=...)`` reads a ``(batch, bptt + 1)`` chunk from the states the previous
chunk left (the trainer detaches them: truncated BPTT) and returns the new
states. The backward stack reads the reversed stream the same way.

Output layers: ``full`` (one linear layer + softmax), ``adaptive``
(``nn.AdaptiveLogSoftmaxWithLoss``) and ``sampled``. A sampled softmax trains
on the target and ``num_sampled`` words drawn from a proposal ``q`` (unigram
counts ** 0.75), shared by the batch, with logits corrected by ``-log(S q(w))``
and accidental hits removed (Jean et al. 2015; TensorFlow's
``sampled_softmax_loss``). Its weights are an ordinary linear layer, so in
evaluation (``model.eval()``) it is the full softmax: perplexity is exact.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from forge.encoders.neural._cells import ScratchLayer, _Fused, make_layer

__all__ = ["LanguageModel", "RecurrentLM", "default_cutoffs", "reverse_padded"]

PAD = 0


def default_cutoffs(vocab_size: int) -> list[int]:
    """Adaptive-softmax cluster boundaries: a frequent head, then tails 4x smaller per step."""
    cuts = [c for c in (2000, 10000, 50000) if c < vocab_size - 1]
    if not cuts:  # a small vocabulary: split it in halves so the adaptive path still works
        cuts = [max(1, vocab_size // 2)]
    return cuts


def _up(x: torch.Tensor) -> torch.Tensor:
    """float32 for half-precision tensors (bf16 autocast), anything wider unchanged."""
    return x.float() if x.dtype in (torch.bfloat16, torch.float16) else x


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first ``lengths[b]`` steps, padding stays on the right.

    ``x`` is (batch, time) or (batch, time, features); the operation is its own inverse.
    """
    steps = x.shape[1]
    t = torch.arange(steps, device=x.device).unsqueeze(0)  # (1, time)
    lens = lengths.to(x.device).unsqueeze(1)  # (batch, 1)
    idx = torch.where(t < lens, lens - 1 - t, t)  # (batch, time)
    if x.dim() == 3:
        idx = idx.unsqueeze(-1).expand(-1, -1, x.shape[2])
    return x.gather(1, idx)


class LanguageModel(nn.Module):
    """What every neural LM shares: the input embedding and the output layer (full, tied, adaptive, sampled).

    Subclasses build their layers between the two and implement ``forward`` (the trainer's
    protocol: ``(nll, count)`` in sentence mode, ``(nll, count, states)`` in stream mode) and
    ``layer_outputs`` (the representations ``embed`` mixes).
    """

    log_q: torch.Tensor  # a buffer (registered in _init_output); declared for the type checker
    reads_reversed = False  # stream mode: the trainer also feeds the reversed stream (ELMo's backward LM)
    directions: int | None = 1  # predictions per token; None: it varies by batch (a masked LM)

    def layer_outputs(self, tokens: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer vectors of the words ``w_1..w_n`` of right-padded ``[<s>, w.., </s>]`` rows."""
        raise NotImplementedError

    def _init_embedding(self, vocab_size: int, embedding_dim: int, dropout: float) -> None:
        """The input embedding (``embedding``, padding row zero) and the dropout module (``drop``)."""
        self.embedding_dim = embedding_dim
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        with torch.no_grad():
            self.embedding.weight[PAD].zero_()
        self.drop = nn.Dropout(dropout)

    def _init_output(
        self,
        *,
        vocab_size: int,
        top_width: int,
        tie_weights: bool,
        softmax: str,
        cutoffs: list[int] | None,
        num_sampled: int,
    ) -> None:
        """The output layer (``decoder``), after the layers (so that a seed draws the same weights as before)."""
        embedding_dim = self.embedding_dim
        # weight tying needs the decoder input to have the embedding's width: project when they differ
        self.proj = nn.Linear(top_width, embedding_dim) if tie_weights and embedding_dim != top_width else None
        dec_in = embedding_dim if tie_weights else top_width
        self.adaptive = softmax == "adaptive"
        self.sampled = softmax == "sampled"
        self.num_sampled = min(num_sampled, vocab_size)
        # proposal of the sampled softmax: log q(w); not saved (set from the corpus before training)
        self.register_buffer("log_q", torch.full((vocab_size,), -float(np.log(vocab_size))), persistent=False)
        self.decoder: nn.AdaptiveLogSoftmaxWithLoss | nn.Linear
        if self.adaptive:
            self.decoder = nn.AdaptiveLogSoftmaxWithLoss(
                dec_in, vocab_size, cutoffs or default_cutoffs(vocab_size), div_value=4.0
            )
        else:
            self.decoder = nn.Linear(dec_in, vocab_size)
            if tie_weights:
                self.decoder.weight = self.embedding.weight

    def set_proposal(self, counts: np.ndarray, power: float = 0.75) -> None:
        """The sampled softmax's proposal: ``q(w) ~ (count(w) + 1) ** power`` (padding never drawn)."""
        weights = (np.asarray(counts, dtype=np.float64) + 1.0) ** power
        weights[PAD] = 0.0
        with np.errstate(divide="ignore"):
            log_q = np.log(weights / weights.sum())  # -inf for padding: never drawn
        self.log_q.copy_(torch.from_numpy(log_q).to(self.log_q))

    def _sampled_nll_sum(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Sampled-softmax loss (see the module docstring): hidden (n, d), targets (n,)."""
        n_s = self.num_sampled
        samples = torch.multinomial(self.log_q.exp(), n_s, replacement=True)  # (S,)
        assert isinstance(self.decoder, nn.Linear), "the sampled softmax has a full decoder"
        weight, bias = self.decoder.weight, self.decoder.bias
        log_expected = self.log_q + float(np.log(n_s))  # log(S q(w))
        hidden = _up(hidden)
        true = (hidden * _up(weight[targets])).sum(-1) + _up(bias[targets]) - log_expected[targets]  # (n,)
        sampled = hidden @ _up(weight[samples]).t() + _up(bias[samples]) - log_expected[samples]  # (n, S)
        sampled = sampled.masked_fill(samples.unsqueeze(0) == targets.unsqueeze(1), float("-inf"))
        logits = torch.cat([true.unsqueeze(1), sampled], dim=1)  # (n, 1 + S)
        return F.cross_entropy(logits, torch.zeros_like(targets), reduction="sum")

    def _nll_sum(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of ``targets`` (n,) given top states (n, hidden).

        The sampled softmax's loss in training; the exact NLL otherwise.
        """
        hidden = self.drop(hidden)
        if self.proj is not None:
            hidden = self.proj(hidden)
        if self.adaptive:
            return -self.decoder(_up(hidden), targets).output.sum()
        if self.sampled and self.training:
            return self._sampled_nll_sum(hidden, targets)
        return F.cross_entropy(self.decoder(hidden).float(), targets, reduction="sum")


class RecurrentLM(LanguageModel):
    """Embedding -> recurrent stack(s) -> softmax (full, tied, or adaptive)."""

    def __init__(
        self,
        *,
        vocab_size: int,
        cell: str,
        impl: str,
        bidirectional: bool,
        embedding_dim: int,
        hidden_size: int,
        layers: int,
        dropout: float,
        tie_weights: bool,
        softmax: str,
        cutoffs: list[int] | None = None,
        num_sampled: int = 512,
        forget_bias: float | str | None = None,
        t_max: int = 100,
    ):
        super().__init__()
        self.bidirectional, self.layers = bidirectional, layers
        self.hidden_size = hidden_size
        self.reads_reversed, self.directions = bidirectional, 2 if bidirectional else 1
        self._init_embedding(vocab_size, embedding_dim, dropout)
        sizes = [embedding_dim] + [hidden_size] * layers
        self.fwd = nn.ModuleList(
            make_layer(impl, cell, sizes[k], hidden_size, forget_bias, t_max) for k in range(layers)
        )
        self.bwd = (
            nn.ModuleList(make_layer(impl, cell, sizes[k], hidden_size, forget_bias, t_max) for k in range(layers))
            if bidirectional
            else None
        )
        self._init_output(
            vocab_size=vocab_size,
            top_width=hidden_size,
            tie_weights=tie_weights,
            softmax=softmax,
            cutoffs=cutoffs,
            num_sampled=num_sampled,
        )

    # ----------------------------------------------------------------- stacks
    def _stack(self, stack: nn.ModuleList, x: torch.Tensor) -> list[torch.Tensor]:
        """Outputs of every layer, (batch, time, hidden) each; dropout between layers."""
        outs = []
        for k, layer in enumerate(stack):
            x = layer(x if k == 0 else self.drop(x))
            outs.append(x)
        return outs

    def _stream(self, stack: nn.ModuleList, tokens: torch.Tensor, states: list | None) -> tuple[torch.Tensor, list]:
        """Summed NLL of ``tokens[:, 1:]`` read from ``states``; (nll, new states). tokens (batch, T + 1)."""
        x = self.drop(self.embedding(tokens[:, :-1]))  # (batch, T, emb)
        new = []
        for k, layer in enumerate(stack):
            assert isinstance(layer, (ScratchLayer, _Fused)), "stacks hold make_layer's layers"
            x, state = layer.run(x if k == 0 else self.drop(x), None if states is None else states[k])
            new.append(state)
        targets = tokens[:, 1:].reshape(-1)
        return self._nll_sum(x.reshape(-1, x.shape[-1]), targets), new

    def forward(
        self,
        tokens: torch.Tensor,
        lengths: torch.Tensor | None = None,
        *,
        reverse: torch.Tensor | None = None,
        states: dict | None = None,
    ):
        """Language-model loss of a batch: (summed NLL over both directions, number of predictions).

        Sentence mode: ``tokens`` (batch, time) right-padded ``[<s>, w.., </s>]`` ids; ``lengths``
        (batch,) with the boundary tokens counted.

        Stream mode (``lengths=None``): ``tokens`` (batch, T + 1) chunks of the stream, ``reverse``
        the same of the reversed stream (bidirectional only), ``states`` what the previous chunk
        returned (None: zeros). Returns (nll, count, new states).
        """
        if lengths is None:
            states = states or {}
            nll, fwd = self._stream(self.fwd, tokens, states.get("fwd"))
            count = torch.tensor(tokens[:, 1:].numel(), device=tokens.device)
            new = {"fwd": fwd}
            if self.bwd is not None:
                assert reverse is not None, "a bidirectional model reads the reversed stream too"
                nll_b, bwd = self._stream(self.bwd, reverse, states.get("bwd"))
                nll, count, new["bwd"] = nll + nll_b, count * 2, bwd
            return nll, count, new
        emb = self.drop(self.embedding(tokens))  # (batch, time, emb)
        steps = tokens.shape[1] - 1
        mask = torch.arange(steps, device=tokens.device).unsqueeze(0) < (lengths.to(tokens.device) - 1).unsqueeze(1)
        top = self._stack(self.fwd, emb[:, :-1])[-1]  # (batch, time-1, hidden)
        nll = self._nll_sum(top[mask], tokens[:, 1:][mask])
        count = mask.sum()
        if self.bwd is not None:
            r_tokens, r_emb = reverse_padded(tokens, lengths), reverse_padded(emb, lengths)
            top = self._stack(self.bwd, r_emb[:, :-1])[-1]
            nll = nll + self._nll_sum(top[mask], r_tokens[:, 1:][mask])
            count = count * 2
        return nll, count

    # ---------------------------------------------------------- representations
    def layer_outputs(self, tokens: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer vectors of the words ``w_1..w_n`` (the boundary tokens dropped).

        Returns ``layers + 1`` tensors of shape (batch, max_n, width): index 0 is the input
        embedding (twice, side by side, when bidirectional, as in ELMo), index k the k-th layer's
        states (forward, or forward concatenated with backward). Rows past a sentence's end are
        padding.
        """
        emb = self.embedding(tokens)  # (batch, time, emb)
        n_max = tokens.shape[1] - 2
        words = emb[:, 1:-1] if n_max > 0 else emb[:, :0]  # (batch, n, emb)
        fwd = [h[:, 1:] for h in self._stack(self.fwd, emb[:, :-1])]  # state after reading w_i
        if self.bwd is None:
            return [words, *fwd]
        n = lengths.to(tokens.device) - 2  # words per sentence
        bwd_all = self._stack(self.bwd, reverse_padded(emb, lengths)[:, :-1])
        # the backward state of w_j (0-based) sits at reversed position n - j
        j = torch.arange(n_max, device=tokens.device).unsqueeze(0)
        idx = (n.unsqueeze(1) - j).clamp(min=0)  # (batch, n)
        idx = idx.unsqueeze(-1).expand(-1, -1, self.hidden_size)
        bwd = [h.gather(1, idx) for h in bwd_all]
        return [torch.cat([words, words], dim=-1)] + [torch.cat(p, dim=-1) for p in zip(fwd, bwd, strict=True)]
