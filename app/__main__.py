"""Start the MedGround chat: ``python -m app --help``.

With no index yet, one is built first (from ``--source``, the local MedQuAD copy, or the
upstream download), so installing and running are all a new user needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from app.model import ModelConfig
from app.pipeline import PipelineConfig
from app.remote import RemoteConfig
from rag.cli import add_config_args, config_from_args
from rag.index import default_index_dir


@dataclass
class ServeConfig:
    """Index and serving."""

    index: Path = field(default_factory=default_index_dir)  # index folder
    # MedQuAD folder, zip or URL to build the index from when it is missing (default:
    # ../shared/datasets/MedQuAD if present, else the upstream download)
    source: str | None = None
    host: str = "127.0.0.1"  # address to serve on (0.0.0.0: the whole network)
    port: int = 7860  # port
    share: bool = False  # also create a public Gradio share link (needs internet)
    auth: str | None = None  # require a login, given as user:password
    feedback: str = "feedback/feedback.jsonl"  # where 👍/👎 are saved on this computer; "off"


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(
        prog="python -m app",
        description="MedGround: grounded answers to health questions from NIH sources, "
        "with a local GGUF model on the CPU.",
    )
    add_config_args(p, ServeConfig)
    add_config_args(p, ModelConfig, title="Model (llama.cpp)")
    add_config_args(p, RemoteConfig, title="Model on a server (instead of llama.cpp here)")
    add_config_args(p, PipelineConfig, title="Answers")
    args = p.parse_args(argv)
    return (
        config_from_args(ServeConfig, args),
        config_from_args(ModelConfig, args),
        config_from_args(RemoteConfig, args),
        config_from_args(PipelineConfig, args),
    )


def main(argv: list[str] | None = None) -> int:
    serve, model_cfg, remote_cfg, pipeline_cfg = parse_args(argv)
    auth = None
    if serve.auth:
        user, sep, password = serve.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth must be user:password", file=sys.stderr)
            return 2
        auth = (user, password)

    from app.chat_format import ChatFormatError
    from app.first_start import FullBuild, open_or_build
    from app.model import LocalModel, ModelError
    from app.pipeline import Pipeline
    from app.remote import RemoteModel
    from app.ui import build_ui, launch_kwargs
    from rag.index import IndexLoadError, IndexWriteError
    from rag.medquad import MedQuADError
    from rag.retriever import Retriever

    try:
        index = open_or_build(serve.index, serve.source)
        retriever = Retriever(index)
        if remote_cfg.llm_url:
            model = RemoteModel(remote_cfg, model_cfg.max_tokens, model_cfg.temperature)
            if model.probe_grammar() is None and pipeline_cfg.answer_mode == "grounded":
                print(
                    f"note: the server at {remote_cfg.llm_url} does not constrain output with a "
                    "grammar, so answers are written freely and checked sentence by sentence "
                    "(--answer-mode free)",
                    flush=True,
                )
                pipeline_cfg.answer_mode = "free"
        else:
            model = LocalModel(model_cfg, wait_for_merge=False)
        pipeline = Pipeline(retriever, model, pipeline_cfg)
    except (
        IndexLoadError,
        IndexWriteError,
        MedQuADError,
        ModelError,
        ChatFormatError,
        ValueError,
        OSError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the index was not finished (nothing was replaced)", file=sys.stderr)
        return 130
    print(
        f"Model: {model.name} ({model.path}{', adapter ' + str(model.adapter) if model.adapter else ''}),"
        f" chat format {model.formatter.name}; answer mode {pipeline_cfg.answer_mode}",
        flush=True,
    )
    status = None
    if index.quick:
        # Answer now from the quick index; the full one is swapped in when it is whole.
        full = FullBuild(serve.index, serve.source, pipeline.use_index)
        full.start()
        status = full.status
    feedback = None if serve.feedback == "off" else Path(serve.feedback)
    demo = build_ui(pipeline, feedback, status)
    try:
        demo.launch(
            server_name=serve.host,
            server_port=serve.port,
            share=serve.share,
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
