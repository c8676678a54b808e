"""Supervised examples from an index: the app's exact prompts, with what the real retriever returns.

``python -m training.data --help``. Each example is one MedQuAD record's question (or, with
``--augment``, that question as people ask it), the passages the retriever returns for it (so
the answering passage may sit at any rank, or be missing), and the answer in three formats:

* grounded (default): the app's grounded prompt (``rag.prompt``) -> the numbers of the leading
  offered units of the answering passage (``[2.1] [2.2]``), or ``[none]`` when no passage answers
  (about ``--no-answer-fraction`` of examples have the answering passages removed on purpose);
* free: the app's free prompt -> those units as sentences, each citing [n];
* plain: question -> the reference answer.

Splits are by focus (no disease in two splits), reproducible from the seed; the foci of every
evaluation query set are held out of training as well, so no benchmark question is trained on.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from rag.cli import add_config_args, config_from_args
from rag.index import Index, IndexLoadError, default_index_dir
from rag.passage import Passage
from rag.prompt import (
    NO_ANSWER,
    SYSTEM_PROMPT,
    Candidate,
    SelectionConfig,
    build_grounded_messages,
    build_messages,
    grounded_target,
    select_candidates,
)
from rag.retriever import Retriever

SPLITS = ("train", "val", "test")
FORMATS = ("grounded", "free", "plain")
QUERY_DIR = Path(__file__).resolve().parent.parent / "rag" / "queries"


@dataclass
class DataConfig:
    index: Path = field(default_factory=default_index_dir)  # index the examples retrieve from
    out: Path = field(default_factory=lambda: Path("runs/data"))  # where the split files go
    seed: int = 0  # shuffles foci, augmentations and no-answer examples
    val_fraction: float = 0.01  # share of foci held out for validation
    test_fraction: float = 0.01  # share of foci held out for testing
    # JSONL query files (comma-separated) whose relevant records' foci never reach training
    hold_out: str = f"{QUERY_DIR / 'messages.jsonl'},{QUERY_DIR / 'consumer.jsonl'}"
    k: int = 5  # passages per prompt, as in the app
    # examples whose answering passages are removed on purpose; retrieval misses already leave
    # about 11% of MedQuAD questions without an answering passage
    no_answer_fraction: float = 0.0
    max_units: int = 3  # units in a grounded target
    max_words: int = 70  # a target stops adding units past this many words
    augment: bool = False  # also ask each training question as people do (see augment.py)
    limit: int = 0  # use only the first N records (0 = all), for quick runs


@dataclass(frozen=True)
class RecordInfo:
    """A record as the index knows it: enough to ask its question and score the answer."""

    id: str
    question: str
    qtype: str
    focus: str
    answer: str
    synonyms: tuple[str, ...]


def index_records(index: Index) -> list[RecordInfo]:
    """Records rebuilt from the index's passages (answers in passage order)."""
    parts: dict[str, list[Passage]] = defaultdict(list)
    for p in index.passages:
        parts[p.record_id].append(p)
    out = []
    for rid, ps in parts.items():
        ps.sort(key=lambda p: p.chunk)
        first = ps[0]
        answer = "\n".join(p.text for p in ps)
        out.append(
            RecordInfo(rid, first.question, first.qtype, first.focus, answer, first.synonyms)
        )
    return out


def held_out_foci(paths: str, records: list[RecordInfo]) -> set[str]:
    """Foci of the records that evaluation query files count as relevant."""
    focus = {r.id: r.focus.lower() for r in records}
    foci = set()
    for path in filter(None, paths.split(",")):
        if not Path(path).exists():
            continue
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                foci |= {focus[rid] for rid in json.loads(line)["relevant"] if rid in focus}
    return foci


def split_by_focus(records: list[RecordInfo], cfg: DataConfig, held: set[str]) -> dict:
    """Whole foci to splits; held-out foci never go to train (they join val or test)."""
    foci = sorted({r.focus.lower() for r in records} - held)
    random.Random(cfg.seed).shuffle(foci)
    n_test = max(1, round(len(foci) * cfg.test_fraction))
    n_val = max(1, round(len(foci) * cfg.val_fraction))
    which = {f: "test" for f in foci[:n_test]}
    which |= {f: "val" for f in foci[n_test : n_test + n_val]}
    for i, f in enumerate(sorted(held)):
        which[f] = "val" if i % 2 else "test"
    out: dict[str, list[RecordInfo]] = {s: [] for s in SPLITS}
    for r in records:
        out[which.get(r.focus.lower(), "train")].append(r)
    return out


def answers(record: RecordInfo, passage: Passage) -> bool:
    """Does a passage answer the record's question (its own, or the same focus and type)?"""
    return passage.record_id == record.id or (
        passage.focus.lower() == record.focus.lower() and passage.qtype == record.qtype
    )


def target_units(
    record: RecordInfo, passages: list[Passage], offered: list[Candidate], cfg: DataConfig
) -> list[Candidate]:
    """The leading offered units of the best-ranked answering passage."""
    for i, p in enumerate(passages, 1):
        if not answers(record, p):
            continue
        units = sorted((c for c in offered if c.source == i), key=lambda c: c.unit)
        chosen, words = [], 0
        for c in units[: cfg.max_units]:
            if chosen and words + len(c.text.split()) > cfg.max_words:
                break
            chosen.append(c)
            words += len(c.text.split())
        if chosen:
            return chosen
    return []


def make_example(
    record: RecordInfo,
    question: str,
    hits: list[Passage],
    cfg: DataConfig,
    selection: SelectionConfig,
    no_answer: bool,
    augmentation: str = "",
    asked: str = "",
) -> dict:
    """One example; ``asked`` is what the app's grounded prompt shows for the question
    (``Query.asked``: a long message's question sentences), "" for the question itself."""
    if no_answer:
        hits = [p for p in hits if not answers(record, p)]
    passages = hits[: cfg.k]
    offered = select_candidates(question, passages, selection)
    chosen = target_units(record, passages, offered, cfg)
    return {
        "id": record.id,
        "focus": record.focus,
        "qtype": record.qtype,
        "question": question,
        "asked": asked or question,  # what the grounded prompt shows, as the app shows it
        "augmentation": augmentation,
        "answer": record.answer,
        "passages": [p.to_dict() for p in passages],
        "offered": [[c.source, c.unit] for c in offered],
        "gold_sources": sorted({i for i, p in enumerate(passages, 1) if answers(record, p)}),
        "target": grounded_target(chosen),
        "no_answer": not chosen,
    }


def example_passages(example: dict) -> list[Passage]:
    return [Passage.from_dict(p) for p in example["passages"]]


def example_candidates(example: dict) -> list[Candidate]:
    passages = example_passages(example)
    return [Candidate(s, u, passages[s - 1].units[u - 1]) for s, u in example["offered"]]


def example_turns(example: dict, fmt: str) -> tuple[list[dict], str]:
    """(prompt messages, target answer) of one example in the chosen format."""
    if fmt == "plain":
        return [{"role": "user", "content": example["question"]}], example["answer"]
    passages = example_passages(example)
    if fmt == "grounded":
        # Data written before "asked" existed shows the question as typed.
        shown = example.get("asked") or example["question"]
        messages = build_grounded_messages(shown, passages, example_candidates(example))
        return messages, example["target"]
    if fmt == "free":
        by_label = {c.label: c for c in example_candidates(example)}
        chosen = [by_label[label] for label in re.findall(r"\[\d+\.\d+\]", example["target"])]
        text = " ".join(f"{c.text.replace(chr(10), ' ')} [{c.source}]" for c in chosen)
        return build_messages(example["question"], passages, SYSTEM_PROMPT), text or NO_ANSWER
    raise ValueError(f"unknown format {fmt!r}: one of {FORMATS}")


def build(cfg: DataConfig) -> dict[str, int]:
    """Write train/val/test JSONL files and meta.json into ``cfg.out``."""
    from training.augment import augment_question

    index = Index.open(cfg.index)
    retriever = Retriever(index)
    records = index_records(index)
    if cfg.limit:
        records = records[: cfg.limit]
    held = held_out_foci(cfg.hold_out, records)
    splits = split_by_focus(records, cfg, held)
    split_of = {r.id: name for name, rs in splits.items() for r in rs}
    selection = SelectionConfig()
    cfg.out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in SPLITS:
        rng = random.Random(f"{cfg.seed}-{name}")
        rows = splits[name]
        asked = []
        for r in rows:
            kind, question = ("", r.question)
            if cfg.augment and name == "train" and rng.random() < 0.5:
                kind, question = augment_question(r, rng)
            asked.append((kind, question))
        # Passage retrieval only: MedQuAD's questions are indexed too, and a record found by its
        # own question would teach that the answer always comes first.
        results = (
            retriever.search_many([q for _, q in asked], k=cfg.k + 10, mode="dense") if rows else []
        )
        tmp = cfg.out / f".{name}.jsonl.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for r, (kind, question), hits in tqdm(
                list(zip(rows, asked, results, strict=True)), desc=f"{name} examples", unit="ex"
            ):
                passages = [h.passage for h in hits]
                if name == "train":  # no held-out passage reaches training, not even as context
                    passages = [p for p in passages if split_of.get(p.record_id) == "train"]
                no_answer = rng.random() < cfg.no_answer_fraction
                shown = retriever.parser.parse(question).asked
                ex = make_example(r, question, passages, cfg, selection, no_answer, kind, shown)
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        tmp.replace(cfg.out / f"{name}.jsonl")
        counts[name] = len(rows)
    meta = {
        "seed": cfg.seed,
        "counts": counts,
        "foci": {k: len({r.focus.lower() for r in v}) for k, v in splits.items()},
        "held_out_foci": len(held),
        "augment": cfg.augment,
        "index": str(cfg.index),
    }
    (cfg.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return counts


def read_split(folder: Path, name: str) -> list[dict]:
    path = Path(folder) / f"{name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(
            f"no {name} split at {path}: run python -m training.data --out {folder}"
        )
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.data", description=__doc__.split("\n")[0])
    add_config_args(p, DataConfig)
    cfg = config_from_args(DataConfig, p.parse_args(argv))
    try:
        counts = build(cfg)
    except (IndexLoadError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {cfg.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
