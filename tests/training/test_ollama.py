"""The Ollama Modelfile renders a conversation exactly as the app does."""

from __future__ import annotations

import re

import pytest

from app.chat_format import ChatFormatter
from rag.architectures import CHAT_TEMPLATES
from training.export_gguf import write_modelfile


def go_template(template: str, system: str, prompt: str) -> str:
    """The subset of Go's text/template the Modelfiles use: if/else/end and three fields."""
    pattern = re.compile(r"\{\{ if \.System \}\}(.*?)(?:\{\{ else \}\}(.*?))?\{\{ end \}\}", re.S)
    text = pattern.sub(lambda m: m.group(1) if system else (m.group(2) or ""), template)
    text = text.replace("{{ .System }}", system).replace("{{ .Prompt }}", prompt)
    return text.split("{{ .Response }}")[0]


@pytest.mark.parametrize("chat_format", sorted(CHAT_TEMPLATES))
def test_modelfile_matches_the_apps_rendering(chat_format, tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"")
    modelfile = write_modelfile(tmp_path, gguf, chat_format, adapter=tmp_path / "adapter.gguf")
    text = modelfile.read_text()
    assert text.startswith(f"FROM {gguf}") and f"ADAPTER {tmp_path / 'adapter.gguf'}" in text
    system = re.search(r'SYSTEM """(.*?)"""', text, re.S).group(1)
    template = re.search(r'TEMPLATE """(.*?)"""', text, re.S).group(1)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "What is gout?"}]
    app = ChatFormatter({"general.architecture": "x"}, chat_format).render(messages).prompt
    assert go_template(template, system, "What is gout?") == app
    if chat_format != "plain":
        assert 'PARAMETER stop "' in text
