"""What the command line says when Ctrl-C stops a command: one line, and exit status 130.

The line names what was interrupted, what was (not) written, the last checkpoint when the command
keeps one, and the command that resumes or reruns it. Nothing is half-written: every folder forge
writes (models, reports, checkpoints) is replaced atomically (``forge._folders.atomic_dir``), so an
interrupted save leaves the earlier folder, or none.

Examples
--------
>>> import argparse
>>> args = argparse.Namespace(command="report", out="merged")
>>> interrupted_line(args, ["report", "results", "--out", "merged"])
'forge report: interrupted (Ctrl-C); nothing was written to merged (forge writes it at the end, all or nothing); run it again: forge report results --out merged'
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

import forge

__all__ = ["EXIT_INTERRUPTED", "interrupted_line"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


def _command(argv: list[str]) -> str:
    return shlex.join(["forge", *argv])


def _checkpoint_epoch(directory: str) -> int | None:
    """The finished epochs recorded in ``directory/trainer.json``, or None when there is no readable one."""
    try:
        trainer = json.loads((Path(directory) / "trainer.json").read_text(encoding="utf-8"))
        epoch = trainer["epoch"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None


def _train_line(args: argparse.Namespace, argv: list[str], params: dict[str, Any]) -> str:
    head = f"forge train: interrupted (Ctrl-C) while training {args.encoder}; nothing was saved to {args.out}"
    ckpt = params.get("checkpoint_dir")
    epoch = _checkpoint_epoch(str(ckpt)) if ckpt else None
    if ckpt and epoch is not None:
        total = params.get("epochs")
        done = f"{epoch} of {total} epochs done" if isinstance(total, int) else f"{epoch} epochs done"
        resume = argv if params.get("resume") is True else [*argv, "--param", "resume=true"]
        return f"{head}; last checkpoint: {ckpt} ({done}); resume with: {_command(resume)}"
    if ckpt:
        return f"{head}; no checkpoint was written to {ckpt} yet (one is written after each epoch); run it again: {_command(argv)}"
    keeps = _takes_checkpoints(args.encoder)
    hint = " (pass --param checkpoint_dir=DIR to keep one after each epoch)" if keeps else ""
    return f"{head}; no checkpoint{hint}; run it again: {_command(argv)}"


def _takes_checkpoints(name: str) -> bool:
    try:
        return "checkpoint_dir" in forge.create(name).get_params()
    except Exception:  # an unknown or broken encoder: no advice rather than a second traceback
        return False


def interrupted_line(args: argparse.Namespace, argv: list[str], params: dict[str, Any] | None = None) -> str:
    """The one line printed when Ctrl-C stops ``forge <argv>`` (``args``: its parsed arguments).

    ``params``: the encoder parameters of ``forge train`` (for its checkpoint).
    """
    command = getattr(args, "command", "") or "command"
    if command == "train":
        return _train_line(args, argv, params or {})
    out = getattr(args, "out", None)
    written = (
        f"nothing was written to {out} (forge writes it at the end, all or nothing)" if out else "nothing was written"
    )
    models = getattr(args, "save_models", None)
    if models:
        written += f"; the models already in {models} are complete, the one being saved is not there"
    return f"forge {command}: interrupted (Ctrl-C); {written}; run it again: {_command(argv)}"
