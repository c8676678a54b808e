"""The Gradio page: chat with streaming and stop, sources panel, disclaimer, export, feedback.

Also registers the ``/ask`` API endpoint (JSON answer with citations, sources and timings) for
``gradio_client``. Everything user-provided is HTML-escaped before it reaches the page; each
[n] in an answer links to its source card.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import gradio as gr

from app.answer_modes import ANSWER_MODES
from app.pipeline import Answer, Pipeline
from rag.text import is_item

DISCLAIMER = (
    "<strong>MedGround gives general health information from NIH sources, not medical "
    "advice.</strong> It can be wrong or incomplete. For a diagnosis, treatment or medicine dose "
    "ask a doctor, nurse or pharmacist. <strong>In an emergency call your local emergency number "
    "(911, 112, 999…) now.</strong>"
)
DISCLAIMER_TEXT = (
    "MedGround gives general health information from NIH sources, not medical advice. "
    "In an emergency call your local emergency number."
)
STOPPED_BEFORE_START = "Stopped before the answer began."
EXAMPLES = [
    "What are the early signs of glaucoma?",
    "How is gout treated?",
    "My dad has high blood pressure. What can he do to lower it?",
    "Who is at risk for shingles?",
]
MODE_NOTES = {
    "grounded": "Grounded answer: sentences quoted word for word from the sources, chosen by the "
    "model.",
    "extract": "Extract: the source sentences most similar to your question (no language model).",
    "free": "Free answer: written by the model; sentences the sources do not support are marked ⚠️.",
}
CSS = """
#disclaimer {border-left: 4px solid #d97706; background: #fffbeb; padding: 8px 12px;
  border-radius: 6px; color: #78350f; font-size: 0.92em}
.mg-card {border: 1px solid #d1d5db; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px;
  background: #ffffff; color: #111827}
.mg-card.mg-cited {border-color: #2563eb}
.mg-card.mg-flash {box-shadow: 0 0 0 3px #93c5fd}
.mg-head {font-weight: 600}
.mg-num {color: #2563eb; font-weight: 700; margin-right: 4px}
.mg-meta {color: #4b5563; font-size: 0.85em; margin: 2px 0 4px}
.mg-card details {font-size: 0.9em; margin: 4px 0}
.mg-card ul {margin: 2px 0 6px 18px; padding: 0}
.mg-card a {font-size: 0.85em; word-break: break-all}
.mg-warning {border-left: 4px solid #dc2626; background: #fef2f2; color: #7f1d1d;
  padding: 8px 12px; border-radius: 6px; margin-bottom: 8px}
#feedback-note {color: #4b5563; font-size: 0.85em}
"""
# A click on [n] in an answer scrolls to source card n and opens its passage.
HEAD = """
<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href*="#source-"]');
  if (!link) return;
  const card = document.getElementById(link.getAttribute('href').split('#')[1]);
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  const details = card.querySelector('details');
  if (details) details.open = true;
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  card.classList.add('mg-flash');
  setTimeout(() => card.classList.remove('mg-flash'), 1500);
}, true);
</script>
"""
_CITE = re.compile(r"\[(\d+)\]")


def _safe_url(url: str) -> str | None:
    return url if urlparse(url).scheme in {"http", "https"} else None


def passage_html(text: str) -> str:
    """A passage with its paragraphs and lists (``rag.text`` layout), HTML-escaped."""
    out, items = [], []
    for line in [*text.split("\n"), ""]:
        if is_item(line):
            items.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    return "".join(out)


def linked_citations(markdown: str, sources: int) -> str:
    """[n] -> a link to source card n (for numbers that have a card)."""
    return _CITE.sub(
        lambda m: (
            f"[[{m.group(1)}]](#source-{m.group(1)})"
            if 1 <= int(m.group(1)) <= sources
            else m.group(0)
        ),
        markdown,
    )


def chat_text(ans: Answer) -> str:
    """The answer as shown in the chat: cited, linked, with the mode that made it."""
    if not ans.answer:
        return "…"
    text = linked_citations(ans.answer, len(ans.sources))
    if ans.note:
        text = f"{ans.note}\n\n{text}"
    if ans.done and ans.mode in MODE_NOTES:
        text += f"\n\n<sub>{MODE_NOTES[ans.mode]}</sub>"
    return text


def sources_html(ans: Answer | None) -> str:
    """One card per cited source (all retrieved ones when nothing was cited)."""
    if ans is None or not ans.sources:
        return "<p class='mg-meta'>Sources for the answer appear here.</p>"
    parts = []
    if ans.low_relevance:
        parts.append(
            "<div class='mg-warning' id='low-relevance'>Low relevance: these are the nearest "
            "passages, but they do not seem to answer the question.</div>"
        )
    cited = set(ans.citations)
    for number, hit in enumerate(ans.sources, 1):
        if cited and number not in cited:
            continue
        p = hit.passage
        url = _safe_url(p.url)
        link = (
            f"<a href='{html.escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
            f"{html.escape(url)}</a>"
            if url
            else ""
        )
        parts.append(
            f"<div class='mg-card{' mg-cited' if number in cited else ''}' id='source-{number}'>"
            f"<div class='mg-head'><span class='mg-num'>[{number}]</span>"
            f"{html.escape(p.title)}</div>"
            f"<div class='mg-meta'>{html.escape(p.source)} · {html.escape(p.qtype)} · "
            f"relevance {hit.cosine:.2f}</div>"
            f"<details><summary>Passage</summary>{passage_html(p.text)}</details>"
            f"{link}</div>"
        )
    return "".join(parts)


def user_text(question: str) -> str:
    """The question as the user typed it, shown as text (never as HTML)."""
    return html.escape(question)


def export_conversation(turns: list[dict], folder: Path) -> list[str]:
    """Write the conversation as Markdown and JSON into ``folder``; return both paths."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = [f"# MedGround conversation ({stamp})\n", f"> {DISCLAIMER_TEXT}\n"]
    for t in turns:
        md.append(f"## Question\n\n{t['question']}\n\n## Answer\n\n{t['answer']}\n")
        for s in t["sources"]:
            if not t["citations"] or s["number"] in t["citations"]:
                md.append(f"- [{s['number']}] {s['title']} ({s['source']}): {s['url']}")
        md.append("")
    md_path = folder / "medground-conversation.md"
    json_path = folder / "medground-conversation.json"
    md_path.write_text("\n".join(md), encoding="utf-8")
    json_path.write_text(json.dumps(turns, indent=2, ensure_ascii=False), encoding="utf-8")
    return [str(md_path), str(json_path)]


def save_feedback(path: Path, turn: dict, liked: bool | None, lock: threading.Lock) -> None:
    row = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "liked": liked,
        "question": turn.get("question"),
        "answer": turn.get("answer"),
        "mode": turn.get("mode"),
        "citations": turn.get("citations"),
        "sources": [s["record_id"] for s in turn.get("sources", [])],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


def new_export_folder() -> Path:
    """A private folder for one export: no two sessions ever share a file."""
    return Path(tempfile.mkdtemp(prefix=f"medground-export-{uuid.uuid4().hex[:8]}-"))


def _remove_exports(folders: list) -> None:
    """Called when a session ends: its exported files leave the disk."""
    for folder in folders or []:
        shutil.rmtree(folder, ignore_errors=True)


class AnswerStops:
    """Which answers a session's Stop ends. A click claims a stop flag at once, before its
    answer waits for its turn, so a Stop pressed while it waits is kept; the answer takes the
    flag when it starts. Stop sets every flag the session holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}  # session -> flag of its next answer
        self._running: dict[str, set[threading.Event]] = {}  # session -> flags of its answers

    def claim(self, session: str) -> None:
        with self._lock:
            self._waiting[session] = threading.Event()

    @contextlib.contextmanager
    def answering(self, session: str) -> Iterator[threading.Event]:
        """The flag of one answer (a fresh one for an API call, which claims nothing)."""
        with self._lock:
            flag = self._waiting.pop(session, None) or threading.Event()
            self._running.setdefault(session, set()).add(flag)
        try:
            yield flag
        finally:
            with self._lock:
                self._running[session].discard(flag)
                if not self._running[session]:
                    del self._running[session]

    def busy(self, session: str) -> bool:
        with self._lock:
            return bool(self._running.get(session))

    def stop(self, session: str) -> None:
        with self._lock:
            flags = [*self._running.get(session, ()), self._waiting.get(session)]
        for flag in flags:
            if flag is not None:
                flag.set()


def build_ui(
    pipeline: Pipeline, feedback_path: Path | None, status: Callable[[], str] | None = None
) -> gr.Blocks:
    """The page; ``feedback_path`` None turns feedback off; ``status`` (polled) is a line about
    the index being built in the background."""
    feedback_lock = threading.Lock()
    stops = AnswerStops()

    def claim(request: gr.Request) -> None:
        if stops.busy(request.session_hash):
            # Gradio drops a second ask while one is answered; the question stays in the box.
            gr.Warning("An answer is still being written: wait for it or press Stop, then send.")
        stops.claim(request.session_hash)

    def respond(question: str, chat: list, turns: list, mode: str, request: gr.Request):
        question = question or ""
        invalid = pipeline.validate(question)
        if invalid:
            gr.Warning(invalid)
            yield question, chat, gr.skip(), turns
            return
        history = [t["question"] for t in turns]
        chat = [*chat, {"role": "user", "content": user_text(question)}]
        chat.append({"role": "assistant", "content": "…"})
        # The turn is recorded from the start so that chat messages and turns stay aligned
        # (a like on an answer that was stopped still finds its turn).
        turns = [*turns, {}]
        with stops.answering(request.session_hash) as cancel:
            if cancel.is_set():  # Stop pressed while the answer waited for its turn
                ans = Answer(question=question, answer=STOPPED_BEFORE_START, done=True)
                chat[-1] = {"role": "assistant", "content": chat_text(ans)}
                turns[-1] = ans.to_dict()
                yield "", chat, gr.skip(), turns
                return
            panel_shown = False
            # The box is emptied once: what is typed while the answer streams stays.
            box_value: object = ""
            for ans in pipeline.stream(question, history, cancel=cancel, mode=mode):
                chat[-1] = {"role": "assistant", "content": chat_text(ans)}
                turns[-1] = ans.to_dict()
                panel = sources_html(ans) if (ans.sources and not panel_shown) else gr.skip()
                panel_shown = panel_shown or bool(ans.sources)
                if ans.done:
                    panel = sources_html(ans)
                yield box_value, chat, panel, turns
                box_value = gr.skip()

    def stop_answer(request: gr.Request) -> None:
        stops.stop(request.session_hash)

    def on_like(turns: list, data: gr.LikeData):
        # Each turn adds one user and one assistant message: assistant index 2n+1 is turn n.
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = turns[index // 2] if 0 <= index // 2 < len(turns) else {}
        save_feedback(feedback_path, turn, data.liked, feedback_lock)
        gr.Info(f"Thanks, your feedback was saved on this computer ({feedback_path}).")

    def on_export(turns: list, exports: list[str]):
        done = [t for t in turns if t]
        if not done:
            gr.Warning("Nothing to export yet.")
            return gr.skip(), exports
        folder = new_export_folder()
        return gr.File(value=export_conversation(done, folder), visible=True), [*exports, folder]

    def ask_api(question: str, history: list[str] | None = None, mode: str = "") -> dict:
        """Answer one question; returns answer, citations, sources, safety, timings, error."""
        return pipeline.ask(question or "", history or [], mode=mode or None).to_dict()

    with gr.Blocks(title="MedGround", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(
            "# MedGround\nAnswers to health questions from trusted NIH sources, with every "
            "claim linked to the passage it comes from."
        )
        gr.HTML(DISCLAIMER, elem_id="disclaimer")
        if status is not None:
            note = gr.Markdown(status(), elem_id="index-status")
            gr.Timer(10).tick(status, None, note, api_visibility="private")
        turns = gr.State([])
        exports = gr.State([], delete_callback=_remove_exports)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="MedGround",
                    height=520,
                    elem_id="chat",
                    sanitize_html=True,
                    buttons=["copy"],
                    placeholder="Ask a question about a disease, a symptom or a test.",
                    feedback_options=("Like", "Dislike") if feedback_path else (),
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a health question…",
                        show_label=False,
                        scale=6,
                        max_lines=6,
                        elem_id="question",
                    )
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                    stop = gr.Button("Stop", variant="stop", scale=1, elem_id="stop")
                gr.Examples(EXAMPLES, inputs=box, label="Try")
                with gr.Row():
                    export = gr.Button("Export conversation", size="sm", elem_id="export")
                    clear = gr.Button("New conversation", size="sm")
                    mode = gr.Radio(
                        list(ANSWER_MODES),
                        value=pipeline.cfg.answer_mode,
                        label="Answer mode",
                        elem_id="mode",
                        info="grounded: quoted sentences · extract: no model · free: written",
                    )
                files = gr.File(
                    label="Export", file_count="multiple", interactive=False, visible=False
                )
                gr.Markdown(
                    f"👍/👎 feedback is stored only on this computer, in `{feedback_path}`."
                    if feedback_path
                    else "Feedback is off.",
                    elem_id="feedback-note",
                )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html(None), elem_id="sources")

        outputs = [box, chat, panel, turns]
        inputs = [box, chat, turns, mode]
        # Stop is cooperative: the answer ends itself at its next step and completes as usual.
        # Gradio's ``cancels`` can leave a streaming chat busy for good (gradio-app/gradio
        # #11586). The claim runs at the click, never behind an answer (no concurrency limit;
        # queued all the same, since only queued events can show the page a warning), and the
        # stop runs outside the queue.
        claimed = {"concurrency_limit": None, "api_visibility": "private"}
        box.submit(claim, None, None, **claimed).then(respond, inputs, outputs, api_name="chat")
        send.click(claim, None, None, **claimed).then(
            respond, inputs, outputs, api_visibility="private"
        )
        stop.click(stop_answer, None, None, queue=False, api_visibility="private")
        if feedback_path:
            chat.like(on_like, [turns], None)
        export.click(on_export, [turns, exports], [files, exports], api_visibility="private")
        clear.click(
            lambda: ("", [], sources_html(None), []), None, outputs, api_visibility="private"
        )
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=1)
    return demo


def launch_kwargs() -> dict:
    return {"css": CSS, "theme": gr.themes.Soft(), "head": HEAD}
