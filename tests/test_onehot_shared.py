"""One-hot embed keeps only the CSR arrays per token: shared read-only row pointers, int32 indices."""

from __future__ import annotations

import numpy as np
import pytest

import forge


def test_same_length_sentences_share_a_read_only_indptr():
    enc = forge.create("onehot").fit([["a", "b", "c", "d"]])
    x, y, z = enc.embed([["a", "b"], ["c", "d"], ["a"]])
    assert x.indptr is y.indptr and z.indptr is not x.indptr
    assert not x.indptr.flags.writeable and x.indices.dtype == np.int32
    np.testing.assert_array_equal((x @ y.T).toarray(), np.zeros((2, 2)))
    np.testing.assert_array_equal(x.toarray(), [[1, 0, 0, 0], [0, 1, 0, 0]])
    x.data[:] = 0
    with pytest.raises(ValueError, match="read-only"):  # an in-place structural change cannot touch y
        x.eliminate_zeros()
    np.testing.assert_array_equal(y.toarray(), [[0, 0, 1, 0], [0, 0, 0, 1]])
    own = y.copy()
    own.data[:] = 0
    own.eliminate_zeros()
    assert own.nnz == 0 and y.nnz == 2


def test_oov_zero_rows_get_their_own_indptr():
    enc = forge.create("onehot", oov="zero").fit([["a", "b"]])
    m = enc.embed([["a", "zzz", "b"]])[0]
    assert m.indptr.tolist() == [0, 1, 1, 2] and m.indptr.flags.writeable
    np.testing.assert_array_equal(m.toarray(), [[1, 0], [0, 0], [0, 1]])
