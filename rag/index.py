"""The on-disk index: FAISS vectors, BM25, passage metadata and a manifest, written atomically.

Layout of an index folder::

    manifest.json    format version, embedder, dimension, counts, corpus fingerprint, FAISS type
    passages.jsonl   one passage per line (id, record_id, title, text, url, source, qtype, ...)
    vectors.faiss    L2-normalised passage embeddings (inner product = cosine similarity)
    bm25/            the bm25s lexical index over the same passages

A build writes into a temporary sibling folder and renames it into place, so an interrupted
build never leaves a half index, and a previous index stays usable until the new one is whole.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.chunking import Passage

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"
FAISS_KINDS = ("flat", "hnsw", "ivf")


class IndexLoadError(RuntimeError):
    """An index that is missing, corrupt, or built for something else."""


@dataclass
class Manifest:
    format_version: int  # bumped when the folder layout changes
    embedder: str  # sentence-transformers name the vectors were made with
    dimension: int  # vector size
    max_tokens: int  # passage budget in embedder tokens, title included
    faiss: str  # "flat" (exact), "hnsw" or "ivf" (approximate)
    records: int  # answered records indexed
    passages: int  # passages (= vectors)
    corpus_fingerprint: str  # hash of record ids and answers
    source: str  # where the corpus was read from
    created: str  # UTC build time
    build_seconds: float  # wall time of the build

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.exists():
            raise IndexLoadError(
                f"no index at {folder} (missing {MANIFEST}); build one with: "
                f"python -m rag.build_index --out {folder}"
            )
        try:
            data = json.loads(path.read_text())
            manifest = cls(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise IndexLoadError(f"corrupt index manifest {path}: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexLoadError(
                f"index at {folder} has format {manifest.format_version}, this version reads "
                f"{FORMAT_VERSION}; rebuild it with python -m rag.build_index --out {folder}"
            )
        return manifest


def make_faiss_index(vectors: np.ndarray, kind: str = "flat"):
    """Exact inner-product search by default; HNSW or IVF for corpora of millions of passages."""
    import faiss

    n, dim = vectors.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    elif kind == "ivf":
        nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))  # faiss wants >= 39 points a list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(nlist, 16)
    else:
        raise ValueError(f"unknown FAISS index kind {kind!r}; choose one of {FAISS_KINDS}")
    index.add(vectors)
    return index


def write_index(
    out: Path,
    manifest: Manifest,
    passages: list[Passage],
    vectors: np.ndarray,
    bm25,
) -> None:
    """Write every part into a temporary folder beside ``out``, then swap it into place."""
    import faiss

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        faiss.write_index(make_faiss_index(vectors, manifest.faiss), str(tmp / VECTORS))
        with open(tmp / PASSAGES, "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        bm25.save(str(tmp / BM25_DIR))
        (tmp / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{int(time.time())}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_passages(folder: Path) -> list[Passage]:
    path = folder / PASSAGES
    try:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        return [Passage(**{**row, "synonyms": tuple(row.get("synonyms", ()))}) for row in rows]
    except (OSError, json.JSONDecodeError, TypeError) as exc:
        raise IndexLoadError(f"corrupt or missing passages in {folder}: {exc}") from exc


def read_faiss(folder: Path, expected: int):
    import faiss

    path = folder / VECTORS
    if not path.exists():
        raise IndexLoadError(f"index at {folder} is missing {VECTORS}; rebuild it")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexLoadError(f"corrupt FAISS file {path}: {str(exc).splitlines()[0]}") from exc
    if index.ntotal != expected:
        raise IndexLoadError(
            f"index at {folder} is inconsistent: {index.ntotal} vectors for {expected} passages"
        )
    return index
