"""The ``forge`` command line: ``forge list``, ``forge train``, and the commands of subpackages.

Each subpackage that adds commands has a ``cli`` module with
``register(subparsers)``; it adds its parsers and sets ``func`` on them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

import forge
from forge import __version__
from forge._argv import parse_params
from forge._cli_interrupt import EXIT_INTERRUPTED, interrupted_line
from forge._persist import check_save_target
from forge._pretrained import table, vectors_dir
from forge._registry import registered_name
from forge.corpora import Corpus
from forge.errors import ForgeError

__all__ = ["main", "parse_params"]

# modules contributing subcommands (each has register(subparsers)): the layers below never import this one
_COMMAND_MODULES = ["forge.bench.cli", "forge.lab.cli"]


def _cmd_list(args: argparse.Namespace) -> int:
    if args.vectors:
        return _list_vectors()

    encoders = forge.list_encoders(include_broken=True)
    width = max(map(len, [*encoders, *forge.corpora.list_corpora()]), default=0)
    print("Encoders:")
    for name, desc in encoders.items():
        print(f"  {name:<{width}}  {desc}")
    print("\nCorpora (available: can be loaded now; missing: put it under FORGE_DATA_DIR, see `forge bench --list`):")
    for name, desc in forge.corpora.list_corpora(include_broken=True).items():
        print(f"  {name:<{width}}  {_corpus_status(name):<9}  {desc}")
    return 0


def _list_vectors() -> int:
    """``forge list --vectors``: the pretrained vectors forge can fetch by name, and what is cached."""

    rows = table()
    cols = ["name", "size", "format", "language", "cached", "licence"]
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(width[c]) for c in cols).rstrip())
    for r in rows:
        print("  ".join(r[c].ljust(width[c]) for c in cols).rstrip())
    print(
        f"\nCache: {vectors_dir()} (FORGE_CACHE_DIR moves it). cached: ready = converted and memory-mapped on "
        f"load, downloaded = not converted yet, partial = an interrupted download that the next load resumes. "
        f"* = a share page: download the file by hand (the load error says where to put it). "
        f"Use: forge.load_vectors(NAME), forge bench --encoders LABEL=NAME."
    )
    return 0


def _corpus_status(name: str) -> str:
    """ "available" when the named corpus loads now, else "missing" (its data is not in FORGE_DATA_DIR)."""
    if name == "gensim-default":  # gensim's own test data, always installed (loading it would fill the cache)
        return "available"
    try:
        forge.corpora.load(name)  # the data-directory loaders only locate their file
    except ForgeError:
        return "missing"
    return "available"


def _load_corpus(spec: str, tokenizer: str | None) -> Corpus:
    return forge.corpora.open_corpus(spec, tokenizer)


def _cmd_train(args: argparse.Namespace) -> int:
    params = parse_params(args.param)
    if args.device:
        params["device"] = args.device
    encoder = forge.create(args.encoder, **params)
    name = registered_name(encoder) or args.encoder
    check_save_target(args.out, name, args.overwrite)  # refuse before training, not after
    corpus = _load_corpus(args.corpus, args.tokenizer)
    start = time.perf_counter()
    encoder.fit(corpus)
    minutes = (time.perf_counter() - start) / 60
    path = encoder.save(args.out, overwrite=args.overwrite)
    print(
        f"Trained {args.encoder} ({len(encoder.vocabulary)} words, dim {encoder.dim}) in {minutes:.1f} min; "
        f"saved to {path}"
    )
    history = getattr(encoder, "history_", None)
    if history:  # neural encoders: what the epochs reached, in the numbers early stopping used
        last = history[-1]
        best = min((h["valid_ppl"] for h in history if "valid_ppl" in h), default=None)
        parts = [f"{len(history)} epoch{'s' * (len(history) != 1)}"]
        if best is not None:
            parts.append(f"best validation perplexity {best:,.1f} (the weights kept)")
        if "train_ppl_exact" in last:
            parts.append(f"training perplexity {last['train_ppl_exact']:,.1f} in the last (full softmax, a sample)")
        print("  " + "; ".join(parts))
    if getattr(encoder, "init_note_", None):  # neural encoders built on static vectors (the default recipe)
        how = "trained on the fly on the same corpus" if hasattr(encoder, "init_encoder_") else "given"
        print(f"  built on {encoder.init_note_}, {how}")
    if args.show:
        for word in args.show.split(","):
            if word in encoder:
                near = ", ".join(f"{w} {s:.2f}" for w, s in encoder.most_similar(word, topn=5))
                print(f"  {word}: {near}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forge", description="Build, train and compare text encoders.")
    parser.add_argument("--version", action="version", version=f"forge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "list",
        help="list registered encoders (plugins included) and named corpora",
        description="List the registered encoders (plugins included) and the named corpora, "
        "each corpus marked available (loads now) or missing (its data is not in "
        "FORGE_DATA_DIR). Benchmark datasets: `forge bench --list`.",
    )
    p.add_argument(
        "--vectors",
        action="store_true",
        help="list the pretrained word vectors forge.load_vectors(NAME) can fetch, with sizes and what is cached",
    )
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser(
        "train",
        help="train an encoder on a corpus and save it",
        description="Train a registered encoder on a named corpus or a text file and save it "
        "(load it back with forge.load). Example: forge train skipgram --corpus "
        "gensim-default --out models/sg --param epochs=10 --show king,music",
    )
    p.add_argument("encoder", help="registered encoder name (see `forge list`)")
    p.add_argument("--corpus", required=True, help="a named corpus (gensim-default, text8, ptb...) or a path")
    p.add_argument("--out", required=True, help="directory to save the model into")
    p.add_argument("--overwrite", action="store_true", help="replace a saved model of another encoder in --out")
    p.add_argument("--param", action="append", metavar="K=V", help="encoder parameter, repeatable")
    p.add_argument("--tokenizer", default=None, help="tokenizer for a corpus path (default: regex)")
    p.add_argument("--device", default=None, help="device for encoders that have one (cpu, cuda, auto)")
    p.add_argument("--show", default=None, metavar="W1,W2", help="print nearest neighbours of these words")
    p.set_defaults(func=_cmd_train)

    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that subpackage is not part of this install
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ForgeError as exc:
        print(f"forge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line (what stopped, the checkpoint, how to resume), no traceback
        params = parse_params(getattr(args, "param", None)) if args.command == "train" else None
        line = interrupted_line(args, sys.argv[1:] if argv is None else list(argv), params)
        print(("\n" if sys.stderr.isatty() else "") + line, file=sys.stderr)  # after the terminal's ^C
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
