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
    assert ans.done and not ans.error and medground.adapter == MEDGROUND_ADAPTER
    assert ans.citations and not ans.not_answered
    cited = [ans.sources[n - 1].passage for n in ans.citations]
    # A sentence about another condition, copied faithfully, is still a wrong answer.
    assert all(p.focus == "Gout" for p in cited)


def test_pick_chooses_what_a_grammar_at_temperature_0_chooses(retriever, medground):
    """LocalModel.pick walks only the options' tokens; a llama.cpp grammar sampling over the
    whole vocabulary must agree on the first choice of grounded answers."""
    from app.chat_format import Rendered
    from rag.prompt import NONE_LABEL, build_grounded_messages, select_candidates

    assert medground.lora is None  # merged into the base (the default), not applied at run time
    for question in ("what causes gout?", "how is asthma treated", "is shingles contagious"):
        passages = [h.passage for h in retriever.search(question, k=5)]
        candidates = select_candidates(question, passages)
        rendered = medground.render(build_grounded_messages(question, passages, candidates))
        options = [NONE_LABEL, *(c.label for c in candidates)]
        grammar = "root ::= " + " | ".join(f'"{o}"' for o in options)
        sampled = "".join(
            medground.stream(
                Rendered(rendered.prompt, rendered.stop), 12, grammar=grammar, temperature=0
            )
        )
        assert options[medground.pick(rendered.prompt, options)] == sampled.strip()


def test_a_handicapped_option_wins_only_by_its_margin(retriever, medground):
    """[none] and the units share "[": the handicap falls on the token where they part."""
    from rag.prompt import NONE_LABEL, build_grounded_messages, select_candidates

    question = "what causes gout?"
    passages = [h.passage for h in retriever.search(question, k=5)]
    candidates = select_candidates(question, passages)
    prompt = medground.render(build_grounded_messages(question, passages, candidates)).prompt
    options = [NONE_LABEL, *(c.label for c in candidates)]
    chosen = medground.pick(prompt, options)
    assert chosen != 0  # the sources answer this: a unit, not [none]
    assert medground.pick(prompt, options, handicap=[0.0] * len(options)) == chosen
    # [none] handicapped: the same unit. Every unit handicapped far past any logit gap: [none].
    assert medground.pick(prompt, options, handicap=[50.0] + [0.0] * (len(options) - 1)) == chosen
    units_handicapped = [0.0] + [50.0] * (len(options) - 1)
    assert medground.pick(prompt, options, handicap=units_handicapped) == 0


def test_first_start_answers_at_once_and_merges_in_the_background(tmp_path, monkeypatch):
    import time

    from app.merge import merged_path

    monkeypatch.setenv("MEDGROUND_CACHE", str(tmp_path))
    model = LocalModel(ModelConfig(), wait_for_merge=False)
    assert model.lora == MEDGROUND_ADAPTER  # applied at run time while the merge is made
    merged = merged_path(model.path, MEDGROUND_ADAPTER, model.cfg.merge)
    deadline = time.monotonic() + 300
    while not merged.exists() and time.monotonic() < deadline:
        time.sleep(2)
    assert merged.exists() and not list(tmp_path.glob(".*partial"))
    again = LocalModel(ModelConfig(), wait_for_merge=False)
    assert again.path == merged and again.lora is None  # the next start uses it
