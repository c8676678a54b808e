"""Page pieces that need no browser: escaping, list rendering, links, private exports, stops."""

from __future__ import annotations

import json
from pathlib import Path

from app.ui import (
    AnswerStops,
    _remove_exports,
    export_conversation,
    linked_citations,
    new_export_folder,
    passage_html,
    user_text,
)


def test_passages_keep_their_lists_and_are_escaped():
    html = passage_html("Signs are:\n- thirst <b>\n- hunger\nSee a doctor.")
    assert html == (
        "<p>Signs are:</p><ul><li>thirst &lt;b&gt;</li><li>hunger</li></ul><p>See a doctor.</p>"
    )
    assert user_text("<script>") == "&lt;script&gt;"


def test_citations_link_to_their_cards():
    assert linked_citations("Rest helps [1]. Ice too [7].", 5) == (
        "Rest helps [[1]](#source-1). Ice too [7]."
    )


def test_each_export_is_private_and_removed_with_its_session():
    turns = [
        {
            "question": "q",
            "answer": "a [1]",
            "citations": [1],
            "sources": [{"number": 1, "title": "T", "source": "S", "url": "https://x"}],
        }
    ]
    first, second = new_export_folder(), new_export_folder()
    assert first != second
    md, js = export_conversation(turns, first)
    assert json.loads(Path(js).read_text()) == turns and "https://x" in Path(md).read_text()
    _remove_exports([str(first), str(second)])
    assert not first.exists() and not second.exists()


def test_a_stop_pressed_while_the_answer_waits_is_kept():
    stops = AnswerStops()
    stops.claim("a")
    stops.stop("a")  # the answer has not started: it waits behind another session's
    with stops.answering("a") as flag:
        assert flag.is_set()


def test_a_stop_ends_every_answer_of_its_session_and_no_other():
    stops = AnswerStops()
    stops.claim("a")
    with stops.answering("a") as first, stops.answering("b") as other:
        stops.claim("a")  # asked again while the first answer runs
        with stops.answering("a") as second:
            stops.stop("a")
            assert first.is_set() and second.is_set() and not other.is_set()


def test_a_stop_after_the_answer_never_stops_the_next_one():
    stops = AnswerStops()
    stops.claim("a")
    with stops.answering("a"):
        pass
    stops.stop("a")
    stops.claim("a")
    with stops.answering("a") as flag:
        assert not flag.is_set()
