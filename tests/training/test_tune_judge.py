"""Hyperparameter search, LLM-as-judge and experiment tracking, end to end on tiny models."""

from __future__ import annotations

import json

import pytest

from training import finetune, judge, tune

pytestmark = pytest.mark.slow


def test_search_runs_trials_and_writes_reports(tiny_gpt2, tiny_data, tmp_path):
    out = tmp_path / "tune"
    args = [
        "--base",
        str(tiny_gpt2),
        "--data",
        str(tiny_data),
        "--out",
        str(out),
        "--trials",
        "3",
        "--steps",
        "4",
        "--eval-steps",
        "2",
        "--limit",
        "16",
        "--eval-examples",
        "4",
        "--max-length",
        "1024",
    ]
    assert tune.main(args) == 0
    best = json.loads((out / "best.json").read_text())
    assert best["eval_loss"] > 0 and {"lr", "rank", "alpha", "dropout", "freeze_layers"} <= set(
        best
    )
    assert (out / "trials.csv").read_text().count("\n") == 4  # header and three trials
    assert (out / "history.png").stat().st_size > 1000 and "number" in (
        out / "trials.md"
    ).read_text().splitlines()[0]


def test_tensorboard_run_writes_event_files(tiny_gpt2, tiny_data, tmp_path):
    args = [
        "--base",
        str(tiny_gpt2),
        "--data",
        str(tiny_data),
        "--out",
        str(tmp_path / "o"),
        "--max-steps",
        "2",
        "--limit",
        "8",
        "--batch-size",
        "4",
        "--grad-accum",
        "1",
        "--eval-steps",
        "2",
        "--max-length",
        "1024",
        "--report-to",
        "tensorboard",
    ]
    assert finetune.main(args) == 0
    assert list((tmp_path / "o").rglob("events.out.tfevents.*"))


def test_judge_scores_answers_as_json_with_the_packaged_model(tmp_path):
    from app.model import smollm2_path

    source = {"number": 1, "title": "Gout — treatment", "text": "Gout is treated with NSAIDs."}
    rows = [
        {
            "question": "How is gout treated?",
            "label": "x (grounded)",
            "answer": a,
            "citations": [1],
            "sources": [source],
            "metrics": {"faithfulness": f, "rougeL": r},
        }
        for a, f, r in [
            ("Gout is treated with NSAIDs. [1]", 1.0, 0.6),
            ("Gout is cured by orange juice. [1]", 0.0, 0.1),
            ("Rest and ice help gout. [1]", 0.5, 0.3),
        ]
    ]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    hand = tmp_path / "hand.jsonl"
    hand.write_text(
        "\n".join(
            json.dumps(
                {
                    "question": r["question"],
                    "label": r["label"],
                    "faithful": f,
                    "answers": 3,
                    "safe": 5,
                    "clear": 4,
                }
            )
            for r, f in zip(rows, (5, 1, 2), strict=True)
        )
    )
    out = tmp_path / "judge"
    code = judge.main(
        [
            "--answers",
            str(answers),
            "--judge",
            str(smollm2_path()),
            "--hand",
            str(hand),
            "--out",
            str(out),
            "--threads",
            "2",
        ]
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["answers"] == 3 and report["hand_scored"] == 3
    scores = [json.loads(line)["judge"] for line in (out / "scores.jsonl").read_text().splitlines()]
    assert all(
        set(s) == set(judge.CRITERIA) and all(1 <= v <= 5 for v in s.values()) for s in scores
    )
    assert judge.main(["--answers", str(answers), "--judge", "nope.gguf"]) == 2
