"""Saving and loading encoders: a directory with ``config.json`` plus state files.

Writes are atomic (:func:`forge._folders.atomic_dir`): everything goes into a
temporary sibling directory that is renamed into place only when complete, so
an interrupted save never leaves a half-written model where a good one was,
and a save never replaces a folder forge did not write.

Format 3 (this forge): ``config.json`` records the sha256 and size of every
state file (``files``) and a digest of the parameters and the format version
(``params_sha256``; format 2, otherwise the same, left the version out).
:func:`load` checks them before reading any array, validates the parameters
as ``fit`` does (``encoder.validate_params()``) and checks the arrays'
dtype, shape and finiteness. Models of format 1 (no checksums) load only with
``allow_unchecked=True`` (and a ``UserWarning``); a format-1 config that still
carries checksums (an edited version number) and unknown versions are refused.
A hand-edited ``config.json`` is refused until its ``params_sha256`` entry is
deleted (then the edited parameters are validated and used).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from forge._files import file_kind, open_regular, sha256_file
from forge._folders import atomic_dir, check_replaceable, recover, refuse_cwd
from forge._registry import create, registered_name
from forge._version import __version__
from forge.errors import BadInputError, CorruptModelError, ForgeError, UnknownNameError

__all__ = [
    "CONFIG_NAME",
    "FORMAT_VERSION",
    "atomic_dir",
    "atomic_file",
    "check_array",
    "check_save_target",
    "file_manifest",
    "load",
    "read_json",
    "save_encoder",
    "verify_manifest",
]

CONFIG_NAME = "config.json"
FORMAT_VERSION = 3
_KNOWN_VERSIONS = (1, 2, 3)
MODEL_KIND = "model"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_STATE_SUFFIXES = (".json", ".npy", ".npz", ".safetensors")


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------ checksums
def file_digest(path: Path) -> str:
    """sha256 of a model file (forge's one file digest: regular files only, bounded chunks)."""
    return sha256_file(path, "Model file")


def file_manifest(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256", "size"}}`` of the files in ``folder`` (forge markers and ``skip`` left out)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in skip and not p.name.startswith(".forge-"):
            out[rel] = {"sha256": file_digest(p), "size": p.stat().st_size}
    return out


def verify_manifest(folder: Path, files: Any, source: Path, hint: str = "Save the model again.") -> None:
    """Check every file listed in ``files`` (from ``source``) exists in ``folder`` with its size and sha256."""
    if not isinstance(files, dict) or not files:
        raise CorruptModelError(
            f"{source}: 'files' must be a non-empty mapping of file name to its sha256 and "
            f"size, got {_short(files)}; the file is damaged. {hint}"
        )
    for name, entry in files.items():
        if (
            not isinstance(name, str)
            or not name
            or name.startswith("/")
            or "\\" in name
            or any(part in ("", ".", "..") for part in name.split("/"))
        ):
            raise CorruptModelError(
                f"{source}: the file name {_short(name)} is not a plain name inside the folder. {hint}"
            )
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not _HEX64.fullmatch(entry["sha256"])
            or type(entry.get("size")) is not int
            or entry["size"] < 0
        ):
            raise CorruptModelError(
                f"{source}: the entry for {name!r} must be {{'sha256': 64 hex digits, 'size': "
                f"bytes}}, got {_short(entry)}. {hint}"
            )
        path = folder / name
        if not path.is_file():
            raise CorruptModelError(f"{path} is missing: {folder} is incomplete ({source.name} lists it). {hint}")
        size = path.stat().st_size
        if size != entry["size"]:
            raise CorruptModelError(
                f"{path} has {size} bytes, {entry['size']} were saved: the file is truncated or damaged. {hint}"
            )
        if file_digest(path) != entry["sha256"]:
            raise CorruptModelError(
                f"{path} does not match the sha256 recorded in {source.name} when it was saved: "
                f"the file is damaged (or was edited). {hint}"
            )


def _params_digest(config: dict[str, Any]) -> str:
    core = {"encoder": config.get("encoder"), "class": config.get("class"), "params": config.get("params")}
    version = config.get("format_version")
    if type(version) is int and version >= 3:  # format 3: the version itself is covered (an edit to it is seen)
        core["format_version"] = version
    return hashlib.sha256(json.dumps(core, sort_keys=True, ensure_ascii=True).encode("ascii")).hexdigest()


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # RecursionError on deeply nested values
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def read_json(path: Path, what: str = "model") -> Any:
    """Parse a JSON file forge wrote; any damage (missing, bad UTF-8, syntax, deep nesting,
    integers of thousands of digits) is a :class:`CorruptModelError` naming the file."""
    try:
        with open_regular(path, f"The {what} file") as handle:  # a FIFO or device is refused, never read
            return json.loads(handle.read().decode("utf-8"))
    except BadInputError as exc:
        raise CorruptModelError(f"{exc} The {what} folder {Path(path).parent} is damaged: save it again.") from None
    except FileNotFoundError:
        raise CorruptModelError(
            f"{path} is missing: the {what} folder {Path(path).parent} is incomplete; save it again."
        ) from None
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        raise CorruptModelError(
            f"{path} is unreadable ({type(exc).__name__}: {_short(str(exc), 120)}); the "
            f"{what} is truncated or corrupt: save it again."
        ) from None


def check_array(path: Path, array: Any, shape: tuple[int, ...] | None = None, kind: str = "f") -> np.ndarray:
    """An array read from ``path``: numeric of ``kind`` ('f' float, 'i' integer), of ``shape``, finite."""
    if not isinstance(array, np.ndarray) or array.dtype.kind not in (("i", "u") if kind == "i" else ("f",)):
        what = "a floating-point" if kind == "f" else "an integer"
        raise CorruptModelError(
            f"{path} holds {getattr(array, 'dtype', type(array).__name__)} data, expected "
            f"{what} array; the model is corrupt: save it again."
        )
    if shape is not None and array.shape != tuple(shape):
        raise CorruptModelError(
            f"{path} has shape {array.shape}, expected {tuple(shape)} from vocab.json and "
            f"config.json; the model is corrupt: save it again."
        )
    if kind == "f" and array.size and not np.isfinite(array).all():
        rows: Any = np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)) if array.ndim else []
        raise CorruptModelError(
            f"{path} holds non-finite values (NaN or inf; rows {list(rows[:5])}); the model is corrupt: save it again."
        )
    return array


def _legacy_model(folder: Path) -> bool:
    """A model folder forge wrote, shown by its own ``config.json`` when its marker cannot show it.

    Format 2 and later: every file (sub-folders included) is listed in ``config.json`` with the size and
    sha256 it has now, and there are no links or special files. Format 1 (no checksums): a config.json
    naming an encoder and only state files beside it.
    """
    try:
        config = read_json(folder / CONFIG_NAME)
    except ForgeError:
        return False
    if not isinstance(config, dict) or not isinstance(config.get("encoder"), str):
        return False
    entries = [p for p in folder.rglob("*") if not p.name.startswith(".forge-")]
    if any(p.is_symlink() or not (p.is_file() or p.is_dir()) for p in entries):
        return False
    version = config.get("format_version", 1)
    if type(version) is int and version >= 2:
        files = config.get("files")
        present = {p.relative_to(folder).as_posix() for p in entries if p.is_file()} - {CONFIG_NAME}
        if not isinstance(files, dict) or set(files) != present:
            return False
        try:
            verify_manifest(folder, files, folder / CONFIG_NAME)
        except ForgeError:
            return False
        return True
    return all(p.is_file() and p.suffix in _STATE_SUFFIXES for p in entries)


# ------------------------------------------------------------------ save / load
def check_save_target(path: str | Path, encoder: str | None = None, overwrite: bool = False) -> None:
    """Raise now (before any training) if saving an ``encoder`` model to ``path`` would be refused."""
    refuse_cwd(Path(path))
    check_replaceable(Path(path), MODEL_KIND, _legacy_model)
    if encoder is not None:
        _check_other_model(Path(path), encoder, overwrite)


def _check_other_model(path: Path, name: str, overwrite: bool) -> None:
    """A folder holding a model of another encoder is replaced only with ``overwrite=True``."""
    if overwrite or path.is_symlink() or not (path / CONFIG_NAME).is_file():
        return
    try:
        config = read_json(path / CONFIG_NAME)
    except ForgeError:
        return  # not readable as a model: check_replaceable decides whether the folder is forge's
    other = config.get("encoder") if isinstance(config, dict) else None
    if isinstance(other, str) and other != name:
        version = config.get("forge_version", "an earlier version")
        raise BadInputError(
            f"Refusing to save a {name!r} model to {path}: it holds a saved {other!r} model "
            f"(written by forge {version}), which this save would replace. Pass overwrite=True "
            f"(forge train --overwrite) to replace it, or save to another folder."
        )


def save_encoder(encoder: Any, path: str | Path, overwrite: bool = False) -> Path:
    encoder._check_fitted()
    path = Path(path)
    name = registered_name(encoder)
    if not name:
        cls = type(encoder)
        raise BadInputError(
            f"Cannot save this {cls.__name__}: {cls.__module__}.{cls.__qualname__} is not registered "
            f"under any encoder name, so forge.load could not recreate it. Install its plugin "
            f"(a 'forge.encoders' entry point) or call forge.register_encoder('<name>')"
            f"({cls.__qualname__}) first."
        )
    config = {
        "format_version": FORMAT_VERSION,
        "forge_version": __version__,
        "encoder": name,
        "class": f"{type(encoder).__module__}.{type(encoder).__qualname__}",
        "params": encoder.config_params(),
    }
    config["params_sha256"] = _params_digest(config)
    _check_other_model(path, name, overwrite)
    with atomic_dir(path, kind=MODEL_KIND, legacy=_legacy_model) as tmp:
        encoder.save_state(tmp)
        config["files"] = file_manifest(tmp, skip=(CONFIG_NAME,))
        (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _read_config(path: Path, allow_unchecked: bool = False, quiet: bool = False) -> dict[str, Any]:
    """config.json, its types checked, and (format 2+) the parameter digest and every file's checksum.

    Format 1 (no checksums) is read only with ``allow_unchecked=True`` (a ``UserWarning`` unless
    ``quiet``); a version forge does not know is refused.
    """
    cfg_file = path / CONFIG_NAME
    config = read_json(cfg_file)
    if not isinstance(config, dict):
        raise CorruptModelError(
            f"{cfg_file} must hold a JSON object, got {type(config).__name__}; the model is corrupt: save it again."
        )
    version = config.get("format_version", 1)
    if type(version) is not int:
        raise CorruptModelError(f"{cfg_file}: format_version must be a small integer, got {_short(version)}.")
    if version > FORMAT_VERSION:
        raise CorruptModelError(f"{path} was written by a newer forge (format {version}); upgrade forge to load it.")
    if version not in _KNOWN_VERSIONS:
        raise CorruptModelError(
            f"{cfg_file}: format_version {version} is not a format forge ever wrote (known: "
            f"{', '.join(map(str, _KNOWN_VERSIONS))}); the file is damaged: save the model again."
        )
    if version == 1:
        if "files" in config or "params_sha256" in config:
            raise CorruptModelError(
                f"{cfg_file} says format_version 1 but carries the checksums ('files', 'params_sha256') of "
                f"a later format: its format_version was changed after saving, which would switch the "
                f"checksums off. The file is damaged or was edited; save the model again."
            )
        msg = (
            f"{path} was saved by an earlier forge (format 1) without checksums: its files cannot be "
            f"verified (only their shapes, dtypes and finiteness are checked)."
        )
        if not allow_unchecked:
            raise CorruptModelError(
                f"{msg} Load it with forge.load(path, allow_unchecked=True) if you trust it, then save "
                f"it again to add checksums."
            )
        if not quiet:
            logging.getLogger("forge").warning(msg)
            warnings.warn(msg + " Save it again to add checksums.", UserWarning, stacklevel=3)
    name, params = config.get("encoder"), config.get("params")
    if not isinstance(name, str) or not name:
        raise CorruptModelError(
            f"{cfg_file}: 'encoder' must be the encoder's registered name (a string), got "
            f"{_short(name)}; the model is corrupt: save it again."
        )
    if not isinstance(params, dict):
        raise CorruptModelError(
            f"{cfg_file}: 'params' must be a JSON object of constructor arguments, got "
            f"{_short(params)}; the model is corrupt: save it again."
        )
    if version >= 2:
        digest = config.get("params_sha256")
        if digest is not None and digest != _params_digest(config):
            raise CorruptModelError(
                f"{cfg_file} was changed after it was saved: its encoder/params no longer match "
                f"'params_sha256'. The file is damaged; if you edited it on purpose, delete the "
                f"'params_sha256' line and the edited parameters are checked instead."
            )
        verify_manifest(path, config.get("files"), cfg_file)
    return config


def _verifies(path: Path, allow_unchecked: bool = False) -> bool:
    try:
        _read_config(path, allow_unchecked, quiet=True)
    except ForgeError:
        return False
    return True


def load(path: str | Path, mmap: bool = False, *, allow_unchecked: bool = False) -> Any:
    """Load an encoder saved with ``encoder.save(path)``.

    The files are checked against the checksums recorded at save time, the parameters are
    validated as ``fit`` validates them and the arrays are checked; anything wrong is a
    :class:`~forge.errors.CorruptModelError` naming the file. A save that was killed between
    its two renames is recovered from its complete previous copy (with a warning).

    A model of format 1 (an earlier forge, no checksums) loads only with ``allow_unchecked=True``,
    with a ``UserWarning``; its arrays are still checked for shape, dtype and finiteness. A
    ``format_version`` forge never wrote is refused.

    With ``mmap=True`` encoders that support it (static vectors: ``vectors``, ``word2vec``)
    map their matrix read-only from disk instead of reading it into memory.

    Examples
    --------
    >>> import forge, tempfile, os
    >>> enc = forge.create("onehot").fit([["a", "b"]])
    >>> d = os.path.join(tempfile.mkdtemp(), "m")
    >>> _ = enc.save(d)
    >>> forge.load(d).vocabulary.words
    ['a', 'b']
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path} is a file, not a saved model: expected a directory written by encoder.save().")
    if not path.is_dir() or not any(path.iterdir()):
        found = recover(path, MODEL_KIND, verify=lambda p: _verifies(p, allow_unchecked=True))  # trusted below
        if found is None:
            raise BadInputError(f"No saved model at {path}: expected a directory written by encoder.save().")
        path = found
    cfg_file = path / CONFIG_NAME
    config = _read_config(path, allow_unchecked)
    name, params = config["encoder"], config["params"]
    try:
        encoder = create(name, **params)
    except UnknownNameError:
        raise  # e.g. a plugin's model without the plugin installed: the message lists what is
    except (TypeError, BadInputError) as exc:
        raise CorruptModelError(
            f"{cfg_file}: the params do not fit encoder {name!r} ({exc}); the model is "
            f"corrupt or from another version of the encoder."
        ) from None
    try:
        encoder.validate_params()
    except CorruptModelError:
        raise
    except BadInputError as exc:
        raise CorruptModelError(
            f"{cfg_file}: {exc} (the saved parameters are invalid: the file is damaged or was edited)."
        ) from None
    except Exception as exc:
        raise CorruptModelError(
            f"{cfg_file}: the saved parameters of {name!r} cannot be checked "
            f"({type(exc).__name__}: {_short(str(exc), 120)}); the file is damaged."
        ) from None
    _refuse_special(path)  # format 1 has no manifest: a FIFO or device among the state files must not be read
    try:
        encoder.load_state(path, mmap=bool(mmap))
        _check_static(encoder, path)
    except ForgeError:
        raise
    except Exception as exc:  # truncated arrays, missing weight files, ...
        raise CorruptModelError(
            f"Could not load the state of {name!r} from {path}: "
            f"{type(exc).__name__}: {_short(str(exc), 200)}. The model directory is truncated "
            f"or corrupt; save it again."
        ) from exc
    return encoder


def _refuse_special(path: Path) -> None:
    """Every entry of a model folder is a regular file or a folder (links followed): nothing else is read."""
    for entry in path.rglob("*"):
        try:
            mode = entry.stat().st_mode
        except OSError as exc:  # a dangling link, a loop
            raise CorruptModelError(f"{entry} cannot be read ({exc.strerror or exc}); the model is damaged.") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise CorruptModelError(
                f"{entry} is {file_kind(mode)}, not a regular file: forge does not read it. The model folder "
                f"{path} is damaged; save the model again."
            )


def _check_static(encoder: Any, path: Path) -> None:
    """The context-free vectors a loaded encoder will serve: float, one row per word, finite."""
    try:
        matrix = encoder._static_matrix()
    except NotImplementedError:
        return
    if hasattr(matrix, "toarray"):  # sparse (one-hot): built from the vocabulary, nothing read
        return
    matrix = np.asarray(matrix)
    check_array(path, matrix, None)
    if matrix.ndim != 2 or matrix.shape[0] != len(encoder.vocabulary):
        raise CorruptModelError(
            f"The vectors loaded from {path} have shape {matrix.shape}, expected one row per "
            f"vocabulary word ({len(encoder.vocabulary)}); the model is corrupt: save it again."
        )
