"""Start the MedGround chat: ``python -m app --help``.

With no index yet, one is built first (from ``--source``, the local MedQuAD copy, or the
upstream download), so installing and running are all a new user needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from app.model import ModelConfig
from rag.retriever import default_index_dir


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    m = ModelConfig()
    p = argparse.ArgumentParser(
        prog="python -m app",
        description="MedGround: grounded answers to health questions from NIH sources, "
        "with a local GGUF model on the CPU.",
    )
    p.add_argument(
        "--index",
        type=Path,
        default=default_index_dir(),
        help="index folder (default: index/medquad)",
    )
    p.add_argument(
        "--source",
        help="MedQuAD folder, zip or URL to build the index from when it is missing "
        "(default: ../shared/datasets/MedQuAD if present, else the upstream download)",
    )
    p.add_argument(
        "--model",
        default=m.model,
        help="GGUF file, or owner/repo/file.gguf from the Hugging Face hub "
        "(default: the packaged SmolLM2-135M-Instruct Q4_1)",
    )
    p.add_argument(
        "--chat-format",
        choices=["chatml", "gemma", "plain", "template"],
        default=m.chat_format,
        help="override the chat format (default: the GGUF's template, else the architecture's)",
    )
    p.add_argument("--ctx", type=int, default=m.ctx, help=f"context tokens (default: {m.ctx})")
    p.add_argument("--threads", type=int, default=m.threads, help="CPU threads (default: all)")
    p.add_argument(
        "--max-tokens",
        type=int,
        default=m.max_tokens,
        help=f"answer length (default: {m.max_tokens})",
    )
    p.add_argument(
        "--temperature", type=float, default=m.temperature, help=f"default: {m.temperature}"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (0.0.0.0: network)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--share", action="store_true", help="also create a public Gradio share link")
    p.add_argument("--auth", help="require a login, given as user:password")
    p.add_argument(
        "--feedback", type=Path, default=Path("feedback/feedback.jsonl"), help="feedback file"
    )
    return p.parse_args(argv)


def ensure_index(index: Path, source: str | None):
    """Open the index, building it first when it does not exist yet."""
    from rag.build_index import BuildConfig, build
    from rag.index import MANIFEST, IndexLoadError
    from rag.medquad import MedQuADError
    from rag.retriever import Retriever

    if not (index / MANIFEST).exists():
        print(f"No index at {index}: building it now (one time, several minutes)...", flush=True)
        try:
            print(build(BuildConfig(source=source, out=index)).line(), flush=True)
        except MedQuADError as exc:
            raise IndexLoadError(
                f"{exc}\nBuild the index yourself with: python -m rag.build_index "
                f"--source PATH_TO_MedQuAD --out {index}"
            ) from exc
    return Retriever(index)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth must be user:password", file=sys.stderr)
            return 2
        auth = (user, password)

    from app.chat_format import ChatFormatError
    from app.model import LocalModel, ModelError
    from app.pipeline import Pipeline
    from app.ui import build_ui, launch_kwargs
    from rag.index import IndexLoadError

    try:
        retriever = ensure_index(args.index, args.source)
        model = LocalModel(
            ModelConfig(
                model=args.model,
                chat_format=args.chat_format,
                ctx=args.ctx,
                threads=args.threads,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
            )
        )
    except (IndexLoadError, ModelError, ChatFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Model: {model.name} ({model.path}), chat format: {model.formatter.name}", flush=True)
    demo = build_ui(Pipeline(retriever, model), args.feedback)
    try:
        demo.launch(
            server_name=args.host,
            server_port=args.port,
            share=args.share,
            auth=auth,
            footer_links=["api"],
            **launch_kwargs(),
        )
    except Exception as exc:  # share-link and port errors come as many exception types
        print(f"error: could not start the server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
