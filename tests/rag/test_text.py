"""Answer text keeps its shape: lists and paragraphs survive, units never split a list."""

from __future__ import annotations

from collections import Counter

from rag.text import (
    GlueRepair,
    clean_answer,
    drop_inline_heading,
    is_directory,
    is_furniture,
    is_heading,
    join_units,
    plain,
    split_sentences,
    split_units,
    split_units_at_lines,
    to_markdown,
)

RAW = (
    "Food gives energy.    Causes of malnutrition include:       - Lack of nutrients. Even one "
    "vitamin matters.    - An unbalanced diet    - Certain medical problems       Symptoms may "
    "include fatigue. Or none."
)


def test_clean_answer_restores_lists_and_paragraphs():
    assert clean_answer(RAW) == (
        "Food gives energy.\n"
        "Causes of malnutrition include:\n"
        "- Lack of nutrients. Even one vitamin matters.\n"
        "- An unbalanced diet\n"
        "- Certain medical problems\n"
        "Symptoms may include fatigue. Or none."
    )


def test_inline_list_after_a_colon():
    assert clean_answer("Signs are: - thirst  - hunger") == "Signs are:\n- thirst\n- hunger"


def test_senior_health_lists_lose_their_run_on_copy():
    # NIHSeniorHealth's layout: the first item glued to its lead, then after the last item the
    # whole list again as run-on text, then the prose that follows the list.
    raw = (
        "Common causes are - aging\n- smoking\n- head injury. aging smoking head injury. "
        "Most people recover. Symptoms include - thirst\n- hunger. What to do?"
    )
    assert clean_answer(raw) == (
        "Common causes are\n- aging\n- smoking\n- head injury.\n"
        "Most people recover. Symptoms include\n- thirst\n- hunger. What to do?"
    )
    # The copy can also open the next line, once a long last item was cut after its sentence.
    items = "- tremor\n- rigidity\n- slowness of movement"
    copy = "tremor rigidity slowness of movement. It gets worse."
    assert clean_answer(f"Signs:\n{items}\n{copy}") == f"Signs:\n{items}\nIt gets worse."
    # Or run from a long last item, cut after a sentence inside the copy, into the next line.
    items = ["- skip coffee", "- empty your bladder. A full one changes it", "- sit for 5 minutes."]
    copy = (
        "skip coffee empty your bladder. A full one changes it sit for 5 minutes. Readings vary "
        "from visit to visit, so the doctor may take your blood pressure on different days and "
        "at different times of the day before saying it is high."
    )
    assert clean_answer("To prepare " + "   ".join(items) + f" {copy}") == (
        "To prepare\n" + "\n".join(items) + "\nReadings vary from visit to visit, so the doctor "
        "may take your blood pressure on different days and at different times of the day "
        "before saying it is high."
    )
    # So can each item on its own.
    twice = "- Genetics. It runs in families. Genetics. It runs in families."
    assert clean_answer(f"Risk factors:\n- Age.\n{twice}") == (
        "Risk factors:\n- Age.\n- Genetics. It runs in families."
    )
    # A copy that ends its item ends the list: the items after it are the next list, glued on
    # upstream after a lead of its own, with its own copy.
    raw = (
        "Other problems - blindness in one eye  - scars from sores.  blindness in one eye scars "
        "from sores. - Germs spread in the sores  - The pain lasts months. Germs spread in the "
        "sores The pain lasts months. If you have it, - cover the rash  - wash your hands often. "
        "cover the rash wash your hands often. Until it crusts, avoid babies."
    )
    assert clean_answer(raw) == (
        "Other problems\n- blindness in one eye\n- scars from sores.\n"
        "- Germs spread in the sores\n- The pain lasts months.\n"
        "If you have it,\n- cover the rash\n- wash your hands often.\nUntil it crusts, avoid babies."
    )
    # A list of one item repeats it too.
    one = "- Drink in moderation: one drink a day."
    assert clean_answer(f"{one} Drink in moderation: one drink a day.") == one
    # A dash inside prose, or a list that is not repeated, stays as it is.
    prose = "A parent - or a spouse - cares for them. They help:\n- bathe\n- cook"
    assert clean_answer(prose) == prose


def test_dash_inside_a_sentence_is_not_a_list():
    text = "If you lack nutrients -- including fats - you may suffer."
    assert clean_answer(text) == text


def test_units_keep_a_list_with_its_lead():
    units = split_units(clean_answer(RAW))
    assert units == [
        "Food gives energy.",
        "Causes of malnutrition include:\n- Lack of nutrients. Even one vitamin matters.\n"
        "- An unbalanced diet\n- Certain medical problems",
        "Symptoms may include fatigue.",
        "Or none.",
    ]


def test_join_units_inverts_split():
    text = clean_answer(RAW)
    assert join_units(split_units_at_lines(text)) == text


def test_sentence_split_keeps_abbreviations_together():
    assert split_sentences("Take it e.g. daily. Then stop.") == [
        "Take it e.g. daily.",
        "Then stop.",
    ]


def test_markdown_and_plain_views():
    text = "Signs are:\n- thirst\n- hunger\nSee a doctor."
    assert to_markdown(text) == "Signs are:\n\n- thirst\n- hunger\n\nSee a doctor."
    assert plain(text) == "Signs are: thirst; hunger; See a doctor."


def test_glued_words_are_split_but_compounds_stay():
    counts = Counter(
        {
            "symptoms": 500,
            "such": 900,
            "diarrhea": 300,
            "often": 400,
            "check": 80,
            "list": 90,
            "break": 60,
            "through": 300,
        }
    )
    repair = GlueRepair(counts)
    assert repair("digestive symptomssuch as gas, diarrheaoften") == (
        "digestive symptoms—such as gas, diarrhea—often"
    )
    assert repair("a checklist and a breakthrough") == "a checklist and a breakthrough"


def test_lost_spaces_are_put_back_but_terms_names_and_links_stay():
    counts = Counter(
        {
            "system": 900,
            "activity": 400,
            "the": 5000,
            "blood": 800,
            "cyst": 120,
            "adenoma": 80,
            "non": 300,
            "kidney": 700,
            "knee": 200,
            "society": 60,
            "hand": 90,
            "maker": 60,
        }
    )
    english = {"system", "activity", "the", "blood", "kidney", "knee", "society", "hand", "maker"}
    repair = GlueRepair(counts, english=english)
    assert repair("nervous systemactivity in theblood") == "nervous system activity in the blood"
    # a term, a word with a prefix, a name, and a web address stay whole
    text = "a cystadenoma, nonkidney causes, Silverman-Handmaker type, www.kneesociety.org"
    assert repair(text) == text
    assert GlueRepair(counts)("systemactivity") == "systemactivity"  # no English words given
    # a share over 200 percent is a range that lost its dash; 150 percent can be a share
    assert repair("about 719 percent of adults, 2030 percent of them") == (
        "about 7–19 percent of adults, 20–30 percent of them"
    )
    assert (
        repair("below 150 percent of the poverty level") == "below 150 percent of the poverty level"
    )


def test_directories_of_addresses_are_told_from_prose():
    assert is_directory(
        "National Eye Institute National Institutes of Health 2020 Vision Place Bethesda, MD "
        "20892-3655 301-496-5248 E-mail: 2020@nei.nih.gov www.nei.nih.gov"
    )
    assert not is_directory(
        "Macular degeneration can blur the sharp central vision you need for reading and "
        "driving; see www.nei.nih.gov for more."
    )


def test_headings_run_into_sentences_get_their_own_line():
    raw = "Common Treatments The most common treatment is rest. Type A is rare."
    assert (
        clean_answer(raw) == "Common Treatments\nThe most common treatment is rest. Type A is rare."
    )
    assert is_heading("Common Treatments") and not is_heading("Rest helps.")
    # a heading the sentence after it repeats, after any sentence end, a quoted one too
    raw = 'You say "120 over 80." Normal Blood Pressure Normal blood pressure is below 120/80.'
    assert clean_answer(raw).split("\n") == [
        'You say "120 over 80."',
        "Normal Blood Pressure",
        "Normal blood pressure is below 120/80.",
    ]
    assert clean_answer("High Blood Pressure Is Common. High blood pressure can be treated.") == (
        "High Blood Pressure Is Common. High blood pressure can be treated."
    )


def test_furniture_is_the_shared_template_not_the_topic():
    assert is_furniture("You can use the MedlinePlus Medical Dictionary to look up the terms.")
    assert is_furniture("*See the Pronunciation Guide for tips on how to say the words.")
    assert not is_furniture("The frequency of gout attacks falls with treatment.")
    # MedlinePlus credits the institute that wrote a page; that line answers nothing.
    assert is_furniture(
        "NIH: National Institute of Arthritis and Musculoskeletal and Skin Diseases"
    )
    assert not is_furniture("The NIH funds research on psoriasis.")
    # GARD's symptom table, flattened into one line, reads as a run of words when quoted.
    table = "Signs and Symptoms Approximate number of patients (when available) Dysautonomia 7.5%"
    assert is_furniture(table)
    assert is_furniture(
        "The Human Phenotype Ontology provides the following list of signs and symptoms for "
        "Dementia familial British."
    )


def test_pointers_to_other_pages_and_video_controls_are_not_text():
    assert is_furniture(
        "These resources from MedlinePlus offer information about the diagnosis and management "
        "of various health conditions:\n- Diagnostic Tests\n- Drug Therapy"
    )
    assert is_furniture("Please click on the link to access this resource.")
    assert is_furniture("See the Treatment Options section that follows for links to trials.")
    assert is_furniture("See a chart that compares signs of Alzheimers disease with normal aging.")
    assert not is_furniture("See a doctor if the rash spreads.")
    raw = (
        "Sources of help. (Watch the video to learn more about getting help for alcohol use "
        "disorder (AUD). To enlarge the video, click the brackets in the lower right-hand corner. "
        "To reduce the video, press the Escape (Esc) button on your keyboard.) A doctor can help."
    )
    assert clean_answer(raw) == "Sources of help. A doctor can help."
    # a video of the body itself is the topic
    raw = "A small camera on the tube sends a video image to a screen."
    assert clean_answer(raw) == raw


def test_medlineplus_summary_label_is_not_text():
    raw = "Summary : Caffeine is a bitter substance.    Physical exam : A check of the body."
    assert (
        clean_answer(raw) == "Caffeine is a bitter substance.\nPhysical exam : A check of the body."
    )


def test_a_heading_run_into_a_sentence_is_dropped_and_nothing_else():
    openers = {"the", "people", "gout"}
    assert (
        drop_inline_heading("Sudden, Intense Joint Pain Gout is a form of arthritis.", openers)
        == "Gout is a form of arthritis."
    )
    assert (
        drop_inline_heading("Usually Does Not Return People who get it have one episode.", openers)
        == "People who get it have one episode."
    )
    kept = [
        "The Body Mass Index chart can be used to find out whether you are overweight.",
        "Gout is a form of arthritis that causes pain.",  # no heading
        "In the United States, Gout affects about 1 in 100 people.",  # a comma before it
        "Type II Gout has much more severe symptoms than type I.",  # a type, not a heading
        "National Institutes of Health researchers found that it works.",
        "Where Gout Usually Occurs",  # a heading alone
        "Sudden Joint Pain Gout\n- a list",
    ]
    for sentence in kept:
        assert drop_inline_heading(sentence, openers) == sentence
