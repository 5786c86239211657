"""What the lab needs of an attention encoder, in one place: its architecture, a fresh layer of it, its
attention weights on a sentence, its positional-encoding matrix, and the depth of a computation.

The probes of claims 7, 8 and 9 train or time a *fresh* model of an encoder's architecture (the claim is
about the architecture, not about one set of weights), and the attention figures read the *trained*
encoder's own weights. An encoder is an attention encoder when its parameters declare ``heads`` and
``d_model`` (the ``transformer`` and ``bitransformer`` of ``forge.create``, or any plugin that follows
the same parameter names); a recurrent one when its ``cell`` is rnn, gru or lstm.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "architecture",
    "attention_layer",
    "attention_maps",
    "graph_depth",
    "position_matrix",
    "sinusoidal_table",
]


def architecture(encoder: Any) -> dict[str, Any] | None:
    """``{"family": "attention" | "recurrent", ...}`` from the encoder's parameters, or None (static).

    Attention: ``heads``, ``layers``, ``positions``, ``width`` (``d_model``), ``causal``; recurrent:
    ``cell``, ``width`` (``hidden_size``), ``bidirectional``.
    """
    params = encoder.get_params() if hasattr(encoder, "get_params") else {}
    tags = dict(getattr(encoder, "tags", {}) or {})
    if "heads" in params and "d_model" in params:
        causal = tags.get("causal")
        if causal is None:
            causal = not (tags.get("bidirectional") or params.get("bidirectional") or params.get("objective") == "mlm")
        return {
            "family": "attention",
            "heads": int(params["heads"]),
            "layers": int(params.get("layers") or 1),
            "positions": str(params.get("positions") or "sinusoidal"),
            "width": int(params["d_model"]),
            "causal": bool(causal),
            "untrained": params.get("epochs") == 0,
        }
    if params.get("cell") in ("rnn", "gru", "lstm"):
        return {
            "family": "recurrent",
            "cell": params["cell"],
            "width": params.get("hidden_size"),
            "bidirectional": bool(params.get("bidirectional", False)),
            "untrained": params.get("epochs") == 0,
        }
    return None


def sinusoidal_table(length: int, width: int) -> np.ndarray:
    """The sinusoidal position table of Vaswani et al. (2017), (length, width): sin on even, cos on odd."""
    pos = np.arange(length)[:, None]
    rate = np.exp(-math.log(10000.0) * np.arange(0, width, 2) / width)[None, :]
    table = np.zeros((length, width))
    table[:, 0::2] = np.sin(pos * rate)
    table[:, 1::2] = np.cos(pos * rate)[:, : width // 2]
    return table


def attention_layer(width: int, heads: int, layers: int = 1, positions: str = "sinusoidal", max_len: int = 1100):
    """A fresh causal self-attention stack, (batch, time, width) -> (batch, time, width), positions included.

    Pre-LN blocks (attention, then a feed-forward of 4 x width), the attention through
    ``torch.nn.functional.scaled_dot_product_attention``; ``positions`` is ``sinusoidal`` or ``learned``
    (added to the input) or ``rope`` (rotating queries and keys).
    """
    import torch  # lazy: torch is optional: import forge never loads it

    nn, F = torch.nn, torch.nn.functional

    if width % heads:
        heads = 1

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.ff = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

        def forward(self, x, rot):  # (batch, time, width)
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
            if rot is not None:  # (time, head_dim / 2) cos and sin
                q, k = _rotate(q, *rot), _rotate(k, *rot)
            att = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (batch, heads, time, head_dim)
            x = x + self.proj(att.transpose(1, 2).reshape(b, t, width))
            return x + self.ff(self.ln2(x))

    def _rotate(x, cos, sin):  # x (batch, heads, time, head_dim)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)

    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln = nn.LayerNorm(width)
            self.pos: Any
            if positions == "learned":
                self.pos = nn.Parameter(torch.randn(max_len, width) * 0.02)
            elif positions == "sinusoidal":
                self.register_buffer("pos", torch.tensor(sinusoidal_table(max_len, width), dtype=torch.float32))
            else:
                self.pos = None
                half = width // heads // 2
                freq = 10000.0 ** (-torch.arange(half, dtype=torch.float32) / max(half, 1))
                angle = torch.arange(max_len, dtype=torch.float32)[:, None] * freq[None, :]
                self.register_buffer("cos", angle.cos())
                self.register_buffer("sin", angle.sin())

        def forward(self, x):
            t = x.shape[1]
            rot = None
            if self.pos is not None:
                x = x + self.pos[:t]
            else:
                rot = (self.cos[:t], self.sin[:t])  # type: ignore[index]
            for block in self.blocks:
                x = block(x, rot)
            return self.ln(x)

    return Stack()


def graph_depth(output: Any) -> int:
    """The longest chain of operations, one depending on the other, from the inputs to ``output``.

    Read from ``output``'s autograd graph: the number of steps that must run one after another however
    many processors there are. A recurrent layer's chain grows with the length (step t needs step t-1);
    an attention layer's does not.
    """
    root = output.grad_fn
    if root is None:
        return 0
    depth: dict[Any, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if fn in depth:
            continue
        children = [f for f, _ in getattr(fn, "next_functions", ()) if f is not None]
        if expanded:
            depth[fn] = 1 + max((depth[c] for c in children), default=0)
            continue
        stack.append((fn, True))
        stack.extend((c, False) for c in children if c not in depth)
    return depth[root]


def attention_maps(encoder: Any, tokens: list[str]) -> np.ndarray | None:
    """The trained encoder's attention weights on one sentence, (layers, heads, T, T), or None when it has
    no ``attention_weights`` method (forge's attention encoders have one).

    Row i of a map is how much word i looks at each word j (the weight on the boundary tokens left out).
    """
    method = getattr(encoder, "attention_weights", None)
    if not callable(method):
        return None
    weights = np.asarray(method(tokens), dtype=float)
    return weights if weights.ndim == 4 else None


def position_matrix(encoder: Any, length: int = 64) -> np.ndarray | None:
    """The encoder's positional encoding for the first ``length`` positions, (length, d_model), or None
    (``rope`` adds no vector to the input). A learned table is read from the model; the sinusoidal one is the
    formula (forge adds it to the input at a fixed scale, which changes no pattern)."""
    arch = architecture(encoder)
    model = getattr(encoder, "model_", None)
    if arch is None or model is None:
        return None
    for name, value in model.named_parameters() if arch["positions"] == "learned" else model.named_buffers():
        if "pos" in name and value.ndim == 2 and value.shape[-1] == arch["width"]:
            return value.detach().float().cpu().numpy()[:length]
    if arch["positions"] == "sinusoidal":
        return sinusoidal_table(length, arch["width"])
    return None
