"""Measure the two thresholds the app relies on, on MedQuAD, and print JSON (+ a PNG).

1. Grounding: does a sentence follow from a passage? Positives are sentences of the passage with
   a third of their words dropped (a crude paraphrase); negatives are sentences from another
   answer about the same focus (on topic, not supported) and from a random answer. Reports the
   ROC AUC of embedding cosine, word overlap and their combination, and the best thresholds.
2. Coverage: the best retrieval similarity of in-scope questions (the consumer set) against
   out-of-scope ones (below), and the threshold that separates them best.

    python bench/thresholds.py [--index DIR] [--pairs 600] [--plot thresholds.png]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.grounding import GroundingConfig, overlap, support_score
from rag.chunking import split_sentences
from rag.evaluate import CONSUMER_QUERIES, read_queries
from rag.retriever import Retriever, default_index_dir

OUT_OF_SCOPE = [
    "who won the football world cup in 1998",
    "how do I bake sourdough bread",
    "what is the capital of australia",
    "best laptop for programming under 1000 dollars",
    "how to fix a flat bicycle tire",
    "what time is it in tokyo",
    "write me a poem about the sea",
    "how do I file my taxes online",
    "what is the plot of hamlet",
    "how many planets are in the solar system",
    "recommend a good sci-fi movie",
    "how to change the oil in my car",
    "what's the weather tomorrow",
    "translate hello into french",
    "how do i invest in index funds",
    "what is the speed of light",
    "how to train my dog to sit",
    "who painted the mona lisa",
    "how do I reset my router password",
    "what is bitcoin",
    "how to grow tomatoes on a balcony",
    "what are the rules of chess",
    "how to write a cover letter",
    "which programming language should I learn first",
    "how long to boil an egg",
    "what is the tallest building in the world",
    "how do airplanes fly",
    "tips for a job interview",
    "how do I remove a wine stain",
    "what is quantum computing",
]


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative."""
    scores = np.concatenate([pos, neg])
    ranks = scores.argsort().argsort() + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def best_threshold(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """The cut maximising balanced accuracy, and that accuracy."""
    best = (0.0, 0.0)
    for t in np.unique(np.concatenate([pos, neg])):
        acc = ((pos >= t).mean() + (neg < t).mean()) / 2
        if acc > best[1]:
            best = (float(t), float(acc))
    return best


def drop_words(sentence: str, rng: random.Random, fraction: float = 0.33) -> str:
    words = sentence.split()
    keep = [w for w in words if rng.random() > fraction]
    return " ".join(keep or words)


def sentence_pairs(retriever: Retriever, n: int, rng: random.Random):
    by_focus = defaultdict(list)
    for p in retriever.passages:
        by_focus[p.focus].append(p)
    candidates = [p for p in retriever.passages if len(split_sentences(p.text)) >= 2]
    rows = []  # (sentence, passage text, label)
    for p in rng.sample(candidates, min(n, len(candidates))):
        sentence = rng.choice(
            [s for s in split_sentences(p.text) if len(s.split()) >= 6] or [p.text]
        )
        rows.append((drop_words(sentence, rng), p.text, 1))
        same_focus = [q for q in by_focus[p.focus] if q.record_id != p.record_id]
        other = rng.choice(same_focus or retriever.passages)
        rows.append((rng.choice(split_sentences(other.text)), p.text, 0))
        rows.append((rng.choice(split_sentences(rng.choice(retriever.passages).text)), p.text, 0))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=default_index_dir())
    ap.add_argument("--pairs", type=int, default=600)
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    rng = random.Random(0)
    retriever = Retriever(args.index)

    rows = sentence_pairs(retriever, args.pairs, rng)
    sentences = [r[0] for r in rows]
    labels = np.array([r[2] for r in rows])
    pieces, owner = [], []
    for i, (_, passage, _) in enumerate(rows):
        for s in split_sentences(passage):
            pieces.append(s)
            owner.append(i)
    sv = retriever.embed(sentences)
    pv = retriever.embed(pieces)
    cosine = np.full(len(rows), -1.0)
    for j, i in enumerate(owner):
        cosine[i] = max(cosine[i], float(sv[i] @ pv[j]))
    lexical = np.array([overlap(s, p) for s, p, _ in rows])
    grounding = {}
    for name, score in [("cosine", cosine), ("overlap", lexical)]:
        t, acc = best_threshold(score[labels == 1], score[labels == 0])
        grounding[name] = {
            "auc": round(auc(score[labels == 1], score[labels == 0]), 4),
            "threshold": round(t, 3),
            "balanced_accuracy": round(acc, 4),
        }
    # The app's rule, at the app's thresholds.
    combined = support_score(cosine, lexical, GroundingConfig())
    grounding["app_rule"] = {
        "auc": round(auc(combined[labels == 1], combined[labels == 0]), 4),
        "balanced_accuracy_at_1": round(
            ((combined[labels == 1] >= 1).mean() + (combined[labels == 0] < 1).mean()) / 2, 4
        ),
        "same_focus_negatives_flagged": round(float((combined[1::3] < 1).mean()), 4),
        "random_negatives_flagged": round(float((combined[2::3] < 1).mean()), 4),
        "supported_kept": round(float((combined[labels == 1] >= 1).mean()), 4),
    }

    in_scope = [q["question"] for q in read_queries(CONSUMER_QUERIES)]
    best_in = np.array([h[0].similarity for h in retriever.search_many(in_scope, k=1)])
    best_out = np.array([h[0].similarity for h in retriever.search_many(OUT_OF_SCOPE, k=1)])
    t, acc = best_threshold(best_in, best_out)
    coverage = {
        "in_scope": len(in_scope),
        "out_of_scope": len(OUT_OF_SCOPE),
        "in_scope_min": round(float(best_in.min()), 3),
        "out_of_scope_max": round(float(best_out.max()), 3),
        "threshold": round(t, 3),
        "balanced_accuracy": round(acc, 4),
    }
    print(json.dumps({"pairs": len(rows), "grounding": grounding, "coverage": coverage}, indent=2))

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        for ax, (name, score) in zip(
            axes[:2], [("sentence cosine", cosine), ("word overlap", lexical)], strict=True
        ):
            ax.hist(score[labels == 1], bins=30, alpha=0.6, label="supported")
            ax.hist(score[labels == 0], bins=30, alpha=0.6, label="not supported")
            ax.set_title(name)
            ax.legend()
        axes[2].hist(best_in, bins=20, alpha=0.6, label="in scope (consumer set)")
        axes[2].hist(best_out, bins=20, alpha=0.6, label="out of scope")
        axes[2].axvline(t, color="k", linestyle="--")
        axes[2].set_title("best retrieval similarity")
        axes[2].legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
