"""The grounded prompt: system instructions plus numbered passages, shared by app and training.

The app answers with exactly the messages that the training package fine-tunes on, so a
fine-tuned model sees at inference the format it learned. Rendering the messages into text (a
chat template) is the model's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SYSTEM_PROMPT = (
    "You are MedGround, a careful medical information assistant. Answer the question using "
    "only the numbered sources. Cite the source of each fact like [1]. Write 2 to 5 short, "
    "plain sentences. If the sources do not answer the question, say so. Never give a dose "
    "for a specific person."
)

# Generation stops where a model starts inventing the next question or another numbered source.
STOP_SEQUENCES = ["\nQuestion:", "\nSources:", "\n["]


@dataclass(frozen=True)
class Source:
    """A passage as the model sees it."""

    title: str
    text: str


def format_sources(sources: Sequence[Source]) -> str:
    return "\n\n".join(f"[{i}] {s.title}\n{s.text}" for i, s in enumerate(sources, 1))


def user_message(question: str, sources: Sequence[Source]) -> str:
    return f"Sources:\n{format_sources(sources)}\n\nQuestion: {question.strip()}"


def build_messages(
    question: str, sources: Sequence[Source], system: str = SYSTEM_PROMPT
) -> list[dict[str, str]]:
    """System + one user turn holding the sources and the question."""
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": user_message(question, sources)},
    ]
