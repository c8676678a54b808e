"""Answer benchmark: every answer mode and model through the real pipeline, scored independently.

    python bench/answers.py --split dev|test [--models smollm2,medground] [--modes ...]

Questions are people's own messages with known relevant MedQuAD records
(``rag/queries/messages.jsonl``, split into dev and test halves by focus); the full index, the
real retriever and real llama.cpp answer them. Per model and answer mode it reports (metrics in
``bench/answer_metrics.py``, independent of the app's support check):

* faithfulness, citation precision and on-focus share of answer sentences;
* relevance: ROUGE-L and token F1 against the NIH reference answers, and gold record cited;
* abstention on unanswerable cases (retrieve for one question, then ask another question type
  about the same disease, with every passage that would answer it removed), and how often a
  normal question is wrongly left unanswered;
* fallback rate (free mode), time to first token, total time, tokens/s.

The no-model baseline (extract) is always in the table. Prints one JSON object; ``--out``
also writes per-answer rows (JSONL) and ``--doc`` a Markdown page with questions side by side.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm.auto import tqdm

from app.model import LocalModel, ModelConfig, ModelError
from app.pipeline import Pipeline, PipelineConfig
from bench.answer_metrics import score_answer
from bench.common import percentiles
from rag.evaluate import read_split
from rag.index import Index, default_index_dir
from rag.retriever import RetrievalConfig, Retriever
from training.augment import PHRASINGS

MESSAGES = Path(__file__).resolve().parent.parent / "rag" / "queries" / "messages.jsonl"
METRICS = ("faithfulness", "citation_precision", "on_focus", "rougeL", "token_f1", "gold_cited")


def unanswerable(rows: list[dict], index: Index, retriever: Retriever, k: int, n: int, seed: int):
    """Questions whose answer is not in the given passages: for a question about focus F, ask
    another question type about F and remove every passage of F with that type."""
    types: dict[str, set[str]] = {}
    for p in index.passages:
        types.setdefault(p.focus.lower(), set()).add(p.qtype)
    rng = random.Random(seed)
    cases = []
    for row in rows:
        if "history" in row:
            continue
        focus = (row.get("focus") or [""])[0]
        asked = set(row.get("qtype") or [])
        other = sorted((types.get(focus.lower(), set()) - asked - {"information"}) & set(PHRASINGS))
        if not focus or not other:
            continue
        qtype = rng.choice(other)
        question = rng.choice(PHRASINGS[qtype]).format(f=focus.lower())
        hits = [
            h
            for h in retriever.search(row["question"], k=k + 10)
            if not (h.passage.focus.lower() == focus.lower() and h.passage.qtype == qtype)
        ][:k]
        cases.append({"question": question, "hits": hits, "focus": focus, "qtype": qtype})
    rng.shuffle(cases)
    return cases[:n]


def references(index: Index, relevant: list[str]) -> list[str]:
    by_record: dict[str, list] = {}
    for p in index.passages:
        if p.record_id in relevant:
            by_record.setdefault(p.record_id, []).append(p)
    return [
        "\n".join(p.text for p in sorted(ps, key=lambda p: p.chunk)) for ps in by_record.values()
    ]


def run(pipeline: Pipeline, mode: str, rows: list[dict], cases: list[dict], index: Index):
    """(summary, per-answer rows) of one model and mode."""
    focus_of = {p.record_id: p.focus.lower() for p in index.passages}
    scored, out = [], []
    for row in tqdm(rows, desc=mode, leave=False):
        ans = pipeline.ask(row["question"], row.get("history", []), mode=mode)
        d = ans.to_dict()
        relevant = set(row["relevant"])
        m = score_answer(
            d["answer"],
            d["sources"],
            relevant,
            {focus_of[r] for r in relevant if r in focus_of},
            references(index, row["relevant"]),
        )
        m["not_answered"] = float(ans.not_answered)
        scored.append((m, ans))
        out.append({"question": row["question"], "mode": mode, **d, "metrics": m})
    abstained = []
    for case in tqdm(cases, desc=f"{mode} (unanswerable)", leave=False):
        ans = pipeline.ask(case["question"], mode=mode, hits=case["hits"])
        abstained.append(float(ans.not_answered))
        out.append(
            {"question": case["question"], "mode": mode, "unanswerable": True, **ans.to_dict()}
        )
    answered = [(m, a) for m, a in scored if not a.not_answered]
    summary: dict = {"questions": len(rows), "answered": len(answered)}
    for key in METRICS:
        # Faithfulness and citations are judged on answers given; relevance counts every question
        # (an unanswered question scores 0).
        pool = answered if key in ("faithfulness", "citation_precision", "on_focus") else scored
        values = [m[key] for m, _ in pool if m[key] is not None]
        summary[key] = round(statistics.fmean(values), 4) if values else None
    summary["wrongly_unanswered"] = round(statistics.fmean(m["not_answered"] for m, _ in scored), 4)
    # answers that say they do not mention something asked about ("coffee"; app.mentions)
    summary["noted"] = (
        round(statistics.fmean(bool(a.note) for _, a in answered), 4) if answered else None
    )
    summary["abstention"] = round(statistics.fmean(abstained), 4) if abstained else None
    summary["unanswerable_cases"] = len(abstained)
    summary["fallback_rate"] = round(
        statistics.fmean(bool(a.timings.get("fallback")) for _, a in scored), 4
    )
    summary["ttft_ms"] = percentiles(
        [a.timings["ttft_ms"] for _, a in scored if "ttft_ms" in a.timings]
    )
    summary["total_ms"] = percentiles([a.timings["total_ms"] for _, a in scored])
    speeds = [a.timings["tokens_per_s"] for _, a in scored if a.timings.get("tokens_per_s")]
    summary["tokens_per_s"] = round(statistics.median(speeds), 1) if speeds else None
    return summary, out


def write_doc(
    path: Path, rows: list[dict], results: list[dict], split: str, count: int = 10
) -> None:
    """Markdown: the first ``count`` questions, every mode's answer side by side."""
    questions = [r["question"] for r in rows[:count]]
    lines = [
        "# MedGround answers side by side",
        "",
        f"The first {count} {split} questions of `rag/queries/messages.jsonl`, answered by every "
        "model and mode (`python bench/answers.py --split test --doc docs/answers.md`). "
        "Citations [n] refer to the sources listed under each answer.",
        "",
    ]
    by_q: dict[str, list[dict]] = {}
    for r in results:
        if not r.get("unanswerable"):
            by_q.setdefault(r["question"], []).append(r)
    for i, q in enumerate(questions, 1):
        lines += [f"## {i}. {q}", ""]
        for r in by_q.get(q, []):
            m = r["metrics"]
            faithful = "-" if m["faithfulness"] is None else f"{m['faithfulness']:.2f}"
            lines += [
                f"**{r['label']}** (ROUGE-L {m['rougeL']:.2f}, faithful {faithful})",
                "",
                r["answer"].strip(),
                "",
            ]
            cited = [s for s in r["sources"] if s["number"] in r["citations"]]
            lines += [f"- [{s['number']}] {s['title']} — {s['url']}" for s in cited] + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=["dev", "test"], default="dev")
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--queries", type=Path, default=MESSAGES)
    p.add_argument("--models", default="smollm2,medground", help="comma-separated --model values")
    p.add_argument("--modes", default="grounded,free", help="model answer modes to run")
    p.add_argument("--limit", type=int, default=0, help="questions to use (0 = all)")
    p.add_argument("--unanswerable", type=int, default=40, help="unanswerable cases")
    p.add_argument(
        "--merge",
        default="q8_0",
        help="comma-separated --merge values to run each adapter model with (none, q4_0...)",
    )
    p.add_argument(
        "--config",
        help="PipelineConfig fields to override: JSON, or a JSON file "
        """('{"selection": {"off_focus_penalty": 0}}')""",
    )
    p.add_argument(
        "--retrieval",
        help="""RetrievalConfig fields to override, JSON ('{"lead_margin": 0.05}')""",
    )
    p.add_argument("--out", type=Path, help="write per-answer rows (JSONL) here")
    p.add_argument("--doc", type=Path, help="write a side-by-side Markdown page here")
    args = p.parse_args()

    index = Index.open(args.index)
    retrieval = RetrievalConfig(**json.loads(args.retrieval)) if args.retrieval else None
    retriever = Retriever(index, config=retrieval)
    rows = read_split(args.queries, args.split)
    if args.limit:
        rows = rows[: args.limit]
    overrides = {}
    if args.config:
        text = args.config.strip()
        overrides = json.loads(text if text.startswith("{") else Path(text).read_text())
    cfg = PipelineConfig(**{k: v for k, v in overrides.items() if not isinstance(v, dict)})
    for name, values in overrides.items():
        if isinstance(values, dict):
            setattr(cfg, name, type(getattr(cfg, name))(**values))
    cases = unanswerable(rows, index, retriever, cfg.k, args.unanswerable, seed=0)
    result: dict = {"split": args.split, "questions": len(rows), "runs": []}
    everything: list[dict] = []

    def record(label: str, pipeline: Pipeline, mode: str) -> None:
        start = time.perf_counter()
        summary, out = run(pipeline, mode, rows, cases, index)
        summary["seconds"] = round(time.perf_counter() - start, 1)
        result["runs"].append({"model": label.split(" ")[0], "mode": mode, **summary})
        for row in out:
            row["label"] = label
        everything.extend(out)
        print(json.dumps(result["runs"][-1]), file=sys.stderr, flush=True)

    record("no model (extract)", Pipeline(retriever, None, _with_mode(cfg, "extract")), "extract")
    merges = args.merge.split(",")
    for name, merge in itertools.product(filter(None, args.models.split(",")), merges):
        try:
            model = LocalModel(ModelConfig(model=name, merge=merge))
        except ModelError as exc:
            print(f"skipping model {name}: {exc}", file=sys.stderr)
            continue
        if model.adapter is None and merge != merges[0]:
            model.llm.close()
            continue  # nothing to merge: one run is enough
        label = f"{name}[{merge}]" if model.adapter is not None and len(merges) > 1 else name
        pipeline = Pipeline(retriever, model, cfg)
        pipeline.ask("warm up: what is asthma?")
        for mode in filter(None, args.modes.split(",")):
            record(f"{label} ({mode})", pipeline, mode)
        model.llm.close()
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            for row in everything:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.doc:
        write_doc(args.doc, rows, everything, args.split)


def _with_mode(cfg: PipelineConfig, mode: str) -> PipelineConfig:
    import dataclasses

    return dataclasses.replace(cfg, answer_mode=mode)


if __name__ == "__main__":
    main()
