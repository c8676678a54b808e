"""The Gradio page: chat with streaming and stop, sources panel, disclaimer, export, feedback.

Also registers the ``/ask`` API endpoint (JSON answer with citations, sources and timings) for
``gradio_client``. Everything user-provided is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import json
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import gradio as gr

from app.pipeline import Answer, Pipeline

DISCLAIMER = (
    "<strong>MedGround gives general health information from NIH sources, not medical "
    "advice.</strong> It can be wrong or incomplete. For a diagnosis, treatment or medicine dose "
    "ask a doctor, nurse or pharmacist. <strong>In an emergency call your local emergency number "
    "(911, 112, 999…) now.</strong>"
)
EXAMPLES = [
    "What are the early signs of glaucoma?",
    "How is gout treated?",
    "My dad has high blood pressure. What can he do to lower it?",
    "Who is at risk for shingles?",
]
CSS = """
#disclaimer {border-left: 4px solid #d97706; background: #fffbeb; padding: 8px 12px;
  border-radius: 6px; color: #78350f; font-size: 0.92em}
.mg-card {border: 1px solid #d1d5db; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px;
  background: #ffffff; color: #111827}
.mg-card.mg-cited {border-color: #2563eb}
.mg-head {font-weight: 600}
.mg-num {color: #2563eb; font-weight: 700; margin-right: 4px}
.mg-meta {color: #4b5563; font-size: 0.85em; margin: 2px 0 4px}
.mg-card details {font-size: 0.9em; margin: 4px 0}
.mg-card a {font-size: 0.85em; word-break: break-all}
.mg-warning {border-left: 4px solid #dc2626; background: #fef2f2; color: #7f1d1d;
  padding: 8px 12px; border-radius: 6px; margin-bottom: 8px}
"""


def _safe_url(url: str) -> str | None:
    return url if urlparse(url).scheme in {"http", "https"} else None


def sources_html(ans: Answer | None) -> str:
    """One card per cited source (all retrieved ones when nothing could be answered)."""
    if ans is None or not ans.sources:
        return "<p class='mg-meta'>Sources for the answer appear here.</p>"
    parts = []
    if ans.low_relevance:
        parts.append(
            "<div class='mg-warning' id='low-relevance'>Low relevance: these are the nearest "
            "passages, but they do not seem to answer the question.</div>"
        )
    cited = set(ans.citations)
    shown = [s for s in ans.sources if s["number"] in cited] if cited else ans.sources
    for s in shown:
        url = _safe_url(s["url"])
        link = (
            f"<a href='{html.escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
            f"{html.escape(url)}</a>"
            if url
            else ""
        )
        parts.append(
            f"<div class='mg-card{' mg-cited' if s['number'] in cited else ''}' "
            f"id='source-{s['number']}'>"
            f"<div class='mg-head'><span class='mg-num'>[{s['number']}]</span>"
            f"{html.escape(s['title'])}</div>"
            f"<div class='mg-meta'>{html.escape(s['source'])} · "
            f"{html.escape(s['question_type'])} · relevance {s['score']:.2f}</div>"
            f"<details><summary>Passage</summary><p>{html.escape(s['text'])}</p></details>"
            f"{link}</div>"
        )
    return "".join(parts)


def user_text(question: str) -> str:
    """The question as the user typed it, shown as text (never as HTML)."""
    return html.escape(question)


def export_conversation(turns: list[dict], folder: Path) -> list[str]:
    """Write the conversation as Markdown and JSON; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = [f"# MedGround conversation ({stamp})\n", f"> {DISCLAIMER_TEXT}\n"]
    for t in turns:
        md.append(f"## Question\n\n{t['question']}\n\n## Answer\n\n{t['answer']}\n")
        for s in t["sources"]:
            if not t["citations"] or s["number"] in t["citations"]:
                md.append(f"- [{s['number']}] {s['title']} ({s['source']}): {s['url']}")
        md.append("")
    md_path = folder / f"medground-{stamp}.md"
    json_path = folder / f"medground-{stamp}.json"
    md_path.write_text("\n".join(md), encoding="utf-8")
    json_path.write_text(json.dumps(turns, indent=2, ensure_ascii=False), encoding="utf-8")
    return [str(md_path), str(json_path)]


DISCLAIMER_TEXT = (
    "MedGround gives general health information from NIH sources, not medical advice. "
    "In an emergency call your local emergency number."
)


def save_feedback(path: Path, turn: dict, liked: bool | None, lock: threading.Lock) -> None:
    row = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "liked": liked,
        "question": turn.get("question"),
        "answer": turn.get("answer"),
        "citations": turn.get("citations"),
        "sources": [s["record_id"] for s in turn.get("sources", [])],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_ui(pipeline: Pipeline, feedback_path: Path, export_dir: Path | None = None) -> gr.Blocks:
    export_dir = export_dir or Path(tempfile.mkdtemp(prefix="medground-export-"))
    feedback_lock = threading.Lock()

    def respond(question: str, chat: list, turns: list):
        question = question or ""
        invalid = pipeline.validate(question)
        if invalid:
            gr.Warning(invalid)
            yield question, chat, gr.skip(), turns
            return
        history = [t["question"] for t in turns]
        chat = [*chat, {"role": "user", "content": user_text(question)}]
        chat.append({"role": "assistant", "content": "…"})
        ans = None
        panel_shown = False
        for ans in pipeline.stream(question, history):
            chat[-1] = {"role": "assistant", "content": ans.answer or "…"}
            # The panel is re-rendered only when the sources first arrive and at the end.
            panel = sources_html(ans) if (ans.sources and not panel_shown) else gr.skip()
            panel_shown = panel_shown or bool(ans.sources)
            yield "", chat, panel, turns
        if ans is not None:
            turns = [*turns, ans.to_dict()]
            yield "", chat, sources_html(ans), turns

    def on_like(turns: list, data: gr.LikeData):
        # Each turn adds one user and one assistant message: assistant index 2n+1 is turn n.
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = turns[index // 2] if 0 <= index // 2 < len(turns) else {}
        save_feedback(feedback_path, turn, data.liked, feedback_lock)
        gr.Info("Thanks, your feedback was saved locally.")

    def on_export(turns: list):
        if not turns:
            gr.Warning("Nothing to export yet.")
            return gr.skip()
        return gr.File(value=export_conversation(turns, export_dir), visible=True)

    def ask_api(question: str, history: list[str] | None = None) -> dict:
        """Answer one question; returns answer, citations, sources, unsupported, safety, timings."""
        return pipeline.ask(question or "", history or []).to_dict()

    with gr.Blocks(title="MedGround", analytics_enabled=False) as demo:
        gr.Markdown(
            "# MedGround\nAnswers to health questions from trusted NIH sources, with every "
            "claim linked to the passage it comes from."
        )
        gr.HTML(DISCLAIMER, elem_id="disclaimer")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="MedGround",
                    height=520,
                    elem_id="chat",
                    sanitize_html=True,
                    buttons=["copy"],
                    placeholder="Ask a question about a disease, a symptom or a test.",
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
                files = gr.File(
                    label="Export", file_count="multiple", interactive=False, visible=False
                )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html(None), elem_id="sources")

        outputs = [box, chat, panel, turns]
        submitted = box.submit(respond, [box, chat, turns], outputs, api_name="chat")
        clicked = send.click(respond, [box, chat, turns], outputs, api_visibility="private")
        stop.click(None, cancels=[submitted, clicked])
        chat.like(on_like, [turns], None)
        export.click(on_export, [turns], files, api_visibility="private")
        clear.click(
            lambda: ("", [], sources_html(None), []), None, outputs, api_visibility="private"
        )
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=1)
    return demo


def launch_kwargs() -> dict:
    return {"css": CSS, "theme": gr.themes.Soft()}
