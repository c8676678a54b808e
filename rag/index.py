"""The on-disk index, owned here alone: its layout, writing it atomically, opening and checking it.

Layout of an index folder::

    manifest.json      format version, embedder, counts, corpus fingerprint, FAISS type
    passages.jsonl     one Passage per line; line i is vector i
    vectors.faiss      L2-normalised passage embeddings (inner product = cosine similarity);
                       absent from a quick index (built in a minute or two for a first start)
    bm25/              the bm25s lexical index over the same passages
    questions.jsonl    MedQuAD's questions (and lay-name variants): record id and text per line
    questions.faiss    their embeddings, for matching a user's question to MedQuAD's own

A write goes to a temporary sibling folder that is renamed into place, so an interrupted build
never leaves a half index and the previous one stays usable until the new one is whole. Only a
folder that is empty, missing, or a MedGround index is ever replaced.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.passage import Passage

FORMAT_VERSION = 2  # 2: passages keep lists and paragraphs; MedQuAD questions indexed
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"
QUESTIONS = "questions.jsonl"
QUESTION_VECTORS = "questions.faiss"
FAISS_KINDS = ("flat", "hnsw", "ivf")


class IndexLoadError(RuntimeError):
    """An index that is missing, corrupt, or built for something else."""


class IndexWriteError(RuntimeError):
    """A destination that must not be overwritten."""


def default_index_dir() -> Path:
    return Path(
        os.environ.get(
            "MEDGROUND_INDEX", Path(__file__).resolve().parent.parent / "index" / "medquad"
        )
    )


@dataclass
class Manifest:
    format_version: int  # bumped when the folder layout or passage text changes
    embedder: str  # sentence-transformers name the vectors were made with
    dimension: int  # vector size
    max_tokens: int  # passage budget in embedder tokens, title included
    faiss: str  # "flat" (exact), "hnsw" or "ivf" (approximate): passages and questions alike
    records: int  # answered records indexed
    passages: int  # passages (= passage vectors)
    questions: int  # question texts (= question vectors)
    corpus_fingerprint: str  # hash of record ids and answers
    source: str  # where the corpus was read from
    created: str  # UTC build time
    build_seconds: float  # wall time of the build
    kind: str = "full"  # "full", or "quick": no passage vectors, own questions only
    int8: bool = False  # vectors made by the embedder with int8 linear layers (and queries too)

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
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IndexLoadError(f"corrupt index manifest {path}: {exc}") from exc
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise IndexLoadError(
                f"the index at {folder} has format {version}, this version of MedGround reads "
                f"{FORMAT_VERSION}: rebuild it with python -m rag.build_index --out {folder}"
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise IndexLoadError(f"corrupt index manifest {path}: {exc}") from exc


def is_index(folder: Path) -> bool:
    """A folder MedGround wrote (any format version): the only kind it may replace."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"format_version", "corpus_fingerprint"} <= set(data)


def check_writable(out: Path) -> None:
    """Refuse, before any work, to replace a folder that holds anything but an index."""
    if out.exists() and not out.is_dir():
        raise IndexWriteError(f"{out} is a file, not an index folder")
    if out.is_dir() and any(out.iterdir()) and not is_index(out):
        raise IndexWriteError(
            f"{out} is not empty and is not a MedGround index; refusing to replace it "
            "(choose an empty or new folder)"
        )


class BM25:
    """A bm25s index (English stop words, Snowball stemming) with its tokenizer's vocabulary."""

    def __init__(self, bm25, tokenizer) -> None:
        self.bm25 = bm25
        self.tokenizer = tokenizer
        # Token id -> stem, made once: bm25s rebuilds this for every query when asked for
        # strings (5 ms a search over MedQuAD's vocabulary).
        self._stems = {i: stem for stem, i in tokenizer.get_vocab_dict().items()}

    @staticmethod
    def document(p: Passage) -> str:
        """What BM25 sees: title, synonyms (lay and alternative names) and the passage."""
        return " ".join([p.title, *p.synonyms, p.text])

    @classmethod
    def build(cls, passages: list[Passage]) -> BM25:
        import bm25s
        import Stemmer

        # bm25s sets its own logger to DEBUG, which printed "DEBUG: Building index from IDs
        # objects" in every build's output
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        tokenizer = bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
        tokens = tokenizer.tokenize(
            [cls.document(p) for p in passages], return_as="tuple", show_progress=False
        )
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(bm25, tokenizer)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder))
        self.tokenizer.save_vocab(str(folder))
        self.tokenizer.save_stopwords(str(folder))

    @classmethod
    def load(cls, folder: Path) -> BM25:
        import bm25s
        import Stemmer

        tokenizer = bm25s.tokenization.Tokenizer(stemmer=Stemmer.Stemmer("english"))
        tokenizer.load_vocab(str(folder))
        tokenizer.load_stopwords(str(folder))
        return cls(bm25s.BM25.load(str(folder)), tokenizer)

    def document_frequency(self, stem: str) -> float:
        """Share of passages that contain a (Snowball-stemmed) word; 0 for unknown words."""
        token = self.bm25.vocab_dict.get(stem)
        if token is None:
            return 0.0
        indptr = self.bm25.scores["indptr"]
        return float(indptr[token + 1] - indptr[token]) / self.bm25.scores["num_docs"]

    def documents_with(self, stems: set[str]) -> np.ndarray:
        """Ids of the passages that contain every one of these stems (none for an unknown one)."""
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        found: np.ndarray | None = None
        for stem in stems:
            token = self.bm25.vocab_dict.get(stem)
            if token is None:
                return np.zeros(0, np.int64)
            docs = indices[indptr[token] : indptr[token + 1]]
            found = docs if found is None else np.intersect1d(found, docs, assume_unique=True)
        return found if found is not None else np.zeros(0, np.int64)

    def search(self, queries: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the n best documents per query, best first; unknown words score zero,
        and a query matching fewer than n documents is padded with id 0 at score 0."""
        ids = self.tokenizer.tokenize(
            queries, update_vocab=False, return_as="ids", show_progress=False
        )
        n = min(n, self.bm25.scores["num_docs"])
        found_ids = np.zeros((len(ids), n), np.int64)
        found_scores = np.zeros((len(ids), n), np.float32)
        for row, query in enumerate(ids):
            tokens = [self._stems[i] for i in query]
            if not tokens:
                continue
            scores = self.bm25.get_scores(tokens)
            # Only passages holding a query word score above zero, usually a few thousand of
            # 50k: the top n is taken among them (bm25s partitions all 50k, ~1.5 ms a text),
            # equal scores in passage order.
            found = np.flatnonzero(scores)
            if len(found) > n:
                nth = np.partition(scores[found], len(found) - n)[len(found) - n]
                found = found[scores[found] >= nth]
            found = found[np.argsort(-scores[found], kind="stable")[:n]]
            found_ids[row, : len(found)] = found
            found_scores[row, : len(found)] = scores[found]
        return found_ids, found_scores


def make_faiss_index(vectors: np.ndarray, kind: str = "hnsw"):
    """HNSW by default: a search of 50k passages takes under a millisecond instead of about
    8 ms for the exact ("flat") scan, and its 100 candidates are fused and re-scored exactly
    (``bench/retrieval.py`` compares the two on dev). IVF for corpora of millions."""
    import faiss

    n, dim = vectors.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        # 40 (faiss's default), not the 80 used before: both graphs built in 5.5 s instead of
        # 8.5 s, the same dev retrieval, and more of exact search's candidates found at
        # efSearch 128 (0.960 vs 0.950; python bench/retrieval.py on each)
        index.hnsw.efConstruction = 40
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


@dataclass(frozen=True)
class Question:
    """A question text that stands for one record (MedQuAD's own, or a lay-name variant)."""

    record_id: str
    text: str


@dataclass
class Index:
    """An opened index: passages with their vectors and BM25, and MedQuAD's questions."""

    folder: Path
    manifest: Manifest
    passages: list[Passage]
    faiss: object | None  # FAISS index over passage vectors (None in a quick index)
    vectors: np.ndarray | None  # the same vectors in memory, so every hit gets a cosine
    bm25: BM25
    questions: list[Question]
    question_faiss: object  # FAISS index over question vectors

    @classmethod
    def open(cls, folder: str | Path) -> Index:
        folder = Path(folder)
        manifest = Manifest.read(folder)
        passages = _read_jsonl(folder / PASSAGES, Passage.from_dict)
        questions = _read_jsonl(folder / QUESTIONS, lambda row: Question(**row))
        if not passages:
            raise IndexLoadError(f"the index at {folder} has no passages; rebuild it")
        quick = manifest.kind == "quick"
        faiss_index = (
            None if quick else _read_faiss(folder / VECTORS, len(passages), manifest.dimension)
        )
        question_faiss = _read_faiss(folder / QUESTION_VECTORS, len(questions), manifest.dimension)
        try:
            bm25 = BM25.load(folder / BM25_DIR)
        except Exception as exc:  # bm25s raises many kinds of errors on damaged files
            raise IndexLoadError(f"corrupt BM25 index in {folder}: {exc}") from exc
        return cls(
            folder=folder,
            manifest=manifest,
            passages=passages,
            faiss=faiss_index,
            vectors=None if quick else _all_vectors(faiss_index),
            bm25=bm25,
            questions=questions,
            question_faiss=question_faiss,
        )

    @staticmethod
    def write(
        out: Path,
        manifest: Manifest,
        passages: list[Passage],
        vectors: np.ndarray | None,
        bm25: BM25,
        questions: list[Question],
        question_vectors: np.ndarray,
    ) -> None:
        """Write every part into a temporary folder beside ``out``, then swap it into place."""
        import faiss

        out = out.resolve()
        check_writable(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            if vectors is not None:
                faiss.write_index(make_faiss_index(vectors, manifest.faiss), str(tmp / VECTORS))
            faiss.write_index(
                make_faiss_index(question_vectors, manifest.faiss), str(tmp / QUESTION_VECTORS)
            )
            _write_jsonl(tmp / PASSAGES, [p.to_dict() for p in passages])
            _write_jsonl(tmp / QUESTIONS, [asdict(q) for q in questions])
            bm25.save(tmp / BM25_DIR)
            (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
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

    @property
    def quick(self) -> bool:
        return self.manifest.kind == "quick"


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path, make):
    try:
        with open(path, encoding="utf-8") as f:
            return [make(json.loads(line)) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError, TypeError, KeyError) as exc:
        raise IndexLoadError(f"corrupt or missing {path.name} in {path.parent}: {exc}") from exc


def _read_faiss(path: Path, expected: int, dimension: int):
    import faiss

    if not path.exists():
        raise IndexLoadError(f"the index at {path.parent} is missing {path.name}; rebuild it")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexLoadError(f"corrupt FAISS file {path}: {str(exc).splitlines()[0]}") from exc
    if index.ntotal != expected or index.d != dimension:
        raise IndexLoadError(
            f"the index at {path.parent} is inconsistent: {path.name} holds {index.ntotal} "
            f"vectors of size {index.d} for {expected} entries of size {dimension}"
        )
    return index


def _all_vectors(index) -> np.ndarray:
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    return index.reconstruct_n(0, index.ntotal)
