"""Chunking: answers to passages that fit the embedder's token limit, each titled by its record.

Passages are packed from whole units (sentences, and lists with their lead; ``rag.text``), so a
passage never ends inside a sentence or separates a list from its lead unless that one unit is
larger than the budget: then a list is cut between items and a sentence between words. Token
counts come from the embedder's own tokenizer, so nothing is silently truncated at encoding.
"""

from __future__ import annotations

from typing import Protocol

from tqdm.auto import tqdm

from rag.medquad import Record
from rag.passage import Passage
from rag.text import join_units, split_sentences, split_units_at_lines

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

Piece = tuple[str, bool]  # a unit (or part of one) and whether it starts a line


class Tokenizer(Protocol):
    def __call__(self, texts: list[str], add_special_tokens: bool = ...) -> dict: ...


def title_for(record: Record) -> str:
    return f"{record.focus} — {QTYPE_LABELS.get(record.qtype, record.qtype)}"


def _lengths(tokenizer: Tokenizer, texts: list[str]) -> list[int]:
    if not texts:
        return []
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # a fast tokenizer, asked directly: transformers' wrapper costs 1/4
        return [len(e.ids) for e in backend.encode_batch(texts, add_special_tokens=False)]
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def _pack(pieces: list[Piece], lengths: list[int], budget: int) -> list[list[Piece]]:
    """Greedily group consecutive pieces while their token total fits the budget."""
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0
    for piece, n in zip(pieces, lengths, strict=True):
        if current and used + n > budget:
            groups.append(current)
            current, used = [], 0
        current.append(piece)
        used += n
    if current:
        groups.append(current)
    return groups


def _split_unit(unit: str, starts_line: bool, tokenizer: Tokenizer, budget: int) -> list[Piece]:
    """A unit larger than the budget: a list between items, a line between sentences, and a
    sentence, only if it alone is still too large, between words."""
    lines = unit.split("\n")
    if len(lines) > 1:
        parts = [(line, starts_line or i > 0) for i, line in enumerate(lines)]
    elif len(sentences := split_sentences(unit)) > 1:
        parts = [(s, starts_line and i == 0) for i, s in enumerate(sentences)]
    else:
        words = unit.split(" ")
        parts = [(w, starts_line and i == 0) for i, w in enumerate(words)]
        return [(join_units(g), g[0][1]) for g in _pack(parts, _lengths(tokenizer, words), budget)]
    out: list[Piece] = []
    for part, n in zip(parts, _lengths(tokenizer, [p for p, _ in parts]), strict=True):
        out.extend([part] if n <= budget else _split_unit(*part, tokenizer, budget))
    return out


def chunk_record(record: Record, tokenizer: Tokenizer, max_tokens: int) -> list[Passage]:
    """Split one answer into passages whose ``title: text`` fits ``max_tokens`` (specials incl.)."""
    title = title_for(record)
    title_tokens = len(tokenizer([title + ":"], add_special_tokens=True)["input_ids"][0])
    budget = max(16, max_tokens - title_tokens)
    units = split_units_at_lines(record.answer)
    pieces: list[Piece] = []
    lengths: list[int] = []  # each unit is tokenized once: tokenizing is most of chunking's time
    for (unit, starts_line), n in zip(
        units, _lengths(tokenizer, [u for u, _ in units]), strict=True
    ):
        if n <= budget:
            pieces.append((unit, starts_line))
            lengths.append(n)
        else:
            parts = _split_unit(unit, starts_line, tokenizer, budget)
            pieces.extend(parts)
            lengths.extend(_lengths(tokenizer, [p for p, _ in parts]))
    groups = _pack(pieces, lengths, budget)
    return [
        Passage(
            id=f"{record.id}:{i}",
            record_id=record.id,
            chunk=i,
            title=title,
            text=join_units(group),
            question=record.question,
            qtype=record.qtype,
            focus=record.focus,
            url=record.url,
            source=record.source,
            synonyms=record.synonyms,
        )
        for i, group in enumerate(groups)
    ]


def chunk_records(records: list[Record], tokenizer: Tokenizer, max_tokens: int) -> list[Passage]:
    passages: list[Passage] = []
    for record in tqdm(records, desc="Chunking", unit="record", mininterval=1.0):
        passages.extend(chunk_record(record, tokenizer, max_tokens))
    return passages
