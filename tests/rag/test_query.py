"""Messages to searches: misspellings, long messages, several asks, follow-ups."""

from __future__ import annotations

import pytest

from rag.query import QueryParser, name_variants, question_sentences, question_types, words

PARSER = QueryParser(
    ["Gout", "Alzheimer's Disease", "Lupus", "Pain", "Chronic Diarrhea in Children"],
    vocabulary=["symptoms", "floating", "treated"],
    generic=["Pain"],
)


def test_condition_names_and_their_short_forms():
    assert "alzheimers" in name_variants("Alzheimer's Disease")
    assert "kidney stone" in name_variants("Kidney Stones")  # one of a plural name
    assert name_variants("Lupus") == {"lupus"} and name_variants("Illness") == {"illness"}
    assert PARSER.foci("my mom may have alzheimers, what now?") == ["alzheimers"]


def test_a_singular_name_is_found_in_the_plural():
    assert {"migraines", "migraine"} <= name_variants("Migraine")
    assert "allergies" in name_variants("Allergy") and "heart attacks" in name_variants(
        "Heart Attack"
    )
    assert "meds" not in name_variants("MED")  # an acronym
    assert "ears" not in name_variants("Ear Disorders")  # only the whole name
    counts = {"the": 10**6, "causes": 500, "three": 300, "migraine": 80, "migraines": 50}
    parser = QueryParser(
        ["Migraine", "Fractures", "Broken bone"],
        vocabulary=counts,
        own_names=["Migraine", "Fractures"],
    )
    assert parser.foci("what causes migraines") == ["migraines"]
    assert parser.foci("three broken bones") == []  # a synonym's plural is often another thing
    assert parser.foci("a broken bone") == ["broken bone"]


def test_misspelled_conditions_are_corrected_but_other_words_are_not():
    assert PARSER.foci("lupis symptoms, tired all the time") == ["lupus"]
    assert PARSER.correct("farting a lot") == "farting a lot"
    assert PARSER.correct("alzhiemers") == "alzheimers"  # letters swapped
    assert PARSER.correct("ulzheimers") == "ulzheimers"  # a correction keeps the first letter


def test_question_types():
    assert question_types("how is it treated and what causes it?") == {"treatment", "causes"}
    assert "information" in question_types("what could that be?")
    assert question_types("how do i get rid of a sore throat") == {"treatment"}
    assert question_types("how do you get ringworm") == {"causes"}
    assert "inheritance" in question_types("could i pass it on to my kids")
    assert "inheritance" not in question_types("will my kidney stone pass on its own")


def test_long_message_is_also_searched_by_its_questions():
    message = (
        "My husband is 58 and woke up at 3am with his big toe hot and swollen. The urgent care "
        "doctor said it is probably gout and gave him pills for the pain. He has never had this "
        "before. What causes it? And how is it treated?"
    )
    assert question_sentences(message)[-2:] == ["What causes it?", "And how is it treated?"]
    q = PARSER.parse(message)
    assert q.texts[0] == message and "gout: What causes it?" in q.texts
    assert {"causes", "treatment"} <= q.qtypes
    assert q.asked == "gout: What causes it? And how is it treated?"
    assert PARSER.parse("What causes gout?").asked == ""  # short: read as typed


def test_follow_up_borrows_the_condition_not_the_whole_question():
    history = ["my kid has had chronic diarrhea in children for weeks, what are the symptoms?"]
    q = PARSER.parse("what causes it? the pain is bad", history)
    assert q.texts[0] == "chronic diarrhea in children: what causes it? the pain is bad"
    assert q.qtypes == {"causes"} and "chronic diarrhea in children" in q.foci
    assert q.texts[-1].startswith(history[0])  # the conversation as typed is searched too
    assert q.asked == q.texts[0]


def test_follow_up_keeps_the_form_of_the_condition_the_conversation_is_about():
    q = PARSER.parse("what causes it?", ["my son has chronic severe gout"])
    assert q.asked == "chronic severe gout: what causes it?" and "gout" in q.foci
    assert PARSER.qualified("my mom has gout", "gout") == "gout"
    assert PARSER.qualified("the gout is chronic", "gout") == "gout"  # only words before it


def test_lay_names_are_searched_by_their_medical_name():
    parser = QueryParser(
        ["Hypothyroidism", "Hypertension", "Diabetes"],
        lay_terms={
            "low thyroid": ["Hypothyroidism", "Thyroid Cancer"],  # unknown names are dropped
            "high blood": ["Hypertension"],
            "high blood sugar": ["Diabetes"],
        },
    )
    q = parser.parse("how is low thyroid treated")
    assert "hypothyroidism" in q.foci and "hypothyroidism: how is low thyroid treated" in q.texts
    assert q.texts[0] == "how is low thyroid treated"  # the message itself stays first
    # The longest phrase wins: "high blood sugar" is diabetes, not high blood pressure.
    assert parser.lay_names("my high blood sugar keeps rising") == ["diabetes"]
    assert parser.lay_names("a lowly thyroidal test") == []  # whole words only


def test_a_lay_name_is_a_new_subject_and_can_be_followed_up():
    parser = QueryParser(
        ["Hypothyroidism", "Diabetes", "Hemorrhoids"],
        vocabulary=["treated", "causes"],
        lay_terms={"piles": ["Hemorrhoids"], "low thyroid": ["Hypothyroidism"]},
    )
    q = parser.parse("what causes piles?", ["how is diabetes treated?"])
    assert q.foci == ["hemorrhoids"] and not any("diabetes:" in t for t in q.texts)
    q = parser.parse("what causes it?", ["how is low thyroid treated?"])
    assert q.foci == ["hypothyroidism"] and q.texts[0] == "hypothyroidism: what causes it?"


def test_shipped_lay_terms_parse():
    from rag.query import read_lay_terms

    terms = read_lay_terms()
    assert len(terms) > 200 and terms["the runs"] == ["Diarrhea"]
    assert all(1 <= len(names) <= 3 for names in terms.values())


def test_a_follow_up_borrows_a_synonym_under_its_records_name():
    parser = QueryParser(
        ["Hemorrhoids", "Piles"],
        vocabulary=["causes", "treated"],
        canonical={"piles": "Hemorrhoids"},
    )
    q = parser.parse("how is it treated?", ["what causes piles?"])
    assert q.texts[0] == "hemorrhoids: how is it treated?" and q.foci == ["hemorrhoids"]


def test_a_condition_named_only_by_a_synonym_is_searched_under_its_records_name():
    parser = QueryParser(
        ["Gonorrhea", "The clap", "Stool", "Hirschsprung Disease"],
        vocabulary=["surgery"],
        canonical={"the clap": "Gonorrhea", "stool": "Bowel Movement"},
    )
    q = parser.parse("what is the clap")
    assert q.texts == ["what is the clap", "gonorrhea: what is the clap"]
    assert q.foci == ["the clap", "gonorrhea"]
    # With a record's own name in the message, its other words stay words.
    q = parser.parse("no stool for two days, is it hirschsprung disease?")
    assert not any("bowel movement" in t for t in q.texts)


def test_only_unambiguous_synonyms_are_renamed():
    from rag.passage import Passage
    from rag.retriever import _canonical

    def record(focus, synonyms):
        title = f"{focus} — overview"
        return Passage(
            "r:0", "r", 0, title, "text", "q", "information", focus, "url", "NIH", synonyms
        )

    canonical = _canonical(
        [
            record("Hemorrhoids", ["Piles"]),
            record("Alzheimer's Disease", []),
            record("Late onset familial Alzheimer disease", ["Alzheimer's"]),
            record("Gout", ["Podagra"]),
            record("Pseudogout", ["Podagra"]),
        ]
    )
    assert canonical["piles"] == "hemorrhoids"
    assert "alzheimers" not in canonical  # a record of its own
    assert "podagra" not in canonical  # two conditions


def test_an_everyday_word_cut_from_a_name_names_nothing():
    # As in the NIH answers: "still" and "best" are everyday words there, "gout" and "mono"
    # are used far more than on the web.
    counts = {"the": 10**6, "disease": 8000, "gout": 600, "mono": 200, "still": 90, "best": 30}
    parser = QueryParser(
        ["Best disease", "Still's disease", "Gout", "Shingles", "MONA", "Mono"],
        vocabulary={**counts, "shingles": 300, "mona": 1},
    )
    assert parser.foci("what is the best treatment for gout") == ["gout"]
    assert parser.foci("is mono contagious") == ["mono"]
    assert parser.foci("who painted the mona lisa") == []
    assert parser.foci("what is still's disease") == ["still s disease"]
    q = parser.parse("is it still contagious?", ["what causes shingles?"])
    assert q.foci == ["shingles"] and q.asked == "shingles: is it still contagious?"


def test_three_letter_names_match_only_as_a_records_own_name():
    # As in the NIH answers: "flu" is used far more than on the web, "gas" is not.
    counts = {"the": 10**6, "last": 500, "flu": 400, "gas": 1, "arm": 100}
    parser = QueryParser(
        ["Flu", "Influenza", "Gas", "Arm", "Arthrogryposis multiplex"],
        vocabulary=counts,
        own_names=["Flu", "Gas", "Arthrogryposis multiplex"],
    )
    assert parser.foci("how long does the flu last") == ["flu"]
    assert parser.foci("my arm hurts") == []  # "ARM" as a synonym only
    assert parser.foci("gas prices are up") == []  # an everyday word


def test_shipped_lay_terms_name_common_abbreviations():
    from rag.query import read_lay_terms

    parser = QueryParser(
        ["HIV/AIDS", "Multiple Sclerosis", "Urinary Tract Infections"],
        vocabulary=["signs", "early"],
        lay_terms=read_lay_terms(),
    )
    assert parser.named("what are the early signs of ms") == ["multiple sclerosis"]
    assert parser.named("can a uti go away on its own") == ["urinary tract infections"]
    assert parser.named("how is hiv spread") == ["hiv aids"]


def test_shipped_lay_terms_name_what_people_see_and_feel():
    from rag.query import read_lay_terms

    parser = QueryParser(
        ["Mammography", "Jaundice", "Hypothyroidism", "Muscle Cramps"],
        vocabulary=["when", "should", "baby", "night"],
        lay_terms=read_lay_terms(),
    )
    assert parser.named("when should i get a mammogram") == ["mammography"]
    assert parser.named("my baby has yellow skin") == ["jaundice"]
    assert parser.named("my thyroid is underactive, what should i eat") == ["hypothyroidism"]
    assert parser.named("why do my legs cramp at night") == ["muscle cramps"]
    # not Cat Scratch Disease, which "scratching" found before
    parser = QueryParser(
        ["Pinworms", "Hemorrhoids", "Cat Scratch Disease"],
        vocabulary=["my", "son", "keeps", "at", "night"],
        lay_terms=read_lay_terms(),
    )
    assert parser.named("my son keeps scratching his bottom at night") == [
        "pinworms",
        "hemorrhoids",
    ]


# A message in a person's words, the condition a lay phrase of the shipped lexicon names, and the
# one the message was sent to before (what the page it started from was about).
PEOPLES_WORDS = [
    (
        "my toddler has a rash on his cheeks and a fever",
        "Fifth Disease",
        "Rocky Mountain Spotted Fever",
    ),
    ("my eye is red and crusty in the morning", "Pinkeye", "Dry Eye"),
    ("crusty yellow sores around her nose", "Impetigo", "Canker Sores"),
    ("itchy welts all over my arms", "Hives", "Itching"),
    ("my big toe joint is red and hot", "Gout", "Toe Injuries and Disorders"),
    (
        "my fingers are stiff and swollen in the morning",
        "Rheumatoid Arthritis",
        "Stiff person syndrome",
    ),
    ("my ears feel plugged after a flight", "Barotrauma", "Ear Infections"),
    ("i have pain between my shoulder blades", "Back Pain", "Sprengel deformity"),
    ("sharp pain in my lower right belly", "Appendicitis", "Prune belly syndrome"),
    (
        "i found blood in my poop this morning",
        "Gastrointestinal Bleeding",
        "Paroxysmal nocturnal hemoglobinuria",
    ),
    ("is it normal to bleed after menopause", "Vaginal Bleeding", "Hormone Replacement Therapy"),
    (
        "my heart races and i feel like im dying out of nowhere",
        "Panic Disorder",
        "Heart Palpitations",
    ),
    (
        "i get up at night to pee and the stream is weak",
        "Enlarged Prostate (BPH)",
        "Urinary Incontinence in Children",
    ),
    ("i have a painful lump in my armpit after shaving", "Skin Infections", "Hairy Cell Leukemia"),
    ("my skin is peeling on my feet and itchy", "Athlete's Foot", "Acral peeling skin syndrome"),
    ("shin pain when i run", "Leg Injuries and Disorders", "Shingles"),
    ("bullseye rash after a tick bite", "Lyme Disease", "Tinea Infections"),
    ("i make myself throw up after eating", "Eating Disorders", "Nausea and Vomiting"),
    ("i hear voices no one else hears", "Schizophrenia", "Hearing Loss"),
    ("my toddler doesnt look at us", "Autism", "Toddler Development"),
    ("my daughter started her period at 8", "Precocious puberty", "Menstruation"),
    (
        "my legs ache when i walk and stop when i rest",
        "Peripheral Artery Disease",
        "Restless Legs Syndrome",
    ),
    ("grandpa cant hold his pee", "Urinary Incontinence", "Fecal Incontinence"),
    ("my back is hunched and i got shorter", "Osteoporosis", "Back Pain"),
    ("allergic to my cat but i love her", "Allergy", "Cat Scratch Disease"),
    ("toenail gone thick and yellow", "Tinea Infections", "Yellow nail syndrome"),
    ("gassy every time i have milk", "Lactose Intolerance", "Gas in the Digestive Tract"),
    ("newborn looks yellow on day 3", "Jaundice", "Yellow nail syndrome"),
    ("i need to hold my phone further away to read", "Refractive Errors", "Low Vision"),
    ("havent pooped in 5 days", "Constipation", "Hemorrhoids"),
    # Phrases written with "the" or "my" are found with any such word (owner_blind).
    ("a crick in my neck since this morning", "Neck Injuries and Disorders", "Occipital Neuralgia"),
    ("is blood in his pee serious", "Hematuria (Blood in the Urine)", "Urinary Tract Infections"),
    ("little blisters down there that burn and itch", "Genital Herpes", "Shingles"),
    ("ears ringing nonstop since a concert", "Tinnitus", "Hearing Loss"),
    ("pee was red this morning", "Hematuria (Blood in the Urine)", "Pelvic Pain"),
    ("the scan said her bones are really thin", "Osteoporosis", "Asthma"),
    ("weve been trying for a baby for over a year", "Infertility", "Urine Blockage in Newborns"),
    ("mom keeps telling the same stories over and over", "Dementia", "Problems with Smell"),
    ("my 2 yr old doesn't point and doesnt answer to his name", "Autism", "Toddler Development"),
    ("lately having trouble keeping it up", "Erectile Dysfunction", "High Blood Cholesterol"),
    ("vit d 14 how much should i take", "Vitamin D", "Primary Hyperparathyroidism"),
    ("hands shake when i hold my coffee", "Essential Tremor", "Parkinson's Disease"),
    ("pap came back ASC-US", "Cervical Cancer", "Pulmonary alveolar proteinosis"),
    ("grandpa coughs and chokes whenever he drinks water", "Swallowing Disorders", "Cough"),
    ("every spring my eyes itch like crazy", "Hay Fever", "Insomnia"),
    ("started zoloft 2 weeks ago, when does it kick in", "Antidepressants", "Insomnia"),
    ("been on atorvastatin and my legs ache", "Statins", "Peripheral Artery Disease"),
    ("does prednisone make you gain weight", "Steroids", "Overweight and Obesity"),
]


def test_falling_asleep_or_apart_is_no_fall():
    lay = {"keeps falling": ["Falls"], "suddenly falls asleep": ["Narcolepsy"]}
    said = [
        "my son falls asleep in class",
        "he keeps falling asleep at work",
        "i fell asleep at the wheel",
        "my life is falling apart",
        "grandma falls a lot",
        "grandma keeps falling",
        "he suddenly falls asleep mid sentence",
    ]
    vocabulary = {w for text in said for w in words(text)}
    parser = QueryParser(["Falls", "Narcolepsy"], vocabulary=vocabulary, lay_terms=lay)
    assert [parser.named(text) for text in said] == [
        [], [], [], [], ["falls"], ["falls"], ["narcolepsy"]
    ]  # fmt: skip
    assert parser.named("") == [] and parser.named("falls") == ["falls"]


@pytest.fixture(scope="module")
def lay_terms():
    from rag.query import read_lay_terms

    return read_lay_terms()


@pytest.mark.parametrize(("message", "meant", "sent_to"), PEOPLES_WORDS)
def test_shipped_lay_terms_name_the_condition_people_describe(lay_terms, message, meant, sent_to):
    parser = QueryParser([meant, sent_to], vocabulary=words(message), lay_terms=lay_terms)
    named = parser.named(message)
    assert " ".join(words(meant)) in named and " ".join(words(sent_to)) not in named


def test_shipped_lay_terms_name_what_medquad_calls_them():
    from rag.query import read_lay_terms

    # MedQuAD's own names, not the textbook's ("Tachycardia", "Pinworm Infection").
    names = ["Heart Palpitations", "Pinworms", "Nonalcoholic steatohepatitis", "Heat Illness"]
    parser = QueryParser(names, vocabulary=["why", "is", "my", "cause"], lay_terms=read_lay_terms())
    assert parser.named("why is my heart racing") == []
    assert parser.named("racing heart at night") == ["heart palpitations"]
    assert parser.named("my kid has threadworms") == ["pinworms"]
    assert parser.named("what is the main cause of fatty liver") == ["nonalcoholic steatohepatitis"]
    assert parser.named("is sunstroke dangerous") == ["heat illness"]


def test_an_everyday_word_that_is_only_a_synonym_names_nothing():
    # MedlinePlus lists street names as synonyms of Cocaine: "crack", "blow", "snow".
    counts = {"the": 10**6, "cocaine": 300, "crack": 9, "hands": 50, "concussion": 80}
    parser = QueryParser(
        ["Cocaine", "Crack", "Blow", "Concussion"],
        vocabulary=counts,
        own_names=["Cocaine", "Concussion"],
    )
    assert parser.foci("she washes her hands until they crack") == []
    assert parser.foci("a blow to the head, is it a concussion") == ["concussion"]
    assert parser.foci("is cocaine addictive") == ["cocaine"]


def test_a_cold_is_the_common_cold_but_a_cold_sore_is_not():
    from rag.query import read_lay_terms

    parser = QueryParser(
        ["Common Cold", "Cold Sores", "Bedbugs", "Bug Bites"],
        vocabulary=["treat", "lip", "tell"],
        lay_terms=read_lay_terms(),
    )
    assert parser.named("how do you treat a cold") == ["common cold"]
    assert parser.named("is it the flu or a cold") == ["common cold"]
    for message in ("how do you get rid of a cold fast", "can i exercise with a cold"):
        assert parser.named(message) == ["common cold"]
    assert parser.named("i got a cold sore on my lip") == ["cold sore"]
    assert parser.named("i put a cold compress on it") == []
    # A lay phrase that a longer one contains is no reason to drop it ("bed bug bites").
    assert "bedbugs" in parser.named("bed bug bites how to tell")


def test_contractions_and_acronyms_that_are_common_words_name_nothing():
    # Real MedQuAD names: "Cant syndrome" (hence "cant"), ARMS (alveolar rhabdomyosarcoma).
    parser = QueryParser(
        ["Cant syndrome", "ARMS", "Rhabdomyosarcoma alveolar", "SCID", "Insomnia"],
        vocabulary={"the": 10**6, "arms": 600, "cant": 70, "insomnia": 300},
        own_names=["Cant syndrome", "Rhabdomyosarcoma alveolar", "Insomnia"],
    )
    assert parser.foci("i cant sleep, is it insomnia") == ["insomnia"]
    assert parser.foci("my arms hurt after lifting") == []
    assert parser.foci("what is cant syndrome") == ["cant syndrome"]
    assert parser.foci("is scid inherited") == ["scid"]  # an acronym that is no English word
