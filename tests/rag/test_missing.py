"""Condition names the sources lack, found in messages (rag.missing)."""

from __future__ import annotations

from collections import Counter

import pytest

from rag.missing import MissingNames
from rag.query import QueryParser

TEXTS = [
    "Necrotizing fasciitis is a serious infection of the fascia.",
    "Eosinophilic fasciitis causes swelling. Necrotizing fasciitis spreads quickly.",
    "Gastritis is an inflammation of the stomach lining. Chronic gastritis lasts.",
    "Anemia means too few red blood cells. Esophagitis is inflammation of the esophagus.",
]


@pytest.fixture(scope="module")
def missing() -> MissingNames:
    counts = Counter(w for t in TEXTS for w in t.lower().replace(".", "").split())
    parser = QueryParser(
        ["Necrotizing fasciitis", "Eosinophilic fasciitis", "Gastritis", "Anemia"],
        vocabulary={w: 3 * n for w, n in counts.items()},  # every word seen often enough
    )
    return MissingNames(TEXTS, parser)


@pytest.mark.parametrize(
    "message,names",
    [
        # a word the sources use only inside other names, after a word they never put before it
        ("what is the treatment for plantar fasciitis", ["plantar fasciitis"]),
        ("Plantar Fasciitis pain in the morning", ["plantar fasciitis"]),
        # a condition word no source uses, even corrected
        ("is costochondritis serious", ["costochondritis"]),
        # the names the sources have, and everyday words before a condition word
        ("what is necrotizing fasciitis", []),
        ("necrotising fasciitis", []),  # corrected to the sources' spelling
        ("could it be fasciitis", []),
        ("my doctor says i have bad gastritis", []),  # gastritis is a name of its own
        ("the scan showed fasciitis", []),
        ("anaemia and oesophagitis", []),  # British spellings of the sources' words
        ("síntomas de gastritis", []),  # not an English word
        ("what causes a headache", []),
    ],
)
def test_names_the_sources_lack_are_found(missing, message, names):
    assert missing.find(message) == names


def test_a_word_used_mostly_alone_is_no_part_of_longer_names(missing):
    assert missing.inside_only("fasciitis")
    assert not missing.inside_only("gastritis")  # a name alone
    assert missing.lefts("fasciitis") == Counter({"necrotizing": 2, "eosinophilic": 1})
