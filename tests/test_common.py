"""The conformance suite over every registered encoder, built-ins and installed plugins."""

from __future__ import annotations

import pytest

import forge
from forge.testing import all_checks

# modules whose absence makes an encoder untestable here (not failures of forge)
_OPTIONAL = {"torch", "safetensors"}


def _factories():
    out = []
    for name in forge.list_encoders():
        try:
            cls = forge.get_encoder_class(name)
        except ModuleNotFoundError as exc:
            if exc.name in _OPTIONAL:
                out.append(pytest.param(None, id=name, marks=pytest.mark.skip(reason=f"needs {exc.name}")))
                continue
            raise
        params = dict(getattr(cls, "test_params", {}))
        out.append(pytest.param((name, params), id=name))
    return out


def _cases():
    cases = []
    for p in _factories():
        if p.values[0] is None:
            cases.append(pytest.param(None, id=p.id, marks=p.marks))
            continue
        name, params = p.values[0]

        def factory(name=name, params=params):
            return forge.create(name, **params)

        for check_name, check in all_checks(factory):
            cases.append(pytest.param(check, id=f"{name}-{check_name}"))
    return cases


@pytest.mark.parametrize("check", _cases())
def test_conformance(check):
    check()
