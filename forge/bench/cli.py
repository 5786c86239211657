"""``forge bench`` and ``forge report``.

``forge bench --encoders cbow,skipgram --datasets all --corpus gensim-default --out results/``
trains each named encoder on the corpus (or loads a saved model directory),
runs the datasets and writes the report files. An encoder spec is:

* ``NAME``: a registered encoder (``forge list``), trained on ``--corpus``;
* ``bench-NAME``: the same (so tox can pass its environment name);
* ``PATH`` or ``LABEL=PATH``: a model directory saved with ``encoder.save``, or a vector file
  (word2vec text or binary, GloVe, fastText ``.vec``, optionally gzipped; read by
  ``forge.load_vectors``). A bare path is labelled by its file name.
* ``VECTORS`` or ``LABEL=VECTORS``: pretrained vectors by name (``forge list --vectors``, e.g.
  ``glove=glove-wiki-gigaword-100``), downloaded once into forge's cache and memory-mapped.

``--dataset-file NAME=PATH[:FORMAT]`` (repeatable) scores your own file in one of the dataset
formats (default ``pairs``; see ``forge.bench.FORMATS`` and the README). ``--language en|zh``
keeps only the datasets of that language (e.g. with ``--datasets all``).

``--transform t2s`` (or ``s2t``) converts every dataset word between Traditional and Simplified
Chinese with OpenCC before scoring (a model trained on Simplified text, a Traditional dataset).

``--param k=v`` applies to every trained encoder that has a parameter ``k`` (an error when
none has it), ``--param NAME.k=v`` to encoder NAME only (ignored when NAME is not in the run, so
one command line serves every ``tox p`` environment).

``forge report DIR [DIR ...] [--out DIR]`` merges result directories (a
directory holding several result directories counts as all of them) into
one table, and with ``--out`` one page.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import forge
import forge.corpora
from forge._argv import parse_params
from forge._paths import data_dir
from forge._pretrained import is_pretrained_name
from forge.bench._analogy import METHODS
from forge.bench._datasets import (
    DEFAULT_DATASETS,
    GROUPS,
    available_datasets,
    expand_names,
    get_record,
    get_task,
    list_datasets,
    list_tasks,
    register_dataset,
)
from forge.bench._demo import run_demo
from forge.bench._formats import FORMATS
from forge.bench._report import Report, check_report_target
from forge.bench._report_tables import LEGEND
from forge.bench._run import run
from forge.errors import BadInputError, UnknownNameError

__all__ = ["plain_help", "register"]

# --transform: OpenCC conversions of the dataset words (forge.corpora's functions of the same configs)
TRANSFORMS = {"t2s": "to_simplified", "s2t": "to_traditional"}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
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

    p = subparsers.add_parser(
        "bench",
        help="benchmark encoders on similarity, analogy and polysemy datasets",
        description=plain_help(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--encoders", default=None, help="comma-separated encoder specs (see above)")
    p.add_argument(
        "--datasets",
        default=None,
        help="'all', or comma-separated names/groups (default: the offline set wordsim353, simlex999, google-analogy)",
    )
    p.add_argument(
        "--dataset-file",
        action="append",
        default=None,
        metavar="NAME=PATH[:FORMAT]",
        help="score your own dataset file (repeatable); FORMAT defaults to 'pairs'",
    )
    p.add_argument(
        "--language",
        default=None,
        choices=["en", "zh"],
        help="only datasets in this language (e.g. with --datasets all)",
    )
    p.add_argument(
        "--transform",
        default=None,
        choices=list(TRANSFORMS),
        help="convert every dataset word with OpenCC before scoring: t2s (Traditional to Simplified, for a "
        "model trained on Simplified text) or s2t (Simplified to Traditional)",
    )
    p.add_argument("--corpus", default="gensim-default", help="named corpus or text file to train on")
    p.add_argument("--tokenizer", default=None, help="tokenizer for a corpus path (default: regex)")
    p.add_argument("--param", action="append", metavar="[NAME.]K=V", help="encoder parameter, repeatable")
    p.add_argument(
        "--out",
        default=None,
        help="directory for the report files (an earlier report there is "
        "replaced; a folder of earlier runs gets a new sub-folder)",
    )
    p.add_argument("--oov", default="drop", choices=["drop", "zero", "mean"], help="OOV policy for similarity")
    p.add_argument("--case-sensitive", action="store_true", help="do not fold case when looking words up")
    p.add_argument("--restrict-vocab", type=_count, default=300000, help="only the N most frequent words (0: all)")
    p.add_argument("--methods", default="3cosadd,3cosmul", help="analogy methods, the first is the main score")
    p.add_argument("--common", action="store_true", help="score all encoders on the items they all cover")
    p.add_argument("--ci", default="fisher", choices=["fisher", "bootstrap"], help="CI for correlations")
    p.add_argument("--seed", type=int, default=0, help="seed for bootstrap (recorded in the report)")
    p.add_argument("--download", action="store_true", help="download missing datasets (checksummed)")
    p.add_argument("--device", default="auto", help="device for analogy scoring: auto, cpu, cuda")
    p.add_argument("--save-models", default=None, metavar="DIR", help="also save the trained encoders here")
    p.add_argument("--list", action="store_true", help="list the datasets and where they are available")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_bench)

    r = subparsers.add_parser(
        "report",
        help="merge forge bench result directories into one table and page",
        description="Merge result directories written by `forge bench --out` (a directory "
        "holding several counts as all of them) into one table; --out writes one "
        "page (HTML, Markdown, CSV, JSON); --compare A,B adds the paired "
        "significance tests of encoder A vs B, printed and saved in the page.",
    )
    r.add_argument(
        "dirs",
        nargs="+",
        help="result directories, directories holding them, or patterns such as "
        "'results/bench-*' (quoted: forge expands them)",
    )
    r.add_argument("--out", default=None, help="write the merged report files here")
    r.add_argument("--compare", default=None, metavar="A,B", help="paired significance of encoder A vs B")
    r.add_argument(
        "--label",
        action="append",
        default=None,
        metavar="OLD=NEW",
        help="rename encoder OLD to NEW in every directory it is in (repeatable); {dir} in NEW is replaced by "
        "the result directory's name, so two runs of one encoder merge: --label skipgram=skipgram-{dir}",
    )
    r.set_defaults(func=_cmd_report)


def _count(text: str) -> int:
    """argparse type: a whole number >= 0 (checked before anything is trained)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (all words) or a positive number of words, got {value}")
    return value


def plain_help(doc: str | None) -> str:
    """A docstring for ``--help``: RST ``literal`` double backticks become single ones.

    Examples
    --------
    >>> plain_help("run ``forge bench`` now")
    'run `forge bench` now'
    """
    return (doc or "").replace("``", "`")


def _cmd_demo(args: argparse.Namespace) -> int:
    run_demo(corpus=args.corpus, out=args.out)
    return 0


# -------------------------------------------------------------------- bench
def _split_params(items: list[str] | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    common: list[str] = []
    per: dict[str, list[str]] = {}
    for item in items or []:
        key = item.partition("=")[0]
        if "." in key:
            name, _, rest = item.partition(".")
            per.setdefault(name, []).append(rest)
        else:
            common.append(item)
    return parse_params(common), {k: parse_params(v) for k, v in per.items()}


def _encoders(args: argparse.Namespace) -> dict[str, Any]:
    specs = [s.strip() for s in (args.encoders or "").split(",") if s.strip()]
    if not specs:
        raise BadInputError("--encoders is required: e.g. --encoders cbow,skipgram or a saved model directory.")
    common, per = _split_params(args.param)
    # resolve names and check every parameter before training anything; NAME.k=v for a registered encoder
    # that is not in this run is ignored (so one command line serves every `tox p` environment)
    known = set(forge.list_encoders())
    for prefix in per:
        if prefix not in known:
            raise UnknownNameError("encoder (in --param NAME.k=v)", prefix, known)
    plan: list[tuple[str, str, Any]] = []  # (label, "load"|"train", path or params)
    used: set[str] = set()

    for spec in specs:
        label, sep, path = spec.partition("=")
        if is_pretrained_name(path if sep else spec) and not Path(path if sep else spec).exists():
            plan.append((label, "load", path if sep else spec))  # pretrained vectors by name (forge list --vectors)
            continue
        if sep or Path(spec).exists():
            path = path if sep else spec
            _check_model_path(path)
            plan.append((label if sep else _label_of(Path(spec)), "load", path))
            continue
        name = spec[len("bench-") :] if spec.startswith("bench-") and spec not in forge.list_encoders() else spec
        cls = forge.get_encoder_class(name)
        valid = _param_names(cls)
        own = per.get(name, {})
        bad = [k for k in own if k not in valid]
        if bad:
            raise BadInputError(
                f"--param {name}.{bad[0]}=...: {name!r} has no parameter {bad[0]!r}; "
                f"its parameters are {', '.join(valid)}."
            )
        shared = {k: v for k, v in common.items() if k in valid}  # --param k=v: every encoder that has k
        used |= set(shared)
        plan.append((name, "train", {**_recipe(cls), **shared, **own}))
    unused = [k for k in common if k not in used]
    if unused:
        trained = [label for label, how, _ in plan if how == "train"] or ["(none: only saved models)"]
        raise BadInputError(
            f"--param {unused[0]}=...: none of the trained encoders ({', '.join(trained)}) has a "
            f"parameter {unused[0]!r}; see the encoder's docstring for its parameters."
        )
    out: dict[str, Any] = {}
    corpus = None
    for label, how, what in plan:
        if how == "load":
            if Path(what).is_dir():
                out[label] = forge.load(what)
                print(f"loaded {label} from {what}", file=sys.stderr)
            else:
                out[label] = forge.load_vectors(what)
                info = out[label].source_
                print(
                    f"loaded {label} from {what} ({info['format']}, {len(out[label].vocabulary)} x {out[label].dim})",
                    file=sys.stderr,
                )
            continue
        encoder = forge.create(label, **what)
        if corpus is None:
            corpus = forge.corpora.open_corpus(args.corpus, args.tokenizer)
        print(f"training {label} on {args.corpus} ...", file=sys.stderr)
        encoder.fit(corpus)
        if args.save_models:
            encoder.save(Path(args.save_models) / label)
        out[label] = encoder
    return out


def _recipe(cls: type) -> dict[str, Any]:
    """The parameters an encoder class declares as its recipe (``cls.recipe``, e.g. the recurrent encoders': on a
    skip-gram, layer="mix"), applied unless --param says otherwise (``--param bilstm.init_from=null``)."""
    return dict(getattr(cls, "recipe", None) or {})


def _check_model_path(path: str) -> None:
    if not Path(path).exists():
        raise BadInputError(
            f"--encoders: {path} does not exist; expected a model directory saved with "
            f"encoder.save() or a vector file (word2vec text/binary, GloVe, fastText .vec, "
            f"optionally .gz)."
        )


def _label_of(path: Path) -> str:
    """glove.6B.100d.txt.gz -> glove.6B.100d; a directory keeps its name."""
    if path.is_dir():
        return path.name
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and ext.lower() in ("txt", "vec", "bin", "w2v", "glove", "vectors") else name


def _dataset_files(items: list[str] | None, language: str | None) -> list[str]:
    """Register each ``NAME=PATH[:FORMAT]`` as a user dataset; returns the names."""
    names = []
    for item in items or []:
        name, sep, rest = item.partition("=")
        if not sep or not name or not rest:
            raise BadInputError(
                f"--dataset-file {item!r}: expected NAME=PATH or NAME=PATH:FORMAT, e.g. "
                f"--dataset-file mine=data/pairs.tsv:pairs."
            )
        path, colon, fmt = rest.rpartition(":")
        if not colon or fmt not in FORMATS:
            if colon and not Path(rest).exists() and "/" not in fmt and "\\" not in fmt:
                raise BadInputError(
                    f"--dataset-file {item!r}: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}."
                )
            path, fmt = rest, "pairs"
        if not Path(path).exists():
            raise BadInputError(f"--dataset-file {item!r}: {path} does not exist.")
        register_dataset(name, path, fmt, language=language or "en", overwrite=True)
        names.append(name)
    return names


def _param_names(cls: Any) -> list[str]:
    if hasattr(cls, "_param_names"):
        return list(cls._param_names())
    return [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _cmd_list() -> int:
    ok, _missing = available_datasets("all")
    print("Datasets (available: found offline or in FORGE_DATA_DIR; missing: see --download or the README):")
    print(f"  {'name':<24} {'kind':<10} {'lang':<4} {'status':<9} description")
    for name, desc in list_datasets().items():
        rec = get_record(name)
        where = "available" if name in ok else "missing"
        print(f"  {name:<24} {rec.kind:<10} {rec.language:<4} {where:<9} {desc}")
    print("\nGroups (usable in --datasets in place of their members):")
    print(f"  {'group':<24} members")
    for group, members in GROUPS.items():
        print(f"  {group:<24} {', '.join(members)}")
    tasks = [name for name in list_tasks() if name not in list_datasets()]
    print("\nTasks that evaluate encoders themselves (the lab's probes, plugins' tasks; need no data files):")
    print(f"  {'name':<24} {'kind':<10} description")
    for name in tasks:
        task = get_task(name)
        print(f"  {name:<24} {getattr(task, 'kind', ''):<10} {getattr(task, 'description', '')}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.list:
        return _cmd_list()
    datasets = args.datasets
    own = _dataset_files(args.dataset_file, args.language)
    if datasets not in (None, "all"):
        datasets = expand_names(datasets)  # unknown names fail before any training
    if args.language and not (own and args.datasets is None):  # only your own files: nothing else to filter
        datasets = _by_language(datasets, args.language)
    if own:
        datasets = own if args.datasets is None else list(dict.fromkeys(list(datasets) + own))
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    for m in methods:
        if m not in METHODS:
            raise BadInputError(f"--methods: unknown analogy method {m!r}; choose from {', '.join(METHODS)}.")
    if args.out:  # refused folders fail now, not after the benchmark ran
        check_report_target(args.out)
    transform = None
    if args.transform:
        transform = getattr(forge.corpora, TRANSFORMS[args.transform])
        transform("漢")  # OpenCC missing: a clear error now, before any training
    encoders = _encoders(args)
    report = run(
        encoders,
        datasets,
        oov=args.oov,
        case_insensitive=not args.case_sensitive,
        restrict_vocab=args.restrict_vocab or None,
        analogy_methods=methods,
        common=args.common,
        ci=args.ci,
        seed=args.seed,
        download=args.download,
        device=args.device,
        progress=not args.quiet,
        transform=transform,
    )
    _print(report)
    if args.out:
        saved = report.save(args.out)
        print(f"\nwrote {saved}/report.html, report.md, results.csv, results.json")
    return 0


def _by_language(datasets: Any, language: str) -> list[str]:
    """Keep the datasets in ``language``; for "all", those available offline (the others are listed)."""
    if datasets == "all":
        names, missing = available_datasets("all")
        missing = {name: why for name, why in missing.items() if get_record(name).language == language}
        if missing:
            print(_skipped_line(missing), file=sys.stderr)
    else:
        names = list(DEFAULT_DATASETS) if datasets is None else list(datasets)
    datasets_ = list_datasets()  # tasks that are not datasets (the lab's probes) have no language: kept
    kept = [n for n in names if n not in datasets_ or get_record(n).language == language]
    if not kept:
        raise BadInputError(f"--language {language}: none of the selected datasets is in {language!r}.")
    return kept


def _print(report) -> None:
    """The score table as the pages show it (warning marks, n/a with numbered notes), then the notes."""
    with pd.option_context("display.width", 250, "display.max_columns", 50, "display.max_colwidth", None):
        print(report.score_table(ci=False).to_string())
    print(LEGEND)
    for line in report._note_lines():
        print(line)
    shown = {f"{enc}/{ds}" for enc, ds in report.score_notes()}
    skipped = report.protocol.get("skipped", {})
    if skipped:
        print(_skipped_line(skipped))
    for key, why in report.protocol.get("errors", {}).items():
        if key not in shown:
            print(f"note {key}: {why}")


def _skipped_line(skipped: dict[str, str]) -> str:
    """One line for the datasets left out because their files are missing (instead of one line each)."""

    where = data_dir()
    why = f"not in FORGE_DATA_DIR={where} nor the cache" if where else "FORGE_DATA_DIR is not set"
    return (
        f"skipped {len(skipped)} dataset{'s' if len(skipped) != 1 else ''} ({why}): {', '.join(skipped)}. "
        f"See `forge bench --list` and the README for where each comes from, or pass --download."
    )


# ------------------------------------------------------------------- report
def _result_dirs(dirs: list[str], exclude: str | None) -> list[Path]:
    found: list[Path] = []
    skip = Path(exclude).resolve() if exclude else None
    expanded: list[str] = []
    for d in dirs:  # patterns such as results/bench-* (tox passes them unexpanded: no shell)
        if any(ch in d for ch in "*?["):
            matches = sorted(m for m in glob.glob(d) if Path(m).resolve() != skip)
            if not matches:
                raise BadInputError(
                    f"{d} matches no directory; run `forge bench --out` (or the tox bench-* environments) first."
                )
            expanded += matches
        else:
            expanded.append(d)
    for d in expanded:
        path = Path(d)
        if (path / "results.json").is_file():
            found.append(path)
            continue
        if not path.is_dir():
            raise BadInputError(f"{path} does not exist; expected a directory written by `forge bench --out`.")
        subs = sorted(p for p in path.iterdir() if (p / "results.json").is_file() and p.resolve() != skip)
        if not subs:
            raise BadInputError(
                f"{path} holds no forge bench results (no results.json in it or its "
                f"subdirectories); run `forge bench --out {path}/NAME` first."
            )
        found.extend(subs)
    return found


def _labels(items: list[str] | None) -> dict[str, str]:
    """``["OLD=NEW", ...]`` -> ``{OLD: NEW}`` (``--label``)."""
    out: dict[str, str] = {}
    for item in items or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadInputError(
                f"--label {item!r}: expected OLD=NEW, e.g. --label skipgram=skipgram-text8 "
                f"(or skipgram=skipgram-{{dir}} to append each result directory's name)."
            )
        out[old.strip()] = new.strip()
    return out


def _cmd_report(args: argparse.Namespace) -> int:
    dirs = _result_dirs(args.dirs, args.out)
    labels = _labels(args.label)
    reports = [Report.load(d) for d in dirs]
    if labels:
        known = list(dict.fromkeys(e for rep in reports for e in rep.encoders))
        for old in labels:
            if old not in known:
                raise UnknownNameError("encoder (in --label OLD=NEW)", old, known)
        reports = [
            rep.rename({old: new.replace("{dir}", d.name) for old, new in labels.items() if old in rep.encoders})
            for rep, d in zip(reports, dirs)
        ]
    report = Report.merge(*reports)
    print(f"merged {len(dirs)} result director{'y' if len(dirs) == 1 else 'ies'}: " + ", ".join(str(d) for d in dirs))
    _print(report)
    if args.compare:
        a, _, b = args.compare.partition(",")
        table = report.add_comparison(a.strip(), b.strip())  # kept in the report: saved with --out
        print(table.round(4).to_string())
        for _, r in table[table["note"] != ""].iterrows():
            print(f"note {r['dataset']}: {r['note']}")
    if args.out:
        saved = report.save(args.out)
        print(f"\nwrote {saved}/report.html, report.md, results.csv, results.json")
    return 0
