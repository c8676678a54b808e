"""Retrieval benchmark: build time, embedding throughput, index size, query latency, peak RSS.

    python bench/retrieval.py [--source PATH] [--out DIR] [--limit N] [--queries 200]

Builds an index (the full collection by default), then times single queries end to end (query
embedding included, k=5, fused and dense) and prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.build_index import BuildConfig, build
from rag.evaluate import CONSUMER_QUERIES, read_queries
from rag.retriever import Retriever


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", help="MedQuAD source (default: the local copy or upstream)")
    p.add_argument("--out", type=Path, default=Path("index/bench"), help="index folder to write")
    p.add_argument("--limit", type=int, default=0, help="index only N records (0 = all)")
    p.add_argument("--skip-build", action="store_true", help="time queries on an existing --out")
    p.add_argument("--queries", type=int, default=200, help="single queries to time")
    args = p.parse_args()

    result: dict = {}
    if not args.skip_build:
        summary = build(BuildConfig(source=args.source, out=args.out, limit=args.limit))
        result["build"] = {
            "records": summary.records,
            "passages": summary.passages,
            "seconds": summary.seconds,
            "embedding_passages_per_s": summary.passages_per_second,
        }
    result["index_bytes"] = folder_bytes(args.out)
    t = time.perf_counter()
    retriever = Retriever(args.out)
    result["load_seconds"] = round(time.perf_counter() - t, 2)

    questions = [q["question"] for q in read_queries(CONSUMER_QUERIES)]
    questions = (questions * (args.queries // len(questions) + 1))[: args.queries]
    retriever.search("warm up", k=5)
    for mode in ("fused", "dense"):
        times = []
        for q in questions:
            start = time.perf_counter()
            retriever.search(q, k=5, mode=mode)
            times.append((time.perf_counter() - start) * 1000)
        result[f"query_ms_{mode}"] = {
            "p50": round(statistics.median(times), 2),
            "p99": round(percentile(times, 0.99), 2),
            "mean": round(statistics.fmean(times), 2),
        }
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["manifest"] = retriever.manifest.__dict__
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
