"""The neural encoders' configuration as a value: dataclasses, each constraint declared once.

:class:`NeuralConfig` holds the parameters every neural encoder shares (data,
output layer, trainer); :class:`RecurrentConfig` and :class:`AttentionConfig`
add those of their architecture, so each holds every constructor parameter of
its encoder. Each field declares, in its
metadata, what it accepts (``constraints``, scikit-learn ``_param_validation``
style) and whether a resumed run may change it (``resumable``: it does not alter
the weights being trained). :meth:`RecurrentConfig.validate` checks every field
and the few rules that tie fields together; an error names the parameter, the
value received and what is allowed. The trainer (``_train.train_lm``)
receives this value, never the encoder.

The defaults live in one place, the encoder's constructor (constructor =
configuration); the config is built from ``encoder.get_params()``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from forge._params import (
    OOV_POLICIES,
    POSITIVE_INT,
    AnyValue,
    Boolean,
    Constraint,
    Interval,
    IntList,
    NoneValue,
    Options,
    PathValue,
    check_params,
)
from forge.errors import BadInputError

__all__ = [
    "CELLS",
    "CONTEXTS",
    "MIX_WEIGHT_STATIC",
    "OPTIMIZERS",
    "POSITIONS",
    "PRECISIONS",
    "SOFTMAXES",
    "AnyValue",
    "AttentionConfig",
    "Boolean",
    "ForgetBias",
    "IntList",
    "Interval",
    "LayerSpec",
    "NeuralConfig",
    "NoneValue",
    "Options",
    "RecurrentConfig",
    "resumable_params",
]

CELLS = ("rnn", "gru", "lstm")
IMPLS = ("fused", "scratch")
SOFTMAXES = ("auto", "full", "adaptive", "sampled")
CONTEXTS = ("sentence", "stream")
OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("auto", "fp32", "tf32", "bf16")
POSITIONS = ("sinusoidal", "learned", "rope")
LAYER_WORDS = ("top", "mean", "mix")
MIX_WEIGHT_STATIC = 0.5  # layer="mix": the default share of layer 0 (the static input embedding) in the cosine


# ------------------------------------------------------------------ constraints
# the generic ones live in core (forge._params, shared by every encoder); these two are the recurrent model's own
class LayerSpec(Constraint):
    """``"top" | "mean" | "mix"``, a layer index, or a list of mixing weights (length checked later)."""

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str):
            return value in LAYER_WORDS
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return (
            isinstance(value, (list, tuple))
            and len(value) > 0
            and all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in value)
        )

    def describe(self) -> str:
        return "'top', 'mean', 'mix', a layer index (0 = input embedding) or a list of layers + 1 mixing weights"


class ForgetBias(Constraint):
    """A number, ``"chrono"`` (Tallec & Ollivier 2018) or None (PyTorch's default initialisation)."""

    def accepts(self, value: Any) -> bool:
        return value is None or value == "chrono" or (isinstance(value, (int, float)) and not isinstance(value, bool))

    def describe(self) -> str:
        return "a number (1.0: Jozefowicz et al. 2015), 'chrono' or None"


def _param(*constraints: Constraint, resumable: bool = False) -> Any:
    return field(metadata={"constraints": constraints, "resumable": resumable})


POSITIVE = POSITIVE_INT


# ------------------------------------------------------------------ the config
@dataclass(frozen=True)
class NeuralConfig:
    """What every neural encoder shares (data, output layer, trainer, persistence), validated once.

    :class:`RecurrentConfig` and :class:`AttentionConfig` add the fields of their architecture;
    :meth:`validate` checks every field of the subclass against its declared constraints, then the
    rules between fields (shared ones here, architecture ones in :meth:`_validate_more`).
    """

    layers: int = _param(POSITIVE)
    embedding_dim: int | None = _param(POSITIVE, NoneValue())
    dropout: float = _param(Interval(float, 0.0, 1.0, "left"))
    tie_weights: bool = _param(Boolean())
    softmax: str = _param(Options(SOFTMAXES))
    cutoffs: list[int] | None = _param(IntList(), NoneValue())
    num_sampled: int = _param(POSITIVE)
    context: str = _param(Options(CONTEXTS))
    bptt: int = _param(Interval(int, 2, None))
    impl: str = _param(Options(IMPLS), resumable=True)
    device: Any = _param(AnyValue("'auto', 'cpu', 'cuda' or 'cuda:N'"), resumable=True)
    precision: str = _param(Options(PRECISIONS))
    epochs: int = _param(Interval(int, 0, None), resumable=True)
    batch_size: int = _param(POSITIVE)
    lr: float = _param(Interval(float, 0.0, None, "neither"))
    optimizer: str = _param(Options(OPTIMIZERS))
    clip_grad: float | None = _param(Interval(float, 0.0, None, "neither"), NoneValue())
    max_len: int = _param(POSITIVE)
    min_count: int = _param(POSITIVE)
    max_vocab: int | None = _param(POSITIVE, NoneValue())
    validation: float = _param(Interval(float, 0.0, 1.0, "left"))
    patience: int | None = _param(POSITIVE, NoneValue(), resumable=True)
    layer: Any = _param(LayerSpec(), resumable=True)
    mix_static: float = _param(Interval(float, 0.0, 1.0), resumable=True)
    init_from: Any = _param(AnyValue("a fitted static encoder, its saved path, a static encoder's name or None"))
    freeze_embedding: bool | None = _param(Boolean(), NoneValue())
    oov: str = _param(Options(OOV_POLICIES), resumable=True)
    seed: int = _param(Interval(int, 0, None))
    checkpoint_dir: Any = _param(PathValue(), NoneValue(), resumable=True)
    resume: bool = _param(Boolean(), resumable=True)
    progress: bool | None = _param(Boolean(), NoneValue(), resumable=True)

    @classmethod
    def from_params(cls, params: dict[str, Any], owner: str = "RecurrentEncoder") -> Any:
        """Build and validate a config from ``get_params()`` (extra or missing keys are a bug: TypeError)."""
        params = dict(params)
        if params.get("checkpoint_dir") is not None and not isinstance(params["checkpoint_dir"], str):
            params["checkpoint_dir"] = str(params["checkpoint_dir"])  # a pathlib.Path is fine
        config = cls(**params)
        config.validate(owner)
        return config

    def validate(self, owner: str = "RecurrentEncoder") -> None:
        """Check every field against its declared constraints, then the rules between fields."""
        check_params(self.to_dict(), {f.name: f.metadata["constraints"] for f in dataclasses.fields(self)}, owner)
        if self.tie_weights and self.softmax == "adaptive":
            raise BadInputError(
                f"tie_weights=True needs softmax='full', 'sampled' or 'auto' (the adaptive softmax "
                f"has its own cluster weights); got softmax={self.softmax!r}. Set one or the other."
            )
        n = self.layers + 1
        spec = self.layer
        if isinstance(spec, int) and not isinstance(spec, bool) and not -n <= spec < n:
            raise BadInputError(
                f"layer={spec!r} is not valid for {owner} with layers={self.layers}: use 'top', "
                f"'mean', 'mix', a layer index 0..{n - 1} (0 = input embedding) or a list of {n} "
                f"mixing weights."
            )
        if isinstance(spec, (list, tuple)) and len(spec) != n:
            raise BadInputError(
                f"layer={spec!r} has {len(spec)} weights but layers={self.layers} needs {n} "
                f"(the input embedding, then each layer)."
            )
        if isinstance(spec, (list, tuple)) and not (all(math.isfinite(w) for w in spec) and any(w != 0 for w in spec)):
            raise BadInputError(
                f"layer={spec!r}: the mixing weights must be finite numbers, at least one of them non-zero "
                f"(e.g. {[0.0] * (n - 1) + [1.0]} for the top layer)."
            )
        self._validate_more(owner)

    def _validate_more(self, owner: str) -> None:
        """Rules between the fields of one architecture (none here)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class RecurrentConfig(NeuralConfig):
    """Every parameter of a recurrent encoder (rnn, gru, lstm and their bi- variants)."""

    cell: str = _param(Options(CELLS))
    bidirectional: bool = _param(Boolean())
    hidden_size: int = _param(POSITIVE)
    forget_bias: float | str | None = _param(ForgetBias())


@dataclass(frozen=True)
class AttentionConfig(NeuralConfig):
    """Every parameter of a self-attention encoder (transformer, bitransformer)."""

    bidirectional: bool = _param(Boolean())
    d_model: int = _param(POSITIVE)
    heads: int = _param(POSITIVE)
    ff: int = _param(POSITIVE)
    positions: str = _param(Options(POSITIONS))

    def _validate_more(self, owner: str) -> None:
        if self.d_model % self.heads:
            raise BadInputError(
                f"d_model={self.d_model} is not divisible by heads={self.heads} for {owner}: each head "
                f"gets d_model / heads dimensions. Pick heads among "
                f"{[h for h in range(1, min(self.d_model, 16) + 1) if self.d_model % h == 0]}."
            )
        if self.positions == "rope" and (self.d_model // self.heads) % 2:
            raise BadInputError(
                f"positions='rope' rotates pairs of dimensions, so d_model / heads must be even; got "
                f"d_model={self.d_model}, heads={self.heads} ({self.d_model // self.heads} per head)."
            )


def resumable_params(config_class: type = RecurrentConfig) -> tuple[str, ...]:
    """Parameters a resumed run may change (declared on the fields: they do not alter the trained weights)."""
    return tuple(f.name for f in dataclasses.fields(config_class) if f.metadata["resumable"])


def constraint_text(name: str, config_class: type = RecurrentConfig) -> str:
    """What parameter ``name`` accepts, in words (for docs and messages)."""
    for f in dataclasses.fields(config_class):
        if f.name == name:
            return " or ".join(c.describe() for c in f.metadata["constraints"])
    raise KeyError(name)
