"""Retrieval: dense (FAISS), lexical (BM25) and their fusion, deduplicated per record.

A :class:`Retriever` opens an index folder once and answers ``search(question, k)`` with
:class:`Hit`s: the best passage of each of the top records, its score, its cosine similarity to
the question (a calibrated signal for "the sources do not cover this") and its source.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.chunking import Passage
from rag.embedder import canonical_name, load_embedder
from rag.index import BM25_DIR, IndexLoadError, Manifest, read_faiss, read_passages

MODES = ("dense", "bm25", "hybrid")


@dataclass
class RetrievalConfig:
    # "dense", "bm25" or "hybrid" (reciprocal-rank fusion). Dense is the default because fusion
    # lowered hit@1 on the consumer query set at every BM25 weight tried (rag.evaluate).
    mode: str = "dense"
    candidates: int = 50  # passages taken from each retriever before fusion and dedup
    rrf_k: float = 60.0  # reciprocal-rank-fusion constant: larger flattens the rank weights
    dense_weight: float = 1.0  # weight of the dense ranking in the fusion
    bm25_weight: float = 0.5  # weight of the BM25 ranking in the fusion


@dataclass
class Hit:
    """One retrieved record, represented by its best-matching passage."""

    record_id: str
    passage_id: str
    score: float  # ranking score of the chosen mode (fused, cosine or BM25)
    similarity: float  # cosine similarity of question and passage, in [-1, 1]
    title: str
    text: str
    question: str
    qtype: str
    focus: str
    url: str
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


def bm25_document(p: Passage) -> str:
    """What BM25 sees: title, synonyms (lay and alternative names) and the passage."""
    return " ".join([p.title, *p.synonyms, p.text])


def make_bm25(passages: list[Passage]):
    """Index passages with bm25s (English stop words, Snowball stemming)."""
    import bm25s
    import Stemmer

    tokenizer = bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
    tokens = tokenizer.tokenize(
        [bm25_document(p) for p in passages], return_as="tuple", show_progress=False
    )
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    return _BM25(bm25, tokenizer)


class _BM25:
    """A bm25s index with the tokenizer whose vocabulary it was built with."""

    def __init__(self, bm25, tokenizer) -> None:
        self.bm25 = bm25
        self.tokenizer = tokenizer

    def save(self, folder: str) -> None:
        self.bm25.save(folder)
        self.tokenizer.save_vocab(folder)
        self.tokenizer.save_stopwords(folder)

    @classmethod
    def load(cls, folder: str) -> _BM25:
        import bm25s
        import Stemmer

        tokenizer = bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"))
        tokenizer.load_vocab(folder)
        tokenizer.load_stopwords(folder)
        return cls(bm25s.BM25.load(folder), tokenizer)

    def search(self, queries: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        # Words the index never saw come back as "" and score zero, rather than raising.
        tokens = self.tokenizer.tokenize(
            queries, update_vocab=False, return_as="string", show_progress=False
        )
        tokens = [t or [""] for t in tokens]
        n = min(n, self.bm25.scores["num_docs"])
        docs, scores = self.bm25.retrieve(tokens, k=n, show_progress=False)
        return docs, scores


class Retriever:
    """Search one index folder; load once, query many times (thread-safe for reads)."""

    def __init__(
        self,
        index_dir: str | Path,
        embedder: str | None = None,
        config: RetrievalConfig | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.manifest = Manifest.read(self.index_dir)
        if embedder is not None and canonical_name(embedder) != canonical_name(
            self.manifest.embedder
        ):
            raise IndexLoadError(
                f"index at {self.index_dir} was built with embedder {self.manifest.embedder}, "
                f"not {embedder}; rebuild it with --embedder {embedder} or drop --embedder"
            )
        self.config = config or RetrievalConfig()
        self.passages = read_passages(self.index_dir)
        self.faiss = read_faiss(self.index_dir, expected=len(self.passages))
        if self.faiss.d != self.manifest.dimension:
            raise IndexLoadError(f"index at {self.index_dir}: vector size != manifest dimension")
        self.vectors = self._all_vectors()
        try:
            self.bm25 = _BM25.load(str(self.index_dir / BM25_DIR))
        except Exception as exc:  # bm25s raises many kinds of errors on damaged files
            raise IndexLoadError(f"corrupt BM25 index in {self.index_dir}: {exc}") from exc
        self.model = load_embedder(self.manifest.embedder)
        if self.model.get_embedding_dimension() != self.manifest.dimension:
            raise IndexLoadError(
                f"embedder {self.manifest.embedder} gives vectors of another size than the index"
            )

    def _all_vectors(self) -> np.ndarray:
        """All vectors in memory, so every hit gets a cosine similarity, BM25-only ones too."""
        import faiss

        index = self.faiss
        if isinstance(index, faiss.IndexIVF):
            index.make_direct_map()
        return index.reconstruct_n(0, index.ntotal)

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) > 1000,
        ).astype(np.float32)

    def search(self, query: str, k: int = 5, mode: str | None = None) -> list[Hit]:
        return self.search_many([query], k=k, mode=mode)[0]

    def search_many(
        self, queries: list[str], k: int = 5, mode: str | None = None
    ) -> list[list[Hit]]:
        """Top-k records per query; the candidate pool widens until k distinct records appear
        (one long answer can fill many candidate slots)."""
        mode = mode or self.config.mode
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of {MODES}")
        total = len(self.passages)
        n = min(max(self.config.candidates, 4 * k), total)
        q = self.embed(queries)
        results = self._search(queries, q, k, mode, n)
        short = [i for i, hits in enumerate(results) if len(hits) < k]
        while short and n < total:
            n = min(4 * n, total)
            redo = self._search([queries[i] for i in short], q[short], k, mode, n)
            for i, hits in zip(short, redo, strict=True):
                results[i] = hits
            short = [i for i, hits in zip(short, redo, strict=True) if len(hits) < k]
        return results

    def _search(
        self, queries: list[str], q: np.ndarray, k: int, mode: str, n: int
    ) -> list[list[Hit]]:
        if mode != "bm25":
            dense_scores, dense_ids = self.faiss.search(q, n)
        if mode != "dense":
            bm25_ids, bm25_scores = self.bm25.search(queries, n)
        results = []
        for i in range(len(queries)):
            if mode == "dense":
                ranked = list(zip(dense_ids[i].tolist(), dense_scores[i].tolist(), strict=True))
            elif mode == "bm25":
                ranked = list(zip(bm25_ids[i].tolist(), bm25_scores[i].tolist(), strict=True))
            else:
                ranked = self._fuse(dense_ids[i], bm25_ids[i], bm25_scores[i])
            results.append(self._hits(ranked, q[i], k))
        return results

    def _fuse(self, dense_ids: np.ndarray, bm25_ids: np.ndarray, bm25_scores: np.ndarray):
        c = self.config
        fused: dict[int, float] = {}
        for rank, pid in enumerate(dense_ids.tolist()):
            if pid >= 0:
                fused[pid] = fused.get(pid, 0.0) + c.dense_weight / (c.rrf_k + rank + 1)
        for rank, (pid, score) in enumerate(
            zip(bm25_ids.tolist(), bm25_scores.tolist(), strict=True)
        ):
            if score > 0:  # a zero BM25 score means no query word matched at all
                fused[pid] = fused.get(pid, 0.0) + c.bm25_weight / (c.rrf_k + rank + 1)
        return sorted(fused.items(), key=lambda item: -item[1])

    def _hits(self, ranked: list[tuple[int, float]], q: np.ndarray, k: int) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[str] = set()
        for pid, score in ranked:
            if pid < 0:
                continue
            p = self.passages[pid]
            if p.record_id in seen:
                continue
            seen.add(p.record_id)
            hits.append(
                Hit(
                    record_id=p.record_id,
                    passage_id=p.id,
                    score=float(score),
                    similarity=float(self.vectors[pid] @ q),
                    title=p.title,
                    text=p.text,
                    question=p.question,
                    qtype=p.qtype,
                    focus=p.focus,
                    url=p.url,
                    source=p.source,
                )
            )
            if len(hits) == k:
                break
        return hits


def default_index_dir() -> Path:
    return Path(
        os.environ.get(
            "MEDGROUND_INDEX", Path(__file__).resolve().parent.parent / "index" / "medquad"
        )
    )
