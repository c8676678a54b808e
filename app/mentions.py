"""What a question asks about that its answer never mentions: "does coffee raise blood pressure".

People ask how something in their life bears on a condition: coffee, alcohol, a common medicine,
exercise, pregnancy. The sources often say nothing of it, and an answer quoting what they say
about the condition reads as if it answered the question. :func:`unmentioned` finds those
things, and :func:`mention_note` tells the reader, above the answer.

The things to look for, with the other words that count as mentioning each ("coffee" is
mentioned by "caffeine"), are in ``app/data/asked_terms.jsonl``, written from general knowledge.
The note states only a fact about the answer shown, so it cannot mislead.

Medicines people ask about by generic or brand name (``app/data/medicines.jsonl``: 295 of
them, written from general knowledge) are such things too. MedQuAD's answers carry no drug
pages, so "does lisinopril cause a dry cough" was answered with what causes a cough, and said
nothing of lisinopril. A misspelled name ("metforman", "lexipro") counts as the medicine
(:func:`respelled`).

Some things the sources never mention at all: rows marked ``"absent": true`` (COVID-19 and
drugs newer than MedQuAD's answers), and, given the index's words, anything whose names use a
word the index never does (most brand names). Asked about alone, :func:`absent` lets the
pipeline say so instead of answering from passages about something else ("symptoms of covid"
once quoted viral gastroenteritis).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.spelling import Speller, SpellingConfig

DATA = Path(__file__).resolve().parent / "data"
ASKED_TERMS = DATA / "asked_terms.jsonl"
MEDICINES = DATA / "medicines.jsonl"  # a medicine (generic, then brand names) or kind a line
_WORD = re.compile(r"[a-z0-9]+")
# Stricter than the index's speller, as a wrong name here changes the answer: over every
# message of the repository's evaluation and safety sets, 5-letter words and two edits under 9
# letters were other words ("beter" read as beer, "pilaris" pilates, Spanish "rodilla" rhodiola).
RESPELLING = SpellingConfig(min_length=6, two_edits_from=9)


@dataclass(frozen=True)
class AskedTerm:
    asked: re.Pattern  # how a question says it ("coffee", "coffees", "espresso")
    mentioned: re.Pattern  # what a passage says that counts as mentioning it (also "caffeine")
    absent: bool = False  # MedQuAD never mentions it (tests/app/test_mentions.py checks)
    names: tuple[str, ...] = ()  # every phrase that mentions it, lower case
    medicine: bool = False  # from medicines.jsonl


def _pattern(phrases: Sequence[str]) -> re.Pattern:
    # whole words, a plural "s" or "es" allowed, so "tea" is not found in "steady"
    alternatives = "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})(?:s|es)?\b")


@lru_cache(maxsize=2)
def asked_terms(paths: tuple[Path, ...] = (ASKED_TERMS, MEDICINES)) -> tuple[AskedTerm, ...]:
    terms = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    asked = row["asked"]
                    names = tuple(p.lower() for p in [*asked, *row.get("also", [])])
                    absent = row.get("absent", False)
                    medicine = path == MEDICINES
                    terms.append(
                        AskedTerm(_pattern(asked), _pattern(names), absent, names, medicine)
                    )
    return tuple(terms)


@lru_cache(maxsize=1)
def _speller() -> Speller:
    """The index's kind of speller, over the one-word names of the things asked about."""
    names = {n for t in asked_terms() for n in t.names if n.isalpha()}
    return Speller(dict.fromkeys(names, SpellingConfig.min_count), RESPELLING)


def respelled(text: str) -> str:
    """The text, lower case, with misspelled names of the things asked about as listed:
    "metforman" is metformin, "lexipro" Lexapro (:class:`rag.spelling.Speller`: the first
    letter kept, never an English word, so "allergy" is not Allegra)."""
    speller = _speller()
    return _WORD.sub(lambda m: speller.correct(m.group(0)), text.lower())


def unmentioned(question: str, answer: str, message: str | None = None) -> list[str]:
    """The things the question asks about (``asked_terms``), as the question words them (a
    medicine's name as listed when misspelled), that the answer does not mention. Medicines are
    looked for in the whole ``message`` when given (``question`` being its question sentences):
    one named anywhere in it is what its question asks about ("I'm on lisinopril ... could
    that be the cause?")."""
    q, whole, text = respelled(question), respelled(message or question), answer.lower()
    found = [
        m.group(0)
        for t in asked_terms()
        if (m := t.asked.search(whole if t.medicine else q)) and not t.mentioned.search(text)
    ]
    return sorted(found, key=whole.find)  # in the order the message says them


def absent(text: str, vocabulary: Mapping[str, int] | None = None) -> list[str]:
    """The things the text asks about that the sources never mention, as the text words them:
    those marked absent, and with the index's ``vocabulary`` (word -> count) those each of
    whose names has a word the index never uses ("eliquis", "magnesium glycinate")."""
    lower = respelled(text)

    def never(t: AskedTerm) -> bool:
        if t.absent:
            return True
        if vocabulary is None:
            return False
        return not any(all(vocabulary.get(w, 0) for w in _WORD.findall(n)) for n in t.names)

    return [m.group(0) for t in asked_terms() if (m := t.asked.search(lower)) and never(t)]


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" or {names[-1]}"


def absent_note(names: Sequence[str]) -> str:
    """A sentence to add to "not in my sources", or "" when nothing asked is absent."""
    return f" My sources never mention {_listed(names)}." if names else ""


def mention_note(names: Sequence[str]) -> str:
    """A line for the top of the answer, or "" when it mentions everything asked about."""
    if not names:
        return ""
    return (
        f"*This answer does not mention {_listed(names)}, so it may not answer what you asked "
        "about it. A doctor or pharmacist can.*"
    )
