"""Where forge looks for data (``FORGE_DATA_DIR``) and keeps its cache (``FORGE_CACHE_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

from forge.errors import BadInputError

__all__ = ["cache_dir", "data_dir"]


def data_dir() -> Path | None:
    """The data directory from ``FORGE_DATA_DIR``, or None when unset.

    It holds corpora and benchmark datasets in the layout of
    ``shared/datasets`` (one folder per dataset, see the README).
    """
    value = os.environ.get("FORGE_DATA_DIR")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Per-user cache: ``FORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/forge``, else ``~/.cache/forge``.

    The directory is created when first written to; a path that exists and is
    not a directory raises :class:`forge.errors.BadInputError`.
    """
    value = os.environ.get("FORGE_CACHE_DIR")
    if value:
        path, source = Path(value).expanduser(), "FORGE_CACHE_DIR"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path, source = Path(base) / "forge", "the default cache directory"
    if path.exists() and not path.is_dir():
        raise BadInputError(
            f"forge's cache directory {path} ({source}) exists but is not a directory; set "
            f"FORGE_CACHE_DIR to a directory (it is created when missing)."
        )
    return path
