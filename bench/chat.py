"""Answer speed: time to first token, generation against the memory-bandwidth ceiling, prompt
speed per quantization and thread setting, and answers per minute with concurrent clients.

    python bench/chat.py [--models medground,smollm2] [--questions 20] [--clients 4]

For each model: time to first token (grounded mode: the first chosen source sentence; free
mode: the first token) and total time over dev messages through the real pipeline; generation
tokens/s beside the ceiling (copy bandwidth measured here / bytes of weights read per token);
prompt tokens/s of the same weights requantized to other llama.cpp types; prompt and
generation speed for each thread setting. Then a real server answers ``--clients`` concurrent
``/ask`` clients. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentiles

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from app.merge import merge_lora, quantize
from app.model import LocalModel, ModelConfig, resolve_model
from app.pipeline import Pipeline
from rag.evaluate import MESSAGES, read_split
from rag.index import Index, default_index_dir
from rag.retriever import Retriever


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


def answer_times(pipeline: Pipeline, questions: list[dict], mode: str) -> dict:
    ttft, total, speed, retrieve = [], [], [], []
    for q in questions:
        ans = pipeline.ask(q["question"], q.get("history"), mode=mode)
        if "retrieve_ms" in ans.timings:
            retrieve.append(ans.timings["retrieve_ms"])
        if "ttft_ms" in ans.timings:
            ttft.append(ans.timings["ttft_ms"])
        total.append(ans.timings["total_ms"])
        if ans.timings.get("tokens", 0) > 8:
            speed.append(ans.timings["tokens_per_s"])
    return {
        "ttft_ms": percentiles(ttft),
        "total_ms": percentiles(total),
        "retrieve_ms": percentiles(retrieve),
        "tokens_per_s_median": round(statistics.median(speed), 1) if speed else None,
    }


def prompt_speed(path: Path, lora: Path | None, tokens: list[int], threads: int, batch: int):
    """(prompt tokens/s, generation tokens/s) of one GGUF at one thread setting."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(path),
        lora_path=str(lora) if lora else None,
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=batch,
        verbose=False,
    )
    best = 0.0
    for _ in range(3):
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        best = max(best, len(tokens) / (time.perf_counter() - start))
    generated = 0
    start = time.perf_counter()
    for _ in llm.create_completion(tokens[:64], max_tokens=64, temperature=0, stream=True):
        generated += 1
    gen = generated / (time.perf_counter() - start)
    llm.close()
    return round(best, 1), round(gen, 1)


def requantize(path: Path, kind: str, folder: Path) -> Path:
    out = folder / f"{path.stem}-{kind}.gguf"
    quantize(path, out, kind)
    return out


def speed_by_type(model: LocalModel, tokens: list[int]) -> dict:
    """Prompt and generation tokens/s of the model stored in other llama.cpp types: an adapter
    applied at run time or merged (app.merge); a plain model requantized."""
    if model.adapter is not None:
        base, _ = resolve_model(model.cfg.model, model.cfg.lora)
        out = {"adapter at run time": prompt_speed(base, model.adapter, tokens, 2, 2)}
        for kind in ("q8_0", "q4_0"):
            out[f"merged {kind}"] = prompt_speed(
                merge_lora(base, model.adapter, kind), None, tokens, 2, 2
            )
        return out
    with tempfile.TemporaryDirectory() as tmp:
        return {
            "as shipped": prompt_speed(model.path, None, tokens, 2, 2),
            **{
                kind: prompt_speed(requantize(model.path, kind, Path(tmp)), None, tokens, 2, 2)
                for kind in ("q8_0", "q4_0")
            },
        }


def serve_and_hammer(pipeline: Pipeline, questions: list[str], clients: int) -> dict:
    """Launch the real app and ask from several gradio_client clients at once."""
    from gradio_client import Client

    from app.ui import build_ui

    demo = build_ui(pipeline, None)
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    done: list[float] = []
    lock = threading.Lock()

    def worker(batch: list[str]) -> None:
        client = Client(url, verbose=False)
        for q in batch:
            start = time.perf_counter()
            client.predict(q, [], "", api_name="/ask")
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
    with contextlib.redirect_stdout(sys.stderr):  # Gradio prints that it closes
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
    p.add_argument("--models", default="medground,smollm2")
    p.add_argument("--questions", type=int, default=20)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--skip-quant", action="store_true", help="skip the requantization timings")
    args = p.parse_args()

    retriever = Retriever(Index.open(args.index))
    questions = read_split(MESSAGES, "dev")[: args.questions]
    bandwidth = copy_bandwidth_gbs()
    result: dict = {
        "cpu_count": os.cpu_count(),
        "copy_bandwidth_gb_s": round(bandwidth, 2),
        "models": [],
    }
    for name in filter(None, args.models.split(",")):
        model = LocalModel(ModelConfig(model=name))
        pipeline = Pipeline(retriever, model)
        pipeline.ask("warm up: what is asthma?")
        entry: dict = {
            "model": name,
            "file": str(model.path),
            "adapter": str(model.adapter or ""),
            "merged": model.adapter is not None and model.lora is None,
            "model_bytes": model.size_bytes,
        }
        entry["grounded"] = answer_times(pipeline, questions, "grounded")
        entry["free"] = answer_times(pipeline, questions, "free")
        ceiling = bandwidth * 1e9 / model.size_bytes
        entry["ceiling_tokens_per_s"] = round(ceiling, 1)
        tps = entry["free"]["tokens_per_s_median"] or 0.0
        entry["fraction_of_ceiling"] = round(tps / ceiling, 3)
        rendered = model.render([{"role": "user", "content": questions[0]["question"] * 20}])
        tokens = model.tokenize(rendered.prompt)[:500]
        entry["threads"] = {
            f"n_threads={t},n_threads_batch={b}": prompt_speed(model.path, model.lora, tokens, t, b)
            for t, b in ((1, 1), (2, 2), (1, 2), (2, 1))
        }
        if not args.skip_quant:
            entry["tokens_per_s_by_type"] = speed_by_type(model, tokens)
        model.llm.close()
        result["models"].append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)
    model = LocalModel(ModelConfig(model=args.models.split(",")[0]))
    result["concurrent"] = serve_and_hammer(
        Pipeline(retriever, model), [q["question"] for q in questions], args.clients
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
