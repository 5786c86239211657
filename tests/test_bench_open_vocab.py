"""Open-vocabulary encoders (FastText's character n-grams) cover words never seen in training."""

from __future__ import annotations

import numpy as np
import pytest

import forge
import forge.bench
from forge.bench._vectors import VectorView
from forge.testing import TINY_CORPUS

pytest.importorskip("forge_fasttext", reason="the forge-fasttext plugin is not installed")


def test_fasttext_covers_unseen_words_where_word2vec_cannot(tmp_path, monkeypatch):
    from forge.bench import _datasets

    monkeypatch.setattr(_datasets, "_REGISTRY", _datasets._REGISTRY.copy())  # keep the registration local
    pairs = tmp_path / "pairs.txt"
    # 'kings' and 'castles' never occur in TINY_CORPUS; their n-grams do
    pairs.write_text("king\tqueen\t8\nkings\tking\t9\ncastle\tcastles\t9\ndog\tletter\t1\n")
    forge.bench.register_dataset("test-open-vocab", pairs, format="pairs", overwrite=True)
    params = {"vector_size": 16, "min_count": 1, "epochs": 2, "workers": 1, "seed": 1}
    ft = forge.create("fasttext", **params).fit(TINY_CORPUS)
    w2v = forge.create("skipgram", progress=False, **params).fit(TINY_CORPUS)
    assert "kings" in ft and "kings" not in ft.vocabulary and "kings" not in w2v
    frame = forge.bench.run({"fasttext": ft, "skipgram": w2v}, ["test-open-vocab"], progress=False).frame
    coverage = frame[frame.metric == "spearman"].set_index("encoder")["coverage"]
    assert coverage["fasttext"] == 1.0 and coverage["skipgram"] == 0.5


def test_appended_rows_are_the_encoders_vectors_and_never_analogy_candidates():
    ft = forge.create("fasttext", vector_size=8, min_count=1, epochs=1, workers=1).fit(TINY_CORPUS)
    view = VectorView(ft)
    n = len(ft.vocabulary)
    rows = view.lookups(["king", "kings", "castles"], open_vocabulary=True)
    assert rows[0] < n and list(rows[1:]) == [n, n + 1]
    np.testing.assert_allclose(view.rows(rows[1:2])[0], ft.vector("kings"), rtol=1e-6)
    assert view.unit().shape[0] == n + 2 and view.restrict == n
    assert list(view.lookups(["kings"])) == [-1]  # analogy lookups stay inside the vocabulary
