"""Fixtures the rag tests share."""

from __future__ import annotations

import pytest


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """An empty MedGround cache (exported and quantized graphs land here)."""
    monkeypatch.setenv("MEDGROUND_CACHE", str(tmp_path))
    return tmp_path
