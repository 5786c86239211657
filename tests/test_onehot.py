"""One-hot encoder: exact orthogonality, sparse memory, OOV policies."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import forge
from forge.errors import OutOfVocabularyError

CORPUS = [["apple", "banana", "apple"], ["spaceship", "banana"]]


def test_distinct_words_are_orthogonal():
    enc = forge.create("onehot").fit(CORPUS)
    assert enc.dim == 3
    assert enc.similarity("apple", "banana") == 0.0 == enc.similarity("apple", "spaceship")
    assert enc.similarity("apple", "apple") == 1.0
    assert [s for _, s in enc.most_similar("apple")] == [0.0, 0.0]


def test_embed_is_sparse_with_one_stored_value_per_token():
    enc = forge.create("onehot").fit(CORPUS)
    (mat,) = enc.embed([["banana", "apple", "banana"]])
    assert sp.issparse(mat) and mat.shape == (3, 3) and mat.nnz == 3
    np.testing.assert_array_equal(mat.toarray().sum(axis=1), [1, 1, 1])
    assert mat[0, enc.vocabulary["banana"]] == 1


def test_memory_is_linear_in_tokens_not_vocabulary():
    vocab = [f"w{i}" for i in range(20000)]
    enc = forge.create("onehot").fit([vocab])
    (mat,) = enc.embed([vocab[:1000]])
    stored = mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes
    assert stored < 1000 * 24  # a dense (1000, 20000) float32 matrix would be 80 MB


@pytest.mark.parametrize("oov", ["zero", "unk"])
def test_oov_policies(oov):
    enc = forge.create("onehot", oov=oov).fit(CORPUS)
    vec = enc.vector("pear")
    if oov == "zero":
        assert vec.nnz == 0
    else:
        assert vec[0, enc.vocabulary["<unk>"]] == 1
    with pytest.raises(OutOfVocabularyError, match="'pear'.*oov='zero'"):
        forge.create("onehot").fit(CORPUS).vector("pear")


def test_min_count_and_max_size():
    enc = forge.create("onehot", min_count=2).fit(CORPUS)
    assert list(enc.vocabulary) == ["apple", "banana"]
    assert list(forge.create("onehot", max_size=1).fit(CORPUS).vocabulary) == ["apple"]
