"""forge: build, train and compare text encoders, from one-hot vectors to LSTMs.

Examples
--------
>>> import forge
>>> enc = forge.create("onehot").fit([["the", "king", "spoke"]])
>>> enc.embed([["the", "king"]])[0].shape
(2, 3)
"""

import importlib

# encoders: the built-ins register into the core registry (their modules load on first use)
from forge import corpora, encoders, errors
from forge._interface import BaseEncoder, Encoder
from forge._params import (
    OOV_POLICIES,
    AnyValue,
    Boolean,
    Constraint,
    Interval,
    IntList,
    NoneValue,
    NumpyDtype,
    Options,
    PathValue,
    StringValue,
    check_params,
)
from forge._persist import load
from forge._pretrained import load_vectors
from forge._registry import broken_plugins, create, get_encoder_class, list_encoders, register_encoder
from forge._sentences import check_sentences
from forge._version import __version__
from forge.vocab import Vocabulary

__all__ = [
    "OOV_POLICIES",
    "AnyValue",
    "BaseEncoder",
    "Boolean",
    "Constraint",
    "Encoder",
    "IntList",
    "Interval",
    "NoneValue",
    "NumpyDtype",
    "Options",
    "PathValue",
    "StringValue",
    "Vocabulary",
    "__version__",
    "broken_plugins",
    "check_params",
    "check_sentences",
    "corpora",
    "create",
    "encoders",
    "errors",
    "get_encoder_class",
    "list_encoders",
    "load",
    "load_vectors",
    "register_encoder",
]


def __getattr__(name: str):
    # subpackages that import heavier libraries load on first use
    if name in ("testing", "bench", "lab"):
        return importlib.import_module(f"forge.{name}")
    raise AttributeError(f"module 'forge' has no attribute {name!r}")
