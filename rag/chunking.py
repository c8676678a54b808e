"""Chunking: answers to passages that fit the embedder's token limit, each titled by its record.

Passages are packed from whole units (sentences, and lists with their lead; ``rag.text``), so a
passage never ends inside a sentence or separates a list from its lead unless that one unit is
larger than the budget: then a list is cut between items and a sentence between words. Token
counts come from the embedder's own tokenizer, so nothing is silently truncated at encoding.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Protocol

from tqdm.auto import tqdm

from rag.embedder import plain_tokenizer
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


def _lengths(tokenizer: Tokenizer, texts: list[str], special: bool = False) -> list[int]:
    """Token counts of ``texts`` (with the embedder's special tokens when ``special``)."""
    if not texts:
        return []
    backend = _plain_backend(tokenizer)
    if backend is None:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=special)["input_ids"]]
    # A fast tokenizer, asked directly (transformers' wrapper costs 1/4 more), from a thread per
    # core: it releases the GIL, and its own threads are off (rag.embedder sets
    # TOKENIZERS_PARALLELISM=false so that forked processes do not deadlock).
    workers = min(os.cpu_count() or 1, -(-len(texts) // _PER_THREAD))
    if workers <= 1:
        return [len(e.ids) for e in backend.encode_batch(texts, add_special_tokens=special)]
    size = -(-len(texts) // workers)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(
            lambda start: backend.encode_batch(
                texts[start : start + size], add_special_tokens=special
            ),
            range(0, len(texts), size),
        )
        return [len(e.ids) for part in parts for e in part]


_plain_backend = lru_cache(maxsize=4)(plain_tokenizer)  # one copy per tokenizer


_PER_THREAD = 4096  # fewer texts than this are tokenized in the calling thread


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
    return chunk_records([record], tokenizer, max_tokens, progress=False)


def chunk_records(
    records: list[Record], tokenizer: Tokenizer, max_tokens: int, progress: bool = True
) -> list[Passage]:
    """Every record's passages, in order. Each title and each unit of every answer is tokenized
    once, all of them together: tokenizing is most of chunking's time."""
    titles = [title_for(r) for r in records]
    title_tokens = _lengths(tokenizer, [t + ":" for t in titles], special=True)
    units = [split_units_at_lines(r.answer) for r in records]
    lengths = _lengths(tokenizer, [u for record_units in units for u, _ in record_units])
    first = 0  # where this record's units start in ``lengths``
    passages: list[Passage] = []
    rows = zip(records, titles, title_tokens, units, strict=True)
    for record, title, n_title, record_units in tqdm(
        rows, total=len(records), desc="Chunking", unit="record", disable=not progress
    ):
        budget = max(16, max_tokens - n_title)
        pieces: list[Piece] = []
        piece_lengths: list[int] = []
        record_lengths = lengths[first : first + len(record_units)]
        first += len(record_units)
        for (unit, starts_line), n in zip(record_units, record_lengths, strict=True):
            if n <= budget:
                pieces.append((unit, starts_line))
                piece_lengths.append(n)
            else:
                parts = _split_unit(unit, starts_line, tokenizer, budget)
                pieces.extend(parts)
                piece_lengths.extend(_lengths(tokenizer, [p for p, _ in parts]))
        passages.extend(
            _passage(record, title, i, join_units(group))
            for i, group in enumerate(_pack(pieces, piece_lengths, budget))
        )
    return passages


def _passage(record: Record, title: str, chunk: int, text: str) -> Passage:
    return Passage(
        id=f"{record.id}:{chunk}",
        record_id=record.id,
        chunk=chunk,
        title=title,
        text=text,
        question=record.question,
        qtype=record.qtype,
        focus=record.focus,
        url=record.url,
        source=record.source,
        synonyms=record.synonyms,
    )
