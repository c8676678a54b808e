"""The page in a real headless Chromium: ask, see the streamed answer and source cards."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page(app_server):
    if CHROMIUM is None:
        if os.environ.get("MEDGROUND_REQUIRE_BROWSER"):
            pytest.fail("Debian chromium is required but not installed")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_server["url"], wait_until="load")
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        browser.close()


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


def test_answer_and_source_cards_render(page):
    assert "not medical advice" in page.inner_text("#disclaimer")
    ask(page, "What are the symptoms of glaucoma?")
    page.wait_for_selector("#sources .mg-card a[href^='http']", timeout=180_000)
    # The final answer (after the grounding check) carries [n] citations.
    page.wait_for_function(
        "() => { const b = document.querySelectorAll('#chat .bot');"
        " return b.length > 0 && /\\[\\d+\\]/.test(b[b.length - 1].innerText); }",
        timeout=180_000,
    )
    # Cited cards are marked only once the answer is final.
    page.wait_for_selector("#sources .mg-card.mg-cited", timeout=180_000)
    assert page.locator("#chat .bot").last.inner_text().strip()
    assert page.locator("#sources .mg-card").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


def test_html_in_question_is_text_not_code(page):
    payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>gout?'
    ask(page, payload)
    page.wait_for_function(
        "() => { const u = document.querySelectorAll('#chat .user');"
        " return u.length > 0 && u[u.length - 1].innerText.includes('<script>'); }",
        timeout=180_000,
    )
    page.wait_for_timeout(2000)
    assert page.evaluate("window.__pwned") is None
