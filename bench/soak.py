"""Soak test: many clients against a real server for a while; nothing lost, memory flat.

    python bench/soak.py [--clients 8] [--minutes 10] [--index DIR] [--model NAME]

Starts ``python -m app`` on a free port, warms it up, then ``--clients`` gradio_client clients
ask dev messages through ``/ask`` (every answer mode in turn) until the time is up. Prints one
JSON object: answers asked and received (none may be lost), answers with an error, server RSS
after warm-up, every minute and at the end (growth in percent), and latency percentiles.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, app_command, free_port, wait_for_page
from rag.evaluate import MESSAGES, read_split
from rag.index import default_index_dir


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--index", type=Path, default=default_index_dir())
    p.add_argument("--model", default=None, help="--model for the app (default: its default)")
    args = p.parse_args()
    from gradio_client import Client

    questions = [q["question"] for q in read_split(MESSAGES, "dev")]
    port = free_port()
    cmd = app_command(args.index, port, *(["--model", args.model] if args.model else []))
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "app.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for_page(url, server, 600, log_path)
            warm = Client(url, verbose=False)
            for mode in ("grounded", "extract", "free"):
                warm.predict(questions[0], [], mode, api_name="/ask")
            rss_start = psutil.Process(server.pid).memory_info().rss
            asked, received, errors, latencies = [0], [0], [0], []
            lock = threading.Lock()
            stop_at = time.time() + 60 * args.minutes

            def client(seed: int) -> None:
                rng = random.Random(seed)
                c = Client(url, verbose=False)
                while time.time() < stop_at:
                    q, mode = (
                        rng.choice(questions),
                        rng.choice(["grounded", "grounded", "extract", "free"]),
                    )
                    with lock:
                        asked[0] += 1
                    start = time.perf_counter()
                    try:
                        res = c.predict(q, [], mode, api_name="/ask")
                    except Exception:  # a lost answer
                        continue
                    with lock:
                        received[0] += 1
                        errors[0] += bool(res.get("error"))
                        latencies.append(time.perf_counter() - start)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            # Memory every minute: a leak climbs to the end, a warming cache levels off.
            rss_by_minute = []
            while any(t.is_alive() for t in threads):
                time.sleep(1)
                if time.time() >= stop_at - 60 * args.minutes + 60 * (len(rss_by_minute) + 1):
                    rss = psutil.Process(server.pid).memory_info().rss
                    rss_by_minute.append(round(rss / 2**20, 1))
            for t in threads:
                t.join()
            rss_end = psutil.Process(server.pid).memory_info().rss
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    print(
        json.dumps(
            {
                "clients": args.clients,
                "minutes": args.minutes,
                "asked": asked[0],
                "received": received[0],
                "lost": asked[0] - received[0],
                "errors": errors[0],
                "rss_mb_after_warm_up": round(rss_start / 2**20, 1),
                "rss_mb_at_end": round(rss_end / 2**20, 1),
                "rss_growth_percent": round(100 * (rss_end - rss_start) / rss_start, 2),
                "rss_mb_by_minute": rss_by_minute,
                "latency_s": {
                    "p50": round(latencies[len(latencies) // 2], 2),
                    "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                }
                if latencies
                else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
