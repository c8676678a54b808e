"""Small helpers the benchmarks share: percentiles, a free port, waiting for a server."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentiles(values: list[float]) -> dict | None:
    """p50 and p90 of a list of timings (None for no timings)."""
    if not values:
        return None
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_command(index: str | Path, port: int, *extra: str) -> list[str]:
    """``python -m app`` on ``index`` and ``port``, feedback off, plus ``extra`` flags."""
    return [
        sys.executable,
        "-m",
        "app",
        "--index",
        str(index),
        "--port",
        str(port),
        "--feedback",
        "off",
        *extra,
    ]


def wait_for_page(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Until ``url`` answers; exits with the end of ``log`` if the server dies or times out."""
    start = time.perf_counter()
    while True:
        if process.poll() is not None or time.perf_counter() - start > timeout:
            raise SystemExit(log.read_text()[-3000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)


def cached(embed):
    """An embed function that embeds each distinct text once."""
    import numpy as np

    known: dict[str, np.ndarray] = {}

    def run(texts: list[str]):
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            known.update(zip(todo, embed(todo), strict=True))
        return np.stack([known[t] for t in texts])

    return run


def report(result: dict, path: Path | None) -> None:
    """Print a benchmark's result as JSON and, with ``path``, write it there too."""
    import json

    text = json.dumps(result, indent=2)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
