"""Peak memory of one-hot encoding one million tokens vs the size of the CSR arrays.

One-hot vectors must cost O(tokens), never O(tokens x vocabulary). This
encodes 1M tokens (Zipf-distributed over a 50k vocabulary, or a real corpus)
and compares the peak traced allocation with the bytes of the resulting CSR
arrays and with what a dense matrix would need.

    python benchmarks/onehot_memory.py [--tokens 1000000]
"""

from __future__ import annotations

import argparse
import itertools
import time
import tracemalloc

import numpy as np
import pandas as pd
from _common import write

import forge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--sentence-length", type=int, default=100)
    args = parser.parse_args()
    try:
        corpus = forge.corpora.load("text8")
        source = "text8"
    except forge.errors.MissingDataError:
        corpus = forge.corpora.load("gensim-default")
        source = "gensim-default"
    tokens = list(itertools.islice((t for s in corpus for t in s), args.tokens))
    if len(tokens) < args.tokens:  # repeat the corpus to reach the size asked for
        tokens = list(itertools.islice(itertools.cycle(tokens), args.tokens))
    enc = forge.create("onehot").fit([tokens])
    step = args.sentence_length
    sentences = [tokens[i : i + step] for i in range(0, len(tokens), step)]
    del tokens

    tracemalloc.start()
    start = time.perf_counter()
    mats = enc.embed(sentences)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    csr = sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in mats)
    # arrays shared between matrices (the read-only indptr of same-length sentences) counted once
    unique = {id(a): a.nbytes for m in mats for a in (m.data, m.indices, m.indptr)}
    csr_unique = sum(unique.values())
    n = sum(m.shape[0] for m in mats)
    dense = n * enc.dim * np.dtype(np.float32).itemsize
    frame = pd.DataFrame(
        [
            {
                "source": source,
                "tokens": n,
                "vocabulary": enc.dim,
                "embed_seconds": seconds,
                "csr_bytes": csr,
                "peak_traced_bytes": peak,
                "peak_over_csr": peak / csr,
                "csr_unique_bytes": csr_unique,
                "peak_over_csr_unique": peak / csr_unique,
                "dense_bytes_would_be": dense,
                "dense_over_peak": dense / peak,
            }
        ]
    )
    write(
        frame,
        "onehot_memory",
        "One-hot memory: 1M tokens, peak allocation vs CSR arrays",
        "peak_traced_bytes is tracemalloc's peak during embed(); it includes the CSR arrays themselves, "
        "the scipy matrix objects and the temporary index lists. csr_bytes adds up every matrix's data, "
        "indices and indptr arrays as the user sees them; sentences of equal length share one read-only "
        "indptr array, so csr_unique_bytes (each buffer counted once) is smaller, and peak_over_csr_unique "
        "shows the per-matrix overhead (scipy objects, array headers: ~0.6 KB per sentence) against it.",
    )


if __name__ == "__main__":
    main()
