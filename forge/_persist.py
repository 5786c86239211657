"""Saving and loading encoders: a directory with ``config.json`` plus state files.

Writes are atomic: everything goes into a temporary sibling directory that is
renamed into place only when complete, so an interrupted save never leaves a
half-written model where a good one was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from forge.errors import BadInputError, CorruptModelError, ForgeError

__all__ = ["save_encoder", "load", "atomic_dir", "atomic_file", "CONFIG_NAME", "FORMAT_VERSION"]

CONFIG_NAME = "config.json"
FORMAT_VERSION = 1


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it owner-only; a saved model is an ordinary folder
    try:
        yield tmp
        if path.exists():
            if not path.is_dir():
                raise BadInputError(f"Cannot save to {path}: it exists and is not a directory.")
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.rename(path, old / "x")
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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


def save_encoder(encoder: Any, path: str | Path) -> Path:
    from forge import __version__
    encoder._check_fitted()
    path = Path(path)
    config = {
        "format_version": FORMAT_VERSION,
        "forge_version": __version__,
        "encoder": encoder.name,
        "class": f"{type(encoder).__module__}.{type(encoder).__qualname__}",
        "params": encoder._config_params(),
    }
    with atomic_dir(path) as tmp:
        encoder._save_state(tmp)
        (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def load(path: str | Path, mmap: bool = False) -> Any:
    """Load an encoder saved with ``encoder.save(path)``.

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
    from forge._registry import create
    path = Path(path)
    if not path.is_dir():
        raise BadInputError(f"No saved model at {path}: expected a directory written by encoder.save().")
    cfg_file = path / CONFIG_NAME
    try:
        config = json.loads(cfg_file.read_text(encoding="utf-8"))
        name, params = config["encoder"], config["params"]
    except FileNotFoundError:
        raise CorruptModelError(f"{cfg_file} is missing: {path} is not a complete forge model directory.") from None
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CorruptModelError(f"{cfg_file} is unreadable ({type(exc).__name__}: {exc}); the model is "
                                f"truncated or corrupt: save it again.") from None
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise CorruptModelError(f"{path} was written by a newer forge (format {config['format_version']}); "
                                f"upgrade forge to load it.")
    encoder = create(name, **params)
    encoder._load_mmap = bool(mmap)   # read by _load_state of encoders that can map their arrays
    try:
        encoder._load_state(path)
    except ForgeError:
        raise
    except Exception as exc:  # truncated arrays, missing weight files, ...
        raise CorruptModelError(f"Could not load the state of {name!r} from {path}: "
                                f"{type(exc).__name__}: {exc}. The model directory is truncated or corrupt; "
                                f"save it again.") from exc
    return encoder
