"""The lab: every claim of the one-hot -> Word2Vec -> RNN -> LSTM story, measured.

Each claim is a *probe*: a measurement that runs on any fitted encoder through
the common interface and returns rows in the benchmark harness's tidy format
(``kind="probe"``), with a figure. ``forge lab`` trains the encoders of the
story and writes one report; ``forge bench --datasets probe-order`` runs one
probe through the harness.

==========================  =====  ==========================================================
probe                       claim  measures
==========================  =====  ==========================================================
probe-onehot                1      dimension, density, memory, cosine of distinct words (= 0)
probe-static-similarity     2      related vs unrelated pairs, neighbours, analogies
probe-polysemy              3      spread of a word's vectors across contexts, SCWS / WiC
probe-order                 4      identical sentence vectors under permutation
probe-order-task            5      who did what to whom: accuracy, untrained vs trained
probe-left-context          6      苹果 in 苹果派 vs 苹果手机: left-to-right vs bidirectional
probe-long-range            7      recall across k distractors; gradient norm vs distance
probe-speed                 8      time per batch vs length; recurrent vs parallel layers
probe-attention             9      recall vs distance, sequential steps and time vs length; attention maps
==========================  =====  ==========================================================

Examples
--------
>>> import forge
>>> from forge.lab import run_probes
>>> enc = forge.create("onehot").fit([["apple", "banana", "spaceship"]])
>>> res = run_probes({"onehot": enc}, ["probe-onehot"])
>>> float(res.frame.query("metric == 'cosine_exactly_zero_fraction'")["value"].iloc[0])
1.0
"""

from forge.lab import (  # noqa: F401  registers
    _probe_attention,
    _probe_context,
    _probe_memory,
    _probe_onehot,
    _probe_order,
    _probe_speed,
    _probe_static,
)
from forge.lab._probe import Column, Probe, ProbeOptions, ProbeOutcome, get_probe, list_probes
from forge.lab._register import register_probe
from forge.lab._result import LabResult
from forge.lab._run import run_lab
from forge.lab._runner import run_probes
from forge.lab._sentences import en_lab_sentences
from forge.lab._vectors import mean_pool

__all__ = [
    "Column",
    "LabResult",
    "Probe",
    "ProbeOptions",
    "ProbeOutcome",
    "en_lab_sentences",
    "get_probe",
    "list_probes",
    "mean_pool",
    "register_probe",
    "run_lab",
    "run_probes",
]
