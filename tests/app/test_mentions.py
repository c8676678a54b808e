"""What a question asks about that its answer never mentions (app.mentions)."""

from __future__ import annotations

import pytest

from app.mentions import (
    ASKED_TERMS,
    absent,
    absent_note,
    asked_terms,
    mention_note,
    unmentioned,
)


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        ("does coffee raise blood pressure", "High blood pressure is common.", ["coffee"]),
        ("does coffee raise blood pressure", "Limit caffeine before the test.", []),
        ("Can I drink Beer with gout?", "Alcohol can trigger gout attacks.", []),
        ("can i take advil with high blood pressure", "Take medicines as prescribed.", ["advil"]),
        (
            "is it safe to take tylenol while pregnant",
            "Ask before taking any medicine.",
            ["tylenol", "pregnant"],
        ),
        ("can i take antibiotics while pregnant", "Antibiotics fight bacteria.", ["pregnant"]),
        ("how do i get steady blood sugar", "Eat regular meals.", []),  # not "tea"
        ("my nose is running, is it a cold", "Colds are caused by viruses.", []),
        ("what causes gout", "Uric acid builds up.", []),
        ("does vaping cause cancer", "Cigarette smoking causes lung cancer.", ["vaping"]),
    ],
)
def test_things_asked_about_that_the_answer_never_mentions(question, answer, missing):
    assert unmentioned(question, answer) == missing


def test_the_note_names_them_as_the_question_did():
    assert mention_note([]) == ""
    one = mention_note(["coffee"])
    assert "does not mention coffee" in one and one.startswith("*") and one.endswith("*")
    assert "tylenol or pregnant" in mention_note(["tylenol", "pregnant"])


def test_each_phrase_belongs_to_one_thing():
    import json

    rows = [json.loads(line) for line in ASKED_TERMS.read_text().splitlines() if line.strip()]
    said = [p.lower() for row in rows for p in row["asked"]]
    assert len(said) == len(set(said)) and len(asked_terms()) == len(rows)


def test_an_answer_that_never_mentions_what_was_asked_says_so(retriever):
    from app.pipeline import Pipeline, PipelineConfig
    from app.ui import chat_text

    pipeline = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = pipeline.ask("Can yoga help with glaucoma?")
    assert ans.citations and "yoga" not in ans.answer.lower()
    assert "does not mention yoga" in ans.note
    assert chat_text(ans).startswith(ans.note) and ans.to_dict()["note"] == ans.note
    plain = pipeline.ask("What are the symptoms of glaucoma?")
    assert plain.citations and plain.note == ""


def test_things_the_sources_never_mention():
    assert absent("symptoms of COVID-19?") == ["covid-19"]
    assert absent("is ozempic safe") == ["ozempic"]
    assert absent("does coffee raise blood pressure") == []  # the sources mention coffee
    assert absent_note([]) == ""
    assert absent_note(["covid"]) == " My sources never mention covid."


def test_what_is_marked_absent_is_in_no_medquad_file(medquad_dir):
    import json
    import re

    from rag.medquad import iter_files

    rows = [json.loads(line) for line in ASKED_TERMS.read_text().splitlines() if line.strip()]
    phrases = [p.lower() for row in rows if row.get("absent") for p in row["asked"]]
    assert "covid" in phrases
    found = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")")
    files = 0
    for _, stem, data in iter_files(medquad_dir):
        files += 1
        match = found.search(data.decode("utf-8", "replace").lower())
        assert match is None, f"{stem} mentions {match.group(0)}"
    assert files > 10_000


def test_a_question_about_something_the_sources_never_mention_is_not_answered(retriever):
    from app.pipeline import NOT_COVERED, Pipeline, PipelineConfig

    pipeline = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = pipeline.ask("what are the symptoms of covid")
    assert ans.not_answered and ans.low_relevance and not ans.citations
    assert ans.answer == NOT_COVERED + " My sources never mention covid."
    # Follow-ups keep the subject of the turn before.
    assert pipeline.ask("how long does it last", ["what is covid"]).not_answered
    # Asked beside a condition the sources know, it is answered, with a note that it is not.
    both = pipeline.ask("can covid raise high blood pressure?")
    assert both.citations and "does not mention covid" in both.note


def test_a_condition_the_index_lacks_is_not_answered_from_its_namesakes(retriever):
    from app.pipeline import NOT_COVERED, Pipeline, PipelineConfig

    pipeline = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = pipeline.ask("is costochondritis serious")
    assert ans.not_answered and not ans.citations
    assert ans.answer == NOT_COVERED + " My sources never mention costochondritis."
    both = pipeline.ask("can costochondritis make asthma worse?")
    assert both.citations and "does not mention costochondritis" in both.note
    assert not pipeline.ask("what are the symptoms of asthma").note
