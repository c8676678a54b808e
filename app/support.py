"""The support check for free-mode answers: is each sentence stated by one passage span?

A sentence is supported only when it aligns to a span of one passage (one unit, or two that
follow each other) such that

* every number in the sentence appears in the span ("2 to 3 weeks" is not "4 weeks");
* the sentence and the span agree on negation ("does not cause" is not "causes");
* every *specific* content word of the sentence (a stem rare in the corpus: names of diseases,
  drugs, organs, foods) appears in the span, so a swapped entity is caught;
* and the span covers most of its content words, or, for a paraphrase, many of them at a high
  embedding similarity.

"Same topic" is never support. Supported sentences keep (or get) the citation of the passage
that supports them; the rest are flagged. Thresholds are chosen on the dev part of a labeled set
and reported on its test part by ``bench/support.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.text import Stems, split_units

CITATION = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "twenty": "20",
    "hundred": "100",
    "half": "0.5",
    "once": "1",
    "twice": "2",
    "single": "1",
    "double": "2",
}
_NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|without|cannot|can't|don't|doesn't|isn't|aren't|"
    r"won't|wasn't|weren't|didn't|unlikely|rarely|lack|lacks|absence|absent|free of)\b|n't\b"
)
_TRAILING_CITATION = re.compile(r"([.!?])((?:\s*\[\d+\])+)")


@dataclass
class SupportConfig:
    """Free-mode support check."""

    min_coverage: float = 0.7  # share of content words a span must contain (copied facts)
    paraphrase_coverage: float = 0.4  # a paraphrase must still share this many content words
    paraphrase_cosine: float = 0.9  # and be this close to the span in embedding space
    specific_df: float = 0.01  # a stem in fewer than this share of passages must appear
    span_units: int = 2  # consecutive units a span may join
    min_words: int = 4  # shorter fragments ("Yes.") are neither checked nor flagged


@dataclass
class SentenceCheck:
    text: str  # the sentence without citation marks
    citations: list[int]  # 1-based source numbers after checking
    supported: bool
    coverage: float  # best share of content words found in one span
    reason: str = ""  # why not supported: "numbers", "negation", "specific", "coverage"
    checked: bool = True  # False for fragments too short to judge


@dataclass
class SupportResult:
    sentences: list[SentenceCheck] = field(default_factory=list)

    @property
    def unsupported(self) -> list[str]:
        return [s.text for s in self.sentences if s.checked and not s.supported]

    @property
    def citations(self) -> list[int]:
        return sorted({c for s in self.sentences for c in s.citations})

    @property
    def support_rate(self) -> float:
        checked = [s for s in self.sentences if s.checked]
        return sum(s.supported for s in checked) / len(checked) if checked else 0.0

    def markdown(self) -> str:
        """The answer with citations, unsupported sentences marked with a warning sign."""
        out = []
        for s in self.sentences:
            cites = "".join(f" [{c}]" for c in s.citations)
            out.append(f"⚠️ *{s.text}*{cites}" if s.checked and not s.supported else s.text + cites)
        return " ".join(out)


def numbers(text: str) -> set[str]:
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return found


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text.lower().replace("’", "'")))


class SupportChecker:
    """Checks answer sentences against the passages they were answered from."""

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        document_frequency: Callable[[str], float],
        cfg: SupportConfig | None = None,
    ) -> None:
        self.embed = embed  # texts -> L2-normalised vectors
        self.document_frequency = document_frequency  # stem -> share of passages containing it
        self.cfg = cfg or SupportConfig()
        self.stems = Stems()

    def spans(self, passage: str) -> list[str]:
        """Every run of 1..span_units consecutive units of a passage."""
        units = split_units(passage) or [passage]
        return [
            " ".join(units[i : i + n])
            for n in range(1, self.cfg.span_units + 1)
            for i in range(len(units) - n + 1)
        ]

    def judge(self, sentence: str, passages: Sequence[str]) -> tuple[bool, int, float, str]:
        """(supported, best passage index, coverage, reason) for one sentence."""
        cfg = self.cfg
        words = self.stems(sentence)
        if not words:
            return False, 0, 0.0, "coverage"
        specific = {w for w in words if self.document_frequency(w) < cfg.specific_df}
        nums, neg = numbers(sentence), negated(sentence)
        aligned = []  # (coverage, passage index, span, its stems), best first
        for j, passage in enumerate(passages):
            for span in self.spans(passage):
                found = self.stems(span)
                aligned.append((len(words & found) / len(words), j, span, found))
        aligned.sort(key=lambda a: -a[0])
        best = aligned[0][0] if aligned else 0.0
        if best >= cfg.min_coverage:
            # Copied facts: judged on the spans that align best, never on weaker ones (a
            # sentence that matches a negated span word for word is not rescued elsewhere).
            pool = [a for a in aligned if a[0] == best]
        else:
            # A paraphrase: fewer shared words, but close in meaning to the span.
            top = [a for a in aligned[:8] if a[0] >= cfg.paraphrase_coverage]
            vectors = self.embed([sentence, *(a[2] for a in top)]) if top else None
            pool = [
                a
                for a, v in zip(top, vectors[1:] if top else [], strict=True)
                if float(vectors[0] @ v) >= cfg.paraphrase_cosine
            ]
        reason = "coverage"
        for coverage, j, span, found in pool:
            if not nums <= numbers(span):
                reason = "numbers"
            elif neg != negated(span):
                reason = "negation"
            elif not specific <= found:
                reason = "specific"
            else:
                return True, j, coverage, ""
        first = aligned[0] if aligned else (0.0, 0)
        return False, first[1], first[0], reason

    def check(self, answer: str, passages: Sequence[str]) -> SupportResult:
        result = SupportResult()
        # "Sentence. [1] Next" -> "Sentence [1]. Next": a citation belongs to what it follows.
        answer = _TRAILING_CITATION.sub(lambda m: m.group(2) + m.group(1), answer.strip())
        for raw in split_units(answer.replace("\n", " ")):
            text = CITATION.sub("", raw).strip()
            if not text:
                continue
            cited = [int(n) for n in CITATION.findall(raw) if 1 <= int(n) <= len(passages)]
            if len(text.split()) < self.cfg.min_words or not passages:
                result.sentences.append(SentenceCheck(text, cited, True, 0.0, checked=False))
                continue
            ok, best, coverage, reason = self.judge(text, passages)
            # A missing or wrong citation is repaired to the passage that supports the sentence.
            citations = ([c for c in cited if c == best + 1] or [best + 1]) if ok else cited
            result.sentences.append(SentenceCheck(text, citations, ok, round(coverage, 3), reason))
        return result
