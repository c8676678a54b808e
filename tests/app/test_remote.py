"""The app answering through a real OpenAI-compatible server (llama-cpp-python's), and what it
says when the server fails."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from app.model import ModelError, smollm2_path
from app.pipeline import Pipeline
from app.remote import RemoteConfig, RemoteModel
from tests.app.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("llm") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm2_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:])
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            except OSError:
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_grounded_answer_through_the_server(server, retriever):
    model = RemoteModel(RemoteConfig(llm_url=server), max_tokens=96)
    assert model.probe_grammar() == "grammar"  # llama.cpp's server takes a GBNF grammar
    ans = Pipeline(retriever, model).ask("What are the symptoms of glaucoma?")
    assert ans.mode == "grounded" and not ans.error and ans.citations
    for source in ans.citations:  # every cited unit is quoted from its own passage
        assert f"[{source}]" in ans.answer
    free = Pipeline(retriever, model).ask("How is gout treated?", mode="free")
    assert free.raw_answer and not free.error


def test_unreachable_server_is_a_message(retriever):
    dead = RemoteModel(RemoteConfig(llm_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout=5))
    ans = Pipeline(retriever, dead).ask("How is gout treated?", mode="free")
    assert "could not reach the model server" in ans.error and "went wrong" in ans.answer


def test_http_error_and_a_dropped_stream_are_messages(retriever):
    class Broken(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path.startswith("/bad"):
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"overloaded")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            chunk = b'{"choices": [{"delta": {"content": "Gout is"}, "finish_reason": null}]}'
            self.wfile.write(b"data: " + chunk + b"\n\n")  # then the connection just ends

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        for path, said in [("/bad/v1", "HTTP 503"), ("/v1", "stopped in the middle")]:
            ans = Pipeline(retriever, RemoteModel(RemoteConfig(llm_url=base + path))).ask(
                "How is gout treated?", mode="free"
            )
            assert said in ans.error
        with pytest.raises(ModelError, match="environment variable"):
            RemoteModel(RemoteConfig(llm_url=base, llm_key_env="MEDGROUND_NO_SUCH_KEY"))
    finally:
        httpd.shutdown()
