"""First start, timed: ``python -m app`` with no index, until the first answer arrives.

    python bench/first_start.py [--source PATH] [--timeout 900] [--full-index]

Starts the app on a free port with an empty index folder and an empty model cache, waits for the page, asks one question
through ``/ask``, and prints one JSON object: seconds to the page, seconds to the first answer
(both from launch), and what the answer was made from. The full index then builds in the
background; the benchmark stops the app once it has its answer, or, with ``--full-index``, once
the app says it answers from the full index (its seconds from launch are reported too).
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


def wait_for_full_index(
    proc: subprocess.Popen, log: Path, start: float, timeout: float
) -> float | None:
    """Seconds from launch until the app's log says it answers from the full index (None if
    the app stops or ``timeout`` passes first)."""
    while proc.poll() is None and time.perf_counter() - start < timeout:
        if "Now answering from the full index" in log.read_text():
            return round(time.perf_counter() - start, 1)
        time.sleep(1)
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", help="MedQuAD folder (default: the app's default)")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--question", default="What are the symptoms of shingles?")
    p.add_argument(
        "--full-index", action="store_true", help="also wait until the full index is swapped in"
    )
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
            full = None
            if args.full_index:
                full = wait_for_full_index(proc, Path(tmp) / "app.log", start, args.timeout)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        json.dumps(
            {
                "seconds_to_page": round(page, 1),
                "seconds_to_first_answer": round(answered, 1),
                "seconds_to_full_index": full,
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
