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
import numbers
from dataclasses import dataclass, field
from typing import Any

from forge.errors import BadInputError

__all__ = [
    "CELLS",
    "CONTEXTS",
    "MIX_WEIGHT_STATIC",
    "OPTIMIZERS",
    "PRECISIONS",
    "SOFTMAXES",
    "AnyValue",
    "Boolean",
    "ForgetBias",
    "IntList",
    "Interval",
    "LayerSpec",
    "NoneValue",
    "Options",
    "AttentionConfig",
    "NeuralConfig",
    "POSITIONS",
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
OOV_POLICIES = ("error", "zero", "unk")
LAYER_WORDS = ("top", "mean", "mix")
MIX_WEIGHT_STATIC = 0.5  # layer="mix": share of layer 0 (the static input embedding) in the cosine


# ------------------------------------------------------------------ constraints
class _Constraint:
    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Options(_Constraint):
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return f"one of {', '.join(map(repr, self.values))}"


@dataclass(frozen=True)
class Interval(_Constraint):
    """A number of ``kind`` (int or float; bools refused) in [low, high] or with open ends."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right", "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real):
            return False
        if self.low is not None and (value < self.low or (value == self.low and self.closed in ("right", "neither"))):
            return False
        # typeshed's numbers.Real declares only < and <=, so mypy cannot type `value > high` (ints and floats can)
        if self.high is not None and (
            value > self.high  # type: ignore[operator]
            or (value == self.high and self.closed in ("left", "neither"))
        ):
            return False
        return True

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        if self.low is not None and self.high is None:
            return f"{what} {'>=' if self.closed in ('both', 'left') else '>'} {self.low:g}"
        if self.high is not None and self.low is None:
            return f"{what} {'<=' if self.closed in ('both', 'right') else '<'} {self.high:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{what} in {left}{self.low:g}, {self.high:g}{right}"


class Boolean(_Constraint):
    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "True or False"


class NoneValue(_Constraint):
    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class AnyValue(_Constraint):
    """Checked elsewhere (``device`` when the device is resolved, ``init_from`` when it is read)."""

    def __init__(self, what: str):
        self.what = what

    def accepts(self, value: Any) -> bool:
        return True

    def describe(self) -> str:
        return self.what


class StringValue(_Constraint):
    def __init__(self, what: str):
        self.what = what

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def describe(self) -> str:
        return self.what


class IntList(_Constraint):
    """A non-empty increasing list of positive integers (adaptive-softmax cutoffs)."""

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, (list, tuple))
            and len(value) > 0
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            and list(value) == sorted(set(value))
        )

    def describe(self) -> str:
        return "an increasing list of positive integers"


class LayerSpec(_Constraint):
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


class ForgetBias(_Constraint):
    """A number, ``"chrono"`` (Tallec & Ollivier 2018) or None (PyTorch's default initialisation)."""

    def accepts(self, value: Any) -> bool:
        return value is None or value == "chrono" or (isinstance(value, (int, float)) and not isinstance(value, bool))

    def describe(self) -> str:
        return "a number (1.0: Jozefowicz et al. 2015), 'chrono' or None"


def _param(*constraints: _Constraint, resumable: bool = False) -> Any:
    return field(metadata={"constraints": constraints, "resumable": resumable})


POSITIVE = Interval(int, 1, None)


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
    init_from: Any = _param(AnyValue("a fitted static encoder, its saved path, a static encoder's name or None"))
    freeze_embedding: bool | None = _param(Boolean(), NoneValue())
    oov: str = _param(Options(OOV_POLICIES), resumable=True)
    seed: int = _param(Interval(int, 0, None))
    checkpoint_dir: Any = _param(StringValue("a directory path"), NoneValue(), resumable=True)
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
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            constraints = f.metadata["constraints"]
            if not any(c.accepts(value) for c in constraints):
                allowed = " or ".join(c.describe() for c in constraints)
                raise BadInputError(f"{f.name}={value!r} is not valid for {owner}; expected {allowed}.")
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
