"""Rendering chat messages into the prompt text a given model was trained on.

Order of choice: ``--chat-format`` if given; else the template in the GGUF's metadata; else the
template of the model's architecture (``rag.architectures``, the same one training uses). A
model with none of these is refused with a clear message rather than silently given a format it
never saw (llama-cpp-python would pick llama-2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.architectures import CHAT_TEMPLATES, END_OF_TURN, EXTRA_STOPS, chat_format_for_gguf

FORMATS = ("template", *CHAT_TEMPLATES)


class ChatFormatError(ValueError):
    pass


@dataclass
class Rendered:
    prompt: str  # the text the model continues
    stop: list[str] = field(default_factory=list)  # where generation ends
    messages: list[dict] | None = None  # the messages it was rendered from


class ChatFormatter:
    """Turns messages into prompt text for one loaded model."""

    def __init__(
        self,
        metadata: dict[str, str],
        chat_format: str | None = None,
        bos_token: str = "",
        eos_token: str = "",
    ) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        own = metadata.get("tokenizer.chat_template") or ""
        arch = metadata.get("general.architecture", "unknown")
        if chat_format is None:
            chat_format = "template" if own else chat_format_for_gguf(arch)
            if chat_format is None:
                raise ChatFormatError(
                    f"the model ({arch}) has no chat template in its GGUF and no known format; "
                    f"pass --chat-format with one of {', '.join(FORMATS[1:])}"
                )
        if chat_format not in FORMATS:
            raise ChatFormatError(f"unknown chat format {chat_format!r}; choose from {FORMATS}")
        if chat_format == "template" and not own:
            raise ChatFormatError("--chat-format template, but the GGUF has no chat template")
        self.name = chat_format
        template = own if chat_format == "template" else CHAT_TEMPLATES[chat_format]
        self._jinja = Jinja2ChatFormatter(
            template=template, eos_token=eos_token, bos_token=bos_token
        )
        stops = [END_OF_TURN.get(chat_format, ""), *EXTRA_STOPS.get(chat_format, []), eos_token]
        self.stop = list(dict.fromkeys(s for s in stops if s))

    def render(self, messages: list[dict]) -> Rendered:
        out = self._jinja(messages=messages)
        own = [s for s in (out.stop if isinstance(out.stop, list) else [out.stop]) if s]
        return Rendered(out.prompt, list(dict.fromkeys([*self.stop, *own])), messages)
