"""Warning signs that need a doctor soon: a note above the answer, not a stop.

Some symptoms are not emergencies, yet every guideline (NHS "see a GP", NCI, MedlinePlus) says
they should be checked by a doctor: bleeding after menopause, blood in the stool or urine, a
lump that stays, weight lost without trying, a mole that changes, trouble swallowing, a cough
or hoarseness of three weeks or more. People ask about them as if they were everyday matters
("is it normal to bleed after menopause?"), and the sources that answer are overviews that
never say "have this checked". :func:`warning_sign` recognises the ten signs in people's
words (over ``app.safety.normalise``d text: lower case, no accents, no apostrophes) and
:func:`warning_note` says, above the answer, that a doctor should check it; the answer itself
is unchanged, and a message the safety check stops (an emergency) never gets here.

A sign named after a negation ("no blood in my stool", "hasnt lost any weight") does not count.
The patterns were written on ``bench/data/warning_signs_dev.jsonl`` and are scored on the test
set, written blind to them and kept unread, by ``bench/warning_signs.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.safety import normalise


@dataclass(frozen=True)
class WarningSign:
    name: str  # one id per sign ("rectal_bleeding")
    pattern: re.Pattern[str]  # over normalised text
    advice: str  # what the note says of it
    unless: re.Pattern[str] | None = None  # words that explain it away ("beets" for red urine)


_BLEED = (
    r"(ble+a?d\w*|bled|bloody|spott?ing|spotted|blood(?! (pressure|sugar|tests?|work|counts?|levels?"
    r"|thinners?|type|glucose|donat\w*)))"
)
# Colour from food or medicine, not blood ("pink pee after beets", "black stool on iron").
_COLOURED = (
    r"beets?|beetroot|blackberr\w*|blueberr\w*|food colou?ring|red dye|iron (pills?|tablets?"
    r"|supplements?)|(taking|take|takes|on) iron|pepto|bismuth"
)
_MENOPAUSE = (
    r"(post ?men[oa]p\w*|(after|since|past|(?<!going )through|thru|went through|gone through)"
    r" (the |my |her )?(men[oa]p\w*|the change|change of life)|men[oa]p\w* (was|ended|finished)"
    r"|(periods|menstruation|menses|(monthly )?cycles) (stopped|ended|finished|ceased)"
    r"|no periods? (for|in|since)"
    r"|(finished|done with|(?<!going )through|over|past) (the )?men[oa]p\w*|(done|finished) with (my |her )?periods"
    r"|last (menstrual )?period (was )?(at|aged?|when)"
    r"|(\d+|a|one|two|three|several) (months?|years?) since (my|her|the) last period"
    r"|havent had a periods?|(hasnt|hadnt|havent|didnt) (had|have) (a |any )?periods?"
    r"|last (menstrual )?period (was )?.{0,40}\b(months?|years?) ago"
    r"|(hrt|hormone replacement|hormone therapy))"
)
_STOOL = (
    r"(stools?|poo+p?s?|pooped|poo+ping|feces|faeces|bowel movements?|bms?|toilet paper|tp"
    r"|when i wipe|wiping|wiped|toilet bowl|in the toilet|in the bowl|bum|butt|bottom|rectum"
    r"|back passage|motions?(?! sickness)|number (two|2)|(in|on) the pan|(go|goes|going|went|been) to the (bathroom|toilet|loo))"
)
_URINE = r"(urin\w*|pee|peeing|peed|piss|wee|weeing)"
_SPUTUM = r"(phlegm|flem|mucus|mucous|sputum|spit|spitting|snot|coughing up|coughed up|cough up)"
_BODY = (
    r"(breasts?|boobs?|nipples?|testic\w*|testes|balls?|scrotum|nuts|neck|arm ?pits?|underarms?"
    r"|groin|throat|thyroid|collar ?bone|jaw|tongue|mouth|gums?|cheek|abdomen|belly|stomach"
    r"|under (my|his|her|the) (arm|chin|jaw|ear))"
)
_SWALLOW = r"(swal+o\w*|swol+o\w*)"
# "since january", "since before christmas": said of a cough, long enough.
_SINCE = (
    r"since (the (start|beginning|end) of |early |late |mid |before )?(january|february|march"
    r"|april|may|june|july|august|september|october|november|december|christmas"
    r"|(the )?(fall|spring|summer|winter|new year))"
)
_LONG = (
    r"(([3-9]|[1-9]\d|three|four|five|six|seven|eight|nine|ten|several|few|many) (weeks?|wks?)"
    r"|(\d+|a|one|two|three|four|five|six|several|few|couple( of)?) (months?|mths?|years?(?! old))"
    rf"|over a month|more than a month|{_SINCE})"
)
# A duration that counts, said as one: "for 3 weeks", "since january", "2 months now".
_FOR_LONG = (
    r"((for|since|over|past|last|nearly|almost|about|than|been|all|at least|lasted|lasting|going on"
    r"|gone on)( the| a| about| over| nearly| almost| at least| like| around| maybe| more than"
    rf"| a good| well over)* {_LONG}|{_LONG} (now|straight|running|ago|later|after|and counting)"
    rf"|{_SINCE})"
)
# Not healing ("a sore that won't heal", "keeps crusting"), not merely not stopping.
_UNHEALED = (
    r"(wont|will not|doesnt|does not|not|never|hasnt|isnt|still not) (heal\w*|go(ne|ing)? away"
    r"|clear\w* up)|keeps? (bleeding|crusting|scabbing|coming back|opening)|never heals"
    r"|(scabs|crusts) over|bleeds again"
)
_PERSISTS = (
    r"(wont|will not|doesnt|does not|isnt|not) (go(ing)? away|heal\w*|clear\w*|get(ting)? better"
    r"|improv\w*|stop\w*|shift)|hasnt (gone|healed|cleared|improved|stopped)|never (heals|goes away)"
    r"|not getting (any )?(smaller|better)|wont shift"
    r"|keeps? (coming back|getting (worse|bigger)|growing|bleeding)|persistent|chronic|lingering"
)


def _near(a: str, b: str, gap: int = 40) -> str:
    """``a`` then ``b`` or ``b`` then ``a``, within ``gap`` characters."""
    return rf"\b{a}\b.{{0,{gap}}}\b{b}\b|\b{b}\b.{{0,{gap}}}\b{a}\b"


def _sign(name: str, advice: str, *patterns: str, unless: str = "") -> WarningSign:
    either = re.compile("|".join(f"(?:{p})" for p in patterns))
    return WarningSign(name, either, advice, re.compile(rf"\b({unless})\b") if unless else None)


# fmt: off
SIGNS = [
    _sign(
        "postmenopausal_bleeding",
        "Bleeding or spotting after menopause is not normal and should always be checked by a "
        "doctor, even if it is light or happens only once.",
        _near(_BLEED, _MENOPAUSE, 100),
        r"\bperiods?\b.{0,20}\b(came|come|coming|is|are) back\b.{0,60}\b(menopause|[5-9]\d|years)\b",
        _near(r"(pink\w*|brown\w* discharge|(a |light |like a )period|period again)", _MENOPAUSE, 80),
        _near(
            r"(vaginal(ly)? (bleed\w*|spotting)|(bleed\w*|spotting)\b.{0,20}\b(down there|vagina\w*))",
            r"(5[5-9]|[6-9]\d)",
            40,
        ),
    ),
    _sign(
        "bleeding_between_periods",
        "Bleeding between periods or after sex should be checked by a doctor, especially if it "
        "happens more than once.",
        rf"\b{_BLEED}\b.{{0,40}}\b(between|in between) (my |her |your )?periods\b",
        rf"\bbetween (my |her )?periods\b.{{0,30}}\b{_BLEED}\b",
        rf"\b{_BLEED}\b.{{0,30}}\b(after|during|from) (sex|intercourse|having sex|making love)\b",
        rf"\b(after|during) (sex|intercourse)\b.{{0,30}}\b{_BLEED}\b",
        r"\b(post ?coital|intermenstrual|mid ?cycle|breakthrough) (bleeding|spotting)\b",
        _near(_BLEED, r"(mid ?cycle|middle of (my|her|the) (monthly )?cycle)", 30),
        _near(_BLEED, r"(sex|intercourse|intimate|intimacy|making love)", 40),
        rf"\b{_BLEED}\b.{{0,30}}\bafter (my|her) period (ends|ended|finishes|finished|is over)\b",
        r"\b(second|another|extra) (light )?period\b.{0,30}\b(month|cycle)\b",
        rf"\bperiod\b.{{0,40}}\b(later|after|ago|then)\b.{{0,25}}\b{_BLEED} again\b",
        rf"\b{_BLEED}\b.{{0,20}}\b(around|on|at|from) day \d+",
    ),
    _sign(
        "blood_in_urine",
        "Blood in your urine should be checked by a doctor, even if it happened once and does "
        "not hurt.",
        rf"\b(blood|bloody|blood clots?)\b (in|when|after|while|with)\b.{{0,20}}\b{_URINE}\b",
        rf"\b{_URINE}\b.{{0,30}}\b(bloody|blood|red|pink|pinkish|reddish|cola|rusty|tea colou?red)\b(?! (test|work|pressure|sugar|cells? count|wine))",
        r"\b(red|pink|pinkish|reddish|bloody|cola|rusty|brownish red)( colou?r(ed)?)? (urine|pee|wee)\b",
        rf"\b{_URINE}\b.{{0,40}}\b((colou?r|look\w*) of|like) (coke|cola|tea|coffee)\b",
        rf"\b(red|blood) clots?\b.{{0,40}}\b{_URINE}\b",
        r"\b(loo|toilet|bowl)\b.{0,50}\b(water|pee|urine)\b.{0,20}\b(pink|red|reddish|bloody)\b",
        r"\b(peeing|pissing|urinating|passing|weeing) blood\b|\b(hematuria|haematuria)\b",
        unless=_COLOURED + r"|rhubarb|rifampin|pyridium|phenazopyridine|azo",
    ),
    _sign(
        "rectal_bleeding",
        "Blood in or on your stool, blood when you wipe, or black, tarry stools should be "
        "checked by a doctor, even when piles seem the likely cause.",
        rf"\b({_BLEED}|bright red|blood streaks?|streaks of blood)\b.{{0,40}}\b{_STOOL}\b",
        rf"\b{_STOOL}\b.{{0,30}}\b(bloody|blood|red|red streaks?|streaks of red)\b(?! (test|work|pressure|sugar|count))",
        r"\bbloody (stools?|poo+p?|diarrh\w*|bowel\w*)\b|\b(rectal|anal) bleeding\b",
        r"\bbleed\w* from (my |the |his |her |their )?(rectum|bottom|butt|bum|back passage|anus|behind)\b",
        r"\b(black|tarry|tar like|tarlike|like tar|maroon)\b.{0,25}\b(stools?|poo+p?|poos|bowel movements?|feces)\b",
        r"\b(stools?|poo+p?|poos)\b.{0,35}\b(black|tarry|like tar)\b|\b(melena|melaena|hematochezia|haematochezia)\b",
        r"\b(bottom|butt|bum|anus|rectum) (is |keeps |has been |started )?bleed\w*",
        unless=_COLOURED,
    ),
    _sign(
        "coughing_blood",
        "Coughing up blood should be checked by a doctor soon (call your local emergency "
        "number if it is more than a little, or you are short of breath).",
        r"\bcough\w*\b.{0,50}\b(blood(?! pressure)|bloody|red (streaks?|bits|specks?|spots)|pink)\b",
        rf"\b(blood|bloody|red (streaks?|bits|specks?))\b.{{0,25}}\b{_SPUTUM}\b",
        rf"\b{_SPUTUM}\b.{{0,25}}\b(blood|bloody|blood streaked|streaked with blood|red (streaks?|bits|specks?))\b",
        r"\b(hemoptysis|haemoptysis)\b|\bpink\w* (mucus|phlegm|flem|sputum|spit)\b",
        rf"\b{_BLEED}\b.{{0,30}}\b(when|while|after) (i |he |she |you |they )?cough\w*",
    ),
    _sign(
        "lump",
        "A new lump, a lump that does not go away, or a change in how a breast looks should be "
        "checked by a doctor.",
        _near(r"(lump|lumps|lumpy|mass|masses|nodule|nodules|knot|hard bump|growth|cyst)", _BODY, 35),
        r"\b(lump|mass|growth|swelling|swollen (lymph )?(node|gland)s?)\b.{0,60}\b(growing|getting bigger|bigger|hard|rock hard|doesnt move|wont move|painless)\b",
        rf"\b(lump|mass|growth|swelling|swollen (lymph )?(node|gland)s?)\b.{{0,60}}\b({_PERSISTS}|{_LONG})\b",
        _near(r"(balls?|testic\w*|scrotum|nuts)", r"(bigger|heavier|swollen|swelling|hard|lump\w*)", 40),
        _near(r"(bloody|blood\w*|discharge)", r"nipples?", 25),
        r"\bnipples?\b.{0,40}\b(discharge|bloody|blood|inverted|pulled in|turned in|turning in|inwards?|sunken|leak\w*)\b",
        r"\b(inverted|retracted) nipples?\b|\b(dimpl\w*|puckered|orange peel)\b.{0,40}\b(breast|boob|skin)\b",
        r"\b(breast|boob)\b.{0,40}\b(dimpl\w*|puckered|orange peel|changed shape)\b",
        unless=r"lump sum|lumpy (oatmeal|gravy|batter|sauce|porridge)|(about|going|want) to cry|crying"
        r"|(lump|knot) in (my|the|your) throat (feeling|sensation)|feeling of a lump|drained"
        r"|(has |have |it s |its )?(gone|went) (down|away)|completely gone|turned out to be",
    ),
    _sign(
        "weight_loss",
        "Losing weight without trying should be checked by a doctor.",
        _near(
            r"(lo+s(t|ing|e)|dropp?(ed|ing)|shed(ding)?|down) .{0,25}\b(weight|pounds|\d*(lbs?|kgs?)|kilos"
            r"|stones?|dress sizes?|sizes?)",
            r"(without (even |any )?(trying|dieting|meaning to|a diet|diet|exercise|changing \w+|doing anything)"
            r"|nothing (has )?changed"
            r"|(not|isnt|wasnt|arent|hasnt been|havent been|hadnt been) (even )?(trying|dieting|on a diet"
            r"|exercising|eating less)|didnt (try|diet|mean to)|for no (reason|apparent reason)"
            r"|no (idea|reason) why|(dont|do not|doesnt|dont really) know why|eating (the )?(same|normally|as usual|more|plenty|a lot)"
            r"|havent changed|unexplain\w*|unintention\w*|unintended|on its own|keeps? (falling|dropping))",
            60,
        ),
        r"\b(unexplained|unintentional|unintended|involuntary|unexplainable|sudden) (weight|wt) ?loss\b",
        r"\bweight (keeps|is|has been) (dropping|falling|coming off)\b|\b(wasting away|skin and bones)\b",
        r"\b(jeans|clothes|trousers|pants|rings?|belt|watch)\b.{0,15}\b(loose|looser|slipping off|falling off)\b",
        r"\bkeeps? (lo+sing|dropping) (weight|pounds)\b|\b(clothes|trousers|pants|jeans)\b.{0,20}\b(hanging|falling) off\b",
        unless=r"on purpose|trying to lose|(started|been on|going on|doing|on) (a |the |my )?(keto |new )?diet"
        r"|ozempic|wegovy|mounjaro|semaglutide|tirzepatide|counting calories|gym|working out",
    ),
    _sign(
        "mole_change",
        "A mole or spot that is new, grows, changes shape or colour, itches or bleeds, or a sore "
        "that does not heal, should be checked by a doctor.",
        _near(
            r"(moles?|freck\w*|birth ?marks?|beauty marks?|skin spots?|dark spots?|skin tags?|spots? on (my|his|her)"
            r" (skin|back|arm|leg|face|chest|scalp|nose|cheek|ear|lip|hand|foot|shoulder|head))",
            r"(chang\w*|grow\w*|grew|bigger|larger|bleed\w*|bled|itch\w*|darker|irregular|uneven|jagged"
            r"|crust\w*|raised|new|black|colou?rs?|shades?|shape|edges?|border|oozing|scab\w*)",
            40,
        ),
        rf"\b(?<!soft )(sore|ulcer|wound|scab|spot|patch|blister)s?\b.{{0,80}}\b({_UNHEALED})\b",
        r"\b(non ?healing|unhealed) (sore|ulcer|wound|spot|patch)s?\b",
        r"\b(black|dark|brown|new) (spot|patch|mark)s?\b.{0,50}\b(grow\w*|bigger|larger|chang\w*|bleed\w*|itch\w*)\b",
        r"\b(melanoma)\b.{0,40}\b(mole|spot|mark)\b",
        unless=r"(mole|moles) (was |were )?(removed|removal)|stitches|garden|yard|lawn|moles? (dig|digging|tunnel\w*)|chemistry|mole (day|sauce)",
    ),
    _sign(
        "swallowing",
        "Trouble swallowing, or food that sticks on the way down, should be checked by a doctor.",
        rf"\b(trouble|difficult\w*|hard|harder|problems?|struggl\w*|issues?)\b.{{0,20}}\b{_SWALLOW}",
        rf"\b{_SWALLOW}\b.{{0,40}}\b(hard|harder|difficult|a problem|trouble|a struggle)\b",
        r"\b(food|foods|pills?|meat|bread|rice|chicken|it|things?|everything|solids?)\b.{0,25}\b(gets?|getting|got|feels?|feeling|keeps getting|is) (stuck|sticking)\b",
        r"\b(food|foods|meat|bread|rice|chicken|things?|everything|solids?)\b.{0,30}\b(stuck|sticks?|sticking)\b",
        r"\b(food|foods|it|things?|meals?|solids?)\b.{0,10}\b(wont|doesnt|will not|does not|cant|not) go(ing)? down\b",
        rf"\b{_SWALLOW}\b.{{0,25}}\b(painful|hurts|sore)\b.{{0,40}}\b({_FOR_LONG}|{_PERSISTS})\b",
        r"\b(stuck|sticking|sticks)\b.{0,20}\b(my|his|her|your|the) (chest|throat|esophagus|oesophagus|gullet)\b",
        r"\bswallow\w*\b.{0,30}\b(weird|wierd|strange|blocked|blocking|catch\w*)\b",
        rf"\b(painful|pain (when|on|with)) swallow\w*\b.{{0,60}}\b({_LONG}|{_PERSISTS})\b",
        r"\bstuck (in|at|on the way down)\b.{0,20}\b(chest|esophagus|oesophagus|gullet|food pipe)\b",
        _near(
            r"(hurts?|pain\w*|burns?) (to|when|while|every time|whenever) (i |he |she )?swallow\w*",
            rf"({_FOR_LONG}|{_PERSISTS})",
            60,
        ),
        r"\b(dysphagia|odynophagia)\b|\bchok(e|es|ing) on (my |his |her )?(food|meals?|drinks?|water)\b",
    ),
    _sign(
        "lasting_hoarseness_or_cough",
        "A cough or hoarseness that has lasted three weeks or more should be checked by a "
        "doctor.",
        rf"\b(cough\w*|hoarse\w*|raspy|husky|croaky|lost (my|his|her) voice|voice)\b.{{0,60}}\b{_FOR_LONG}\b",
        rf"\b(for|since|past|last)( the| a| about| over| nearly| almost)? {_LONG}\b.{{0,40}}\b(cough\w*|hoarse\w*)\b",
        rf"\b(cough\w*|hoarse\w*|raspy|husky|croaky)\b.{{0,40}}\b({_PERSISTS})\b",
        rf"\b({_PERSISTS})\b.{{0,20}}\b(cough\w*|hoarse\w*)\b",
    ),
]
# fmt: on

# A sign named right after one of these is denied, not described ("no blood in my stool").
_NEGATION = re.compile(
    r"\b(no|not|never|without|nor|zero|isnt|wasnt|arent|werent|dont|doesnt|didnt|havent|hasnt"
    r"|hadnt|denies|negative for|free of|any sign of)\b(\W+\w+){0,2}\W*$"
)


# Denials of a sign's own word, dropped before matching: "found no lumps", "no blood, had a cold"
# ("without trying" stays: it is what makes weight loss a sign).
_DENIED = re.compile(
    r"\b(no|not any|without any|never any|zero|free of|negative for)( \w+)? (blood|bleeding|lumps?"
    r"|bumps?|masses|swelling|cough\w*|weight loss|spotting|trouble swallowing)\b"
    r"|\b(hasnt|hadnt|havent|didnt|not|never) (changed|grown|bled)\b"
)


def _said(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` matches somewhere not right after a negation."""
    return any(not _NEGATION.search(text[: m.start()]) for m in pattern.finditer(text))


def warning_sign(text: str) -> WarningSign | None:
    """The first warning sign ``text`` describes or asks about, or None."""
    normal = _DENIED.sub(" ", normalise(text).replace("-", " "))
    for sign in SIGNS:
        if sign.unless is not None and _said(sign.unless, normal):
            continue
        if _said(sign.pattern, normal):
            return sign
    return None


def warning_note(text: str) -> str:
    """A line for the top of the answer, or "" when the text names no warning sign."""
    sign = warning_sign(text)
    if sign is None:
        return ""
    return f"**Please see a doctor about this.** {sign.advice}"
