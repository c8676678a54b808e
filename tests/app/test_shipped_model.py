"""The model MedGround ships: its adapter in models/, loaded by llama.cpp on the packaged base."""

from __future__ import annotations

import pytest

from app.model import MEDGROUND_ADAPTER, LocalModel, ModelConfig
from app.pipeline import Pipeline

pytestmark = pytest.mark.slow


def test_adapter_is_a_small_gemma3_lora():
    import gguf

    assert MEDGROUND_ADAPTER.stat().st_size <= 10_000_000  # the repo's cap for a binary
    fields = gguf.GGUFReader(MEDGROUND_ADAPTER).fields
    assert fields["general.type"].contents() == "adapter"
    assert fields["adapter.type"].contents() == "lora"
    assert fields["general.architecture"].contents() == "gemma3"
    assert (MEDGROUND_ADAPTER.parent / "README.md").exists()  # its model card


@pytest.fixture(scope="module")
def medground():
    return LocalModel(ModelConfig(model="medground"))


def test_default_model_is_the_shipped_one():
    assert ModelConfig().model == "medground"


def test_it_chooses_units_of_the_passage_that_answers(retriever, medground):
    ans = Pipeline(retriever, medground).ask("what causes gout?", mode="grounded")
    assert ans.done and not ans.error and medground.lora == MEDGROUND_ADAPTER
    assert ans.citations and not ans.not_answered
    cited = [ans.sources[n - 1].passage for n in ans.citations]
    # A sentence about another condition, copied faithfully, is still a wrong answer.
    assert all(p.focus == "Gout" for p in cited)
