"""The grounded answer format: numbered units in, numbers out, verbatim cited units shown."""

from __future__ import annotations

from rag.passage import Passage
from rag.prompt import (
    NO_ANSWER,
    Candidate,
    SelectionConfig,
    all_candidates,
    build_grounded_messages,
    grounded_target,
    parse_choices,
    render_choices,
    select_candidates,
)


def passage(
    n: int, text: str, focus: str = "Gout", qtype: str = "treatment", source: str = "NIH"
) -> Passage:
    return Passage(
        id=f"r{n}:0",
        record_id=f"r{n}",
        chunk=0,
        title=f"{focus} — {qtype}",
        text=text,
        question="?",
        qtype=qtype,
        focus=focus,
        url="https://example.org",
        source=source,
    )


PASSAGES = [
    passage(1, "Gout is treated with medicines. Treatment includes:\n- rest\n- ice"),
    passage(2, "Asthma is a lung disease. It narrows the airways.", "Asthma", "information"),
]


def test_units_are_numbered_per_passage():
    labels = [c.label for c in all_candidates(PASSAGES)]
    assert labels == ["[1.1]", "[1.2]", "[2.1]", "[2.2]"]


def test_prompt_shows_question_then_numbered_units():
    candidates = all_candidates(PASSAGES)
    messages = build_grounded_messages("how do you treat gout", PASSAGES, candidates)
    user = messages[1]["content"]
    assert user.startswith("Question: how do you treat gout\n\nSources:\n[1] Gout — treatment")
    assert "[1.2] Treatment includes:\n- rest\n- ice" in user
    assert user.endswith("Question: how do you treat gout")


def test_selection_prefers_units_that_share_the_question_words():
    cfg = SelectionConfig(max_chars=70, lead_bonus=0, rank_decay=0)
    chosen = select_candidates("how is gout treated", PASSAGES, cfg)
    assert [c.label for c in chosen] == ["[1.1]", "[1.2]"]  # asthma's units did not fit
    assert sum(len(c.text) for c in chosen) <= 70


def test_parse_takes_offered_labels_once_and_at_most_four():
    candidates = all_candidates(PASSAGES)
    chosen = parse_choices("[1.2] [9.9] [1.2] [2.1] [1.1] [2.2] [x]", candidates)
    assert [c.label for c in chosen] == ["[1.2]", "[2.1]", "[1.1]", "[2.2]"]
    assert parse_choices("[none]", candidates) is None
    assert parse_choices("I think the answer is rest", candidates) is None


def test_render_is_verbatim_and_cited():
    candidates = {c.label: c for c in all_candidates(PASSAGES)}
    text = render_choices([candidates["[1.1]"], candidates["[1.2]"], candidates["[2.1]"]])
    assert text == (
        "Gout is treated with medicines. [1]\n\n"
        "Treatment includes: [1]\n\n- rest\n- ice\n\n"
        "Asthma is a lung disease. [2]"
    )
    assert render_choices(None) == NO_ANSWER


def test_a_sentence_after_a_one_item_list_starts_a_paragraph():
    passages = [passage(1, "Care involves:\n- washing the feet daily"), PASSAGES[1]]
    candidates = {c.label: c for c in all_candidates(passages)}
    text = render_choices([candidates["[1.1]"], candidates["[2.1]"]])
    assert text == "Care involves: [1]\n\n- washing the feet daily\n\nAsthma is a lung disease. [2]"


def test_target_format():
    c = Candidate(2, 1, "x")
    assert grounded_target([c, Candidate(2, 3, "y")]) == "[2.1] [2.3]"
    assert grounded_target([]) == "[none]"


def test_a_unit_two_sources_share_is_offered_once():
    same = "Gout is treated with medicines."
    passages = [passage(1, f"{same} Rest helps."), passage(2, f"{same}  Ice helps too.")]
    offered = [c.text for c in select_candidates("how is gout treated", passages)]
    assert offered.count(same) == 1 and "Ice helps too." in offered


def test_a_list_two_sources_introduce_in_their_own_words_is_offered_once():
    items = "- cloudy urine\n- pain when urinating"
    passages = [
        passage(1, f"Symptoms of a urinary tract infection may include\n{items}"),
        passage(2, f"Symptoms of a UTI may include\n{items}\nSee a doctor."),
    ]
    offered = [c.text for c in select_candidates("uti symptoms", passages)]
    assert sum(items in t for t in offered) == 1 and "See a doctor." in offered


def test_page_furniture_is_never_offered():
    furniture = "Much of this information comes from Orphanet, a European rare disease database."
    units = [c.text for c in all_candidates([passage(1, f"Gout hurts. {furniture}")])]
    assert units == ["Gout hurts."]
    # nor a pointer to a page, a link or an article
    pointers = (
        "The Lupus Foundation has a page called Is lupus hereditary? that provides an overview. "
        "Click here to learn more about autosomal recessive inheritance. You can find relevant "
        "articles through PubMed. You may need to register, but registration is free. These "
        "resources address the diagnosis or management of lupus:\n- Genetic Testing Registry: "
        "Lupus\n- MedlinePlus Encyclopedia: Lupus\n"
    )
    units = [c.text for c in all_candidates([passage(1, f"{pointers} Lupus runs in families.")])]
    assert units == ["Lupus runs in families."]
    # "you can find" in advice is no pointer
    advice = "With screening, you can find problems early."
    assert [c.text for c in all_candidates([passage(1, advice)])] == [advice]


def test_a_lead_is_offered_with_its_list_never_alone():
    text = (
        "Call 911 for emergency care if:\nYou have blue lips.\nTriggers include:\n- smoke\n- dust"
    )
    units = [c.text for c in all_candidates([passage(1, text)])]
    assert units == ["You have blue lips.", "Triggers include:\n- smoke\n- dust"]


def test_a_question_is_never_offered_but_the_answer_under_it_is():
    text = "How might gout be treated?\nRest helps. What causes flares?\n- red meat\n- beer"
    units = [c.text for c in all_candidates([passage(1, text)])]
    assert units == ["Rest helps.", "- red meat\n- beer"]


def test_units_about_another_condition_lose_the_off_focus_penalty():
    passages = [
        passage(1, "Endometrial cancer can make it hard to get pregnant.", "Endometrial Cancer"),
        passage(2, "Endometriosis is tissue growing outside the uterus.", "Endometriosis"),
    ]
    question = "can you get pregnant with endometriosis"
    cfg = SelectionConfig(max_chars=60, off_focus_penalty=1.0)

    def first(named, cfg=cfg):
        return select_candidates(question, passages, cfg, [0.9, 0.5], named)[0].source

    assert first([False, True]) == 2
    assert first([False, True], SelectionConfig(max_chars=60, off_focus_penalty=0)) == 1
    assert first([False, False]) == 1  # no passage is about the named condition


def test_a_heading_run_into_a_unit_is_dropped_only_where_its_source_does_that():
    text = "Sudden, Intense Joint Pain Gout is a form of arthritis."
    for source, shown in [("NIHSeniorHealth", "Gout is a form of arthritis."), ("NIH", text)]:
        passages = [passage(1, text, source=source)]
        chosen = all_candidates(passages)
        assert render_choices(chosen, passages) == f"{shown} [1]"
        assert render_choices(chosen) == f"{text} [1]"  # without passages: verbatim


def test_a_sentence_cut_where_a_passage_begins_is_never_offered():
    text = "hands, chest pain, or stomach pain. Anxiety disorders are treatable."
    units = [c.text for c in all_candidates([passage(1, text)])]
    assert units == ["Anxiety disorders are treatable."]


def test_a_bare_yes_to_the_sources_own_question_is_never_offered():
    text = "Are there other medicines for gout? Yes. Colchicine eases flares. Not always."
    units = [c.text for c in all_candidates([passage(1, text)])]
    assert units == ["Colchicine eases flares."]
    # "yes" and "no" inside a sentence are the sentence's own
    units = [c.text for c in all_candidates([passage(1, "Yes, rest helps. No food cures it.")])]
    assert units == ["Yes, rest helps.", "No food cures it."]


def test_the_lead_bonus_can_be_kept_for_answers_of_the_type_asked():
    text = "Ear infections in a child are common. Antibiotics treat ear infections."
    overview = passage(1, text, "Ear Infections", "information")
    cfg = SelectionConfig(max_chars=40, lead_bonus=0.15, rank_decay=0)
    asked = (
        "how do you treat an ear infection in a child with antibiotics, drops or surgery at home"
    )
    assert [c.label for c in select_candidates(asked, [overview], cfg)] == ["[1.1]"]
    cfg.lead_other_types = False  # a treatment question: no bonus for the overview's opening
    assert [c.label for c in select_candidates(asked, [overview], cfg)] == ["[1.2]"]
    what = select_candidates("what is an ear infection", [overview], cfg)
    assert [c.label for c in what] == ["[1.1]"]


def test_a_unit_that_points_back_is_shown_after_the_sentence_it_points_at():
    from rag.prompt import with_antecedents

    text = "Valves keep blood moving. Weak valves let blood pool. This causes the veins to swell."
    passages = [passage(1, text, "Varicose Veins")]
    units = {c.unit: c for c in all_candidates(passages)}
    shown = with_antecedents([units[3], units[1]], passages)
    assert [c.unit for c in shown] == [2, 3, 1]
    # nothing is added when the sentence before is chosen already, or nothing points back; one
    # chosen after it comes first, so a streamed answer only ever grows at its end
    assert with_antecedents([units[2], units[3]], passages) == [units[2], units[3]]
    assert with_antecedents([units[3], units[2]], passages) == [units[2], units[3]]
    assert with_antecedents([units[1]], passages) == [units[1]]
    assert with_antecedents(None, passages) is None
    # a pronoun opening a sentence points back too
    text = "Parkinson's starts slowly. They may notice that they speak softly."
    units = {c.unit: c for c in all_candidates([passage(1, text, "Parkinson's Disease")])}
    assert [c.unit for c in with_antecedents([units[2]], [passage(1, text, "x")])] == [1, 2]
