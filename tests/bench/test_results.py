"""The benchmark results the README cites: each file is the one JSON object a bench printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = sorted((Path(__file__).resolve().parents[2] / "docs" / "results").glob("*.json"))


def test_there_are_results():
    assert len(RESULTS) > 10


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.name)
def test_each_result_is_one_json_object(path):
    # A bench that prints anything but its JSON to stdout (a progress line, a server's
    # goodbye) leaves a file that no tool can read.
    assert isinstance(json.loads(path.read_text()), dict)
