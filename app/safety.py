"""Safety checks that run before retrieval and before the model, and on free-mode output.

Three outcomes stop the pipeline with a fixed message: an emergency (call the local emergency
number now), thoughts of self-harm or questions about lethal means (crisis lines), and a request
for a dose for a specific person (ask a pharmacist or doctor). Messages written in Spanish get
the message in Spanish as well.

Two layers, both deterministic:

1. rules (regular expressions over the normalised text, English and Spanish) for the ways
   people describe emergencies, self-harm and dosing: counts of pills swallowed, children and
   household products, symptoms without "I" or "my"; a general question ("what are the warning
   signs of a stroke?") passes the emergency rules unless it also describes someone now;
2. a classifier learned at start-up from labeled messages (``app/data``, about 1,840, and
   people's health questions that must be answered): logistic regression over character and
   word n-grams and the retrieval embedder's sentence embedding. It catches the phrasings no
   rule foresaw. Which rules run beside it is a setting (``--rules none|strong|all``): with
   the 1,840 messages, cross-validation prefers the classifier alone (the rules then guard
   only a check without an embedder); all rules raise false alarms on background stories.

Two rules run whatever the setting (:func:`always_on`): a fever in a baby under three months
(:func:`infant_fever`), an emergency by every guideline, which a classifier of words cannot learn
from "newborn" and "fever" each being harmless alone; and a fever at any age with a red flag (a
seizure, a stiff neck, a rash that does not fade, someone hard to wake or struggling to breathe:
:func:`fever_red_flag`), so that the classifier can learn that a fever with an earache is a
question without learning the emergencies, which raised its false alarms elsewhere.

Settings are chosen by cross-validation on the labeled messages and reported on a separate
test set, written by someone who saw neither, by ``bench/safety.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app import safety_rules as rules
from rag.query import question_sentences, question_types

DATA = Path(__file__).resolve().parent / "data"
QUESTIONS = Path(__file__).resolve().parent.parent / "rag" / "queries" / "messages.jsonl"
OUTCOMES = ("ok", "emergency", "self_harm", "dosing")

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
# "can i take ibuprofen with lisinopril": a question about two medicines together, not a dose.
INTERACTION_MESSAGE = (
    "I can't tell whether medicines are safe together for a specific person: that depends on "
    "the doses, other medicines and health conditions. Please ask a **pharmacist or doctor**; a "
    "pharmacist can check your medicines against each other. If someone may have taken too "
    "much, call your local emergency number or Poison Control (1-800-222-1222 in the US) now."
)
_GENERIC_MEDICINE_WORDS = (
    r"pills?",
    r"tablets?",
    r"tabs?",
    r"capsules?",
    r"meds",
    r"medicine",
    r"medication",
    r"pastillas?",
    r"medicamentos?",
    r"gotas",
    r"drops",
    r"doses?",
    r"dosis",
    r"dosage",
    r"mg",
    r"ml",
    r"the pill",
    r"inhaler",
    r"puffer",
    r"iron",
    r"magnesium",
)
_GENERIC_MEDICINE = re.compile(rf"\b({'|'.join(_GENERIC_MEDICINE_WORDS)})\b")
_TOGETHER = r"\b(with|and|together|while (on|taking)|plus|mix\w*|combin\w*)\b"
SPANISH = {
    "emergency": (
        "**Esto puede ser una emergencia médica. Llame ahora a su número local de emergencias** "
        "(911 en EE. UU. y México, 112 en España y la UE) o vaya a urgencias. No espere la "
        "respuesta de un chatbot."
    ),
    "self_harm": (
        "**Usted merece apoyo ahora mismo. Si pudiera hacerse daño, llame ahora a su número "
        "local de emergencias.** En EE. UU. puede llamar o escribir al **988** (también en "
        "español); en España, llame al **024**. Si puede, hable con alguien de confianza y no "
        "se quede solo."
    ),
    "dosing": (
        "No puedo recomendar una dosis para una persona concreta. Pregunte a un **farmacéutico "
        "o médico**, o siga la etiqueta del medicamento. Si alguien pudo tomar demasiado, llame "
        "ahora a emergencias."
    ),
}
# Shown in place of a free-mode sentence that gives a dose amount.
DOSE_REMOVED = "(A dose was removed here: ask a pharmacist or doctor what dose is right for you.)"

# A message that describes someone now, not a general question about a condition.
_SOMEONE = (
    r"\b(i|im|ive|me|my|mine|we|our|us|he|she|hes|shes|his|her|him|they|theyre|them|someone|"
    r"somebody|friend|husband|wife|partner|boyfriend|girlfriend|mom|mum|mother|dad|father|son|"
    r"daughter|baby|babys|child|kid|toddler|newborn|infant|brother|sister|grandma|grandpa|"
    r"grandmother|grandfather|aunt|uncle|neighbou?r|coworker|roommate|patient|guy|man|woman|"
    r"lady|yo|year old|month old)\b"
)
_NOW = (
    r"\b(now|right now|currently|suddenly|sudden|just|this morning|tonight|minutes? ago|"
    r"an hour ago|hours? ago|happening|help|hurry|asap|911|is back|still)\b"
)
_GENERAL = (
    r"^(what|whats|which|how|why|who|when|where|is|are|can|could|does|do|should|tips|signs|"
    r"symptoms|warning|causes|ways|difference|explain|tell me about|info)\b"
)
_GENERAL_ES = (
    r"^(cuales?|que|como|por que|cuando|quien|donde|es|son)\b|\b(sintomas|senales|prevenimos|"
    r"prevenir)\b|\bel ano pasado\b|\bsi alguien\b"
)
_PAST = (
    r"\b(last (week|month|year)|(\d+|a few|two|three|several) (weeks|months|years) ago|"
    r"years ago|in the past|used to|once|as (a|an) (baby|newborn|infant|child|kid|toddler|teen))\b"
)
# Symptoms that have gone on for a long time, or come and go: not an emergency now.
_CHRONIC = (
    r"\b((most|every|some) (nights?|days?|mornings?|evenings?)|this (winter|summer)|"
    r"every (spring|summer|fall|winter|year)|for (weeks|months|years|a year)|on and off|"
    r"comes and goes|lately|usually|often|sometimes|every couple of|for the past|"
    r"since (i was|childhood|birth)|for (the (past|last) )?(\d+|two|three|a few|several) "
    r"(weeks|months|years)|(\d+|two|three|a few|several) (weeks|months|years) now)\b"
)
# A clinician has already seen to it, and the message asks about the condition.
_CARE_GIVEN = (
    r"\b(diagnos\w*|(the |my |our |his |her )?(doctor|doc|er|hospital|neurologist|pediatrician|"
    r"surgeon|specialist|urgent care|oncologist|cardiologist|gp|nurse)\b.{0,40}\b(said|says|"
    r"told|thinks|think|confirmed|admitted|found)|told us|was told|sent (us|him|her|me) home|"
    r"turned out (to be|it was|that)|found out|the tests? (showed|came back))\b"
)
_FEELING_NOW = r"\bnow (i|im|we|were|i am|we are) (so |really |very )?(scared|worried|afraid|nervous|anxious|wondering|curious)\b"
_STILL_URGENT = r"\b(right now|just now|help|hurry|call 911|now what)\b"
_SPANISH_WORDS = (
    r"\b(el|la|los|las|mi|mis|que|de|del|no|se|le|esta|tiene|hijo|hija|puedo|cuanto|cuantas|"
    r"para|por|con|muy|dolor|pecho|esposo|esposa|bebe|quiero|tengo|estoy|mucha|mucho|hace|una|"
    r"un|me|y|en|sin|al|lo|su|hay|pero|porque|ya|siento|tome|como|cuando|nina|nino|abuela|"
    r"abuelo|puede|estan)\b"
)
_POISON = (
    r"\b(overdos|too many|poison|swallowed|bleach|took \d|by mistake|batter|magnet|se trago|"
    r"sobredosis|veneno|intoxic)"
)
# A sentence of a model's answer that tells someone how much to take.
_DOSE_AMOUNT = (
    r"\b\d+(\.\d+)?\s?(mg|mcg|µg|ml|milligrams?|micrograms?|units?|tablets?|pills?|capsules?|"
    r"drops|teaspoons?|tablespoons?|puffs?)\b"
)
_DOSE_INSTRUCTION = (
    r"\b(take|takes|taking|give|given|dose|dosage|every|times a day|daily|per day|twice|once)\b"
)


@dataclass(frozen=True)
class SafetyResult:
    outcome: str  # "ok", "emergency", "self_harm" or "dosing"
    message: str  # fixed text shown instead of a model answer ("" when ok)
    rule: str = ""  # which rule or example decided, for logs and tests

    @property
    def stop(self) -> bool:
        return self.outcome != "ok"


OK = SafetyResult("ok", "")


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, white space folded."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("'", "")
    return " ".join(text.split())


def is_spanish(text: str) -> bool:
    words = text.split()
    return bool(words) and len(re.findall(_SPANISH_WORDS, text)) >= max(2, len(words) // 4)


def _message(outcome: str, text: str) -> str:
    base = {
        "emergency": EMERGENCY_MESSAGE,
        "self_harm": CRISIS_MESSAGE,
        "dosing": DOSING_MESSAGE,
    }[outcome]
    if outcome == "emergency" and re.search(_POISON, text):
        base += POISON_NOTE
    if outcome == "dosing" and _two_medicines(text):
        base = INTERACTION_MESSAGE
    return f"{SPANISH[outcome]}\n\n{base}" if is_spanish(text) else base


def _two_medicines(text: str) -> bool:
    """Two named medicines joined as taken together ("ibuprofen with lisinopril"), not the
    words for medicine ("pills", "meds") nor an amount ("2 tablets")."""
    named = [
        m.group(0)
        for m in re.finditer(rules.MEDICINE, text)
        if not _GENERIC_MEDICINE.fullmatch(m.group(0))
    ]
    amount = re.search(r"\b(how (much|many|often)|dos\w*|\d+ ?(mg|ml)?)\b", text)
    return len(set(named)) >= 2 and bool(re.search(_TOGETHER, text)) and not amount


def _head_injury(text: str) -> bool:
    """A blow to the head together with a warning sign, anywhere in the message."""
    blow = re.search(
        r"\b(head|skull|cabeza)\b.{0,40}\b(hit|knock\w*|kick\w*|bump\w*|bang\w*|struck|fell|fall|"
        r"golpe\w*|pego|cayo)\b|\b(hit|knock\w*|kick\w*|bump\w*|bang\w*|struck|fell|fall\w*|rolled|dropped|"
        r"crash\w*|golpe\w*|pego|cayo)\b.{0,60}\b(head|skull|cabeza|stairs|bunk|bed|bike|helmet)\b",
        text,
    )
    warning = re.search(
        r"\b(vomit\w*|puk\w*|throw\w* up|threw up|confus\w*|drowsy|sleepy|wants to sleep|"
        r"cant remember|keeps asking|pupils?|blurry|slurr\w*|knocked out|passed out|unconscious|"
        r"headache\w* (getting )?worse|getting worse|eliquis|warfarin\w*|blood thinners?|seiz\w*|"
        r"clear fluid|blood (coming )?(out of|from) (the|his|her|my) (ear|nose)|"
        r"(not|isnt) acting right|acting (strange|weird|funny)|vomita\w*|confundid\w*|dormid\w*|"
        r"warfarina|cada vez mas)\b",
        text,
    )
    return bool(blow and warning)


# A baby under three months: newborn, days old, up to 12 weeks, one or two months old.
_YOUNG_BABY = (
    r"\b(newborn|new born|new baby|neonate|\d+ ?days? old|(1[0-2]|[1-9]|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|eleven|twelve) ?(weeks?|wks?) old|(1|2|one|two) ?(months?|mos?) old|"
    r"born (\d+|a|one|two|three|a few) (days?|weeks?) ago|recien nacid\w*)\b"
)
# A fever: the word, or a temperature of 100.4 F / 38 C or more.
_FEVER = (
    r"\b(fever\w*|febrile|fiebre|calentura|burning up|hot to (the )?touch|"
    r"(temp\w*|thermometer|reads?|reading|rectal)\b.{0,25}\b(100\.[4-9]|10[1-6](\.\d)?|3[89]"
    r"(\.\d)?|4[01](\.\d)?))"
)
_BORN_AGO = r"\bborn (\d+|a|one|two|three|a few) (days?|weeks?) ago\b"
# "How do I tell if my newborn has a fever?": asking how to recognise one, not reporting one.
_HOW_TO_TELL = (
    r"\b(how (to|do|can|would|should) (i |you |we )?(tell|know|check|take|measure|read)|"
    r"counts? as a fever|considered a fever|what (temp\w*|number|reading) is)\b"
)


def infant_fever(question: str) -> SafetyResult:
    """A fever in a baby under three months: every guideline (AAP, NHS) says to be seen now.
    Checked beside any setting of the rules, not left to the classifier, which learns from
    words that are each harmless alone ("newborn", "fever")."""
    text = normalise(question)
    told = re.search(_YOUNG_BABY, text) and re.search(_FEVER, text)
    # "born 3 weeks ago" gives the age, not a fever in the past
    past = re.search(_PAST, re.sub(_BORN_AGO, " ", text))
    if not told or re.search(_HOW_TO_TELL, text) or past:
        return OK
    return SafetyResult("emergency", _message("emergency", text), "infant_fever!")


# Signs that make a fever an emergency at any age (NHS, AAP: call 911 or go to the emergency
# department): a seizure, a stiff neck, a rash that does not fade when pressed (or looks like
# bruises or pinpoint dots), someone hard to wake, floppy or confused, or struggling to breathe.
_FEVER_RED_FLAG = (
    r"\b(seiz\w*|convuls\w*|(having|had|has) a fit|stiff neck|neck (is |was |feels )?(very |really )?"
    r"stiff|(cant|wont|cannot|unable to) (bend|touch|put) (his|her|my|their) (chin|head|neck)|"
    r"(rash|spots)\b.{0,40}\b(doesnt|does not|dont|do not|wont|not|didnt|did not) "
    r"(fade|go away|blanch|disappear|go white)|non ?blanching|purple (rash|spots|blotches)|"
    r"(rash|spots|dots)\b.{0,20}\blike (a )?bruis\w*|bruise ?like (rash|spots)|pinpoint (red |purple )?"
    r"(rash|spots|dots)|"
    r"(hard|difficult|cant|can not|cannot|wont|unable) to (wake|rouse)|(cant|can not|cannot|"
    r"couldnt|wont) (wake|rouse)|not waking|"
    r"unresponsive|(not|wont|isnt) respond\w*|limp|floppy|(struggling|fighting|gasping|working "
    r"hard|cant|can not|cannot|trouble|difficulty|hard time) (to |for |with )?breath\w*|"
    r"ribs? (are |is )?(sucking|pulling) in|grunting|(lips|face|skin) (\w+ ){0,2}(blue|grey|gray)|"
    r"blue lips|delirious|not making sense|"
    # confused in mind, not "confused about which medicine to take"
    r"confus\w*(?! (about|by|on|as to|whether|if|why|what|which|how|with)))\b"
)
# "two months ago", "the doctor checked him and said": the Spanish of _PAST and _CARE_GIVEN.
_PAST_ES = (
    r"\bhace (\d+|un|una|dos|tres|unos|unas|varios|varias) (dias|semanas|meses|anos)\b|"
    r"\b(el ano pasado|la semana pasada|el mes pasado|lo revisaron|la revisaron|nos dijeron|"
    r"el medico dijo|la doctora dijo|el doctor dijo)\b"
)
# "when she was 18 months", "has been fine since": a fever and its red flag told as the past.
_OVER_NOW = (
    r"\bwhen (he|she|i|they|we|you) (was|were)\b|\b(has|have|hes|shes|weve|theyve|ive) been "
    r"(fine|ok|okay|good|normal|well)\b|\bsince then\b"
)
# Someone in particular, or now: what makes "fever and a stiff neck" a report, not a topic.
_PERSONAL = r"\b(i|im|ive|me|my|we|our|us|he|hes|she|shes|his|her|him|they|theyre|their|them)\b"


def fever_red_flag(question: str) -> SafetyResult:
    """A fever with a sign that makes it an emergency at any age. Checked whatever the setting,
    like :func:`infant_fever`: the classifier cannot tell "fever of 102 and pulling at his ear"
    (ask a doctor) from "fever of 102 and a stiff neck" (go now) by their words, and learning
    both from examples raised its false alarms on other messages."""
    text = normalise(question)
    if not (re.search(_FEVER, text) and re.search(_FEVER_RED_FLAG, text)):
        return OK
    now = bool(re.search(_NOW, re.sub(_FEELING_NOW, "", text)))
    topic = bool(re.search(_GENERAL, text)) and not re.search(_PERSONAL, text)
    past = any(re.search(p, text) for p in (_PAST, _CHRONIC, _PAST_ES)) and not now
    past = past or re.search(_OVER_NOW, text)  # "she's 3 now and has been fine"
    seen_to = re.search(_CARE_GIVEN, text) and not re.search(_STILL_URGENT, text)
    if topic or past or seen_to or re.search(_HOW_TO_TELL, text):
        return OK
    return SafetyResult("emergency", _message("emergency", text), "fever_red_flag!")


def always_on(question: str) -> SafetyResult:
    """The checks that run whatever the rules setting: fevers that mean go now."""
    if (verdict := infant_fever(question)).stop:
        return verdict
    return fever_red_flag(question)


# A baby spitting up: common and harmless unless a sign in this list comes with it (AAP, NHS:
# blood, green or yellow bile, forceful vomiting, poor feeding or weight gain, fewer wet diapers,
# a sleepy, floppy or struggling baby, a fever, a swollen belly).
_SPIT_UP = r"\b(spit(s|ting)? ?up|spitup|spit up|posset\w*)\b"
_BABY = r"\b(baby|babys|babies|newborn|infant|\d+ (weeks?|months?) old|(week|month) old)\b"
_SPIT_UP_RED_FLAG = (
    r"\b(blood\w*|red|green|yellow|bile|projectile|forceful\w*|shoot\w*|vomit\w*|throw\w* up|"
    r"(not|isnt|wont|doesnt|hasnt|stopped) (gain\w*|eat\w*|feed\w*|drink\w*|wet)|los(ing|t) weight|"
    r"weight loss|refus\w*|(few|fewer|no|less|dry) (wet )?diapers?|dehydrat\w*|letharg\w*|limp|floppy|"
    r"(hard|difficult|cant|wont) to (wake|rouse)|breath\w*|chok\w*|gag\w*|blue|grey|gray|"
    r"fever|temperature|swollen|bloated|hard (belly|tummy|stomach)|screaming|inconsolable|"
    r"(wont|cant|doesnt) stop crying)\b"
)


# Drooling is urgent when something was swallowed or the face droops, not when teeth come in.
_DROOL = r"\b(drool\w*|teeth\w*|teething)\b"
_DROOL_RED_FLAG = (
    r"\b(swallow\w*|ate|eaten|drank|bit|poison\w*|batter\w*|pods?|detergent|bleach|chemical\w*|"
    r"pills?|medicines?|magnets?|coins?|berr\w*|droop\w*|one side)\b"
)


def ordinary_baby_worry(question: str) -> bool:
    """A baby spitting up, teething or drooling with none of the signs that make it urgent:
    the classifier learns "baby" and "after every feeding" from emergencies, "drooling" from
    poisonings and strokes, and called "my baby spits up after every feeding" and "my baby is
    teething and drooling a lot" ones. They go on to retrieval instead."""
    text = normalise(question)
    if not re.search(_BABY, text) or re.search(_SPIT_UP_RED_FLAG, text):
        return False
    drooling = re.search(_DROOL, text) and not re.search(_DROOL_RED_FLAG, text)
    return bool(re.search(_SPIT_UP, text) or drooling)


# A question about how an illness goes on: how long it lasts or lets one live. (Whether it
# kills is left to the classifier: "will 40 pills be enough" is asked in the same words.)
_COURSE = (
    r"\b(life expectancy|live (with|for|a normal|long)|how long (do|does|will|can|would) \w+ "
    r"(have|live)|forever|for life|rest of (my|his|her|their|your) life|"
    r"(my|his|her|their|your) whole life|go away|surviv\w*|shorten\w*)\b"
)
# "is lupus fatal": a condition's name, then the question. Not with a means or a medicine.
_FATAL = r"^(is|are|can) (\w+ ){1,4}(be )?(fatal|deadly)\b"
# "am i going to die", "(i have stage 4 cancer,) is it going to kill me": whether an illness
# kills, asked of the writer's or a relative's illness; an amount or a means ("would 40 pills
# kill me") is not.
_DYING = (
    r"(^|[,;] )(am i|are (we|you|they)|is (it|this|that|he|she)|will (i|it|this|that|he|she)|"
    r"could (i|it|this|that)|can (it|this|that)) (going to |gonna )?"
    r"(die|kill (me|him|her|us|them|you))( (from|of) (it|this|that|\w+( \w+)?))?$"
)
_MEANS_NAMED = r"\b(pills?|tablets?|jump\w*|bridge|fall\w*|hang\w*|rope|gun|cut\w*|bleed\w*|gas)\b"
_MEANS = rf"\b\d+\b|{_MEANS_NAMED}"  # "is 40 fatal"; a number in "stage 4 cancer" is no means
# An amount taken makes "how long can you survive" a question about an overdose.
_TAKEN = r"\b(overdos\w*|od|\d+ (pills?|tablets?)|how (many|much)|enough|took|taken|swallow\w*)\b"
# How the writer feels is no question about an illness: "will the emptiness ever go away",
# "is life always going to feel this pointless".
_DESPAIR = (
    r"\b(feel\w*|felt|empt\w*|pointless|hopeless\w*|worthless|numb|alone|lonely|sad\w*|"
    r"miserable|unbearable|anymore|cant (do|take|go on|handle)\w*|tired of|give up|end it|"
    r"life|living|alive)\b"
)
_LIFE_SPAN = r"\b(rest of (my|his|her|their|your) life|(my|his|her|their|your) whole life|for life|life expectancy)\b"
_THOUGHTS_OF_DEATH = (
    r"\b(think\w*|thought\w*|dream\w*|obsess\w*)\b.{0,20}\b(death|dying|die|dead)\b"
)


def asks_about_outlook(question: str) -> bool:
    """A question about how an illness goes on ("will i need thyroid pills forever", "how long
    will i live with this", "is lupus fatal") with no words of self-harm: the classifier
    learns "forever", "live" and "fatal" from crisis messages and answered such questions with
    the crisis lines. They go on to retrieval instead, which has the condition's outlook when
    MedQuAD does."""
    text = normalise(question)
    asks = " ".join(question_sentences(text) or ([text] if "?" in question else []))
    fatal = any(
        (
            (re.search(_FATAL, a) and not re.search(_MEANS, a))
            or (re.search(_DYING, a.rstrip("?. ")) and not re.search(_MEANS_NAMED, a))
        )
        and not re.search(rules.MEDICINE, a)
        for a in question_sentences(text) or [text]
    )
    if not (fatal or re.search(_COURSE, asks)):
        return False
    return not (
        re.search(_TAKEN, text)
        or re.search(_DESPAIR, re.sub(_LIFE_SPAN, "", text))
        or re.search(_THOUGHTS_OF_DEATH, text)
        or _any(rules.SELF_HARM, text)
        or _any(rules.SELF_HARM_ES, text)
        or _any(rules.LETHAL_MEANS, text)
    )


# Greetings, thanks and requests for something other than health information: the classifier
# learned its "ok" from health questions, so a message with no health words at all looked most
# like the short, wordless crisis messages ("thanks!" got the crisis lines).
_GREETING_WORDS = frozenset(
    "hi hello hey hiya yo thanks thank thx ty ok okay cool great nice bye goodbye good morning "
    "afternoon evening night lol test testing you so much a lot there everyone all again very "
    "for the help that this was is helpful medground bot".split()
)
_REQUEST = (
    r"^(please |can you |could you )?(write|compose|tell me a (joke|story|riddle)|translate|"
    r"summari[sz]e|pretend|ignore|disregard|forget|repeat|play|sing|draw|recommend)\b"
)


def greeting(question: str) -> bool:
    """A message of greetings and thanks alone ("hi", "thanks so much!"); "thanks, what causes
    it?" asks something."""
    tokens = re.findall(r"[a-z]+", normalise(question))
    return bool(tokens) and all(t in _GREETING_WORDS for t in tokens)


def small_talk(question: str) -> bool:
    """A greeting, or a short request to write, translate, play or drop the instructions that
    says nothing of the writer ("i", "my") and in which no rule finds anything urgent ("write a
    suicide note" is no small talk: the self-harm rule finds it; "can you recommend something, i
    feel like ending my life" speaks of the writer, so the classifier judges it)."""
    text = normalise(question)
    # "write me a poem" asks; "nobody would miss me" speaks of the writer.
    of_writer = re.sub(r"\b(write|tell|give|show|send|teach|make) me\b", "", text)
    request = (
        re.search(_REQUEST, text)
        and len(text.split()) <= 12
        and not re.search(r"\b(i|im|ive|id|ill|me|my|myself|mine)\b", of_writer)
    )
    return bool((greeting(question) or request) and not check_rules(question).stop)


def _asks_about_condition(question: str) -> bool:
    """A question for information ("how do doctors test for it?"), not for what to do now."""
    if re.search(
        r"\b(what (should|do|can) (i|we) do|should (i|we) (call|go|take)|what now)\b", question
    ):
        return False
    return bool(question_types(question))


def _any(patterns, text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def red_flag(question: str) -> bool:
    """Whether the message has any of the signs that can make a symptom an emergency: a red
    flag word (``rules.RED_FLAGS``), an emergency rule's words (past, general or not), a head
    injury, or a fever in a young baby."""
    text = normalise(question)
    patterns = [p for _, p in rules.RED_FLAGS] + [p for _, p, _ in rules.EMERGENCY]
    patterns += [p for _, p in rules.EMERGENCY_ES]
    return _any(patterns, text) or _head_injury(text) or always_on(question).stop


def learned_outcome(probabilities: dict, cfg: SafetyConfig, question: str | None = None) -> str:
    """The classifier's verdict: its likeliest class other than "ok" when at least
    ``min_probability`` likely; given the message, an emergency less likely than
    ``emergency_sure`` also needs a red flag in it (:func:`red_flag`)."""
    best = max((o for o in probabilities if o != "ok"), key=probabilities.get)
    if probabilities[best] < cfg.min_probability:
        return "ok"
    unsure = best == "emergency" and probabilities[best] < cfg.emergency_sure
    if question is not None and unsure and not red_flag(question):
        return "ok"
    return str(best)


def check_rules(question: str) -> SafetyResult:
    """The rule layer alone (no embedder needed)."""
    text = normalise(question)
    # "now I'm worried" says how the writer feels, not that something is happening now.
    now = bool(re.search(_NOW, re.sub(_FEELING_NOW, "", text)))
    someone_now = bool(re.search(_SOMEONE, text)) or now
    general = bool(re.search(_GENERAL, text)) and not now
    if (re.search(_PAST, text) or re.search(_CHRONIC, text)) and not now:
        general, someone_now = True, False  # "had chest pain last month", "most nights"
    handled = bool(re.search(_CARE_GIVEN, text)) and not re.search(_STILL_URGENT, text)
    asks = question_sentences(text)
    if asks and len(text.split()) > 25 and _asks_about_condition(asks[-1]) and not now:
        general, someone_now = True, False  # background, then a question about the condition
    if _any(rules.LETHAL_MEANS, text):
        return SafetyResult("self_harm", _message("self_harm", text), "lethal_means!")
    if _any(rules.SELF_HARM[:2], text) and not re.search(_GENERAL, text):
        return SafetyResult("self_harm", _message("self_harm", text), "self_harm!")
    if _any(rules.SELF_HARM, text) or _any(rules.SELF_HARM_ES, text):
        about = re.search(rules.SELF_HARM_TOPIC, text) or (
            re.search(_GENERAL, text) and re.search(rules.OTHERS_IN_GENERAL, text)
        )
        topic_only = about and not re.search(rules.SELF_HARM_INTENT, text)
        if not topic_only:
            return SafetyResult("self_harm", _message("self_harm", text), "self_harm")
    if not handled:
        if (fever := always_on(question)).stop:
            return fever
        if _head_injury(text) and (not general or someone_now):
            return SafetyResult("emergency", _message("emergency", text), "head_injury")
        for name, pattern, always in rules.EMERGENCY:
            if re.search(pattern, text) and (always or not general or someone_now):
                strong = "!" if always else ""  # "!": words that alone mean an emergency
                return SafetyResult("emergency", _message("emergency", text), name + strong)
        if not re.search(_GENERAL_ES, text):  # Spanish words seldom occur in English text
            for name, pattern in rules.EMERGENCY_ES:
                if re.search(pattern, text):
                    return SafetyResult("emergency", _message("emergency", text), f"{name}_es")
    # A dose is asked for in the message's questions, not in its background ("on a small dose").
    asked = " ".join(question_sentences(text)) or text
    medicine = re.search(rules.MEDICINE, asked) or (
        re.search(rules.AMOUNT_OF_SOMETHING, asked) and not re.search(rules.NOT_MEDICINE, asked)
    )
    if medicine and re.search(rules.DOSE_ASK, asked) and re.search(rules.FOR_SOMEONE, text):
        return SafetyResult("dosing", _message("dosing", text), "dosing")
    return OK


def read_examples(paths: list[Path]) -> list[dict]:
    """Labeled messages (``text``, ``label``) from JSON-lines files. A retrieval query file
    (``question`` lines) gives its dev half as messages that must be answered ("ok")."""
    from rag.evaluate import split_of

    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if "label" in row:
                rows.append(row)
            elif split_of(row) == "dev":
                rows.append({"text": row["question"], "label": "ok", "kind": "health_question"})
    return rows


@dataclass
class SafetyConfig:
    """Safety check: a classifier learned from labeled messages, beside the strong rules."""

    # labeled messages the classifier learns from, comma-separated (JSON lines); people's health
    # questions (the dev half of rag/queries/messages.jsonl) are examples of "ok"
    examples: str = ",".join(
        str(p)
        for p in (
            DATA / "safety_exemplars.jsonl",
            DATA / "safety_labeled.jsonl",
            DATA / "safety_more.jsonl",
            DATA / "safety_everyday.jsonl",
            DATA / "safety_symptoms.jsonl",
            QUESTIONS,
        )
    )
    # Chosen by 5-fold cross-validation on those examples (bench/safety.py --sweep).
    classifier_c: float = 10.0  # inverse regularisation of the logistic regression
    min_probability: float = 0.5  # a class other than "ok" needs at least this probability
    embedding_weight: float = 1.0  # weight of the sentence embedding beside the n-gram features
    # a learned "emergency" less likely than this needs a red flag in the message (red_flag):
    # the classifier learned short symptom fragments from emergencies and called "stuffy nose
    # and pressure in my cheeks" one; 0.5 turns the check off (bench/safety.py --gate)
    emergency_sure: float = 0.9
    rules: str = field(
        default="none", metadata={"choices": ("none", "strong", "all")}
    )  # which rules also stop a message


class SafetyClassifier:
    """Logistic regression over character and word n-grams plus the sentence embedding."""

    def __init__(self, rows: list[dict], embed, cfg: SafetyConfig, vectors=None) -> None:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_union

        self.embed = embed
        self.cfg = cfg
        self._stack = lambda ngrams, vectors: hstack(
            [ngrams, csr_matrix(vectors * cfg.embedding_weight)]
        ).tocsr()
        texts = [normalise(r["text"]) for r in rows]
        self.ngrams = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        )
        vectors = embed(texts) if vectors is None else vectors
        features = self._stack(self.ngrams.fit_transform(texts), vectors)
        self.model = LogisticRegression(C=cfg.classifier_c, max_iter=3000, class_weight="balanced")
        self.model.fit(features, [r["label"] for r in rows])

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        normalised = [normalise(t) for t in texts]
        features = self._stack(self.ngrams.transform(normalised), self.embed(normalised))
        return [
            dict(zip(self.model.classes_, map(float, row), strict=True))
            for row in self.model.predict_proba(features)
        ]

    def outcome(self, probabilities: dict[str, float], question: str | None = None) -> str:
        return learned_outcome(probabilities, self.cfg, question)


class SafetyChecker:
    """The strong rules, then the learned classifier (rules alone without an embedder)."""

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray] | None = None,
        cfg: SafetyConfig | None = None,
        embedder_name: str = "",
    ) -> None:
        self.cfg = cfg or SafetyConfig()
        self.classifier = None
        if embed is not None:
            rows = read_examples([Path(p) for p in self.cfg.examples.split(",") if p])
            texts = [normalise(r["text"]) for r in rows]
            vectors = _cached_vectors(texts, embed, embedder_name)
            self.classifier = SafetyClassifier(rows, embed, self.cfg, vectors)

    def rules(self, question: str) -> SafetyResult:
        if self.cfg.rules == "none" and self.classifier is not None:
            return always_on(question)
        verdict = check_rules(question)
        strong = verdict.rule.endswith("!") or self.cfg.rules == "all" or self.classifier is None
        return verdict if verdict.stop and strong else OK

    def check(self, question: str) -> SafetyResult:
        verdict = self.rules(question)
        if verdict.stop or self.classifier is None:
            return verdict
        probabilities = self.classifier.probabilities([question])[0]
        outcome = self.classifier.outcome(probabilities, question)
        if (
            outcome == "ok"
            or (outcome == "emergency" and ordinary_baby_worry(question))
            or (outcome == "self_harm" and asks_about_outlook(question))
            or small_talk(question)
        ):
            return OK
        text = normalise(question)
        return SafetyResult(
            outcome, _message(outcome, text), f"classifier ({probabilities[outcome]:.2f})"
        )


def _cached_vectors(texts: list[str], embed, embedder_name: str) -> np.ndarray:
    """Example vectors, computed once per example set and embedder, kept in the user's cache."""
    from rag.cache import cache_dir

    key = hashlib.sha256("\n".join([embedder_name, *texts]).encode()).hexdigest()[:16]
    path = cache_dir() / f"safety-{key}.npy"
    if path.exists():
        vectors = np.load(path)
        if len(vectors) == len(texts):
            return vectors
    vectors = embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def gives_a_dose(sentence: str) -> bool:
    """A sentence that states an amount of a medicine to take (free-mode output check)."""
    text = normalise(sentence)
    return bool(re.search(_DOSE_AMOUNT, text) and re.search(_DOSE_INSTRUCTION, text))


def check(question: str) -> SafetyResult:
    """Rules only; the app uses :class:`SafetyChecker`, which adds the labeled examples."""
    return check_rules(question)
