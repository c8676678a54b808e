"""What a question asks about that its answer never mentions: "does coffee raise blood pressure".

People ask how something in their life bears on a condition: coffee, alcohol, a common medicine,
exercise, pregnancy. The sources often say nothing of it, and an answer quoting what they say
about the condition reads as if it answered the question. :func:`unmentioned` finds those
things, and :func:`mention_note` tells the reader, above the answer.

The things to look for, with the other words that count as mentioning each ("coffee" is
mentioned by "caffeine"), are in ``app/data/asked_terms.jsonl``, written from general knowledge.
The note states only a fact about the answer shown, so it cannot mislead.

Some things the sources never mention at all (rows marked ``"absent": true``: COVID-19 and
drugs newer than MedQuAD's answers). Asked about alone, :func:`absent` lets the pipeline say
so instead of answering from passages about something else ("symptoms of covid" once quoted
viral gastroenteritis).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ASKED_TERMS = Path(__file__).resolve().parent / "data" / "asked_terms.jsonl"


@dataclass(frozen=True)
class AskedTerm:
    asked: re.Pattern  # how a question says it ("coffee", "coffees", "espresso")
    mentioned: re.Pattern  # what a passage says that counts as mentioning it (also "caffeine")
    absent: bool = False  # MedQuAD never mentions it (tests/app/test_mentions.py checks)


def _pattern(phrases: Sequence[str]) -> re.Pattern:
    # whole words, a plural "s" or "es" allowed, so "tea" is not found in "steady"
    alternatives = "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})(?:s|es)?\b")


@lru_cache(maxsize=1)
def asked_terms(path: Path = ASKED_TERMS) -> tuple[AskedTerm, ...]:
    terms = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                asked = row["asked"]
                mentioned = _pattern([*asked, *row.get("also", [])])
                terms.append(AskedTerm(_pattern(asked), mentioned, row.get("absent", False)))
    return tuple(terms)


def unmentioned(question: str, answer: str) -> list[str]:
    """The things the question asks about (``asked_terms``), as the question words them, that
    the answer does not mention."""
    q, text = question.lower(), answer.lower()
    return [
        m.group(0)
        for t in asked_terms()
        if (m := t.asked.search(q)) and not t.mentioned.search(text)
    ]


def absent(text: str) -> list[str]:
    """The things the text asks about that the sources never mention, as the text words them."""
    lower = text.lower()
    return [m.group(0) for t in asked_terms() if t.absent and (m := t.asked.search(lower))]


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
