"""Index build speed: passages embedded per second for each way of embedding them.

    python bench/index_build.py [--sample 2000] [--full openvino bf16 fp32 int8] [--command]

Embeds the same random sample of MedQuAD passages (as the build chunks them) once per setting:
the build's old way (blocks of 2,048 texts in corpus order), all texts sorted by length first
(less padding), other batch sizes, one thread against two, bfloat16 matrix products (where the
CPU has them), int8 dynamic quantization of the embedder's linear layers, the same fp32
model run by ONNX Runtime (``rag/onnx_encoder.py``), and OpenVINO in bfloat16 and fp32
(``rag/openvino_encoder.py``); for bfloat16, OpenVINO and int8 also the lowest cosine between a
passage's vector and its fp32 vector. ``--full`` also builds a whole index per named way in a
temporary folder (``python -m rag.build_index`` with that setting: ``openvino`` is the default
build, ``bf16`` and ``fp32`` are sentence-transformers with and without bfloat16 products) and
reports its time and dev-set retrieval beside the index in ``--index`` (a way is accepted only
within one point of fp32's hit@1). ``--command`` times ``python -m rag.build_index`` itself, in
its own process from start to end on an empty model cache, as a user runs it. ``--sample 0``
skips the sampled settings. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from rag.build_index import BuildConfig, build_from_records
from rag.chunking import chunk_records
from rag.embedder import (
    DEFAULT_EMBEDDER,
    bf16_products,
    bf16_supported,
    load_embedder,
    quantized,
)
from rag.evaluate import MESSAGES, evaluate, read_split
from rag.index import Index, default_index_dir
from rag.medquad import load_records
from rag.onnx_encoder import onnx_encoder
from rag.openvino_encoder import openvino_encoder
from rag.retriever import Retriever


def rate(
    model, texts: list[str], batch_size: int, block: int | None, sort: bool, bf16: bool = False
) -> float:
    """Texts embedded per second, in blocks of ``block`` texts (None: all at once)."""
    if sort:
        texts = sorted(texts, key=len)
    block = block or len(texts)
    start = time.perf_counter()
    with bf16_products(bf16):
        for i in range(0, len(texts), block):
            model.encode(texts[i : i + block], batch_size=batch_size, convert_to_numpy=True)
    return round(len(texts) / (time.perf_counter() - start), 1)


def lowest_cosine(model, texts: list[str], reference: np.ndarray, bf16: bool = False) -> float:
    """The lowest cosine between a text's vector and its ``reference`` (fp32) vector."""
    with bf16_products(bf16):
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    return round(float((np.asarray(vectors, np.float32) * reference).sum(axis=1).min()), 6)


class OnnxModel:
    """The ONNX Runtime encoder behind ``SentenceTransformer.encode``'s signature."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder

    def encode(self, texts: list[str], batch_size: int = 32, **_) -> object:
        return self.encoder.encode(texts, batch_size)


def dev_quality(index: Path) -> dict:
    res = evaluate(Retriever(Index.open(index)), read_split(MESSAGES, "dev"), modes=("fused",))
    return {k: res["fused"][k] for k in ("hit@1", "hit@5", "mrr@10")}


def time_command(index: Path) -> dict:
    """Wall time and peak memory of ``python -m rag.build_index`` from Python's start to its
    last line (reading MedQuAD, exporting the embedder to an empty cache, everything), its
    closing line, and the dev retrieval of what it built beside ``index``'s."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index"
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "rag.build_index", "--out", str(out)],
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "MEDGROUND_CACHE": str(Path(tmp) / "cache")},
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
        return {
            "wall_seconds": round(wall, 1),
            # the largest of the build and the process that reads MedQuAD beside it
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "line": run.stdout.strip().splitlines()[-1],
            "dev": dev_quality(out),
            "dev_index": {"index": str(index), **dev_quality(index)},
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--sample", type=int, default=2000, help="passages embedded per setting (0: none)"
    )
    p.add_argument(
        "--full",
        nargs="*",
        default=[],
        choices=["openvino", "bf16", "fp32", "int8"],
        help="also build a whole index this way and compare its dev retrieval with --index's",
    )
    p.add_argument("--index", type=Path, default=default_index_dir(), help="the index to compare")
    p.add_argument(
        "--command",
        action="store_true",
        help="also time the command itself, python -m rag.build_index, on an empty model cache",
    )
    args = p.parse_args()

    result: dict = {}
    if args.command:  # first, while nothing else is in memory
        result["command"] = time_command(args.index)
    if not args.sample and not args.full:
        print(json.dumps(result, indent=2))
        return
    records, _ = load_records(None)
    model = load_embedder(DEFAULT_EMBEDDER)
    passages = chunk_records(records, model.tokenizer, 128)
    result |= {
        "passages_total": len(passages),
        "threads": torch.get_num_threads(),
        "bf16_supported": bf16_supported(),
    }
    if args.sample:
        result |= sampled_settings(model, passages, args.sample)
    if args.full:
        result["dev_index"] = {"index": str(args.index), **dev_quality(args.index)}
    for way in args.full:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = BuildConfig(
                out=Path(tmp) / way,
                bf16=way in ("openvino", "bf16"),
                int8=way == "int8",
                openvino=way == "openvino",
            )
            summary = build_from_records(records, cfg)
            result[f"full_build_{way}"] = {
                "seconds": summary.seconds,
                "passages_per_second": summary.passages_per_second,
                "stage_seconds": summary.stage_seconds,
                **dev_quality(cfg.out),
            }
    print(json.dumps(result, indent=2))


def sampled_settings(model, passages: list, size: int) -> dict:
    """Passages per second for each setting on one random sample, and lowest cosines to fp32."""
    sample = random.Random(0).sample(passages, min(size, len(passages)))
    texts = [p.embedding_text() for p in sample]
    int8 = quantized(model)
    model.encode(texts[:64])  # warm up each
    with bf16_products():
        model.encode(texts[:64])
    int8.encode(texts[:64])
    ort = OnnxModel(onnx_encoder(model))
    ort.encode(texts[:64])
    openvino = {bf16: openvino_encoder(model, bf16) for bf16 in (True, False)}
    for encoder in openvino.values():
        encoder.encode(texts[:64])
    threads = torch.get_num_threads()
    rates = {
        "old build: corpus order, blocks of 2048, batch 32": rate(model, texts, 32, 2048, False),
        "sorted by length, batch 32": rate(model, texts, 32, None, True),
        "sorted, batch 16": rate(model, texts, 16, None, True),
        "sorted, batch 64": rate(model, texts, 64, None, True),
        "sorted, batch 128": rate(model, texts, 128, None, True),
        "bf16 products, sorted, batch 32": rate(model, texts, 32, None, True, bf16=True),
        "bf16 products, sorted, batch 64": rate(model, texts, 64, None, True, bf16=True),
        "bf16 products, sorted, batch 128": rate(model, texts, 128, None, True, bf16=True),
        "int8, sorted, batch 32": rate(int8, texts, 32, None, True),
        "int8, sorted, batch 64": rate(int8, texts, 64, None, True),
        "onnx runtime, sorted, batch 8": rate(ort, texts, 8, None, True),
        "onnx runtime, sorted, batch 16": rate(ort, texts, 16, None, True),
        "onnx runtime, sorted, batch 32": rate(ort, texts, 32, None, True),
        "openvino bf16, batch 8": rate(openvino[True], texts, 8, None, False),
        "openvino bf16, batch 16": rate(openvino[True], texts, 16, None, False),
        "openvino bf16, batch 32": rate(openvino[True], texts, 32, None, False),
        "openvino fp32, batch 16": rate(openvino[False], texts, 16, None, False),
    }
    torch.set_num_threads(1)
    rates["int8, sorted, batch 32, 1 thread"] = rate(int8, texts, 32, None, True)
    torch.set_num_threads(threads)
    reference = model.encode(texts, batch_size=32, normalize_embeddings=True)
    return {
        "sample": len(texts),
        "passages_per_second": rates,
        "lowest_cosine_to_fp32": {
            "bf16 products": lowest_cosine(model, texts, reference, bf16=True),
            "openvino bf16": lowest_cosine(openvino[True], texts, reference),
            "openvino fp32": lowest_cosine(openvino[False], texts, reference),
            "int8": lowest_cosine(int8, texts, reference),
        },
    }


if __name__ == "__main__":
    main()
