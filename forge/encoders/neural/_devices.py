"""Where and how the neural models run: devices, DDP process groups, precision, progress bars.

* **Devices**: ``"auto" | "cpu" | "cuda" | "cuda:N"``, checked with a clear
  :class:`forge.errors.DeviceError`.
* **DDP**: when ``WORLD_SIZE > 1`` (as ``torchrun`` sets it), the process group
  starts by itself: NCCL on GPUs, gloo on CPU.
* **Precision** (:func:`resolve_precision`, :func:`precision_scope`): ``"auto"``
  is bf16 autocast on CUDA and fp32 on CPU; ``"fp32"`` is true fp32 (TF32 off
  for cuDNN and matrix products while forge trains or embeds, the caller's
  flags restored afterwards); ``"tf32"`` allows TF32 (faster on Ampere and
  later, about 10 bits of mantissa in products); ``"bf16"`` autocasts.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from forge.errors import BadInputError, DeviceError

__all__ = [
    "Dist",
    "autocast",
    "precision_scope",
    "resolve_device",
    "resolve_precision",
    "setup_distributed",
    "show_progress",
]


# ------------------------------------------------------------------ devices
def resolve_device(spec: Any) -> str:
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; checks ``"cuda"``/``"cuda:N"`` exist."""
    text = spec.strip().lower() if isinstance(spec, str) else None
    if text == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", text or "")
    if text is None or not match:
        raise DeviceError(f"Unknown device {spec!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N' (e.g. 'cuda:0').")
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device={spec!r} was requested but CUDA is not available (torch {torch.__version__}, "
            f"built with CUDA {torch.version.cuda}). Use device='cpu', or device='auto' to use a GPU "
            f"only when there is one."
        )
    if match.group(1) is not None and int(match.group(1)) >= torch.cuda.device_count():
        raise DeviceError(
            f"device={spec!r} does not exist: this machine has {torch.cuda.device_count()} CUDA "
            f"device(s), cuda:0 .. cuda:{torch.cuda.device_count() - 1}."
        )
    return text


# ------------------------------------------------------------------ distributed
@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    owned: bool = False  # we started the process group, so we end it

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


# ------------------------------------------------------------------ precision and progress
def resolve_precision(device: str, precision: str) -> str:
    """``"auto"`` -> ``"bf16"`` on CUDA, ``"fp32"`` elsewhere; any other choice as it is."""
    if precision == "auto":
        return "bf16" if device.startswith("cuda") else "fp32"
    return precision


@contextlib.contextmanager
def precision_scope(precision: str) -> Iterator[None]:
    """Within the block, TF32 is off (``"fp32"``: true fp32) or on (``"tf32"``) for cuDNN and matmuls.

    The caller's flags are restored on exit, whatever happens inside. ``"bf16"`` and ``"auto"``
    leave them as they are (autocast decides the products' precision there).

    >>> import torch
    >>> before = torch.backends.cudnn.allow_tf32
    >>> with precision_scope("fp32"):
    ...     torch.backends.cudnn.allow_tf32
    False
    >>> torch.backends.cudnn.allow_tf32 == before
    True
    """
    if precision not in ("fp32", "tf32"):
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = (matmul.allow_tf32, cudnn.allow_tf32)
    allow = precision == "tf32"
    try:
        matmul.allow_tf32, cudnn.allow_tf32 = allow, allow
        yield
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = saved


def show_progress(progress: bool | None) -> bool:
    """``progress=None`` (the default): bars only when stderr is a terminal; True/False: as asked."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def autocast(device: str, precision: str):
    on_cuda = device.startswith("cuda")
    use_bf16 = resolve_precision(device, precision) == "bf16"
    return torch.autocast("cuda" if on_cuda else "cpu", dtype=torch.bfloat16, enabled=use_bf16)
