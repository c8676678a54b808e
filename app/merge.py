"""Merge a GGUF LoRA adapter into its base model once, and keep the merged GGUF in a cache.

llama.cpp can apply an adapter at run time, beside the base weights, but then the tensors it
touches cannot use the CPU's repacked (faster) layout and every token pays for the extra
products. Merged once (dequantize each weight, add ``alpha / rank * B @ A``, quantize to a
llama.cpp type), the model runs at a plain model's speed, and it can be stored in the type that
reads prompts fastest here (``bench/chat.py`` measures each type; ``bench/answers.py`` checks
that answers stay as good). The result is named by a hash of both inputs and the type, so a new
adapter or base is merged again and an old merge is never reused by mistake.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from rag.cache import cache_dir

MERGED_TYPES = ("q4_0", "q8_0", "f16")
SET_BY_WRITERS = ("general.architecture", "general.file_type")


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        h.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|".encode())
    with open(paths[-1], "rb") as f:  # the adapter is small: hash its bytes as well
        h.update(f.read())
    return h.hexdigest()[:12]


def merged_path(base: Path, adapter: Path, kind: str) -> Path:
    return cache_dir() / f"{base.stem}+{adapter.stem}-{kind}-{_digest(base, adapter)}.gguf"


def merge_lora(base: Path, adapter: Path, kind: str = "q8_0") -> Path:
    """The merged model's GGUF, made on the first call (tens of seconds) and cached."""
    if kind not in MERGED_TYPES:
        raise ValueError(f"unknown merged type {kind!r}; choose one of {MERGED_TYPES}")
    out = merged_path(base, adapter, kind)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.*.partial"):
        if time.time() - stale.stat().st_mtime > 3600:  # left by a merge that was killed
            stale.unlink(missing_ok=True)
    # stderr: benchmarks print their JSON on stdout
    print(
        f"Merging {adapter.name} into {base.name} ({kind}, once; cached in {out.parent})",
        file=sys.stderr,
    )
    # Own temporary names: two processes may merge at once; the last rename wins, whole.
    tag = f"{os.getpid()}-{threading.get_ident()}"
    f16 = out.with_name(f".{out.name}.{tag}.f16.partial")
    partial = out.with_name(f".{out.name}.{tag}.partial")
    try:
        _write_merged_f16(base, adapter, f16)
        if kind == "f16":
            f16.replace(out)
        else:
            quantize(f16, partial, kind)
            partial.replace(out)  # whole or absent: an interrupted merge is redone next time
    finally:
        f16.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return out


def _write_merged_f16(base: Path, adapter: Path, out: Path) -> None:
    import gguf

    reader = gguf.GGUFReader(str(base))
    lora = gguf.GGUFReader(str(adapter))
    alpha = float(lora.fields[gguf.Keys.Adapter.LORA_ALPHA].contents())
    factors = {t.name: np.asarray(t.data, dtype=np.float32) for t in lora.tensors}
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(out), arch)
    for field in reader.fields.values():
        # The writer sets the architecture itself, the quantizer the file type.
        if field.name.startswith("GGUF.") or field.name in SET_BY_WRITERS:
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
    for tensor in reader.tensors:
        weight = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        a = factors.get(f"{tensor.name}.lora_a")  # (rank, in)
        b = factors.get(f"{tensor.name}.lora_b")  # (out, rank)
        if a is not None and b is not None:
            weight = weight + (alpha / a.shape[0]) * (b @ a)
        # Norms and other vectors stay f32, as llama.cpp's converters write them.
        writer.add_tensor(tensor.name, weight if weight.ndim == 1 else weight.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def quantize(source: Path, out: Path, kind: str) -> None:
    """``source`` (f16, or already quantized) written by llama.cpp as ``kind`` to ``out``."""
    import gguf
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = int(
        {"q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0}[kind]
    )
    params.nthread = os.cpu_count() or 2
    params.allow_requantize = True
    rc = llama_cpp.llama_model_quantize(
        str(source).encode(), str(out).encode(), ctypes.byref(params)
    )
    if rc != 0 or not out.exists():
        raise RuntimeError(f"llama.cpp could not quantize {source.name} to {kind}")
