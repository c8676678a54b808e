"""The query sets the retrieval figures come from."""

from __future__ import annotations

from rag.evaluate import CONSUMER_POOLED, CONSUMER_QUERIES, read_queries, score_ranking


def test_pooled_consumer_labels_extend_the_original_ones():
    original, pooled = read_queries(CONSUMER_QUERIES), read_queries(CONSUMER_POOLED)
    assert [q["question"] for q in original] == [q["question"] for q in pooled]
    for before, after in zip(original, pooled, strict=True):
        assert set(before["relevant"]) <= set(after["relevant"])
        answers = {rid for rid, grade in after["judged"].items() if grade == 2}
        assert set(after["relevant"]) == set(before["relevant"]) | answers


def test_score_ranking():
    scores = score_ranking(["a", "b", "c"], {"b", "z"})
    assert scores["hit@1"] == 0 and scores["hit@5"] == 1 and scores["recall@5"] == 0.5
    assert scores["mrr@10"] == 0.5
