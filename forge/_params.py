"""Encoder parameters declared as data, and the one check that reads the declarations.

Every encoder lists what each constructor parameter accepts in the class
attribute ``param_constraints`` (``{name: (constraint, ...)}``, scikit-learn
``_parameter_constraints`` style); a value is valid when one of its
constraints accepts it. :func:`check_params` is the only code that checks
them: :meth:`forge.BaseEncoder.validate_params` calls it from ``fit``,
``set_params`` and :func:`forge.load`, so a bad argument, a bad
``set_params`` call and an edited ``config.json`` are refused with the same
message (the parameter, the value received and what is allowed).

Examples
--------
>>> check_params({"oov": "bogus"}, {"oov": (Options(OOV_POLICIES),)}, "MyEncoder")
Traceback (most recent call last):
...
forge.errors.BadInputError: oov='bogus' is not valid for MyEncoder; expected one of 'error', 'zero', 'unk'.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forge.errors import BadInputError

__all__ = [
    "OOV_POLICIES",
    "POSITIVE_INT",
    "AnyValue",
    "Boolean",
    "Constraint",
    "IntList",
    "Interval",
    "NoneValue",
    "NumpyDtype",
    "Options",
    "PathValue",
    "StringValue",
    "check_params",
    "dataclass_constraints",
]

OOV_POLICIES = ("error", "zero", "unk")  # unknown words: raise, an all-zero vector, or <unk>'s (or the mean)


class Constraint:
    """What one parameter accepts: subclasses answer :meth:`accepts` and :meth:`describe`."""

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is allowed."""
        raise NotImplementedError

    def describe(self) -> str:
        """The allowed values in words, for error messages (e.g. ``"an integer >= 1"``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values (strings, or ints such as gensim's ``sg`` in {0, 1}); bools only if listed.

    Examples
    --------
    >>> Options(("auto", "never")).accepts("auto"), Options((0, 1)).accepts(True)
    (True, False)
    """

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def describe(self) -> str:
        if len(self.values) == 1:
            return repr(self.values[0])
        return f"one of {', '.join(map(repr, self.values))}"


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``kind`` (int or float; bools refused) in [low, high] or with open ends.

    Examples
    --------
    >>> Interval(int, 1, None).describe(), Interval(float, 0.0, 1.0, "left").accepts(1.0)
    ('an integer >= 1', False)
    """

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
        return not (
            self.high is not None
            and (
                value > self.high  # type: ignore[operator]
                or (value == self.high and self.closed in ("left", "neither"))
            )
        )

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        if self.low is None and self.high is None:
            return what
        if self.low is not None and self.high is None:
            return f"{what} {'>=' if self.closed in ('both', 'left') else '>'} {self.low:g}"
        if self.high is not None and self.low is None:
            return f"{what} {'<=' if self.closed in ('both', 'right') else '<'} {self.high:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{what} in {left}{self.low:g}, {self.high:g}{right}"


class Boolean(Constraint):
    """``True`` or ``False`` (not 0 or 1)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "True or False"


class NoneValue(Constraint):
    """``None``."""

    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class AnyValue(Constraint):
    """Anything; ``what`` says what is meant (the value is checked where it is used, e.g. a device name)."""

    def __init__(self, what: str):
        self.what = what

    def accepts(self, value: Any) -> bool:
        return True

    def describe(self) -> str:
        return self.what


class StringValue(Constraint):
    """A non-empty string; ``what`` says what it names (e.g. ``"a directory path"``)."""

    def __init__(self, what: str):
        self.what = what

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def describe(self) -> str:
        return self.what


class PathValue(Constraint):
    """A non-empty path: a string or an ``os.PathLike`` such as ``pathlib.Path``."""

    def accepts(self, value: Any) -> bool:

        return (isinstance(value, str) and bool(value)) or isinstance(value, os.PathLike)

    def describe(self) -> str:
        return "a path (str or pathlib.Path)"


class IntList(Constraint):
    """A non-empty increasing list of positive integers (e.g. adaptive-softmax cutoffs)."""

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, (list, tuple))
            and len(value) > 0
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            and list(value) == sorted(set(value))
        )

    def describe(self) -> str:
        return "an increasing list of positive integers"


class NumpyDtype(Constraint):
    """The name of a numeric numpy dtype (``"float32"``, ``"int8"``...)."""

    def accepts(self, value: Any) -> bool:

        try:
            return isinstance(value, str) and np.dtype(value).kind in "biuf"
        except TypeError:
            return False

    def describe(self) -> str:
        return "the name of a numeric numpy dtype, e.g. 'float32'"


POSITIVE_INT = Interval(int, 1, None)


def check_params(params: Mapping[str, Any], constraints: Mapping[str, Sequence[Constraint]], owner: str) -> None:
    """Raise :class:`~forge.errors.BadInputError` for the first value of ``params`` no constraint accepts.

    Parameters without a declared constraint are not checked. ``owner`` (the
    class name) goes into the message.
    """
    for name, value in params.items():
        allowed = constraints.get(name)
        if not allowed or any(c.accepts(value) for c in allowed):
            continue
        raise BadInputError(
            f"{name}={value!r} is not valid for {owner}; expected {' or '.join(c.describe() for c in allowed)}."
        )


def dataclass_constraints(config_class: type) -> dict[str, tuple[Constraint, ...]]:
    """``param_constraints`` read from a config dataclass whose fields carry ``metadata["constraints"]``."""
    return {f.name: tuple(f.metadata["constraints"]) for f in dataclasses.fields(config_class)}
