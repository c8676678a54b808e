"""Chunking and the on-disk index: token limits, atomic writes, corrupt and mismatched indexes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from rag.build_index import (
    BuildConfig,
    build_from_records,
    load_records_beside_embedder,
    main,
    previous_vectors,
)
from rag.chunking import chunk_record
from rag.embedder import DEFAULT_EMBEDDER, bf16_supported, load_embedder, packaged_path
from rag.index import Index, IndexLoadError, IndexWriteError, Manifest
from rag.medquad import MedQuADError, load_records
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


def test_lists_survive_chunking(small_records):
    tok = load_embedder().tokenizer
    listed = next(r for r in small_records if "\n- " in r.answer and len(r.answer) < 600)
    (passage,) = chunk_record(listed, tok, 256)
    assert passage.text == listed.answer and any("\n- " in u for u in passage.units)


def test_chunking_in_threads_gives_each_records_own_passages(small_records, monkeypatch):
    import rag.chunking

    tok = load_embedder().tokenizer
    records = small_records[:60]
    alone = [p for r in records for p in chunk_record(r, tok, 128)]
    monkeypatch.setattr(rag.chunking, "_PER_THREAD", 16)  # every batch split across threads
    together = rag.chunking.chunk_records(records, tok, 128, progress=False)
    assert together == alone and len(together) > len(records)
    # A tokenizer's own padding (the embedder's pads to 128 tokens until used) inflates no count.
    from transformers import AutoTokenizer

    padding = AutoTokenizer.from_pretrained(str(packaged_path("all-MiniLM-L6-v2")))
    padding.backend_tokenizer.enable_padding(length=128)
    assert rag.chunking._lengths(padding, ["asthma"] * 40) == [1] * 40


def test_medquad_read_in_a_forked_process_matches(tmp_path):
    from tests.rag.test_medquad import write_corpus

    folder = write_corpus(tmp_path / "medquad")
    # A fresh interpreter has one thread, so it forks (pytest's process may not).
    script = (
        "import sys; from rag.build_index import BuildConfig, load_records_beside_embedder as f;"
        "from rag.embedder import load_embedder;"
        f"records, report = f(BuildConfig(source={str(folder)!r}));"
        "print([r.id for r in records], report.malformed_files, load_embedder.cache_info().currsize)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    records, report = load_records(folder)
    assert run.stdout.strip() == f"{[r.id for r in records]} {report.malformed_files} 1"
    assert load_records_beside_embedder(BuildConfig(source=str(folder)))[0] == records
    with pytest.raises(MedQuADError, match="not found"):
        load_records_beside_embedder(BuildConfig(source=str(tmp_path / "nope")))


def test_manifest_and_files(small_index, small_records):
    m = Manifest.read(small_index)
    assert m.embedder == "sentence-transformers/all-MiniLM-L6-v2"
    assert m.dimension == 384 and m.records == len(small_records) and m.faiss == "hnsw"
    lines = (small_index / "passages.jsonl").read_text().splitlines()
    assert len(lines) == m.passages
    assert m.questions >= m.records  # every record's own question, plus lay-name variants
    assert not list(small_index.parent.glob(".small.tmp-*"))


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexLoadError, match=r"python -m rag\.build_index"):
        Index.open(tmp_path / "nothing")


def broken_copy(small_index, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_index, broken)
    return broken


def test_corrupt_vectors_fail_clearly(small_index, tmp_path):
    broken = broken_copy(small_index, tmp_path)
    (broken / "vectors.faiss").write_bytes(b"not faiss")
    with pytest.raises(IndexLoadError, match="corrupt FAISS"):
        Index.open(broken)


def test_corrupt_manifest_fails_clearly(small_index, tmp_path):
    broken = broken_copy(small_index, tmp_path)
    (broken / "manifest.json").write_text("{")
    with pytest.raises(IndexLoadError, match="corrupt index manifest"):
        Index.open(broken)


def test_old_format_says_rebuild_in_one_line(small_index, tmp_path):
    broken = broken_copy(small_index, tmp_path)
    manifest = json.loads((broken / "manifest.json").read_text())
    (broken / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    with pytest.raises(IndexLoadError, match=r"rebuild it with python -m rag\.build_index") as err:
        Index.open(broken)
    assert "\n" not in str(err.value)


def test_index_without_passages_fails_clearly(small_index, tmp_path):
    broken = broken_copy(small_index, tmp_path)
    (broken / "passages.jsonl").write_text("")
    with pytest.raises(IndexLoadError, match="no passages"):
        Index.open(broken)


def test_other_embedder_is_refused(small_index):
    with pytest.raises(IndexLoadError, match="built with embedder"):
        Retriever(Index.open(small_index), embedder="sentence-transformers/all-mpnet-base-v2")


def test_a_folder_that_is_not_an_index_is_never_replaced(small_records, tmp_path, capsys):
    notes = tmp_path / "mine"
    notes.mkdir()
    (notes / "notes.txt").write_text("precious")
    with pytest.raises(IndexWriteError, match="not a MedGround index"):
        build_from_records(small_records[:3], BuildConfig(out=notes))
    assert main(["--out", str(notes), "--limit", "3"]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert [p.name for p in notes.iterdir()] == ["notes.txt"]
    assert (notes / "notes.txt").read_text() == "precious"


def test_rebuild_replaces_an_index_and_reuses_its_vectors(small_records, tmp_path, capsys):
    out = tmp_path / "idx"
    build_from_records(small_records[:20], BuildConfig(out=out))
    capsys.readouterr()
    build_from_records(small_records[:25], BuildConfig(out=out))
    assert Manifest.read(out).records == 25
    embedded, total = map(
        int, re.search(r"Embedding (\d+) of (\d+) passages", capsys.readouterr().err).groups()
    )
    assert 0 < embedded < total  # only the five new records' passages
    assert len(Index.open(out).passages) == total


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


def test_int8_index_embeds_its_queries_the_same_way(small_records, tmp_path):
    import torch

    out = tmp_path / "int8"
    build_from_records(small_records[:10], BuildConfig(out=out, int8=True))
    retriever = Retriever(Index.open(out))
    assert Manifest.read(out).int8
    linear = [m for m in retriever.model.modules() if type(m) is torch.nn.Linear]
    assert not linear  # every linear layer of the query embedder is the quantized kind
    text, stored = retriever.passages[0].embedding_text(), retriever.index.vectors[0]
    int8 = float((retriever.embed([text]) @ stored)[0])
    fp32 = float(
        load_embedder(DEFAULT_EMBEDDER).encode([text], normalize_embeddings=True)[0] @ stored
    )
    assert int8 > fp32 and int8 > 0.95  # the queries are embedded by the passages' model
    # A later full-precision build does not reuse the int8 vectors.
    assert previous_vectors(out, DEFAULT_EMBEDDER, int8=False) == {}


@pytest.mark.skipif(not bf16_supported(), reason="this CPU has no native bfloat16 products")
def test_bf16_build_gives_the_fp32_vectors_within_rounding(small_records, tmp_path):
    import numpy as np

    vectors = {}
    for bf16 in (False, True):
        out = tmp_path / str(bf16)
        build_from_records(small_records[:8], BuildConfig(out=out, bf16=bf16, openvino=False))
        vectors[bf16] = Index.open(out).vectors
    assert not np.array_equal(vectors[True], vectors[False])  # bfloat16 was used
    assert (vectors[True] * vectors[False]).sum(axis=1).min() > 0.999


def test_openvino_build_gives_sentence_transformers_vectors(small_records, tmp_path):
    pytest.importorskip("openvino")
    indexes = {}
    for openvino in (False, True):
        out = tmp_path / str(openvino)
        summary = build_from_records(
            small_records[:8], BuildConfig(out=out, openvino=openvino, bf16=False)
        )
        assert summary.embedded_by == (
            "OpenVINO, fp32" if openvino else "sentence-transformers, fp32"
        )
        indexes[openvino] = Index.open(out)
    assert indexes[True].passages == indexes[False].passages
    cosines = (indexes[True].vectors * indexes[False].vectors).sum(axis=1)
    assert cosines.min() > 0.99999
    # The questions too: their index holds the same vectors, each near its fp32 twin.
    count = indexes[True].question_faiss.ntotal
    assert count == indexes[False].question_faiss.ntotal
    questions = [ix.question_faiss.reconstruct_n(0, count) for ix in indexes.values()]
    assert (questions[0] * questions[1]).sum(axis=1).min() > 0.99999


def test_build_summary_says_where_the_time_went(small_records, tmp_path):
    summary = build_from_records(small_records[:5], BuildConfig(out=tmp_path / "idx"))
    stages = summary.stage_seconds
    assert {"chunking", "passages", "questions"} <= set(stages)
    assert sum(stages.values()) <= summary.seconds + 0.5
    assert "chunking" in summary.line() and "passages/s" in summary.line()


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_agree_with_exact_search(small_records, tmp_path, kind):
    out = tmp_path / kind
    build_from_records(small_records[:120], BuildConfig(out=out, faiss=kind))
    approx = Retriever(Index.open(out))
    assert json.loads((out / "manifest.json").read_text())["faiss"] == kind
    queries = ["symptoms of glaucoma", "asthma treatment", "what causes gout", "stroke signs"]
    q = approx.embed(queries)
    exact = (q @ approx.index.vectors.T).argmax(axis=1)
    _, found = approx.index.faiss.search(q, 1)
    assert (found[:, 0] == exact).mean() >= 0.75


def test_cli_bad_source_is_one_line(tmp_path, capsys):
    assert main(["--source", str(tmp_path / "nope"), "--out", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: MedQuAD source not found") and "\n" not in err
    assert not (tmp_path / "i").exists()


def test_bm25_build_prints_no_debug_lines(small_records, caplog):
    import logging

    from rag.index import BM25

    caplog.set_level(logging.DEBUG)
    BM25.build(chunk_record(small_records[0], load_embedder().tokenizer, 128))
    assert not [r for r in caplog.records if r.name.startswith("bm25s")]


def test_bm25_search_is_bm25s_top_n_best_first(small_records):
    """The top n taken among passages that hold a query word is bm25s's own top n over every
    passage (scores above zero, best first), and a query matching fewer than n passages, or
    no known word at all, is padded at score zero."""
    from rag.index import BM25

    passages = [p for r in small_records for p in chunk_record(r, load_embedder().tokenizer, 128)]
    bm25 = BM25.build(passages)
    queries = ["what causes it and how is it treated", "symptoms of the disease"]
    n = 10
    ids, scores = bm25.search([*queries, "zzzqx"], n)
    assert ids.shape == scores.shape == (3, n)
    for row, query in enumerate(queries):
        stems = bm25.tokenizer.tokenize([query], update_vocab=False, return_as="tuple")
        every = bm25.bm25.get_scores([bm25._stems[i] for i in stems.ids[0]])
        expected = sorted((s for s in every if s > 0), reverse=True)[:n]
        assert expected and list(scores[row][: len(expected)]) == pytest.approx(expected)
        assert not scores[row][len(expected) :].any()
        assert every[ids[row][: len(expected)]] == pytest.approx(expected)
    assert not scores[2].any()
