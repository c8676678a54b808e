"""Tiny random models for the training tests: GPT-2 with a small trained BPE, Gemma 3 with the
packaged Gemma tokenizer. No weights are downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest


def tiny_data_config(index: Path, out: Path):
    """The training.data settings of the tiny splits. The small index answers nearly every
    question (few distractors), so no-answer examples are made on purpose, as the full index's
    retrieval misses make them."""
    import training.data as data

    return data.DataConfig(
        index=index,
        out=out,
        val_fraction=0.05,
        test_fraction=0.05,
        augment=True,
        no_answer_fraction=0.1,
    )


@pytest.fixture(scope="session")
def tiny_data(small_index, tmp_path_factory) -> Path:
    """training.data splits retrieved from the small index (writes like the CLI does)."""
    import training.data as data

    out = tmp_path_factory.mktemp("data")
    cfg = tiny_data_config(small_index, out)
    data.build(cfg)
    return out


@pytest.fixture(scope="session")
def tiny_gpt2(small_records, tmp_path_factory) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([r.answer for r in small_records], trainer)
    fast = GPT2TokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(fast),
        n_positions=1024,
        n_embd=64,
        n_layer=2,
        n_head=2,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    out = tmp_path_factory.mktemp("tiny-gpt2")
    GPT2LMHeadModel(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_gemma(tmp_path_factory) -> Path:
    import torch
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    from training.export_gguf import packaged_gemma_gguf

    gguf_path = packaged_gemma_gguf()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        query_pre_attn_scalar=32,
        max_position_embeddings=1024,
        sliding_window=512,
    )
    out = tmp_path_factory.mktemp("tiny-gemma")
    Gemma3ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
