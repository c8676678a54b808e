"""Fine-tune a causal LM on MedGround examples: ``python -m training.finetune --help``.

LoRA (peft) by default, full fine-tuning or QLoRA as options, on transformers' Trainer: cosine
schedule with warm-up, weight decay, gradient accumulation, bf16 on a GPU, eval loss on a small
fixed validation subset, checkpoints and ``--resume``. The loss covers answer tokens only, and
by default the output layer runs only at those positions (Gemma's 262k-token output layer is
most of the compute otherwise). Writes ``metrics.csv``, ``loss.png``, ``summary.json`` and the
final adapter (or model) with a tokenizer whose chat template is the one the app renders
(``rag.architectures``). Multi-GPU: ``accelerate launch -m training.finetune ...``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.architectures import UnknownArchitecture, by_model_type
from rag.cli import add_config_args, config_from_args
from training.data import FORMATS, example_turns, read_split


@dataclass
class FinetuneConfig:
    base: str = "google/gemma-3-270m"  # hub id (gpt2-medium, google/gemma-3-270m), folder or .gguf
    data: Path = field(default_factory=lambda: Path("runs/data"))  # training.data output
    out: Path = field(default_factory=lambda: Path("runs/finetune"))  # checkpoints and results
    # see training.data; "mixed": grounded, with every fifth example in the free format
    format: str = field(default="grounded", metadata={"choices": (*FORMATS, "mixed")})
    method: str = field(
        default="lora", metadata={"choices": ("lora", "qlora", "full")}
    )  # qlora: CUDA + bitsandbytes
    rank: int = 8  # LoRA rank (8 keeps an all-linear Gemma 3 270M adapter under 10 MB)
    alpha: int = 16  # LoRA alpha (scale = alpha / rank)
    dropout: float = 0.05  # LoRA dropout
    target_modules: str = "all-linear"  # peft target modules, comma-separated or "all-linear"
    freeze_layers: int = 0  # leave the lower N transformer blocks untouched
    epochs: float = 1.0  # passes over the training split
    max_steps: int = -1  # stop after N optimizer steps (-1: use epochs)
    lr: float = 2e-4  # peak learning rate (LoRA); use ~2e-5 for full fine-tuning
    batch_size: int = 8  # examples per device per step
    grad_accum: int = 2  # gradient accumulation steps
    warmup: float = 0.03  # warm-up, as a fraction of steps (<1) or a step count
    weight_decay: float = 0.01  # AdamW weight decay
    max_length: int = 1024  # tokens per example; longer answers are cut at a sentence end
    answer_logits_only: bool = True  # run the output layer only where the loss is counted
    group_by_length: bool = True  # batch examples of similar length (less padding)
    eval_examples: int = 64  # validation examples scored at each evaluation (0 = all)
    eval_steps: int = 200  # eval loss every N steps
    save_steps: int = 200  # checkpoint every N steps
    logging_steps: int = 10  # log the training loss every N steps
    limit: int = 0  # use only N training examples (0 = all)
    seed: int = 0  # data order and initialisation
    resume: bool = False  # continue from the last checkpoint in --out
    report_to: str = field(
        default="none", metadata={"choices": ("none", "tensorboard", "wandb")}
    )  # experiment tracking (wandb: WANDB_MODE=offline works without an account)
    threads: int = 0  # CPU threads for torch (0 = its default)


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
    ensure_template(tokenizer, model)
    return tokenizer, model


def ensure_template(tokenizer, model) -> None:
    """A pad token, and the architecture's chat template when the checkpoint has none."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        try:
            tokenizer.chat_template = by_model_type(model.config.model_type).chat_template
        except UnknownArchitecture as exc:
            raise FinetuneError(f"{exc}; and the checkpoint has no chat template") from exc


def end_of_turn(tokenizer) -> list[int]:
    """The tokens that close an assistant turn in the tokenizer's chat template."""
    marker = "\x00ANSWER\x00"
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": marker}],
        tokenize=False,
    )
    closing = text.split(marker, 1)[1].strip()
    ids = tokenizer(closing, add_special_tokens=False)["input_ids"] if closing else []
    return ids or [tokenizer.eos_token_id]


def encode(example: dict, fmt: str, tokenizer, max_length: int, closing: list[int]) -> dict | None:
    """Prompt tokens masked out of the loss; an answer too long is cut at sentence ends;
    None when even the prompt does not fit."""
    from rag.text import split_sentences

    messages, answer = example_turns(example, fmt)
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    lead = " " if prompt.endswith("Answer:") else ""  # the plain format continues a line
    sentences = split_sentences(answer.replace("\n", " ")) or [answer]
    while sentences:
        answer_ids = tokenizer(lead + " ".join(sentences), add_special_tokens=False)["input_ids"]
        answer_ids = [*answer_ids, *closing]
        if len(prompt_ids) + len(answer_ids) <= max_length:
            return {
                "input_ids": prompt_ids + answer_ids,
                "attention_mask": [1] * (len(prompt_ids) + len(answer_ids)),
                "labels": [-100] * len(prompt_ids) + answer_ids,
            }
        sentences.pop()
    return None


def make_dataset(examples: list[dict], cfg: FinetuneConfig, tokenizer):
    from datasets import Dataset

    closing = end_of_turn(tokenizer)
    rows = []
    for i, ex in enumerate(examples):
        fmt = ("free" if i % 5 == 4 else "grounded") if cfg.format == "mixed" else cfg.format
        if row := encode(ex, fmt, tokenizer, cfg.max_length, closing):
            rows.append(row)
    if not rows:
        raise FinetuneError("no example fits --max-length; raise it")
    return Dataset.from_list(rows)


def apply_method(model, cfg: FinetuneConfig):
    arch = by_model_type(model.config.model_type)
    n_layers = model.config.num_hidden_layers  # GPT2Config maps it to n_layer
    if cfg.method == "full":
        for name, param in model.named_parameters():
            block = arch.block_index(name)
            param.requires_grad = block is None or block >= cfg.freeze_layers
        return model
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if cfg.method == "qlora":
        model = prepare_model_for_kbit_training(model)
    targets = (
        cfg.target_modules if cfg.target_modules == "all-linear" else cfg.target_modules.split(",")
    )
    if cfg.freeze_layers and targets == "all-linear":
        # peft takes a layer subset only with module names, not "all-linear".
        targets = list(arch.linear_modules)
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
        layers_to_transform=list(range(cfg.freeze_layers, n_layers)) if cfg.freeze_layers else None,
    )
    return get_peft_model(model, lora)


def answer_loss(model, inputs: dict, num_items_in_batch=None):
    """Cross-entropy over answer tokens, with logits computed only where a label follows
    (``logits_to_keep``): the same loss as the full forward at a fraction of the output layer.

    The mean over this batch; or, when the Trainer passes ``num_items_in_batch`` (the answer
    tokens of all the batches accumulated into one step), the sum divided by that, so that each
    token weighs the same however the step was split.
    """
    import torch

    labels = inputs["labels"]
    targets = labels[:, 1:]
    keep = (targets != -100).any(dim=0).nonzero().squeeze(1)
    out = model(
        input_ids=inputs["input_ids"],
        attention_mask=inputs["attention_mask"],
        logits_to_keep=keep,
    )
    logits = out.logits.float()
    reduction = "mean" if num_items_in_batch is None else "sum"
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets[:, keep].reshape(-1),
        ignore_index=-100,
        reduction=reduction,
    )
    return loss if num_items_in_batch is None else loss / num_items_in_batch


def make_trainer(model, args, train_ds, val_ds, tokenizer, answer_logits_only: bool):
    from transformers import DataCollatorForSeq2Seq, Trainer

    class AnswerOnlyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if not answer_logits_only or return_outputs:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            return answer_loss(model, inputs, num_items_in_batch)

        def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
            if not answer_logits_only:
                return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys)
            import torch

            inputs = self._prepare_inputs(inputs)
            with torch.no_grad():
                return answer_loss(model, inputs).detach(), None, None

    return AnswerOnlyTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
    )


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
    ax.set_ylabel("loss (answer tokens)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=110)
    plt.close(fig)


def train(cfg: FinetuneConfig, callbacks: list | None = None) -> dict:
    """Fine-tune and write the results; ``callbacks`` are extra transformers TrainerCallbacks."""
    import torch
    from transformers import TrainingArguments

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        train_examples = read_split(cfg.data, "train")
        val_examples = read_split(cfg.data, "val")
    except FileNotFoundError as exc:
        raise FinetuneError(str(exc)) from exc
    if cfg.limit:
        train_examples = train_examples[: cfg.limit]
    if cfg.eval_examples:
        val_examples = val_examples[: cfg.eval_examples]
    tokenizer, model = load_base(cfg.base, cfg.method)
    try:
        model = apply_method(model, cfg)
    except UnknownArchitecture as exc:
        raise FinetuneError(str(exc)) from exc
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
        logging_steps=cfg.logging_steps,
        bf16=bf16,
        report_to=[] if cfg.report_to == "none" else [cfg.report_to],
        seed=cfg.seed,
        use_cpu=not torch.cuda.is_available(),
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
    )
    trainer = make_trainer(model, args, train_ds, val_ds, tokenizer, cfg.answer_logits_only)
    for callback in callbacks or []:
        trainer.add_callback(callback)
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
    tokens = sum(len(x) for x in train_ds["input_ids"])
    steps_share = (
        1.0
        if cfg.max_steps < 0
        else min(1.0, cfg.max_steps * cfg.batch_size * cfg.grad_accum / max(len(train_ds), 1))
    )
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
            tokens * cfg.epochs * steps_share / max(result.metrics["train_runtime"], 1e-9), 1
        ),
        "train_seconds": round(result.metrics["train_runtime"], 1),
        "gpu_max_memory_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2)
        if torch.cuda.is_available()
        else None,
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
    }
    (cfg.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def parse_args(argv: list[str] | None = None) -> FinetuneConfig:
    p = argparse.ArgumentParser(
        prog="python -m training.finetune", description=__doc__.split("\n")[0]
    )
    add_config_args(p, FinetuneConfig)
    return config_from_args(FinetuneConfig, p.parse_args(argv))


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
