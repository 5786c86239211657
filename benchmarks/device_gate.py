"""Run a command only when the asked-for device exists (the device factor of the tox matrix).

    python benchmarks/device_gate.py cuda -- forge bench --encoders lstm ...

``cpu`` always runs. ``cuda`` runs when torch is installed and sees a CUDA device; otherwise it
prints why the environment is skipped and exits 0, so `tox p -e bench-lstm-cpu,bench-lstm-cuda` passes
on a CPU-only machine and says plainly that nothing ran on CUDA.
"""

from __future__ import annotations

import subprocess
import sys


def cuda_available() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "torch is not installed in this environment"
    if not torch.cuda.is_available():
        return False, f"torch {torch.__version__} sees no CUDA device (CPU build, or no GPU/driver)"
    return True, torch.cuda.get_device_name(0)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--" or argv[0] not in ("cpu", "cuda"):
        print("usage: device_gate.py {cpu,cuda} -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    device, command = argv[0], argv[2:]
    if device == "cuda":
        ok, why = cuda_available()
        if not ok:
            print(
                f"SKIPPED (device cuda): {why}; nothing was run. Use the -cpu environment, or run on a "
                f"machine with an NVIDIA GPU and the CUDA build of torch."
            )
            return 0
        print(f"device cuda: {why}")
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
