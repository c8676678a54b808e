"""Choose the fused retrieval weights on dev, report them on test.

    python bench/retrieval_tune.py [--index DIR]

For every message of ``rag/queries/messages.jsonl`` and ``rag/queries/common_conditions.jsonl``
(dev and test halves of each) and the older consumer set, the retriever's signals are computed
once per candidate record (passage cosine, cosine to MedQuAD's question, BM25, condition named,
question type asked); a grid of weights is scored on the two dev halves together by MRR@10
(hit@1 breaks ties), and the best weights are reported on every set, beside each signal alone
and beside the fused ranking without query parsing (the message searched as it is). Prints one
JSON object; paste the chosen weights into ``RetrievalConfig``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.evaluate import (
    COMMON_CONDITIONS,
    CONSUMER_QUERIES,
    MESSAGES,
    read_queries,
    read_split,
    score_ranking,
)
from rag.index import Index, default_index_dir
from rag.query import Query
from rag.retriever import Retriever

GRID = {
    "question_weight": (0.0, 0.15, 0.3, 0.45, 0.6),
    "bm25_weight": (0.0, 0.05, 0.1, 0.2),
    # past 0.1 and 0.08, so that the chosen weights are not at the grid's edge
    "focus_bonus": (0.0, 0.03, 0.05, 0.1, 0.15, 0.2),
    "qtype_bonus": (0.0, 0.03, 0.05, 0.08, 0.1, 0.12),
}


def signals(retriever: Retriever, rows: list[dict], parse: bool = True) -> list[dict]:
    queries = [
        retriever.parser.parse(r["question"], r.get("history"))
        if parse
        else Query(texts=[" ".join([*r.get("history", []), r["question"]])])
        for r in rows
    ]
    texts = [t for q in queries for t in q.texts]
    vectors = retriever.embed(texts)
    n = retriever.config.candidates
    dense = retriever.index.faiss.search(vectors, n)[1]
    questions = retriever.index.question_faiss.search(vectors, n)[1]
    bm25 = retriever.index.bm25.search(texts, n)
    out, start = [], 0
    for q in queries:
        rows_ = range(start, start + len(q.texts))
        start += len(q.texts)
        out.append(retriever.components(q, rows_, vectors, dense, questions, bm25))
    return out


def metrics(retriever, rows, comps, w: dict) -> dict:
    totals: dict[str, float] = {}
    for row, c in zip(rows, comps, strict=True):
        score = (
            c["passage_cos"]
            + w.get("question_weight", 0) * c["question_cos"]
            + w.get("bm25_weight", 0) * c["bm25"]
            + w.get("focus_bonus", 0) * c["focus"]
            + w.get("qtype_bonus", 0) * c["qtype"]
            + w.get("only_questions", 0) * (c["question_cos"] - c["passage_cos"])
            - w.get("only_bm25", 0) * (c["passage_cos"] - c["bm25"])
        )
        ranked = [retriever.record_id(int(c["record"][i])) for i in np.argsort(-score)[:10]]
        for key, value in score_ranking(ranked, set(row["relevant"])).items():
            totals[key] = totals.get(key, 0.0) + value
    return {
        k: round(v / len(rows), 4) for k, v in totals.items() if k in ("hit@1", "hit@5", "mrr@10")
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir())
    args = p.parse_args()
    retriever = Retriever(Index.open(args.index))
    sets = {
        "dev": read_split(MESSAGES, "dev"),
        "test": read_split(MESSAGES, "test"),
        "common_dev": read_split(COMMON_CONDITIONS, "dev"),
        "common_test": read_split(COMMON_CONDITIONS, "test"),
        "consumer": read_queries(CONSUMER_QUERIES),
    }
    comps = {name: signals(retriever, rows) for name, rows in sets.items()}
    unparsed = {name: signals(retriever, rows, parse=False) for name, rows in sets.items()}
    chosen_on = "dev, both sets"
    for per_set in (sets, comps, unparsed):
        per_set[chosen_on] = per_set["dev"] + per_set["common_dev"]
    grid = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    scored = [(metrics(retriever, sets[chosen_on], comps[chosen_on], w), w) for w in grid]
    best_dev, best = max(scored, key=lambda s: (s[0]["mrr@10"], s[0]["hit@1"]))
    result = {"chosen_on_dev": best, "sets": {}}
    for name, rows in sets.items():
        result["sets"][name] = {
            "queries": len(rows),
            "fused (chosen)": metrics(retriever, rows, comps[name], best),
            "fused, message as typed": metrics(retriever, rows, unparsed[name], best),
            "dense": metrics(retriever, rows, comps[name], {}),
            "questions": metrics(retriever, rows, comps[name], {"only_questions": 1}),
            "bm25": metrics(retriever, rows, comps[name], {"only_bm25": 1}),
        }
    assert result["sets"][chosen_on]["fused (chosen)"] == best_dev
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
