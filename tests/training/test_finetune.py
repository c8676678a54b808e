"""Answer-only logits: the same loss as the full forward pass, for less compute."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("base", ["tiny_gpt2", "tiny_gemma"])
def test_answer_only_loss_equals_the_full_loss(base, request, tiny_data):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.data import read_split
    from training.finetune import answer_loss, encode, end_of_turn, ensure_template

    folder = request.getfixturevalue(base)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    ensure_template(tokenizer, model)
    closing = end_of_turn(tokenizer)
    rows = [encode(e, "grounded", tokenizer, 1024, closing) for e in read_split(tiny_data, "val")]
    rows = [r for r in rows if r][:2]
    width = max(len(r["input_ids"]) for r in rows)
    pad = tokenizer.pad_token_id or 0
    batch = {
        "input_ids": torch.tensor(
            [r["input_ids"] + [pad] * (width - len(r["input_ids"])) for r in rows]
        ),
        "attention_mask": torch.tensor(
            [r["attention_mask"] + [0] * (width - len(r["input_ids"])) for r in rows]
        ),
        "labels": torch.tensor(
            [r["labels"] + [-100] * (width - len(r["input_ids"])) for r in rows]
        ),
    }
    with torch.no_grad():
        full = model(**batch).loss
        fast = answer_loss(model, batch)
    assert torch.allclose(full, fast, atol=1e-5)


def test_end_of_turn_matches_the_template(tiny_gemma):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.finetune import end_of_turn, ensure_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_gemma)
    ensure_template(tokenizer, AutoModelForCausalLM.from_pretrained(tiny_gemma))
    assert tokenizer.decode(end_of_turn(tokenizer)) == "<end_of_turn>"
