"""Training the recurrent language models: devices, DDP, the epoch loop, checkpoints.

* **Devices**: ``"auto" | "cpu" | "cuda" | "cuda:N"``, checked with a clear
  :class:`forge.errors.DeviceError`. bf16 autocast is used on CUDA.
* **DDP**: when ``WORLD_SIZE > 1`` (as ``torchrun`` sets it), the process
  group starts by itself: NCCL on GPUs, gloo on CPU. Every rank builds the same
  global batches and trains on its share. The loss is scaled so that DDP's
  gradient average equals the gradient of the single-process loss on the whole
  global batch.
* **Checkpoints**: one directory, replaced atomically after each epoch. It
  holds the weights, the optimizer state and the RNG state (safetensors, no
  pickle), plus ``trainer.json``. ``resume=True`` continues from it. A
  diverging loss (NaN/inf) stops training and leaves the checkpoint of the
  last good epoch in place.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from forge._persist import atomic_dir, file_manifest
from forge.encoders._rnn_checkpoint import (CHECKPOINT_KIND, fingerprint, legacy_checkpoint, preflight,
                                            read_checkpoint, trainer_digest)
from forge.encoders._rnn_data import Encoded, batch_order, pad_batch
from forge.errors import BadInputError, CorruptModelError, DeviceError, TrainingDivergedError

__all__ = ["TrainingDivergedError", "resolve_device", "Dist", "setup_distributed", "train_lm", "evaluate_nll",
           "module_tensors", "load_module_tensors", "CHECKPOINT_FILES"]

CHECKPOINT_FILES = ("checkpoint.safetensors", "trainer.json", "vocab.json")


# ------------------------------------------------------------------ devices
def resolve_device(spec: Any) -> str:
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; checks ``"cuda"``/``"cuda:N"`` exist."""
    text = spec.strip().lower() if isinstance(spec, str) else None
    if text == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", text or "")
    if not match:
        raise DeviceError(f"Unknown device {spec!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N' (e.g. 'cuda:0').")
    if not torch.cuda.is_available():
        raise DeviceError(f"device={spec!r} was requested but CUDA is not available (torch {torch.__version__}, "
                          f"built with CUDA {torch.version.cuda}). Use device='cpu', or device='auto' to use a GPU "
                          f"only when there is one.")
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        raise DeviceError(f"device={spec!r} does not exist: this machine has {torch.cuda.device_count()} CUDA "
                          f"device(s), cuda:0 .. cuda:{torch.cuda.device_count() - 1}.")
    return text


# ------------------------------------------------------------------ distributed
@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    owned: bool = False     # we started the process group, so we end it

    def all_sum(self, values: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            torch.distributed.all_reduce(values)
        return values

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def close(self) -> None:
        if self.owned and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def setup_distributed(device: str) -> tuple[Dist, str]:
    """Join the process group when launched by torchrun (``WORLD_SIZE > 1``); otherwise single process."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        owned = False
    elif int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if not dist.is_available():
            raise BadInputError("WORLD_SIZE > 1 but this torch build has no torch.distributed support.")
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend)
        owned = True
    else:
        return Dist(), device
    if device == "cuda":  # one GPU per process
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    return Dist(dist.get_rank(), dist.get_world_size(), owned), device


# ------------------------------------------------------------------ tensors <-> safetensors
def module_tensors(module: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """State dict on CPU, contiguous, with tied (shared) tensors stored once."""
    out, seen = {}, set()
    for name, tensor in module.state_dict().items():
        key = (tensor.data_ptr(), tuple(tensor.shape))
        if key in seen:
            continue
        seen.add(key)
        out[prefix + name] = tensor.detach().to("cpu").contiguous().clone()
    return out


def load_module_tensors(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str = "") -> None:
    """Load what :func:`module_tensors` wrote; tied aliases may be absent, nothing else."""
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict(state, strict=False)
    own = module.state_dict()
    ptrs = {own[k].data_ptr() for k in state if k in own}
    missing = [k for k in missing if own[k].data_ptr() not in ptrs]
    if missing or unexpected:
        raise CorruptModelError(f"Weights do not match the model: missing {missing[:5]}, unexpected "
                                f"{unexpected[:5]}. The files are corrupt or from different parameters.")


def _optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = opt.state_dict()
    tensors, meta = {}, {"param_groups": state["param_groups"], "state": {}}
    for idx, entry in state["state"].items():
        meta["state"][str(idx)] = {}
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"optim.{idx}.{key}"] = value.detach().to("cpu").contiguous().clone()
                meta["state"][str(idx)][key] = "__tensor__"
            else:
                meta["state"][str(idx)][key] = value
    return tensors, meta


def _load_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    state = {}
    for idx, entry in meta["state"].items():
        state[int(idx)] = {k: (tensors[f"optim.{idx}.{k}"] if v == "__tensor__" else v) for k, v in entry.items()}
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


# ------------------------------------------------------------------ checkpoints
def save_checkpoint(directory: Path, model: nn.Module, opt: torch.optim.Optimizer, best: dict | None,
                    trainer: dict[str, Any], vocab) -> None:
    from safetensors.torch import save_file
    tensors = module_tensors(model, "model.")
    if best is not None:
        tensors.update({"best." + k: v for k, v in best.items()})
    opt_tensors, opt_meta = _optimizer_tensors(opt)
    tensors.update(opt_tensors)
    tensors["rng.torch"] = torch.get_rng_state()
    device = next(model.parameters()).device
    if device.type == "cuda":  # dropout draws from the GPU's generator there
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    with atomic_dir(directory, kind=CHECKPOINT_KIND, legacy=legacy_checkpoint) as tmp:
        save_file(tensors, str(tmp / "checkpoint.safetensors"))
        vocab.save(tmp / "vocab.json")
        meta = {**trainer, "optimizer": opt_meta, "files": file_manifest(tmp)}  # files: sha256 + size, for resume
        meta["trainer_sha256"] = trainer_digest(meta)
        (tmp / "trainer.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


# ------------------------------------------------------------------ evaluation
def _autocast(device: str, precision: str):
    on_cuda = device.startswith("cuda")
    use_bf16 = precision == "bf16" or (precision == "auto" and on_cuda)
    return torch.autocast("cuda" if on_cuda else "cpu", dtype=torch.bfloat16, enabled=use_bf16)


@torch.no_grad()
def evaluate_nll(model: nn.Module, data: Encoded, batch_size: int, device: str, precision: str,
                 dist: Dist | None = None) -> tuple[float, int]:
    """(summed NLL, predictions) of ``data``, sharded over ranks and summed when distributed."""
    dist = dist or Dist()
    was_training = model.training
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=device)
    for batch in batch_order(data.lengths, batch_size, 0, 0, shuffle=False)[dist.rank::dist.world]:
        tokens, lengths = pad_batch(data, batch)
        with _autocast(device, precision):
            nll, count = model(torch.from_numpy(tokens).to(device), torch.from_numpy(lengths).to(device))
        total += torch.stack([nll.double(), count.double()])
    dist.all_sum(total)
    model.train(was_training)
    return float(total[0]), int(total[1])


# ------------------------------------------------------------------ the loop
@dataclass
class TrainState:
    epoch: int = 0                          # epochs completed
    best_val: float = math.inf
    bad_epochs: int = 0
    stopped: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, torch.Tensor] | None = None


def _make_optimizer(enc, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if enc.optimizer == "sgd":
        return torch.optim.SGD(params, lr=enc.lr)
    return torch.optim.Adam(params, lr=enc.lr)


def train_lm(enc, model: nn.Module, train: Encoded, valid: Encoded, vocab, device: str, dist: Dist,
             params: dict[str, Any]) -> TrainState:
    """Train ``model`` in place following the encoder's settings; returns the final TrainState."""
    from tqdm import tqdm

    opt = _make_optimizer(enc, model)
    state = TrainState()
    ckpt_dir = Path(enc.checkpoint_dir) if enc.checkpoint_dir else None
    expected = fingerprint(params, vocab.words, train, valid)
    if ckpt_dir is not None:
        preflight(ckpt_dir)  # a file, or a folder of someone else's files: refused before any training
    if enc.resume:
        if ckpt_dir is None:
            raise BadInputError("resume=True needs checkpoint_dir=... (the directory the interrupted run wrote "
                                "its checkpoints to).")
        found = read_checkpoint(ckpt_dir, expected, model, vocab.words, opt)
        if found is not None:
            trainer, tensors = found
            load_module_tensors(model, tensors, "model.")
            try:
                _load_optimizer(opt, tensors, trainer["optimizer"])
            except (KeyError, ValueError, TypeError, RuntimeError) as exc:
                raise CorruptModelError(f"The optimizer state in {ckpt_dir} does not fit this model "
                                        f"({type(exc).__name__}: {exc}); the checkpoint is damaged: delete it "
                                        f"or pass resume=False.") from None
            torch.set_rng_state(tensors["rng.torch"])
            if "rng.cuda" in tensors and device.startswith("cuda"):
                torch.cuda.set_rng_state(tensors["rng.cuda"], torch.device(device))
            best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
            best_val = trainer["best_val"] if trainer["best_val"] is not None else math.inf
            state = TrainState(trainer["epoch"], best_val, trainer["bad_epochs"], trainer["stopped"],
                               trainer["history"], best or None)

    ndir = 2 if enc.bidirectional else 1
    net: nn.Module = model
    if dist.world > 1:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[torch.device(device).index] if device.startswith("cuda")
                                      else None, find_unused_parameters=model.adaptive)
    trainable = [p for p in model.parameters() if p.requires_grad]
    lengths = train.lengths
    show = bool(enc.progress) and dist.rank == 0
    model.train()
    while state.epoch < enc.epochs and not state.stopped:
        epoch = state.epoch
        # every rank needs a share of every batch: a batch smaller than the world (at most one per pool
        # of batches) is skipped, on all ranks alike
        batches = [b for b in batch_order(lengths, enc.batch_size, enc.seed, epoch) if len(b) >= dist.world]
        bar = tqdm(total=len(batches), desc=f"{enc.name or 'rnn'} epoch {epoch + 1}/{enc.epochs}", unit="batch",
                   disable=not show, leave=False, dynamic_ncols=True)
        sums = torch.zeros(2, dtype=torch.float64, device=device)
        start, seen_tokens = time.perf_counter(), 0
        for step, batch in enumerate(batches):
            global_count = float((lengths[batch] - 1).sum() * ndir)
            tokens, lens = pad_batch(train, batch[dist.rank::dist.world])
            tokens_t = torch.from_numpy(tokens).to(device, non_blocking=True)
            lens_t = torch.from_numpy(lens).to(device, non_blocking=True)
            with _autocast(device, enc.precision):
                nll, count = net(tokens_t, lens_t)
            # DDP averages gradients over ranks: scale so that the average is d(global mean NLL)
            loss = nll * (dist.world / global_count)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if enc.clip_grad:
                nn.utils.clip_grad_norm_(trainable, enc.clip_grad)
            opt.step()
            sums += torch.stack([nll.detach().double(), count.double()])
            seen_tokens += global_count / ndir
            if step % 20 == 19 or step == len(batches) - 1:
                stat = dist.all_sum(sums.clone())
                mean = float(stat[0] / stat[1])
                if not math.isfinite(mean):
                    bar.close()
                    kept = (f"the checkpoint of epoch {state.epoch} is kept in {ckpt_dir}" if ckpt_dir and state.epoch
                            else "no checkpoint was written (set checkpoint_dir=... to keep one per epoch)")
                    raise TrainingDivergedError(
                        f"Training diverged: the loss became {mean} in epoch {epoch + 1}, batch {step + 1}; {kept}. "
                        f"Lower the learning rate (lr={enc.lr}) or set clip_grad (now {enc.clip_grad}).")
                rate = seen_tokens / max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(loss=f"{mean:.3f}", ppl=f"{math.exp(min(mean, 50)):.1f}",
                                tok_s=f"{rate:,.0f}")
            bar.update(1)
        bar.close()
        stat = dist.all_sum(sums)
        train_loss = float(stat[0] / max(float(stat[1]), 1.0))
        record = {"epoch": epoch + 1, "train_loss": train_loss, "train_ppl": math.exp(min(train_loss, 50)),
                  "tokens_per_s": seen_tokens / max(time.perf_counter() - start, 1e-9),
                  "seconds": time.perf_counter() - start}
        if len(valid):
            nll, count = evaluate_nll(model, valid, enc.batch_size, device, enc.precision, dist)
            val = nll / count
            record.update(valid_loss=val, valid_ppl=math.exp(min(val, 50)))
            if val < state.best_val:
                state.best_val, state.bad_epochs = val, 0
                state.best = module_tensors(model)
            else:
                state.bad_epochs += 1
                if enc.optimizer == "sgd":  # anneal, as Zaremba et al. and PyTorch's example do
                    for group in opt.param_groups:
                        group["lr"] /= 4.0
                if enc.patience and state.bad_epochs >= enc.patience:
                    state.stopped = True
        state.history.append(record)
        state.epoch += 1
        if show:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in record.items() if k != "epoch")
            tqdm.write(f"{enc.name or 'rnn'} epoch {epoch + 1}/{enc.epochs}: {shown}", file=sys.stderr)
        if ckpt_dir is not None:
            if dist.rank == 0:
                trainer = {"epoch": state.epoch, "best_val": state.best_val if state.best is not None else None,
                           "bad_epochs": state.bad_epochs, "stopped": state.stopped, "history": state.history,
                           "fingerprint": expected}
                save_checkpoint(ckpt_dir, model, opt, state.best, trainer, vocab)
            dist.barrier()
    if state.best is not None:
        load_module_tensors(model, {k: v.to(device) for k, v in state.best.items()})
    model.eval()
    return state
