"""The version of forge, in one module that imports nothing (so the core modules can read it)."""

__version__ = "0.1.0"
