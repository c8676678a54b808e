"""The benchmark's own faithfulness check fails on perturbed sentences and passes true copies."""

from __future__ import annotations

import pytest

from bench.answer_metrics import faithful, score_answer, sentences, token_f1

PASSAGE = (
    "Glaucoma damages the optic nerve. At first it has no symptoms. An eye exam every 1 to 2 "
    "years is advised after age 60.\nSymptoms include:\n- loss of side vision\n- eye pain"
)


@pytest.mark.parametrize(
    "sentence",
    [
        "Glaucoma damages the optic nerve.",
        "At first it has no symptoms.",
        "An eye exam every 1 to 2 years is advised after age 60.",
        "Symptoms include: loss of side vision eye pain",
    ],
)
def test_copies_are_faithful(sentence):
    assert faithful(sentence, [PASSAGE])


@pytest.mark.parametrize(
    "sentence",
    [
        "At first it has symptoms.",  # negation flipped
        "An eye exam every 3 to 4 years is advised after age 60.",  # numbers changed
        "Glaucoma damages the auditory nerve.",  # entity swapped
        "Glaucoma is caused by too much screen time.",  # on topic, never said
    ],
)
def test_perturbed_sentences_are_not(sentence):
    assert not faithful(sentence, [PASSAGE])


def test_citations_cover_what_they_follow_and_list_items():
    answer = (
        "Glaucoma damages the optic nerve. [1] Its symptoms include: [2]\n\n- loss of side vision"
    )
    found = sentences(answer)
    assert found == [
        ("Glaucoma damages the optic nerve.", [1]),
        ("Its symptoms include:", [2]),
        ("loss of side vision", [1, 2]),
    ]


def test_off_focus_copy_is_faithful_but_not_on_focus():
    sources = [{"record_id": "b", "focus": "Cataract", "text": "Cataracts cloud the lens."}]
    m = score_answer("Cataracts cloud the lens. [1]", sources, {"a"}, {"glaucoma"}, ["Glaucoma x"])
    assert m["faithfulness"] == 1.0 and m["on_focus"] == 0.0 and m["gold_cited"] == 0.0


def test_token_f1():
    assert token_f1("a b c d", "a b") == pytest.approx(2 * 1 * 0.5 / 1.5)
