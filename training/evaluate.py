"""Evaluate a fine-tune against its base: ``python -m training.evaluate --help``.

On the test split: perplexity of the reference answers (before and after fine-tuning), ROUGE-L
of greedy answers against the references with and without the retrieved passages, and the
citation rate (grounded answers whose [n] include the gold passage). Writes ``report.md``,
``report.json`` and ``evaluation.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from tqdm.auto import tqdm

from training.data import read_split
from training.finetune import FinetuneError, encode, load_base

CITATION = re.compile(r"\[(\d+)\]")


def perplexity(model, tokenizer, examples: list[dict], fmt: str, max_length: int) -> float:
    """exp(mean negative log-likelihood of answer tokens), prompts excluded."""
    import torch

    total_nll, total_tokens = 0.0, 0
    device = next(model.parameters()).device
    for ex in tqdm(examples, desc=f"perplexity ({fmt})", leave=False):
        row = encode(ex, fmt, tokenizer, max_length)
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


def generate(
    model, tokenizer, example: dict, fmt: str, max_length: int, max_new_tokens: int
) -> str:
    """Greedy answer; distractor passages are dropped until prompt and answer fit."""
    import torch

    from training.data import prompt_variants

    for messages, _ in prompt_variants(example, fmt):
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
        if ids["input_ids"].shape[1] + max_new_tokens <= max_length:
            break
    ids = ids.to(next(model.parameters()).device)
    with torch.no_grad():
        out = model.generate(
            **ids,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()


def score_model(
    model, tokenizer, examples: list[dict], max_length: int, max_new_tokens: int
) -> dict:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    result = {"perplexity": round(perplexity(model, tokenizer, examples, "plain", max_length), 3)}
    rouge = {"plain": [], "grounded": []}
    cited = 0
    for ex in tqdm(examples, desc="generating", leave=False):
        for fmt in ("plain", "grounded"):
            answer = generate(model, tokenizer, ex, fmt, max_length, max_new_tokens)
            rouge[fmt].append(
                scorer.score(ex["answer"], CITATION.sub("", answer))["rougeL"].fmeasure
            )
            if fmt == "grounded" and str(ex["gold"]) in CITATION.findall(
                answer
            ):  # gold kept its number
                cited += 1
    result["rougeL_without_passages"] = round(sum(rouge["plain"]) / len(examples), 4)
    result["rougeL_with_passages"] = round(sum(rouge["grounded"]) / len(examples), 4)
    result["citation_rate"] = round(cited / len(examples), 4)
    return result


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = [
        ("perplexity of reference answers (lower is better)", "perplexity"),
        ("ROUGE-L without passages", "rougeL_without_passages"),
        ("ROUGE-L with retrieved passages", "rougeL_with_passages"),
        ("citation rate (gold passage cited)", "citation_rate"),
    ]
    lines = [
        "# MedGround fine-tune evaluation",
        "",
        f"Base `{report['base']}`, fine-tuned `{report['model']}`, {report['examples']} test examples "
        "(foci never seen in training).",
        "",
        "| metric | before | after |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {label} | {report['before'][key]} | {report['after'][key]} |" for label, key in rows
    ]
    lines += ["", "![evaluation](evaluation.png)", ""]
    (out / "report.md").write_text("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rows), figsize=(4 * len(rows), 3.5))
    for ax, (label, key) in zip(axes, rows, strict=True):
        ax.bar(
            ["before", "after"],
            [report["before"][key], report["after"][key]],
            color=["#9ca3af", "#2563eb"],
        )
        ax.set_title(label, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "evaluation.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--model", type=Path, required=True, help="finetune output (adapter or full model)"
    )
    p.add_argument("--base", help="base model (default: the adapter's base)")
    p.add_argument(
        "--data", type=Path, default=Path("runs/data"), help="training.data output folder"
    )
    p.add_argument("--out", type=Path, default=Path("runs/eval"), help="report folder")
    p.add_argument("--limit", type=int, default=100, help="test examples to use")
    p.add_argument("--max-length", type=int, default=1024)
    p.add_argument("--max-new-tokens", type=int, default=128)
    args = p.parse_args(argv)
    from training.export_gguf import ExportError, load_model

    try:
        examples = read_split(args.data, "test")[: args.limit]
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
