"""Time to first token of two pipeline settings, measured turn about in one process.

    python bench/ttft_ab.py --b '{"prompt_question": "asked"}' [--a '{}'] [--split dev]

This machine's speed drifts by a fifth within an hour, so two settings timed in two runs of
``bench/answers.py`` can differ by more than the change under test. Here both pipelines share
one model and one index and answer each question in turn (A then B, then B then A for the next
question), so drift falls on both alike. Reports, per setting, the grounded first-unit time
(p50, p90), the prompt's length in tokens (p50: what the first unit waits for) and the share
of questions whose prompt it changed. Quality is not measured here: ``bench/answers.py`` does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm import tqdm

from app.model import LocalModel, ModelConfig
from app.pipeline import Pipeline, PipelineConfig
from bench.common import report
from rag.evaluate import MESSAGES, read_split
from rag.index import Index, default_index_dir
from rag.prompt import build_grounded_messages
from rag.retriever import Retriever


def config(overrides: dict) -> PipelineConfig:
    cfg = PipelineConfig()
    for name, value in overrides.items():
        if isinstance(value, dict):
            value = dataclasses.replace(getattr(cfg, name), **value)
        cfg = dataclasses.replace(cfg, **{name: value})
    return cfg


def prompt_tokens(pipeline: Pipeline, question: str, history: list[str]) -> int:
    hits = pipeline.retriever.search(question, k=pipeline.cfg.k, history=history)
    passages = [h.passage for h in hits]
    candidates = pipeline.grounded_candidates(question, hits)
    shown = pipeline._prompt_question(question, history)
    messages = build_grounded_messages(shown, passages, candidates)
    return pipeline.model.count_tokens(pipeline.model.render(messages).prompt)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--a", default="{}", help="JSON of PipelineConfig fields for setting A")
    p.add_argument("--b", required=True, help="JSON of PipelineConfig fields for setting B")
    p.add_argument("--split", choices=["dev", "test"], default="dev")
    p.add_argument("--model", default="medground")
    p.add_argument("--limit", type=int, default=0, help="questions to use (0 = all)")
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)

    retriever = Retriever(Index.open(args.index))
    model = LocalModel(ModelConfig(model=args.model))
    settings = {"A": json.loads(args.a), "B": json.loads(args.b)}
    pipelines = {k: Pipeline(retriever, model, config(v)) for k, v in settings.items()}
    rows = read_split(MESSAGES, args.split)[: args.limit or None]
    pipelines["A"].ask("warm up: what is asthma?")
    ttft: dict[str, list[float]] = {"A": [], "B": []}
    tokens: dict[str, list[int]] = {"A": [], "B": []}
    for i, row in enumerate(tqdm(rows, desc="A/B")):
        history = row.get("history", [])
        for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
            ans = pipelines[name].ask(row["question"], history, mode="grounded")
            if "ttft_ms" in ans.timings:
                ttft[name].append(ans.timings["ttft_ms"])
            tokens[name].append(prompt_tokens(pipelines[name], row["question"], history))
    changed = sum(a != b for a, b in zip(tokens["A"], tokens["B"], strict=True))
    result = {
        "split": args.split,
        "questions": len(rows),
        "model": model.name,
        "settings": settings,
        "ttft_ms": {k: percentiles(v) for k, v in ttft.items()},
        "prompt_tokens_p50": {k: statistics.median(v) for k, v in tokens.items()},
        "prompts_changed": round(changed / max(len(rows), 1), 3),
    }
    report(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
