"""Chunking: answers to passages that fit the embedder's token limit, each titled by its record.

Token counts come from the embedder's own tokenizer (measured, not guessed): a passage plus its
title never exceeds the model's ``max_seq_length``, so nothing is silently truncated at encoding.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Protocol

from tqdm.auto import tqdm

from rag.medquad import Record

# How each MedQuAD question type reads in a passage title ("Glaucoma — symptoms").
QTYPE_LABELS = {
    "information": "overview",
    "symptoms": "symptoms",
    "causes": "causes",
    "treatment": "treatment",
    "prevention": "prevention",
    "exams and tests": "diagnosis, exams and tests",
    "outlook": "outlook and prognosis",
    "susceptibility": "who is at risk",
    "inheritance": "inheritance",
    "frequency": "how common it is",
    "genetic changes": "genetic changes",
    "research": "research and clinical trials",
    "considerations": "considerations",
    "complications": "complications",
    "stages": "stages",
    "support groups": "support groups",
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\n+")


class Tokenizer(Protocol):
    def __call__(self, texts: list[str], add_special_tokens: bool = ...) -> dict: ...


@dataclass(frozen=True)
class Passage:
    """A piece of one answer, small enough to embed whole."""

    id: str  # "<record id>:<n>"
    record_id: str
    chunk: int  # position of this passage within its answer
    title: str  # focus and question type, prepended when embedding
    text: str
    question: str
    qtype: str
    focus: str
    url: str
    source: str
    synonyms: tuple[str, ...] = ()

    def embedding_text(self) -> str:
        return f"{self.title}: {self.text}"

    def to_dict(self) -> dict:
        return asdict(self)


def title_for(record: Record) -> str:
    return f"{record.focus} — {QTYPE_LABELS.get(record.qtype, record.qtype)}"


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _pack(pieces: list[str], lengths: list[int], budget: int) -> list[str]:
    """Greedily join consecutive sentences while their token total fits the budget."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece, n in zip(pieces, lengths, strict=True):
        if current and used + n > budget:
            chunks.append(" ".join(current))
            current, used = [], 0
        current.append(piece)
        used += n
    if current:
        chunks.append(" ".join(current))
    return chunks


def _split_long(sentence: str, tokenizer: Tokenizer, budget: int) -> list[str]:
    """Cut a sentence longer than the budget at word boundaries."""
    words = sentence.split()
    lengths = [len(ids) for ids in tokenizer(words, add_special_tokens=False)["input_ids"]]
    return _pack(words, lengths, budget)


def chunk_record(record: Record, tokenizer: Tokenizer, max_tokens: int) -> list[Passage]:
    """Split one answer into passages whose ``title: text`` fits ``max_tokens`` (specials incl.)."""
    title = title_for(record)
    title_tokens = len(tokenizer([title + ":"], add_special_tokens=True)["input_ids"][0])
    budget = max(16, max_tokens - title_tokens)
    sentences = split_sentences(record.answer)
    lengths = [len(ids) for ids in tokenizer(sentences, add_special_tokens=False)["input_ids"]]
    pieces: list[str] = []
    piece_lengths: list[int] = []
    for sentence, n in zip(sentences, lengths, strict=True):
        parts = [sentence] if n <= budget else _split_long(sentence, tokenizer, budget)
        for part in parts:
            pieces.append(part)
            piece_lengths.append(
                n
                if len(parts) == 1
                else len(tokenizer([part], add_special_tokens=False)["input_ids"][0])
            )
    return [
        Passage(
            id=f"{record.id}:{i}",
            record_id=record.id,
            chunk=i,
            title=title,
            text=text,
            question=record.question,
            qtype=record.qtype,
            focus=record.focus,
            url=record.url,
            source=record.source,
            synonyms=record.synonyms,
        )
        for i, text in enumerate(_pack(pieces, piece_lengths, budget))
    ]


def chunk_records(records: list[Record], tokenizer: Tokenizer, max_tokens: int) -> list[Passage]:
    passages: list[Passage] = []
    for record in tqdm(records, desc="Chunking", unit="record", mininterval=1.0):
        passages.extend(chunk_record(record, tokenizer, max_tokens))
    return passages
