"""Evaluate a fine-tune against its base: ``python -m training.evaluate --help``.

On held-out examples (foci never trained on), before and after fine-tuning:

* perplexity of the reference answers (plain format);
* grounded format (greedy, no grammar, so a model that breaks the format is seen doing it):
  the share of replies in the format, the precision of the chosen units (share from a passage
  that answers), abstention accuracy on examples with no answering passage, and ROUGE-L of the
  rendered answer against the reference;
* free format: citation precision, the share of cited [n] that point at an answering passage
  (a reply citing [1] to [5] scores 1/5 when one of them answers, not 1.0).

Writes ``report.md``, ``report.json`` and ``evaluation.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from tqdm.auto import tqdm

from rag.prompt import NONE_LABEL, parse_choices, render_choices
from training.data import example_candidates, example_turns, read_split
from training.finetune import FinetuneError, encode, end_of_turn, load_base

CITATION = re.compile(r"\[(\d+)\]")
METRICS = [
    ("perplexity of grounded targets (lower is better)", "perplexity"),
    ("perplexity of NIH answers, no sources (lower is better)", "perplexity_answers"),
    ("grounded: replies in the format", "format_rate"),
    ("grounded: chosen units from an answering passage", "choice_precision"),
    ("grounded: says [none] when nothing answers", "abstention_accuracy"),
    ("grounded: ROUGE-L of the answer", "rougeL_grounded"),
    ("free: citation precision", "citation_precision"),
]


def perplexity(model, tokenizer, examples: list[dict], max_length: int, fmt: str) -> float:
    """exp(mean negative log-likelihood of the target tokens of ``fmt``, prompts excluded):
    "grounded" scores the unit numbers the model is trained to choose, "plain" the NIH
    reference answers asked without sources."""
    import torch

    closing = end_of_turn(tokenizer)
    total_nll, total_tokens = 0.0, 0
    device = next(model.parameters()).device
    for ex in tqdm(examples, desc="perplexity", leave=False):
        row = encode(ex, fmt, tokenizer, max_length, closing)
        if row is None:
            continue
        ids = torch.tensor([row["input_ids"]], device=device)
        labels = torch.tensor([row["labels"]], device=device)
        with torch.no_grad():
            out = model(input_ids=ids, labels=labels)
        n = int((labels[:, 1:] != -100).sum())
        total_nll += float(out.loss) * n
        total_tokens += n
    return math.exp(total_nll / max(total_tokens, 1))


def generate(model, tokenizer, messages: list[dict], max_length: int, max_new_tokens: int) -> str:
    """Greedy reply to chat messages (prompt cut from the left if it would not fit)."""
    import torch

    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    ids = ids[:, -(max_length - max_new_tokens) :].to(next(model.parameters()).device)
    with torch.no_grad():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def score_model(
    model, tokenizer, examples: list[dict], max_length: int, max_new_tokens: int
) -> dict:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    formatted, precision, abstained, rouge, cited = [], [], [], [], []
    for ex in tqdm(examples, desc="generating", leave=False):
        gold = set(ex["gold_sources"])
        messages, _ = example_turns(ex, "grounded")
        reply = generate(model, tokenizer, messages, max_length, max_new_tokens)
        chosen = parse_choices(reply, example_candidates(ex))
        formatted.append(float(chosen is not None or reply.strip() == NONE_LABEL))
        if ex["no_answer"]:
            abstained.append(float(reply.strip() == NONE_LABEL))
        else:
            precision.append(sum(c.source in gold for c in chosen) / len(chosen) if chosen else 0.0)
            text = CITATION.sub("", render_choices(chosen))
            rouge.append(scorer.score(ex["answer"], text)["rougeL"].fmeasure)
            messages, _ = example_turns(ex, "free")
            numbers = {
                int(n)
                for n in CITATION.findall(
                    generate(model, tokenizer, messages, max_length, max_new_tokens)
                )
            }
            cited.append(len(numbers & gold) / len(numbers) if numbers else 0.0)
    return {
        "perplexity": round(perplexity(model, tokenizer, examples, max_length, "grounded"), 3),
        "perplexity_answers": round(perplexity(model, tokenizer, examples, max_length, "plain"), 3),
        "format_rate": _mean(formatted),
        "choice_precision": _mean(precision),
        "abstention_accuracy": _mean(abstained),
        "rougeL_grounded": _mean(rouge),
        "citation_precision": _mean(cited),
    }


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# MedGround fine-tune evaluation",
        "",
        f"Base `{report['base']}`, fine-tuned `{report['model']}`, {report['examples']} held-out "
        "examples (foci never seen in training).",
        "",
        "| metric | before | after |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {label} | {report['before'][key]} | {report['after'][key]} |" for label, key in METRICS
    ]
    lines += ["", "![evaluation](evaluation.png)", ""]
    (out / "report.md").write_text("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.5))
    for ax, (label, key) in zip(axes, METRICS, strict=True):
        values = [report["before"][key] or 0.0, report["after"][key] or 0.0]
        ax.bar(["before", "after"], values, color=["#9ca3af", "#2563eb"])
        ax.set_title(label, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "evaluation.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__.split("\n")[0]
    )
    p.add_argument("--model", type=Path, required=True, help="finetune output (adapter or model)")
    p.add_argument("--base", help="base model (default: the adapter's base)")
    p.add_argument("--data", type=Path, default=Path("runs/data"), help="training.data folder")
    p.add_argument("--split", default="test", choices=["val", "test"], help="held-out split")
    p.add_argument("--out", type=Path, default=Path("runs/eval"), help="report folder")
    p.add_argument("--limit", type=int, default=100, help="examples to use")
    p.add_argument("--max-length", type=int, default=1024, help="tokens per prompt and reply")
    p.add_argument("--max-new-tokens", type=int, default=64, help="reply length")
    args = p.parse_args(argv)
    from training.export_gguf import ExportError, load_model

    try:
        examples = read_split(args.data, args.split)[: args.limit]
        tokenizer, tuned = load_model(args.model, args.base)
        adapter_cfg = args.model / "adapter_config.json"
        base = args.base or (
            json.loads(adapter_cfg.read_text())["base_model_name_or_path"]
            if adapter_cfg.exists()
            else None
        )
        if base is None:
            raise FinetuneError("--base is required for a fully fine-tuned model")
        _, before = load_base(base)
    except (FinetuneError, ExportError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import torch

    # Greedy generation over a few hundred prompts is minutes on a GPU and hours on a laptop CPU.
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tuned, before = tuned.to(device), before.to(device)
    report = {
        "base": base,
        "model": str(args.model),
        "examples": len(examples),
        "before": score_model(
            before.eval(), tokenizer, examples, args.max_length, args.max_new_tokens
        ),
        "after": score_model(tuned, tokenizer, examples, args.max_length, args.max_new_tokens),
    }
    write_report(report, args.out)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
