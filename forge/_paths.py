"""Where forge looks for data (``FORGE_DATA_DIR``) and keeps its cache (``FORGE_CACHE_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "cache_dir"]


def data_dir() -> Path | None:
    """The data directory from ``FORGE_DATA_DIR``, or None when unset.

    It holds corpora and benchmark datasets in the layout of
    ``shared/datasets`` (one folder per dataset, see the README).
    """
    value = os.environ.get("FORGE_DATA_DIR")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Per-user cache: ``FORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/forge``, else ``~/.cache/forge``."""
    value = os.environ.get("FORGE_CACHE_DIR")
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "forge"
