"""Search and first-answer time with OpenBLAS held to one thread, or left at its default.

    python bench/retrieval_threads.py [--threads 0 1] [--rounds 3] [--answers 30]

A search's matrix products are tiny, and after each one OpenBLAS's idle threads spin for a
while on the cores that ONNX Runtime embeds the next message on and llama.cpp answers on
(``RetrievalConfig.blas_threads``). The setting cannot be switched inside one process (threads
woken under the old one go on spinning), so each runs in fresh processes that take turns,
``--rounds`` times, so that a drift in machine speed falls on every setting. A process searches
the dev messages one at a time, twice (``search_ms``), then answers the first ``--answers`` of
them through the real pipeline, grounded (``first_unit_ms``: from the ask to the first shown
source sentence, retrieval included). Prints JSON (p50/p90 over every round's timings per
setting, 0 meaning OpenBLAS's default) and writes it to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentiles, report
from rag.index import default_index_dir


def worker(index: Path, blas_threads: int, answers: int) -> dict:
    """Timings of one fresh process with ``blas_threads``."""
    from app.model import LocalModel, ModelConfig
    from app.pipeline import Pipeline, PipelineConfig
    from rag.evaluate import MESSAGES, read_split
    from rag.index import Index
    from rag.retriever import RetrievalConfig, Retriever

    retriever = Retriever(Index.open(index), config=RetrievalConfig(blas_threads=blas_threads))
    cfg = PipelineConfig()
    rows = read_split(MESSAGES, "dev")
    retriever.search(rows[0]["question"])  # warm-up
    search_ms = []
    for _ in range(2):
        for row in rows:
            start = time.perf_counter()
            retriever.search(
                row["question"],
                k=cfg.k,
                history=row.get("history", []),
                fill_gap=cfg.fill_gap,
                fill_merge=cfg.fill_merge,
            )
            search_ms.append((time.perf_counter() - start) * 1000)
    pipeline = Pipeline(retriever, LocalModel(ModelConfig()), cfg)
    pipeline.ask("warm up: what is asthma?")
    first_unit_ms = []
    for row in rows[:answers]:
        start, first = time.perf_counter(), None
        for ans in pipeline.stream(row["question"], row.get("history", []), mode="grounded"):
            if first is None and ans.answer and not ans.done:
                first = (time.perf_counter() - start) * 1000
        if first is not None:
            first_unit_ms.append(first)
    return {"search_ms": search_ms, "first_unit_ms": first_unit_ms}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--threads", type=int, nargs="+", default=[0, 1], help="0: OpenBLAS default")
    p.add_argument("--rounds", type=int, default=3, help="fresh processes per setting")
    p.add_argument("--answers", type=int, default=30, help="grounded answers per process")
    p.add_argument("--json", type=Path, default=Path("docs/results/retrieval_threads.json"))
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # run one process's timings
    args = p.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.index, args.worker, args.answers)))
        return 0

    timings: dict[int, dict[str, list[float]]] = {
        t: {"search_ms": [], "first_unit_ms": []} for t in args.threads
    }
    for round_ in range(args.rounds):
        order = args.threads if round_ % 2 == 0 else args.threads[::-1]
        for threads in order:
            print(f"round {round_ + 1}/{args.rounds}: blas_threads={threads}", file=sys.stderr)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(threads),
                    "--index",
                    str(args.index),
                    "--answers",
                    str(args.answers),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for name, values in json.loads(out.strip().splitlines()[-1]).items():
                timings[threads][name] += values
    result = {
        "rounds": args.rounds,
        "answers_per_round": args.answers,
        "blas_threads": {
            str(t): {name: percentiles(values) for name, values in found.items()}
            for t, found in timings.items()
        },
    }
    report(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
