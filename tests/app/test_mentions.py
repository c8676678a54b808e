"""What a question asks about that its answer never mentions (app.mentions)."""

from __future__ import annotations

import pytest

from app.mentions import (
    ASKED_TERMS,
    MEDICINES,
    absent,
    absent_note,
    asked_terms,
    mention_note,
    respelled,
    unmentioned,
)


def rows() -> list[dict]:
    import json

    lines = [*ASKED_TERMS.read_text().splitlines(), *MEDICINES.read_text().splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


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
    said = [p.lower() for row in rows() for p in row["asked"]]
    assert len(said) == len(set(said)) and len(asked_terms()) == len(rows())


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        # MedQuAD has no drug pages: what causes a cough says nothing of lisinopril.
        (
            "does lisinopril cause a dry cough?",
            "Coughing occurs when nerves are irritated.",
            ["lisinopril"],
        ),
        ("Can Lipitor cause muscle pain?", "Statins such as atorvastatin can.", []),  # brand
        ("metforman upset stomach normal??", "Indigestion is common.", ["metformin"]),
        ("is lexipro making me tired", "Fatigue has many causes.", ["lexapro"]),
        ("do allergy pills help", "Allergies are common.", []),  # an English word stays
    ],
)
def test_medicines_asked_about_by_any_name_or_misspelled(question, answer, missing):
    assert unmentioned(question, answer) == missing


def test_a_medicine_in_a_message_s_background_is_what_its_question_asks_about():
    message = "so ive been on lisinipril for 2 months. could that cause my cough?"
    asked = "could that cause my cough?"  # the message's question sentence
    assert unmentioned(asked, "A cough clears the airways.", message) == ["lisinopril"]
    # Other things stay asked about only in the question sentences.
    message = "I drink coffee every day. What are the symptoms of gout?"
    assert unmentioned("What are the symptoms of gout?", "Gout hurts.", message) == []


def test_respelling_fixes_only_names_listed():
    assert respelled("My Synthriod and my Gabapenten") == "my synthroid and my gabapentin"
    assert respelled("allergy, allegra and a metal taste") == "allergy, allegra and a metal taste"


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
    # A page whose answers MedQuAD removed (A.D.A.M.'s) is absent however it is written.
    assert absent("my toddler has hand, foot and mouth disease") == ["hand, foot and mouth disease"]
    assert absent("tonsil stones how to get rid") == ["tonsil stones"]  # not kidney stones
    assert absent("is hand-foot-mouth contagious") == ["hand-foot-mouth"]
    assert absent("is ozempic safe") == ["ozempic"]
    assert absent("does coffee raise blood pressure") == []  # the sources mention coffee
    # Given an index's words, whatever uses a word it never does: most brand names.
    words = {"metformin": 36, "magnesium": 400, "eliquis": 0}
    assert absent("is eliquis safe with metformin", words) == ["eliquis"]
    assert absent("magnesium glycinate or metformin?", words) == ["magnesium glycinate"]
    assert absent("is eliquis safe") == []  # without an index, only rows marked absent
    assert absent_note([]) == ""
    assert absent_note(["covid"]) == " My sources never mention covid."


def test_what_is_marked_absent_is_in_no_medquad_answer(medquad_dir):
    import re

    from rag.medquad import iter_files, parse_document

    phrases = [p.lower() for row in rows() if row.get("absent") for p in row["asked"]]
    assert "covid" in phrases
    found = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")")
    files = 0
    for folder, stem, data in iter_files(medquad_dir):
        files += 1
        # Every question, answer, focus and synonym of the file: what an index is built from.
        # A file whose answers were removed (A.D.A.M.'s, for copyright) names its focus only.
        for pair in parse_document(data, folder, stem):
            if pair["answer"].strip():
                text = " ".join(str(v) for v in pair.values()).lower()
                match = found.search(text)
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
    # A medicine the sources never name (MedQuAD has no drug pages), by any of its names.
    drug = pipeline.ask("what are the side effects of prilosec")
    assert drug.not_answered and drug.answer.endswith("My sources never mention prilosec.")
    # One of a kind MedlinePlus has a page about is answered from that page, saying it is not
    # named there (rag/data/lay_terms.jsonl: "norvasc" -> Blood Pressure Medicines).
    kind = pipeline.ask("what are the side effects of norvasc")
    assert kind.citations and "does not mention norvasc" in kind.note
    assert kind.sources[0].passage.focus == "Blood Pressure Medicines"
    both = pipeline.ask("can amlodipine lower high blood pressure too much?")
    assert both.citations and "does not mention amlodipine" in both.note


def test_a_condition_the_index_lacks_is_not_answered_from_its_namesakes(retriever):
    from app.pipeline import NOT_COVERED, Pipeline, PipelineConfig

    pipeline = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    ans = pipeline.ask("is costochondritis serious")
    assert ans.not_answered and not ans.citations
    assert ans.answer == NOT_COVERED + " My sources never mention costochondritis."
    both = pipeline.ask("can costochondritis make asthma worse?")
    assert both.citations and "does not mention costochondritis" in both.note
    assert not pipeline.ask("what are the symptoms of asthma").note
