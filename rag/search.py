"""Ask the index a question from the shell: ``python -m rag.search "question" --help``."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from rag.index import Index, IndexLoadError, default_index_dir
from rag.retriever import MODES, Retriever


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m rag.search", description="Search MedGround's index of NIH answers."
    )
    p.add_argument("question", help="the question, in your own words")
    p.add_argument(
        "--index",
        type=Path,
        default=default_index_dir(),
        help="index folder (default: index/medquad)",
    )
    p.add_argument("--k", type=int, default=5, help="number of records to return (default: 5)")
    p.add_argument("--mode", choices=MODES, default=None, help="retrieval mode (default: dense)")
    p.add_argument("--json", action="store_true", help="print the hits as JSON")
    args = p.parse_args(argv)
    if not args.question.strip():
        print("error: the question is empty", file=sys.stderr)
        return 2
    try:
        hits = Retriever(Index.open(args.index)).search(args.question, k=args.k, mode=args.mode)
    except IndexLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return 0
    for rank, h in enumerate(hits, 1):
        p = h.passage
        print(f"[{rank}] {p.title}  (cosine {h.cosine:.2f}, {p.source})")
        print(f"    {p.url}")
        print(textwrap.indent(textwrap.fill(textwrap.shorten(p.text, 400), 96), "    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
