"""The answer pipeline: safety -> retrieval -> budgeted prompt -> streamed answer -> grounding.

:meth:`Pipeline.stream` yields :class:`Answer` snapshots as the answer grows, so the chat can
render every token; :meth:`Pipeline.ask` returns only the final one (the ``/ask`` API). Every
outcome, a refusal included, is an :class:`Answer` with the same fields.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from app.grounding import GroundingChecker, GroundingConfig
from app.model import LocalModel, timed_stream
from app.safety import check as safety_check
from rag.chunking import split_sentences
from rag.prompt import Source, build_messages
from rag.retriever import Hit, Retriever

NOT_COVERED = (
    "I could not find this in my sources (NIH answers from MedQuAD), so I won't guess. "
    "The nearest passages I found are shown beside the chat; they may not answer your question. "
    "Please ask a doctor, nurse or pharmacist."
)
ENGLISH_ONLY = " MedGround's sources are in English: asking in English may find more."
NOT_SUPPORTED_NOTE = (
    "\n\n*Sentences marked ⚠️ are not supported by the sources; do not rely on them.*"
)
FROM_SOURCES = "\n\n**What the sources say:** "
_LINE_PREFIX = re.compile(r"^\s*(\[\d+\]|\d+[.)]|[-*#>]+)\s*")
_FOLLOW_UP = re.compile(r"\b(it|its|this|that|these|those|they|them|their|he|she|the same)\b", re.I)


@dataclass
class PipelineConfig:
    k: int = 5  # passages put in the prompt
    min_similarity: float = 0.48  # best cosine below: "not in my sources" (bench/thresholds.py)
    max_question_chars: int = 2000  # longer questions are refused with a message, not cut
    min_passage_chars: int = 200  # a trimmed passage shorter than this is dropped instead
    grounding: GroundingConfig = field(default_factory=GroundingConfig)


@dataclass
class Answer:
    """Everything the UI and the API show for one question."""

    question: str
    answer: str = ""  # markdown shown to the user (citations, ⚠️ marks, notes)
    raw_answer: str = ""  # the model's text as generated
    safety: str = "ok"  # "ok", "emergency", "self_harm", "dosing" or "invalid"
    low_relevance: bool = False  # retrieval too weak: no model answer was generated
    citations: list[int] = field(default_factory=list)  # source numbers the answer cites
    sources: list[dict] = field(default_factory=list)  # number, record_id, title, url, score...
    unsupported: list[str] = field(default_factory=list)  # sentences no source supports
    timings: dict = field(default_factory=dict)  # retrieve_ms, ttft_ms, tokens_per_s, total_ms
    done: bool = False  # False while streaming

    def to_dict(self) -> dict:
        return asdict(self)


def source_card(number: int, hit: Hit) -> dict:
    return {
        "number": number,
        "record_id": hit.record_id,
        "title": hit.title,
        "focus": hit.focus,
        "question_type": hit.qtype,
        "source": hit.source,
        "url": hit.url,
        "score": round(hit.similarity, 3),
        "text": hit.text,
    }


def retrieval_query(question: str, history: list[str]) -> str:
    """A follow-up ("what causes it?") is searched together with the previous question."""
    if history and (len(question.split()) <= 6 or _FOLLOW_UP.search(question)):
        return f"{history[-1]} {question}"
    return question


def drop_echoed_titles(text: str, titles: list[str]) -> str:
    """Small models often repeat a passage heading ("[1] Glaucoma — symptoms"): drop such lines."""
    known = {" ".join(t.lower().split()) for t in titles}
    kept = [
        line
        for line in text.splitlines()
        if " ".join(_LINE_PREFIX.sub("", line).lower().rstrip(":").split()) not in known
    ]
    return "\n".join(kept).strip()


def mostly_non_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) < 0.5 * len(letters)


class Pipeline:
    def __init__(self, retriever: Retriever, model: LocalModel, cfg: PipelineConfig | None = None):
        self.retriever = retriever
        self.model = model
        self.cfg = cfg or PipelineConfig()
        self.checker = GroundingChecker(retriever.embed, self.cfg.grounding)

    def validate(self, question: str) -> str | None:
        """A message for input that cannot be answered, else None."""
        if not question or not question.strip():
            return "Please type a health question."
        if len(question) > self.cfg.max_question_chars:
            return (
                f"Your question is {len(question):,} characters long; MedGround accepts up to "
                f"{self.cfg.max_question_chars:,}. Please shorten it to the question itself "
                "(your text is still in the box)."
            )
        return None

    def budget_sources(self, question: str, hits: list[Hit]) -> list[Source]:
        """Fit the passages into the context: trim the lowest-ranked first, never the question."""
        room = self.model.n_ctx - self.model.cfg.max_tokens
        sources = [Source(h.title, h.text) for h in hits]
        while True:
            prompt = self.model.render(build_messages(question, sources)).prompt
            excess = self.model.count_tokens(prompt) - room
            if excess <= 0 or not sources:
                return sources
            last = sources[-1]
            keep = len(last.text) - int(excess * 4.5) - 20  # ~4.5 characters a token, a margin
            if keep < self.cfg.min_passage_chars:
                sources.pop()
            else:
                cut = last.text[:keep].rsplit(" ", 1)[0] + " …"
                sources[-1] = Source(last.title, cut)

    def stream(
        self, question: str, history: list[str] | None = None, cancel: threading.Event | None = None
    ) -> Iterator[Answer]:
        start = time.perf_counter()
        ans = Answer(question=question)
        invalid = self.validate(question)
        if invalid:
            ans.safety, ans.answer, ans.done = "invalid", invalid, True
            yield ans
            return
        verdict = safety_check(question)
        if verdict.stop:
            ans.safety, ans.answer, ans.done = verdict.outcome, verdict.message, True
            ans.timings["total_ms"] = round((time.perf_counter() - start) * 1000, 1)
            yield ans
            return

        t = time.perf_counter()
        hits = self.retriever.search(retrieval_query(question, history or []), k=self.cfg.k)
        ans.timings["retrieve_ms"] = round((time.perf_counter() - t) * 1000, 1)
        ans.sources = [source_card(i, h) for i, h in enumerate(hits, 1)]
        if not hits or hits[0].similarity < self.cfg.min_similarity:
            ans.low_relevance = True
            ans.answer = NOT_COVERED + (ENGLISH_ONLY if mostly_non_latin(question) else "")
            ans.done = True
            ans.timings["total_ms"] = round((time.perf_counter() - start) * 1000, 1)
            yield ans
            return

        sources = self.budget_sources(question, hits)
        ans.sources = ans.sources[: len(sources)]
        rendered = self.model.render(build_messages(question, sources))
        pieces = timed_stream(self.model.stream(rendered, cancel=cancel), ans.timings)
        for piece in pieces:
            ans.raw_answer += piece
            ans.answer = ans.raw_answer
            yield ans
        self.finish(ans, sources)
        ans.timings["total_ms"] = round((time.perf_counter() - start) * 1000, 1)
        yield ans

    def finish(self, ans: Answer, sources: list[Source]) -> None:
        """Check every sentence against the passages and compose the final markdown."""
        passages = [s.text for s in sources]
        text = drop_echoed_titles(ans.raw_answer, [s.title for s in sources])
        result = self.checker.check(text, passages)
        ans.unsupported = result.unsupported
        body = result.markdown()
        if result.support_rate < 0.5:
            # A tiny model can miss entirely: then quote the best source rather than nothing.
            lead = " ".join(split_sentences(passages[0])[:2])
            body = (body + FROM_SOURCES if body else FROM_SOURCES.lstrip()) + f"{lead} [1]"
            citations = sorted({*result.citations, 1})
        else:
            citations = result.citations
        if result.unsupported:
            body += NOT_SUPPORTED_NOTE
        ans.answer = body
        ans.citations = citations
        ans.done = True

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        *_, final = self.stream(question, history)
        return final
