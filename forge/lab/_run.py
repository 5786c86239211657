"""Running probes over encoders, and ``run_lab``: train the encoders of the story, run every probe."""

from __future__ import annotations

import datetime as _dt
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np
import pandas as pd

from forge.errors import BadInputError
from forge.lab._probe import ProbeOptions, check_encoder, get_probe, list_probes
from forge.lab._threads import one_thread

__all__ = ["LabResult", "run_probes", "run_lab", "train_lab_encoders", "LAB_SIZES"]


@dataclass
class LabResult:
    """Probe rows in the harness's tidy format, notes per (probe, encoder), and how they were made."""

    frame: pd.DataFrame
    notes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    benchmarks: pd.DataFrame | None = None  # harness rows of the Chinese datasets (run_lab), if any

    def to_report(self):
        """The rows as a :class:`forge.bench.Report` (``to_wide()``, ``save()``, merging with benchmarks)."""
        from forge.bench import Report

        return Report(self.frame, self.protocol)

    def to_wide(self) -> pd.DataFrame:
        return self.to_report().to_wide()

    @classmethod
    def load(cls, path: str | Path) -> LabResult:
        """A result saved with :meth:`save` (to re-render the report, or compare runs)."""
        import json

        from forge.bench import COLUMNS

        file = Path(path) / "results.json"
        try:
            payload = json.loads(file.read_text(encoding="utf-8"))
            frame = pd.DataFrame(payload["results"], columns=COLUMNS)
            notes = {(n["probe"], n["encoder"]): n["notes"] for n in payload.get("notes", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadInputError(
                f"{file} is not a forge lab result ({type(exc).__name__}: {exc}); expected the "
                f"results.json written by LabResult.save / forge lab."
            ) from None
        bench = payload.get("benchmarks")
        return cls(frame, notes, payload.get("protocol", {}), pd.DataFrame(bench) if bench else None)

    def figure(self, probe: str) -> bytes | None:
        """The probe's figure as PNG bytes (None when it has no rows), e.g. for ``IPython.display.Image``."""
        from forge.lab._plotting import render_figure

        return render_figure(self.frame, get_probe(probe).name)

    def verdicts(self) -> pd.DataFrame:
        """Each claim's verdict from its own numbers: claim, probe, verdict, rule, evidence.

        The rule lives with the probe (``Probe.rule``, ``Probe.judge``); see :mod:`forge.lab._verdict`.
        """
        from forge.lab._verdict import judge_probes, verdict_frame

        return verdict_frame(judge_probes(self.frame, self.protocol.get("encoders", {})))

    def save(self, path: str | Path) -> Path:
        """Write the lab report (report.md, report.html, figures, results.csv/json) into ``path``, atomically."""
        from forge.lab._report import write_report

        return write_report(self, path)


def _rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    from forge.bench import COLUMNS

    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame


def run_probes(
    encoders: dict[str, Any],
    probes: Sequence[str] | None = None,
    options: ProbeOptions | None = None,
    select: Callable[[str, str], bool] | None = None,
    log: Callable[[str], None] | None = None,
) -> LabResult:
    """Run ``probes`` (default: all) on every encoder; ``select(probe, encoder)`` may skip pairs.

    Examples
    --------
    >>> import forge
    >>> from forge.lab import run_probes
    >>> enc = forge.create("onehot").fit([["the", "dog", "bit", "the", "man"]] * 3)
    >>> res = run_probes({"onehot": enc}, ["probe-order"])
    >>> res.frame.loc[res.frame["main"], ["dataset", "metric", "value"]].values.tolist()
    [['probe-order', 'identical_fraction', 1.0]]
    """
    if not isinstance(encoders, dict) or not encoders:
        raise BadInputError("run_probes expects a non-empty dict {name: fitted encoder}.")
    options = options or ProbeOptions()
    names = list(probes) if probes is not None else list(list_probes())
    rows: list[dict[str, Any]] = []
    notes: dict[tuple[str, str], list[str]] = {}
    timing: dict[str, float] = {}
    for enc in encoders.values():
        check_encoder(enc)
    with one_thread():  # small kernels: one thread is as fast, and steadier on a shared machine
        for pname in names:
            _run_probe(pname, encoders, options, select, log, rows, notes, timing)
    protocol = {
        "probes": names,
        "seed": options.seed,
        "quick": options.quick,
        "probe_seconds": timing,
        "encoders": {n: _encoder_info(e) for n, e in encoders.items()},
    }
    return LabResult(_rows_frame(rows), notes, protocol)


def _run_probe(
    pname: str,
    encoders: dict[str, Any],
    options: ProbeOptions,
    select,
    log,
    rows: list[dict[str, Any]],
    notes: dict,
    timing: dict[str, float],
) -> None:
    probe = get_probe(pname)
    start = time.perf_counter()
    for ename, enc in encoders.items():
        if select is not None and not select(pname, ename):
            continue
        if log:
            log(f"  {pname} on {ename}")
        outcome = probe.measure(enc, options)
        notes[(pname, ename)] = outcome.notes
        for r in outcome.rows:
            rows.append({"encoder": ename, "dataset": pname, **r, "n_total": r["n"], "coverage": np.nan})
    timing[pname] = round(time.perf_counter() - start, 2)


def _encoder_info(enc: Any) -> dict[str, Any]:
    import json

    params = {}
    for k, v in enc.get_params().items() if hasattr(enc, "get_params") else []:
        try:
            json.dumps(v)
            params[k] = v
        except TypeError:
            params[k] = repr(v)
    return {
        "encoder": getattr(enc, "name", type(enc).__name__),
        "params": params,
        "vocab_size": len(enc.vocabulary),
        "tags": dict(getattr(enc, "tags", {})),
    }


# ---------------------------------------------------------------- the lab
# sizes that keep `forge lab` within a few minutes on 2 CPU cores; --quick halves them again.
# w2v_epochs: on the 0.5M-word default corpus, CBOW with 5 epochs collapses (mean cosine of random word pairs
# 0.91, related-unrelated gap -0.004); 20 epochs give 0.13 and +0.18, skip-gram 10 epochs 0.33 (forge/_demo.py).
class Word2VecSize(TypedDict):
    """The word2vec settings of one lab size (``w2v_epochs`` overrides ``epochs`` per model)."""

    vector_size: int
    epochs: int
    min_count: int


class LabSize(TypedDict):
    """How large the lab's encoders are at one size (``"full"`` or ``"quick"``)."""

    w2v: Word2VecSize
    w2v_epochs: NotRequired[dict[str, int]]
    rnn_hidden: int
    rnn_tokens: int
    rnn_vocab: int | None
    zh_epochs: int


LAB_SIZES: dict[str, LabSize] = {
    "full": {
        "w2v": {"vector_size": 100, "epochs": 5, "min_count": 3},
        "w2v_epochs": {"cbow": 20, "skipgram": 10},
        "rnn_hidden": 64,
        "rnn_tokens": 40_000,
        "rnn_vocab": None,
        "zh_epochs": 10,
    },
    "quick": {
        "w2v": {"vector_size": 50, "epochs": 3, "min_count": 3},
        "w2v_epochs": {"cbow": 10, "skipgram": 5},
        "rnn_hidden": 32,
        "rnn_tokens": 20_000,
        "rnn_vocab": None,
        "zh_epochs": 8,
    },
}
STATIC = ("onehot", "cbow", "skipgram")
RECURRENT = ("rnn", "birnn", "lstm", "bilstm", "gru", "bigru")
UNTRAINED = ("rnn", "lstm", "bilstm")
# the attention encoders (claim 9), with the positions each uses: the figure shows one against the other
ATTENTION = {"transformer": "sinusoidal", "bitransformer": "learned"}


def _attention_params(width: int, positions: str, epochs: int, seed: int) -> dict[str, Any]:
    """Tiny attention encoders (2 layers, 2 heads, width of the recurrent ones): --quick stays within minutes."""
    return {
        "d_model": width,
        "heads": 2,
        "layers": 2,
        "ff": 2 * width,
        "positions": positions,
        "tie_weights": False,  # the adaptive softmax has its own output weights
        "dropout": 0.0,
        "epochs": epochs,
        "batch_size": 64,
        "validation": 0.0,
        "softmax": "adaptive",
        "cutoffs": None,
        "oov": "unk",
        "device": "cpu",
        "progress": False,
        "seed": seed,
        # a learned position table as long as the longest sentence claim 8 times (1,024 words)
        "max_len": 1024 if positions == "learned" else 60,
    }


def _attention_names() -> list[str]:
    """The attention encoders registered in this installation (none before they exist)."""
    import forge

    return [n for n in ATTENTION if n in forge.list_encoders()]


def _first_tokens(corpus: Iterable[list[str]], n_tokens: int, piece: int = 50) -> list[list[str]]:
    """The corpus's first ``n_tokens`` tokens as sentences (long lines, e.g. text8's, cut into pieces)."""
    out, total = [], 0
    for sent in corpus:
        for i in range(0, max(1, len(sent)), piece):
            part = list(sent[i : i + piece])
            if part:
                out.append(part)
                total += len(part)
            if total >= n_tokens:
                return out
    return out


def _sample_sentences(sents: list[list[str]], n: int, seed: int) -> list[list[str]]:
    """Up to ``n`` sentences of 5 to 20 tokens (longer ones cut into windows of 12)."""
    pool = []
    for s in sents:
        if len(s) > 20:
            pool += [s[i : i + 12] for i in range(0, len(s) - 11, 12)]
        elif len(s) >= 5:
            pool.append(s)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(pool))[:n]
    return [pool[i] for i in sorted(idx)]


def _recurrent_params(size: LabSize, hidden: int, vocab: int | None, epochs: int, seed: int) -> dict[str, Any]:
    # every word of the training text is kept (the probe words occur only a few times); the adaptive
    # softmax keeps a large vocabulary cheap
    return {
        "hidden_size": hidden,
        "layers": 1,
        "epochs": epochs,
        "batch_size": 64,
        "dropout": 0.0,
        "validation": 0.0,
        "max_vocab": vocab,
        "softmax": "adaptive",
        "cutoffs": None,
        "oov": "unk",
        "device": "cpu",
        "progress": False,
        "seed": seed,
        "max_len": 60,
    }


def train_lab_encoders(
    corpus_name: str = "gensim-default",
    quick: bool = False,
    seed: int = 0,
    rnn_tokens: int | None = None,
    rnn_hidden: int | None = None,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Fit the English encoders on ``corpus_name`` and the Chinese ones; returns (en, zh, info)."""
    import forge

    size = LAB_SIZES["quick" if quick else "full"]
    n_rnn_tokens = rnn_tokens or size["rnn_tokens"]
    hidden = rnn_hidden or size["rnn_hidden"]
    info: dict[str, Any] = {"corpus": corpus_name, "train_seconds": {}}
    corpus = forge.corpora.load(corpus_name)
    encoders: dict[str, Any] = {}

    def fit(label: str, name: str, data, **params):
        start = time.perf_counter()
        encoders_ref = forge.create(name, **params).fit(data)
        info["train_seconds"][label] = round(time.perf_counter() - start, 1)
        log(
            f"trained {label:<18} {len(encoders_ref.vocabulary):>7} words, dim {encoders_ref.dim:>6}, "
            f"{info['train_seconds'][label]:6.1f} s"
        )
        return encoders_ref

    encoders["onehot"] = fit("onehot", "onehot", corpus, min_count=size["w2v"]["min_count"])
    for name in ("cbow", "skipgram"):
        w2v = {**size["w2v"], "epochs": size.get("w2v_epochs", {}).get(name, size["w2v"]["epochs"])}
        encoders[name] = fit(name, name, corpus, workers=2, seed=seed + 1, **w2v)
        info.setdefault("w2v", {})[name] = w2v
    from forge.lab._sentences import en_lab_sentences

    extra = en_lab_sentences()
    head = _first_tokens(corpus, n_rnn_tokens) + extra
    info["rnn_corpus"] = (
        f"the first {sum(map(len, head)) - sum(map(len, extra)):,} tokens of {corpus_name} plus "
        f"the lab's {len(extra)} English example sentences (so that the probe words are in their "
        f"vocabulary)"
    )
    # forge's recipe for contextual vectors: built on the skip-gram's vectors, layer="mix" keeps them beside
    # the recurrent states; the untrained models get the same start (only their recurrent weights are random)
    recipe = {"init_from": encoders["skipgram"], "layer": "mix"}
    info["rnn_recipe"] = "input embeddings from the skip-gram above, layer='mix', LSTM forget-gate bias 1.0"
    for name in RECURRENT:
        encoders[name] = fit(name, name, head, **_recurrent_params(size, hidden, size["rnn_vocab"], 1, seed), **recipe)
    for name in UNTRAINED:
        encoders[f"{name}-untrained"] = fit(
            f"{name}-untrained", name, head, **_recurrent_params(size, hidden, size["rnn_vocab"], 0, seed), **recipe
        )
    for name in _attention_names():
        encoders[name] = fit(name, name, head, **_attention_params(hidden, ATTENTION[name], 1, seed), **recipe)
    info["sentences"] = _sample_sentences(_first_tokens(corpus, 200_000), 100 if quick else 400, seed)
    # Chinese: the lab's own sentences, plus the Sinica treebank (converted to Simplified) when available
    zh_data = _zh_corpus(log)
    from forge.lab._sentences import zh_training_sentences

    info["zh_corpus"] = zh_data[1]
    zh: dict[str, Any] = {}
    zh["zh-onehot"] = fit("zh-onehot", "onehot", zh_data[0])
    zh["zh-skipgram"] = fit(
        "zh-skipgram",
        "skipgram",
        zh_data[0],
        vector_size=50,
        window=3,
        min_count=1,
        epochs=30,
        workers=1,
        seed=seed + 1,
    )
    n_tokens = sum(map(len, zh_data[0]))
    n_words = len({t for s in zh_data[0] for t in s})
    # about 40k tokens of training whatever the corpus; every word kept (the probes need 派, 手机...)
    epochs = max(1, min(size["zh_epochs"], 40_000 // n_tokens))
    zh_softmax: dict[str, Any] = (
        {"softmax": "adaptive", "cutoffs": [1000, 4000]} if n_words > 5000 else {"softmax": "full", "cutoffs": None}
    )
    for name, n_epochs in [(n, epochs) for n in ("rnn", "birnn", "lstm", "bilstm")] + [("rnn", 0)]:
        params = _recurrent_params(size, 32, None, n_epochs, seed)
        params.update(min_count=1, batch_size=32, lr=3e-3, **zh_softmax)
        label = f"zh-{name}" + ("-untrained" if n_epochs == 0 else "")
        zh[label] = fit(label, name, zh_data[0], **params)
    if "transformer" in _attention_names():  # its attention maps on the Chinese example sentences
        # --quick: the lab's own 4k-token Chinese text (the maps need only its words), 8 epochs in seconds
        own = zh_training_sentences() if quick else zh_data[0]
        n_own = sum(map(len, own))
        params = _attention_params(32, ATTENTION["transformer"], max(1, min(size["zh_epochs"], 40_000 // n_own)), seed)
        params.update(min_count=1, batch_size=32, lr=3e-3, **(zh_softmax if not quick else {"softmax": "full"}))
        zh["zh-transformer"] = fit("zh-transformer", "transformer", own, **params)
    return encoders, zh, info


def load_lab_encoders(
    models: str | Path, corpus_name: str, quick: bool, seed: int, log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Encoders saved by ``run_lab(save_models=...)``, split into English and Chinese, and the run info."""
    import forge

    root = Path(models)
    dirs = sorted(p for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []
    if not dirs:
        raise BadInputError(
            f"{root} holds no saved encoders (sub-directories with a config.json); run "
            f"`forge lab --save-models {root}` first."
        )
    order = {
        n: k
        for k, n in enumerate(list(STATIC) + list(RECURRENT) + [f"{u}-untrained" for u in UNTRAINED] + list(ATTENTION))
    }
    loaded = {
        p.name: forge.load(p)
        for p in sorted(
            dirs, key=lambda p: (p.name.startswith("zh-"), order.get(p.name.removeprefix("zh-"), 99), p.name)
        )
    }
    log(f"loaded {len(loaded)} encoders from {root}")
    en = {k: v for k, v in loaded.items() if not k.startswith("zh-")}
    zh = {k: v for k, v in loaded.items() if k.startswith("zh-")}
    corpus = forge.corpora.load(corpus_name)
    info = {
        "corpus": corpus_name,
        "models": str(root),
        "rnn_corpus": f"(loaded from {root})",
        "zh_corpus": f"(loaded from {root})",
        "sentences": _sample_sentences(_first_tokens(corpus, 200_000), 100 if quick else 400, seed),
    }
    return en, zh, info


def _zh_corpus(log: Callable[[str], None]) -> tuple[list[list[str]], str]:
    import forge
    from forge.errors import ForgeError
    from forge.lab._sentences import zh_training_sentences

    own = zh_training_sentences()
    text = f"the lab's {len(own)} built-in Chinese sentences (Simplified, hand-segmented)"
    try:
        sinica = list(forge.corpora.load("sinica"))
        from forge.corpora import to_simplified

        table = {w: to_simplified(w) for w in {t for s in sinica for t in s}}
        sinica = [[table[t] for t in s] for s in sinica if len(s) > 1]
        text += f" + the Sinica Treebank sample ({len(sinica):,} sentences, converted to Simplified with OpenCC)"
        return own + sinica, text
    except ForgeError as exc:
        log(f"(sinica not used: {str(exc).split('.')[0]})")
        return own, text


def chinese_benchmarks(encoders: dict[str, Any], log: Callable[[str], None]) -> pd.DataFrame | None:
    """The Chinese similarity and analogy datasets available offline, through ``forge.bench.run``.

    The encoders are trained on Simplified text: Simplified sets run as they are, Traditional ones
    with an OpenCC ``to_simplified`` transform on every word.
    """
    from forge.bench import available_datasets, get_record, list_datasets, run
    from forge.corpora import to_simplified

    frames = []
    for script, transform in (("simplified", None), ("traditional", to_simplified)):
        names = [
            n
            for n in list_datasets(language="zh")
            if get_record(n).kind != "polysemy" and get_record(n).script == script
        ]
        ok, _ = available_datasets(names) if names else ([], {})
        if ok:
            log(f"  Chinese {script} datasets through forge.bench: {', '.join(ok)}")
            frames.append(run(encoders, ok, transform=transform, progress=False).frame.assign(script=script))
    return pd.concat(frames, ignore_index=True) if frames else None


def _select(pname: str, ename: str) -> bool:
    """Which probe runs on which lab encoder (everything else runs everywhere)."""
    base = ename.removeprefix("zh-")
    if pname == "probe-long-range":  # one model per architecture: the unidirectional trained encoders
        return base in ("rnn", "gru", "lstm", "transformer") and not ename.startswith("zh-")
    if pname == "probe-speed":
        return not ename.startswith("zh-") and "untrained" not in ename
    if pname in ("probe-onehot", "probe-static-similarity"):
        return "untrained" not in ename
    return True


def run_lab(
    corpus: str = "gensim-default",
    out: str | Path | None = None,
    quick: bool = False,
    seed: int = 0,
    rnn_tokens: int | None = None,
    rnn_hidden: int | None = None,
    save_models: str | Path | None = None,
    models: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    probes: Sequence[str] | None = None,
) -> LabResult:
    """Train the encoders of the story and run every probe on them; save the report to ``out``.

    ``save_models``: also save every trained encoder there. ``models``: instead of training, load the
    encoders saved there by an earlier run (one sub-directory per encoder; ``zh-*`` are the Chinese ones).
    ``probes``: run only these probes (default: all).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    start = time.perf_counter()
    if models is not None:
        en, zh, info = load_lab_encoders(models, corpus, quick, seed, log)
    else:
        with one_thread():  # small models: one thread is about as fast, and steady on a busy machine
            en, zh, info = train_lab_encoders(corpus, quick, seed, rnn_tokens, rnn_hidden, log)
    if save_models is not None and models is None:
        for name, enc in {**en, **zh}.items():
            enc.save(Path(save_models) / name)
    options = ProbeOptions(seed=seed, quick=quick, sentences=info.pop("sentences"))
    encoders = {**en, **zh}
    result = run_probes(encoders, probes, options=options, select=_select, log=log)
    result.protocol.update(info)
    result.benchmarks = (
        chinese_benchmarks({k: zh[k] for k in ("zh-onehot", "zh-skipgram", "zh-bilstm") if k in zh}, log)
        if zh
        else None
    )
    result.protocol["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    result.protocol["total_seconds"] = round(time.perf_counter() - start, 1)
    from forge import __version__

    result.protocol["forge_version"] = __version__
    if out is not None:
        result.save(out)
        log(f"lab report written to {out}/report.html and {out}/report.md")
    return result
