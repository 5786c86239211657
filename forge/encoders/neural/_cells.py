"""Recurrent layers: the fused PyTorch ones and the same cells written out (a teaching reference).

Both kinds of layer hold parameters with the names and shapes PyTorch's
``torch.nn.RNN`` / ``GRU`` / ``LSTM`` use for one layer (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``), initialised in the same
order, so a state dict moves between ``impl="fused"`` and ``impl="scratch"``
unchanged and a fixed seed gives both the same weights.

The written-out equations (gates stacked in PyTorch's order)::

    RNN   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

    GRU   r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
          z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate
          n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
          h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    LSTM  i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        input gate
          f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        forget gate
          g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)           candidate cell
          o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        output gate
          c_t = f_t * c_{t-1} + i_t * g_t
          h_t = o_t * tanh(c_t)

Every layer maps ``(batch, time, input)`` to ``(batch, time, hidden)`` from a
zero initial state (``forward``), or from a given state, returning the final
state too (``run``: the stream mode carries it across batches). A state is a
tuple: ``(h,)`` for RNN/GRU, ``(h, c)`` for LSTM, each ``(batch, hidden)``.
Sequences are right-padded: a step only reads earlier steps, so padding after
a sentence never changes its real positions.

LSTM forget-gate bias: ``make_layer(..., forget_bias=1.0)`` sets the forget
block of ``bias_ih`` to 1.0 and that of ``bias_hh`` to 0 (their sum is the
gate's bias), as Jozefowicz et al. (2015) recommend: the gate starts mostly
open, so the cell state and its gradient survive many steps from the start.
``forget_bias="chrono"`` draws it as ``log(U(1, T_max - 1))`` with the input
gate's bias its negative (Tallec & Ollivier 2018, "Can recurrent neural networks
warp time?"), for dependencies up to ``T_max`` steps.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["CELLS", "GATES", "IMPLS", "FusedLayer", "ScratchLayer", "init_forget_bias", "make_layer"]

CELLS = ("rnn", "gru", "lstm")
IMPLS = ("fused", "scratch")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # how many hidden-sized blocks W_ih stacks


class ScratchLayer(nn.Module):
    """One recurrent layer with the cell equations written out, step by step in Python."""

    def __init__(self, cell: str, input_size: int, hidden_size: int):
        super().__init__()
        self.cell, self.hidden_size = cell, hidden_size
        rows = GATES[cell] * hidden_size
        # registration order = nn.RNNBase's, so the same seed gives the same initial weights
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(rows))
        self.bias_hh_l0 = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)  # PyTorch's default for recurrent layers
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x, None)[0]

    def run(
        self, x: torch.Tensor, state: tuple[torch.Tensor, ...] | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Outputs (batch, time, hidden) from ``state`` (None: zeros), and the final state."""
        batch, steps, _ = x.shape
        # the input projection of every step at once: one big matrix product, (batch, time, gates*hidden)
        x_proj = torch.nn.functional.linear(x, self.weight_ih_l0, self.bias_ih_l0)
        if state is None:
            h = x.new_zeros(batch, self.hidden_size)  # (batch, hidden)
            c = x.new_zeros(batch, self.hidden_size)  # LSTM cell state
        else:  # RNN/GRU never read c: zeros, as above
            h, c = state[0], (state[1] if self.cell == "lstm" else x.new_zeros(batch, self.hidden_size))
        outputs = []
        for t in range(steps):  # the recurrence: one step after another
            xt = x_proj[:, t]  # (batch, gates*hidden)
            ht = torch.nn.functional.linear(h, self.weight_hh_l0, self.bias_hh_l0)
            if self.cell == "rnn":
                h = torch.tanh(xt + ht)
            elif self.cell == "gru":
                x_r, x_z, x_n = xt.chunk(3, dim=1)
                h_r, h_z, h_n = ht.chunk(3, dim=1)
                r = torch.sigmoid(x_r + h_r)
                z = torch.sigmoid(x_z + h_z)
                n = torch.tanh(x_n + r * h_n)
                h = (1 - z) * n + z * h
            else:  # lstm
                i, f, g, o = (xt + ht).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        final = (h, c) if self.cell == "lstm" else (h,)
        if not outputs:
            return x.new_zeros(batch, 0, self.hidden_size), final
        return torch.stack(outputs, dim=1), final  # (batch, time, hidden)


class _Fused(nn.RNNBase):
    """Mixin over ``torch.nn.RNN/GRU/LSTM`` (cuDNN on GPU): returns the outputs only.

    Subclassing the torch module itself (rather than wrapping it) keeps the
    parameter names flat (``weight_ih_l0``...), the same as ScratchLayer's.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 0:
            return x.new_zeros(x.shape[0], 0, self.hidden_size)
        out, _ = super().forward(x)  # (batch, time, hidden)
        # CPU kernels return a (time, batch) layout seen through a transpose; make it the usual
        # layout so that dropout masks (drawn in memory order) match the scratch layers'
        return out.contiguous()

    def run(
        self, x: torch.Tensor, state: tuple[torch.Tensor, ...] | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Outputs (batch, time, hidden) from ``state`` (None: zeros), and the final state."""
        lstm = isinstance(self, nn.LSTM)
        hx: Any = None
        if state is not None:  # torch wants (layers=1, batch, hidden)
            hx = (
                (state[0].unsqueeze(0).contiguous(), state[1].unsqueeze(0).contiguous())
                if lstm
                else state[0].unsqueeze(0).contiguous()
            )
        out, last = super().forward(x, hx)
        final = (last[0][0], last[1][0]) if lstm else (last[0],)
        return out.contiguous(), final


# forward returns the outputs only, not torch's (outputs, state): a deliberate change of signature
class FusedRNN(_Fused, nn.RNN):  # type: ignore[misc]
    pass


class FusedGRU(_Fused, nn.GRU):  # type: ignore[misc]
    pass


class FusedLSTM(_Fused, nn.LSTM):  # type: ignore[misc]
    pass


FusedLayer = {"rnn": FusedRNN, "gru": FusedGRU, "lstm": FusedLSTM}


def init_forget_bias(layer: ScratchLayer | nn.RNNBase, value: float | str, t_max: int = 100) -> None:
    """Set an LSTM layer's forget-gate bias (gates stacked i, f, g, o: the forget block is the 2nd).

    A number: ``bias_ih[f] = value``, ``bias_hh[f] = 0``. ``"chrono"``: ``b_f ~ log(U(1, t_max - 1))``,
    ``b_i = -b_f`` (Tallec & Ollivier 2018). Draws from torch's global RNG only for "chrono".
    """
    h = layer.hidden_size
    bias_ih, bias_hh = layer.get_parameter("bias_ih_l0"), layer.get_parameter("bias_hh_l0")
    with torch.no_grad():
        if value == "chrono":
            b_f = torch.log(torch.empty(h).uniform_(1.0, max(float(t_max) - 1.0, 1.0 + 1e-3)))
            bias_ih[:h].copy_(-b_f)
            bias_hh[:h].zero_()
            bias_ih[h : 2 * h].copy_(b_f)
        else:
            bias_ih[h : 2 * h].fill_(float(value))
        bias_hh[h : 2 * h].zero_()


def make_layer(
    impl: str, cell: str, input_size: int, hidden_size: int, forget_bias: float | str | None = None, t_max: int = 100
) -> nn.Module:
    """A ``FusedLayer`` or a ``ScratchLayer``; both map (batch, time, input) -> (batch, time, hidden).

    ``forget_bias`` (LSTM only; None keeps PyTorch's initialisation): see the module docstring.
    """
    if impl == "fused":
        layer: ScratchLayer | nn.RNNBase = FusedLayer[cell](input_size, hidden_size, num_layers=1, batch_first=True)
    else:
        layer = ScratchLayer(cell, input_size, hidden_size)
    if cell == "lstm" and forget_bias is not None:
        init_forget_bias(layer, forget_bias, t_max)
    return layer
