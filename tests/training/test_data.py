"""Training data: the app's own prompts over real retrieval, focus-disjoint and reproducible."""

from __future__ import annotations

import json
import random

from rag.prompt import GROUNDED_SYSTEM_PROMPT, SYSTEM_PROMPT, parse_choices
from training.augment import augment_question
from training.data import example_candidates, example_turns, read_split


def test_splits_share_no_focus(tiny_data):
    foci = {
        name: {e["focus"].lower() for e in read_split(tiny_data, name)}
        for name in ("train", "val", "test")
    }
    assert all(foci.values())
    assert not (foci["train"] & foci["val"]) and not (foci["train"] & foci["test"])
    assert not (foci["val"] & foci["test"])


def test_no_held_out_passage_reaches_training(tiny_data):
    held = {e["id"] for name in ("val", "test") for e in read_split(tiny_data, name)}
    for ex in read_split(tiny_data, "train"):
        assert not held & {p["record_id"] for p in ex["passages"]}


def test_grounded_example_is_the_app_prompt_and_cites_an_answering_passage(tiny_data):
    examples = read_split(tiny_data, "train")
    answered = [e for e in examples if not e["no_answer"]]
    assert answered
    for ex in answered[:20]:
        messages, target = example_turns(ex, "grounded")
        assert messages[0]["content"] == GROUNDED_SYSTEM_PROMPT
        assert ex["asked"] in messages[1]["content"]  # as the app shows the question
        chosen = parse_choices(target, example_candidates(ex))
        assert chosen and all(c.source in ex["gold_sources"] for c in chosen)
        assert all(c.label in messages[1]["content"] for c in chosen)


def test_a_long_question_is_shown_as_the_app_shows_it(tiny_data, retriever):
    # What the grounded prompt shows is what the app's pipeline shows for the same message.
    for ex in read_split(tiny_data, "train"):
        assert ex["asked"] == (retriever.parser.parse(ex["question"]).asked or ex["question"])


def test_a_long_story_is_shown_as_its_question(small_index, tmp_path, monkeypatch):
    # People write long messages ("I'm 58 and ... What causes it?"); the prompt then shows what
    # they ask, as the app does. Augmentation makes such messages only by chance, so here every
    # augmented question comes after a long story.
    import training.augment
    import training.data as data
    from tests.training.conftest import tiny_data_config

    story = "my sister and i have been reading about this for weeks and we still cannot agree "
    story += "on what the doctors told us at the last two visits, so we want to ask you."

    def with_story(record, rng):
        kind, question = augment_question(record, rng)
        return kind, f"{story} {question}"

    monkeypatch.setattr(training.augment, "augment_question", with_story)
    cfg = tiny_data_config(small_index, tmp_path)
    cfg.limit, cfg.hold_out = 150, ""  # a few foci, nearly all of them in train
    data.build(cfg)
    long = [e for e in read_split(tmp_path, "train") if e["question"].startswith(story)]
    shown = [e["asked"] for e in long if e["asked"] != e["question"]]
    assert len(shown) >= len(long) / 2  # the rest ask without a question ("x symptoms")
    assert shown and not any(story in asked for asked in shown)


def test_some_examples_have_no_answering_passage(tiny_data):
    examples = read_split(tiny_data, "train")
    unanswerable = [e for e in examples if e["no_answer"]]
    assert 0.03 <= len(unanswerable) / len(examples) <= 0.4
    for ex in unanswerable:
        assert ex["target"] == "[none]" and example_turns(ex, "free")[1].startswith("The sources")


def test_free_and_plain_formats(tiny_data):
    ex = next(e for e in read_split(tiny_data, "val") if not e["no_answer"])
    messages, answer = example_turns(ex, "free")
    assert messages[0]["content"] == SYSTEM_PROMPT and "[" in answer
    messages, answer = example_turns(ex, "plain")
    assert messages == [{"role": "user", "content": ex["question"]}] and answer == ex["answer"]


def test_reproducible(tiny_data, small_index, tmp_path):
    import training.data as data
    from tests.training.conftest import tiny_data_config

    data.build(tiny_data_config(small_index, tmp_path))
    assert (tmp_path / "train.jsonl").read_text() == (tiny_data / "train.jsonl").read_text()


def test_evaluation_query_foci_are_held_out(small_index, tmp_path):
    import training.data as data

    index_rows = [json.loads(line) for line in (small_index / "passages.jsonl").open()]
    target = next(r for r in index_rows if r["focus"] == "Gout")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"question": "gout?", "relevant": [target["record_id"]]}) + "\n")
    cfg = data.DataConfig(index=small_index, out=tmp_path / "d", hold_out=str(queries), limit=400)
    data.build(cfg)
    assert all(e["focus"] != "Gout" for e in read_split(tmp_path / "d", "train"))


def test_augmented_questions_read_like_people(small_records):
    from training.data import RecordInfo

    r = next(r for r in small_records if r.synonyms)
    info = RecordInfo(r.id, r.question, r.qtype, r.focus, r.answer, r.synonyms)
    rng = random.Random(0)
    asked = {augment_question(info, rng)[1] for _ in range(30)}
    assert len(asked) > 10 and r.question not in asked
