"""The self-attention language models behind the ``transformer`` and ``bitransformer`` encoders.

Token ids come in as in the recurrent models (right-padded ``[<s>, w_1 .. w_n, </s>]``, or stream
chunks), and the output layer is the same (:class:`~forge.encoders.neural._model.LanguageModel`:
full, tied, adaptive or sampled softmax), so one trainer serves both families.

* **Causal** (``bidirectional=False``, the ``transformer``): position t attends to positions
  ``<= t`` only (a causal mask) and predicts token t + 1; its vector never depends on a later
  token (tested bit for bit).
* **Masked** (``bidirectional=True``, the ``bitransformer``, BERT's objective): every position
  attends to every real position (padding is masked out as keys); 15% of the positions after
  ``<s>`` are chosen, of which 80% are replaced by a learned ``[MASK]`` vector, 10% by a random
  word and 10% left as they are, and the model predicts the original words there. In evaluation
  the choice is drawn from a fixed seed, so validation perplexity is repeatable; it is the
  perplexity of the masked words, not of a left-to-right LM.

Each block is pre-LN (Xiong et al. 2020; GPT-2): ``x + attn(LN(x))`` then ``x + ff(LN(x))``, and
a final LayerNorm feeds the output layer. Attention is
``torch.nn.functional.scaled_dot_product_attention`` (``impl="fused"``: flash and
memory-efficient kernels on GPU) or written out (``impl="scratch"``: scores, mask, softmax,
weighted sum; the same weights and, up to rounding, the same numbers).

Positions (``positions``): ``sinusoidal`` (Vaswani et al. 2017; a fixed table, scaled to the
embeddings' initial range and added), ``learned`` (a trained table of ``max_len + 2`` rows, or
``bptt + 1`` in stream mode) or ``rope`` (rotary, Su et al. 2021: queries and keys rotated by
their position, nothing added). Sinusoidal and rotary positions take any length.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from forge.encoders.neural._model import LanguageModel
from forge.errors import BadInputError

__all__ = ["EVAL_MASK_SEED", "MASK_RATE", "SelfAttention", "TransformerLM", "rope_tables", "sinusoidal_table"]

MASK_RATE = 0.15  # share of positions a masked LM predicts (BERT)
EVAL_MASK_SEED = 1234  # the masked positions in evaluation: drawn from this seed, so validation is repeatable
SINUSOID_SCALE = 0.1  # the sinusoidal table (values in [-1, 1]) scaled to the embeddings' initial range


def sinusoidal_table(steps: int, width: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(steps, width): ``sin(p / 10000^(2i/width))`` in even columns, ``cos`` in odd ones (Vaswani et al.)."""
    pos = torch.arange(steps, dtype=torch.float32, device=device).unsqueeze(1)  # (steps, 1)
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / width))
    table = torch.zeros(steps, width, device=device)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: width // 2])
    return table


def rope_tables(
    steps: int, head_dim: int, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin), each (steps, head_dim): the rotation angles of rotary positions (GPT-NeoX layout)."""
    inv = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim))
    angles = torch.arange(steps, dtype=torch.float32, device=device).unsqueeze(1) * inv  # (steps, head_dim / 2)
    angles = torch.cat([angles, angles], dim=-1)  # (steps, head_dim)
    return angles.cos(), angles.sin()


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary positions: each pair (x_i, x_{i + d/2}) rotated by its angle; x (batch, heads, time, d)."""
    half = x.shape[-1] // 2
    turned = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos.to(x.dtype) + turned * sin.to(x.dtype)


class SelfAttention(nn.Module):
    """Multi-head self-attention, fused (SDPA) or written out (scratch), causal or over real keys."""

    def __init__(self, d_model: int, heads: int, dropout: float, impl: str, causal: bool):
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.impl, self.causal, self.p = impl, causal, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.attn_drop = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        keys: torch.Tensor | None,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (batch, time, d_model); keys (batch, time) bool, True for real positions (None: all real).

        Returns (output (batch, time, d_model), weights (batch, heads, time, time) or None).
        """
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)  # (b, h, t, hd) each
        if rope is not None:
            q, k = _rotate(q, *rope), _rotate(k, *rope)
        p = self.p if self.training else 0.0
        weights = None
        if self.impl == "fused" and not need_weights:
            if self.causal:  # right padding never reaches a real position: a causal mask is enough
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            else:
                mask = None if keys is None else keys[:, None, None, :]  # (b, 1, 1, t): True = attend
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            # the teaching version: scores, mask, softmax, weighted sum
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)  # (b, h, t, t)
            if self.causal:
                allowed = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()  # query i sees keys <= i
                scores = scores.masked_fill(~allowed, float("-inf"))
            elif keys is not None:
                scores = scores.masked_fill(~keys[:, None, None, :], float("-inf"))
            weights = torch.softmax(scores.float(), dim=-1).to(q.dtype)  # (b, h, t, t), rows sum to 1
            y = self.attn_drop(weights) @ v  # (b, h, t, hd)
        y = y.transpose(1, 2).reshape(b, t, d)  # heads side by side again
        return self.out(y), weights


class Block(nn.Module):
    """Pre-LN transformer block: ``x + attn(LN(x))``, then ``x + ff(LN(x))`` (GELU)."""

    def __init__(self, d_model: int, heads: int, ff: int, dropout: float, impl: str, causal: bool):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, heads, dropout, impl, causal)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff1, self.ff2 = nn.Linear(d_model, ff), nn.Linear(ff, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, keys, rope, need_weights: bool = False):
        a, weights = self.attn(self.ln1(x), keys, rope, need_weights)
        x = x + self.drop(a)
        x = x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))
        return x, weights


class TransformerLM(LanguageModel):
    """Embedding (+ projection) + positions -> pre-LN blocks -> LayerNorm -> softmax (see the module docstring)."""

    def __init__(
        self,
        *,
        vocab_size: int,
        embedding_dim: int,
        d_model: int,
        heads: int,
        ff: int,
        layers: int,
        dropout: float,
        positions: str,
        max_positions: int,
        impl: str,
        bidirectional: bool,
        tie_weights: bool,
        softmax: str,
        cutoffs: list[int] | None = None,
        num_sampled: int = 512,
    ):
        super().__init__()
        self.bidirectional, self.layers, self.d_model, self.heads = bidirectional, layers, d_model, heads
        self.positions, self.max_positions = positions, max_positions
        self.directions = None if bidirectional else 1  # a masked LM predicts a varying number of positions
        self._init_embedding(vocab_size, embedding_dim, dropout)
        # init_from vectors of another width: projected to d_model (and back, for tied output weights)
        self.in_proj = nn.Linear(embedding_dim, d_model) if embedding_dim != d_model else None
        self.pos = nn.Embedding(max_positions, d_model) if positions == "learned" else None
        if self.pos is not None:
            nn.init.normal_(self.pos.weight, 0.0, 0.02)
        self.mask_vector = nn.Parameter(torch.randn(embedding_dim) * 0.02) if bidirectional else None
        self.blocks = nn.ModuleList(Block(d_model, heads, ff, dropout, impl, not bidirectional) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        self._init_output(
            vocab_size=vocab_size,
            top_width=d_model,
            tie_weights=tie_weights,
            softmax=softmax,
            cutoffs=cutoffs,
            num_sampled=num_sampled,
        )

    # ----------------------------------------------------------------- the stack
    def _layers(
        self, emb: torch.Tensor, keys: torch.Tensor | None, need_weights: bool = False
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Outputs of every block (the last one after the final LayerNorm) and, if asked, the attention weights.

        emb (batch, time, embedding_dim); keys (batch, time) bool or None. Outputs (batch, time, d_model).
        """
        t = emb.shape[1]
        x = self.in_proj(emb) if self.in_proj is not None else emb  # (b, t, d_model)
        rope = None
        if self.positions == "learned":
            assert self.pos is not None, "learned positions have a table"
            if t > self.max_positions:
                raise BadInputError(
                    f"A sequence of {t} tokens (boundaries included) is longer than the {self.max_positions} "
                    f"learned positions of this model (positions='learned', max_len + 2); cut the sentence, "
                    f"or train with positions='sinusoidal' or 'rope', which take any length."
                )
            x = x + self.pos.weight[:t]
        elif self.positions == "sinusoidal":
            x = x + SINUSOID_SCALE * sinusoidal_table(t, self.d_model, x.device).to(x.dtype)
        else:
            rope = rope_tables(t, self.d_model // self.heads, x.device)
        x = self.drop(x)
        outs, maps = [], []
        for block in self.blocks:
            x, w = block(x, keys, rope, need_weights)
            outs.append(x)
            if w is not None:
                maps.append(w)
        outs[-1] = self.ln_f(outs[-1])
        return outs, maps

    def _masked_positions(
        self, tokens: torch.Tensor, candidates: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(chosen (b, t) bool, inputs (b, t) ids with 10% random words, replace-by-[MASK] (b, t) bool).

        Training draws from torch's generator (saved in checkpoints: resuming is exact); evaluation
        from :data:`EVAL_MASK_SEED`.
        """
        gen = None
        if not self.training:
            gen = torch.Generator(device=tokens.device)
            gen.manual_seed(EVAL_MASK_SEED)
        draw = torch.rand(tokens.shape, generator=gen, device=tokens.device)
        how = torch.rand(tokens.shape, generator=gen, device=tokens.device)
        chosen = (draw < MASK_RATE) & candidates
        if not bool(chosen.any()):  # a tiny batch drew nothing: predict its first candidate
            first = candidates.flatten().nonzero()[:1]
            chosen = chosen.flatten().index_fill(0, first.flatten(), True).view_as(chosen)
        vocab = self.embedding.num_embeddings
        random_ids = torch.randint(4, max(vocab, 5), tokens.shape, generator=gen, device=tokens.device)
        swap = chosen & (how >= 0.8) & (how < 0.9)  # 10%: a random word (ids 0..3 are the special tokens)
        inputs = torch.where(swap, random_ids.clamp(max=vocab - 1), tokens)
        return chosen, inputs, chosen & (how < 0.8)  # 80%: [MASK]; the last 10% keep their word

    def _masked_nll(self, tokens: torch.Tensor, real: torch.Tensor, keys: torch.Tensor | None):
        """Masked-LM loss of ``tokens`` (b, t): positions ``real`` may be chosen; (summed NLL, count)."""
        chosen, inputs, masked = self._masked_positions(tokens, real)
        emb = self.embedding(inputs)  # (b, t, emb)
        assert self.mask_vector is not None, "a masked LM has a [MASK] vector"
        emb = torch.where(masked.unsqueeze(-1), self.mask_vector.to(emb.dtype), emb)
        top = self._layers(emb, keys)[0][-1]  # (b, t, d_model)
        return self._nll_sum(top[chosen], tokens[chosen]), chosen.sum()

    def forward(
        self,
        tokens: torch.Tensor,
        lengths: torch.Tensor | None = None,
        *,
        reverse: torch.Tensor | None = None,
        states: dict | None = None,
    ):
        """The LM loss of a batch, in the trainer's protocol (see ``RecurrentLM.forward``).

        Sentence mode: ``tokens`` (batch, time) right-padded, ``lengths`` (batch,); returns (nll, count).
        Stream mode (``lengths=None``): ``tokens`` (batch, T + 1) chunks, read independently (the
        context is the chunk: ``bptt`` tokens); returns (nll, count, {}) (no state is carried).
        """
        _b, t = tokens.shape
        steps = torch.arange(t, device=tokens.device).unsqueeze(0)  # (1, t)
        if lengths is None:
            if self.bidirectional:
                inputs = tokens[:, :-1]  # chunks overlap by one token: each token is predicted once
                nll, count = self._masked_nll(inputs, torch.ones_like(inputs, dtype=torch.bool), None)
            else:
                top = self._layers(self.embedding(tokens[:, :-1]), None)[0][-1]  # (b, T, d_model)
                nll = self._nll_sum(top.reshape(-1, top.shape[-1]), tokens[:, 1:].reshape(-1))
                count = torch.tensor(tokens[:, 1:].numel(), device=tokens.device)
            return nll, count, {}
        lens = lengths.to(tokens.device).unsqueeze(1)  # (b, 1)
        if self.bidirectional:
            real = steps < lens
            return self._masked_nll(tokens, real & (steps > 0), real)
        mask = steps[:, :-1] < lens - 1  # (b, t - 1): positions whose next token is real
        top = self._layers(self.embedding(tokens[:, :-1]), None)[0][-1]  # (b, t - 1, d_model)
        return self._nll_sum(top[mask], tokens[:, 1:][mask]), mask.sum()

    # ---------------------------------------------------------- representations
    def layer_outputs(self, tokens: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer vectors of the words ``w_1..w_n`` (boundary tokens dropped), as ``RecurrentLM``'s.

        Index 0 is the input embedding (embedding_dim wide), index k the output of block k
        (d_model wide; the top one after the final LayerNorm). The causal model's vector of w_i has
        read ``<s> w_1 .. w_i``; the bidirectional one's the whole sentence.
        """
        n_max = tokens.shape[1] - 2
        emb = self.embedding(tokens)  # (b, t, emb)
        keys = self._keys(tokens, lengths)
        outs, _ = self._layers(emb, keys)
        return [h[:, 1 : 1 + n_max] if n_max > 0 else h[:, :0] for h in [emb, *outs]]

    def _keys(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor | None:
        if not self.bidirectional:
            return None
        steps = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0)
        return steps < lengths.to(tokens.device).unsqueeze(1)  # (b, t): True for real positions

    def attention_maps(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(batch, layers, heads, time, time): each head's attention weights (query row, key column)."""
        _, maps = self._layers(self.embedding(tokens), self._keys(tokens, lengths), need_weights=True)
        return torch.stack(maps, dim=1)
