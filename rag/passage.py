"""The one passage type: a piece of one MedQuAD answer, as indexed, retrieved, prompted and shown.

Every layer passes :class:`Passage` objects (the index stores them, the retriever wraps them in a
``Hit`` with its scores, the prompt numbers their units, the page and ``/ask`` serialize them
with :meth:`Passage.to_dict`), so a field has one name everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property

from rag.text import plain, split_units


@dataclass(frozen=True)
class Passage:
    """A piece of one answer, small enough to embed whole, with where it comes from."""

    id: str  # "<record id>:<n>"
    record_id: str  # "<folder>/<file stem>#<qid>"
    chunk: int  # position of this passage within its answer
    title: str  # "<focus> — <question type>", prepended when embedding
    text: str  # paragraphs and "- " list items, one per line (rag.text)
    question: str  # MedQuAD's question for the record
    qtype: str  # MedQuAD question type ("symptoms", "treatment", ...)
    focus: str  # the disease, drug or topic
    url: str  # NIH page the answer comes from
    source: str  # readable source name
    synonyms: tuple[str, ...] = field(default=())  # other names of the focus (lay names too)

    def embedding_text(self) -> str:
        return f"{self.title}: {plain(self.text)}"

    @cached_property
    def units(self) -> list[str]:
        """Sentences and whole lists: what a grounded answer may quote (rag.text)."""
        return split_units(self.text)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> Passage:
        return cls(**{**row, "synonyms": tuple(row.get("synonyms", ()))})
