"""Training the neural language models (recurrent and attention alike): devices, DDP, the epoch loop.

* **Devices, DDP, precision, progress bars**: in ``_devices`` (re-exported here).
* **DDP**: every rank builds the same
  global batches and trains on its share. The loss is scaled so that DDP's
  gradient average equals the gradient of the single-process loss on the whole
  global batch.
* **Checkpoints** (written and read in ``_checkpoint``): one directory, replaced
  atomically after each epoch. ``resume=True`` continues from it up to
  ``epochs`` epochs in total; a checkpoint that already holds ``epochs``
  epochs is an error (never a silent no-op). A diverging loss (NaN/inf)
  stops training and leaves the checkpoint of the last good epoch in place.
* **Modes**: ``context="sentence"`` trains on length-bucketed batches of
  sentences, each read from a zero state; ``context="stream"`` on the corpus as
  one stream, ``bptt`` steps at a time, the state carried across batches and
  detached (truncated BPTT; reset at each epoch so that a resumed run is exact).

* **Training perplexity**: with a sampled softmax the training loss is an
  estimate (not comparable with the validation perplexity), and dropout is on
  in every mode; so each epoch also records ``train_ppl_exact``: the full
  softmax, dropout off, on a fixed sample of the training data
  (:data:`EXACT_SAMPLE_TOKENS` tokens at most), comparable with ``valid_ppl``.

The trainer takes the model (a :class:`~forge.encoders.neural._model.LanguageModel`:
recurrent or attention), the data and a :class:`NeuralConfig` value, never the encoder.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from forge.encoders.neural._checkpoint import fingerprint as data_fingerprint
from forge.encoders.neural._checkpoint import (
    load_module_tensors,
    load_optimizer,
    module_tensors,
    preflight,
    read_checkpoint,
    save_checkpoint,
)
from forge.encoders.neural._config import NeuralConfig
from forge.encoders.neural._data import Encoded, batch_order, batchify, pad_batch, stream_chunks
from forge.encoders.neural._devices import (
    Dist,
    autocast,
    precision_scope,
    resolve_device,
    resolve_precision,
    setup_distributed,
    show_progress,
)
from forge.encoders.neural._model import LanguageModel
from forge.errors import BadInputError, CorruptModelError, TrainingDivergedError

__all__ = [
    "EVAL_STREAMS",
    "EXACT_SAMPLE_TOKENS",
    "Dist",
    "TrainingDivergedError",
    "evaluate_nll",
    "evaluate_stream_nll",
    "load_module_tensors",
    "module_tensors",
    "precision_scope",
    "resolve_device",
    "resolve_precision",
    "setup_distributed",
    "show_progress",
    "train_lm",
]

EVAL_STREAMS = 10  # rows a stream is cut into for evaluation (PyTorch's word_language_model: 10)
EXACT_SAMPLE_TOKENS = 5_000  # training tokens the exact (full-softmax) training perplexity is measured on
log = logging.getLogger("forge.encoders.neural")


# ------------------------------------------------------------------ evaluation
@torch.no_grad()
def evaluate_nll(
    model: nn.Module, data: Encoded, batch_size: int, device: str, precision: str, dist: Dist | None = None
) -> tuple[float, int]:
    """(summed NLL, predictions) of ``data``, sharded over ranks and summed when distributed."""
    dist = dist or Dist()
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=device)
    for batch in batch_order(data.lengths, batch_size, 0, 0, shuffle=False)[dist.rank :: dist.world]:
        tokens, lengths = pad_batch(data, batch)
        with autocast(device, precision):
            nll, count = model(torch.from_numpy(tokens).to(device), torch.from_numpy(lengths).to(device))
        total += torch.stack([nll.double(), count.double()])
    dist.all_sum(total)
    model.train(was_training)
    return float(total[0]), int(total[1])


def _detach(states: dict) -> dict:
    return {k: [tuple(t.detach() for t in st) for st in v] for k, v in states.items()}


@torch.no_grad()
def evaluate_stream_nll(
    model: nn.Module,
    stream: np.ndarray,
    bptt: int,
    device: str,
    precision: str,
    dist: Dist | None = None,
    rows: int = EVAL_STREAMS,
) -> tuple[float, int]:
    """(summed NLL, predictions) of a token stream read as ``rows`` rows, ``bptt`` steps at a time.

    The state is carried along each row (PyTorch's ``word_language_model`` evaluation). Short streams
    use fewer rows (at least two tokens a row). Bidirectional models add the reversed stream.
    """
    dist = dist or Dist()
    rows = max(1, min(rows, len(stream) // 2))
    was_training = model.training
    model.eval()
    fwd = batchify(stream, rows)[dist.rank :: dist.world]
    bwd = batchify(stream[::-1].copy(), rows)[dist.rank :: dist.world] if model.reads_reversed else None
    total = torch.zeros(2, dtype=torch.float64, device=device)
    states: dict = {}
    if len(fwd):
        for start, steps in stream_chunks(fwd.shape[1], bptt):
            chunk = torch.from_numpy(fwd[:, start : start + steps + 1]).to(device)
            rchunk = torch.from_numpy(bwd[:, start : start + steps + 1]).to(device) if bwd is not None else None
            with autocast(device, precision):
                nll, count, states = model(chunk, None, reverse=rchunk, states=states)
            total += torch.stack([nll.double(), count.double()])
    dist.all_sum(total)
    model.train(was_training)
    return float(total[0]), int(total[1])


def evaluate(
    model: nn.Module, data: Encoded | np.ndarray, config: NeuralConfig, device: str, dist: Dist | None = None
) -> tuple[float, int]:
    """(summed NLL, predictions) of ``data`` in the config's mode."""
    if config.context == "stream":
        assert isinstance(data, np.ndarray), "context='stream' data is an id stream"
        return evaluate_stream_nll(model, data, config.bptt, device, config.precision, dist)
    assert isinstance(data, Encoded), "context='sentence' data is Encoded sentences"
    return evaluate_nll(model, data, config.batch_size, device, config.precision, dist)


# ------------------------------------------------------------------ the loop
@dataclass
class TrainState:
    epoch: int = 0  # epochs completed
    best_val: float = math.inf
    bad_epochs: int = 0
    stopped: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, torch.Tensor] | None = None


def _make_optimizer(config: NeuralConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr)
    return torch.optim.Adam(params, lr=config.lr)


def _batches(config: NeuralConfig, train: Encoded | np.ndarray, epoch: int, dist: Dist, reverse: bool):
    """(global batch count, ...) per step: sentence batches or stream chunks, the same on every rank."""
    if config.context == "stream":
        assert isinstance(train, np.ndarray), "context='stream' data is an id stream"
        fwd = batchify(train, config.batch_size)
        bwd = batchify(train[::-1].copy(), config.batch_size) if reverse else None
        for start, steps in stream_chunks(fwd.shape[1], config.bptt):
            chunk = fwd[dist.rank :: dist.world, start : start + steps + 1]
            rchunk = bwd[dist.rank :: dist.world, start : start + steps + 1] if bwd is not None else None
            yield float(fwd.shape[0] * steps), (chunk, rchunk)
        return
    # every rank needs a share of every batch: a batch smaller than the world (at most one per pool
    # of batches) is skipped, on all ranks alike
    assert isinstance(train, Encoded), "context='sentence' data is Encoded sentences"
    lengths = train.lengths
    for b in batch_order(lengths, config.batch_size, config.seed, epoch):
        if len(b) >= dist.world:
            yield float((lengths[b] - 1).sum()), pad_batch(train, b[dist.rank :: dist.world])


def _n_batches(config: NeuralConfig, train: Encoded | np.ndarray, dist: Dist, epoch: int) -> int:
    if config.context == "stream":
        return len(stream_chunks(len(train) // config.batch_size, config.bptt))
    assert isinstance(train, Encoded), "context='sentence' data is Encoded sentences"
    return sum(len(b) >= dist.world for b in batch_order(train.lengths, config.batch_size, config.seed, epoch))


def exact_sample(train: Encoded | np.ndarray, seed: int) -> Encoded | np.ndarray | None:
    """The fixed sample of training data the exact training perplexity is measured on each epoch.

    Sentences: a seeded random subset of about :data:`EXACT_SAMPLE_TOKENS` tokens; a stream: its
    first :data:`EXACT_SAMPLE_TOKENS` tokens. None when there is nothing to measure.
    """
    if isinstance(train, np.ndarray):
        return train[:EXACT_SAMPLE_TOKENS] if len(train) >= 2 else None
    if len(train) == 0:
        return None
    order = np.random.RandomState(seed).permutation(len(train))
    within = np.cumsum(train.lengths[order]) <= EXACT_SAMPLE_TOKENS
    keep = order[: max(1, int(within.sum()))]
    return train.subset(np.sort(keep))


def _objective(model: nn.Module) -> str:
    """What the training loss is, in words (it labels the loss in the log, the bar and ``history_``)."""
    if getattr(model, "sampled", False):
        return "sampled softmax, dropout on"
    if getattr(model, "adaptive", False):
        return "adaptive softmax, dropout on"
    return "full softmax, dropout on"


def _epoch_line(record: dict[str, Any]) -> str:
    """One epoch in words, each loss labelled by what it is."""
    parts = [f"train loss {record['train_loss']:.4g} ({record['train_objective']})"]
    if "train_ppl_exact" in record:
        parts.append(
            f"train ppl {record['train_ppl_exact']:.4g} (exact: full softmax, dropout off, "
            f"{record['exact_sample_predictions']:,} training predictions)"
        )
    if "valid_ppl" in record:
        parts.append(f"valid ppl {record['valid_ppl']:.4g}")
    parts.append(f"{record['tokens_per_s']:,.0f} tokens/s, {record['seconds']:.1f} s")
    return "; ".join(parts)


def train_lm(
    model: LanguageModel,
    train: Encoded | np.ndarray,
    valid: Encoded | np.ndarray,
    vocab,
    device: str,
    dist: Dist,
    config: NeuralConfig,
    fingerprint: dict[str, Any],
    label: str = "rnn",
) -> TrainState:
    """Train ``model`` in place following ``config``; returns the final TrainState.

    ``train``/``valid``: :class:`Encoded` sentences (``context="sentence"``) or id streams
    (``"stream"``). ``fingerprint``: the parameters a checkpoint must match to be resumed.
    """
    opt = _make_optimizer(config, model)
    state = TrainState()
    ckpt_dir = Path(config.checkpoint_dir) if config.checkpoint_dir else None
    expected = data_fingerprint(fingerprint, vocab.words, train, valid)
    if ckpt_dir is not None:
        preflight(ckpt_dir)  # a file, or a folder of someone else's files: refused before any training
    if config.resume:
        if ckpt_dir is None:
            raise BadInputError(
                "resume=True needs checkpoint_dir=... (the directory the interrupted run wrote its checkpoints to)."
            )
        found = read_checkpoint(ckpt_dir, expected, model, vocab.words, opt)
        if found is None:
            log.warning("resume=True: no checkpoint in %s yet, training from the start", ckpt_dir)
        else:
            trainer, tensors = found
            load_module_tensors(model, tensors, "model.")
            try:
                load_optimizer(opt, tensors, trainer["optimizer"])
            except (KeyError, ValueError, TypeError, RuntimeError) as exc:
                raise CorruptModelError(
                    f"The optimizer state in {ckpt_dir} does not fit this model "
                    f"({type(exc).__name__}: {exc}); the checkpoint is damaged: delete it "
                    f"or pass resume=False."
                ) from None
            torch.set_rng_state(tensors["rng.torch"])
            if "rng.cuda" in tensors and device.startswith("cuda"):
                torch.cuda.set_rng_state(tensors["rng.cuda"], torch.device(device))
            best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
            best_val = trainer["best_val"] if trainer["best_val"] is not None else math.inf
            state = TrainState(
                trainer["epoch"], best_val, trainer["bad_epochs"], trainer["stopped"], trainer["history"], best or None
            )
            if state.epoch >= config.epochs or state.stopped:
                why = (
                    f"stopped early after {state.epoch} epochs (patience={config.patience})"
                    if state.stopped
                    else f"has completed {state.epoch} epochs"
                )
                raise BadInputError(
                    f"Nothing to train: the checkpoint in {ckpt_dir} {why}, and epochs={config.epochs} counts all "
                    f"epochs, those done included. Set epochs={state.epoch + 1} (or more) to train further"
                    f"{' with a larger patience' if state.stopped else ''}, or load the saved model to use it as "
                    f"it is."
                )
            log.info("resuming from %s after epoch %d of %d", ckpt_dir, state.epoch, config.epochs)

    ndir = model.directions  # predictions per token (None: a masked LM, counted per batch)
    sample = exact_sample(train, config.seed)
    objective = _objective(model)
    net: nn.Module = model
    if dist.world > 1:
        net = DistributedDataParallel(
            model,
            device_ids=[torch.device(device).index] if device.startswith("cuda") else None,
            find_unused_parameters=bool(getattr(model, "adaptive", False)),
        )
    trainable = [p for p in model.parameters() if p.requires_grad]
    show = show_progress(config.progress) and dist.rank == 0
    stream = config.context == "stream"
    model.train()
    exact_shown = "after epoch 1"
    while state.epoch < config.epochs and not state.stopped:
        epoch = state.epoch
        n_batches = _n_batches(config, train, dist, epoch)
        bar = tqdm(
            total=n_batches,
            desc=f"{label} epoch {epoch + 1}/{config.epochs}",
            unit="batch",
            disable=not show,
            leave=False,
            dynamic_ncols=True,
        )
        sums = torch.zeros(2, dtype=torch.float64, device=device)
        start, seen_tokens = time.perf_counter(), 0.0
        states: dict = {}  # stream mode: the state carried across chunks, zeros at each epoch's start
        for step, (count_per_dir, batch) in enumerate(_batches(config, train, epoch, dist, model.reads_reversed)):
            with autocast(device, config.precision):
                if stream:
                    chunk, rchunk = batch
                    nll, count, states = net(
                        torch.from_numpy(chunk).to(device, non_blocking=True),
                        None,
                        reverse=None if rchunk is None else torch.from_numpy(rchunk).to(device, non_blocking=True),
                        states=states,
                    )
                    states = _detach(states)  # truncated BPTT: keep the values, cut the graph
                else:
                    tokens, lens = batch
                    nll, count = net(
                        torch.from_numpy(tokens).to(device, non_blocking=True),
                        torch.from_numpy(lens).to(device, non_blocking=True),
                    )
            # DDP averages gradients over ranks: scale so that the average is d(global mean NLL)
            if ndir is not None:
                global_count = count_per_dir * ndir
            else:  # a masked LM: how many positions were masked is known after the forward pass
                global_count = float(dist.all_sum(count.detach().double().clone()))
            loss = nll * (dist.world / global_count)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip_grad:
                nn.utils.clip_grad_norm_(trainable, config.clip_grad)
            opt.step()
            sums += torch.stack([nll.detach().double(), count.double()])
            seen_tokens += count_per_dir
            if step % 20 == 19 or step == n_batches - 1:
                stat = dist.all_sum(sums.clone())
                mean = float(stat[0] / stat[1])
                if not math.isfinite(mean):
                    bar.close()
                    kept = (
                        f"the checkpoint of epoch {state.epoch} is kept in {ckpt_dir}"
                        if ckpt_dir and state.epoch
                        else "no checkpoint was written (set checkpoint_dir=... to keep one per epoch)"
                    )
                    raise TrainingDivergedError(
                        f"Training diverged: the loss became {mean} in epoch {epoch + 1}, batch {step + 1}; {kept}. "
                        f"Lower the learning rate (lr={config.lr}) or set clip_grad (now {config.clip_grad})."
                    )
                rate = seen_tokens / max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(
                    {f"loss ({objective})": f"{mean:.3f}", "exact train ppl": exact_shown, "tok/s": f"{rate:,.0f}"}
                )
            bar.update(1)
        bar.close()
        stat = dist.all_sum(sums)
        train_loss = float(stat[0] / max(float(stat[1]), 1.0))
        seconds = time.perf_counter() - start
        record = {
            "epoch": epoch + 1,
            "context": config.context,
            "train_loss": train_loss,  # the training objective: an estimate with a sampled softmax
            "train_ppl": math.exp(min(train_loss, 50)),
            "train_objective": objective,
            "tokens_per_s": seen_tokens / max(seconds, 1e-9),
            "seconds": seconds,
        }
        if sample is not None:  # full softmax, dropout off, a fixed sample: comparable with valid_ppl
            nll, count = evaluate(model, sample, config, device, dist)
            record.update(train_loss_exact=nll / count, train_ppl_exact=math.exp(min(nll / count, 50)))
            record["exact_sample_predictions"] = count
            exact_shown = f"{record['train_ppl_exact']:.1f}"
        if len(valid):
            nll, count = evaluate(model, valid, config, device, dist)
            val = nll / count
            record.update(valid_loss=val, valid_ppl=math.exp(min(val, 50)))
            if val < state.best_val:
                state.best_val, state.bad_epochs = val, 0
                state.best = module_tensors(model)
            else:
                state.bad_epochs += 1
                if config.optimizer == "sgd":  # anneal, as Zaremba et al. and PyTorch's example do
                    for group in opt.param_groups:
                        group["lr"] /= 4.0
                if config.patience and state.bad_epochs >= config.patience:
                    state.stopped = True
        state.history.append(record)
        state.epoch += 1
        line = _epoch_line(record)
        log.info("%s epoch %d/%d (%s): %s", label, epoch + 1, config.epochs, config.context, line)
        if show:
            tqdm.write(f"{label} epoch {epoch + 1}/{config.epochs} ({config.context}): {line}", file=sys.stderr)
        if ckpt_dir is not None:
            if dist.rank == 0:
                trainer = {
                    "epoch": state.epoch,
                    "best_val": state.best_val if state.best is not None else None,
                    "bad_epochs": state.bad_epochs,
                    "stopped": state.stopped,
                    "history": state.history,
                    "fingerprint": expected,
                }
                save_checkpoint(ckpt_dir, model, opt, state.best, trainer, vocab)
            dist.barrier()
    if state.best is not None:
        load_module_tensors(model, {k: v.to(device) for k, v in state.best.items()})
    model.eval()
    return state
