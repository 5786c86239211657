"""Torch on one CPU thread while the probes time or train small models."""

from __future__ import annotations

__all__ = ["one_thread"]


class one_thread:
    """Run torch on one CPU thread inside the block (restored after): on a shared machine, timings
    with several threads mostly measure the other processes."""

    def __enter__(self):
        try:
            import torch  # lazy: torch is optional: import forge never loads it
        except ImportError:  # encoders without torch: nothing to pin
            self.torch = None
            return self
        self.torch, self.before = torch, torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.torch is not None:
            self.torch.set_num_threads(self.before)
