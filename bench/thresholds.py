"""The "not in my sources" thresholds: the best passage cosine that separates questions the
sources cover from questions they do not, and the same when the best source is about a
condition the message names (``Hit.named``: "what causes piles?" is far from "Hemorrhoids" in
embedding space). Chosen on dev, reported on test.

    python bench/thresholds.py [--index DIR] [--plot docs/thresholds.png]

In scope: people's messages (``rag/queries/messages.jsonl``, dev and test halves) and short
questions that call a condition by an everyday name (``bench/data/lay_questions.jsonl``: "what
causes piles?", "can you die from lockjaw"; its dev half holds the ones looked at while building
this, its test half was written after). Out of scope: two separate lists of questions MedQuAD
cannot answer (below), each with ten that use a condition's name for something else (roof
shingles, the Great Depression, a swimming stroke). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.pipeline import PipelineConfig, closest_of_first
from rag.evaluate import MESSAGES, read_split
from rag.index import Index, default_index_dir
from rag.retriever import Retriever

LAY_QUESTIONS = Path(__file__).resolve().parent / "data" / "lay_questions.jsonl"
OUT_OF_SCOPE = {
    "dev": [
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
        # Words that name a condition elsewhere: the named bar must decline these too.
        "how do i replace the shingles on my roof",
        "what caused the great depression",
        "how to improve my freestyle swimming stroke",
        "how much memory does my laptop need for video editing",
        "how do I iron a dress shirt without creases",
        "best time of year to visit niagara falls",
        "how to get rid of moles digging up my lawn",
        "what is metal fatigue in airplane wings",
        "how to make a chicken mole sauce from scratch",
        "what is a tropical depression in a weather forecast",
    ],
    "test": [
        "how do i make my sourdough starter more active",
        "what's a good name for a golden retriever puppy",
        "how many calories are in a slice of pepperoni pizza compared to a salad",
        "when does daylight saving time end this year",
        "how do I unclog a kitchen sink without chemicals",
        "which is faster, a cheetah or a greyhound",
        "what should I pack for a week in Iceland in winter",
        "how does a mortgage refinance work",
        "what's the difference between a violin and a viola",
        "how do I get wax out of a carpet",
        "why is the sky blue",
        "can you recommend a book like the hunger games",
        "how do I change a car battery myself",
        "what year did the berlin wall fall",
        "how do solar panels make electricity",
        "best way to learn spanish quickly",
        "how do I stop my cat scratching the sofa",
        "how to make cold brew coffee at home",
        "is it going to rain in seattle this weekend",
        "how do I set up a budget spreadsheet",
        "what does a product manager do",
        "how long does paint take to dry before a second coat",
        "how do you play texas hold em",
        "what's the population of canada",
        "how do I replace a bike chain",
        "explain how a bill becomes a law",
        "what are good houseplants for low light",
        "how to write a haiku",
        "how do noise cancelling headphones work",
        "what's the best route from boston to new york by train",
        "how many shingles do i need for a 20 by 30 foot roof",
        "how much ram does a gaming pc need",
        "how do i season a cast iron skillet",
        "what causes an earth tremor",
        "how much salt to put on an icy driveway",
        "what is a bank stress test",
        "how do I fix a hiccup in my wifi connection",
        "how to paddle a canoe with a j stroke",
        "what are the scars on the moon made by",
        "how do I treat a leather couch so it does not crack",
    ],
}


def best_hits(
    retriever: Retriever, rows: list[dict], depth: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The best cosine among each message's first ``depth`` sources, and whether that source
    is about the condition the message names (as ``Pipeline.covered`` decides)."""
    best = [
        closest_of_first(retriever.search(r["question"], k=depth, history=r.get("history")), depth)
        for r in rows
    ]
    return np.array([h.cosine for h in best]), np.array([h.named for h in best], bool)


def balanced_accuracy(inside: np.ndarray, outside: np.ndarray, t: float) -> float:
    covered = (inside >= t).mean() if len(inside) else 1.0
    declined = (outside < t).mean() if len(outside) else 1.0
    return float((covered + declined) / 2)


def choose(inside: np.ndarray, outside: np.ndarray) -> float:
    """The cut maximising balanced accuracy; among ties, the lowest (answer more, not less)."""
    grid = np.round(np.arange(0.1, 0.8, 0.01), 2)
    return float(max(grid, key=lambda t: (balanced_accuracy(inside, outside, t), -t)))


def report(inside, outside, t: float) -> dict:
    return {
        "in_scope": len(inside),
        "out_of_scope": len(outside),
        "in_scope_answered": round(float((inside >= t).mean()), 4) if len(inside) else None,
        "out_of_scope_declined": round(float((outside < t).mean()), 4) if len(outside) else None,
        "balanced_accuracy": round(balanced_accuracy(inside, outside, t), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=default_index_dir())
    ap.add_argument("--plot", type=Path, default=None)
    ap.add_argument(
        "--depth",
        type=int,
        default=PipelineConfig.coverage_depth,
        help="how many first sources the best cosine is taken over (the app's coverage_depth)",
    )
    args = ap.parse_args()
    retriever = Retriever(Index.open(args.index))
    lay_rows = [json.loads(line) for line in LAY_QUESTIONS.read_text().splitlines() if line]
    scores, named, unnamed, general, flags, lay = {}, {}, {}, {}, {}, {}
    for split in ("dev", "test"):
        lay_split = [r for r in lay_rows if r["split"] == split]
        lay[split] = best_hits(retriever, lay_split, args.depth)
        messages = best_hits(retriever, read_split(MESSAGES, split), args.depth)
        inside, inside_named = (
            np.concatenate(pair) for pair in zip(messages, lay[split], strict=True)
        )
        outside, outside_named = best_hits(
            retriever, [{"question": q} for q in OUT_OF_SCOPE[split]], args.depth
        )
        scores[split] = (inside, outside)
        named[split] = (inside[inside_named], outside[outside_named])
        # The everyday-name questions are there for the named bar; the general bar is chosen
        # on people's messages as before. Unnamed, an everyday-name question is mostly a
        # retrieval miss ("how do you get rid of the runs" finds osteoporosis), not an answer.
        unnamed[split] = (messages[0][~messages[1]], outside[~outside_named])
        general[split] = (messages[0], outside)
        flags[split] = (inside_named, outside_named)
    chosen = choose(*general["dev"])
    chosen_named = choose(*named["dev"])
    result = {"min_cosine": chosen, "min_cosine_named": chosen_named}
    for split in scores:
        # Both thresholds as the app applies them: each message by whether its best source
        # is named. Expressed as a margin over its own threshold, with the cut at 0.
        margins = [
            np.where(f, s - chosen_named, s - chosen)
            for s, f in zip(scores[split], flags[split], strict=True)
        ]
        lay_scores, lay_named = lay[split]
        lay_margins = np.where(lay_named, lay_scores - chosen_named, lay_scores - chosen)
        result[split] = {
            "both thresholds (the app)": report(*margins, 0.0),
            "people's messages, one threshold": report(*general[split], chosen),
            "best source named": report(*named[split], chosen_named),
            "best source not named": report(*unnamed[split], chosen),
            "everyday names, both thresholds": report(lay_margins, np.zeros(0), 0.0),
            "everyday names, one threshold": report(lay_scores, np.zeros(0), chosen),
        }
    print(json.dumps(result, indent=2))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, (split, (inside, outside)) in zip(axes, scores.items(), strict=True):
            ax.hist(inside, bins=20, alpha=0.6, label="in scope (people's messages)")
            ax.hist(outside, bins=20, alpha=0.6, label="out of scope")
            ax.axvline(chosen, color="k", linestyle="--", label=f"threshold {chosen}")
            ax.set_title(f"best passage cosine, {split}")
            ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
