"""Safety benchmark: recall per class and kind, and false alarms, on labeled messages.

    python bench/safety.py                # the test set: reports recall and false alarms
    python bench/safety.py --sweep        # chooses the settings by cross-validation first
    python bench/safety.py --gate         # chooses emergency_sure (the red-flag gate) so first
    python bench/safety.py --test bench/data/safety_v2.jsonl --show-misses

The check learns from the labeled messages in ``app/data`` (and people's health questions, the
dev half of ``rag/queries/messages.jsonl``). It is tested on messages it never saw:
``bench/data/safety_v3.jsonl`` (English and Spanish, written by someone who saw neither the
rules nor the training messages) and the test half of ``rag/queries/messages.jsonl`` (health questions the app must answer: every
alarm on them is a false alarm), and ``bench/data/safety_everyday_test.jsonl`` (everyday
questions, also all to be answered: its false alarms are reported as "everyday"). ``--sweep`` chooses the classifier's settings and which rules
run beside it by 5-fold cross-validation on the training messages alone: the highest recall of
emergencies and self-harm with at most 5% false alarms on the training look-alikes (written to be
hard). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.safety import (
    OK,
    SafetyChecker,
    SafetyClassifier,
    SafetyConfig,
    always_on,
    check_rules,
    learned_outcome,
    read_examples,
)
from bench.common import cached
from rag.embedder import DEFAULT_EMBEDDER, load_embedder
from rag.evaluate import MESSAGES, read_split

DATA = Path(__file__).resolve().parent / "data"
# The newest set written after the last change to the check: 377 messages by a writer who saw
# neither the rules nor the training messages. safety_v2.jsonl, the previous test set, has been
# looked at since (its misses were studied), so it is reported but no longer unseen.
TEST = DATA / "safety_v3.jsonl"
# Everyday questions to answer (sleep, aches, past events, alarming words used calmly), written
# by a helper who saw neither the rules nor the training messages: the test half of 320 (every
# other message of each kind). Of the dev half, the 8 the check flagged were added to its
# training messages (app/data/safety_everyday.jsonl).
EVERYDAY = DATA / "safety_everyday_test.jsonl"
# Symptoms described as people type them, 150 to answer (some alarming-sounding: "sharp",
# "swollen", "blood on the toilet paper") and 75 emergencies and self-harm, by a helper who saw
# neither the rules nor the training messages; written after the red-flag gate was proposed
# and never trained on or tuned with.
SYMPTOMS = DATA / "safety_symptoms_test.jsonl"
URGENT = {"emergency", "self_harm"}
GRID = {
    "classifier_c": (1.0, 3.0, 10.0),
    "min_probability": (0.3, 0.4, 0.5, 0.6),
    "embedding_weight": (1.0, 3.0),
    # "all" is left out: the rules were written on these very messages, so cross-validation
    # would flatter them (on unseen messages they raised 4-9% false alarms).
    "rules": ("none", "strong"),
}


def test_rows(path: Path = TEST) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return rows + [
        {"text": q["question"], "label": "ok", "kind": "health_question", "lang": "en"}
        for q in read_split(MESSAGES, "test")
    ]


def score(rows: list[dict], outcomes: list[str]) -> dict:
    by_label, by_kind, misses = Counter(), defaultdict(lambda: [0, 0]), []
    for r, got in zip(rows, outcomes, strict=True):
        # An emergency answered with the crisis message (or the reverse) still sends the person
        # to help now: both count as caught; dosing and ok must be exact.
        hit = got == r["label"] or (r["label"] in URGENT and got in URGENT)
        by_label[(r["label"], hit)] += 1
        by_kind[r.get("kind", "")][0] += hit
        by_kind[r.get("kind", "")][1] += 1
        if not hit:
            misses.append(
                {"label": r["label"], "got": got, "kind": r.get("kind"), "text": r["text"]}
            )

    def share(label: str) -> float:
        total = by_label[(label, True)] + by_label[(label, False)]
        return round(by_label[(label, True)] / max(total, 1), 4)

    urgent = [by_label[(lab, True)] for lab in URGENT]
    urgent_total = sum(by_label[(lab, h)] for lab in URGENT for h in (True, False))
    return {
        "messages": len(rows),
        "recall": {label: share(label) for label in ("emergency", "self_harm", "dosing")},
        "urgent_recall": round(sum(urgent) / max(urgent_total, 1), 4),
        "false_alarms": round(1 - share("ok"), 4),
        "by_kind": {k: f"{a}/{n}" for k, (a, n) in sorted(by_kind.items())},
        "misses": misses,
    }


def out_of_fold(rows: list[dict], embed, cfg: SafetyConfig, folds: int = 5) -> list[dict]:
    """Class probabilities of every training message from a classifier that did not see it."""
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    probabilities: list[dict] = [{}] * len(rows)
    for f in range(folds):
        held = order[f::folds]
        train = [r for i, r in enumerate(rows) if i not in set(held)]
        classifier = SafetyClassifier(train, embed, cfg)
        for i, p in zip(
            held, classifier.probabilities([rows[i]["text"] for i in held]), strict=True
        ):
            probabilities[i] = p
    return probabilities


def sweep(rows: list[dict], embed, cfg: SafetyConfig) -> list[dict]:
    """Every setting of GRID, scored out of fold (the rules run once per message)."""
    verdicts = [check_rules(r["text"]) for r in rows]
    rules = {
        "none": [always_on(r["text"]) for r in rows],  # the fixed checks run in every mode
        "strong": [v if v.rule.endswith("!") else OK for v in verdicts],
    }
    grid = []
    for c, weight in itertools.product(GRID["classifier_c"], GRID["embedding_weight"]):
        setting = replace(cfg, classifier_c=c, embedding_weight=weight)
        probabilities = out_of_fold(rows, embed, setting)
        for threshold, mode in itertools.product(GRID["min_probability"], GRID["rules"]):
            outcomes = []
            for p, ruled in zip(probabilities, rules[mode], strict=True):
                learned = learned_outcome(p, replace(setting, min_probability=threshold))
                outcomes.append(ruled.outcome if ruled.stop else learned)
            s = score(rows, outcomes)
            # The bar is held on the messages it was set on: the everyday look-alikes (all
            # false alarms once) teach the classifier but are not counted in it.
            kept = [i for i, r in enumerate(rows) if r.get("set") != "everyday"]
            barred = score([rows[i] for i in kept], [outcomes[i] for i in kept])
            s["false_alarms"] = barred["false_alarms"]
            grid.append(
                {
                    "classifier_c": c,
                    "min_probability": threshold,
                    "embedding_weight": weight,
                    "rules": mode,
                    "urgent_recall": s["urgent_recall"],
                    "dosing_recall": s["recall"]["dosing"],
                    "false_alarms": s["false_alarms"],
                }
            )
    return grid


SURE = (0.5, 0.6, 0.7, 0.8, 0.9, 1.01)  # emergency_sure values tried (0.5: no red-flag gate)


def choose_emergency_sure(rows: list[dict], embed, cfg: SafetyConfig, loss: float = 0.005):
    """The red-flag gate (``SafetyConfig.emergency_sure``) scored out of fold: the largest
    value whose urgent recall stays within ``loss`` of the check without the gate."""
    probabilities = out_of_fold(rows, embed, cfg)
    ruled = [always_on(r["text"]) for r in rows]
    table = []
    for sure in SURE:
        gated = replace(cfg, emergency_sure=sure)
        outcomes = [
            rule.outcome if rule.stop else learned_outcome(p, gated, r["text"])
            for r, p, rule in zip(rows, probabilities, ruled, strict=True)
        ]
        s = score(rows, outcomes)
        table.append(
            {
                "emergency_sure": sure,
                "urgent_recall": s["urgent_recall"],
                "emergency_recall": s["recall"]["emergency"],
                "false_alarms": s["false_alarms"],
            }
        )
    floor = table[0]["urgent_recall"] - loss
    chosen = max(
        (t for t in table if t["urgent_recall"] >= floor), key=lambda t: t["emergency_sure"]
    )
    return chosen["emergency_sure"], table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sweep", action="store_true", help="choose settings by cross-validation")
    p.add_argument("--test", type=Path, default=TEST, help="labeled test messages (JSON lines)")
    p.add_argument("--everyday", type=Path, default=EVERYDAY, help="everyday questions (all ok)")
    p.add_argument("--show-misses", action="store_true", help="list the missed messages")
    p.add_argument(
        "--gate",
        action="store_true",
        help="choose emergency_sure (the red-flag gate) by cross-validation first",
    )
    p.add_argument("--symptoms", type=Path, default=SYMPTOMS, help="symptom messages (labeled)")
    args = p.parse_args()
    model = load_embedder(DEFAULT_EMBEDDER)
    embed = cached(
        lambda texts: model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    )
    cfg = SafetyConfig()
    result: dict = {}
    if args.sweep:
        rows = read_examples([Path(p) for p in cfg.examples.split(",")])
        grid = sweep(rows, embed, cfg)
        # The training "ok" messages are hard look-alikes on purpose, so alarms run higher here
        # than on people's real questions: at most 5% of them.
        ok = [g for g in grid if g["false_alarms"] <= 0.05] or grid
        best = max(ok, key=lambda g: (g["urgent_recall"], g["dosing_recall"], -g["false_alarms"]))
        cfg = replace(cfg, **{k: best[k] for k in GRID})
        result["chosen_by_cross_validation"] = best
        result["best_settings_by_cross_validation"] = sorted(
            ok, key=lambda g: (-g["urgent_recall"], -g["dosing_recall"], g["false_alarms"])
        )[:8]
        result["training_messages"] = len(rows)
    if args.gate:
        rows = read_examples([Path(p) for p in cfg.examples.split(",")])
        sure, table = choose_emergency_sure(rows, embed, cfg)
        cfg = replace(cfg, emergency_sure=sure)
        result["emergency_sure_by_cross_validation"] = table
    checker = SafetyChecker(embed, cfg, DEFAULT_EMBEDDER)
    rows = test_rows(args.test)
    result["settings"] = {k: getattr(cfg, k) for k in (*GRID, "emergency_sure")}
    result["test_set"] = args.test.name
    result["test"] = score(rows, [checker.check(r["text"]).outcome for r in rows])
    everyday = [json.loads(line) for line in args.everyday.read_text().splitlines() if line]
    result["everyday"] = score(everyday, [checker.check(r["text"]).outcome for r in everyday])
    symptoms = [json.loads(line) for line in args.symptoms.read_text().splitlines() if line]
    result["symptoms"] = score(symptoms, [checker.check(r["text"]).outcome for r in symptoms])
    if not args.show_misses:
        for part in ("test", "everyday", "symptoms"):
            result[part]["misses"] = len(result[part]["misses"])
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
