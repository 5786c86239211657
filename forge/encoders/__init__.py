"""Built-in encoders. Modules are imported on first use (``forge.create`` does it for you).

The built-ins register here, into the core registry (:mod:`forge._registry`), as lazy ``"module:Class"``
entries: ``import forge`` imports this package, never gensim or torch; an encoder's module is imported
the first time its name is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from forge._registry import ENCODERS

__all__ = [
    "AttentionEncoder",
    "KeyedVectorsEncoder",
    "OneHotEncoder",
    "RecurrentEncoder",
    "Word2VecEncoder",
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

# name: (target, description, default params). Aliases are entries with defaults.
_BUILTINS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "onehot": (
        "forge.encoders.onehot:OneHotEncoder",
        "one-hot sparse vectors (SciPy CSR), one dimension per vocabulary word",
        {},
    ),
    "word2vec": (
        "forge.encoders.word2vec:Word2VecEncoder",
        "gensim Word2Vec (sg=0 CBOW, sg=1 skip-gram), every gensim parameter passes through",
        {},
    ),
    "cbow": (
        "forge.encoders.word2vec:Word2VecEncoder",
        "Word2Vec continuous bag-of-words: predict a word from its context (sg=0)",
        {"sg": 0},
    ),
    "skipgram": (
        "forge.encoders.word2vec:Word2VecEncoder",
        "Word2Vec skip-gram: predict the context from a word (sg=1)",
        {"sg": 1},
    ),
    "vectors": (
        "forge.encoders.vectors:KeyedVectorsEncoder",
        "static vectors read by forge.load_vectors (word2vec, GloVe, fastText), or a seeded random baseline",
        {},
    ),
}
for _cell in ("rnn", "gru", "lstm"):
    for _bi in (False, True):
        _BUILTINS[("bi" if _bi else "") + _cell] = (
            "forge.encoders.neural.recurrent:RecurrentEncoder",
            f"{'bidirectional ' if _bi else ''}{_cell.upper()} language-model encoder (PyTorch), "
            f"contextual{' (forward + backward LM, ELMo-style)' if _bi else ' (left-to-right)'}",
            {"cell": _cell, "bidirectional": _bi},
        )
_BUILTINS["transformer"] = (
    "forge.encoders.neural.attention:AttentionEncoder",
    "causal Transformer language-model encoder (PyTorch), contextual (left-to-right self-attention)",
    {"bidirectional": False},
)
_BUILTINS["bitransformer"] = (
    "forge.encoders.neural.attention:AttentionEncoder",
    "bidirectional Transformer encoder trained as a masked LM (PyTorch), contextual (BERT-style)",
    {"bidirectional": True},
)
for _name, (_target, _desc, _defaults) in _BUILTINS.items():
    ENCODERS.register_lazy(_name, _target, builtin=True, description=_desc, defaults=_defaults)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"forge.encoders.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'forge.encoders' has no attribute {name!r}")
