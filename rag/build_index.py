"""Build a searchable index from MedQuAD: ``python -m rag.build_index --help``.

MedQuAD (folder, zip or URL) -> records -> passages -> embeddings -> FAISS + BM25, plus MedQuAD's
own questions, written atomically to ``--out`` with a manifest, and a closing summary of what
was built and skipped. A folder that holds anything but a MedGround index is never replaced.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from rag.chunking import chunk_records
from rag.cli import add_config_args, config_from_args
from rag.embedder import (
    DEFAULT_EMBEDDER,
    bf16_products,
    bf16_supported,
    canonical_name,
    load_embedder,
)
from rag.index import (
    BM25,
    FAISS_KINDS,
    FORMAT_VERSION,
    Index,
    IndexLoadError,
    IndexWriteError,
    Manifest,
    Question,
    check_writable,
    default_index_dir,
)
from rag.medquad import (
    LoadReport,
    MedQuADError,
    Record,
    corpus_fingerprint,
    load_records,
    resolve_source,
)
from rag.openvino_encoder import openvino_encoder


@dataclass
class BuildConfig:
    # MedQuAD folder, zip archive or URL (default: ../shared/datasets/MedQuAD if present, else
    # the upstream download)
    source: str | None = None
    out: Path = field(default_factory=default_index_dir)  # index folder to (re)write
    embedder: str = DEFAULT_EMBEDDER  # sentence-transformers model name or path
    max_tokens: int = 128  # passage size in embedder tokens, title included (0 = the embedder's)
    # approximate search (HNSW) by default: same dev retrieval as exact "flat", ~20x faster
    faiss: str = field(default="hnsw", metadata={"choices": FAISS_KINDS})
    # texts embedded per forward pass (0: 16 through OpenVINO, else 64 with bfloat16 products
    # and 32 without; each the fastest measured by bench/index_build.py)
    batch_size: int = 0
    # embed through OpenVINO when it is installed (rag/openvino_encoder.py): about 1.45x faster
    # than sentence-transformers on 2 cores; --no-openvino keeps sentence-transformers
    openvino: bool = True
    # bfloat16 matrix products where the CPU multiplies them natively (AVX512-BF16, AMX): builds
    # about 1.6x faster, the vectors within cosine 0.9999 of fp32's; ignored on other CPUs
    bf16: bool = True
    # embed with the embedder's linear layers in int8, and queries the same way: 1.46x faster,
    # but dev hit@1 0.757 vs 0.798 (bench/index_build.py --full int8), so off by default
    int8: bool = False
    limit: int = 0  # index only the first N records (0 = all); for quick experiments
    # a quick index (BM25 and MedQuAD's own questions, no passage vectors), built in a minute or
    # two so that a first start can answer while the full index is built
    quick: bool = False


@dataclass
class BuildSummary:
    records: int
    passages: int
    questions: int
    skipped_empty: int
    skipped_duplicates: int
    malformed_files: int
    seconds: float
    passages_per_second: float  # embedding throughput
    out: str
    stage_seconds: dict[str, float] = field(default_factory=dict)  # where the seconds went
    embedded_by: str = ""  # what ran the embedder, e.g. "OpenVINO, bfloat16"

    def line(self) -> str:
        stages = ", ".join(f"{name} {s:.0f} s" for name, s in self.stage_seconds.items())
        return (
            f"Built {self.out}: {self.records} records, {self.passages} passages, "
            f"{self.questions} questions; skipped {self.skipped_empty} empty answers, "
            f"{self.skipped_duplicates} duplicates, {self.malformed_files} malformed files; "
            f"{self.seconds:.0f} s ({self.passages_per_second:.0f} passages/s embedded"
            + (f" by {self.embedded_by}" if self.embedded_by else "")
            + (f"; {stages}" if stages else "")
            + ")"
        )


def question_texts(records: list[Record], variants: int = 3) -> list[Question]:
    """MedQuAD's own question of every record, and the same question asked with up to
    ``variants`` other names of its focus ("high blood pressure" for "hypertension")."""
    out = []
    for r in records:
        out.append(Question(r.id, r.question))
        pattern = re.compile(re.escape(r.focus), re.IGNORECASE)
        if not pattern.search(r.question):
            continue
        names = [s for s in r.synonyms if len(s) >= 4 and s.lower() != r.focus.lower()]
        for name in names[:variants]:
            out.append(Question(r.id, pattern.sub(lambda _, n=name: n, r.question)))
    return out


def previous_vectors(out: Path, embedder: str, int8: bool = False) -> dict[str, np.ndarray]:
    """Text -> vector from the index being replaced (same embedder, same precision), so a
    rebuild embeds only what changed; empty when there is no readable previous index."""
    try:
        old = Index.open(out)
    except IndexLoadError:
        return {}
    if (
        canonical_name(old.manifest.embedder) != canonical_name(embedder)
        or old.manifest.int8 != int8
    ):
        return {}
    known = {}
    if old.vectors is not None:
        known = {p.embedding_text(): v for p, v in zip(old.passages, old.vectors, strict=True)}
    vectors = old.question_faiss.reconstruct_n(0, old.question_faiss.ntotal)
    known.update({q.text: v for q, v in zip(old.questions, vectors, strict=True)})
    return known


class Stopwatch:
    """Seconds per named stage, each measured from the end of the one before."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> float:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 1)
        self._last = now
        return self.seconds[stage]


BLOCK = 2048  # texts embedded between two saves of the partial work


def embed(
    model,
    texts: list[str],
    batch_size: int,
    desc: str,
    known: dict[str, np.ndarray],
    partial: Path | None = None,
    progress: Callable[[float], None] | None = None,
    bf16: bool = False,
) -> np.ndarray:
    """Embed each distinct text once, reusing ``known`` vectors (and adding the new ones).

    With ``partial``, every block of new vectors is saved there as it is made, so an
    interrupted build resumes where it stopped (see :func:`partial_vectors`).
    """
    # Not sorted by length first: sentence-transformers sorts each block already, and a global
    # sort measured no faster (bench/index_build.py: 54.5 vs 54.7 passages/s).
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    print(
        f"Embedding {len(todo)} of {len(texts)} {desc} (the rest are known)",
        file=sys.stderr,
        flush=True,
    )
    bar = tqdm(total=len(todo), desc=f"Embedding {desc}", unit=desc.rstrip("s"), smoothing=0.05)
    for start in range(0, len(todo), BLOCK):
        block = todo[start : start + BLOCK]
        with bf16_products(bf16):
            vectors = model.encode(
                block, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            ).astype(np.float32)
        bar.update(len(block))
        known.update(zip(block, vectors, strict=True))
        if partial is not None:
            partial.mkdir(parents=True, exist_ok=True)
            name = f"{desc}-{start // BLOCK:05d}"
            np.save(partial / f"{name}.npy", vectors)
            (partial / f"{name}.json").write_text(json.dumps(block))
        if progress is not None:
            progress(min(1.0, (start + len(block)) / len(todo)))
    bar.close()
    dim = model.get_embedding_dimension()
    return np.stack([known[t] for t in texts]) if texts else np.zeros((0, dim), np.float32)


def partial_folder(out: Path) -> Path:
    return out.resolve().with_name(f".{out.name}.partial")


def partial_vectors(out: Path) -> dict[str, np.ndarray]:
    """Vectors an interrupted build of ``out`` saved before it stopped."""
    known: dict[str, np.ndarray] = {}
    folder = partial_folder(out)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            texts = json.loads(path.read_text())
            known.update(zip(texts, np.load(path.with_suffix(".npy")), strict=True))
        except (OSError, ValueError):
            continue  # a block cut short by the interruption itself
    return known


def build_from_records(
    records: list[Record],
    cfg: BuildConfig,
    report: LoadReport | None = None,
    source: str = "",
    progress: Callable[[float], None] | None = None,
) -> BuildSummary:
    """Build and write the index; ``progress`` hears the share of passages embedded."""
    start = time.perf_counter()
    stages = Stopwatch()
    out = Path(cfg.out)
    check_writable(out.resolve())
    model = load_embedder(cfg.embedder, int8=cfg.int8)
    max_tokens = cfg.max_tokens or model.max_seq_length
    if max_tokens > model.max_seq_length:
        raise ValueError(f"--max-tokens {max_tokens} exceeds the embedder's {model.max_seq_length}")
    stages.lap("loading the embedder")
    passages = chunk_records(records, model.tokenizer, max_tokens)
    questions = question_texts(records, variants=0 if cfg.quick else 3)
    stages.lap("chunking")
    known = previous_vectors(out, cfg.embedder, cfg.int8) | partial_vectors(out)
    partial = None if cfg.quick else partial_folder(out)
    bf16 = cfg.bf16 and not cfg.int8 and bf16_supported()
    encoder = model
    if cfg.openvino and not cfg.int8:
        encoder = openvino_encoder(model, bf16) or model
    batch_size = cfg.batch_size or (16 if encoder is not model else 64 if bf16 else 32)
    stages.lap("reading known vectors")
    vectors = None
    if not cfg.quick:
        texts = [p.embedding_text() for p in passages]
        vectors = embed(encoder, texts, batch_size, "passages", known, partial, progress, bf16)
    embed_seconds = stages.lap("passages")
    question_vectors = embed(
        encoder, [q.text for q in questions], batch_size, "questions", known, partial, bf16=bf16
    )
    stages.lap("questions")
    bm25 = BM25.build(passages)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        embedder=canonical_name(cfg.embedder),
        dimension=int(question_vectors.shape[1]),
        max_tokens=max_tokens,
        faiss=cfg.faiss,
        records=len(records),
        passages=len(passages),
        questions=len(questions),
        corpus_fingerprint=corpus_fingerprint(records),
        source=source,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - start, 1),
        kind="quick" if cfg.quick else "full",
        int8=cfg.int8,
    )
    Index.write(out, manifest, passages, vectors, bm25, questions, question_vectors)
    shutil.rmtree(partial_folder(out), ignore_errors=True)
    stages.lap("BM25, FAISS and writing")
    report = report or LoadReport(records=len(records))
    return BuildSummary(
        records=len(records),
        passages=len(passages),
        questions=len(questions),
        skipped_empty=report.empty_answers,
        skipped_duplicates=report.duplicates,
        malformed_files=len(report.malformed_files),
        seconds=round(time.perf_counter() - start, 1),
        passages_per_second=round(len(passages) / max(embed_seconds, 1e-9), 1)
        if vectors is not None
        else 0.0,
        out=str(cfg.out),
        stage_seconds=stages.seconds,
        embedded_by=("OpenVINO" if encoder is not model else "sentence-transformers")
        + (", int8" if cfg.int8 else ", bfloat16" if bf16 else ", fp32"),
    )


def load_records_beside_embedder(cfg: BuildConfig) -> tuple[list[Record], LoadReport]:
    """MedQuAD's records, read in a forked process while this one imports and loads the
    embedder: 8.7 and 6.2 s of one core, 10.4 s together on two cores.

    Forking is safe only from a process with a single thread (a fork copies no other threads,
    nor releases their locks), and only where the platform forks; elsewhere the two run in turn.
    """
    source = resolve_source(cfg.source)  # a wrong path is said at once, a URL downloaded here
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        records = load_records(source)
        load_embedder(cfg.embedder, int8=cfg.int8)
        return records
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        reading = pool.submit(load_records, source)
        load_embedder(cfg.embedder, int8=cfg.int8)  # kept by its lru_cache for the build
        return reading.result()


def build(cfg: BuildConfig, progress: Callable[[float], None] | None = None) -> BuildSummary:
    check_writable(Path(cfg.out).resolve())  # before minutes of work, not after
    records, report = load_records_beside_embedder(cfg)
    if cfg.limit:
        records = records[: cfg.limit]
    return build_from_records(records, cfg, report, str(cfg.source or "default"), progress)


def parse_args(argv: list[str] | None = None) -> BuildConfig:
    p = argparse.ArgumentParser(
        prog="python -m rag.build_index",
        description="Build MedGround's search index (FAISS + BM25 + MedQuAD's questions).",
    )
    add_config_args(p, BuildConfig)
    return config_from_args(BuildConfig, p.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    cfg = parse_args(argv)
    try:
        summary = build(cfg)
    except (MedQuADError, IndexLoadError, IndexWriteError, ValueError, OSError) as exc:
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
