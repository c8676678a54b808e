"""A model behind an OpenAI-compatible server (llama.cpp's server, vLLM, TGI, Ollama...).

``python -m app --llm-url http://HOST:PORT/v1`` answers through the server's streaming
``chat/completions`` endpoint with the same pipeline (safety, retrieval, citations, support
check). The server applies the model's chat template to the messages it is sent. Grounded
answers need the server to constrain output with a grammar (llama.cpp: ``grammar``; vLLM:
``guided_grammar``); :meth:`RemoteModel.probe_grammar` asks once at start, and the app falls
back to free answers with the support check when the server cannot. Timeouts, refused
connections, HTTP errors and a stream that stops early become a :class:`ModelError` with one
clear line, which the pipeline shows in the chat and in ``/ask``'s ``error`` field.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from app.chat_format import Rendered
from app.model import ModelError


@dataclass
class RemoteConfig:
    """Remote model (an OpenAI-compatible server)."""

    llm_url: str | None = None  # base URL of an OpenAI-compatible API, e.g. http://host:8000/v1
    llm_model: str = "default"  # the model name the server expects
    llm_key_env: str | None = None  # environment variable that holds the API key, if any
    llm_timeout: float = 60.0  # seconds to wait for the server before giving up
    llm_grammar: str = field(
        default="auto", metadata={"choices": ("auto", "llama.cpp", "vllm", "none")}
    )  # how the server takes a grammar (auto: try llama.cpp's, then vLLM's)


class RemoteModel:
    """The app's model interface, served over HTTP."""

    prefix_continuation = False  # a chat API cannot continue a half-written reply

    def __init__(self, cfg: RemoteConfig, max_tokens: int = 256, temperature: float = 0.2) -> None:
        if not cfg.llm_url:
            raise ModelError("no --llm-url given")
        self.cfg = cfg
        self.url = cfg.llm_url.rstrip("/")
        key = os.environ.get(cfg.llm_key_env) if cfg.llm_key_env else None
        if cfg.llm_key_env and not key:
            raise ModelError(f"--llm-key-env {cfg.llm_key_env}: that environment variable is empty")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.lock = threading.RLock()  # the pipeline holds it for queue timing; the server queues
        self.n_ctx = 1 << 30  # the server trims or refuses what does not fit
        self.grammar_field: str | None = None  # "grammar" or "guided_grammar" once probed
        self.formatter = type("Formatter", (), {"name": "server"})()
        self.name = f"{cfg.llm_model} at {self.url}"
        self.path, self.lora, self.adapter, self.size_bytes = self.url, None, None, 0

    def render(self, messages: list[dict]) -> Rendered:
        return Rendered(prompt="", stop=[], messages=messages)

    def count_tokens(self, text: str) -> int:
        return len(text) // 4  # the server's tokenizer is not at hand: about 4 chars a token

    def probe_grammar(self) -> str | None:
        """Which grammar field the server honours (None: it constrains nothing)."""
        fields = {
            "auto": ("grammar", "guided_grammar"),
            "llama.cpp": ("grammar",),
            "vllm": ("guided_grammar",),
            "none": (),
        }[self.cfg.llm_grammar]
        messages = [{"role": "user", "content": "Say hello."}]
        for name in fields:
            try:
                text = "".join(self._stream(messages, 8, {name: 'root ::= "zq7"'}, None, 0.0, []))
            except ModelError:
                continue
            if text.strip() == "zq7":
                self.grammar_field = name
                return name
        return None

    def stream(
        self,
        rendered: Rendered,
        max_tokens: int | None = None,
        cancel: threading.Event | None = None,
        grammar: str | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        extra = {}
        if grammar is not None:
            if self.grammar_field is None:
                raise ModelError("the server does not constrain output with a grammar")
            extra[self.grammar_field] = grammar
        temperature = self.temperature if temperature is None else temperature
        yield from self._stream(
            rendered.messages or [],
            max_tokens or self.max_tokens,
            extra,
            cancel,
            temperature,
            stop or [],
        )

    def _stream(self, messages, max_tokens, extra, cancel, temperature, stop) -> Iterator[str]:
        body = {
            "model": self.cfg.llm_model,
            "messages": messages,
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
            **extra,
        }
        if stop:
            body["stop"] = stop[:4]  # OpenAI's limit
        finished = False
        try:
            with httpx.stream(
                "POST",
                f"{self.url}/chat/completions",
                json=body,
                headers=self.headers,
                timeout=self.cfg.llm_timeout,
            ) as response:
                if response.status_code >= 400:
                    detail = response.read().decode("utf-8", "replace")[:200].replace("\n", " ")
                    raise ModelError(
                        f"the model server answered HTTP {response.status_code}: {detail}"
                    )
                for line in response.iter_lines():
                    if cancel is not None and cancel.is_set():
                        return
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    choice = json.loads(data)["choices"][0]
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        yield piece
                    if choice.get("finish_reason"):
                        finished = True
        except httpx.TimeoutException as exc:
            raise ModelError(f"the model server at {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ModelError(f"could not reach the model server at {self.url}: {exc}") from exc
        except (json.JSONDecodeError, KeyError, IndexError) as exc:
            raise ModelError(f"the model server sent something unreadable: {exc}") from exc
        if not finished:
            raise ModelError("the model server stopped in the middle of the answer")
