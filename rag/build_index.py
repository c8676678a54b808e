"""Build a searchable index from MedQuAD: ``python -m rag.build_index --help``.

MedQuAD (folder, zip or URL) -> records -> passages -> embeddings -> FAISS + BM25, written
atomically to ``--out`` with a manifest, and a closing summary of what was built and skipped.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rag.chunking import chunk_records
from rag.embedder import DEFAULT_EMBEDDER, canonical_name, load_embedder
from rag.index import FAISS_KINDS, FORMAT_VERSION, IndexLoadError, Manifest, write_index
from rag.medquad import LoadReport, MedQuADError, Record, corpus_fingerprint, load_records
from rag.retriever import default_index_dir, make_bm25


@dataclass
class BuildConfig:
    source: str | None = None  # MedQuAD folder, zip or URL; None = ../shared copy, else upstream
    out: Path = field(default_factory=default_index_dir)  # index folder to (re)write
    embedder: str = DEFAULT_EMBEDDER  # sentence-transformers model name or path
    max_tokens: int = (
        128  # passage budget in embedder tokens, title included (MiniLM trained at 128)
    )
    faiss: str = "flat"  # "flat" (exact), "hnsw" or "ivf" (approximate, for millions)
    batch_size: int = 32  # passages embedded per forward pass (larger is slower on 2 cores)
    limit: int = 0  # index only the first N records (0 = all); for quick experiments


@dataclass
class BuildSummary:
    records: int
    passages: int
    skipped_empty: int
    skipped_duplicates: int
    malformed_files: int
    seconds: float
    passages_per_second: float  # embedding throughput
    out: str

    def line(self) -> str:
        return (
            f"Built {self.out}: {self.records} records, {self.passages} passages; skipped "
            f"{self.skipped_empty} empty answers, {self.skipped_duplicates} duplicates, "
            f"{self.malformed_files} malformed files; {self.seconds:.0f} s "
            f"({self.passages_per_second:.0f} passages/s embedded)"
        )


def build_from_records(
    records: list[Record], cfg: BuildConfig, report: LoadReport | None = None, source: str = ""
) -> BuildSummary:
    start = time.perf_counter()
    model = load_embedder(cfg.embedder)
    max_tokens = cfg.max_tokens or model.max_seq_length
    if max_tokens > model.max_seq_length:
        raise ValueError(f"--max-tokens {max_tokens} exceeds the embedder's {model.max_seq_length}")
    passages = chunk_records(records, model.tokenizer, max_tokens)
    embed_start = time.perf_counter()
    vectors = model.encode(
        [p.embedding_text() for p in passages],
        batch_size=cfg.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=True,
    ).astype(np.float32)
    embed_seconds = time.perf_counter() - embed_start
    bm25 = make_bm25(passages)
    seconds = time.perf_counter() - start
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        embedder=canonical_name(cfg.embedder),
        dimension=int(vectors.shape[1]),
        max_tokens=max_tokens,
        faiss=cfg.faiss,
        records=len(records),
        passages=len(passages),
        corpus_fingerprint=corpus_fingerprint(records),
        source=source,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(seconds, 1),
    )
    write_index(Path(cfg.out), manifest, passages, vectors, bm25)
    report = report or LoadReport(records=len(records))
    return BuildSummary(
        records=len(records),
        passages=len(passages),
        skipped_empty=report.empty_answers,
        skipped_duplicates=report.duplicates,
        malformed_files=len(report.malformed_files),
        seconds=round(time.perf_counter() - start, 1),
        passages_per_second=round(len(passages) / max(embed_seconds, 1e-9), 1),
        out=str(cfg.out),
    )


def build(cfg: BuildConfig) -> BuildSummary:
    records, report = load_records(cfg.source)
    if cfg.limit:
        records = records[: cfg.limit]
    return build_from_records(records, cfg, report, source=str(cfg.source or "default"))


def parse_args(argv: list[str] | None = None) -> BuildConfig:
    d = BuildConfig()
    p = argparse.ArgumentParser(
        prog="python -m rag.build_index",
        description="Build MedGround's search index (FAISS + BM25) from MedQuAD.",
    )
    p.add_argument(
        "--source",
        default=d.source,
        help="MedQuAD folder, zip archive or URL (default: ../shared/datasets/MedQuAD if "
        "present, else download the upstream archive)",
    )
    p.add_argument("--out", type=Path, default=d.out, help=f"index folder (default: {d.out})")
    p.add_argument("--embedder", default=d.embedder, help=f"embedder (default: {d.embedder})")
    p.add_argument(
        "--max-tokens",
        type=int,
        default=d.max_tokens,
        help=f"passage size in embedder tokens, title included (default: {d.max_tokens}; "
        "0 = the embedder's limit)",
    )
    p.add_argument("--faiss", choices=FAISS_KINDS, default=d.faiss, help="FAISS index type")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="embedding batch size")
    p.add_argument("--limit", type=int, default=d.limit, help="index only the first N records")
    return BuildConfig(**vars(p.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    cfg = parse_args(argv)
    try:
        summary = build(cfg)
    except (MedQuADError, IndexLoadError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: no index was written (any previous index is unchanged)", file=sys.stderr
        )
        return 130
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
