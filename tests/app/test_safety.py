"""The deterministic safety check: emergencies, self-harm and personal dosing stop early."""

from __future__ import annotations

import pytest

from app.safety import check

EMERGENCIES = [
    "I have crushing chest pain and my left arm is numb",
    "my dad's face is drooping and his speech is slurred",
    "my wife can't breathe",
    "my son took too many of my sleeping pills",
    "I've been bleeding heavily for an hour and it won't stop",
    "my baby is not breathing",
    "my throat is swelling after a bee sting",
    "my grandma collapsed and is unresponsive",
    "He is having a seizure right now",
    "I think I'm having a heart attack",
]
SELF_HARM = [
    "I want to kill myself",
    "i dont want to be alive anymore, I want to die",
    "thinking about suicide",
]
DOSING = [
    "how much ibuprofen should I give my 3 year old",
    "can i take 2 tylenol 500 mg for my headache",
    "what dose of metformin should I take, I weigh 90 kg",
    "How many mg of amoxicillin for my daughter?",
]
GENERAL = [
    "what are the symptoms of a heart attack?",
    "What are the warning signs of a stroke?",
    "what causes shortness of breath",
    "How is glaucoma treated?",
    "how much water should i drink a day",
    "what is chest pain caused by",
    "Who is at risk for shingles?",
    "What pills treat high blood pressure?",
]


@pytest.mark.parametrize("q", EMERGENCIES)
def test_emergencies(q):
    r = check(q)
    assert r.outcome == "emergency" and "emergency number" in r.message


@pytest.mark.parametrize("q", SELF_HARM)
def test_self_harm_gets_crisis_lines(q):
    r = check(q)
    assert r.outcome == "self_harm" and "988" in r.message


@pytest.mark.parametrize("q", DOSING)
def test_personal_dosing_is_declined(q):
    r = check(q)
    assert r.outcome == "dosing" and "pharmacist" in r.message


@pytest.mark.parametrize("q", GENERAL)
def test_general_questions_pass(q):
    assert check(q).outcome == "ok"


def test_overdose_mentions_poison_control():
    assert "1-800-222-1222" in check("my son took too many of my sleeping pills").message
