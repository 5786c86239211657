"""The ``forge`` command line: ``forge list``, ``forge train``, and the commands of subpackages.

Each subpackage that adds commands has a ``cli`` module with
``register(subparsers)``; it adds its parsers and sets ``func`` on them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import TYPE_CHECKING, Any

from forge.errors import BadInputError, ForgeError

if TYPE_CHECKING:
    from forge.corpora import Corpus

__all__ = ["main", "parse_params"]

# modules contributing subcommands (each has register(subparsers))
_COMMAND_MODULES = ["forge.bench.cli", "forge.lab.cli"]


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["k=v", ...]`` -> dict; values are parsed as JSON when they can be (``5``, ``0.1``, ``true``)."""
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


def _cmd_list(args: argparse.Namespace) -> int:
    import forge

    encoders = forge.list_encoders(include_broken=True)
    width = max(map(len, [*encoders, *forge.corpora.list_corpora()]), default=0)
    print("Encoders:")
    for name, desc in encoders.items():
        print(f"  {name:<{width}}  {desc}")
    print("\nCorpora (available: can be loaded now; missing: put it under FORGE_DATA_DIR, see `forge bench --list`):")
    for name, desc in forge.corpora.list_corpora(include_broken=True).items():
        print(f"  {name:<{width}}  {_corpus_status(name):<9}  {desc}")
    return 0


def _corpus_status(name: str) -> str:
    """ "available" when the named corpus loads now, else "missing" (its data is not in FORGE_DATA_DIR)."""
    import forge

    if name == "gensim-default":  # gensim's own test data, always installed (loading it would fill the cache)
        return "available"
    try:
        forge.corpora.load(name)  # the data-directory loaders only locate their file
    except ForgeError:
        return "missing"
    return "available"


def _load_corpus(spec: str, tokenizer: str | None) -> Corpus:
    import forge

    return forge.corpora.open_corpus(spec, tokenizer)


def _cmd_train(args: argparse.Namespace) -> int:
    import forge

    params = parse_params(args.param)
    if args.device:
        params["device"] = args.device
    encoder = forge.create(args.encoder, **params)
    from forge._persist import check_save_target

    check_save_target(args.out)  # refuse a folder forge may not replace before training, not after
    corpus = _load_corpus(args.corpus, args.tokenizer)
    encoder.fit(corpus)
    path = encoder.save(args.out)
    print(f"Trained {args.encoder} ({len(encoder.vocabulary)} words, dim {encoder.dim}); saved to {path}")
    if getattr(encoder, "init_note_", None):  # neural encoders built on static vectors (the default recipe)
        how = "trained on the fly on the same corpus" if hasattr(encoder, "init_encoder_") else "given"
        print(f"  built on {encoder.init_note_}, {how}")
    if args.show:
        for word in args.show.split(","):
            if word in encoder:
                near = ", ".join(f"{w} {s:.2f}" for w, s in encoder.most_similar(word, topn=5))
                print(f"  {word}: {near}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from forge._demo import run_demo

    run_demo(corpus=args.corpus, out=args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from forge import __version__

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
    p.add_argument("--param", action="append", metavar="K=V", help="encoder parameter, repeatable")
    p.add_argument("--tokenizer", default=None, help="tokenizer for a corpus path (default: regex)")
    p.add_argument("--device", default=None, help="device for encoders that have one (cpu, cuda, auto)")
    p.add_argument("--show", default=None, metavar="W1,W2", help="print nearest neighbours of these words")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "demo",
        help="train one-hot, CBOW and skip-gram on the embedded default corpus, "
        "print neighbours and benchmark scores (offline)",
        description="Train one-hot, CBOW (20 epochs) and skip-gram (10 epochs) on the embedded "
        "gensim-default corpus (about 0.5M words, offline), print nearest neighbours, "
        "a collapse check, WordSim-353 / SimLex-999 / Google-analogy scores, what they "
        "mean at this corpus size and what to run next. One worker thread and a fixed "
        "seed: the same output on every run.",
    )
    p.add_argument("--corpus", default="gensim-default", help="named corpus (default: gensim-default)")
    p.add_argument("--out", default=None, help="also save the report (CSV, JSON, Markdown, HTML) here")
    p.set_defaults(func=_cmd_demo)

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
