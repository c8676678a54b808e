"""Misspelled words in a message, corrected toward the words of the index.

People type "diabetis symtoms", "blood suger", "osteoperosis". A :class:`Speller` replaces a word
that is neither in the indexed text nor a common English word with the index word that is the
fewest edits away (SymSpell: insertions, deletions, substitutions, swaps), and among those the
most frequent in the index: "diabetis" is diabetes, not diabetic; "suger" is sugar, not surgery
(two edits) or super (common in English, rare in NIH answers). Common English words are never
corrected ("couch" stays a couch, not a cough), and the first letter is kept, as typists rarely
miss it and a changed first letter makes a different word far too often. Nor is a word changed
into the same word with or without a plural "s" ("neighbor", "rheumatologist": the search stems
both alike), or a "-y" word's "-ier", "-iest", "-iness" or "-ily" form ("clumsier" stays, not
"cluster"), or what is left of a contraction ("couldn" of "couldn't" is not "could").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from symspellpy import SymSpell, Verbosity

# SymSpell's English word counts (MIT licence): 82,765 words with their frequency on the web.
ENGLISH = files("symspellpy") / "frequency_dictionary_en_82_765.txt"
# "couldn't" is read as "couldn" and "t"; SymSpell's list has no such halves.
CONTRACTED = frozenset(
    "aren couldn didn doesn hadn hasn haven isn mightn mustn needn shouldn wasn weren wouldn".split()
)
_Y_FORMS = ("iness", "iest", "ier", "ily")  # "clumsier" -> "clumsy"


@dataclass(frozen=True)
class SpellingConfig:
    """Chosen on dev by ``python bench/spelling.py``."""

    # index words seen fewer times are neither known nor corrections (a word seen once or
    # twice in the index may itself be a typo there: "symtoms")
    min_count: int = 3
    min_length: int = 5  # shorter words are left alone: one edit makes another word
    two_edits_from: int = 7  # words this long may be two edits off, shorter ones only one
    # English words at least this common are never corrected (0: all 82,765 of the list)
    english_count: int = 0


class Speller:
    def __init__(self, counts: Mapping[str, int], cfg: SpellingConfig | None = None) -> None:
        self.cfg = cfg = cfg or SpellingConfig()
        self.known = {w for w, c in counts.items() if c >= cfg.min_count}
        self.known |= _english(cfg.english_count) | CONTRACTED
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            if count >= cfg.min_count and len(word) >= 3:
                self.symspell.create_dictionary_entry(word, count)
        self._cache: dict[str, str] = {}

    def correct(self, word: str) -> str:
        """The word itself when known or when no close index word starts with its letter."""
        if len(word) < self.cfg.min_length or word in self.known or not word.isalpha():
            return word
        if word not in self._cache:
            edits = 2 if len(word) >= self.cfg.two_edits_from else 1
            found = self.symspell.lookup(word, Verbosity.CLOSEST, max_edit_distance=edits)
            same_start = [s.term for s in found if s.term[0] == word[0]]
            best = same_start[0] if same_start else word
            self._cache[word] = word if self._same_word(word, best) else best
        return self._cache[word]

    def _same_word(self, word: str, correction: str) -> bool:
        """A correction that only adds or drops a plural, or a "-y" word's own form."""
        if correction in (word + "s", word + "es") or word in (correction + "s", correction + "es"):
            return True
        english = english_counts()
        return any(
            word.endswith(tail) and word.removesuffix(tail) + "y" in english for tail in _Y_FORMS
        )


@lru_cache(maxsize=1)
def english_counts() -> dict[str, int]:
    """SymSpell's English words with their counts on the web."""
    counts = {}
    for line in ENGLISH.read_text(encoding="utf-8").splitlines():
        word, count = line.split()
        counts[word] = int(count)
    return counts


@lru_cache(maxsize=1)
def english_total() -> int:
    """All of SymSpell's English counts together: a word's share of the web is count / this."""
    return sum(english_counts().values())


def _english(min_count: int) -> set[str]:
    return {w for w, c in english_counts().items() if c >= min_count}
