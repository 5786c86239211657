"""Where the lab's shared names lived before the split by job; kept so that older imports still work.

New code imports from the module that holds each name: :mod:`forge.lab._probe` (the probe record,
options, registry, rows), :mod:`forge.lab._register` (``register_probe``), :mod:`forge.lab._vectors`
(dense, mean pooling, cosine distance), :mod:`forge.lab._vocab` (coverage, language, script),
:mod:`forge.lab._plotting` (figure helpers), :mod:`forge.lab._threads` (``one_thread``). Public names
are in :mod:`forge.lab`.
"""

from forge.lab._plotting import cjk_font, encoder_ticks, plot_text
from forge.lab._probe import _PROBES, KIND, Probe, ProbeOptions, ProbeOutcome, check_encoder, get_probe, list_probes, row
from forge.lab._register import register_probe
from forge.lab._threads import one_thread
from forge.lab._vectors import cosine_distance, dense, mean_pool
from forge.lab._vocab import adapt_script, covered, encoder_language, vocabulary_sentences

__all__ = ["Probe", "ProbeOptions", "ProbeOutcome", "register_probe", "get_probe", "list_probes", "row",
           "dense", "mean_pool", "covered", "cosine_distance", "encoder_language", "one_thread", "adapt_script",
           "vocabulary_sentences", "cjk_font", "plot_text", "encoder_ticks", "check_encoder", "KIND", "_PROBES"]
