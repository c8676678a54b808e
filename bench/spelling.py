"""Spelling correction of messages: its settings chosen on dev, reported on test.

    python bench/spelling.py [--index index/medquad]

For no correction at all and for each setting of :class:`rag.spelling.SpellingConfig` in a small
grid (one field varied at a time from the default), scores fused retrieval of the dev half of
people's messages. The chosen setting has the best dev MRR@10 (ties: the default, then the
first in the grid). The chosen setting and no correction are then scored on the test half and
the consumer set, and a handful of typed examples shows each one's corrections.
Prints JSON and writes it to ``--json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import report
from rag.evaluate import CONSUMER_QUERIES, MESSAGES, evaluate, read_queries, read_split
from rag.index import Index, default_index_dir
from rag.retriever import Retriever
from rag.spelling import Speller, SpellingConfig

GRID = {
    "min_count": [1, 2, 3, 5, 10],
    "min_length": [4, 5, 6],
    "two_edits_from": [6, 7, 8, 99],
    "english_count": [0, 10_000, 100_000, 1_000_000],
}
EXAMPLES = [
    "diabetis symtoms",
    "my blood suger dropped to 55",
    "osteoperosis medecine",
    "kidny stone pain",
    "hight blood pressure",
    "dizzy when I get up off the couch",
]


class NoCorrection:
    def correct(self, word: str) -> str:
        return word


def scores(retriever: Retriever, queries: list[dict]) -> dict[str, float]:
    fused = evaluate(retriever, queries, modes=("fused",))["fused"]
    return {k: fused[k] for k in ("hit@1", "hit@5", "mrr@10")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--json", type=Path, default=Path("docs/results/spelling.json"))
    args = p.parse_args(argv)

    retriever = Retriever(Index.open(args.index))
    parser = retriever.parser
    counts = parser.word_counts
    dev, test = read_split(MESSAGES, "dev"), read_split(MESSAGES, "test")
    consumer = read_queries(CONSUMER_QUERIES)

    default = SpellingConfig()
    candidates = {"default": default}
    for field, values in GRID.items():
        for value in values:
            if value != getattr(default, field):
                candidates[f"{field}={value}"] = dataclasses.replace(default, **{field: value})
    spellers = {"none": NoCorrection()} | {k: Speller(counts, c) for k, c in candidates.items()}
    dev_scores = {}
    for name, speller in spellers.items():
        parser.speller = speller
        dev_scores[name] = scores(retriever, dev)
        print(name, dev_scores[name], file=sys.stderr)
    # The default wins ties, then the grid's order.
    chosen = max(candidates, key=lambda k: (dev_scores[k]["mrr@10"], k == "default"))

    reported = {}
    for name in ("none", chosen):
        parser.speller = spellers[name]
        reported[name] = {
            "test": scores(retriever, test),
            "consumer": scores(retriever, consumer),
            "examples": {e: parser.correct(e) for e in EXAMPLES},
        }
    result = {
        "index": str(args.index),
        "rule": "best dev MRR@10 (ties: the default)",
        "dev_messages": len(dev),
        "test_messages": len(test),
        "consumer_questions": len(consumer),
        "dev": dev_scores,
        "chosen": chosen,
        "chosen_config": dataclasses.asdict(candidates[chosen]),
        "reported": reported,
    }
    report(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
