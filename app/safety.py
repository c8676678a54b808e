"""Deterministic safety checks that run before retrieval and before the model.

Two outcomes stop the pipeline with a fixed message: an emergency (call the local emergency
number now) and a request for a dose for a specific person (ask a pharmacist or doctor). The
rules are plain regular expressions so that the same words always get the same answer, and a
general question ("what are the symptoms of a stroke?") still gets a normal, sourced answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMERGENCY_MESSAGE = (
    "**This may be a medical emergency. Call your local emergency number now** "
    "(911 in the US and Canada, 112 in the EU, 999 in the UK, 000 in Australia), or go to the "
    "nearest emergency department. Do not wait for an answer from a chatbot.\n\n"
    "If someone is unconscious, not breathing, or has severe bleeding, tell the dispatcher "
    "and follow their instructions until help arrives."
)
CRISIS_MESSAGE = (
    "**You deserve support right now. If you might act on thoughts of harming yourself, call "
    "your local emergency number now.** In the US you can call or text **988** (Suicide & Crisis "
    "Lifeline) any time; in the UK and Ireland call Samaritans on **116 123**; elsewhere, your "
    "local emergency number or a crisis line near you can help. If you can, tell someone you "
    "trust and stay with them."
)
POISON_NOTE = (
    "\n\nFor a possible poisoning or overdose in the US you can also call Poison Control at "
    "**1-800-222-1222**."
)
DOSING_MESSAGE = (
    "I can't recommend a dose for a specific person. The right dose depends on age, weight, "
    "other medicines and health conditions, so please ask a **pharmacist or doctor**, or follow "
    "the label of the medicine. If someone may have taken too much, call your local emergency "
    "number or Poison Control (1-800-222-1222 in the US) now."
)

# Signs that the text describes a real person now, not a general question about a condition.
_PERSONAL = (
    r"\b(i|i'm|im|i've|ive|me|my|mine|we|our|us|he|she|he's|she's|his|her|they're|someone|"
    r"somebody|friend|husband|wife|partner|mom|mum|mother|dad|father|son|daughter|baby|child|"
    r"kid|brother|sister|grandma|grandpa|grandmother|grandfather|patient)\b"
)
_NOW = r"\b(now|right now|currently|suddenly|just|this morning|tonight|won'?t stop|can'?t stop)\b"
_GENERAL = (
    r"^\s*(what|which|how|why|who|when|is|are|can|does|do)\b.*\b(symptoms?|signs?|causes?|"
    r"treatments?|risk|mean|prevent|warning)\b"
)

# (pattern, needs a personal/now context to count as an emergency)
_EMERGENCY_RULES: list[tuple[str, bool]] = [
    (r"\b(chest|heart) (pain|pressure|tightness|hurts?)\b|\bpain in (my|his|her) chest\b", True),
    (r"\b(crushing|squeezing) (chest|pain)\b", False),
    (r"\bhaving a (heart attack|stroke|seizure)\b", False),
    (r"\b(face|mouth|smile) (is )?(drooping|droops|droopy)\b", True),
    (r"\bslurr(ed|ing) (speech|words)\b|\bcan'?t (speak|talk) (properly|suddenly)\b", True),
    (r"\b(sudden|suddenly)\b.*\b(numb|weak|paraly[sz]ed|confus|vision|headache)", True),
    (r"\b(worst|thunderclap) headache\b", True),
    (r"\b(can'?t|cannot|can not|unable to|struggling to|hard to|trouble|difficulty) breath", True),
    (r"\b(not|stopped|isn'?t|wasn'?t) breathing\b|\bturning (blue|purple)\b|\bchoking\b", False),
    (r"\b(throat|tongue|lips?) (is |are )?(swelling|swollen|closing)\b|\banaphyla", True),
    (
        r"\b(bleeding|blood) (heavily|a lot|badly|everywhere|won'?t stop|will not stop|nonstop)\b"
        r"|\b(severe|heavy|uncontrolled|spurting) bleeding\b|\bcoughing up blood\b|\bvomiting blood\b",
        True,
    ),
    (r"\b(unconscious|passed out|unresponsive|won'?t wake up|not waking up|collapsed)\b", True),
    (r"\bseizure\b.*\b(now|won'?t stop|minutes|first)\b|\bseizing\b", True),
    (
        r"\b(overdos(e|ed|ing)|took too many|taken too many|swallowed (a bottle|too many|bleach|"
        r"poison|batter))\b|\bpoison(ed|ing)\b",
        True,
    ),
    (r"\b(severe|bad) burns?\b|\bhit (my|his|her) head\b.*\b(vomit|confus|sleepy)", True),
]
_SELF_HARM = (
    r"\b(kill (myself|my ?self)|end (my|it) (life|all)|suicid(e|al)|want to die|wanna die|"
    r"self[- ]harm|hurt(ing)? myself|cut(ting)? myself|no reason to live|better off dead|"
    r"don'?t want to (live|be alive|wake up))\b"
)
_POISON = r"\b(overdos|too many|poison|swallowed|bleach)"

_DOSE = (
    r"\bhow (much|many)\b.*\b(take|give|mg|mcg|ml|pills?|tablets?|capsules?|doses?|units?|puffs?|"
    r"drops?|medicine|medication|meds|insulin)\b|\bwhat (dose|dosage|amount|strength)\b|"
    r"\bdos(e|es|age|ing)\b|\b\d+(\.\d+)?\s?(mg|mcg|ml|milligrams?|units?)\b|"
    r"\bhow often (can|should|do) (i|we|he|she|you) (take|give|use)\b"
)
_DOSE_FOR_SOMEONE = (
    r"\b(should (i|we|he|she)|can (i|we|he|she)|do (i|we)|give (my|him|her|them)|take|i'm|"
    r"my|year[- ]old|yo|months? old|weigh(s|ing)?|kg|lbs?|pounds)\b"
)


@dataclass(frozen=True)
class SafetyResult:
    outcome: str  # "ok", "emergency", "self_harm" or "dosing"
    message: str  # fixed text shown instead of a model answer ("" when ok)
    rule: str = ""  # which rule matched, for logs and tests

    @property
    def stop(self) -> bool:
        return self.outcome != "ok"


OK = SafetyResult("ok", "")


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def check(question: str) -> SafetyResult:
    """Classify a question before anything else sees it."""
    text = _normalise(question)
    if re.search(_SELF_HARM, text):
        return SafetyResult("self_harm", CRISIS_MESSAGE, "self_harm")
    personal = bool(re.search(_PERSONAL, text) or re.search(_NOW, text))
    general = bool(re.search(_GENERAL, text)) and not re.search(_NOW, text)
    for pattern, needs_context in _EMERGENCY_RULES:
        if re.search(pattern, text) and (not needs_context or (personal and not general)):
            message = EMERGENCY_MESSAGE + (POISON_NOTE if re.search(_POISON, text) else "")
            return SafetyResult("emergency", message, pattern)
    if re.search(_DOSE, text) and re.search(_DOSE_FOR_SOMEONE, text):
        return SafetyResult("dosing", DOSING_MESSAGE, "dosing")
    return OK
