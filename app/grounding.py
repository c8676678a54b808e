"""Checking an answer against its sources, sentence by sentence.

A sentence is supported when it is close to some sentence of a source passage: by embedding
similarity (paraphrase) or by content-word overlap (copied facts). Supported sentences keep (or
get) a citation to the passage that supports them; the rest are flagged for the UI. Thresholds
come from ``bench/grounding.py``, which measures them on MedQuAD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.chunking import split_sentences

CITATION = re.compile(r"\s*\[(\d+)\]")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being it
    its this that these those there their they them he she his her you your we our can may might
    will would should could do does did not no so than then also such which who whom what when
    where why how all any some more most other into about over after before very have has had i
    me my""".split()
)


@dataclass
class GroundingConfig:
    min_similarity: float = 0.57  # sentence cosine that counts as support (bench: AUC 0.96)
    min_overlap: float = 0.7  # share of the sentence's content words found in one passage
    min_shared: float = 0.35  # a paraphrase must still share this much: same topic is not support
    min_words: int = 4  # shorter fragments ("Yes.") are neither checked nor flagged


@dataclass
class SentenceCheck:
    text: str  # the sentence without citation marks
    citations: list[int]  # 1-based source numbers after checking
    supported: bool
    score: float  # best support score found, for display and tuning
    checked: bool = True  # False for fragments too short to judge


@dataclass
class GroundingResult:
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
        """The answer with citations, unsupported sentences flagged with a warning sign."""
        out = []
        for s in self.sentences:
            cites = "".join(f" [{c}]" for c in s.citations)
            if s.checked and not s.supported:
                out.append(f"⚠️ *{s.text}*{cites}")
            else:
                out.append(f"{s.text}{cites}")
        return " ".join(out)


def support_score(cosine: np.ndarray, lexical: np.ndarray, cfg: GroundingConfig) -> np.ndarray:
    """>= 1 means supported: a close paraphrase that shares key words, or mostly copied words.

    Cosine alone is not enough: MiniLM puts any two sentences about gout near 0.6.
    """
    paraphrase = np.minimum(cosine / cfg.min_similarity, lexical / cfg.min_shared)
    return np.maximum(paraphrase, lexical / cfg.min_overlap)


def content_words(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def overlap(sentence: str, passage: str) -> float:
    words = content_words(sentence)
    return len(words & content_words(passage)) / len(words) if words else 0.0


class GroundingChecker:
    """Scores answer sentences against source passages with the retrieval embedder."""

    def __init__(self, embed, cfg: GroundingConfig | None = None) -> None:
        self.embed = embed  # texts -> L2-normalised vectors
        self.cfg = cfg or GroundingConfig()

    def support_matrix(self, sentences: list[str], passages: list[str]) -> np.ndarray:
        """(sentences x passages) support scores, >= 1 meaning supported (see support_score)."""
        pieces: list[str] = []
        owner: list[int] = []
        for j, passage in enumerate(passages):
            for piece in split_sentences(passage) or [passage]:
                pieces.append(piece)
                owner.append(j)
        vectors = self.embed(sentences + pieces)
        sims = vectors[: len(sentences)] @ vectors[len(sentences) :].T
        cosine = np.full((len(sentences), len(passages)), -1.0, dtype=np.float32)
        for col, j in enumerate(owner):
            cosine[:, j] = np.maximum(cosine[:, j], sims[:, col])
        lexical = np.array([[overlap(s, p) for p in passages] for s in sentences], dtype=np.float32)
        return support_score(cosine, lexical, self.cfg)

    def check(self, answer: str, passages: list[str]) -> GroundingResult:
        raw = split_sentences(answer.strip())
        texts = [CITATION.sub("", s).strip() for s in raw]
        cited = [[int(n) for n in CITATION.findall(s)] for s in raw]
        result = GroundingResult()
        judged = [i for i, t in enumerate(texts) if len(t.split()) >= self.cfg.min_words]
        support = (
            self.support_matrix([texts[i] for i in judged], passages)
            if judged and passages
            else np.zeros((len(judged), max(1, len(passages))))
        )
        rows = dict(zip(judged, support, strict=True))
        for i, text in enumerate(texts):
            if not text:
                continue
            valid = [c for c in cited[i] if 1 <= c <= len(passages)]
            if i not in rows:
                result.sentences.append(SentenceCheck(text, valid, True, 0.0, checked=False))
                continue
            row = rows[i]
            good = [c for c in valid if row[c - 1] >= 1.0]
            best = int(np.argmax(row)) + 1 if len(passages) else 0
            if not good and passages and row[best - 1] >= 1.0:
                good = [best]  # a missing or wrong citation is repaired to the supporting source
            score = float(row.max()) if len(passages) else 0.0
            result.sentences.append(SentenceCheck(text, good or valid, bool(good), score))
        return result
