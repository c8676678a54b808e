"""A real MedGround server (``python -m app``) on a free port, over the small test index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(small_index, tmp_path_factory):
    port = free_port()
    feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
    log = tmp_path_factory.mktemp("log") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "app",
        "--index",
        str(small_index),
        "--port",
        str(port),
        "--max-tokens",
        "64",
        "--feedback",
        str(feedback),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")
        yield {"url": url, "feedback": feedback, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
