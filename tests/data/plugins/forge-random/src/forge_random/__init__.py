"""forge-random: one random vector per word, the chance-level baseline (a minimal forge plugin)."""

from pathlib import Path

import numpy as np

import forge
from forge.errors import BadInputError


class RandomEncoder(forge.BaseEncoder):
    """A fixed random Gaussian vector per vocabulary word: what scores look like by chance.

    Examples
    --------
    >>> enc = RandomEncoder(vector_size=4).fit([["a", "b"], ["b", "c"]])
    >>> enc.vector("b").shape, "z" in enc
    ((4,), False)
    """

    test_params = {"vector_size": 8}  # small, fast settings for forge.testing
    param_constraints = {  # what each parameter accepts: checked by fit, set_params and forge.load
        "vector_size": (forge.Interval(int, 1, None),),
        "min_count": (forge.Interval(int, 1, None),),
        "seed": (forge.Interval(int, 0, None),),
        "oov": (forge.Options(forge.OOV_POLICIES),),
    }

    def __init__(self, vector_size: int = 100, min_count: int = 1, seed: int = 0, oov: str = "error"):
        self.vector_size = vector_size  # configuration only: stored unchanged, checked in fit
        self.min_count = min_count
        self.seed = seed
        self.oov = oov

    def fit(self, corpus) -> "RandomEncoder":
        self.validate_params()  # the declared constraints; names the bad parameter and what is allowed
        vocab = forge.Vocabulary.build(forge.corpora.as_corpus(corpus), self.min_count)
        if len(vocab) == 0:
            raise BadInputError(f"The corpus has no word seen min_count={self.min_count} times; is it empty?")
        rng = np.random.default_rng(self.seed)
        self.vectors_ = rng.standard_normal((len(vocab), self.vector_size)).astype(np.float32)
        self.vocab_ = vocab  # learned state ends in "_"; is_fitted checks vocab_
        return self

    @property
    def dim(self) -> int:
        return self.vector_size

    def _static_matrix(self) -> np.ndarray:
        return self.vectors_  # row i is the vector of vocabulary word i

    def save_state(self, directory: Path) -> None:
        np.save(directory / "vectors.npy", self.vectors_, allow_pickle=False)
        self.vocab_.save(directory / "vocab.json")

    def load_state(self, directory: Path, mmap: bool = False) -> None:
        self.vocab_ = forge.Vocabulary.load(directory / "vocab.json")
        self.vectors_ = np.load(directory / "vectors.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
