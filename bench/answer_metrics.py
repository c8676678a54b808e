"""Answer metrics for the benchmark, written independently of the app's own support check.

The app judges its free-mode sentences with ``app.support``; judging the app with the same code
would grade it with its own answer key. So this module has its own tokenizer (Porter stems, not
Snowball), its own negation list, and a stricter rule:

* **faithful**: every content word and number of the sentence appears in the passages it cites,
  and the sentence agrees on negation with the cited sentence it overlaps most;
* **citation precision**: the share of [n] marks whose passage alone makes the sentence
  faithful;
* **on focus**: the sentence cites a passage about the question's disease (a faithful copy from
  a passage about another disease is still a wrong answer);
* **relevance**: ROUGE-L and token F1 against the reference answer (NIH's answer).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

_WORDS = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
_CITED = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NEGATIONS = frozenset(
    "not no never none nothing neither nor without cannot nobody nowhere".split()
)
_FUNCTION = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those there their they them he she his her you your we our us can
    may might will would should could do does did so than then also such which who whom what
    when where why how all any some more most other into about over after before very have has
    had i me my one also each both many much often usually include includes including called
    known s t""".split()
)


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


def tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower().replace("n't", " not"))


def content(text: str) -> set[str]:
    """Porter stems of the words that carry content, numbers included."""
    stem = _porter().stem
    return {stem(t) for t in tokens(text) if t not in _FUNCTION and t not in _NEGATIONS}


def negated(text: str) -> bool:
    return any(t in _NEGATIONS for t in tokens(text))


def sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence without citations, cited numbers) for each sentence of a Markdown answer.

    A citation covers what it follows; a sentence of a line with no citation of its own takes
    the line's last one, and list items take the citation of the line that introduces them.
    """
    out: list[tuple[str, list[int]]] = []
    text = re.sub(r"([.!?])((?:\s*\[\d+\])+)", lambda m: m.group(2) + m.group(1), answer)
    lead: list[int] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith(("*", "<sub>", "⚠️ *Sentences")):
            continue
        item = line.startswith("- ")
        pieces = [p for p in _SENTENCE.split(line[2:] if item else line) if p.strip()]
        own = list(dict.fromkeys(int(n) for n in _CITED.findall(line)))
        line_cites = own or (lead if item else [])
        if not item or (own and not lead):  # a list with no lead is cited on its first item
            lead = line_cites
        for piece in pieces:
            words = (
                re.sub(r"\s+([.!?,;:])", r"\1", _CITED.sub("", piece)).replace("⚠️", "").strip(" *")
            )
            if len(tokens(words)) >= 3:
                out.append((words, [int(n) for n in _CITED.findall(piece)] or line_cites))
    return out


def faithful(sentence: str, passages: Sequence[str]) -> bool:
    """All content words and numbers found in the passages; negation as in the closest one of
    their sentences."""
    if not passages:
        return False
    flat = _flat(sentence)
    if any(flat in _flat(p) for p in passages):
        return True  # quoted word for word
    words = content(sentence)
    pool = set().union(*(content(p) for p in passages))
    if not words <= pool:
        return False
    parts = [s for p in passages for s in re.split(r"(?<=[.!?])\s+|\n", p) if s.strip()]
    closest = max(parts, key=lambda s: len(words & content(s)))
    return negated(sentence) == negated(closest)


def _flat(text: str) -> str:
    return " ".join(tokens(text))


def rouge_l(reference: str, answer: str) -> float:
    return _rouge().score(reference, answer)["rougeL"].fmeasure if answer.strip() else 0.0


@lru_cache(maxsize=1)
def _rouge():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def token_f1(reference: str, answer: str) -> float:
    ref, got = Counter(tokens(reference)), Counter(tokens(answer))
    common = sum((ref & got).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def plain_answer(answer: str) -> str:
    """The answer's words without citations, warnings and notes, for relevance metrics."""
    return " ".join(s for s, _ in sentences(answer))


def score_answer(
    answer: str, sources: Sequence[dict], relevant: set[str], foci: set[str], references: list[str]
) -> dict:
    """Metrics of one answer. ``sources`` are the answer's numbered sources (``record_id``,
    ``focus``, ``text``), ``relevant`` the record ids that answer the question, ``foci`` their
    foci (lower case), ``references`` their answers."""
    found = sentences(answer)
    texts = {i: s["text"] for i, s in enumerate(sources, 1)}
    faithful_flags, precise, on_focus = [], [], []
    for text, cited in found:
        cited = [n for n in cited if n in texts]
        faithful_flags.append(faithful(text, [texts[n] for n in cited]))
        precise.extend(faithful(text, [texts[n]]) for n in cited)
        on_focus.append(
            any(sources[n - 1]["focus"].lower() in foci for n in cited) if cited else False
        )
    plain = plain_answer(answer)
    cited_records = {sources[n - 1]["record_id"] for _, c in found for n in c if n in texts}
    return {
        "sentences": len(found),
        "faithfulness": _share(faithful_flags),
        "citation_precision": _share(precise),
        "on_focus": _share(on_focus),
        "rougeL": max((rouge_l(r, plain) for r in references), default=0.0),
        "token_f1": max((token_f1(r, plain) for r in references), default=0.0),
        "gold_cited": float(bool(cited_records & relevant)),
    }


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None
