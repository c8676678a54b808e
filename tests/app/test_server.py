"""End to end through a real server: the /ask API and the chat, driven by gradio_client."""

from __future__ import annotations

import pytest
from gradio_client import Client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server["url"], verbose=False)


def test_ask_returns_cited_json(client):
    res = client.predict("What are the symptoms of glaucoma?", [], api_name="/ask")
    assert set(res) >= {"answer", "citations", "sources", "unsupported", "safety", "timings"}
    assert res["safety"] == "ok" and res["mode"] == "grounded" and res["answer"]
    assert res["citations"] and not res["error"]
    numbers = {s["number"] for s in res["sources"]}
    assert set(res["citations"]) <= numbers
    for s in res["sources"]:
        assert s["url"].startswith("http") and s["record_id"] and s["title"] and "cosine" in s
    assert res["timings"]["retrieve_ms"] > 0 and res["timings"]["ttft_ms"] > 0


def test_ask_safety_and_bad_input(client):
    sign = client.predict("blood in my pee this morning, no pain", [], "extract", api_name="/ask")
    assert sign["safety"] == "ok" and "Please see a doctor" in sign["note"]
    assert client.predict("my husband can't breathe", [], api_name="/ask")["safety"] == "emergency"
    assert client.predict("", [], api_name="/ask")["safety"] == "invalid"


def test_chat_endpoint_streams_an_answer(client):
    box, chat, panel = client.predict("How is gout treated?", [], "grounded", api_name="/chat")
    # The box is emptied at the first step and left alone after (what is typed meanwhile stays).
    assert box in ("", {"__type__": "update"})
    assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
    text = chat[-1]["content"]
    text = text if isinstance(text, str) else " ".join(c.get("text", "") for c in text)
    assert "[" in text and "mg-card" in panel and "http" in panel


def test_ask_can_choose_the_answer_mode(client):
    res = client.predict("What is gout?", [], "extract", api_name="/ask")
    assert res["mode"] == "extract" and res["citations"]
    bad = client.predict("What is gout?", [], "poetry", api_name="/ask")
    assert bad["safety"] == "invalid" and "answer mode" in bad["answer"]
