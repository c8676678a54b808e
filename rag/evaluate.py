"""Retrieval quality: ``python -m rag.evaluate --help``.

Query files are JSON lines, one query each, a format other evaluations reuse::

    {"question": "my kid has had diarrhea for weeks, why?", "relevant": ["<record id>", ...]}

A line may carry ``"history"``: the earlier messages of the conversation (for follow-ups).
Without ``--queries`` it evaluates people's messages (``queries/messages.jsonl``, its dev and
test halves), messages about broad conditions (``queries/common_conditions.jsonl``, its dev and
test halves) and the older consumer set (``queries/consumer.jsonl``, and with pooled judgments
``queries/consumer_pooled.jsonl``). Prints JSON with
recall@1/5/10, hit@1/5/10, MRR@10 and nDCG@10 for each retrieval mode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

from rag.index import Index, IndexLoadError, default_index_dir
from rag.retriever import MODES, Retriever

QUERY_DIR = Path(__file__).resolve().parent / "queries"
CONSUMER_QUERIES = QUERY_DIR / "consumer.jsonl"
# The same 100 messages with pooled relevance judgments: every record that any retrieval mode
# ranked in its top 5 was graded (0-2) by a judge who saw neither the mode nor the rank; grade 2
# ("answers what was asked") joins the original labels, which named one record per message and
# missed equivalent records of other NIH sources ("Iron-Deficiency Anemia — symptoms" for "low
# iron anemia symptoms"). Records no mode ranked in its top 5 stay unjudged (counted as misses).
CONSUMER_POOLED = QUERY_DIR / "consumer_pooled.jsonl"
MESSAGES = QUERY_DIR / "messages.jsonl"
# People's messages that name a condition by a broad name ("signs of dementia", "my fever"),
# written and labeled from MedQuAD's answers by a writer who did not run the retriever.
COMMON_CONDITIONS = QUERY_DIR / "common_conditions.jsonl"
CUTOFFS = (1, 5, 10)


def read_queries(path: Path) -> list[dict]:
    queries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not row.get("question") or not row.get("relevant"):
                raise ValueError(f"{path}:{n}: each line needs 'question' and 'relevant'")
            queries.append(row)
    return queries


def split_of(row: dict) -> str:
    """dev or test, by the row's first focus (a stable hash, so one condition stays in one half
    unless a message names several)."""
    focus = (row.get("focus") or [row["relevant"][0]])[0].lower()
    return "dev" if int(hashlib.sha256(focus.encode()).hexdigest(), 16) % 2 == 0 else "test"


def read_split(path: Path, split: str) -> list[dict]:
    """The dev or test half of a query file ("all": every line)."""
    return [q for q in read_queries(path) if split == "all" or split_of(q) == split]


def score_ranking(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in CUTOFFS:
        found = len(relevant.intersection(ranked[:k]))
        out[f"recall@{k}"] = found / len(relevant)
        out[f"hit@{k}"] = float(found > 0)
    rr = next((1 / (i + 1) for i, rid in enumerate(ranked[:10]) if rid in relevant), 0.0)
    out["mrr@10"] = rr
    dcg = sum(1 / math.log2(i + 2) for i, rid in enumerate(ranked[:10]) if rid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    out["ndcg@10"] = dcg / ideal
    return out


def evaluate(retriever: Retriever, queries: list[dict], modes=MODES, batch: int = 256) -> dict:
    results: dict[str, dict] = {"queries": len(queries)}
    for mode in modes:
        start = time.perf_counter()
        totals: dict[str, float] = {}
        for i in range(0, len(queries), batch):
            part = queries[i : i + batch]
            parsed = [retriever.parser.parse(q["question"], q.get("history")) for q in part]
            rankings = retriever.search_queries(parsed, k=10, mode=mode)
            for q, hits in zip(part, rankings, strict=True):
                scores = score_ranking([h.passage.record_id for h in hits], set(q["relevant"]))
                for key, value in scores.items():
                    totals[key] = totals.get(key, 0.0) + value
        metrics = {key: round(value / len(queries), 4) for key, value in totals.items()}
        metrics["seconds"] = round(time.perf_counter() - start, 1)
        results[mode] = metrics
    return results


def plot(results: dict[str, dict], path: Path) -> None:
    """Side-by-side bars of each metric for each mode and query set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10"]
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items(), strict=True):
        modes = [m for m in MODES if m in res]
        width = 0.8 / len(modes)
        for j, mode in enumerate(modes):
            xs = [i + j * width for i in range(len(metrics))]
            ax.bar(xs, [res[mode][m] for m in metrics], width, label=mode)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(metrics))], metrics)
        ax.set_ylim(0, 1)
        ax.set_title(f"{name} ({res['queries']} queries)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rag.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, default=default_index_dir(), help="index folder")
    p.add_argument(
        "--queries",
        type=Path,
        action="append",
        help="JSONL query file (repeatable); default: rag/queries/messages.jsonl and "
        "common_conditions.jsonl (dev and test halves), rag/queries/consumer.jsonl and "
        "consumer_pooled.jsonl",
    )
    p.add_argument(
        "--split", choices=["dev", "test", "all"], default="all", help="half of --queries files"
    )
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--plot", type=Path, help="also write a PNG bar chart here")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    try:
        retriever = Retriever(Index.open(args.index))
        sets: dict[str, list[dict]] = {}
        if args.queries:
            for path in args.queries:
                sets[path.stem] = read_split(path, args.split)
        else:
            sets["messages_dev"] = read_split(MESSAGES, "dev")
            sets["messages_test"] = read_split(MESSAGES, "test")
            sets["common_conditions_dev"] = read_split(COMMON_CONDITIONS, "dev")
            sets["common_conditions_test"] = read_split(COMMON_CONDITIONS, "test")
            sets["consumer"] = read_queries(CONSUMER_QUERIES)
            sets["consumer_pooled"] = read_queries(CONSUMER_POOLED)
    except (IndexLoadError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    known = {p.record_id for p in retriever.passages}
    results = {}
    for name, queries in sets.items():
        missing = sum(1 for q in queries if not known.intersection(q["relevant"]))
        if missing:
            print(
                f"warning: {missing} queries of {name} have no relevant record in this index",
                file=sys.stderr,
            )
        results[name] = evaluate(retriever, queries, args.modes)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
