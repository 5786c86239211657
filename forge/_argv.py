"""Command-line values shared by the commands of every layer (``forge train``, ``forge bench``, ``forge lab``)."""

from __future__ import annotations

import json
from typing import Any

from forge.errors import BadInputError

__all__ = ["parse_params"]


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["k=v", ...]`` -> dict; values are parsed as JSON when they can be (``5``, ``0.1``, ``true``).

    Examples
    --------
    >>> parse_params(["epochs=5", "alpha=0.1", "sg=true", "name=abc"])
    {'epochs': 5, 'alpha': 0.1, 'sg': True, 'name': 'abc'}
    """
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInputError(f"--param expects key=value, got {item!r} (e.g. --param vector_size=100).")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params
