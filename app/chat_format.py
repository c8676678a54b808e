"""Rendering chat messages into the prompt text a given model was trained on.

Order of choice: ``--chat-format`` if given; else the template in the GGUF's metadata; else the
known format of the model's architecture. A model with none of these is refused with a clear
message rather than silently given a format it never saw (llama-cpp-python would pick llama-2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMATS = ("template", "chatml", "gemma", "plain")
# Architectures with no template in their GGUF whose format is known.
ARCHITECTURE_FORMATS = {"gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gpt2": "plain"}


class ChatFormatError(ValueError):
    pass


@dataclass
class Rendered:
    prompt: str
    stop: list[str] = field(default_factory=list)


def _fold_system(messages: list[dict]) -> list[dict]:
    """Gemma has no system role: its text leads the first user turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


def render_gemma(messages: list[dict]) -> Rendered:
    turns = []
    for m in _fold_system(messages):
        role = "model" if m["role"] == "assistant" else "user"
        turns.append(f"<start_of_turn>{role}\n{m['content']}<end_of_turn>\n")
    return Rendered("".join(turns) + "<start_of_turn>model\n", ["<end_of_turn>"])


def render_chatml(messages: list[dict]) -> Rendered:
    turns = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    return Rendered("".join(turns) + "<|im_start|>assistant\n", ["<|im_end|>"])


def render_plain(messages: list[dict]) -> Rendered:
    """For models with no chat format at all (GPT-2): instructions, then Answer: to complete."""
    parts = []
    for m in messages:
        if m["role"] == "assistant":
            parts.append(f"Answer: {m['content']}")
        else:
            parts.append(m["content"])
    return Rendered("\n\n".join(parts) + "\n\nAnswer:", ["\n\nQuestion:", "\n\nSources:"])


class ChatFormatter:
    """Turns messages into prompt text for one loaded model."""

    def __init__(
        self,
        metadata: dict[str, str],
        chat_format: str | None = None,
        bos_token: str = "",
        eos_token: str = "",
    ) -> None:
        template = metadata.get("tokenizer.chat_template") or ""
        arch = metadata.get("general.architecture", "unknown")
        if chat_format is None:
            chat_format = "template" if template else ARCHITECTURE_FORMATS.get(arch)
            if chat_format is None:
                raise ChatFormatError(
                    f"the model ({arch}) has no chat template in its GGUF and no known format; "
                    f"pass --chat-format with one of {', '.join(FORMATS[1:])}"
                )
        if chat_format not in FORMATS:
            raise ChatFormatError(f"unknown chat format {chat_format!r}; choose from {FORMATS}")
        if chat_format == "template" and not template:
            raise ChatFormatError("--chat-format template, but the GGUF has no chat template")
        self.name = chat_format
        self._jinja = None
        if chat_format == "template":
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            self._jinja = Jinja2ChatFormatter(
                template=template, eos_token=eos_token, bos_token=bos_token
            )
            self._eos = eos_token

    def render(self, messages: list[dict]) -> Rendered:
        if self._jinja is not None:
            out = self._jinja(messages=messages)
            stop = out.stop if isinstance(out.stop, list) else [out.stop] if out.stop else []
            return Rendered(out.prompt, [s for s in {*stop, self._eos} if s])
        return {"chatml": render_chatml, "gemma": render_gemma, "plain": render_plain}[self.name](
            messages
        )
