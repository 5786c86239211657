"""Pretrained vectors by name (issue 20, item 8): registry, download with resume, verification, mmap.

Every download comes from a local HTTP server on 127.0.0.1 (port 0); nothing here reaches the internet.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import re
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import forge
from forge import _pretrained
from forge._pretrained import VectorsRecord
from forge.errors import BadInputError, MissingDataError, UnknownNameError, UnverifiedDownloadWarning

WORDS = ["the", "king", "queen", "man", "woman", "apple"]
MATRIX = np.arange(len(WORDS) * 4, dtype=np.float32).reshape(len(WORDS), 4) / 8 - 1


def _word2vec_text() -> bytes:
    lines = [f"{len(WORDS)} 4"] + [f"{w} {' '.join(f'{x:g}' for x in row)}" for w, row in zip(WORDS, MATRIX)]
    return ("\n".join(lines) + "\n").encode()


def _big_text(n: int = 300) -> bytes:
    rng = np.random.default_rng(0)
    rows = "".join(f"w{i} {' '.join(f'{x:.6f}' for x in rng.standard_normal(8))}\n" for i in range(n))
    return f"{n} 8\n{rows}".encode()


class _Server:
    """Serves ``files`` over HTTP with Range support; ``drops[name]`` lists byte counts after which the next
    responses for that file break the connection (one entry per response)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drops: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                start = int(re.match(r"bytes=(\d+)-", rng).group(1)) if rng else 0
                if start >= len(body) > 0:
                    self.send_response(416)
                    self.end_headers()
                    return
                self.send_response(206 if rng else 200)
                if rng:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                payload = body[start:]
                cuts = server.drops.get(name)
                if cuts:
                    self.wfile.write(payload[: cuts.pop(0)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FORGE_VECTORS_URL", raising=False)
    monkeypatch.setattr(_pretrained, "_RETRY_PAUSE", 0.0)
    return tmp_path / "cache" / "vectors"


def _register(monkeypatch, name: str, server: _Server, file: str, data: bytes, **fields) -> VectorsRecord:
    server.files[file] = data
    fields.setdefault("sha256", hashlib.sha256(data).hexdigest())
    fields.setdefault("size", len(data))
    rec = VectorsRecord(
        name=name,
        url=f"{server.url}/{file}",
        file=file,
        format=fields.pop("format", "word2vec"),
        licence="test",
        description="test vectors",
        **fields,
    )
    monkeypatch.setitem(_pretrained.registry(), name, rec)
    return rec


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ------------------------------------------------------------------------------------------ the registry
def test_registry_records_are_complete_and_checksums_are_well_formed():
    reg = _pretrained.registry()
    for name in (
        "glove-wiki-gigaword-100",
        "glove-twitter-25",
        "word2vec-google-news-300",
        "fasttext-wiki-news-subwords-300",
        "glove.6B.300d",
        "fasttext-crawl-zh-300",
        "fasttext-wiki-en-300",
        "sgns.wiki.word",
    ):
        assert name in reg
    for rec in reg.values():
        assert rec.url.startswith("https://") and rec.file and rec.licence and rec.description
        assert rec.format in ("word2vec", "word2vec-binary", "glove", "fasttext")
        assert rec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", rec.sha256)
        assert rec.md5 is None or re.fullmatch(r"[0-9a-f]{32}", rec.md5)
        assert rec.size is None or rec.size > 0
    gensim = reg["glove-wiki-gigaword-100"]  # gensim-data's published md5 and size of the release asset
    assert gensim.md5 == "40ec481866001177b8cd4cb0df92924f" and gensim.size == 134300434
    assert gensim.url.endswith("/glove-wiki-gigaword-100/glove-wiki-gigaword-100.gz")


def test_unknown_name_lists_the_names():
    with pytest.raises(UnknownNameError, match="Did you mean 'glove-wiki-gigaword-100'"):
        _pretrained.get_record("glove-wiki-gigaword-10O")


# ------------------------------------------------------------------------------- download, verify, load
def test_load_by_name_downloads_verifies_converts_then_memory_maps(server, cache, monkeypatch):
    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", gzip.compress(_word2vec_text()))
    kv = forge.load_vectors("tiny-vectors")
    assert kv.vocabulary.words == WORDS
    np.testing.assert_array_equal(kv.vectors_, MATRIX)
    assert kv.source_["kind"] == "pretrained" and kv.source_["format"] == "word2vec"
    assert kv.most_similar("king", topn=1)[0][0] in WORDS
    assert (cache / "downloads" / "tiny.txt.gz").is_file()
    assert {"vectors.npy", "words.txt", "meta.json"} <= {p.name for p in (cache / "tiny-vectors").iterdir()}
    assert len(server.requests) == 1
    again = forge.load_vectors("tiny-vectors", limit=3)  # from the converted cache: no request
    assert len(server.requests) == 1
    assert isinstance(again.vectors_, np.memmap) and not again.vectors_.flags.writeable
    assert again.vocabulary.words == WORDS[:3]
    np.testing.assert_array_equal(again["queen"], MATRIX[2])


def test_corrupted_download_is_refused_and_nothing_is_left_in_the_cache(server, cache, monkeypatch):
    good = gzip.compress(_word2vec_text())
    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", good)
    server.files["tiny.txt.gz"] = good[:-4] + b"XXXX"  # same size, other bytes
    with pytest.raises(BadInputError, match=r"does not match its checksum.*Nothing was kept"):
        forge.load_vectors("tiny-vectors")
    assert _files(cache) == []


def test_interrupted_download_resumes_with_range_on_retry(server, cache, monkeypatch):
    data = gzip.compress(_big_text())
    half = len(data) // 2
    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", data)
    server.drops["tiny.txt.gz"] = [half]
    kv = forge.load_vectors("tiny-vectors")
    assert kv.vocabulary.words == [f"w{i}" for i in range(300)]
    assert server.requests == [("tiny.txt.gz", None), ("tiny.txt.gz", f"bytes={half}-")]
    assert (cache / "downloads" / "tiny.txt.gz").read_bytes() == data


def test_download_broken_beyond_the_retries_keeps_its_part_and_the_next_call_resumes(server, cache, monkeypatch):
    data = _big_text()
    rec = _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", data)
    server.drops["tiny.txt.gz"] = [100, 200]
    with pytest.raises(MissingDataError, match=r"broke off after 300 of .* call again to resume"):
        _pretrained.fetch("tiny-vectors", retries=1)
    part = _pretrained._part_path(rec)
    assert part.stat().st_size == 300 and not (cache / "downloads" / "tiny.txt.gz").exists()
    assert _pretrained.status(rec).startswith("partial")
    path = _pretrained.fetch("tiny-vectors")
    assert server.requests[-1] == ("tiny.txt.gz", "bytes=300-")
    assert path.read_bytes() == data and not part.exists()


def test_without_a_published_checksum_the_first_download_is_pinned_with_a_warning(server, cache, monkeypatch):
    data = _word2vec_text()
    rec = _register(monkeypatch, "tiny-vectors", server, "tiny.vec", data, sha256=None, size=None)
    with pytest.warns(UnverifiedDownloadWarning, match="no published checksum"):
        forge.load_vectors("tiny-vectors")
    pins = json.loads((cache / "pins.json").read_text())
    assert pins["tiny.vec"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert pins["tiny.vec"]["size"] == len(data)
    # a later download must match the pin
    (cache / "downloads" / "tiny.vec").unlink()
    server.files["tiny.vec"] = data.replace(b"king", b"kong")
    with pytest.raises(BadInputError, match="does not match its checksum"):
        _pretrained.fetch(rec.name)


def test_published_md5_verifies_without_a_warning(server, cache, monkeypatch, recwarn):
    data = gzip.compress(_word2vec_text())
    md5 = hashlib.md5(data).hexdigest()
    _register(monkeypatch, "tiny-vectors", server, "tiny.gz", data, sha256=None, md5=md5)
    assert forge.load_vectors("tiny-vectors").vocabulary.words == WORDS
    assert not [w for w in recwarn if issubclass(w.category, UnverifiedDownloadWarning)]
    assert json.loads((cache / "pins.json").read_text())["tiny.gz"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_gensim_name_through_a_mirror_is_checked_against_gensim_data_md5(server, cache, monkeypatch):
    server.files["glove-wiki-gigaword-100.gz"] = gzip.compress(_word2vec_text())
    monkeypatch.setenv("FORGE_VECTORS_URL", server.url)
    with pytest.raises(BadInputError, match="40ec481866001177b8cd4cb0df92924f"):
        forge.load_vectors("glove-wiki-gigaword-100")
    assert server.requests[0][0] == "glove-wiki-gigaword-100.gz"
    assert _files(cache) == []


def test_zip_member_glove(server, cache, monkeypatch, tmp_path):
    glove = "".join(f"{w} {' '.join(f'{x:g}' for x in row)}\n" for w, row in zip(WORDS, MATRIX)).encode()
    archive = tmp_path / "g.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("g.4d.txt", glove)
        z.writestr("g.2d.txt", b"x 1 2\n")
    _register(monkeypatch, "tiny-glove", server, "g.zip", archive.read_bytes(), member="g.4d.txt", format="glove")
    kv = forge.load_vectors("tiny-glove")
    np.testing.assert_array_equal(kv["apple"], MATRIX[-1])
    assert not (cache / "tiny-glove" / "g.4d.txt").exists()  # the unpacked member is not kept


def test_manual_record_says_where_to_put_the_file_then_loads_it(cache, monkeypatch):
    rec = VectorsRecord(
        name="tiny-zh",
        url="https://pan.example.invalid/s/abc",
        file="tiny.bz2",
        format="word2vec",
        licence="test",
        description="test",
        manual=True,
    )
    monkeypatch.setitem(_pretrained.registry(), rec.name, rec)
    with pytest.raises(MissingDataError, match=r"share page.*put it at .*tiny\.bz2"):
        forge.load_vectors("tiny-zh")
    (cache / "downloads").mkdir(parents=True)
    (cache / "downloads" / "tiny.bz2").write_bytes(bz2.compress(_word2vec_text()))
    with pytest.warns(UnverifiedDownloadWarning):
        kv = forge.load_vectors("tiny-zh")
    assert kv.vocabulary.words == WORDS


def test_format_and_limit_are_checked_for_names(cache):
    with pytest.raises(BadInputError, match="format='glove'.*'word2vec'"):
        forge.load_vectors("glove-wiki-gigaword-100", format="glove")
    with pytest.raises(BadInputError, match="limit must be a positive integer"):
        forge.load_vectors("glove-wiki-gigaword-100", limit=0)


# -------------------------------------------------------------------------------------------------- CLI
def test_forge_list_vectors_shows_sizes_and_what_is_cached(server, cache, monkeypatch, capsys):
    from forge.cli import main

    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", gzip.compress(_word2vec_text()))
    forge.load_vectors("tiny-vectors")
    assert main(["list", "--vectors"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("tiny-vectors "))
    assert "ready" in line
    gensim = next(ln for ln in out.splitlines() if ln.startswith("glove-wiki-gigaword-100 "))
    assert "134.3 MB" in gensim and "PDDL" in gensim and gensim.split()[-3] == "-"


def test_forge_bench_encoders_label_equals_name(server, cache, monkeypatch, capsys):
    import argparse

    from forge.bench.cli import _encoders

    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", gzip.compress(_word2vec_text()))
    args = argparse.Namespace(encoders="glove=tiny-vectors,tiny-vectors", param=None)
    encs = _encoders(args)
    assert list(encs) == ["glove", "tiny-vectors"]
    assert encs["glove"].vocabulary.words == WORDS


def test_two_processes_asking_at_once_download_and_convert_once(server, cache, monkeypatch):
    # two callers (threads here: flock locks conflict between open files, even in one process) ask for the
    # same name at once; the first fetches and converts, the second waits for it and opens its conversion
    _register(monkeypatch, "tiny-vectors", server, "tiny.txt.gz", gzip.compress(_word2vec_text()))
    real_convert, calls = _pretrained._convert, []

    def slow_convert(*args, **kwargs):
        calls.append(threading.get_ident())
        time.sleep(0.5)  # the other caller arrives while this one converts
        return real_convert(*args, **kwargs)

    monkeypatch.setattr(_pretrained, "_convert", slow_convert)
    results, errors = [], []

    def load() -> None:
        try:
            results.append(forge.load_vectors("tiny-vectors"))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 2
    assert len(calls) == 1 and len(server.requests) == 1  # one conversion, one download
    for kv in results:
        np.testing.assert_array_equal(kv.vectors_, MATRIX)
    assert not list(cache.glob(".tiny-vectors.lock"))  # the lock file is removed by its holder
