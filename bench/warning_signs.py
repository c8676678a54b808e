"""Warning-sign notes ("please see a doctor about this"): recall per sign and false alarms.

    python bench/warning_signs.py                      # dev and test, with the baseline
    python bench/warning_signs.py --show-misses        # and every miss and false alarm

Scores :func:`app.warning_signs.warning_sign` on ``bench/data/warning_signs_dev.jsonl`` and
``warning_signs_test.jsonl``: a message counts as found when the right sign is named. Five
helpers wrote the messages from the same definitions of the ten signs, each blind to the
patterns and to the other sets. The patterns were written on the first set; the second, third
and fourth were each read once as the test set, then their misses were read and fixed and they
joined the development set (712 messages). The fifth (176) is the test set: scored blind, its
messages and misses left unread, so that its figures stay blind while the patterns stay as they
are (``--show-misses`` would end that). Earlier blind readings: ``docs/results/warning_signs_blind.json``.
Beside it, a baseline with no patterns: a note whenever the message holds a sign's keyword
(blood, bleeding, spotting, lump, weight, mole, swallow, cough, hoarse). It also counts the
notes on everyday health questions (people's messages, the consumer set, everyday questions),
where a note is right only if the message describes a sign: they are listed to be read.
Prints JSON, writes it to ``--json`` and a bar chart of recall per sign to ``--plot``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.warning_signs import SIGNS, warning_sign
from bench.common import report

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "dev": ROOT / "bench" / "data" / "warning_signs_dev.jsonl",
    "test": ROOT / "bench" / "data" / "warning_signs_test.jsonl",
}
EVERYDAY = {
    "messages": ROOT / "rag" / "queries" / "messages.jsonl",
    "consumer": ROOT / "rag" / "queries" / "consumer.jsonl",
    "everyday_test": ROOT / "bench" / "data" / "safety_everyday_test.jsonl",
}
KEYWORDS = re.compile(
    r"\b(blood\w*|bleed\w*|bled|spotting|lumps?|weight|moles?|swallow\w*|cough\w*|hoarse\w*)\b",
    re.IGNORECASE,
)


def read(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{"text": r.get("text") or r["question"], "sign": r.get("sign")} for r in rows]


def found(text: str) -> str | None:
    sign = warning_sign(text)
    return sign.name if sign else None


def keyword(text: str) -> str | None:
    return "keyword" if KEYWORDS.search(text) else None


def score(rows: list[dict], recognise) -> dict:
    """Recall (the right sign named), false alarms on messages with no sign, per sign."""
    named = [recognise(r["text"]) for r in rows]
    positives = [(r, n) for r, n in zip(rows, named, strict=True) if r["sign"]]
    negatives = [(r, n) for r, n in zip(rows, named, strict=True) if not r["sign"]]

    def right(r: dict, n: str | None) -> bool:
        return n == r["sign"] or (n == "keyword" and r["sign"] is not None)

    per_sign = {
        s.name: round(
            sum(right(r, n) for r, n in positives if r["sign"] == s.name)
            / max(sum(r["sign"] == s.name for r, _ in positives), 1),
            3,
        )
        for s in SIGNS
    }
    return {
        "recall": round(sum(right(r, n) for r, n in positives) / max(len(positives), 1), 3),
        "false_alarms": round(sum(n is not None for _, n in negatives) / max(len(negatives), 1), 3),
        "positives": len(positives),
        "negatives": len(negatives),
        "recall_per_sign": per_sign,
        "misses": [
            {"text": r["text"], "sign": r["sign"], "named": n}
            for r, n in [*positives, *negatives]
            if not (right(r, n) if r["sign"] else n is None)
        ],
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [s.name for s in SIGNS]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, split in enumerate(("dev", "test")):
        scored = result[split]["patterns"]
        ax.bar(
            [x + 0.4 * i for x in range(len(names))],
            [scored["recall_per_sign"][n] for n in names],
            width=0.4,
            label=f"{split}: recall {scored['recall']:.3f}, "
            f"false alarms {scored['false_alarms']:.1%}",
        )
    ax.set_xticks([x + 0.2 for x in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylabel("recall (the right sign named)")
    ax.set_ylim(0, 1.25)
    ax.set_title("Warning signs recognised in people's messages (test set scored blind)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--json", type=Path, default=Path("docs/results/warning_signs.json"))
    p.add_argument("--plot", default="docs/warning_signs.png", help="PNG to write ('' for none)")
    p.add_argument("--show-misses", action="store_true", help="list misses and false alarms")
    args = p.parse_args(argv)

    result: dict = {}
    for split, path in SETS.items():
        rows = read(path)
        result[split] = {"patterns": score(rows, found), "keyword_baseline": score(rows, keyword)}
        if not args.show_misses:
            for scored in result[split].values():
                scored.pop("misses")
    result["everyday_notes"] = {}
    for name, path in EVERYDAY.items():
        rows = read(path)
        noted = [(r["text"], found(r["text"])) for r in rows]
        noted = [(t, n) for t, n in noted if n]
        result["everyday_notes"][name] = {
            "messages": len(rows),
            "notes": len(noted),
            "keyword_baseline_notes": sum(keyword(r["text"]) is not None for r in rows),
            "by_sign": dict(Counter(n for _, n in noted)),
            "noted": [f"{n}: {t}" for t, n in noted],
        }
    report(result, args.json)
    if args.plot:
        plot(result, Path(args.plot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
