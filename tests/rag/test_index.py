"""Chunking and the on-disk index: token limits, atomic writes, corrupt and mismatched indexes."""

from __future__ import annotations

import json
import shutil

import pytest

from rag.build_index import BuildConfig, build_from_records, main
from rag.chunking import chunk_record, split_sentences
from rag.embedder import load_embedder
from rag.index import IndexLoadError, Manifest
from rag.retriever import Retriever


def test_passages_fit_the_embedder(small_records):
    model = load_embedder()
    tok = model.tokenizer
    longest = max(small_records, key=lambda r: len(r.answer))
    passages = chunk_record(longest, tok, model.max_seq_length)
    assert len(passages) > 1
    for p in passages:
        n = len(tok(p.embedding_text())["input_ids"])
        assert n <= model.max_seq_length
        assert p.title.startswith(longest.focus)
    # Every word of the answer survives chunking, in order.
    assert " ".join(p.text for p in passages).split() == longest.answer.split()


def test_sentence_split_keeps_abbreviations_together():
    assert split_sentences("Take it e.g. daily. Then stop.\n\nNew part") == [
        "Take it e.g. daily.",
        "Then stop.",
        "New part",
    ]


def test_manifest_and_files(small_index, small_records):
    m = Manifest.read(small_index)
    assert m.embedder == "sentence-transformers/all-MiniLM-L6-v2"
    assert m.dimension == 384 and m.records == len(small_records) and m.faiss == "flat"
    lines = (small_index / "passages.jsonl").read_text().splitlines()
    assert len(lines) == m.passages
    assert not list(small_index.parent.glob(".small.tmp-*"))


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexLoadError, match=r"python -m rag\.build_index"):
        Retriever(tmp_path / "nothing")


def test_corrupt_vectors_fail_clearly(small_index, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_index, broken)
    (broken / "vectors.faiss").write_bytes(b"not faiss")
    with pytest.raises(IndexLoadError, match="corrupt FAISS"):
        Retriever(broken)


def test_corrupt_manifest_fails_clearly(small_index, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_index, broken)
    (broken / "manifest.json").write_text("{")
    with pytest.raises(IndexLoadError, match="corrupt index manifest"):
        Retriever(broken)


def test_other_embedder_is_refused(small_index):
    with pytest.raises(IndexLoadError, match="built with embedder"):
        Retriever(small_index, embedder="sentence-transformers/all-mpnet-base-v2")


def test_interrupted_build_keeps_previous_index(small_records, small_index, tmp_path, monkeypatch):
    out = tmp_path / "idx"
    shutil.copytree(small_index, out)
    before = (out / "manifest.json").read_text()

    import rag.index

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rag.index, "make_faiss_index", explode)
    with pytest.raises(KeyboardInterrupt):
        build_from_records(small_records[:5], BuildConfig(out=out))
    assert (out / "manifest.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_agree_with_exact_search(small_records, tmp_path, kind):
    out = tmp_path / kind
    build_from_records(small_records[:120], BuildConfig(out=out, faiss=kind))
    approx = Retriever(out)
    assert json.loads((out / "manifest.json").read_text())["faiss"] == kind
    queries = ["symptoms of glaucoma", "asthma treatment", "what causes gout", "stroke signs"]
    q = approx.embed(queries)
    exact = (q @ approx.vectors.T).argmax(axis=1)
    _, found = approx.faiss.search(q, 1)
    assert (found[:, 0] == exact).mean() >= 0.75


def test_cli_bad_source_is_one_line(tmp_path, capsys):
    assert main(["--source", str(tmp_path / "nope"), "--out", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: MedQuAD source not found") and "\n" not in err
    assert not (tmp_path / "i").exists()
