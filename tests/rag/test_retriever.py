"""Retrieval on a real small index: modes, deduplication, metrics and the CLIs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag import evaluate, search
from rag.evaluate import score_ranking


@pytest.mark.parametrize("mode", ["fused", "dense", "questions", "bm25"])
def test_modes_find_the_answer(retriever, mode):
    hits = retriever.search("what are the signs of glaucoma", k=5, mode=mode)
    assert hits and any(h.passage.focus == "Glaucoma" for h in hits[:3])
    assert all(h.passage.url.startswith("http") and h.passage.source for h in hits)


def test_hits_are_one_per_record_and_sorted(retriever):
    hits = retriever.search("asthma attack triggers", k=10)
    ids = [h.passage.record_id for h in hits]
    assert len(ids) == len(set(ids)) == 10
    assert [h.rank_score for h in hits] == sorted((h.rank_score for h in hits), reverse=True)


def test_off_topic_question_has_low_similarity(retriever):
    medical = retriever.search("how is high blood pressure treated", k=1)[0].cosine
    off_topic = retriever.search("who won the football world cup in 1998", k=1)[0].cosine
    assert medical > 0.5 > off_topic


def test_unknown_words_do_not_break_bm25(retriever):
    assert retriever.search("zzqxv wvvxq", k=3, mode="bm25") is not None


def test_metrics_by_hand():
    s = score_ranking(["a", "b", "c"], {"b", "z"})
    assert s["recall@1"] == 0 and s["recall@5"] == 0.5 and s["hit@5"] == 1
    assert s["mrr@10"] == 0.5
    assert s["ndcg@10"] == pytest.approx((1 / 1.5849625) / (1 + 1 / 1.5849625))


def test_evaluate_cli_prints_all_modes(small_index, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    rid = json.loads((small_index / "passages.jsonl").read_text().splitlines()[0])["record_id"]
    queries.write_text(json.dumps({"question": "glaucoma eye pressure", "relevant": [rid]}) + "\n")
    plot = tmp_path / "plot.png"
    assert (
        evaluate.main(["--index", str(small_index), "--queries", str(queries), "--plot", str(plot)])
        == 0
    )
    out = json.loads(capsys.readouterr().out)["q"]
    assert set(out) >= {"fused", "dense", "questions", "bm25", "queries"}
    assert set(out["fused"]) >= {"hit@1", "hit@5", "recall@10", "mrr@10", "ndcg@10"}
    assert plot.stat().st_size > 1000


def test_a_paraphrase_finds_the_record_it_asks_for(retriever):
    # MedQuAD asks "What are the symptoms of Shingles ?"; people ask otherwise. (Question
    # matching alone prefers "How to diagnose Shingles?" here; the combined score does not.)
    hits = retriever.search("how would i know if i have shingles", k=3)
    assert hits[0].passage.focus == "Shingles" and hits[0].passage.qtype == "symptoms"


def test_follow_up_keeps_the_condition_and_changes_the_question(retriever):
    history = ["my dad's toe is swollen and red, the doctor said gout. what are the symptoms?"]
    hits = retriever.search("what causes it?", k=3, history=history)
    assert hits[0].passage.focus == "Gout" and hits[0].passage.qtype == "causes"


def test_hits_say_whether_the_message_names_their_condition(retriever):
    # Only MedlinePlus lists "gouty arthritis" for Gout; SeniorHealth's Gout records are named
    # by it all the same.
    hits = retriever.search("how is gouty arthritis treated?", k=5)
    gout = [h for h in hits if h.passage.focus == "Gout"]
    assert {h.passage.record_id.split("/")[0] for h in gout} >= {
        "4_MPlus_Health_Topics_QA",
        "7_SeniorHealth_QA",
    }
    assert all(h.named == (h.passage.focus == "Gout") for h in hits)
    assert not any(h.named for h in retriever.search("how do I stay healthy as I age?", k=5))


def test_a_name_of_common_words_is_still_a_name(retriever):
    # "high", "blood", "pressure", "heart" and "attack" are each common in other conditions'
    # answers; the phrases are not, so they name their records.
    generic = retriever.parser.generic
    assert "high blood pressure" not in generic and "heart attack" not in generic
    assert "blood" in generic or "blood" not in retriever.parser.names
    hits = retriever.search("what are the warning signs of a heart attack", k=5)
    assert hits[0].passage.focus == "Heart Attack" and hits[0].named


def test_a_broad_name_names_only_the_records_of_that_name(retriever):
    # "anemia" is in many conditions' answers, so it says little of a topic by itself; a message
    # that names nothing else is about Anemia, not Pernicious or Aplastic Anemia.
    assert "anemia" in retriever.parser.generic
    hits = retriever.search("what are the signs of anemia", k=5)
    assert hits[0].passage.focus == "Anemia" and hits[0].named
    assert all(h.named == (h.passage.focus == "Anemia") for h in hits)
    assert any(h.passage.focus == "Pernicious Anemia" for h in hits)
    # A message that names a specific condition is about that one.
    hits = retriever.search("what causes pernicious anemia", k=3)
    assert hits[0].passage.focus == "Pernicious Anemia" and hits[0].named


def test_passages_with_all_of_some_words(retriever):
    from rag.text import Stems

    bm25, stems = retriever.index.bm25, Stems()
    both = bm25.documents_with({"heart", "attack"})
    assert len(both) and set(both.tolist()) <= set(bm25.documents_with({"heart"}).tolist())
    for i in both[:20]:
        assert {"heart", "attack"} <= stems(bm25.document(retriever.passages[i]))
    assert len(bm25.documents_with({"heart", "zzzzqx"})) == 0


def test_one_condition_key_however_a_source_titles_it():
    from rag.retriever import condition_key

    same = [
        ("What I need to know about Diarrhea", "Diarrhea"),
        ("Tuberculosis (TB)", "Tuberculosis"),
        ("Causes of Diabetes", "Diabetes"),
        ("Kidney Stones in Adults", "Kidney Stones"),
        ("Urinary Tract Infection In Adults", "Urinary Tract Infections"),
        ("Parasites - Lice - Head Lice", "Head Lice"),
        ("Parasites - Scabies", "Scabies"),
    ]
    for title, name in same:
        assert condition_key(title) == condition_key(name), title
    assert condition_key("Diabetes Insipidus") != condition_key("Diabetes")
    assert condition_key("High Blood Pressure in Pregnancy") != condition_key("High Blood Pressure")


def test_search_cli_json_and_errors(small_index, capsys, tmp_path):
    assert (
        search.main(["how do you treat gout", "--index", str(small_index), "--json", "--k", "3"])
        == 0
    )
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and hits[0]["url"].startswith("http") and "cosine" in hits[0]
    assert search.main(["   ", "--index", str(small_index)]) == 2
    assert search.main(["gout", "--index", str(tmp_path / "none")]) == 2
    assert "rag.build_index" in capsys.readouterr().err


def test_best_member_per_record_matches_a_plain_loop():
    from rag.retriever import Retriever

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    texts = rng.normal(size=(8, 3)).astype(np.float32)
    groups = [
        np.array(g, dtype=np.int64)
        for g in ([0, 5, 9], [], [1], [2, 3, 4, 6, 7], list(range(10, 40)))
    ]
    records = np.array([0, 1, 2, 3, 4])
    top, chosen = Retriever._best(groups, records, vectors, texts)
    for r, members in enumerate(groups):
        if not len(members):
            assert top[r] == 0
            continue
        best = (vectors[members] @ texts).max(axis=1)
        assert top[r] == pytest.approx(best.max()) and chosen[r] == members[best.argmax()]


def test_a_record_is_shown_by_its_opening_when_that_is_nearly_as_close(retriever):
    from rag.retriever import RetrievalConfig, Retriever

    question = "What are the complications of shingles?"
    best = Retriever(retriever.index, config=RetrievalConfig(lead_margin=0.0)).search(question)
    lead = Retriever(
        retriever.index, config=RetrievalConfig(lead_margin=1.0, lead_join=False)
    ).search(question)
    # Ranking and the "not in my sources" cosine stay the record's best; only the shown
    # passage moves to the answer's opening.
    assert [h.passage.record_id for h in best] == [h.passage.record_id for h in lead]
    assert [h.cosine for h in best] == [h.cosine for h in lead]
    assert all(h.passage.chunk == 0 for h in lead)
    assert any(h.passage.chunk > 0 for h in best)
    vector = retriever.embed([question])[0]
    for h in best:
        members = [
            i for i, p in enumerate(retriever.passages) if p.record_id == h.passage.record_id
        ]
        cosines = retriever.index.vectors[members] @ vector
        assert h.cosine == pytest.approx(float(cosines.max()), abs=1e-5)
        assert retriever.passages[members[int(cosines.argmax())]] == h.passage


def test_an_opening_shown_in_place_of_the_closest_passage_keeps_that_passage(retriever):
    from rag.retriever import RetrievalConfig, Retriever

    question = "What are the complications of shingles?"
    best = Retriever(retriever.index, config=RetrievalConfig(lead_margin=0.0)).search(question)
    joined = Retriever(retriever.index, config=RetrievalConfig(lead_margin=1.0)).search(question)
    moved = 0
    for b, j in zip(best, joined, strict=True):
        assert (b.passage.record_id, b.cosine) == (j.passage.record_id, j.cosine)
        assert j.passage.chunk == 0
        if b.passage.chunk == 0:
            assert j.passage == b.passage
            continue
        moved += 1
        opening = next(
            p for p in retriever.passages if p.record_id == b.passage.record_id and p.chunk == 0
        )
        assert j.passage.text == opening.text + "\n" + b.passage.text
        assert j.passage.id == opening.id
    assert moved


def test_records_far_below_the_best_give_their_places_to_more_of_it(retriever):
    question = "What are the complications of shingles?"
    plain = retriever.search(question)
    assert plain == retriever.search(question, fill_gap=None)
    assert retriever.search(question, fill_gap=float("inf")) == plain  # nothing is that far below
    filled = retriever.search(question, fill_gap=0.0)
    top = plain[0]
    assert filled[0] == top and len(filled) == len(plain)
    more = filled[1:3]
    assert all(h.passage.record_id == top.passage.record_id for h in more)
    assert len({h.passage.id for h in filled}) == len(filled)
    assert more[0].cosine >= more[1].cosine and top.cosine >= more[0].cosine
    assert filled[3:] == plain[1:-2]  # the rest keep their order; the last two gave way


def test_the_added_passages_can_join_the_best_records_source(retriever):
    question = "What are the complications of shingles?"
    plain = retriever.search(question)
    apart = retriever.search(question, fill_gap=0.0)
    joined = retriever.search(question, fill_gap=0.0, fill_merge=True)
    top = joined[0]
    assert joined[1:] == apart[3:] and len(joined) == len(plain) - 2
    assert top.passage.id == plain[0].passage.id and top.cosine == plain[0].cosine
    parts = sorted([plain[0].passage, apart[1].passage, apart[2].passage], key=lambda p: p.chunk)
    assert top.passage.text == "\n".join(p.text for p in parts)  # in the answer's own order
    assert len(top.passage.units) > len(plain[0].passage.units)


def test_a_retriever_holds_openblas_to_the_threads_it_is_given(retriever):
    """OpenBLAS's idle threads spin after each of a search's tiny products, on the cores the
    next embedding and llama.cpp need (bench/retrieval_threads.py); 0 leaves them alone."""
    from threadpoolctl import ThreadpoolController, threadpool_limits

    from rag.retriever import RetrievalConfig, Retriever

    def blas_threads() -> set[int]:
        return {i["num_threads"] for i in ThreadpoolController().info() if i["user_api"] == "blas"}

    with threadpool_limits(2, user_api="blas"):  # restored after, for the tests that follow
        assert blas_threads() == {2}
        Retriever(retriever.index, config=RetrievalConfig(blas_threads=0))
        assert blas_threads() == {2}
        Retriever(retriever.index, config=RetrievalConfig(blas_threads=1)).search("asthma")
        assert blas_threads() == {1}
