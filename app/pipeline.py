"""The answer pipeline: safety -> retrieval -> an answer mode -> a cited answer.

:meth:`Pipeline.stream` yields :class:`Answer` snapshots as the answer grows, so the chat can
render it as it comes; :meth:`Pipeline.ask` returns only the final one (the ``/ask`` API). Every
outcome, a refusal or an error included, is an :class:`Answer` with the same fields.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.answer_modes import (
    ANSWER_MODES,
    ExtractConfig,
    extract_choices,
    grounded_choices,
)
from app.mentions import absent, absent_note, mention_note, unmentioned
from app.model import LocalModel, ModelError, timed_stream
from app.own_thread import on_own_thread
from app.safety import (
    DOSE_REMOVED,
    SafetyChecker,
    SafetyConfig,
    gives_a_dose,
    greeting,
    is_spanish,
    normalise,
)
from app.support import SupportChecker, SupportConfig
from app.warning_signs import warning_note
from rag.passage import Passage
from rag.prompt import (
    NO_ANSWER,
    STOP_SEQUENCES,
    Candidate,
    SelectionConfig,
    all_candidates,
    build_messages,
    lexical_scores,
    render_choices,
    select_candidates,
    with_antecedents,
)
from rag.retriever import Hit, Retriever
from rag.text import split_units

NOT_COVERED = (
    "I could not find this in my sources (NIH answers from MedQuAD), so I won't guess. "
    "The nearest passages I found are shown beside the chat; they may not answer your question. "
    "Please ask a doctor, nurse or pharmacist."
)
GREETING_REPLY = (
    "Hello! I answer health questions from NIH's answers (MedQuAD) and cite each source. Ask "
    'about a condition: what it is, its symptoms, causes, tests or treatment, e.g. "what are the '
    'symptoms of shingles?"'
)
THANKS_REPLY = "You're welcome. Ask another health question any time."
_THANKS = re.compile(r"\b(thanks?|thx|ty)\b", re.IGNORECASE)
ENGLISH_ONLY = " MedGround's sources are in English: asking in English may find more."
NOT_SUPPORTED_NOTE = (
    "\n\n*Sentences marked ⚠️ are not supported by the sources; do not rely on them.*"
)
FROM_SOURCES = "\n\n**What the sources say:** "
HEDGE_NOTE = "*These sources may not answer your question directly; this is the closest they come.*"
FAILED = "Sorry, something went wrong while answering ({}). Please try again."
_LINE_PREFIX = re.compile(r"^\s*(\[\d+\]|\d+[.)]|[-*#>]+)\s*")
_CITE = re.compile(r"\[\d+\]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class PipelineConfig:
    # how answers are made: grounded (the model picks source sentences), extract (no model:
    # the most question-like sentences), free (the model writes; sentences checked afterwards)
    answer_mode: str = field(default="grounded", metadata={"choices": ANSWER_MODES})
    k: int = 5  # passages retrieved for an answer
    # records scoring this far below the best give their places to up to two more passages of
    # the best record (Retriever.fill); inf: every source is another record. Chosen on dev
    # among inf, 0.3 and 0.45 (docs/results/answers_dev_fill.json)
    fill_gap: float = 0.3
    # the added passages join the best record's source, in their order, instead of being sources
    # of their own: chosen on dev, ROUGE-L 0.424 -> 0.433, fewer "not in my sources" (a prompt
    # with two sources of one title is not what the model was trained on; answers_dev_fill.json)
    fill_merge: bool = True
    # sources about the condition the message names come first, in their order, when the best
    # is not ("what causes migraines": Migraine before Basilar migraine); "not in my sources"
    # is still decided on the best. Off: on dev it cost ROUGE-L 0.432 -> 0.426, on focus 0.909
    # -> 0.875 (a message's named conditions are often its background; the water pill's blood
    # pressure beside gout), docs/results/answers_dev_named_first.json
    named_first: bool = False
    # a chosen unit that points back at the sentence before it ("If so, your child may have
    # ADHD", "This causes the veins to swell") is shown after that sentence. Chosen on dev:
    # ROUGE-L 0.435 -> 0.437, on focus 0.913 -> 0.914 (docs/results/answers_dev_antecedents.json)
    antecedents: bool = True
    min_cosine: float = 0.48  # best retrieval cosine below which: "not in my sources"
    # the same, when the best source is about the condition the message names ("can you die
    # from lockjaw" is 0.475 from Tetanus). Both chosen on dev by bench/thresholds.py; this one
    # was 0.28 until ten out-of-scope questions using a condition's name for something else
    # (roof shingles, the Great Depression) joined dev, then 0.49 until page furniture left
    # the index text (0.45 since: every dev question still declined, lockjaw answered)
    min_cosine_named: float = 0.45
    # how many first sources the best cosine is taken over for "not in my sources" (the fused
    # ranking can put a keyword match above a closer passage)
    coverage_depth: int = 3
    # how source units are ranked for the grounded prompt and extract answers: shared words
    # with the question (lexical) or embedding similarity (cosine)
    unit_scores: str = field(default="lexical", metadata={"choices": ("lexical", "cosine")})
    # what the grounded prompt shows as the question: the message as typed, or what it asks
    # (a long message's question sentences with the conditions it names; a follow-up with the
    # condition it borrows). "asked" chosen on dev: better answers and a shorter prompt
    # (docs/results/answers_dev_prompt_question.json, ttft_prompt_question_dev.json)
    prompt_question: str = field(default="asked", metadata={"choices": ("message", "asked")})
    # when the model answers [none] though retrieval found close sources: say the sources do not
    # answer ("decline"), or quote the units it would choose next, under a note that they may
    # not answer ("hedge")
    on_none: str = field(default="decline", metadata={"choices": ("decline", "hedge")})
    # logit by which the model's [none] must beat its best source unit (a local model)
    none_margin: float = 0.0
    max_question_chars: int = 2000  # longer questions are refused with a message, not cut
    min_passage_chars: int = 200  # free mode: a trimmed passage shorter than this is dropped
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    support: SupportConfig = field(default_factory=SupportConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)


@dataclass
class Answer:
    """Everything the UI and the API show for one question."""

    question: str
    mode: str = ""  # answer mode that produced it ("grounded", "extract", "free"; "" if none)
    answer: str = ""  # markdown shown to the user (citations, ⚠️ marks, notes)
    raw_answer: str = ""  # the model's text as generated (unit numbers in grounded mode)
    safety: str = "ok"  # "ok", "emergency", "self_harm", "dosing" or "invalid"
    low_relevance: bool = False  # retrieval too weak: no answer was attempted
    not_answered: bool = False  # the answer says that the sources do not answer this
    # shown above the answer: a warning sign a doctor should check ("bleeding after menopause";
    # app.warning_signs), what the question asks about that the answer never mentions
    # ("coffee" in "does coffee raise blood pressure"; app.mentions), and with on_none="hedge"
    # that the sources may not answer
    note: str = ""
    citations: list[int] = field(default_factory=list)  # source numbers the answer cites
    sources: list[Hit] = field(default_factory=list)  # retrieved passages, numbered from 1
    unsupported: list[str] = field(default_factory=list)  # free mode: sentences not supported
    timings: dict = field(default_factory=dict)  # queue_ms, retrieve_ms, ttft_ms, total_ms...
    error: str = ""  # what went wrong, if anything did
    done: bool = False  # False while streaming

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["sources"] = [{"number": i, **h.to_dict()} for i, h in enumerate(self.sources, 1)]
        return out


def drop_bare_citations(text: str) -> str:
    """Lines that are only citation marks ("[1] [2] [3] …", a model looping on them) say
    nothing: drop them, so that the answer falls back to quoting the sources."""
    return "\n".join(line for line in text.splitlines() if _LETTER.search(_CITE.sub("", line)))


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


def not_english(text: str) -> bool:
    """Another script, or Spanish (the safety check's word list decides)."""
    return mostly_non_latin(text) or is_spanish(normalise(text))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def closest_of_first(hits: list[Hit], depth: int) -> Hit:
    """The source with the highest cosine among the first ``depth``: the one "not in my
    sources" is decided on (shared with ``bench/thresholds.py``, which chooses its bars)."""
    return max(hits[:depth], key=lambda h: h.cosine)


class Pipeline:
    def __init__(
        self, retriever: Retriever, model: LocalModel | None, cfg: PipelineConfig | None = None
    ):
        self.retriever = retriever
        self.model = model  # None: only the extract mode (no language model) is available
        self.cfg = cfg or PipelineConfig()
        if self.cfg.answer_mode != "extract" and model is None:
            raise ValueError(f"answer mode {self.cfg.answer_mode!r} needs a model")
        bm25 = retriever.index.bm25
        self.support = SupportChecker(retriever.embed, bm25.document_frequency, self.cfg.support)
        embedder = retriever.index.manifest.embedder
        self.safety = SafetyChecker(retriever.embed, self.cfg.safety, embedder)

    def use_index(self, index) -> None:
        """Swap in another index (the full one, built in the background); questions already
        being answered finish with the old one."""
        self.retriever = Retriever(index, config=self.retriever.config)
        print(f"Now answering from the {index.manifest.kind} index at {index.folder}", flush=True)

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

    def unit_scores(self, question: str, candidates: list[Candidate]) -> list[float]:
        if self.cfg.unit_scores == "cosine" and candidates:
            vectors = self.retriever.embed([question, *(c.text for c in candidates)])
            return (vectors[1:] @ vectors[0]).tolist()
        return lexical_scores(question, candidates)

    def stream(
        self,
        question: str,
        history: list[str] | None = None,
        cancel: threading.Event | None = None,
        mode: str | None = None,
        hits: list[Hit] | None = None,
    ) -> Iterator[Answer]:
        """Answer snapshots; ``hits`` replaces retrieval (benchmarks build unanswerable cases).
        Any thread may advance the stream or close it (Gradio does both): the answer itself
        runs on a thread of its own, so the model lock is always released by its owner."""
        return on_own_thread(self._answer(question, history, cancel, mode, hits))

    def _answer(
        self,
        question: str,
        history: list[str] | None,
        cancel: threading.Event | None,
        mode: str | None,
        hits: list[Hit] | None,
    ) -> Iterator[Answer]:
        start = time.perf_counter()
        mode = mode or self.cfg.answer_mode
        ans = Answer(question=question)
        invalid = self.validate(question) or (
            f"Unknown answer mode {mode!r}." if mode not in ANSWER_MODES else None
        )
        if invalid:
            ans.safety, ans.answer, ans.done = "invalid", invalid, True
            yield ans
            return
        verdict = self.safety.check(question)
        if verdict.stop:
            ans.safety, ans.answer, ans.done = verdict.outcome, verdict.message, True
            ans.timings["total_ms"] = _ms(start)
            yield ans
            return
        if greeting(question):  # "hi", "thanks!": nothing to look up
            ans.answer = THANKS_REPLY if _THANKS.search(question) else GREETING_REPLY
            ans.not_answered = ans.done = True
            ans.timings["total_ms"] = _ms(start)
            yield ans
            return
        # Shown whatever the sources say, "not in my sources" included.
        ans.note = warning_note(question)
        try:
            t = time.perf_counter()
            if hits is None:
                hits = self.retriever.search(
                    question,
                    k=self.cfg.k,
                    history=history,
                    fill_gap=self.cfg.fill_gap,
                    fill_merge=self.cfg.fill_merge,
                )
            ans.timings["retrieve_ms"] = _ms(t)
            ans.sources = hits
            # Something the sources never mention ("symptoms of covid"), with no condition
            # they know named beside it, is not answered from passages about something else.
            never = self.never_mentioned(question, history)
            if not self.covered(hits) or (never and not any(h.named for h in hits)):
                ans.low_relevance = ans.not_answered = True
                other = ENGLISH_ONLY if not_english(question) else ""
                ans.answer = NOT_COVERED + other + absent_note(never)
            else:
                ans.sources = self.close_first(hits)
                if self.cfg.named_first and any(h.named for h in hits):
                    ans.sources = sorted(ans.sources, key=lambda h: not h.named)
                ans.mode = mode
                if mode == "grounded":
                    yield from self._grounded(ans, cancel, self._prompt_question(question, history))
                else:
                    yield from (self._extract if mode == "extract" else self._free)(ans, cancel)
        except (ModelError, RuntimeError, OSError, ValueError) as exc:
            ans.error = f"{type(exc).__name__}: {exc}"
            ans.answer = FAILED.format(type(exc).__name__)
        if ans.mode and not ans.not_answered and not ans.error:
            said = unmentioned(self.asked(question, history), ans.answer, question)
            lacking = [m for m in self.names_lacking(question) if m not in said]
            mention = mention_note(said + lacking)
            ans.note = "\n\n".join(n for n in (ans.note, mention) if n)
        ans.done = True
        ans.timings["total_ms"] = _ms(start)
        yield ans

    def never_mentioned(self, question: str, history: list[str] | None) -> list[str]:
        """What the message, or the one before it, asks about that no source mentions: things
        known to be absent ("covid"), medicines and other things whose names the index never
        uses ("eliquis"), and condition names the index lacks ("plantar fasciitis", which
        retrieval would match with necrotizing fasciitis)."""
        text = " ".join([*(history or [])[-1:], question])
        never = absent(text, self.retriever.parser.word_counts)
        return list(dict.fromkeys(never + self.names_lacking(question, text)))

    def names_lacking(self, question: str, text: str | None = None) -> list[str]:
        """Condition names the index lacks in the text (the question by default); none for a
        message in another language ("sobredosis" is no English name)."""
        if not_english(question):
            return []
        return self.retriever.missing.find(text or question)

    def covered(self, hits: list[Hit]) -> bool:
        """Whether the closest of the first sources is close enough to try an answer."""
        return bool(hits) and self._close_enough(self._closest(hits))

    def close_first(self, hits: list[Hit]) -> list[Hit]:
        """The sources with the closest one first when the first is not close enough itself
        (a keyword match ranked above the passage that answers)."""
        if not hits or self._close_enough(hits[0]):
            return hits
        closest = self._closest(hits)
        return [closest, *(h for h in hits if h is not closest)]

    def _closest(self, hits: list[Hit]) -> Hit:
        return closest_of_first(hits, self.cfg.coverage_depth)

    def _close_enough(self, hit: Hit) -> bool:
        floor = self.cfg.min_cosine_named if hit.named else self.cfg.min_cosine
        return hit.cosine >= floor

    def _passages(self, ans: Answer) -> list[Passage]:
        return [h.passage for h in ans.sources]

    def _set_choices(self, ans: Answer, chosen: list[Candidate] | None) -> None:
        shown = with_antecedents(chosen, self._passages(ans)) if self.cfg.antecedents else chosen
        ans.answer = render_choices(shown, self._passages(ans))
        ans.citations = sorted({c.source for c in chosen or []})
        ans.not_answered = chosen is None

    def _extract(self, ans: Answer, cancel) -> Iterator[Answer]:
        candidates = all_candidates(self._passages(ans))
        chosen = extract_choices(
            candidates, self.unit_scores(ans.question, candidates), self.cfg.extract
        )
        ans.raw_answer = " ".join(c.label for c in chosen or [])
        self._set_choices(ans, chosen)
        return iter(())

    def asked(self, question: str, history: list[str] | None) -> str:
        """What the message asks: a long message's question sentences with the conditions it
        names; a follow-up with the condition it borrows (``rag.query``)."""
        return self.retriever.parser.parse(question, history).asked or question

    def _prompt_question(self, question: str, history: list[str] | None) -> str:
        return self.asked(question, history) if self.cfg.prompt_question == "asked" else question

    def grounded_candidates(self, question: str, hits: list[Hit]) -> list[Candidate]:
        """The source units a grounded prompt offers for this question."""
        passages = [h.passage for h in hits]
        scores = self.unit_scores(question, all_candidates(passages))
        named = [h.named for h in hits]
        return select_candidates(question, passages, self.cfg.selection, scores, named)

    def _grounded(self, ans: Answer, cancel, prompt_question: str) -> Iterator[Answer]:
        passages = self._passages(ans)
        candidates = self.grounded_candidates(ans.question, ans.sources)
        t = time.perf_counter()
        with self.model.lock:
            ans.timings["queue_ms"] = _ms(t)
            t = time.perf_counter()
            chosen: list[Candidate] | None = None
            named = [h.named for h in ans.sources]
            choices = functools.partial(
                grounded_choices,
                self.model,
                prompt_question,
                passages,
                candidates,
                self.cfg.selection,
                cancel,
                named,
            )
            for chosen in choices(none_margin=self.cfg.none_margin):
                ans.raw_answer = " ".join(c.label for c in chosen or []) or "[none]"
                if chosen is None and self.cfg.on_none == "hedge":
                    break
                ans.timings.setdefault("ttft_ms", _ms(t))
                self._set_choices(ans, chosen)
                yield ans
            if ans.raw_answer == "[none]" and self.cfg.on_none == "hedge":
                warning = ans.note
                for chosen in choices(allow_none=False):
                    ans.timings.setdefault("ttft_ms", _ms(t))
                    ans.raw_answer = "[none] " + " ".join(c.label for c in chosen or [])
                    ans.note = "\n\n".join(n for n in (warning, HEDGE_NOTE) if n)
                    self._set_choices(ans, chosen)
                    yield ans
        ans.timings["generate_ms"] = _ms(t)
        if not ans.raw_answer:  # cancelled before the first choice
            self._set_choices(ans, None)

    def budget_passages(self, question: str, passages: list[Passage]) -> list[Passage]:
        """Fit the passages into the context: trim the lowest-ranked first, never the question."""
        room = self.model.n_ctx - self.model.max_tokens
        passages = list(passages)
        while True:
            prompt = self.model.render(build_messages(question, passages)).prompt
            excess = self.model.count_tokens(prompt) - room
            if excess <= 0 or not passages:
                return passages
            last = passages[-1]
            keep = len(last.text) - int(excess * 4.5) - 20  # ~4.5 characters a token, a margin
            if keep < self.cfg.min_passage_chars:
                passages.pop()
            else:
                cut = last.text[:keep].rsplit(" ", 1)[0] + " …"
                passages[-1] = dataclasses.replace(last, text=cut)

    def _free(self, ans: Answer, cancel) -> Iterator[Answer]:
        passages = self.budget_passages(ans.question, self._passages(ans))
        if not passages:
            raise ModelError("the context is too small for even one passage; raise --ctx")
        ans.sources = ans.sources[: len(passages)]
        rendered = self.model.render(build_messages(ans.question, passages))
        t = time.perf_counter()
        with self.model.lock:
            ans.timings["queue_ms"] = _ms(t)
            pieces = self.model.stream(rendered, cancel=cancel, stop=STOP_SEQUENCES)
            for piece in timed_stream(pieces, ans.timings):
                ans.raw_answer += piece
                ans.answer = ans.raw_answer
                yield ans
        self._check_free(ans, passages)

    def _check_free(self, ans: Answer, passages: list[Passage]) -> None:
        """Check every sentence against the passages and compose the final markdown."""
        texts = [p.text for p in passages]
        answer = drop_echoed_titles(
            drop_bare_citations(ans.raw_answer), [p.title for p in passages]
        )
        result = self.support.check(answer, texts)
        for sentence in result.sentences:
            if gives_a_dose(sentence.text):  # never a dose for someone, even from a source
                sentence.text, sentence.supported, sentence.checked = DOSE_REMOVED, True, False
        ans.unsupported = result.unsupported
        body = result.markdown()
        citations = result.citations
        if result.support_rate < 0.5:
            # A tiny model can miss entirely: then quote the best source rather than nothing.
            lead = " ".join(split_units(texts[0])[:2])
            body = (body + FROM_SOURCES if body else FROM_SOURCES.lstrip()) + f"{lead} [1]"
            citations = sorted({*citations, 1})
            ans.timings["fallback"] = True
        if result.unsupported:
            body += NOT_SUPPORTED_NOTE
        ans.answer = body
        ans.citations = citations
        ans.not_answered = body.strip() == NO_ANSWER

    def ask(
        self,
        question: str,
        history: list[str] | None = None,
        mode: str | None = None,
        hits: list[Hit] | None = None,
    ) -> Answer:
        *_, final = self.stream(question, history, mode=mode, hits=hits)
        return final
