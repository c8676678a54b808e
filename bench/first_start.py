"""First start, timed: ``python -m app`` with no index, until the first answer arrives.

    python bench/first_start.py [--source PATH] [--timeout 900]

Starts the app on a free port with an empty index folder and an empty model cache, waits for the page, asks one question
through ``/ask``, and prints one JSON object: seconds to the page, seconds to the first answer
(both from launch), and what the answer was made from. The full index then builds in the
background; the benchmark stops the app once it has its answer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, app_command, free_port, wait_for_page


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", help="MedQuAD folder (default: the app's default)")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--question", default="What are the symptoms of shingles?")
    args = p.parse_args()
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cmd = app_command(f"{tmp}/index", port)
        if args.source:
            cmd += ["--source", args.source]
        start = time.perf_counter()
        with open(Path(tmp) / "app.log", "w") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                # An empty cache too: the first start also merges the adapter (app.merge).
                env={
                    **os.environ,
                    "GRADIO_ANALYTICS_ENABLED": "False",
                    "MEDGROUND_CACHE": f"{tmp}/cache",
                },
            )
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for_page(url, proc, args.timeout, Path(tmp) / "app.log")
            page = time.perf_counter() - start
            res = Client(url, verbose=False).predict(args.question, [], "", api_name="/ask")
            answered = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        json.dumps(
            {
                "seconds_to_page": round(page, 1),
                "seconds_to_first_answer": round(answered, 1),
                "question": args.question,
                "answer_mode": res["mode"],
                "cited": [s["title"] for s in res["sources"] if s["number"] in res["citations"]],
                "error": res["error"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
