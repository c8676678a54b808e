"""From what a person typed (and the conversation so far) to what the retriever searches for.

People do not type MedQuAD's questions. They write a paragraph of background and then ask, ask
two things at once, misspell the condition, call it by a lay name, or follow up with "what causes
it?". A :class:`QueryParser` turns a message into :class:`Query`:

* ``texts``: what to embed and search: the message itself and, for a long message, each of its
  question sentences together with the conditions named anywhere in it;
* ``foci``: the conditions named (names and synonyms of MedQuAD's foci, misspellings corrected,
  and everyday names from ``rag/data/lay_terms.jsonl``: "low thyroid", "piles", "the runs");
* ``qtypes``: the MedQuAD question types the message asks about (symptoms, treatment...).

A follow-up that names no condition of its own (by name or everyday phrase) borrows the conditions
of the turns before it, instead of being searched together with the whole previous question.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rag.spelling import Speller, SpellingConfig, english_counts, english_total
from rag.text import words

# Words that mark each MedQuAD question type in everyday questions.
QTYPE_CUES = {
    "information": r"what (is|are) (this|it|that|these)\b|what could (it|this|that) be|"
    r"(could|can|is|does) (it|that|this) (be|mean)|what does .{1,40} mean|^what is\b|^what are\b|"
    r"tell me about|same thing as|difference between",
    "symptoms": r"symptom|\bsigns?\b|feel like|know if|how do i know|warning|notice|look like",
    "causes": r"\bcause|\bwhy\b|sets? off|trigger|what makes|how do (you|i|people) (get|catch)(?! rid)|"
    r"\breason|come from|how did (he|she|they|i|we) get",
    "treatment": r"\btreat|\bcure|medicine|medication|\bdrugs?\b|therap|surgery|what can (i|be|we) do|"
    r"relie|manage|get rid|\bpills?\b|remed|what will they give|what (should|do) (i|we|you) do|"
    r"\bcurable|bring (\w+ ){0,3}down|\blower (my|his|her|your|their|a|the)? ?(fever|blood|cholesterol|"
    r"sugar|temperature)|\bease\b|sooth|\bheal(s|ing|ed)?\b|take for|how (do|can|should) (i|you|we) stop|"
    r"what (helps|can help|will help|would help)|(does|do|can|will|would) \w+( \w+)? help (with|for)\b",
    "prevention": r"prevent|avoid|stop getting|lower (my |the )?risk|reduce (my |the )?risk|"
    r"keep from|protect",
    "exams and tests": r"\btests?\b|testing|diagnos|screen|check for|\bexam|scan|biopsy",
    "outlook": r"outlook|prognosis|recover|life expectancy|lifespan|surviv|go away|how long|"
    r"serious|\bdie\b|fatal|chances|dangerous|deadly|life.threatening|grow out of|outgrow",
    "susceptibility": r"who (gets|is at risk)|at risk|risk factor|more likely|likely to get|chance of",
    # "pass it on", not a stone that "will pass on its own"
    "inheritance": r"inherit|hereditary|run in (the )?famil|runs in|"
    r"pass(ed)? (it )?(on(?! (its|their|his|her) own)|down|to)|"
    r"\bgenetic\b",
    "frequency": r"how common|how many people|prevalen|how rare",
    "genetic changes": r"\bgenes?\b|mutation",
    "complications": r"complication|lead to|problems can",
    "research": r"research|clinical trial|new treatments?|studies",
}
_QTYPE_RE = {k: re.compile(v) for k, v in QTYPE_CUES.items()}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ASKS = re.compile(
    r"^(what|whats|which|how|why|who|when|where|is|are|can|could|does|do|did|should|will|would|"
    r"am|has|have|any|tell me|explain)\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(r"\b(it|its|this|that|these|those|they|them|their|he|she|him|her)\b")
_STOP = frozenset(
    "the and for with what how why who can does that this have has from your you are was were "
    "will would could should about into they them their there been being when which "
    # contractions typed without the apostrophe ("i cant sleep" is not about Cant syndrome)
    "cant wont dont didnt doesnt isnt arent wasnt werent couldnt shouldnt wouldnt hasnt havent "
    "hadnt youre theyre thats whats".split()
)
# An acronym that is this common an English word names nothing ("arms" is no rhabdomyosarcoma,
# "pots" no tachycardia syndrome); SymSpell's web counts, where "nash" has 3.6 million.
ACRONYM_WORD_COUNT = 1_000_000
# Everyday phrases -> condition names, written from general knowledge by someone who had not seen
# the evaluation sets; a phrase is used only for names the index knows.
LAY_TERMS = Path(__file__).resolve().parent / "data" / "lay_terms.jsonl"
_PLURAL = re.compile(r"[a-z]{3}[^su]s$")  # "stones", "infections"; not "illness" or "lupus"
LONG_MESSAGE_WORDS = 25  # longer messages are searched by their question sentences too
MAX_NGRAM = 8  # longest condition name matched, in words
# Words that say which form of a condition a conversation is about ("chronic diarrhea"): a
# follow-up borrows them with the condition's name.
QUALIFIERS = frozenset(
    "chronic acute recurrent persistent severe mild early advanced late metastatic childhood "
    "juvenile adult infant newborn congenital gestational inherited seasonal".split()
)


@dataclass
class Query:
    texts: list[str]  # what to search; the first is the message (with borrowed conditions)
    foci: list[str] = field(default_factory=list)  # condition names found (lower case)
    qtypes: set[str] = field(default_factory=set)  # question types asked about
    # what is asked, in few words, for a model to read: a long message's question sentences
    # under the conditions it names, a follow-up under the condition it borrows ("" = as typed)
    asked: str = ""


def name_variants(name: str, plurals: bool = True) -> set[str]:
    """A condition name as people shorten it: "Parkinson's Disease" -> "parkinsons disease",
    "parkinson s disease", "parkinsons", "parkinson"; with ``plurals``, "Migraine" ->
    "migraines" too."""
    key = " ".join(words(name))
    variants = {key, key.replace(" s ", "s ").removesuffix(" s")}
    for v in list(variants):
        for tail in (" disease", " syndrome", " disorder", " disorders"):
            if v.endswith(tail) and len(v.split()) > 1:
                variants.add(v.removesuffix(tail).removesuffix(" s"))
    # People write one of a plural name, "a kidney stone", and many of a singular one: "what
    # causes migraines", "heart attacks", "allergies" (the whole name only: "Ear Disorders"
    # is not "ears"; nor an acronym: "MED" is not "meds").
    variants |= {singular(v) for v in variants}
    if plurals and not name.isupper():
        variants.add(plural(key))
    return {v.strip() for v in variants if v.strip()}


def plural(phrase: str) -> str:
    """The phrase with its last word made plural ("migraine" -> "migraines", "allergy" ->
    "allergies"); unchanged when that word may already be plural or is no plain word."""
    if not re.search(r"[a-z]{3}$", phrase) or phrase.endswith(("s", "x", "z", "ch", "sh")):
        return phrase
    if phrase.endswith("y") and phrase[-2] not in "aeiou":
        return phrase[:-1] + "ies"
    return phrase + "s"


def singular(phrase: str) -> str:
    """The phrase with a plural last word made singular ("kidney stones" -> "kidney stone")."""
    return phrase[:-1] if _PLURAL.search(phrase) else phrase


def longest_matches(tokens: list[str], phrases: Container[str], longest: int) -> list[str]:
    """The phrases found in the tokens, longest first, none inside another one found."""
    return [phrase for phrase, _ in longest_spans(tokens, phrases, longest)]


def longest_spans(
    tokens: list[str], phrases: Container[str], longest: int
) -> list[tuple[str, range]]:
    """:func:`longest_matches`, each with the token positions it covers."""
    found: list[tuple[str, range]] = []
    covered: set[int] = set()
    for n in range(min(longest, len(tokens)), 0, -1):
        for i in range(len(tokens) - n + 1):
            gram = " ".join(tokens[i : i + n])
            if gram in phrases and not covered & set(range(i, i + n)):
                found.append((gram, range(i, i + n)))
                covered |= set(range(i, i + n))
    return found


# A word that names a condition only outside these pairs: someone who "falls asleep" in class,
# or whose life "is falling apart", has not had a fall.
_IDIOMS = {
    (fall, then) for fall in ("fall", "falls", "falling", "fell") for then in ("asleep", "apart")
}


def idioms_masked(tokens: list[str]) -> list[str]:
    """The tokens with the first word of each idiom in :data:`_IDIOMS` joined to the second
    ("falls_asleep"), so that neither names a condition nor starts a lay phrase."""
    nexts = [*tokens[1:], ""]  # one longer than no tokens at all: zip stops at the shorter
    return [f"{t}_{n}" if (t, n) in _IDIOMS else t for t, n in zip(tokens, nexts, strict=False)]


# Words that say whose or which: people write a lay phrase with any of them.
_OWNERS = frozenset({"my", "his", "her", "your", "their", "our", "its", "the"})


def owner_blind(tokens: list[str]) -> list[str]:
    """The tokens with "my", "his", "the"... as one placeholder, so that a lay phrase written
    with one ("blood in my pee", "crick in the neck") is found with another ("blood in his
    pee", "a crick in my neck")."""
    return ["·" if t in _OWNERS else t for t in tokens]


def read_lay_terms(path: Path = LAY_TERMS) -> dict[str, list[str]]:
    """Lay phrase (lower case words) -> condition names; empty when the file is missing."""
    if not path.exists():
        return {}
    terms: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            terms[" ".join(words(row["lay"]))] = list(row["names"])
    return terms


def question_types(text: str) -> set[str]:
    lowered = text.lower()
    return {qtype for qtype, cue in _QTYPE_RE.items() if cue.search(lowered)}


def question_sentences(message: str) -> list[str]:
    """The sentences that ask something (a question mark, or a question word first)."""
    sentences = [s.strip() for s in _SENTENCE.split(message.strip()) if s.strip()]
    return [s for s in sentences if s.endswith("?") or _ASKS.match(s)]


class QueryParser:
    """Knows the conditions of one index (names and synonyms) to find them in messages."""

    def __init__(
        self,
        names: Iterable[str],
        vocabulary: Mapping[str, int] | Iterable[str] = (),
        generic: Iterable[str] = (),
        lay_terms: dict[str, list[str]] | None = None,
        canonical: Mapping[str, str] | None = None,
        own_names: Iterable[str] | None = None,
    ) -> None:
        # A synonym -> the name its records go by ("piles" -> "hemorrhoids"): a follow-up
        # borrows a condition under that name, which the index's questions and passages use.
        self.canonical = {
            " ".join(words(k)): " ".join(words(v)) for k, v in (canonical or {}).items()
        }
        known = SpellingConfig.min_count  # a plain word list: every word known
        counts = vocabulary if isinstance(vocabulary, Mapping) else dict.fromkeys(vocabulary, known)
        self.word_counts = Counter(counts)
        self._index_words = max(self.word_counts.total(), 1)
        # Three-letter names match only as a record's own name that is no everyday word ("flu",
        # "HPV", "ALS"; not "gas"): as synonyms they are mostly abbreviations ("arm", "men").
        # The records' own names; the other names are synonyms (None: every name is one).
        own = None if own_names is None else {" ".join(words(n)) for n in own_names}
        short = {key for key in own or () if len(key) == 3 and not self.everyday(key)}
        self.names: set[str] = set()
        for name in names:
            written = " ".join(words(name))
            # Only a record's own name in the plural: a synonym's plural is more often
            # something else ("periods", "broken bones").
            plurals = own is None or written in own
            for key in name_variants(name, plurals):
                if (len(key) < 4 and key not in short) or key in _STOP:
                    continue
                # "Best disease" is not named by "best", nor "MONA" by "mona", nor cocaine by
                # "crack" or "blow": one everyday word cut from a longer name, an acronym, or
                # a synonym names nothing in a message (lay_terms.jsonl has those people mean).
                cut = key != written or name.isupper() or (own is not None and written not in own)
                if " " not in key and cut and self.everyday(key):
                    continue
                if name.isupper() and english_counts().get(key, 0) >= ACRONYM_WORD_COUNT:
                    continue
                self.names.add(key)
        # Names too common to say what a conversation is about ("pain", "blood", "surgery").
        self.generic = {" ".join(words(n)) for n in generic}
        # Misspellings are corrected toward the index's words (by count) and the names' words.
        for w in {w for n in self.names for w in n.split()}:
            self.word_counts[w] = max(self.word_counts[w], known)
        self.speller = Speller(self.word_counts)
        # Lay phrases whose condition names the index knows, mapped to those names.
        # Keyed by owner_blind words: "crick in the neck" is found in "crick in my neck"; and
        # with idioms masked as messages are ("suddenly falls_asleep").
        self.lay: dict[str, list[str]] = {}
        for phrase, targets in (lay_terms or {}).items():
            known = [k for t in targets if (k := " ".join(words(t))) in self.names]
            if phrase and known:
                key = " ".join(owner_blind(idioms_masked(phrase.split())))
                self.lay[key] = list(dict.fromkeys([*self.lay.get(key, []), *known]))
        self._longest_lay = max((len(p.split()) for p in self.lay), default=0)

    def everyday(self, word: str) -> bool:
        """An English word less frequent in the index than on the web: "best", "door", "still"
        (not "gout", "stroke" or "mono", which the NIH answers use more than the web does)."""
        web = english_counts()
        if word not in web or not self.word_counts:
            return False
        return self.word_counts[word] / self._index_words < web[word] / english_total()

    def _renamed(self, synonym: str) -> bool:
        """Whether a synonym surely means its condition: a phrase ("the clap"), or one word
        of five letters or more that is no everyday word ("dropsy"; not "speed" or "crack",
        street names of drugs, nor an abbreviation such as "mona")."""
        return " " in synonym or (len(synonym) >= 5 and not self.everyday(synonym))

    def lay_names(self, text: str) -> list[str]:
        """Condition names of the lay phrases in the text ("low thyroid" -> hypothyroidism),
        longest phrase first and none inside another ("high blood sugar", not "high blood"),
        nor one that runs into a condition's name ("got a cold sore" names no cold)."""
        tokens = idioms_masked(words(text))
        names = [set(span) for _, span in longest_spans(tokens, self.names, MAX_NGRAM)]
        found = []
        for phrase, span in longest_spans(owner_blind(tokens), self.lay, self._longest_lay):
            if not any(name & set(span) and not name <= set(span) for name in names):
                found += self.lay[phrase]
        return list(dict.fromkeys(found))

    def correct(self, text: str) -> str:
        """The text's words, lower case, misspellings corrected ("diabetis" -> "diabetes")."""
        return " ".join(self.speller.correct(w) for w in words(text))

    def foci(self, text: str) -> list[str]:
        """Condition names in the text, longest first, none inside another one found."""
        return longest_matches(idioms_masked(self.correct(text).split()), self.names, MAX_NGRAM)

    def specific(self, foci: list[str]) -> list[str]:
        return [f for f in foci if f not in self.generic]

    def named(self, text: str) -> list[str]:
        """The specific conditions a text names, by their names or by everyday phrases, each
        under the name its records go by."""
        foci = self.specific(self.foci(text))
        found = foci + [n for n in self.lay_names(self.correct(text)) if n not in foci]
        return list(dict.fromkeys(self.canonical.get(n, n) for n in found))

    def qualified(self, text: str, name: str) -> str:
        """A condition's name with the qualifiers the text puts before it ("chronic diarrhea"
        for "my son has chronic diarrhea"), so a follow-up asks about that form of it."""
        tokens, target = self.correct(text).split(), name.split()
        for i in range(len(tokens) - len(target) + 1):
            if tokens[i : i + len(target)] == target:
                j = i
                while j > 0 and tokens[j - 1] in QUALIFIERS:
                    j -= 1
                return " ".join(tokens[j : i + len(target)])
        return name

    def parse(self, message: str, history: list[str] | None = None) -> Query:
        foci = self.foci(message)
        corrected = self.correct(message)
        # Conditions named only by synonyms ("the clap", "dropsy") or everyday phrases ("low
        # thyroid") are searched under the names their records go by too. A message that also
        # uses a record's own name is not: its synonyms are more often other words ("stool").
        specific = self.specific(foci)
        by_synonym = all(f in self.canonical for f in specific)
        renamed = [self.canonical[f] for f in specific if self._renamed(f)] if by_synonym else []
        medical = [n for n in dict.fromkeys(renamed + self.lay_names(corrected)) if n not in foci]
        texts = [message if corrected == " ".join(words(message)) else f"{message} ({corrected})"]
        asked = ""
        follow_up = bool(history) and not specific and not medical
        if follow_up:
            # A follow-up: what it is about comes from the conversation. It is searched with the
            # conditions named earlier, and with the previous message as a whole.
            texts = [f"{history[-1]} {message}"]
            for earlier in reversed(history):
                if borrowed := self.named(earlier):
                    foci = borrowed + foci
                    said = [self.qualified(earlier, name) for name in borrowed]
                    asked = f"{', '.join(said)}: {message}"
                    texts.insert(0, asked)
                    break
        if medical:
            # Searched by its medical name too: the index's questions and passages use it.
            foci = foci + medical
            texts.append(f"{', '.join(medical)}: {message}")
        asks = question_sentences(message)
        if len(message.split()) > LONG_MESSAGE_WORDS and asks:
            named = ", ".join(self.specific(foci) or foci)
            texts += [f"{named}: {ask}" if named else ask for ask in asks]
            asked = f"{named}: {' '.join(asks)}" if named else " ".join(asks)
        # The conversation as typed always stays one of the searches: parsing only adds.
        typed = " ".join([*(history or []), message])
        if typed not in texts:
            texts.append(typed)
        qtypes = question_types(" ".join(asks) or message)
        return Query(texts=texts, foci=foci, qtypes=qtypes, asked=asked)
