"""Chat benchmark: time to first token, generation speed vs the memory-bandwidth ceiling,
end-to-end latency, and answers per minute with concurrent clients on a real server.

    python bench/chat.py [--index DIR] [--model PATH.gguf] [--questions 20] [--clients 4]

Prints one JSON object. The ceiling is the copy bandwidth measured here divided by the bytes
of model weights read per generated token (the GGUF's size): a CPU decoder cannot go faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from app.model import LocalModel, ModelConfig, timed_stream
from app.pipeline import Pipeline
from rag.evaluate import CONSUMER_QUERIES, read_queries
from rag.prompt import Source, build_messages
from rag.retriever import Retriever, default_index_dir


def copy_bandwidth_gbs(megabytes: int = 512, repeats: int = 5) -> float:
    """Best of a few large array copies: bytes read plus bytes written, per second."""
    src = np.ones(megabytes * 1024 * 1024 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.nbytes / best / 1e9


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }


def time_generation(model: LocalModel, retriever: Retriever, questions: list[str]) -> dict:
    """TTFT and tokens/s with exactly 5 passages in the prompt, the app's prompt format."""
    ttft, speed, prompt_tokens = [], [], []
    for q in questions:
        hits = retriever.search(q, k=5)
        rendered = model.render(build_messages(q, [Source(h.title, h.text) for h in hits]))
        prompt_tokens.append(len(model.tokenize(rendered.prompt)))
        timings: dict = {}
        for _ in timed_stream(model.stream(rendered), timings):
            pass
        ttft.append(timings["ttft_ms"])
        if timings["tokens"] > 8:
            speed.append(timings["tokens_per_s"])
    return {
        "prompt_tokens_mean": round(statistics.fmean(prompt_tokens)),
        "ttft_ms": percentiles(ttft),
        "tokens_per_s_median": round(statistics.median(speed), 1) if speed else None,
    }


def serve_and_hammer(pipeline: Pipeline, questions: list[str], clients: int) -> dict:
    """Launch the real app and ask from several gradio_client clients at once."""
    from gradio_client import Client

    from app.ui import build_ui

    demo = build_ui(pipeline, Path("/tmp/medground-bench-feedback.jsonl"))
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    done: list[float] = []
    lock = threading.Lock()

    def worker(batch: list[str]) -> None:
        client = Client(url, verbose=False)
        for q in batch:
            start = time.perf_counter()
            client.predict(q, [], api_name="/ask")
            with lock:
                done.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [
        threading.Thread(target=worker, args=(questions[i::clients],)) for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    demo.close()
    return {
        "clients": clients,
        "answers": len(done),
        "answers_per_minute": round(60 * len(done) / elapsed, 1),
        "latency_s": percentiles(done),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--model", default=None, help="GGUF (default: packaged SmolLM2-135M)")
    p.add_argument("--questions", type=int, default=20)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=128)
    args = p.parse_args()

    retriever = Retriever(args.index)
    model = LocalModel(ModelConfig(model=args.model, max_tokens=args.max_tokens))
    questions = [q["question"] for q in read_queries(CONSUMER_QUERIES)][: args.questions]
    pipeline = Pipeline(retriever, model)
    pipeline.ask("warm up: what is asthma?")

    result: dict = {
        "model": model.name,
        "model_bytes": model.size_bytes,
        "cpu_count": os.cpu_count(),
    }
    result["generation"] = time_generation(model, retriever, questions[:10])
    bandwidth = copy_bandwidth_gbs()
    ceiling = bandwidth * 1e9 / model.size_bytes
    result["copy_bandwidth_gb_s"] = round(bandwidth, 2)
    result["ceiling_tokens_per_s"] = round(ceiling, 1)
    tps = result["generation"]["tokens_per_s_median"] or 0.0
    result["fraction_of_ceiling"] = round(tps / ceiling, 3)

    latencies = []
    for q in questions:
        start = time.perf_counter()
        pipeline.ask(q)
        latencies.append(time.perf_counter() - start)
    result["end_to_end_s"] = percentiles(latencies)
    result["concurrent"] = serve_and_hammer(pipeline, questions, args.clients)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
