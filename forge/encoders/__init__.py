"""Built-in encoders. Modules are imported on first use (``forge.create`` does it for you)."""

__all__ = [
    "OneHotEncoder",
    "Word2VecEncoder",
    "RecurrentEncoder",
    "AttentionEncoder",
    "KeyedVectorsEncoder",
    "make_layer",
]

_WHERE = {
    "OneHotEncoder": "onehot",
    "Word2VecEncoder": "word2vec",
    "RecurrentEncoder": "neural.recurrent",
    "AttentionEncoder": "neural.attention",
    "KeyedVectorsEncoder": "vectors",
    "make_layer": "neural._cells",
}  # one recurrent layer (needs torch): the lab's memory and speed probes


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"forge.encoders.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'forge.encoders' has no attribute {name!r}")
