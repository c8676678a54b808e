"""Misspellings corrected toward the index's words: fewest edits, then the most frequent."""

from __future__ import annotations

from rag.query import QueryParser
from rag.spelling import Speller

COUNTS = {
    "diabetes": 500,
    "diabetic": 50,
    "symptoms": 300,
    "symtoms": 1,  # a typo inside the sources is not a word to keep
    "sugar": 40,
    "surgery": 400,
    "cough": 100,
    "osteoporosis": 80,
    "osteopetrosis": 5,
}


def test_fewest_edits_then_most_frequent():
    speller = Speller(COUNTS)
    assert speller.correct("diabetis") == "diabetes"  # one edit from both: the commoner wins
    assert speller.correct("suger") == "sugar"  # one edit beats surgery's two
    assert speller.correct("osteoperosis") == "osteoporosis"
    assert speller.correct("symtoms") == "symptoms"


def test_known_short_and_far_words_are_left_alone():
    speller = Speller(COUNTS)
    assert speller.correct("couch") == "couch"  # common English, though one edit from cough
    assert speller.correct("sugr") == "sugr"  # shorter than five letters
    assert speller.correct("tiabetes") == "tiabetes"  # the first letter is kept
    assert speller.correct("xylophonist") == "xylophonist"  # nothing close


def test_real_words_the_index_lacks_are_not_turned_into_others():
    speller = Speller({**COUNTS, "could": 200, "neighbors": 10, "cluster": 30})
    assert speller.correct("couldn") == "couldn"  # of "couldn't", not "could"
    assert speller.correct("neighbor") == "neighbor"  # the plural is the same word
    assert speller.correct("clumsier") == "clumsier"  # clumsy's, not cluster
    assert speller.correct("diabetis") == "diabetes"  # a misspelling still is corrected


def test_a_misspelled_lay_phrase_is_still_found():
    parser = QueryParser(
        ["Hypoglycemia"], vocabulary=COUNTS, lay_terms={"low blood sugar": ["Hypoglycemia"]}
    )
    q = parser.parse("what do i do for low blood suger")
    assert "hypoglycemia" in q.foci
    assert q.texts[0] == "what do i do for low blood suger (what do i do for low blood sugar)"
