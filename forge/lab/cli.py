"""``forge lab``: train the encoders of the story and measure every claim in one report.

``forge lab`` (offline, the embedded ``gensim-default`` corpus, a few minutes
on 2 CPU cores) writes ``lab-report/report.html`` and ``report.md`` with one
figure per claim. ``--corpus text8`` (with ``FORGE_DATA_DIR``) uses a bigger
corpus; ``--quick`` uses smaller models; ``--probes probe-order,probe-speed`` runs a
subset of the probes. The report opens with a verdict per claim (supported,
not supported, mixed at this budget), each computed from the claim's own
numbers by the rule printed with it.
"""

from __future__ import annotations

import argparse
from typing import Any

from forge.lab import get_probe, list_probes, run_lab
from forge.lab._report import findings, verdict_text

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lab",
        help="measure every claim of the one-hot -> Word2Vec -> RNN -> LSTM story",
        description=(__doc__ or "").replace("``", "`"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--corpus",
        default="gensim-default",
        help="named corpus for the English encoders (gensim-default, text8, ptb, brown, ...)",
    )
    p.add_argument("--out", default="lab-report", help="directory for the report (replaced atomically)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller models and fewer measurements (timed in benchmarks/results/readme_timings.md)",
    )
    p.add_argument(
        "--rnn-tokens",
        type=int,
        default=None,
        help="train the recurrent encoders on this many tokens of the corpus (default 40000)",
    )
    p.add_argument("--rnn-hidden", type=int, default=None, help="hidden size of the recurrent encoders (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-models", default=None, metavar="DIR", help="also save the trained encoders here")
    p.add_argument(
        "--models",
        default=None,
        metavar="DIR",
        help="do not train: load the encoders saved by an earlier --save-models run",
    )
    p.add_argument(
        "--probes",
        default=None,
        metavar="P1,P2",
        help="run only these probes (comma-separated names from --list; the encoders are still trained)",
    )
    p.add_argument("--list", action="store_true", help="list the probes and exit")
    p.set_defaults(func=_cmd_lab)


def _cmd_lab(args: argparse.Namespace) -> int:
    if args.list:
        for name, title in list_probes().items():
            print(f"  {name:<24} {title}")
        return 0
    probes = None
    if args.probes:
        probes = [get_probe(p.strip()).name for p in args.probes.split(",") if p.strip()]  # unknown: clear error
    result = run_lab(
        corpus=args.corpus,
        out=args.out,
        quick=args.quick,
        seed=args.seed,
        probes=probes,
        rnn_tokens=args.rnn_tokens,
        rnn_hidden=args.rnn_hidden,
        save_models=args.save_models,
        models=args.models,
    )

    for name in list_probes():
        if name in set(result.frame["dataset"]):
            print(f"{name}: {findings(result.frame, name)}")
    print("\nVerdicts (each computed from the claim's own numbers; the rules are in the report):")
    print(verdict_text(result.verdicts()))
    for line in result.protocol.get("skipped", []):  # said again at the end, where it is read
        print(f"Skipped: {line}")
    return 0
