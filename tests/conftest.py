"""Shared fixtures: a small real index built once per test session from part of MedQuAD."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MEDQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "MedQuAD"
# Common conditions the end-to-end tests ask about, plus a slice of everything else.
SMALL_FOCI = {
    "glaucoma",
    "asthma",
    "high blood pressure",
    "diabetes",
    "gout",
    "shingles",
    "stroke",
    "kidney stones in adults",
    "celiac disease",
    "heart attack",
    "osteoporosis",
    "anemia",
}


@pytest.fixture(scope="session")
def medquad_dir() -> Path:
    if not MEDQUAD.is_dir():
        pytest.skip(f"MedQuAD not found at {MEDQUAD}")
    return MEDQUAD


@pytest.fixture(scope="session")
def small_records(medquad_dir):
    from rag.medquad import build_records

    folders = ["4_MPlus_Health_Topics_QA", "7_SeniorHealth_QA", "8_NHLBI_QA_XML", "9_CDC_QA"]
    files = [
        (p.parent.name, p.stem, p.read_bytes())
        for folder in folders
        for p in sorted((medquad_dir / folder).glob("*.xml"))
    ]
    records = build_records(files)
    chosen = [r for r in records if r.focus.lower() in SMALL_FOCI]
    others = [r for r in records if r.focus.lower() not in SMALL_FOCI][::8]
    return chosen + others


@pytest.fixture(scope="session")
def small_index(small_records, tmp_path_factory) -> Path:
    from rag.build_index import BuildConfig, build_from_records

    out = tmp_path_factory.mktemp("index") / "small"
    build_from_records(small_records, BuildConfig(out=out), source="test")
    return out


@pytest.fixture(scope="session")
def retriever(small_index):
    from rag.index import Index
    from rag.retriever import Retriever

    return Retriever(Index.open(small_index))
