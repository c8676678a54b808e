"""Training data: focus-disjoint, reproducible splits with the app's grounded prompt."""

from __future__ import annotations

import re

from rag.prompt import SYSTEM_PROMPT
from training.data import example_turns, read_split


def test_splits_share_no_focus(tiny_data):
    foci = {
        name: {e["focus"].lower() for e in read_split(tiny_data, name)}
        for name in ("train", "val", "test")
    }
    assert all(foci.values())
    assert not (foci["train"] & foci["val"]) and not (foci["train"] & foci["test"])
    assert not (foci["val"] & foci["test"])


def test_grounded_example_uses_the_app_prompt(tiny_data):
    ex = read_split(tiny_data, "train")[0]
    messages, answer = example_turns(ex, "grounded")
    assert messages[0]["content"] == SYSTEM_PROMPT
    assert f"[{ex['gold']}] " in messages[1]["content"] and ex["question"] in messages[1]["content"]
    assert set(re.findall(r"\[(\d+)\]", answer)) == {str(ex["gold"])}
    gold = ex["sources"][ex["gold"] - 1]
    assert gold["record_id"] == ex["id"]
    assert sum(s["record_id"] == ex["id"] for s in ex["sources"]) == 1


def test_plain_example_is_question_to_answer(tiny_data):
    ex = read_split(tiny_data, "val")[0]
    messages, answer = example_turns(ex, "plain")
    assert messages == [{"role": "user", "content": ex["question"]}] and answer == ex["answer"]


def test_reproducible(tiny_data, small_records, tmp_path):
    import training.data as data

    data.build(data.DataConfig(out=tmp_path, val_fraction=0.05, test_fraction=0.05), small_records)
    assert (tmp_path / "test.jsonl").read_text() == (tiny_data / "test.jsonl").read_text()


def test_tiny_split_still_gets_distractors(small_records):
    import random

    from rag.chunking import chunk_record
    from rag.embedder import load_embedder
    from training.data import make_example

    tok = load_embedder().tokenizer
    record, other = small_records[0], small_records[1]
    own = chunk_record(record, tok, 128)
    spare = chunk_record(other, tok, 128)
    ex = make_example(record, own[0], own, random.Random(0), 5, fallback=spare)
    assert ex["sources"][ex["gold"] - 1]["record_id"] == record.id
    assert 1 < len(ex["sources"]) <= 5
    assert sum(s["record_id"] == record.id for s in ex["sources"]) == 1
