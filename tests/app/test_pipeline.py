"""The answer pipeline on the real packaged model and a real small index."""

from __future__ import annotations

import threading

import pytest

from app.model import LocalModel, ModelConfig
from app.pipeline import Pipeline, PipelineConfig, retrieval_query


@pytest.fixture(scope="module")
def pipeline(retriever):
    return Pipeline(retriever, LocalModel(ModelConfig(max_tokens=96)))


def test_answer_is_cited_and_sourced(pipeline):
    ans = pipeline.ask("What are the symptoms of glaucoma?")
    assert ans.done and ans.safety == "ok" and not ans.low_relevance
    assert ans.raw_answer.strip()
    assert ans.citations and all(1 <= c <= len(ans.sources) for c in ans.citations)
    assert all(s["url"].startswith("http") for s in ans.sources)
    assert any("Glaucoma" in s["title"] for s in ans.sources)
    assert {"retrieve_ms", "ttft_ms", "tokens_per_s", "total_ms"} <= set(ans.timings)


def test_stream_grows_then_finishes(pipeline):
    snapshots = [(a.answer, a.done) for a in pipeline.stream("How is gout treated?")]
    assert len(snapshots) > 3 and snapshots[-1][1] and not snapshots[0][1]


@pytest.mark.parametrize(
    "question,outcome",
    [
        ("I have crushing chest pain right now", "emergency"),
        ("how many mg of ibuprofen should I give my 4 year old", "dosing"),
    ],
)
def test_safety_never_reaches_the_model(pipeline, question, outcome, monkeypatch):
    def fail(*a, **k):
        raise AssertionError("the model was called")

    monkeypatch.setattr(pipeline.model, "stream", fail)
    monkeypatch.setattr(pipeline.retriever, "search", fail)
    ans = pipeline.ask(question)
    assert ans.safety == outcome and ans.answer and not ans.sources


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 20000])
def test_bad_input_gets_a_message(pipeline, question):
    ans = pipeline.ask(question)
    assert ans.safety == "invalid" and ans.answer and not ans.raw_answer


def test_off_topic_says_not_in_sources(pipeline):
    ans = pipeline.ask("Who won the football world cup in 1998?")
    assert ans.low_relevance and "could not find" in ans.answer and ans.sources
    assert not ans.raw_answer


def test_non_english_is_handled(pipeline):
    ans = pipeline.ask("私は頭痛がします。どうすればいいですか？")
    assert ans.done and ans.answer


def test_prompt_is_budgeted_and_question_kept(retriever):
    small = Pipeline(retriever, LocalModel(ModelConfig(ctx=512, max_tokens=64)))
    question = "What are the symptoms of asthma and how is it treated?"
    hits = retriever.search(question, k=5)
    sources = small.budget_sources(question, hits)
    prompt = small.model.render(
        __import__("rag.prompt", fromlist=["build_messages"]).build_messages(question, sources)
    ).prompt
    assert small.model.count_tokens(prompt) <= 512 - 64
    assert question in prompt and 0 < len(sources) <= 5
    assert small.ask(question).done


def test_follow_up_uses_the_conversation():
    assert (
        retrieval_query("what causes it?", ["Tell me about gout"])
        == "Tell me about gout what causes it?"
    )
    assert retrieval_query("How is asthma diagnosed in adults today?", ["gout"]).startswith("How")


def test_concurrent_questions_are_serialised(pipeline):
    results = {}

    def ask(q):
        results[q] = pipeline.ask(q)

    threads = [
        threading.Thread(target=ask, args=(q,)) for q in ["What is gout?", "What is asthma?"]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(r.done and r.raw_answer for r in results.values()) and len(results) == 2


def test_config_threshold_is_used(retriever, pipeline):
    strict = Pipeline(retriever, pipeline.model, PipelineConfig(min_similarity=0.99))
    assert strict.ask("What is gout?").low_relevance


def test_echoed_passage_titles_are_dropped():
    from app.pipeline import drop_echoed_titles

    text = (
        "1. Glaucoma — symptoms\nIt has no early symptoms [1].\n[2] Gout — treatment:\nRest helps."
    )
    assert drop_echoed_titles(text, ["Glaucoma — symptoms", "Gout — treatment"]) == (
        "It has no early symptoms [1].\nRest helps."
    )


def test_context_is_clamped_to_what_the_model_was_trained_on():
    model = LocalModel(ModelConfig(ctx=16_384, max_tokens=16))
    assert model.n_ctx == 8192  # SmolLM2-135M's trained context
