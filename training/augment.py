"""Asking MedQuAD's templated questions the way people do, offline (no paraphrase model needed).

MedQuAD asks "What are the symptoms of Glaucoma ?"; people write "how do i know if i have
glaucoma", "my mom has galucoma, what signs should we watch for", "glaucoma symptoms". Each
augmentation draws one of: another name of the focus (the records' synonyms hold lay names), the
template dropped for a question type's everyday phrasing, a first-person context before the
question, the clauses turned around, and typos; several can stack.
"""

from __future__ import annotations

import random
import string

# Everyday ways to ask each MedQuAD question type ({f}: the focus).
PHRASINGS = {
    "information": ["what is {f}", "tell me about {f}", "what does {f} mean", "{f}?"],
    "symptoms": [
        "what are the signs of {f}",
        "how do i know if i have {f}",
        "{f} symptoms",
        "what does {f} feel like",
    ],
    "causes": ["what causes {f}", "why do people get {f}", "where does {f} come from"],
    "treatment": [
        "how is {f} treated",
        "what can be done for {f}",
        "{f} treatment options",
        "is there a cure for {f}",
    ],
    "prevention": ["how can i prevent {f}", "can {f} be prevented", "how to avoid {f}"],
    "exams and tests": ["how do doctors test for {f}", "how is {f} diagnosed", "test for {f}"],
    "outlook": ["what is the outlook for {f}", "can you recover from {f}", "is {f} serious"],
    "susceptibility": ["who gets {f}", "am i at risk for {f}", "who is likely to get {f}"],
    "inheritance": ["is {f} passed down in families", "can my kids inherit {f}", "is {f} genetic"],
    "frequency": ["how common is {f}", "how many people have {f}"],
    "genetic changes": ["what gene causes {f}", "what genetic change leads to {f}"],
    "research": ["is there new research on {f}", "are there clinical trials for {f}"],
    "complications": ["what problems can {f} cause", "complications of {f}"],
    "stages": ["what are the stages of {f}"],
    "considerations": ["what should i know about living with {f}"],
}
CONTEXTS = [
    "my mom was just diagnosed with {f}.",
    "my doctor says i might have {f}.",
    "i'm 52 and my brother has {f}.",
    "we just found out our son has {f}, we are worried.",
    "my husband has {f} and i want to help him.",
    "i read about {f} online and got scared.",
]


def typo(text: str, rng: random.Random, n: int = 2) -> str:
    """Drop, double or swap a letter in up to ``n`` longer words."""
    words = text.split()
    for i in rng.sample(range(len(words)), min(n, len(words))):
        w = words[i]
        if len(w) < 5 or not w.isalpha():
            continue
        j = rng.randrange(1, len(w) - 2)
        edit = rng.choice(("drop", "double", "swap"))
        if edit == "drop":
            w = w[:j] + w[j + 1 :]
        elif edit == "double":
            w = w[:j] + w[j] + w[j:]
        else:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        words[i] = w
    return " ".join(words)


def augment_question(record, rng: random.Random) -> tuple[str, str]:
    """(what was done, the question as a person might ask it) for a record with ``focus``,
    ``qtype``, ``question`` and ``synonyms``."""
    if not record.focus.strip():
        return "", record.question  # nothing to rename or refer back to
    names = [s for s in record.synonyms if 3 < len(s) < 40]
    focus = record.focus
    kinds = []
    if names and rng.random() < 0.4:
        focus = rng.choice(names)
        kinds.append("synonym")
    focus = focus.lower()
    phrasings = PHRASINGS.get(record.qtype)
    if phrasings:
        question = rng.choice(phrasings).format(f=focus)
        kinds.append("phrasing")
    else:
        question = record.question.replace(record.focus, focus)
    if rng.random() < 0.3:
        context = rng.choice(CONTEXTS).format(f=focus)
        if rng.random() < 0.5:
            question = f"{context} {question.replace(focus, 'it')}"
        else:
            question = f"{question}? {context}"  # clauses turned around: question first
        kinds.append("context")
    if rng.random() < 0.3:
        question = typo(question, rng)
        kinds.append("typo")
    if rng.random() < 0.5:
        question = question.rstrip(string.punctuation + " ")
    elif not question.endswith("?") and not question.endswith("."):
        question += "?"
    return "+".join(kinds), question
