"""Medicine questions: does the app say when its sources do not speak of the medicine asked about?

    python bench/medicines.py [--split dev|test] [--models medground] [--out FILE]

MedQuAD's answers carry no drug pages, so a question about a medicine is mostly answered from a
page about the condition it treats, or about something else. Each message
(``bench/data/medicine_questions_{dev,test}.jsonl``: people's questions about a medicine, written
by helpers who saw neither the app nor each other's sets; dev was read while building the
medicine check, test was not) goes through the real pipeline, and what the app did is counted:

* ``stopped``: the safety check answered instead (its outcome is counted too);
* ``not_answered``: "I could not find this in my sources" (or "the sources I found do not
  answer this");
* ``noted``: answered, with the note that the answer does not mention the medicine;
* ``names_it``: answered, and the answer names the medicine (by any of its listed names);
* ``silent``: answered without naming the medicine and without saying so: the failure.

The no-model baseline (extract mode) is always counted beside each model. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm.auto import tqdm

from app.mentions import asked_terms, respelled
from app.model import LocalModel, ModelConfig
from app.pipeline import Pipeline, PipelineConfig
from rag.index import Index, default_index_dir
from rag.retriever import Retriever

DATA = Path(__file__).resolve().parent / "data"
OUTCOMES = ("stopped", "not_answered", "noted", "names_it", "silent")


def read_messages(split: str) -> list[dict]:
    path = DATA / f"medicine_questions_{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def names_of(medicine: str) -> set[str]:
    """The medicine as written and every name of the listed thing it is (brand and generic)."""
    written = respelled(medicine)
    names = {medicine.lower(), written}
    for term in asked_terms():
        if term.asked.search(written):
            names.update(term.names)
    return names


def outcome(ans, medicine: str) -> str:
    if ans.safety != "ok":
        return "stopped"
    if ans.not_answered:
        return "not_answered"
    if "does not mention" in (ans.note or ""):
        return "noted"
    answer = ans.answer.lower()
    return "names_it" if any(n in answer for n in names_of(medicine)) else "silent"


def run(pipeline: Pipeline, rows: list[dict], desc: str) -> dict:
    counts: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    silent = []
    for row in tqdm(rows, desc=desc):
        ans = pipeline.ask(row["message"])
        kind = outcome(ans, row["medicine"])
        counts[kind] += 1
        if kind == "stopped":
            stopped[ans.safety] += 1
        if kind == "silent":
            silent.append(row["message"])
    answered = sum(counts[k] for k in ("noted", "names_it", "silent"))
    return {
        "messages": len(rows),
        **{k: counts[k] for k in OUTCOMES},
        "stopped_by": dict(stopped),
        "silent_share_of_answered": round(counts["silent"] / max(answered, 1), 3),
        "silent_messages": silent,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=("dev", "test"), default="test")
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--models", default="medground", help="comma-separated; '' for the baseline")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args()

    rows = read_messages(args.split)
    retriever = Retriever(Index.open(args.index))
    result: dict = {"split": args.split, "results": {}}
    baseline = Pipeline(retriever, None, PipelineConfig(answer_mode="extract"))
    result["results"]["extract (no model)"] = run(baseline, rows, "extract")
    for name in filter(None, args.models.split(",")):
        pipeline = Pipeline(retriever, LocalModel(ModelConfig(model=name)))
        result["results"][f"{name} (grounded)"] = run(pipeline, rows, name)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
