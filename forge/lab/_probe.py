"""What a probe is, and the probe registry.

A :class:`Probe` measures one claim of the story on *one* encoder through the
common interface only (``vocabulary``, ``__contains__``, ``vector``,
``embed``, ``dim``, ``tags``, ``get_params``), so it runs on any registered
encoder, plugins included. It returns metric rows in the harness's tidy
format (:data:`forge.bench.COLUMNS`, ``kind="probe"``) plus notes (text such
as nearest neighbours), and carries everything the report shows about it: its
figure (``plot``), its table (``columns``), its summary sentence
(``summarize``), any extra paragraph (``remark``) and its verdict rule
(``rule``, ``judge``). Adding a probe is one module that builds a ``Probe``
and calls :func:`forge.lab.register_probe` (plus, for forge's own probes, its
``forge.tasks`` entry point and its import in ``forge/lab/__init__.py``, which
registers every probe before anything of the lab is used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forge._catalogue import Registry
from forge.bench import metric_row
from forge.errors import BadInputError

__all__ = [
    "KIND",
    "Column",
    "Probe",
    "ProbeOptions",
    "ProbeOutcome",
    "check_encoder",
    "get_probe",
    "list_probes",
    "row",
]

KIND = "probe"


@dataclass
class ProbeOptions:
    """Settings shared by the probes.

    ``sentences`` are extra sentences (e.g. sampled from the training corpus) for the probes that
    measure over many sentences; ``quick`` makes the slow probes (memory, speed) smaller.
    """

    seed: int = 0
    quick: bool = False
    sentences: list[list[str]] | None = None
    device: str = "cpu"
    benchmarks: bool = True  # also run the related benchmark datasets when available
    steps: int | None = None  # training steps of the long-range probe's models (None: its default)


@dataclass
class ProbeOutcome:
    """Rows (dicts with ``metric``, ``section``, ``value``, ...) and free-text notes for one encoder."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    """One column of a probe's table in the report: ``field`` of the rows with ``metric``.

    ``section`` None reads the first row of the metric whatever its section; a section ending in
    ``*`` (``"gap *"``) expands to one column per section with that prefix, titled
    ``"<title> <rest of the section>"``. ``field`` is ``value``, ``ci_low``, ``ci_high`` or ``n``.
    """

    metric: str
    title: str
    section: str | None = None
    field: str = "value"


@dataclass(frozen=True)
class Probe:
    """One claim of the story as a measurement, with what the report shows of it (see the module docstring)."""

    name: str
    claim: int
    title: str
    claim_text: str
    measure: Callable[[Any, ProbeOptions], ProbeOutcome]
    plot: Callable[[Any, Any], None]  # (rows of this probe as a DataFrame, matplotlib Figure)
    method: str = ""  # how the measurement is made, for the report
    # the verdict rule (forge.lab._verdict): in words, and as a function of (this probe's rows,
    # {encoder: encoder_kind(...)}) -> (verdict, evidence read from the rows)
    rule: str = ""
    judge: Callable[[Any, dict[str, dict[str, Any]]], tuple[str, str]] | None = None
    columns: tuple[Column, ...] = ()  # the report's table: encoders x these columns
    # one or two plain sentences stating what was measured, from this probe's rows (a DataFrame)
    summarize: Callable[[Any], str] | None = None
    # an extra paragraph for the report (e.g. how a tokenizer split the examples), or None
    remark: Callable[[], str | None] | None = None
    # more figures under the main one, from this probe's rows: [(file name, one-line reading, PNG bytes)]
    figures: Callable[[Any], list[tuple[str, str, bytes]]] | None = None
    # a section of the report's own after all the claims (page, lab result), e.g. claim 9's "Do we need recurrence?"
    section: Callable[[Any, Any], None] | None = None
    # which encoders the probe runs on, by profile tags (forge.lab._verdict.profile: "static", "contextual",
    # "sparse", "recurrent", "bidirectional", "unidirectional", "trained", "untrained", "en", "zh"): an encoder
    # needs every tag of ``needs`` and none of ``skips``; the runner never names a probe
    needs: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()

    def applies(self, tags: set[str] | frozenset[str]) -> bool:
        """True when an encoder with these profile tags is one this probe measures."""
        return set(self.needs) <= set(tags) and not set(self.skips) & set(tags)


def _validate(name: str, probe: Any, where: str) -> Any:
    if not isinstance(probe, Probe):
        raise BadInputError(f"{where} must be a forge.lab.Probe, got {probe!r}.")
    return probe


_PROBES = Registry("probe", validate=_validate)


def list_probes() -> dict[str, str]:
    """``{name: title}`` of the probes, in claim order.

    Examples
    --------
    >>> from forge.lab import list_probes
    >>> list(list_probes())[:2]
    ['probe-onehot', 'probe-static-similarity']
    """
    probes = [_PROBES.get(name) for name in _PROBES]
    return {p.name: p.title for p in sorted(probes, key=lambda p: (p.claim, p.name))}


def get_probe(name: str) -> Probe:
    """The registered probe ``name`` (an unknown name lists the probes, with a did-you-mean)."""
    return _PROBES.get(name)


def row(
    metric: str,
    value: float,
    *,
    section: str = "",
    n: int = 0,
    main: bool = False,
    language: str = "",
    ci: tuple[float, float] = (float("nan"), float("nan")),
) -> dict[str, Any]:
    """One metric row (the encoder and dataset columns are added by the runner)."""
    return {"kind": KIND, "language": language, **metric_row(metric, value, ci=ci, n=n, main=main, section=section)}


def check_encoder(encoder: Any) -> None:
    """Raise :class:`~forge.errors.BadInputError` unless ``encoder`` is fitted."""
    if not getattr(encoder, "is_fitted", True):
        raise BadInputError(
            f"{type(encoder).__name__} is not fitted: probes need a fitted encoder "
            f"(call .fit(corpus) or forge.load(path) first)."
        )
