"""Saved models and training checkpoints of the neural encoders: written and read (and checked) here.

* A checkpoint (:func:`save_checkpoint`) is one directory, replaced
  atomically after each epoch: the weights, the best weights, the optimizer
  state and the RNG state (safetensors, no pickle), plus ``trainer.json``.

* A saved model (``recurrent.json``, ``vocab.json``, ``model.safetensors``) is
  checked before any weight is used: the metadata's types, the vocabulary's
  special tokens, and every tensor's name, shape, dtype and finiteness against
  the model the parameters describe (built on torch's ``meta`` device, so a
  damaged ``hidden_size`` of 10**12 allocates nothing).
* A checkpoint's fingerprint covers the parameters, the vocabulary (in order)
  and the training data (a sha256 of the token-id stream), so ``resume=True``
  continues only the run it was. ``trainer.json`` records the sha256 and size
  of the other files; a damaged checkpoint (missing epoch, optimizer or RNG
  state, wrong shapes, a ``checkpoint_dir`` that is a file) is a
  :class:`~forge.errors.CorruptModelError` naming what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from forge._folders import check_replaceable, recover
from forge._persist import atomic_dir, file_manifest, read_json, verify_manifest
from forge.encoders.neural._data import SPECIALS
from forge.errors import BadInputError, CorruptModelError, ForgeError
from forge.vocab import Vocabulary

__all__ = [
    "CHECKPOINT_KIND",
    "check_tensors",
    "expected_shapes",
    "fingerprint",
    "legacy_checkpoint",
    "load_module_tensors",
    "load_optimizer",
    "module_tensors",
    "preflight",
    "read_checkpoint",
    "read_saved_model",
    "save_checkpoint",
    "trainer_digest",
]

log = logging.getLogger("forge")
CHECKPOINT_KIND = "checkpoint"
_CKPT_FILES = {"checkpoint.safetensors", "trainer.json", "vocab.json"}


def legacy_checkpoint(folder: Path) -> bool:
    """A checkpoint of an earlier forge (no marker): only its three files."""
    names = {p.name for p in folder.iterdir()} - {f".forge-{CHECKPOINT_KIND}"}  # (a damaged marker)
    return "trainer.json" in names and names <= _CKPT_FILES


def preflight(directory: Path) -> None:
    """Before training: ``checkpoint_dir`` must be a folder forge may write checkpoints into."""
    if directory.exists() and not directory.is_dir():
        raise CorruptModelError(
            f"checkpoint_dir={str(directory)!r} is a file, not a folder: it cannot hold "
            f"checkpoints. Pass the path of a new or empty folder (or of an earlier checkpoint)."
        )
    check_replaceable(directory, CHECKPOINT_KIND, legacy_checkpoint)


# ------------------------------------------------------------------ fingerprint
def _digest_arrays(datasets: tuple[Any, ...]) -> tuple[str | None, int]:
    """sha256 of the token ids and sentence boundaries of ``datasets`` (None: not encoded data).

    A dataset is :class:`Encoded` sentences (ids + offsets) or, in stream mode, one id array.
    """
    digest, tokens = hashlib.sha256(), 0
    for data in datasets:
        ids: object
        offsets: object
        if isinstance(data, np.ndarray):  # context="stream": the corpus as one id stream
            ids, offsets = data, np.zeros(0, dtype=np.int64)
        else:
            ids, offsets = getattr(data, "ids", None), getattr(data, "offsets", None)
        if not isinstance(ids, np.ndarray) or not isinstance(offsets, np.ndarray):
            return None, 0
        for arr in (np.ascontiguousarray(ids, dtype=np.int32), np.ascontiguousarray(offsets, dtype=np.int64)):
            digest.update(len(arr).to_bytes(8, "little"))
            digest.update(arr.data)  # C-contiguous: hashed in place, no copy
        tokens += len(ids)
    return digest.hexdigest()[:32], tokens


def fingerprint(params: dict[str, Any], vocab_words: list[str], *datasets: Any) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: parameters, vocabulary, training and validation data."""
    digest = hashlib.sha256("\n".join(vocab_words).encode("utf-8")).hexdigest()[:16]
    out: dict[str, Any] = {"params": params, "vocab_sha256": digest, "vocab_size": len(vocab_words)}
    data_sha, tokens = _digest_arrays(datasets)
    if data_sha is not None:
        out.update(data_sha256=data_sha, data_tokens=tokens)
    return out


# ------------------------------------------------------------------ model shapes
def expected_shapes(model: nn.Module, prefix: str = "") -> dict[str, tuple[int, ...]]:
    """Name -> shape of what ``module_tensors`` saves for ``model`` (tied tensors once, under their first name)."""
    out, seen = {}, set()
    for name, tensor in model.state_dict(keep_vars=True).items():
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        out[prefix + name] = tuple(tensor.shape)
    return out


def check_tensors(
    tensors: dict[str, torch.Tensor], expected: dict[str, tuple[int, ...]], path: Path, prefix: str = ""
) -> None:
    """Exactly the expected tensors under ``prefix``: same names and shapes, floating point, finite."""
    saved = {k: v for k, v in tensors.items() if k.startswith(prefix)}
    missing = sorted(set(expected) - set(saved))
    extra = sorted(set(saved) - set(expected))
    if missing or extra:
        raise CorruptModelError(
            f"{path} does not hold the weights its parameters describe: missing {missing[:5]}, "
            f"unexpected {extra[:5]} (e.g. tie_weights, softmax, cell or layers were changed, "
            f"or the file is damaged). Save the model again."
        )
    for name, shape in expected.items():
        t = saved[name]
        if tuple(t.shape) != shape:
            raise CorruptModelError(
                f"{path}: tensor {name!r} has shape {tuple(t.shape)}, expected {shape} from the "
                f"parameters and the vocabulary; the file is damaged or from other parameters."
            )
        if not t.is_floating_point():
            raise CorruptModelError(f"{path}: tensor {name!r} is {t.dtype}, expected floating point.")
        if not bool(torch.isfinite(t).all()):
            raise CorruptModelError(f"{path}: tensor {name!r} holds NaN or inf values; the file is damaged.")


def _load_tensors(path: Path, hint: str = "Save the model again.") -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file  # lazy: safetensors comes with torch (the torch extra)

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise CorruptModelError(f"{path} is missing: the folder is incomplete. {hint}") from None
    except Exception as exc:
        raise CorruptModelError(
            f"{path} is unreadable ({type(exc).__name__}: {str(exc)[:200]}); it is truncated or corrupt. {hint}"
        ) from None


def _meta_model(enc: Any, vocab_size: int, emb_dim: int, softmax: str, cutoffs: list[int], source: Path) -> nn.Module:
    try:
        with torch.device("meta"):  # shapes only: nothing is allocated, whatever the numbers say
            return enc._build(vocab_size, emb_dim, softmax, cutoffs)
    except ForgeError:
        raise
    except Exception as exc:
        raise CorruptModelError(
            f"{source}: the saved parameters do not describe a model that can be built "
            f"({type(exc).__name__}: {str(exc)[:200]}); the file is damaged."
        ) from None


def _int(value: Any) -> bool:
    return type(value) is int


# ------------------------------------------------------------------ saved models
def read_saved_model(enc: Any, directory: Path) -> tuple[Vocabulary, dict[str, Any], dict[str, torch.Tensor]]:
    """(vocabulary, metadata, tensors) of a saved neural model, all checked against ``enc``'s parameters."""
    meta_file = directory / getattr(enc, "_META_FILE", "recurrent.json")
    meta = read_json(meta_file)
    if not isinstance(meta, dict):
        raise CorruptModelError(f"{meta_file} must hold a JSON object; the model is corrupt: save it again.")
    emb_dim: Any = meta.get("embedding_dim")
    softmax: Any = meta.get("softmax")
    cutoffs: Any = meta.get("cutoffs")
    vocab = Vocabulary.load(directory / "vocab.json")
    if vocab.words[: len(SPECIALS)] != SPECIALS:
        raise CorruptModelError(
            f"{directory / 'vocab.json'} must start with the special tokens {SPECIALS}, starts "
            f"with {vocab.words[: len(SPECIALS)]}; the model is corrupt: save it again."
        )
    problems = []
    if not _int(emb_dim) or emb_dim < 1:
        problems.append(f"embedding_dim must be a positive integer, got {emb_dim!r}")
    if softmax not in ("full", "adaptive", "sampled"):
        problems.append(f"softmax must be 'full', 'adaptive' or 'sampled', got {softmax!r}")
    if not (
        isinstance(cutoffs, list)
        and cutoffs
        and all(_int(c) for c in cutoffs)
        and all(0 < a < b for a, b in zip(cutoffs, [*cutoffs[1:], len(vocab)], strict=True))
    ):
        problems.append(
            f"cutoffs must be increasing integers between 0 and the vocabulary size {len(vocab)}, "
            f"got {str(cutoffs)[:80]}"
        )
    if not isinstance(meta.get("history", []), list):
        problems.append("history must be a list")
    if problems:
        raise CorruptModelError(f"{meta_file}: {'; '.join(problems)}. The model is corrupt: save it again.")
    try:
        enc._layer_weights(emb_dim)
    except BadInputError as exc:
        raise CorruptModelError(f"{directory / 'config.json'}: {exc}") from None
    path = directory / "model.safetensors"
    tensors = _load_tensors(path)
    model = _meta_model(enc, len(vocab), emb_dim, softmax, cutoffs, meta_file)
    check_tensors(tensors, expected_shapes(model), path)
    return vocab, meta, tensors


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
    state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict(state, strict=False)
    own = module.state_dict()
    ptrs = {own[k].data_ptr() for k in state if k in own}
    missing = [k for k in missing if own[k].data_ptr() not in ptrs]
    if missing or unexpected:
        raise CorruptModelError(
            f"Weights do not match the model: missing {missing[:5]}, unexpected "
            f"{unexpected[:5]}. The files are corrupt or from different parameters."
        )


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


def load_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    state = {}
    for idx, entry in meta["state"].items():
        state[int(idx)] = {k: (tensors[f"optim.{idx}.{k}"] if v == "__tensor__" else v) for k, v in entry.items()}
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


# ------------------------------------------------------------------ checkpoints
def save_checkpoint(
    directory: Path, model: nn.Module, opt: torch.optim.Optimizer, best: dict | None, trainer: dict[str, Any], vocab
) -> None:
    """Write the checkpoint :func:`read_checkpoint` reads: weights, best weights, optimizer and RNG state."""
    from safetensors.torch import save_file  # lazy: safetensors comes with torch (the torch extra)

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


# ------------------------------------------------------------------ checkpoints
def trainer_digest(trainer: dict[str, Any]) -> str:
    """sha256 of ``trainer.json``'s content (without this digest): a flipped epoch count or loss is caught."""
    body = {k: v for k, v in trainer.items() if k != "trainer_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode("ascii")).hexdigest()


def _complete_checkpoint(folder: Path) -> bool:
    try:
        trainer = read_json(folder / "trainer.json", "checkpoint")
        if isinstance(trainer, dict) and "files" not in trainer:  # an earlier forge: no checksums
            return all((folder / name).is_file() for name in _CKPT_FILES)
        verify_manifest(folder, trainer.get("files") if isinstance(trainer, dict) else None, folder / "trainer.json")
    except ForgeError:
        return False
    return True


def _check_trainer(trainer: Any, source: Path) -> None:
    def bad(what: str) -> CorruptModelError:
        return CorruptModelError(
            f"{source}: {what}. The checkpoint is damaged: delete {source.parent} or pass "
            f"resume=False to start training over."
        )

    if not isinstance(trainer, dict):
        raise bad(f"expected a JSON object, got {type(trainer).__name__}")
    fields = {
        "epoch": "the number of finished epochs",
        "bad_epochs": "the early-stopping count",
        "stopped": "whether training stopped early",
        "best_val": "the best validation loss",
        "history": "the per-epoch history",
        "fingerprint": "what the run was trained on",
        "optimizer": "the optimizer state",
    }
    for key, what in fields.items():
        if key not in trainer:
            raise bad(f"'{key}' ({what}) is missing")
    if not _int(trainer["epoch"]) or trainer["epoch"] < 0:
        raise bad(f"'epoch' must be an integer >= 0, got {str(trainer['epoch'])[:40]}")
    if not _int(trainer["bad_epochs"]) or trainer["bad_epochs"] < 0:
        raise bad(f"'bad_epochs' must be an integer >= 0, got {str(trainer['bad_epochs'])[:40]}")
    if not isinstance(trainer["stopped"], bool):
        raise bad(f"'stopped' must be true or false, got {str(trainer['stopped'])[:40]}")
    best = trainer["best_val"]
    if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float)) or not math.isfinite(best)):
        raise bad(f"'best_val' must be a finite number or null, got {str(best)[:40]}")
    if not isinstance(trainer["history"], list) or not all(isinstance(h, dict) for h in trainer["history"]):
        raise bad("'history' must be a list of per-epoch records")
    fp = trainer["fingerprint"]
    if not (
        isinstance(fp, dict)
        and isinstance(fp.get("params"), dict)
        and isinstance(fp.get("vocab_sha256"), str)
        and _int(fp.get("vocab_size"))
    ):
        raise bad("'fingerprint' must hold the params, vocab_sha256 and vocab_size of the run")
    opt = trainer["optimizer"]
    if not (
        isinstance(opt, dict)
        and isinstance(opt.get("state"), dict)
        and isinstance(opt.get("param_groups"), list)
        and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in opt["param_groups"])
        and all(isinstance(v, dict) for v in opt["state"].values())
    ):
        raise bad("'optimizer' must hold the optimizer's 'state' and 'param_groups'")


def _check_fingerprint(directory: Path, saved: dict[str, Any], expected: dict[str, Any]) -> None:
    changed = {k: (saved["params"].get(k), v) for k, v in expected["params"].items() if saved["params"].get(k) != v}
    if changed:
        diff = ", ".join(f"{k}: checkpoint {old!r} -> now {new!r}" for k, (old, new) in changed.items())
        raise BadInputError(
            f"Cannot resume from {directory}: it was trained with other parameters ({diff}). "
            f"Resume with the same parameters, or pass resume=False (or another checkpoint_dir) "
            f"to start over."
        )
    if saved["vocab_sha256"] != expected["vocab_sha256"]:
        detail = f"{expected['vocab_size']} words now, {saved['vocab_size']} in the checkpoint"
        try:
            old_words = Vocabulary.load(directory / "vocab.json").words
        except ForgeError:
            old_words = None
        if old_words is not None:
            now = expected.get("_words", [])
            if set(old_words) == set(now):
                detail = f"the same {len(now)} words in another order (the word counts differ, so the word ids do too)"
            elif now:
                added, removed = sorted(set(now) - set(old_words)), sorted(set(old_words) - set(now))
                detail += f"; new: {added[:5]}, gone: {removed[:5]}"
        raise BadInputError(
            f"Cannot resume from {directory}: the corpus gives another vocabulary ({detail}). "
            f"Resume on the same corpus, or pass resume=False to start over."
        )
    if "data_sha256" in expected:
        if "data_sha256" not in saved:
            log.warning(
                "The checkpoint in %s predates training-data fingerprints: resuming without checking that "
                "the corpus is the same.",
                directory,
            )
        elif saved["data_sha256"] != expected["data_sha256"]:
            raise BadInputError(
                f"Cannot resume from {directory}: the training data differ (same vocabulary, but "
                f"another token stream: {expected['data_tokens']} tokens now, "
                f"{saved.get('data_tokens')} in the checkpoint; sentences or their order changed). "
                f"Resume on the same corpus and validation split, or pass resume=False to start over."
            )


def _check_groups(saved: list[dict[str, Any]], optimizer: torch.optim.Optimizer, path: Path) -> None:
    """The saved hyper-parameters are those of this run (only ``lr`` may have been annealed down)."""
    fresh = optimizer.state_dict()["param_groups"]
    if len(saved) != len(fresh):
        raise CorruptModelError(
            f"{path}: the optimizer has {len(saved)} parameter groups, this run has "
            f"{len(fresh)}; the checkpoint is damaged or from another optimizer."
        )
    for group, new in zip(saved, fresh, strict=True):
        extra = sorted(set(group) - set(new))
        if extra:
            raise CorruptModelError(
                f"{path}: unknown optimizer settings {extra[:5]}; the checkpoint is damaged or from another optimizer."
            )
        for key, value in new.items():
            if key == "params":
                continue
            if key not in group:  # a setting this torch added since the checkpoint: its default
                group[key] = value
            elif key == "lr":
                lr = group[key]
                if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= value:
                    raise CorruptModelError(
                        f"{path}: the saved learning rate {str(lr)[:30]} is not a number in "
                        f"(0, {value}] (lr of this run, annealed only downwards)."
                    )
            elif group[key] != value and not (isinstance(value, tuple) and group[key] == list(value)):
                raise CorruptModelError(
                    f"{path}: the optimizer setting {key}={str(group[key])[:40]} differs from "
                    f"this run's {value!r}; the checkpoint is damaged or from another run."
                )


def _check_optimizer(trainer: dict[str, Any], tensors: dict[str, torch.Tensor], model: nn.Module, path: Path) -> None:
    trainable = [tuple(p.shape) for p in model.parameters() if p.requires_grad]
    opt = trainer["optimizer"]
    listed = [i for g in opt["param_groups"] for i in g["params"]]
    if len(listed) != len(trainable) or not all(_int(i) for i in listed):
        raise CorruptModelError(
            f"{path}: the optimizer state covers {len(listed)} parameters, the model trains "
            f"{len(trainable)}; the checkpoint is damaged or from another model."
        )
    for idx, entry in opt["state"].items():
        if not str(idx).isdigit() or int(idx) >= len(trainable):
            raise CorruptModelError(f"{path}: optimizer state for unknown parameter {str(idx)[:20]!r}.")
        for key, value in entry.items():
            if value != "__tensor__":
                continue
            name = f"optim.{idx}.{key}"
            if name not in tensors:
                raise CorruptModelError(
                    f"{path}: the optimizer tensor {name!r} is missing; the checkpoint is "
                    f"damaged: delete it or pass resume=False."
                )
            t = tensors[name]
            if tuple(t.shape) not in ((), trainable[int(idx)]) or not bool(torch.isfinite(t.float()).all()):
                raise CorruptModelError(
                    f"{path}: the optimizer tensor {name!r} has shape {tuple(t.shape)} (expected "
                    f"{trainable[int(idx)]}) or non-finite values; the checkpoint is damaged."
                )


def read_checkpoint(
    directory: Path,
    expected: dict[str, Any],
    model: nn.Module | None = None,
    vocab_words: list[str] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]] | None:
    """The checkpoint in ``directory`` (None when there is none), checked against ``expected`` and ``model``.

    A checkpoint lost in the rename window of its last save is recovered from its complete
    previous copy (with a warning).
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise CorruptModelError(
            f"checkpoint_dir={str(directory)!r} is a file, not a checkpoint folder. Pass the "
            f"folder an earlier run wrote its checkpoints to, or resume=False."
        )
    if not directory.exists() or not any(directory.iterdir()):
        found = recover(directory, CHECKPOINT_KIND, verify=_complete_checkpoint)
        if found is None:
            return None
        directory = found
    meta_file = directory / "trainer.json"
    hint = f"The checkpoint is damaged: delete {directory} or pass resume=False to start over."
    if not meta_file.is_file():
        foreign = sorted(p.name for p in directory.iterdir())[:5]
        raise CorruptModelError(
            f"checkpoint_dir={str(directory)!r} holds no forge checkpoint (no trainer.json; it "
            f"holds {foreign}). Pass the folder an earlier run wrote, or resume=False and a new "
            f"checkpoint_dir."
        )
    trainer = read_json(meta_file, "checkpoint")
    if isinstance(trainer, dict) and "trainer_sha256" in trainer:
        try:
            same = trainer["trainer_sha256"] == trainer_digest(trainer)
        except (TypeError, ValueError, RecursionError):
            same = False
        if not same:
            raise CorruptModelError(
                f"{meta_file} was changed after it was saved (its content no longer matches 'trainer_sha256'). {hint}"
            )
    _check_trainer(trainer, meta_file)
    if "files" in trainer:
        verify_manifest(directory, trainer["files"], meta_file, hint)
    _check_fingerprint(directory, trainer["fingerprint"], {**expected, "_words": vocab_words or []})
    path = directory / "checkpoint.safetensors"
    tensors = _load_tensors(path, hint)
    for key in ("rng.torch", "rng.cuda"):
        rng = tensors.get(key)
        if (rng is None and key == "rng.torch") or (rng is not None and (rng.dtype != torch.uint8 or rng.dim() != 1)):
            raise CorruptModelError(
                f"{path}: the random-number-generator state {key!r} is missing or damaged; "
                f"the checkpoint cannot continue the run exactly. Delete it or pass resume=False."
            )
    if model is not None:
        shapes = expected_shapes(model)
        check_tensors(tensors, {"model." + k: v for k, v in shapes.items()}, path, "model.")
        if any(k.startswith("best.") for k in tensors):
            check_tensors(tensors, {"best." + k: v for k, v in shapes.items()}, path, "best.")
        _check_optimizer(trainer, tensors, model, path)
    if optimizer is not None:
        _check_groups(trainer["optimizer"]["param_groups"], optimizer, path)
    return trainer, tensors
