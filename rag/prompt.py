"""The prompts, shared by the app and training, and the grounded answer format they agree on.

Two answer formats:

* free: the model writes its own sentences citing the numbered passages ([1], [2]); the app
  checks each sentence against the sources afterwards.
* grounded: the passages' units (sentences and whole lists, ``rag.text``) are numbered
  ``[source.unit]`` and the model answers only with such numbers (``[2.1] [1.3]``) or
  ``[none]``; the app shows the chosen units verbatim, each citing its source. An answer is
  grounded by construction: it can say nothing the sources do not say.

The app answers with exactly the messages the training package fine-tunes on, so a fine-tuned
model sees at inference the format it learned. Turning messages into text (a chat template) is
the model's business (``rag.architectures``), not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.passage import Passage
from rag.query import question_sentences, question_types
from rag.text import (
    SENTENCE_OPENERS,
    Stems,
    drop_inline_heading,
    is_bare_reply,
    is_directory,
    is_fragment,
    is_furniture,
    is_heading,
    is_lone_lead,
    is_question,
    to_markdown,
)

SYSTEM_PROMPT = (
    "You are MedGround, a careful medical information assistant. Answer the question using "
    "only the numbered sources. Cite the source of each fact like [1]. Write 2 to 5 short, "
    "plain sentences. If the sources do not answer the question, say so. Never give a dose "
    "for a specific person."
)
GROUNDED_SYSTEM_PROMPT = (
    "You are MedGround. Answer the question with sentences from the numbered sources: reply "
    "only with the numbers of the 1 to 4 sentences that answer it best, most important first, "
    "like [2.1] [2.3]. If no sentence answers the question, reply [none]."
)
NO_ANSWER = "The sources I found do not answer this."
NONE_LABEL = "[none]"
MAX_CHOICES = 4  # units in one grounded answer

# Free generation stops where a model starts inventing the next question or another source.
STOP_SEQUENCES = ["\nQuestion:", "\nSources:", "\n["]
_LABEL = re.compile(r"\[(\d+)\.(\d+)\]")
# Sources whose answers run their section headings into the next sentence ("Shingles Usually
# Does Not Return People who develop shingles…"): the heading is dropped when a unit is shown.
HEADINGS_RUN_IN = frozenset({"NIHSeniorHealth"})


def format_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(f"[{i}] {p.title}\n{p.text}" for i, p in enumerate(passages, 1))


def build_messages(
    question: str, passages: Sequence[Passage], system: str = SYSTEM_PROMPT
) -> list[dict[str, str]]:
    """Free format: system + one user turn holding the passages and the question."""
    user = f"Sources:\n{format_passages(passages)}\n\nQuestion: {question.strip()}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@dataclass(frozen=True)
class Candidate:
    """A unit the grounded answer may quote: unit ``unit`` of passage ``source`` (1-based)."""

    source: int
    unit: int
    text: str

    @property
    def label(self) -> str:
        return f"[{self.source}.{self.unit}]"


def all_candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every quotable unit of the numbered passages (not headings, questions, page furniture,
    directories of addresses and phone numbers, a list's lead without its list, a sentence's
    end cut off where a passage begins, or a bare "Yes." to a question not quoted)."""
    return [
        Candidate(i, j, unit)
        for i, p in enumerate(passages, 1)
        for j, unit in enumerate(p.units, 1)
        if not (
            is_heading(unit)
            or is_question(unit)
            or is_furniture(unit)
            or is_directory(unit)
            or is_lone_lead(unit)
            or is_fragment(unit)
            or is_bare_reply(unit)
        )
    ]


def build_grounded_messages(
    question: str,
    passages: Sequence[Passage],
    candidates: Sequence[Candidate],
    shown_chars: int = 320,
) -> list[dict[str, str]]:
    """Grounded format: the question, then each passage's offered units under their numbers.

    The question comes first so the model reads the sources knowing what is asked, and again
    last, right where it must answer.
    """
    offered: dict[int, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (c.source, c.unit)):
        offered.setdefault(c.source, []).append(c)
    blocks = []
    for i, p in enumerate(passages, 1):
        if i in offered:
            units = "\n".join(f"{c.label} {shown(c.text, shown_chars)}" for c in offered[i])
            blocks.append(f"[{i}] {p.title}\n{units}")
    q = question.strip()
    user = f"Question: {q}\n\nSources:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {q}"
    return [
        {"role": "system", "content": GROUNDED_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def grounded_target(chosen: Sequence[Candidate]) -> str:
    """What the model should answer: the chosen labels, or [none]."""
    return " ".join(c.label for c in chosen) if chosen else NONE_LABEL


def parse_choices(text: str, candidates: Sequence[Candidate]) -> list[Candidate] | None:
    """Labels in a model's reply -> offered candidates, first occurrence only, at most
    MAX_CHOICES; None when the reply is [none] (or names nothing that was offered)."""
    offered = {(c.source, c.unit): c for c in candidates}
    chosen: list[Candidate] = []
    for m in _LABEL.finditer(text):
        c = offered.get((int(m.group(1)), int(m.group(2))))
        if c is not None and c not in chosen:
            chosen.append(c)
    return chosen[:MAX_CHOICES] or None


def shown_unit(c: Candidate, passages: Sequence[Passage] | None = None) -> str:
    """A chosen unit as the answer shows it: verbatim, less a heading its source ran into it
    (the opener after the heading may also be the first word of the source's focus: "Gout")."""
    if not passages or passages[c.source - 1].source not in HEADINGS_RUN_IN:
        return c.text
    focus = passages[c.source - 1].focus.split()[:1]
    return drop_inline_heading(c.text, SENTENCE_OPENERS.union(focus))


# A unit that opens by pointing back at the sentence before it: "If so, your child may have
# ADHD", "But others develop painful cold sores", "This causes the veins to swell".
_POINTS_BACK = re.compile(
    r"^(If so|If not|But|However|Others|Otherwise|Instead|In addition|Also|As a result|For this "
    r"reason|Because of this|This|These|That|Those|Such|They|It|He|She|Both)\b"
)


def with_antecedents(
    chosen: Sequence[Candidate] | None, passages: Sequence[Passage]
) -> list[Candidate] | None:
    """The chosen units, each that points back at the sentence before it preceded by that
    sentence (when quotable, and also when chosen later, so a streamed answer never reorders):
    verbatim from the same source, so the answer stays grounded and reads as the source meant
    it."""
    if chosen is None:
        return None
    quotable = {(c.source, c.unit): c for c in all_candidates(passages)}
    out: list[Candidate] = []
    for c in chosen:
        before = quotable.get((c.source, c.unit - 1))
        if before is not None and _POINTS_BACK.match(c.text) and before not in out:
            out.append(before)
        if c not in out:
            out.append(c)
    return out


def render_choices(
    chosen: Sequence[Candidate] | None, passages: Sequence[Passage] | None = None
) -> str:
    """The grounded answer as Markdown: each unit verbatim (see :func:`shown_unit`), followed by
    its citation."""
    if not chosen:
        return NO_ANSWER
    parts = []
    for c in chosen:
        lead, *items = shown_unit(c, passages).split("\n")
        cited = f"{lead} [{c.source}]"
        parts.append(to_markdown("\n".join([cited, *items])))
    # Sentences run on as one paragraph; a list always stands apart (a one-item list too:
    # a sentence run onto its item would read as part of it, under the list's citation).
    out = ""
    for part in parts:
        last = out.split("\n\n")[-1]
        if not out:
            out = part
        elif "\n" in part or "\n" in last or last.startswith("- "):
            out += "\n\n" + part
        else:
            out += " " + part
    return out


@dataclass
class SelectionConfig:
    """Grounded prompt: which source units the model is offered."""

    # all offered units together (about 300 tokens): the prompt's size, so the time to the
    # first chosen unit. Chosen on dev (docs/results/ttft_selection_dev.json): the largest size
    # whose first-unit time p50 is at most 1 s on 2 cores (1,400 read 0.01 ROUGE-L better, 0.24
    # s slower)
    max_chars: int = 1200
    per_source: int = 4  # most units offered from one passage
    shown_chars: int = 320  # a longer unit (a long list) is shown cut; the answer shows it whole
    lead_bonus: float = 0.15  # an answer's first unit often states the answer itself
    rank_decay: float = 0.05  # score lost per retrieval rank of the unit's passage
    # score lost by a unit whose passage is about another condition than the one the message
    # names, when some passage is about that one: a faithful quote about endometrial cancer
    # is a wrong answer to a question about endometriosis. Chosen on dev (0, 0.1, 0.3): the
    # most answers on focus for at most 0.005 less ROUGE-L
    off_focus_penalty: float = 0.1
    # once the answer quotes a passage about the condition the message names, it quotes no
    # passage about another ("how do i bring down a fever": Fever, then not Q Fever). Off: on
    # dev it moved on focus 0.896 -> 0.896 and cost ROUGE-L 0.413 -> 0.410, gold cited 0.850 ->
    # 0.844 (docs/results/answers_dev_stay_on_focus.json): a message's named conditions are
    # often its background
    stay_on_focus: bool = False
    # once the answer quotes a passage, it goes on only with passages about the same condition
    # (however each source titles it) or one the message names: "my daughter has lice" quotes
    # head lice treatment, then not pubic lice's. Off: on dev it cost ROUGE-L 0.426 -> 0.423,
    # on focus 0.900 -> 0.897 (docs/results/answers_dev_stay_on_condition.json)
    stay_on_condition: bool = False
    # the lead bonus also for an answer of another question type than the message asks ("how
    # do you treat an ear infection": what an ear infection is comes before the overview's
    # treatment sentences). Off cost dev ROUGE-L 0.432 -> 0.429, gold cited 0.844 -> 0.838
    # (docs/results/answers_dev_lead_types.json), so it stays on
    lead_other_types: bool = True


def lexical_scores(question: str, candidates: Sequence[Candidate]) -> list[float]:
    """Share of the question's content words (stemmed) that each unit contains."""
    stems = _stems()
    asked = stems(question)
    if not asked:
        return [0.0] * len(candidates)
    return [len(asked & stems(c.text)) / len(asked) for c in candidates]


def select_candidates(
    question: str,
    passages: Sequence[Passage],
    cfg: SelectionConfig | None = None,
    scores: Sequence[float] | None = None,
    named: Sequence[bool] | None = None,
) -> list[Candidate]:
    """The units worth offering the model, best first, within the prompt's size.

    ``scores`` (one per unit of :func:`all_candidates`) default to :func:`lexical_scores`; the
    lead of an answer and passages ranked higher by retrieval get a bonus. ``named`` (one per
    passage) says which passages are about the condition the message names; when any is, the
    others' units lose ``cfg.off_focus_penalty``. A unit two sources share (a list: its items) is
    offered once.
    """
    cfg = cfg or SelectionConfig()
    pool = all_candidates(passages)
    base = list(scores) if scores is not None else lexical_scores(question, pool)
    if named is not None and any(named):
        off = [not named[c.source - 1] for c in pool]
        base = [b - cfg.off_focus_penalty * o for b, o in zip(base, off, strict=True)]
    # the question's types are parsed only for the option that uses them
    asked = (
        set()
        if cfg.lead_other_types
        else question_types(" ".join(question_sentences(question)) or question)
    )
    leads = [
        p.chunk == 0
        and (cfg.lead_other_types or not asked or "information" in asked or p.qtype in asked)
        for p in passages
    ]
    ranked = sorted(
        zip(pool, base, strict=True),
        key=lambda cs: (
            -(
                cs[1]
                + cfg.lead_bonus * (cs[0].unit == 1 and leads[cs[0].source - 1])
                - cfg.rank_decay * (cs[0].source - 1)
            )
        ),
    )
    chosen: list[Candidate] = []
    texts: set[str] = set()
    used = 0
    per_source: dict[int, int] = {}
    for c, _ in ranked:
        if (text := _dedup_key(c.text)) in texts:
            continue
        size = min(len(c.text), cfg.shown_chars)
        if chosen and used + size > cfg.max_chars:
            continue
        if per_source.get(c.source, 0) >= cfg.per_source:
            continue
        chosen.append(c)
        texts.add(text)
        used += size
        per_source[c.source] = per_source.get(c.source, 0) + 1
    return chosen


def _dedup_key(unit: str) -> str:
    """What makes two units the same for the reader: a list's items (two sources introduce one
    list of UTI symptoms in their own words), else the whole text, case and spacing aside."""
    _, sep, items = unit.partition("\n")
    return " ".join((items if sep else unit).lower().split())


def shown(text: str, limit: int) -> str:
    """A unit as offered in the prompt: cut at a word (or list item) past ``limit`` chars."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


@lru_cache(maxsize=1)
def _stems() -> Stems:
    return Stems()
