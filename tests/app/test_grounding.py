"""Grounding: supported sentences keep or get citations; invented ones are flagged."""

from __future__ import annotations

import pytest

from app.grounding import GroundingChecker

PASSAGES = [
    "Gout is a form of arthritis. It happens when uric acid builds up in the blood and forms "
    "crystals in a joint, often the big toe. Attacks cause sudden pain, swelling and redness.",
    "Glaucoma damages the optic nerve. At first it has no symptoms. Over time people slowly lose "
    "their side vision.",
]


@pytest.fixture(scope="module")
def checker(retriever):
    return GroundingChecker(retriever.embed)


def test_supported_sentences_keep_their_citation(checker):
    r = checker.check(
        "Gout happens when uric acid builds up and forms crystals in a joint [1].", PASSAGES
    )
    assert r.citations == [1] and not r.unsupported


def test_paraphrase_without_citation_gets_one(checker):
    r = checker.check(
        "Over time, people with glaucoma gradually lose their peripheral vision.", PASSAGES
    )
    assert r.sentences[0].supported and r.citations == [2]


def test_wrong_citation_is_repaired(checker):
    r = checker.check("Glaucoma damages the optic nerve [1].", PASSAGES)
    assert r.sentences[0].citations == [2]


def test_invented_claims_are_flagged(checker):
    answer = (
        "Gout is a form of arthritis [1]. The best cure for gout is drinking three liters of "
        "orange juice every morning. A slit-lamp laser removes damaged nerves behind the eye [2]."
    )
    r = checker.check(answer, PASSAGES)
    assert len(r.unsupported) == 2 and r.sentences[0].supported
    assert "⚠️ *The best cure" in r.markdown()


def test_short_fragments_are_not_judged(checker):
    r = checker.check("Yes.", PASSAGES)
    assert r.unsupported == [] and not r.sentences[0].checked
