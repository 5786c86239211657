"""Errors raised by forge.

Every error forge raises on purpose derives from :class:`ForgeError`, so
``except forge.errors.ForgeError`` catches them all. Messages name the value
received, what was expected and how to fix it.

::

    ForgeError
    ├── UnknownNameError        (also KeyError)   unknown encoder / corpus / dataset / tokenizer
    ├── NotFittedError          (also RuntimeError) encoder used before ``fit``
    ├── BadInputError           (also ValueError) bad argument, corpus, file or saved model
    │   ├── OutOfVocabularyError (also KeyError)  word not in vocabulary under ``oov="error"``
    │   └── CorruptModelError                     saved model directory unreadable or truncated
    ├── TrainingDivergedError   (also FloatingPointError) loss became NaN/inf; last good checkpoint kept
    ├── PluginError                               a plugin failed to import or breaks the interface
    └── MissingDataError        (also FileNotFoundError) dataset/corpus absent from the data directory

    RecoveredWarning (a UserWarning, not an error): a save interrupted in its rename window was restored
    UnverifiedDownloadWarning (a UserWarning): a download no published checksum covers was pinned on first use
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "BadInputError",
    "CorruptModelError",
    "DeviceError",
    "ForgeError",
    "MissingDataError",
    "NotFittedError",
    "OutOfVocabularyError",
    "PluginError",
    "RecoveredWarning",
    "TrainingDivergedError",
    "UnknownNameError",
    "UnverifiedDownloadWarning",
]


class ForgeError(Exception):
    """Base class of every error forge raises deliberately."""


class UnknownNameError(ForgeError, KeyError):
    """A name (encoder, corpus, dataset, tokenizer...) that is not registered."""

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        available = sorted(available)
        close = difflib.get_close_matches(str(name), available, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        msg = f"Unknown {kind} {name!r}.{hint} Available: {', '.join(available) or '(none)'}."
        super().__init__(msg)
        self.kind, self.name, self.available, self.suggestion = kind, name, available, close[0] if close else None

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class NotFittedError(ForgeError, RuntimeError):
    """The encoder was used before ``fit`` (or ``forge.load``)."""


class BadInputError(ForgeError, ValueError):
    """An argument, corpus, data file or model directory is not usable."""


class OutOfVocabularyError(BadInputError, KeyError):
    """A word is not in the vocabulary and the OOV policy is ``"error"``."""

    def __str__(self) -> str:
        return self.args[0]


class CorruptModelError(BadInputError):
    """A saved model directory is missing files, truncated or inconsistent."""


class DeviceError(BadInputError):
    """A requested compute device is unknown or not available."""


class TrainingDivergedError(ForgeError, FloatingPointError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


class PluginError(ForgeError):
    """A plugin failed to load or does not satisfy the Encoder interface."""


class MissingDataError(ForgeError, FileNotFoundError):
    """A corpus or dataset file is not in the data directory."""


class RecoveredWarning(UserWarning):
    """Not an error: a folder was missing after an interrupted save; forge restored its complete previous copy."""


class UnverifiedDownloadWarning(UserWarning):
    """A downloaded file has no published checksum: forge pinned its sha256 (trust on first use)."""
