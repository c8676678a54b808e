"""Condition names a message uses that the indexed sources never use: "plantar fasciitis".

Retrieval matches a name it lacks by its parts. "what is the treatment for plantar fasciitis"
found necrotizing and eosinophilic fasciitis, and an answer copied faithfully from them answers
about another disease. A word with a disease-name ending (-itis, -osis, -oma, ...) names a
condition, and :class:`MissingNames` finds the ones the sources lack:

- a word no indexed text uses, even after spelling correction: "costochondritis";
- a word the sources use only inside longer names ("necrotizing fasciitis", "eosinophilic
  fasciitis"), put after another word that no indexed text puts before it: "plantar fasciitis".
  After an everyday word ("my fasciitis", "bad colitis", "diagnosed with colitis") the word names
  nothing new.

The answer pipeline says "not in my sources" for such a name when nothing the sources know is
named beside it, and notes it above an answer when something is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from rag.query import QUALIFIERS, QueryParser, singular
from rag.spelling import SpellingConfig

# Endings that make a word a condition's name (inflammation, a state, a tumour, a disease...).
_CONDITION_WORD = re.compile(
    r"[a-z]{3,}(?:itis|osis|iasis|a?emia|omas?|pathy|algia|plasia|trophy|megaly|penia|cele|"
    r"rrhoea|rrhea|ectasis|ectasia|plegia|paresis)"
)
_ALNUM = re.compile(r"[a-z0-9]")
_WORD_BEFORE = re.compile(r"([a-z0-9]+)[^a-z0-9]*$")  # the word before a match, as words() splits
_LETTERS = re.compile(r"[^\W\d_]+")  # words of letters in any script: "síntomas" stays whole
# Words that name no kind of a condition when put before its name ("could it be lymphoma").
_EVERYDAY_BEFORE = frozenset(
    "a an the my his her their our your its of with for and or to in on at from by as is are was "
    "were be been being have has had having get got gets getting i you he she we they it this "
    "that these those what whats about any some not no could would might may can will do does "
    "did than like called just still also only if when how why bad worse worst really very "
    "terrible awful painful possible probable suspected active new old mom dad son daughter "
    "baby kid child wife husband".split()
)
_VERB_ENDINGS = ("ed", "ing", "es", "ys", "ws")  # "showed", "having", "shows", "says", "knows"


@dataclass(frozen=True)
class MissingConfig:
    min_length: int = 6  # shorter words with those endings are mostly everyday words ("coma")
    # a word is taken for part of longer names when at least this share of its uses in the
    # passages follow one of the words that precede it in a record's name
    inside_share: float = 0.7


class MissingNames:
    """Knows the condition words of one index; finds the names a message uses that it lacks."""

    def __init__(
        self, texts: Iterable[str], parser: QueryParser, cfg: MissingConfig | None = None
    ) -> None:
        self.cfg = cfg or MissingConfig()
        self.parser = parser
        self._before: dict[str, set[str]] = {}  # condition word -> words before it in names
        for name in parser.names:
            tokens = name.split()
            for left, word in pairwise(tokens):
                if _CONDITION_WORD.fullmatch(word):
                    self._before.setdefault(word, set()).add(left)
        # Searched only for the rare message with a condition word the names use inside longer
        # ones, and joined then: one scan of every text at start-up would cost seconds.
        self._texts = list(texts)
        self._lefts: dict[str, Counter[str]] = {}

    @cached_property
    def _text(self) -> str:
        return "\n".join(self._texts).lower()

    def lefts(self, word: str) -> Counter[str]:
        """The words the texts put right before a word, counted ("" at a text's start)."""
        if word not in self._lefts:
            found: Counter[str] = Counter()
            at = self._text.find(word)
            while at >= 0:
                end = at + len(word)
                whole = not _ALNUM.match(self._text, end) and (
                    at == 0 or not _ALNUM.match(self._text, at - 1)
                )
                if whole:
                    left = _WORD_BEFORE.search(self._text, max(0, at - 40), at)
                    found[left.group(1) if left else ""] += 1
                at = self._text.find(word, end)
            self._lefts[word] = found
        return self._lefts[word]

    def inside_only(self, word: str) -> bool:
        """Whether the sources use a condition word only inside longer names that name it with
        another word before it, and never as a name alone ("fasciitis")."""
        before = self._before.get(word)
        if not before or self._named(word):
            return False
        lefts = self.lefts(word)
        inside = sum(n for left, n in lefts.items() if left in before)
        return inside >= self.cfg.inside_share * max(lefts.total(), 1)

    def _named(self, word: str) -> bool:
        return word in self.parser.names or singular(word) in self.parser.names

    def _known(self, word: str) -> str | None:
        """The index's spelling of a word ("anaemia" -> "anemia"), or None when it has none."""
        counts, floor = self.parser.word_counts, SpellingConfig.min_count
        for spelled in dict.fromkeys([word, word.replace("ae", "e").replace("oe", "e")]):
            corrected = self.parser.speller.correct(spelled)
            if counts[corrected] >= floor:
                return corrected
        return None

    def find(self, text: str) -> list[str]:
        """The condition names in the text that no indexed source uses, as the text words them."""
        tokens = _LETTERS.findall(text.lower())
        found = []
        for i, token in enumerate(tokens):
            if (
                not token.isascii()
                or len(token) < self.cfg.min_length
                or not _CONDITION_WORD.fullmatch(token)
            ):
                continue
            word = self._known(token)
            if word is None:
                found.append(token)
                continue
            left = tokens[i - 1] if i else ""
            if (
                left.isascii()
                and len(left) > 2
                and left not in _EVERYDAY_BEFORE
                and left not in QUALIFIERS
                and not left.endswith(_VERB_ENDINGS)
                and self.inside_only(word)
                and not {left, self.parser.speller.correct(left)} & set(self.lefts(word))
            ):
                found.append(f"{left} {token}")
        return list(dict.fromkeys(found))
