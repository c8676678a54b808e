"""Chat formats: the GGUF template wins, architectures fall back correctly, nothing silently."""

from __future__ import annotations

import pytest

from app.chat_format import ChatFormatError, ChatFormatter

MESSAGES = [
    {"role": "system", "content": "Be careful."},
    {"role": "user", "content": "What is gout?"},
]


def test_gemma_folds_system_into_first_user_turn():
    r = ChatFormatter({"general.architecture": "gemma3"}).render(MESSAGES)
    assert r.prompt == (
        "<start_of_turn>user\nBe careful.\n\nWhat is gout?<end_of_turn>\n<start_of_turn>model\n"
    )
    assert "system" not in r.prompt and r.stop == ["<end_of_turn>"]


def test_gpt2_gets_plain_completion_format():
    r = ChatFormatter({"general.architecture": "gpt2"}).render(MESSAGES)
    assert r.prompt.endswith("What is gout?\nAnswer:")


def test_template_from_metadata_is_used():
    template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>"
    )
    meta = {"general.architecture": "llama", "tokenizer.chat_template": template}
    f = ChatFormatter(meta)
    assert f.name == "template"
    assert f.render(MESSAGES).prompt == "<|system|>Be careful.<|user|>What is gout?<|assistant|>"


def test_override_beats_template():
    meta = {"general.architecture": "llama", "tokenizer.chat_template": "{{ x }}"}
    assert ChatFormatter(meta, "chatml").render(MESSAGES).prompt.startswith("<|im_start|>system")


def test_unknown_architecture_without_template_is_refused():
    with pytest.raises(ChatFormatError, match="--chat-format"):
        ChatFormatter({"general.architecture": "mamba"})
