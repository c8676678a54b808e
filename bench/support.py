"""The free-mode support check, measured: precision and recall of "supported", dev and test.

    python bench/support.py [--index DIR] [--sweep]

Two kinds of labeled sentences, each paired with the passages it was written from:

* ``bench/data/support_labeled.jsonl``: real sentences of free-mode answers (SmolLM2 on dev
  messages), labeled by hand, and true paraphrases of source sentences (supported);
* perturbations made here from source units (seeded): the unit itself (supported), negation
  flipped, a number changed, a specific word swapped for one from another record, and a
  sentence about the same condition from another record (on topic, not stated): unsupported.

Rows are split into dev and test by a stable hash. ``--sweep`` scores a grid of thresholds on
dev and picks the one with the best F0.5 (a wrongly "supported" invention costs more than a
flagged true sentence); the chosen thresholds are reported on test. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.support import SupportChecker, SupportConfig
from bench.common import cached
from rag.index import Index, default_index_dir
from rag.retriever import Retriever
from rag.text import Stems, is_heading

LABELED = Path(__file__).resolve().parent / "data" / "support_labeled.jsonl"
GRID = {
    "min_coverage": (0.7, 0.8, 0.9, 1.0),
    "paraphrase_coverage": (0.4, 0.5, 0.6),
    "paraphrase_cosine": (0.75, 0.8, 0.85, 0.9),
    "specific_df": (0.003, 0.01, 0.03),
}
_AUX = re.compile(r"\b(is|are|can|may|does|do|will|should|has|have|was|were|could|might)\b")


def split_of(sentence: str) -> str:
    return "dev" if int(hashlib.sha256(sentence.encode()).hexdigest(), 16) % 2 == 0 else "test"


def flip_negation(s: str) -> str | None:
    if re.search(r"\b(not|no|never)\b", s):
        return (
            re.sub(r"\s*\b(not|never)\b", "", s, count=1)
            if re.search(r"\b(not|never)\b", s)
            else None
        )
    m = _AUX.search(s)
    return f"{s[: m.end()]} not{s[m.end() :]}" if m else None


def change_number(s: str, rng: random.Random) -> str | None:
    numbers = list(re.finditer(r"\b\d+\b", s))
    if not numbers:
        return None
    m = rng.choice(numbers)
    n = int(m.group())
    return f"{s[: m.start()]}{n * 2 + rng.randint(1, 5)}{s[m.end() :]}"


def perturbations(index: Index, n: int, seed: int = 0) -> list[dict]:
    """(sentence, passages, label, kind) rows made from index units."""
    rng = random.Random(seed)
    stems = Stems()
    df = index.bm25.document_frequency
    by_focus: dict[str, list] = {}
    for p in index.passages:
        by_focus.setdefault(p.focus.lower(), []).append(p)
    pool = [p for p in index.passages if len(p.units) >= 2]
    rows = []
    for p in rng.sample(pool, n):
        unit = rng.choice([u for u in p.units if "\n" not in u and not is_heading(u)] or [None])
        if unit is None or len(unit.split()) < 6:
            continue
        other = rng.choice(index.passages)
        passages = [p.text, other.text]
        rows.append({"sentence": unit, "passages": passages, "label": "supported", "kind": "copy"})
        if flipped := flip_negation(unit):
            rows.append(
                {
                    "sentence": flipped,
                    "passages": passages,
                    "label": "unsupported",
                    "kind": "negation",
                }
            )
        if changed := change_number(unit, rng):
            rows.append(
                {
                    "sentence": changed,
                    "passages": passages,
                    "label": "unsupported",
                    "kind": "number",
                }
            )
        words = [
            w for w in re.findall(r"[A-Za-z]{5,}", unit) if all(df(s) < 0.01 for s in stems(w))
        ]
        foreign = [
            w
            for w in re.findall(r"[A-Za-z]{5,}", other.text)
            if all(df(s) < 0.01 for s in stems(w)) and w.lower() not in p.text.lower()
        ]
        if words and foreign:
            swapped = unit.replace(rng.choice(words), rng.choice(foreign), 1)
            rows.append(
                {
                    "sentence": swapped,
                    "passages": passages,
                    "label": "unsupported",
                    "kind": "entity",
                }
            )
        same = [
            q
            for q in by_focus[p.focus.lower()]
            if q.record_id != p.record_id and q.qtype != p.qtype
        ]
        if same:
            q = rng.choice(same)
            claims = [
                u
                for u in q.units
                if "\n" not in u and not is_heading(u) and len(u.split()) >= 6 and u not in p.text
            ]
            if claims:
                rows.append(
                    {
                        "sentence": rng.choice(claims),
                        "passages": passages,
                        "label": "unsupported",
                        "kind": "unstated",
                    }
                )
    return rows


def memo(function):
    known: dict = {}
    return lambda text: known[text] if text in known else known.setdefault(text, function(text))


def evaluate(checker: SupportChecker, rows: list[dict]) -> dict:
    tp = fp = fn = tn = 0
    by_kind: Counter = Counter()
    for row in rows:
        ok = checker.judge(row["sentence"], row["passages"])[0]
        gold = row["label"] == "supported"
        tp += ok and gold
        fp += ok and not gold
        fn += gold and not ok
        tn += not gold and not ok
        by_kind[(row["kind"], ok == gold)] += 1
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f05 = 1.25 * precision * recall / max(0.25 * precision + recall, 1e-9)
    kinds = sorted({k for k, _ in by_kind})
    return {
        "rows": len(rows),
        "precision_supported": round(precision, 4),
        "recall_supported": round(recall, 4),
        "f0.5": round(f05, 4),
        "accuracy_by_kind": {
            k: f"{by_kind[(k, True)]}/{by_kind[(k, True)] + by_kind[(k, False)]}" for k in kinds
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--perturb", type=int, default=300, help="source units to perturb")
    p.add_argument("--sweep", action="store_true", help="choose thresholds on dev")
    args = p.parse_args()
    index = Index.open(args.index)
    retriever = Retriever(index)
    labeled = [json.loads(line) for line in LABELED.read_text().splitlines() if line.strip()]
    rows = labeled + perturbations(index, args.perturb)
    splits = {s: [r for r in rows if split_of(r["sentence"]) == s] for s in ("dev", "test")}
    checker = SupportChecker(cached(retriever.embed), index.bm25.document_frequency)
    checker.stems = memo(checker.stems)  # the sweep judges the same sentences many times
    cfg = SupportConfig()
    result: dict = {"labeled": len(labeled), "perturbed": len(rows) - len(labeled)}
    if args.sweep:
        best = None
        for values in itertools.product(*GRID.values()):
            checker.cfg = replace(SupportConfig(), **dict(zip(GRID, values, strict=True)))
            score = evaluate(checker, splits["dev"])
            if best is None or score["f0.5"] > best[0]["f0.5"]:
                best = (score, checker.cfg)
        cfg = best[1]
        result["chosen_on_dev"] = {k: getattr(cfg, k) for k in GRID}
    checker.cfg = cfg
    for split, part in splits.items():
        result[split] = evaluate(checker, part)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
