"""How an answer is made from retrieved passages, one function per answer mode.

* ``grounded`` (default): the model picks up to four numbered source units, one step at a time,
  each step greedily among the units not yet chosen (or, first, ``[none]``; later, ending the
  reply); the answer shows those units verbatim, each with its citation. Through a chat API
  (``app.remote``) a grammar constrains the whole reply instead.
* ``extract``: no language model: the units most similar to the question, cited. The baseline
  every model must beat.
* ``free``: the model writes its own sentences (checked afterwards by ``app.support``).

Grounded and extract answers are lists of :class:`~rag.prompt.Candidate`; ``None`` means "the
sources do not answer this".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.chat_format import Rendered
from app.model import LocalModel
from rag.prompt import (
    MAX_CHOICES,
    NONE_LABEL,
    Candidate,
    SelectionConfig,
    build_grounded_messages,
    parse_choices,
)
from rag.retriever import condition_key

ANSWER_MODES = ("grounded", "extract", "free")


@dataclass
class ExtractConfig:
    """Extract answers (no language model)."""

    # Chosen on the dev messages (bench/answers.py --models "" --config ...): units from the best
    # passage only keep answers on the question's condition; three units read best.
    units: int = 3  # units in an extract answer
    max_words: int = 80  # stop adding units past this many words
    sources: int = 1  # units come from the top N retrieved passages only
    min_score: float = 0.0  # a best unit scoring below this answers "not in my sources"


def grounded_choices(
    model: LocalModel,
    question: str,
    passages,
    candidates: Sequence[Candidate],
    selection: SelectionConfig,
    cancel: threading.Event | None = None,
    named: Sequence[bool] | None = None,
    allow_none: bool = True,
    none_margin: float = 0.0,
) -> Iterator[list[Candidate] | None]:
    """Yield the growing list of chosen units (or None for [none]) as each step completes.

    Each step the model picks, greedily, a unit not chosen yet; first it may pick ``[none]``
    instead (unless ``allow_none`` is False; a local model only by a logit margin of
    ``none_margin``), later it may end its reply (:meth:`LocalModel.pick`). ``named`` (one per
    passage) says which passages are about the condition the message names: with
    ``selection.stay_on_focus``, once the answer quotes one of those, it quotes only those.
    """
    messages = build_grounded_messages(question, passages, candidates, selection.shown_chars)
    rendered = model.render(messages)
    on_focus = named if selection.stay_on_focus else None
    together = _together(passages, named) if selection.stay_on_condition else None
    if not model.prefix_continuation:
        for chosen in _in_one_call(model, rendered, candidates, cancel, allow_none):
            yield chosen and _stay_together(_stay_on_focus(chosen, on_focus), together)
        return
    reply = ""
    chosen: list[Candidate] = []
    with model.lock:
        for _ in range(MAX_CHOICES):
            left = [c for c in candidates if c not in chosen]
            if on_focus is not None and any(on_focus[c.source - 1] for c in chosen):
                left = [c for c in left if on_focus[c.source - 1]]
            if together is not None and chosen:
                left = [c for c in left if together[chosen[0].source - 1][c.source - 1]]
            if (cancel is not None and cancel.is_set()) or (chosen and not left):
                return
            none = [NONE_LABEL] if allow_none and not chosen else []
            options = [*none, *((f" {c.label}" if chosen else c.label) for c in left)]
            # Only a [none] with a margin is handicapped: pick then compares plain logits.
            handicap = [none_margin] + [0.0] * len(left) if none and none_margin else None
            picked = model.pick(rendered.prompt + reply, options, bool(chosen), handicap)
            if picked is None:
                return  # the model chose to end its reply
            if none and picked == 0:
                yield None
                return
            chosen.append(left[picked - len(none)])
            reply += options[picked]
            yield list(chosen)


def _stay_on_focus(chosen: list[Candidate], on_focus: Sequence[bool] | None) -> list[Candidate]:
    """The chosen units less those about another condition after one about the named one."""
    if on_focus is None:
        return chosen
    kept: list[Candidate] = []
    for c in chosen:
        if on_focus[c.source - 1] or not any(on_focus[k.source - 1] for k in kept):
            kept.append(c)
    return kept


def _together(passages, named: Sequence[bool] | None) -> list[list[bool]]:
    """``[a][b]``: an answer that opened with passage ``a`` may quote passage ``b`` (both 0-based):
    ``b`` is about the same condition, or one the message names."""
    keys = [condition_key(p.focus) for p in passages]
    named = named or [False] * len(passages)
    return [[k == other or bool(n) for other, n in zip(keys, named, strict=True)] for k in keys]


def _stay_together(chosen: list[Candidate], together: list[list[bool]] | None) -> list[Candidate]:
    if together is None or not chosen:
        return chosen
    return [c for c in chosen if together[chosen[0].source - 1][c.source - 1]]


def _in_one_call(
    model, rendered: Rendered, candidates, cancel, allow_none: bool = True
) -> Iterator[list[Candidate] | None]:
    """For a model that cannot continue a reply (a chat API): one grammar for the whole answer;
    a unit named twice counts once."""
    labels = " | ".join(f'"{c.label}"' for c in candidates)
    none = f'"{NONE_LABEL}" | ' if allow_none else ""
    grammar = f'root ::= {none}choice (" " choice){{0,{MAX_CHOICES - 1}}}\nchoice ::= {labels}'
    reply = "".join(
        model.stream(rendered, max_tokens=48, cancel=cancel, grammar=grammar, temperature=0)
    )
    yield parse_choices(reply, candidates)


def extract_choices(
    candidates: Sequence[Candidate], scores: Sequence[float], cfg: ExtractConfig
) -> list[Candidate] | None:
    """The best-scoring units, best first, up to ``cfg.units`` units and ``cfg.max_words``."""
    pool = [(c, s) for c, s in zip(candidates, scores, strict=True) if c.source <= cfg.sources]
    ranked = sorted(pool, key=lambda cs: -cs[1])
    if not ranked or ranked[0][1] < cfg.min_score:
        return None
    chosen: list[Candidate] = []
    words = 0
    for c, _ in ranked:
        if len(chosen) == cfg.units or (chosen and words + len(c.text.split()) > cfg.max_words):
            break
        chosen.append(c)
        words += len(c.text.split())
    return chosen
