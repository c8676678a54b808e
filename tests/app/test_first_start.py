"""First start: a quick index answers at once; the full one is built behind it and swapped in."""

from __future__ import annotations

import shutil

import pytest

import rag.build_index
from app.first_start import FullBuild, open_or_build
from rag.index import Index
from rag.retriever import Retriever


@pytest.fixture(scope="module")
def tiny_source(medquad_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("medquad")
    for folder in ("7_SeniorHealth_QA", "9_CDC_QA"):
        shutil.copytree(medquad_dir / folder, root / folder)
    return root


def test_quick_index_answers_then_the_full_one_takes_over(tiny_source, tmp_path, monkeypatch):
    folder = tmp_path / "index"
    quick = open_or_build(folder, str(tiny_source))
    assert quick.quick and quick.vectors is None and quick.questions
    hits = Retriever(quick).search("what are the symptoms of shingles", k=3)
    assert hits and "Shingles" in hits[0].passage.focus and 0 < hits[0].cosine <= 1

    # Interrupted after its first block of passages: the quick index stays and keeps working.
    monkeypatch.setattr(rag.build_index, "BLOCK", 200)

    def stop(share):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rag.build_index.build(
            rag.build_index.BuildConfig(source=str(tiny_source), out=folder), stop
        )
    assert Index.open(folder).quick
    assert rag.build_index.partial_vectors(folder)  # the block it finished was kept

    swapped = []
    full = FullBuild(folder, str(tiny_source), swapped.append)
    assert "quick index" in full.status()
    full.run()  # in this thread, for the test
    assert not full.error and full.done and full.status() == ""
    (index,) = swapped
    assert not index.quick and index.vectors is not None
    assert not rag.build_index.partial_folder(folder).exists()
    hits = Retriever(index).search("what are the symptoms of shingles", k=3)
    assert "Shingles" in hits[0].passage.focus
