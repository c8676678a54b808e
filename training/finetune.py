"""Fine-tune a causal LM on MedQuAD examples: ``python -m training.finetune --help``.

LoRA (peft) by default, full fine-tuning or QLoRA as options, on transformers' Trainer: cosine
schedule with warm-up, weight decay, gradient accumulation, bf16 on a GPU, periodic eval loss,
checkpoints and ``--resume``. Loss is on answer tokens only. Writes ``metrics.csv``,
``loss.png`` and the final adapter (or model) with a tokenizer whose chat template matches
what the app renders. Multi-GPU: ``accelerate launch -m training.finetune ...``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.data import read_split

# Chat templates for bases that ship none; both render exactly what app/chat_format.py renders.
PLAIN_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'assistant' %}Answer: {{ m['content'] }}"
    "{{ eos_token }}{% else %}{{ m['content'] }}{% if not loop.last %}\n\n{% endif %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}\n\nAnswer:{% endif %}"
)
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% set system = namespace(text='') %}"
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% set system.text = system.text + m['content'] + '\n\n' %}{% endif %}{% endfor %}"
    "{% set first = namespace(done=false) %}"
    "{% for m in messages %}{% if m['role'] != 'system' %}"
    "{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "<start_of_turn>{{ role }}\n{% if role == 'user' and not first.done %}{{ system.text }}"
    "{% set first.done = true %}{% endif %}{{ m['content'] }}<end_of_turn>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@dataclass
class FinetuneConfig:
    base: str = "google/gemma-3-270m"  # hub id, local HF folder, or a .gguf file
    data: Path = field(default_factory=lambda: Path("runs/data"))  # training.data output
    out: Path = field(default_factory=lambda: Path("runs/finetune"))  # checkpoints and results
    format: str = "grounded"  # "grounded" (the app's prompt) or "plain"
    method: str = "lora"  # "lora", "qlora" (CUDA + bitsandbytes) or "full"
    rank: int = 16  # LoRA rank
    alpha: int = 32  # LoRA alpha (scale = alpha / rank)
    dropout: float = 0.05  # LoRA dropout
    target_modules: str = "all-linear"  # peft target modules, comma-separated or "all-linear"
    freeze_layers: int = 0  # leave the lower N transformer blocks untouched
    epochs: float = 1.0  # passes over the training split
    max_steps: int = -1  # stop after N optimizer steps (-1: use epochs)
    lr: float = 2e-4  # peak learning rate (LoRA); use ~2e-5 for full fine-tuning
    batch_size: int = 8  # examples per device per step
    grad_accum: int = 2  # gradient accumulation steps
    warmup: float = 0.03  # warm-up, as a fraction of steps (<1) or a step count
    weight_decay: float = 0.01
    max_length: int = 1024  # tokens per example; answers are cut at a sentence boundary
    eval_steps: int = 200  # eval loss every N steps
    save_steps: int = 200  # checkpoint every N steps
    limit: int = 0  # use only N training examples (0 = all)
    seed: int = 0
    resume: bool = False  # continue from the last checkpoint in --out


class FinetuneError(RuntimeError):
    pass


def load_base(base: str, method: str = "lora"):
    """Tokenizer and model from a hub id, a local folder or a GGUF file (dequantised)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict = {}
    source = base
    if base.endswith(".gguf"):
        path = Path(base)
        if not path.exists():
            raise FinetuneError(f"base GGUF not found: {base}")
        source, kwargs["gguf_file"] = str(path.parent), path.name
    if method == "qlora":
        import torch

        if not torch.cuda.is_available():
            raise FinetuneError("--method qlora needs a CUDA GPU and bitsandbytes")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            source, **{k: v for k, v in kwargs.items() if k == "gguf_file"}
        )
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise FinetuneError(f"could not load base model {base!r}: {first}") from exc
    if "gguf_file" in kwargs:
        # transformers dequantizes GGUF weights on load, yet still flags the model as quantized,
        # which Trainer refuses: what is left is an ordinary float model.
        model.hf_quantizer = None
        model.is_quantized = False
        model.config.__dict__.pop("quantization_config", None)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    ensure_chat_template(tokenizer, model.config.model_type)
    return tokenizer, model


def ensure_chat_template(tokenizer, model_type: str) -> None:
    if getattr(tokenizer, "chat_template", None):
        return
    if model_type.startswith("gemma"):
        tokenizer.chat_template = GEMMA_TEMPLATE
    elif model_type == "gpt2":
        tokenizer.chat_template = PLAIN_TEMPLATE
    else:
        raise FinetuneError(f"{model_type} has no chat template and no known format")


def encode(example: dict, fmt: str, tokenizer, max_length: int) -> dict | None:
    """Prompt tokens masked out of the loss. To fit ``max_length``, distractor passages go
    first (as in the app), then the answer is cut at sentence ends; never the question."""
    from rag.chunking import split_sentences
    from training.data import prompt_variants

    lead = " " if tokenizer.chat_template == PLAIN_TEMPLATE else ""
    for messages, answer in prompt_variants(example, fmt):
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if len(prompt_ids) >= max_length - 8:
            continue  # not even a short answer fits: drop another passage
        sentences = split_sentences(answer)
        while sentences:
            answer_ids = tokenizer(lead + " ".join(sentences), add_special_tokens=False)[
                "input_ids"
            ]
            answer_ids = [*answer_ids, tokenizer.eos_token_id]
            if len(prompt_ids) + len(answer_ids) <= max_length:
                return {
                    "input_ids": prompt_ids + answer_ids,
                    "attention_mask": [1] * (len(prompt_ids) + len(answer_ids)),
                    "labels": [-100] * len(prompt_ids) + answer_ids,
                }
            sentences.pop()
    return None  # the question with the gold passage alone does not fit


def make_dataset(examples: list[dict], cfg: FinetuneConfig, tokenizer):
    from datasets import Dataset

    rows = [r for ex in examples if (r := encode(ex, cfg.format, tokenizer, cfg.max_length))]
    if not rows:
        raise FinetuneError("no example fits --max-length; raise it or use --format plain")
    return Dataset.from_list(rows)


def apply_method(model, cfg: FinetuneConfig):
    n_layers = model.config.num_hidden_layers  # GPT2Config maps it to n_layer
    if cfg.method == "full":
        for name, param in model.named_parameters():
            block = _block_index(name)
            param.requires_grad = block is None or block >= cfg.freeze_layers
        return model
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if cfg.method == "qlora":
        model = prepare_model_for_kbit_training(model)
    targets = (
        cfg.target_modules if cfg.target_modules == "all-linear" else cfg.target_modules.split(",")
    )
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
        layers_to_transform=list(range(cfg.freeze_layers, n_layers)) if cfg.freeze_layers else None,
    )
    return get_peft_model(model, lora)


def _block_index(name: str) -> int | None:
    parts = name.split(".")
    for i, part in enumerate(parts[:-1]):
        if part in {"h", "layers"} and parts[i + 1].isdigit():
            return int(parts[i + 1])
    return None


def write_metrics(log_history: list[dict], out: Path) -> None:
    """metrics.csv (one row per logged step) and loss.png (train and eval loss)."""
    keys = sorted({k for row in log_history for k in row})
    with open(out / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(log_history)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in [("loss", "train loss"), ("eval_loss", "eval loss")]:
        points = [(r["step"], r[key]) for r in log_history if key in r]
        if points:
            ax.plot(
                *zip(*points, strict=True), marker="o" if key == "eval_loss" else None, label=label
            )
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=110)
    plt.close(fig)


def train(cfg: FinetuneConfig) -> dict:
    import torch
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    if cfg.format not in {"plain", "grounded"}:
        raise FinetuneError(f"unknown --format {cfg.format!r}: plain or grounded")
    try:
        train_examples = read_split(cfg.data, "train")
        val_examples = read_split(cfg.data, "val")
    except FileNotFoundError as exc:
        raise FinetuneError(str(exc)) from exc
    if cfg.limit:
        train_examples = train_examples[: cfg.limit]
    tokenizer, model = load_base(cfg.base, cfg.method)
    model = apply_method(model, cfg)
    train_ds = make_dataset(train_examples, cfg, tokenizer)
    val_ds = make_dataset(val_examples, cfg, tokenizer)
    cfg.out.mkdir(parents=True, exist_ok=True)
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    args = TrainingArguments(
        output_dir=str(cfg.out),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        learning_rate=cfg.lr,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        lr_scheduler_type="cosine",
        warmup_steps=cfg.warmup,
        weight_decay=cfg.weight_decay,
        eval_strategy="steps",
        eval_steps=cfg.eval_steps,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=2,
        logging_steps=max(1, min(cfg.eval_steps, 10)),
        bf16=bf16,
        report_to=[],
        seed=cfg.seed,
        use_cpu=not torch.cuda.is_available(),
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
    )
    has_checkpoint = any(cfg.out.glob("checkpoint-*"))
    if cfg.resume and not has_checkpoint:
        raise FinetuneError(f"--resume: no checkpoint in {cfg.out}")
    result = trainer.train(resume_from_checkpoint=True if cfg.resume else None)
    final_eval = trainer.evaluate()
    trainer.log(final_eval)
    final = cfg.out / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    adapter_cfg = final / "adapter_config.json"
    if adapter_cfg.exists():
        # peft records the folder for a GGUF base; export and evaluate need the file itself.
        meta = json.loads(adapter_cfg.read_text())
        meta["base_model_name_or_path"] = cfg.base
        adapter_cfg.write_text(json.dumps(meta, indent=2) + "\n")
    write_metrics(trainer.state.log_history, cfg.out)
    summary = {
        "base": cfg.base,
        "method": cfg.method,
        "format": cfg.format,
        "train_examples": len(train_ds),
        "val_examples": len(val_ds),
        "steps": trainer.state.global_step,
        "train_loss": round(result.training_loss, 4),
        "eval_loss": round(final_eval["eval_loss"], 4),
        "train_tokens_per_s": round(
            sum(len(x) for x in train_ds["input_ids"])
            * cfg.epochs
            / max(result.metrics["train_runtime"], 1e-9),
            1,
        )
        if cfg.max_steps < 0
        else None,
        "train_seconds": round(result.metrics["train_runtime"], 1),
        "gpu_max_memory_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2)
        if torch.cuda.is_available()
        else None,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
    }
    (cfg.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def parse_args(argv: list[str] | None = None) -> FinetuneConfig:
    d = FinetuneConfig()
    p = argparse.ArgumentParser(
        prog="python -m training.finetune", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--base", default=d.base, help="hub id (gpt2-medium, google/gemma-3-270m), folder or .gguf"
    )
    p.add_argument("--data", type=Path, default=d.data, help="training.data output folder")
    p.add_argument("--out", type=Path, default=d.out, help="output folder")
    p.add_argument("--format", choices=["grounded", "plain"], default=d.format)
    p.add_argument("--method", choices=["lora", "qlora", "full"], default=d.method)
    p.add_argument("--rank", type=int, default=d.rank)
    p.add_argument("--alpha", type=int, default=d.alpha)
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--target-modules", default=d.target_modules)
    p.add_argument(
        "--freeze-layers", type=int, default=d.freeze_layers, help="freeze the lower N blocks"
    )
    p.add_argument("--epochs", type=float, default=d.epochs)
    p.add_argument("--max-steps", type=int, default=d.max_steps)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--grad-accum", type=int, default=d.grad_accum)
    p.add_argument("--warmup", type=float, default=d.warmup, help="fraction (<1) or steps")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--max-length", type=int, default=d.max_length)
    p.add_argument("--eval-steps", type=int, default=d.eval_steps)
    p.add_argument("--save-steps", type=int, default=d.save_steps)
    p.add_argument("--limit", type=int, default=d.limit, help="use only N training examples")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    return FinetuneConfig(**{k.replace("-", "_"): v for k, v in vars(p.parse_args(argv)).items()})


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cfg = parse_args(argv)
    try:
        summary = train(cfg)
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
