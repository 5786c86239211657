"""The lab's claim 8 (an RNN takes its steps one after another) measured where the script runs: the speed
probe on the lab's recurrent encoders, its bare layers on CPU and, when present, on CUDA (issue 19).

Trains the lab's LSTM, GRU and RNN at the lab's size (hidden 64, one epoch on the first 20,000 tokens of the
built-in corpus; a quarter of that with ``--smoke``), plus any attention encoder that is registered
(``transformer``, ``bitransformer``: rows appear when they exist, nothing fails when they do not), runs
``probe-speed`` at full lengths (8 to 256), and writes the probe's report, its rows and the verdict.

Usage::

    python benchmarks/lab_claim8.py --out benchmarks/results/gpu/lab-claim8
    python benchmarks/lab_claim8.py --smoke --out /tmp/claim8      # a quick check on CPU
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ATTENTION = ("transformer", "bitransformer")  # hooks for the attention encoders (issue 19): used when registered


def main(argv: list[str] | None = None) -> int:
    import torch

    import forge
    from forge.lab import ProbeOptions, run_probes
    from forge.lab._corpus import first_tokens
    from forge.lab._sentences import en_lab_sentences
    from forge.lab._sizes import LAB_SIZES, recurrent_params

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory for the probe's report (replaced)")
    p.add_argument("--smoke", action="store_true", help="tiny training and the quick lengths (a CPU check)")
    args = p.parse_args(argv)
    size = LAB_SIZES["quick"]
    data = first_tokens(forge.corpora.load("gensim-default"), 5_000 if args.smoke else size["rnn_tokens"])
    data += en_lab_sentences()
    hidden = 16 if args.smoke else 64
    encoders = {}
    for name in ("rnn", "gru", "lstm"):
        encoders[name] = forge.create(name, **recurrent_params(size, hidden, None, 1, 0)).fit(data)
    registered = forge.list_encoders()
    for name in ATTENTION:
        if name not in registered:
            print(f"(encoder {name!r} is not registered here: no row for it)")
            continue
        encoders[name] = forge.create(name, epochs=1, device="cpu", progress=False, seed=0).fit(data)
    res = run_probes(encoders, ["probe-speed"], ProbeOptions(quick=args.smoke))
    devices = sorted({s.split()[0] for s in res.frame["section"] if isinstance(s, str) and s})
    print(
        f"probe-speed on {', '.join(encoders)}; devices measured: {', '.join(devices)}; CUDA: {torch.cuda.is_available()}"
    )
    exps = res.frame[res.frame["metric"].str.startswith("growth_exponent_")]
    for _, r in exps.iterrows():
        print(f"  {r['encoder']:<14} {r['metric']:<34} {r['section']:<5} {r['value']:.2f}")
    verdict = res.verdicts()
    print(verdict[["claim", "verdict", "evidence"]].to_string(index=False))
    res.save(Path(args.out))
    print(f"report: {args.out}/report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
