"""The answer pipeline on the real packaged model and a real small index, in every answer mode."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.model import LocalModel, ModelConfig
from app.pipeline import Pipeline, PipelineConfig
from rag.prompt import NO_ANSWER, Candidate, build_messages, shown_unit


@pytest.fixture(scope="module")
def model():
    return LocalModel(ModelConfig(model="smollm2", max_tokens=96))


@pytest.fixture(scope="module")
def pipeline(retriever, model):
    return Pipeline(retriever, model)


def test_grounded_answer_quotes_the_passages_it_cites(pipeline):
    ans = pipeline.ask("What are the symptoms of glaucoma?")
    assert ans.done and ans.mode == "grounded" and ans.safety == "ok" and not ans.error
    assert ans.raw_answer and ans.citations and not ans.unsupported
    # The guarantee of the mode: each chosen unit is shown verbatim (less a heading its source
    # ran into it: NIHSeniorHealth's "Symptoms of Glaucoma Glaucoma can…"), then its source.
    labels = re.findall(r"\[(\d+)\.(\d+)\]", ans.raw_answer)
    assert 1 <= len(labels) <= 4
    passages = [h.passage for h in ans.sources]
    for source, unit in labels:
        text = passages[int(source) - 1].units[int(unit) - 1]
        shown = shown_unit(Candidate(int(source), int(unit), text), passages)
        assert len(shown) > 0.6 * len(text)
        lead, *items = shown.split("\n")
        assert f"{lead} [{source}]" in ans.answer and all(i in ans.answer for i in items)
    assert {"retrieve_ms", "queue_ms", "ttft_ms", "total_ms"} <= set(ans.timings)


def test_grounded_answer_streams_unit_by_unit(pipeline):
    snapshots = [(a.answer, a.done) for a in pipeline.stream("How is gout treated?")]
    assert snapshots[-1][1] and not snapshots[0][1]
    assert len({text for text, _ in snapshots}) >= 2


def test_a_close_source_below_a_keyword_match_still_counts_as_covered(retriever):
    # The fused ranking can put a keyword match first; the closest of the first sources decides.
    hits = retriever.search("What are the symptoms of glaucoma?", k=3)
    far = [dataclasses.replace(h, cosine=0.2, named=False) for h in hits[:2]]
    close = dataclasses.replace(hits[2], cosine=0.7, named=False)
    deep = Pipeline(retriever, None, PipelineConfig(answer_mode="extract", coverage_depth=3))
    shallow = Pipeline(retriever, None, PipelineConfig(answer_mode="extract", coverage_depth=1))
    assert deep.covered([*far, close]) and not shallow.covered([*far, close])
    assert not deep.covered([*far, dataclasses.replace(close, cosine=0.3)])
    assert not deep.covered([*far, far[0], close])  # fourth: too deep
    # ... and is the source the answer starts from.
    assert deep.close_first([*far, close]) == [close, *far]
    assert deep.close_first([close, *far]) == [close, *far]


def test_extract_mode_needs_no_model(retriever):
    no_model = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = no_model.ask("What are the symptoms of glaucoma?")
    assert ans.mode == "extract" and ans.citations and not ans.raw_answer.startswith("[none")
    assert "glaucoma" in ans.answer.lower()
    with pytest.raises(ValueError, match="needs a model"):
        Pipeline(retriever, None)


def test_free_mode_checks_the_models_own_sentences(pipeline):
    ans = pipeline.ask("How is gout treated?", mode="free")
    assert ans.mode == "free" and ans.raw_answer.strip() and ans.done
    assert {"ttft_ms", "tokens_per_s"} <= set(ans.timings)
    # Every sentence the page shows is either supported (and cited) or marked ⚠️.
    for sentence in ans.unsupported:
        assert f"⚠️ *{sentence}*" in ans.answer


def test_unanswerable_passages_can_be_declined(pipeline, retriever):
    hits = retriever.search("What are the symptoms of glaucoma?", k=5)
    ans = pipeline.ask("What is the capital of France?", mode="grounded", hits=hits)
    # The grammar leaves the model two kinds of answer only: verbatim units, or the fixed line.
    assert ans.answer == NO_ANSWER or ans.citations


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
    assert ans.low_relevance and ans.not_answered and "could not find" in ans.answer
    assert ans.sources and not ans.raw_answer


@pytest.mark.parametrize(
    ("message", "reply"), [("hi", "Hello!"), ("thanks so much!", "You're welcome")]
)
def test_a_greeting_is_greeted_without_a_search(pipeline, message, reply, monkeypatch):
    def fail(*a, **k):
        raise AssertionError("searched")

    monkeypatch.setattr(pipeline.retriever, "search", fail)
    ans = pipeline.ask(message)
    assert ans.safety == "ok" and ans.answer.startswith(reply) and not ans.sources


def test_thanks_with_a_question_is_a_question(pipeline):
    ans = pipeline.ask("thanks! what is gout?")
    assert ans.sources and ans.citations


@pytest.mark.parametrize(
    "question",
    ["私は頭痛がします。どうすればいいですか？", "¿cuáles son los síntomas de la diabetes?"],
)
def test_non_english_is_told_to_ask_in_english(pipeline, question):
    ans = pipeline.ask(question)
    assert ans.done and ans.low_relevance and "in English" in ans.answer


def test_prompt_is_budgeted_and_question_kept(retriever):
    small = Pipeline(retriever, LocalModel(ModelConfig(model="smollm2", ctx=512, max_tokens=64)))
    question = "What are the symptoms of asthma and how is it treated?"
    passages = [h.passage for h in retriever.search(question, k=5)]
    kept = small.budget_passages(question, passages)
    prompt = small.model.render(build_messages(question, kept)).prompt
    assert small.model.count_tokens(prompt) <= 512 - 64
    assert question in prompt and 0 < len(kept) <= 5
    assert small.ask(question, mode="free").done


def test_follow_up_asks_about_the_conversations_condition(pipeline):
    history = ["My husband's big toe is red and swollen and the doctor says it's gout."]
    ans = pipeline.ask("How is it treated?", history, mode="extract")
    top = ans.sources[0].passage
    assert top.focus == "Gout" and top.qtype == "treatment"


def test_a_dose_in_a_free_answer_is_replaced(pipeline, monkeypatch):
    from app.safety import DOSE_REMOVED

    def fake_stream(rendered, **kwargs):
        yield "Gout attacks are treated with medicines [1]. Take 800 mg of ibuprofen every 8 hours."

    monkeypatch.setattr(pipeline.model, "stream", fake_stream)
    ans = pipeline.ask("How is gout treated?", mode="free")
    assert DOSE_REMOVED in ans.answer and "800 mg" not in ans.answer


def test_a_model_looping_on_citation_marks_falls_back_to_the_sources(pipeline, monkeypatch):
    # What an adapter trained mostly for grounded mode wrote in free mode before this was fixed.
    def fake_stream(rendered, **kwargs):
        yield "[1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12]"

    monkeypatch.setattr(pipeline.model, "stream", fake_stream)
    ans = pipeline.ask("How is gout treated?", mode="free")
    assert ans.timings.get("fallback") and "What the sources say" in ans.answer
    assert "[2]" not in ans.answer and ans.answer.lstrip().startswith("**What the sources say")


def test_two_generations_never_overlap(pipeline, model, monkeypatch):
    spans = []
    original = model.llm.create_completion

    def timed(*args, **kwargs):
        start = time.perf_counter()
        yield from original(*args, **kwargs)
        spans.append((start, time.perf_counter()))

    monkeypatch.setattr(model.llm, "create_completion", timed)
    results = {}
    threads = [
        threading.Thread(target=lambda q=q: results.setdefault(q, pipeline.ask(q, mode="free")))
        for q in ["What is gout?", "What is asthma?"]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == 2 and all(r.done and r.raw_answer for r in results.values())
    spans.sort()
    assert len(spans) == 2 and spans[0][1] <= spans[1][0]  # one after the other


def test_the_best_source_about_the_named_condition_has_its_own_threshold(retriever, model):
    assert retriever.search("What is gout?", k=1)[0].named
    lenient = PipelineConfig(min_cosine=0.99, min_cosine_named=0.0)
    assert not Pipeline(retriever, model, lenient).ask("What is gout?").low_relevance
    assert not Pipeline(retriever, model, lenient).ask("how do I stay healthy?").citations
    strict = PipelineConfig(min_cosine=0.0, min_cosine_named=0.99)
    assert Pipeline(retriever, model, strict).ask("What is gout?").low_relevance


def test_echoed_passage_titles_are_dropped():
    from app.pipeline import drop_echoed_titles

    text = (
        "1. Glaucoma — symptoms\nIt has no early symptoms [1].\n[2] Gout — treatment:\nRest helps."
    )
    assert drop_echoed_titles(text, ["Glaucoma — symptoms", "Gout — treatment"]) == (
        "It has no early symptoms [1].\nRest helps."
    )


def test_context_is_clamped_to_what_the_model_was_trained_on():
    model = LocalModel(ModelConfig(model="smollm2", ctx=16_384, max_tokens=16))
    assert model.n_ctx == 8192  # SmolLM2-135M's trained context


def test_a_model_failure_while_streaming_is_an_answer_not_a_crash(pipeline, monkeypatch):
    from app.model import ModelError

    def broken(rendered, **kwargs):
        yield "Gout is"
        raise ModelError("llama_decode returned -1")

    def broken_pick(prompt, options, stop=False, handicap=None):
        raise ModelError("llama_decode returned -1")

    monkeypatch.setattr(pipeline.model, "stream", broken)
    monkeypatch.setattr(pipeline.model, "pick", broken_pick)  # grounded answers pick units
    for mode in ("grounded", "free"):
        ans = pipeline.ask("How is gout treated?", mode=mode)
        assert ans.done and "ModelError" in ans.error and "went wrong" in ans.answer
    monkeypatch.undo()
    assert pipeline.ask("How is gout treated?").citations  # and it keeps answering


def test_every_source_trimmed_away_gives_a_message(retriever):
    tiny = Pipeline(retriever, LocalModel(ModelConfig(model="smollm2", ctx=256, max_tokens=200)))
    ans = tiny.ask("What are the symptoms of asthma?", mode="free")
    assert ans.done and ans.error and "context" in ans.error


def test_stop_ends_generation_within_a_few_tokens(pipeline):
    cancel = threading.Event()
    pieces_after_stop = 0
    for count, ans in enumerate(
        pipeline.stream("Tell me about asthma", cancel=cancel, mode="free")
    ):
        if cancel.is_set() and not ans.done:
            pieces_after_stop += 1
        if count == 3:
            cancel.set()
    assert ans.done and pieces_after_stop <= 5
    # The model is free again at once: the next question is answered.
    assert pipeline.ask("What is gout?").citations


def test_an_answer_closed_from_another_thread_frees_the_model(pipeline):
    # What Gradio does on Stop: the answer was advanced on a worker thread and is closed on
    # the event-loop thread; the next question, on yet another thread, must get the model.
    stream = pipeline.stream("Tell me about asthma", mode="free")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: [next(stream) for _ in range(3)]).result()
    stream.close()
    with ThreadPoolExecutor(1) as pool:
        ans = pool.submit(pipeline.ask, "What is gout?").result(timeout=120)
    assert ans.done and ans.citations and not ans.error


def test_a_long_message_can_be_read_by_what_it_asks(retriever, model):
    message = (
        "My husband is 58 and woke up at 3am with his big toe hot and swollen. The urgent care "
        "doctor said it is probably gout and gave him pills. He has never had this before. "
        "How is it treated?"
    )
    typed = Pipeline(retriever, model, PipelineConfig(prompt_question="message"))
    assert typed._prompt_question(message, []) == message
    asked = Pipeline(retriever, model)  # the default
    short = asked._prompt_question(message, [])
    assert "gout" in short and short.endswith(": How is it treated?")
    ans = asked.ask(message)
    assert ans.done and ans.citations and not ans.error


@pytest.mark.parametrize("stay", [True, False])
def test_an_answer_that_quotes_the_named_condition_stays_on_it(retriever, model, stay):
    import dataclasses

    from rag.prompt import SelectionConfig

    hits = retriever.search("How is gout treated?", k=3)
    assert len({h.passage.record_id for h in hits}) == 3
    # Only the first source is about the condition the message names.
    hits = [dataclasses.replace(h, named=i == 0) for i, h in enumerate(hits)]
    pipe = Pipeline(retriever, model, PipelineConfig(selection=SelectionConfig(stay_on_focus=stay)))
    offered_later: list[str] = []
    real_pick = model.pick

    def first_picks_the_named_source(prompt, options, stop=False, handicap=None):
        if not stop:  # the first step: the first unit of source 1 (option 0 is [none])
            return next(i for i, o in enumerate(options) if o.startswith("[1."))
        offered_later.extend(options)
        return real_pick(prompt, options, stop, handicap)

    model.pick = first_picks_the_named_source
    try:
        ans = pipe.ask("How is gout treated?", hits=hits)
    finally:
        del model.pick
    assert ans.raw_answer.startswith("[1.") and offered_later
    off_focus = [o for o in offered_later if not o.strip().startswith("[1.")]
    assert not off_focus if stay else off_focus
    assert ans.citations == [1] if stay else 1 in ans.citations


@pytest.mark.parametrize("together", [True, False])
def test_an_answer_that_opens_on_one_condition_can_stay_on_it(retriever, model, together):
    from rag.prompt import SelectionConfig

    hits = [retriever.search("How is gout treated?", k=1)[0]]
    hits.append(retriever.search("How is asthma treated?", k=1)[0])
    hits = [dataclasses.replace(h, named=False) for h in hits]  # neither is named
    cfg = PipelineConfig(selection=SelectionConfig(stay_on_condition=together))
    offered_later: list[str] = []
    real_pick = model.pick

    def first_picks_source_1(prompt, options, stop=False, handicap=None):
        if not stop:
            return next(i for i, o in enumerate(options) if o.startswith("[1."))
        offered_later.extend(options)
        return real_pick(prompt, options, stop, handicap)

    model.pick = first_picks_source_1
    try:
        ans = Pipeline(retriever, model, cfg).ask("How is gout treated?", hits=hits)
    finally:
        del model.pick
    assert ans.raw_answer.startswith("[1.") and offered_later
    other = [o for o in offered_later if o.strip().startswith("[2.")]
    assert not other if together else other


@pytest.mark.parametrize("on_none", ["decline", "hedge"])
def test_a_none_from_the_model_declines_or_hedges(retriever, model, on_none):
    from app.pipeline import HEDGE_NOTE
    from rag.prompt import NONE_LABEL

    real_pick = model.pick
    offered: list[list[str]] = []

    def none_when_offered(prompt, options, stop=False, handicap=None):
        offered.append(list(options))
        if NONE_LABEL in options:
            return options.index(NONE_LABEL)
        return real_pick(prompt, options, stop, handicap)

    model.pick = none_when_offered
    try:
        ans = Pipeline(retriever, model, PipelineConfig(on_none=on_none)).ask(
            "How is gout treated?"
        )
    finally:
        del model.pick
    if on_none == "decline":
        assert ans.not_answered and ans.answer == NO_ANSWER and not ans.citations
        assert ans.note == "" and len(offered) == 1
        return
    # The units the model would quote next, under a note that they may not answer.
    assert not ans.not_answered and ans.citations and ans.note == HEDGE_NOTE
    assert ans.raw_answer.startswith("[none] [") and "ttft_ms" in ans.timings
    assert all(NONE_LABEL not in options for options in offered[1:])


@pytest.mark.parametrize("named_first", [True, False])
def test_sources_about_the_named_condition_can_come_first(retriever, named_first):
    hits = retriever.search("How is gout treated?", k=1)
    hits.append(retriever.search("How is asthma treated?", k=1)[0])
    hits = [dataclasses.replace(h, named=i == 1) for i, h in enumerate(hits)]  # only asthma
    cfg = PipelineConfig(answer_mode="extract", named_first=named_first)
    ans = Pipeline(retriever, None, cfg).ask("How is gout treated?", hits=hits)
    order = [h.passage.record_id for h in ans.sources]
    expected = [hits[1], hits[0]] if named_first else hits
    assert order == [h.passage.record_id for h in expected]
    assert ans.citations and not ans.not_answered


def test_a_warning_sign_gets_a_see_a_doctor_note(retriever):
    extract = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = extract.ask("is it normal to bleed a little after menopause?")
    assert ans.safety == "ok" and ans.note.startswith("**Please see a doctor about this.**")
    assert "after menopause" in ans.note
    assert extract.ask("What is gout?").note == ""
