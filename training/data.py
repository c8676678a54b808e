"""Supervised examples from MedQuAD: focus-disjoint splits in two formats, saved as JSONL.

``python -m training.data --help``. Each example holds the record, its gold passage, shuffled
distractor passages, and the answer in both formats:

* plain: question -> the reference answer;
* grounded: the app's own prompt (``rag.prompt``: system + numbered passages + question) -> the
  gold passage's sentences, each citing the gold number [n].

Splits are by focus (no disease in two splits), reproducible from the seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from rag.chunking import Passage, chunk_records, split_sentences
from rag.embedder import DEFAULT_EMBEDDER, load_embedder
from rag.medquad import MedQuADError, Record, load_records
from rag.prompt import SYSTEM_PROMPT, Source, build_messages

SPLITS = ("train", "val", "test")


@dataclass
class DataConfig:
    source: str | None = None  # MedQuAD folder, zip or URL (default: local copy, else upstream)
    out: Path = field(default_factory=lambda: Path("runs/data"))  # where the split files go
    seed: int = 0  # shuffles foci, distractors and passage order
    val_fraction: float = 0.01  # share of foci held out for validation
    test_fraction: float = 0.01  # share of foci held out for testing
    passages: int = 5  # passages in a grounded prompt, gold included
    passage_tokens: int = 128  # passage size in embedder tokens, as in the app's index
    limit: int = 0  # use only the first N records (0 = all), for quick runs


def split_by_focus(records: list[Record], cfg: DataConfig) -> dict[str, list[Record]]:
    """Assign whole foci to splits so that no disease appears in two of them."""
    foci = sorted({r.focus.lower() for r in records})
    random.Random(cfg.seed).shuffle(foci)
    n_test = max(1, round(len(foci) * cfg.test_fraction))
    n_val = max(1, round(len(foci) * cfg.val_fraction))
    which = {f: "test" for f in foci[:n_test]}
    which |= {f: "val" for f in foci[n_test : n_test + n_val]}
    out: dict[str, list[Record]] = {s: [] for s in SPLITS}
    for r in records:
        out[which.get(r.focus.lower(), "train")].append(r)
    return out


def cite(text: str, number: int) -> str:
    """Every sentence of the gold passage, citing it."""
    return " ".join(f"{s.rstrip()} [{number}]" for s in split_sentences(text))


def make_example(
    record: Record,
    gold: Passage,
    pool: list[Passage],
    rng: random.Random,
    n_passages: int,
    fallback: list[Passage] = (),
) -> dict:
    """Gold passage among distractors from other records of the same split (topped up from
    ``fallback`` when the split is too small), shuffled."""
    others = [p for p in pool if p.record_id != record.id]
    distractors = rng.sample(others, min(n_passages - 1, len(others)))
    if len(distractors) < n_passages - 1 and fallback:
        distractors += rng.sample(
            list(fallback), min(n_passages - 1 - len(distractors), len(fallback))
        )
    chosen = [gold, *distractors]
    rng.shuffle(chosen)
    number = chosen.index(gold) + 1
    sources = [Source(p.title, p.text) for p in chosen]
    return {
        "id": record.id,
        "focus": record.focus,
        "qtype": record.qtype,
        "question": record.question,
        "answer": record.answer,
        "sources": [
            {"title": s.title, "text": s.text, "record_id": p.record_id}
            for s, p in zip(sources, chosen, strict=True)
        ],
        "gold": number,
        "grounded_answer": cite(gold.text, number),
    }


def with_fewer_sources(example: dict, keep: int) -> dict:
    """The example with the gold passage and only ``keep - 1`` distractors, renumbered."""
    gold = example["sources"][example["gold"] - 1]
    distractors = [s for i, s in enumerate(example["sources"], 1) if i != example["gold"]]
    sources = [gold, *distractors[: max(0, keep - 1)]]
    # Keep the gold at its original position when it still exists, else last.
    position = min(example["gold"], len(sources))
    sources.insert(position - 1, sources.pop(0))
    return {
        **example,
        "sources": sources,
        "gold": position,
        "grounded_answer": cite(gold["text"], position),
    }


def plain_messages(example: dict) -> list[dict]:
    return [{"role": "user", "content": example["question"]}]


def grounded_messages(example: dict) -> list[dict]:
    sources = [Source(s["title"], s["text"]) for s in example["sources"]]
    return build_messages(example["question"], sources, SYSTEM_PROMPT)


def example_turns(example: dict, fmt: str) -> tuple[list[dict], str]:
    """(prompt messages, target answer) of one example in the chosen format."""
    if fmt == "plain":
        return plain_messages(example), example["answer"]
    if fmt == "grounded":
        return grounded_messages(example), example["grounded_answer"]
    raise ValueError(f"unknown format {fmt!r}: plain or grounded")


def prompt_variants(example: dict, fmt: str):
    """(messages, answer) with every passage first, then with ever fewer distractors, so a
    caller can take the first that fits its context; plain examples have one variant."""
    if fmt != "grounded":
        yield example_turns(example, fmt)
        return
    for keep in range(len(example["sources"]), 0, -1):
        yield example_turns(with_fewer_sources(example, keep), fmt)


def build(cfg: DataConfig, records: list[Record] | None = None) -> dict[str, int]:
    """Write the splits; ``records`` defaults to MedQuAD loaded from ``cfg.source``."""
    if records is None:
        records, _ = load_records(cfg.source)
    if cfg.limit:
        records = records[: cfg.limit]
    tokenizer = load_embedder(DEFAULT_EMBEDDER).tokenizer
    passages = chunk_records(records, tokenizer, cfg.passage_tokens)
    by_record: dict[str, list[Passage]] = {}
    for p in passages:
        by_record.setdefault(p.record_id, []).append(p)
    splits = split_by_focus(records, cfg)
    cfg.out.mkdir(parents=True, exist_ok=True)
    counts = {}
    train_pool = [p for r in splits["train"] for p in by_record[r.id]]
    for name in SPLITS:
        rng = random.Random(f"{cfg.seed}-{name}")
        # Distractors come from the same split; held-out splits may borrow training passages
        # (never the other way round, so no held-out focus reaches training).
        pool = [p for r in splits[name] for p in by_record[r.id]]
        fallback = train_pool if name != "train" else []
        tmp = cfg.out / f".{name}.jsonl.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for r in tqdm(splits[name], desc=f"{name} examples", unit="example", mininterval=1):
                gold = by_record[r.id][0]
                ex = make_example(r, gold, pool, rng, cfg.passages, fallback)
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        tmp.replace(cfg.out / f"{name}.jsonl")
        counts[name] = len(splits[name])
    meta = {
        "seed": cfg.seed,
        "counts": counts,
        "foci": {k: len({r.focus.lower() for r in v}) for k, v in splits.items()},
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
    d = DataConfig()
    p = argparse.ArgumentParser(prog="python -m training.data", description=__doc__.split("\n")[0])
    p.add_argument("--source", default=d.source, help="MedQuAD folder, zip or URL")
    p.add_argument("--out", type=Path, default=d.out, help=f"output folder (default: {d.out})")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction)
    p.add_argument("--test-fraction", type=float, default=d.test_fraction)
    p.add_argument("--passages", type=int, default=d.passages, help="passages per grounded prompt")
    p.add_argument("--limit", type=int, default=d.limit, help="use only N records")
    args = p.parse_args(argv)
    try:
        counts = build(DataConfig(**vars(args)))
    except (MedQuADError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
