"""The shape of answer text: lines, list items, sentences, and the units answers are built from.

MedQuAD answers arrive with their layout flattened into runs of spaces and `` - `` markers, and
with em dashes deleted upstream ("symptomssuch as bloating"). :func:`clean_answer` restores a
small, explicit layout that every later step shares::

    one line per paragraph
    - one line per list item

A *unit* is the smallest piece an answer may quote: a sentence, or a lead sentence together
with the list it introduces ("Symptoms include:" + its items). Grounded answers are made of
whole units, so a quote never cuts a list from its lead or a sentence in half.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

ITEM = "- "
# Where upstream text hides a line break: newlines, long runs of spaces, or a list marker
# after two spaces or after a colon ("include: - a  - b").
_BREAK = re.compile(r"\s*\n\s*|\s{3,}|\s{2,}(?=-\s)|(?<=:)\s+(?=-\s)|(?<=\.)\s+(?=-\s+[A-Z])")
# A last list item this long has swallowed the prose after the list (no marker ends a list).
_LONG_ITEM_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z]+")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_LABEL = re.compile(r"^Summary : ")  # MedlinePlus opens 295 answers with it; no part of a quote
# NIHSeniorHealth's instructions for the page's video player (88 passages), run into the prose
# around them: "(Watch the video to learn about X. To enlarge the video, click the brackets in
# the lower right-hand corner. To reduce the video, press the Escape (Esc) button on your
# keyboard.) A doctor can help..."
_VIDEO = re.compile(
    r"\(?Watch the videos? (?:to|about|on)\b[^.]*\.\s*|To enlarge the videos?\b[^.]*\.\s*|"
    r"To reduce the videos?, press the Escape \(Esc\) button on your keyboard\.\)?\s*"
)
_ECHO_WORDS = 4  # a shorter repeat can be the text itself ("very very")
_LEAD_ITEM_WORDS = 15  # a list's first item glued to its lead is a short phrase


# Section headings run into the next sentence upstream ("Common Treatments The most common
# treatments..."): a run of two or more title-case words, then a word that typically opens a
# sentence, then a lower-case word.
_SMALL = "of|for|and|the|to|with|in|a|an|or|on|at|by|your|you"
_OPENERS = (
    "The|A|An|If|When|Some|Most|Many|You|Your|It|Its|This|These|There|They|People|Doctors|In|"
    "For|With|Because|Although|About|Researchers|Scientists|Each|Every|Other|Several|Not|Only|"
    "Older|Adults|Children|Women|Men|After|Before|During|While|Over|Taking|Eating|Getting|"
    "Being|Having|To|Ask|Call|See|Learn|Find|Check|Make|Try|Keep|Use|Do|Be|Get"
)
_HEADING = re.compile(
    rf"(?:(?<=^)|(?<=[.!?] ))((?!(?:The|How|What|See|Why|Who|When|Where|Is|Are|Can|Do|Does) )"
    rf"[A-Z][\w'-]*(?: (?:[A-Z][\w'-]*|{_SMALL})){{0,6}} [A-Z][\w'-]*) (?=(?:{_OPENERS}) [a-z])"
)


# A heading the next sentence opens by repeating: "Normal Blood Pressure Normal blood pressure
# for adults is…", "Risk Factors Risk factors are…".
_REPEATED_HEADING = re.compile(
    r"""(?:(?<=^)|(?<=[.!?] )|(?<=[.!?]["”'] ))([A-Z][\w'-]*(?: [A-Z][\w'-]*){1,5}) (?=(?i:\1)\b)"""
)


def split_headings(line: str) -> list[str]:
    """A line with headings run into it -> the headings on lines of their own."""
    out, start = [], 0
    for m in _REPEATED_HEADING.finditer(line):
        out += [*_split_headings(line[start : m.start()]), m.group(1)]
        start = m.end()
    return out + _split_headings(line[start:])


def _split_headings(line: str) -> list[str]:
    out, start = [], 0
    for m in _HEADING.finditer(line):
        if m.group(1).split()[-1] in _SMALL.split("|"):
            continue
        if line[start : m.start()].strip():
            out.append(line[start : m.start()].strip())
        out.append(m.group(1))
        start = m.end()
    out.append(line[start:].strip())
    return [piece for piece in out if piece]


def clean_answer(raw: str) -> str:
    """Upstream answer text -> paragraphs, headings and ``- `` list items, one per line."""
    lines: list[str] = []
    for piece in _BREAK.split(raw.replace("\r", "")):
        piece = _VIDEO.sub("", _LABEL.sub("", " ".join(piece.split()))).strip()
        if piece in {"", "-"}:
            continue
        if piece.startswith("-") and not piece.startswith("--"):
            piece = ITEM + piece.lstrip("- ")
        elif lines and is_item(lines[-1]) and len(lines[-1].split()) > _LONG_ITEM_WORDS:
            lines[-1:] = _end_list(lines[-1])
        lines.extend(split_headings(piece) if not is_item(piece) else [piece])
    if lines and is_item(lines[-1]) and len(lines[-1].split()) > _LONG_ITEM_WORDS:
        lines[-1:] = _end_list(lines[-1])
    return "\n".join(_mend_lists(lines))


def _end_list(item: str) -> list[str]:
    """Split an overlong last item after its first sentence: the rest is prose again."""
    first, *rest = split_sentences(item)
    return [first, " ".join(rest)] if rest else [item]


def _mend_lists(lines: list[str]) -> list[str]:
    """Lists as NIHSeniorHealth meant them. Upstream, a list's first item is glued to its lead
    ("Other causes are - aging") and the list is repeated as run-on text right after its last
    item ("- tremor  - rigidity. tremor rigidity. Prose..."), which a quote would show as a
    garbled extra item. Each fix can uncover the other, so both run until nothing changes."""
    while True:
        mended = _drop_list_echoes(_split_glued_leads(lines))
        if mended == lines:
            return lines
        lines = mended


def _split_glued_leads(lines: list[str]) -> list[str]:
    """A lead with the first item glued on ("Causes include - aging") before a list item ->
    the lead, then that item on a line of its own."""
    out: list[str] = []
    for i, line in enumerate(lines):
        lead, dash, first = line.rpartition(" - ")
        glued = (
            dash
            and not is_item(line)
            and i + 1 < len(lines)
            and is_item(lines[i + 1])
            and not lead.rstrip().endswith((".", ":", "!", "?"))
            and len(first.split()) <= _LEAD_ITEM_WORDS
            and not _SENTENCE_END.search(first)
        )
        out += [lead.rstrip(), ITEM + first.strip()] if glued else [line]
    return out


def _drop_list_echoes(lines: list[str]) -> list[str]:
    """Lists without the run-on copy of their items that follows them upstream: inside an
    item (its own words, then every item's words so far, then prose; a list of one item too)
    or on the next line."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not is_item(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        listed: list[str] = []  # the words of the list's items so far
        j = i
        while j < len(lines) and is_item(lines[j]):
            own, tail = _split_echo(lines[j], listed)
            last = j + 1 < len(lines) and not is_item(lines[j + 1])
            if not tail and last:
                # an overlong last item was split after a sentence inside the copy
                joined = _split_echo(f"{lines[j]} {lines[j + 1]}", listed)
                if joined[1]:
                    (own, tail), j = joined, j + 1
            listed += words(own)
            out.append(own)
            j += 1
            if tail:  # the list ended inside this item; what follows is prose again
                out += split_headings(tail)
                break
            if own != lines[j - 1]:
                # the copy ended the item, so the list ended with it: the items after it are
                # another list, glued on upstream, with a copy of its own to find
                listed = []
        else:
            more = j > i + 1 and j < len(lines) and bool(listed)
            copied = more and words(lines[j])[: len(listed)] == listed
            after = _after_words(lines[j], len(listed)) if copied else ""
            if copied and _ends_copy(after):
                rest = after.lstrip(" .;,?!")
                out += split_headings(rest) if rest else []
                j += 1
        i = j
    return out


def _split_echo(item: str, before: list[str]) -> tuple[str, str]:
    """(the item's own text, the prose after a run-on copy of the list or of the item in it);
    the item unchanged and "" when it holds no copy."""
    found = list(_TOKEN.finditer(item))
    said = [m.group().lower() for m in found]
    for k in range(1, len(said)):
        # the whole list so far, or the item alone ("- Age. Risk rises. Age. Risk rises.")
        for echo in (before + said[:k], said[:k]):
            end = k + len(echo)
            if len(echo) >= _ECHO_WORDS and end <= len(said) and said[k:end] == echo:
                after = item[found[end - 1].end() :]
                if _ends_copy(after):
                    return item[: found[k].start()].rstrip(), after.lstrip(" .;,?!")
    return item, ""


def _ends_copy(after: str) -> bool:
    """A run-on copy ends its sentence; "Nodal lymphoma. Nodal lymphoma forms in..." is a
    definition that repeats its term, not a copy."""
    return not after.strip() or after.lstrip()[0] in ".;?!"


def words(text: str) -> list[str]:
    """The text's words, lower case (letters and digits; everything else separates them)."""
    return _TOKEN.findall(text.lower())


def _after_words(text: str, n: int) -> str:
    """The text after its first ``n`` words."""
    return text[list(_TOKEN.finditer(text))[n - 1].end() :]


def is_item(line: str) -> bool:
    return line.startswith(ITEM)


def is_heading(unit: str) -> bool:
    """A short line with no sentence end and no list: a heading, not something to quote."""
    return (
        "\n" not in unit
        and not unit.rstrip().endswith((".", "!", "?", ":"))
        and len(unit.split()) <= 8
    )


def is_fragment(unit: str) -> bool:
    """The end of a sentence cut where a passage begins ("hands, chest pain, or stomach pain.",
    "or"): it opens in lower case. No MedQuAD sentence does (checked over every unit: of the
    1,238 that do, 1,121 open a later passage and the rest are GARD's table cells and the "or"
    between CancerGov's staging lists)."""
    return unit[:1].islower()


_BARE_REPLY = re.compile(
    r"^(yes|no|maybe|not always|sometimes( it (can|cannot|can't|does|does not))?)[.!]?$", re.I
)


def is_bare_reply(unit: str) -> bool:
    """A reply to the source's own question, which is not quoted ("Are there other medicines?
    Yes."): alone it answers whatever was asked (63 of MedQuAD's units are "Yes.")."""
    return bool(_BARE_REPLY.match(unit.strip()))


def is_lone_lead(unit: str) -> bool:
    """A sentence that introduces a list the source did not mark as one ("Call 911 for emergency
    care if:", its items on the lines after it): quoted alone it promises what it never says."""
    return "\n" not in unit and unit.rstrip().endswith(":")


def is_question(unit: str) -> bool:
    """A question on a line of its own ("How might X be treated?"): a heading in the NIH
    answers (4,542 of them), never an answer (a list under a question keeps its items)."""
    return "\n" not in unit and unit.rstrip().endswith("?")


# Sentences that thousands of answers share and that answer nothing: GARD's note on its symptom
# tables (each found verbatim in over 2,000 of MedQuAD's answers) and NIDDK's pointer to its
# pronunciation guide. Found by counting units shared across records.
_FURNITURE = re.compile(
    r"^\W*(you can use the medlineplus medical dictionary|sometimes, no information on frequency"
    r"|in these cases, the sign or symptom may be rare or common|if the information is available,"
    r" the table below|for example, a frequency of|because these frequencies are based on"
    r"|the first number of the fraction|the frequency may also be listed as a fraction"
    r"|the frequency of a sign or symptom is usually|much of this information comes from orphanet"
    r"|see the pronunciation guide"
    # GARD's symptom table, flattened upstream into one run-on line (2,243 answers), and the
    # sentence that introduces it, quoted for "what are the early signs of dementia"
    r"|signs and symptoms approximate number of patients"
    r"|the human phenotype ontology provides the following list"
    # MedlinePlus's credit line for the NIH institute that wrote the page (506 of them)
    r"|nih: "
    # GARD's pointers to other pages (222 lists of MedlinePlus topics, laboratories, links)
    r"|these resources from medlineplus offer information|please click on the links? to access"
    r"|to (view|access) the contact information for the|to read more about the different types"
    # pointers to another section or page (923 units: CancerGov's "See the Treatment Options
    # section that follows", "See Drugs Approved for …", "Read more about DASH", "See a chart")
    r"|see (the (\w+ )?(section|summar\w*|following|treatment options|general information|latest"
    r"|list|pdq|chart|video|article|fact sheet|table)|a chart|drugs approved)|read more\b"
    r"|for more information\b|learn more about\b|visit (http|www)"
    r"|go to the (health topics?|diseases and conditions)"
    # a credit line like the NIH ones, for pages from the Office on Women's Health
    r"|dept\. of health and human services"
    # GARD's and NIHSeniorHealth's pointers to pages, links and articles (about 110 units):
    # "Click here to learn more about autosomal recessive inheritance.", "The Lupus Foundation
    # of American has a page called Is lupus hereditary? that provides a good overview."
    r"|(please )?click (here|on)\b|you may (have|need) to register"
    r"|you can (find|read|search|access|view|learn) (additional|further|more|relevant|journal"
    r"|this page|a list)|additional (\w+ )?information (is available|can be found)"
    r"|[^.]{0,60}\b(has|have) (a|an) (\w+ )?(page|web ?page|web ?site|in-depth review) "
    r"(called|on|for|about|of|that|which)"
    # Genetics Home Reference's lists of resource names without their links (1,085 units;
    # "- Genetic Testing Registry: X"): chosen on dev, ROUGE-L 0.432 -> 0.435
    r"|these resources address the diagnosis or management)",
    re.IGNORECASE,
)


def is_furniture(unit: str) -> bool:
    """A template sentence many answers share that says nothing about the question."""
    return bool(_FURNITURE.match(unit))


# What a directory of organizations is made of: phone numbers, web and e-mail addresses,
# "MD 20892-3655", "Phone:", "TTY:".
_CONTACT = re.compile(
    r"\b1?-?\(?\d{3}\)?[-. ]\d{3}-\d{4}\b|\b1?8\d{9}\b|\b\d{10}\b|www\.\S+|\S+@\S+\.\w+"
    r"|https?://\S+|\b[A-Z]{2} \d{5}(?:-\d{4})?\b|\b(?:phone|fax|tty|toll-free|e-?mail|internet):",
    re.IGNORECASE,
)


def is_directory(unit: str) -> bool:
    """Addresses, phone numbers and links more than prose: "National Eye Institute … 2020
    Vision Place Bethesda, MD 20892-3655 301-496-5248 www.nei.nih.gov". Such a unit answers no
    health question ("will she go blind" drew one), though its page is linked beside the
    answer. At least two contact items, one per 12 words or fewer."""
    found = len(_CONTACT.findall(unit))
    return found >= 2 and found * 12 >= len(unit.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of prose."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# Words a sentence opens with after a heading that some sources (NIHSeniorHealth) run into it:
# "Shingles Usually Does Not Return People who develop shingles…".
SENTENCE_OPENERS = frozenset(
    "the a an if when while although even as in most many some other certain each every "
    "people you your this these there here it its they doctors scientists researchers adults "
    "older women men children anyone someone treatment symptoms sometimes sometime about after "
    "before during often usually however because since once today currently no only".split()
)
_TITLE_WORD = re.compile(r"[A-Z][\w'’-]*,?")
_HEADING_JOINERS = frozenset(
    "of and the for to a an in with on or at by is are from your you".split()
)


def _opener_key(word: str) -> str:
    """A word as openers are compared: lower case, no trailing comma or apostrophes
    ("Alzheimer's" and "Alzheimers" alike)."""
    return word.lower().rstrip(",").replace("'", "").replace("’", "")


def drop_inline_heading(sentence: str, openers: Iterable[str] = SENTENCE_OPENERS) -> str:
    """The sentence without a heading run into its start ("Sudden, Intense Joint Pain Gout is a
    form of arthritis…" -> "Gout is a form of arthritis…", with "Gout" among ``openers``): a
    run of two or more capitalised words (joined by short lower-case ones) ending in a
    capitalised word, then an opener, itself capitalised and followed by a lower-case word.
    Anything else is returned as it is."""
    words = sentence.split(" ")
    if "\n" in sentence or not sentence.rstrip().endswith((".", "!", "?", ":")):
        return sentence
    openers = {_opener_key(w) for w in openers}
    capitals = 0
    for i, word in enumerate(words[:-1]):
        if _TITLE_WORD.fullmatch(word):
            key = _opener_key(word)
            follows = words[i + 1]
            before = words[i - 1] if i else ""
            if (
                capitals >= 2
                and key in openers
                and follows[:1].islower()
                and before.lower() not in _HEADING_JOINERS
                and not before.endswith(",")
                and not re.fullmatch(r"[IVX]+|[A-Z]", before)  # "Type II Gout has…"
                and len(words) - i >= 4
            ):
                return " ".join(words[i:])
            capitals += 1
        elif word in _HEADING_JOINERS and capitals:
            continue
        else:
            return sentence
    return sentence


def _introduces_list(sentence: str) -> bool:
    return sentence.endswith(":") or not sentence.endswith((".", "!", "?"))


def split_units_at_lines(text: str) -> list[tuple[str, bool]]:
    """Units, each with whether it starts a new line (see :func:`join_units`)."""
    units: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if is_item(line):
            last = units[-1][0] if units else ""
            if units and (is_item(last.split("\n")[-1]) or _introduces_list(last)):
                units[-1] = (last + "\n" + line, units[-1][1])
            else:
                units.append((line, True))
        else:
            units.extend((s, i == 0) for i, s in enumerate(split_sentences(line)))
    return units


def split_units(text: str) -> list[str]:
    """Sentences, with each list kept whole and attached to the sentence that introduces it."""
    return [unit for unit, _ in split_units_at_lines(text)]


def join_units(units: list[tuple[str, bool]]) -> str:
    """The inverse of :func:`split_units_at_lines` for any run of its units."""
    text = ""
    for unit, starts_line in units:
        text += unit if not text else ("\n" if starts_line else " ") + unit
    return text


def plain(text: str) -> str:
    """One line of text (lists joined with semicolons), for embedding and word matching."""
    out = []
    for line in text.split("\n"):
        if is_item(line):
            item = line[len(ITEM) :].rstrip(".;")
            out.append(item + ";")
        elif line.strip():
            out.append(line)
    return " ".join(out).rstrip(";")


def to_markdown(text: str) -> str:
    """Paragraphs as paragraphs, items as a Markdown list (blank line before and after)."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if is_item(line):
            if out and not is_item(out[-1]):
                out.append("")
        elif out:
            out.append("")
        out.append(line)
    return "\n".join(out)


def word_counts(texts: Iterable[str]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(text))
    return counts


# Words that follow a deleted em dash: "symptoms—such as", "diarrhea—often", "deficiency—an".
_DASH_FOLLOWERS = frozenset(
    """such that which who whom whose an the and or but nor is are was were may might can could
    will would should including especially even often usually sometimes also for with from in of
    to at as when where while if called about not than these this those their its it they
    you your most more many all each both one two three mainly mostly only typically
    generally particularly commonly known after before""".split()
)


# Prefixes and endings that make one word with the word beside them ("nonkidney",
# "reinfected", "pseudogout", "sleepless", "muscularis"): never split there.
_BOUND_PREFIXES = frozenset(
    """re non anti extra un pre post sub super inter intra multi over under out co de dis hyper
    hypo semi micro macro neuro mid self counter trans ultra poly mono bi tri peri para meta pro
    pseudo""".split()
)
_BOUND_ENDINGS = frozenset("less ness ly able ible ment ful like ones".split())
# Short words that do get glued to their neighbour ("theblood", "ofheart", "fistulaan").
_SHORT_WORDS = frozenset("a an of to in is or as at be by on no if it".split())
# Endings of medical terms: such a right part is a word of its own only after a little word
# ("asangioplasty" is "as angioplasty"; "cystadenoma", "lymphangiography" are terms).
_TERM_ENDINGS = ("oma", "graphy", "itis", "osis", "emia", "pathy", "ectomy", "plasty", "scopy")
_SPLIT_LENGTH = 7  # GlueRepair splits only words this long
_LONG_WORD = re.compile(rf"[A-Za-z]{{{_SPLIT_LENGTH},}}")
_LINKISH = re.compile(r"\S*(?:www\.|https?:|@|\.(?:org|gov|com|edu|net)\b)\S*|\S+/\S+")


# A share over 200 percent is a range whose dash was deleted: "about 719 percent of adults" is
# 7–19 percent, "2030 percent" 20–30 (150 percent of the poverty level is left alone).
_LOST_RANGE = re.compile(r"(?<![\d.,/%])\b([2-9]\d{2}|\d{4})(?= percent\b)")


def _range(m: re.Match) -> str:
    digits = m.group(1)
    for i in range(1, len(digits)):
        low, high = digits[:i], digits[i:]
        if high[0] != "0" and int(low) < int(high) <= 100:
            return f"{low}–{high}"
    return digits


class GlueRepair:
    """Puts back the em dashes and spaces that upstream deleted: "diarrheaoften" ->
    "diarrhea—often", "systemactivity" -> "system activity", "theblood" -> "the blood".

    A word is split only when it is rare in the corpus (at most ``max_count`` uses). An em dash
    goes back when its left part is a common word and its right part a word that typically
    follows a dash ("such", "often", "an"). A space goes back, given ``english`` (words never
    split), when the word is not English and both parts are words the corpus uses often
    (``min_part`` times) that are English or very common here, neither a prefix or ending that
    makes one word with its neighbour. So compounds ("breakthrough", "checklist"), rare
    medical terms ("nonkidney", "pseudogout") and web addresses ("kneesociety.org") stay whole.
    A percent range that lost its dash gets it back ("719 percent" -> "7–19 percent").
    """

    def __init__(
        self,
        counts: Counter,
        max_count: int = 2,
        min_left: int = 40,
        english: frozenset[str] | set[str] = frozenset(),
        min_part: int = 50,
        common: int = 300,
    ) -> None:
        self.counts = counts
        self.max_count = max_count
        self.min_left = min_left
        self.english = english
        self.min_part = min_part
        self.common = common
        self.cache: dict[str, str | None] = {}
        # Words too common to be split: most answers hold none of the others, and are then
        # returned as they are without a Python call per word (reading MedQuAD 3 s faster).
        self._too_common = frozenset(w for w, n in counts.items() if n > max_count)

    def split(self, word: str) -> str | None:
        key = word.lower()
        if key not in self.cache:
            self.cache[key] = None
            if len(key) >= _SPLIT_LENGTH and self.counts[key] <= self.max_count:
                self.cache[key] = self._dash(word) or self._space(word)
        return self.cache[key]

    def _dash(self, word: str) -> str | None:
        key = word.lower()
        for i in range(len(key) - 2, 3, -1):  # the longest follower wins
            left, right = key[:i], key[i:]
            # Two-letter followers also end real words ("transit", "frontalis").
            need = self.min_left * (5 if len(right) == 2 else 1)
            latin = right == "is" and left.endswith(("al", "ar"))
            if (
                not latin
                and right in _DASH_FOLLOWERS
                and left not in _DASH_FOLLOWERS
                and self.counts[left] >= need
            ):
                return f"{word[:i]}—{word[i:]}"
        return None

    def _space(self, word: str) -> str | None:
        key = word.lower()
        # Capitalized words are mostly names ("Handmaker", "BrightFocus"), left whole.
        if not self.english or key in self.english or word[0].isupper():
            return None
        best, at = 0, 0
        for i in range(1, len(key)):
            left, right = key[:i], key[i:]
            if (
                left in _BOUND_PREFIXES
                or right in _BOUND_ENDINGS
                or (len(left) < 3 and left not in _SHORT_WORDS)
                or (len(right) < 3 and right not in _SHORT_WORDS)
                or (right.endswith(_TERM_ENDINGS) and left not in STOPWORDS)
                # "stimulationis" is "stimulation is"; "muscularis", "cornealis" are terms
                or (right == "is" and (len(left) < 6 or left.endswith(("al", "ar"))))
            ):
                continue
            if all(self._word(part) for part in (left, right)):
                score = min(self.counts[left], self.counts[right])
                if score > best:
                    best, at = score, i
        return f"{word[:at]} {word[at:]}" if at else None

    def _word(self, part: str) -> bool:
        n = self.counts[part]
        return n >= self.min_part and (part in self.english or n >= self.common)

    def __call__(self, text: str) -> str:
        text = _LOST_RANGE.sub(_range, text)
        words = set(_WORD.findall(text.lower())) - self._too_common
        if not any(len(w) >= _SPLIT_LENGTH for w in words):
            return text
        out, last = [], 0
        for link in _LINKISH.finditer(text):  # web and e-mail addresses are left as they are
            out.append(_LONG_WORD.sub(self._sub, text[last : link.start()]))
            out.append(link.group(0))
            last = link.end()
        out.append(_LONG_WORD.sub(self._sub, text[last:]))
        return "".join(out)

    def _sub(self, m: re.Match) -> str:
        return self.split(m.group(0)) or m.group(0)


# Words that carry no content for matching a question to a sentence.
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being it
    its this that these those there their they them he she his her you your we our can may might
    will would should could do does did not no so than then also such which who whom what when
    where why how all any some more most other into about over after before very have has had i
    me my im ive get gets got much many one ones thing things know tell please""".split()
)


class Stems:
    """Content words of a text reduced to Snowball stems ("treated", "treatment" -> "treat")."""

    def __init__(self) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")

    def __call__(self, text: str) -> set[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
        return set(self._stemmer.stemWords(words))
