"""What MedGround knows about each model architecture, in one table (after gguf-py's own tables).

An entry says how to talk to the model (its chat template and end-of-turn text: the app renders
prompts with it, training fine-tunes on exactly that rendering) and how to write it as GGUF (the
GGUF architecture name, where its block index sits in parameter names, its hyperparameters,
tensor layout quirks and how its vocabulary is written). Supporting a new architecture means
adding one :class:`Architecture` here; tensor names come from gguf-py's ``TensorNameMap``.

Pure data: importing this module loads nothing heavy, so the app, ``rag`` and ``training`` can
all read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Chat templates (Jinja, as in Hugging Face tokenizers and GGUF metadata) for models whose GGUF
# ships none. Rendered with bos_token, eos_token, messages and add_generation_prompt.
CHAT_TEMPLATES = {
    # Gemma has no system role: the system text leads the first user turn.
    "gemma": (
        "{{ bos_token }}{% set system = namespace(text='') %}"
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{% set system.text = system.text + m['content'] + '\n\n' %}{% endif %}{% endfor %}"
        "{% set first = namespace(done=false) %}"
        "{% for m in messages %}{% if m['role'] != 'system' %}"
        "{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
        "<start_of_turn>{{ role }}\n{% if role == 'user' and not first.done %}{{ system.text }}"
        "{% set first.done = true %}{% endif %}{{ m['content'] }}<end_of_turn>\n"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
    ),
    "chatml": (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    ),
    # Models with no chat format at all (GPT-2): instructions, then "Answer:" to complete (the
    # blank lines below shrink to one newline: templates render with trim_blocks).
    "plain": (
        "{% for m in messages %}{% if m['role'] == 'assistant' %}Answer: {{ m['content'] }}"
        "{{ eos_token }}{% else %}{{ m['content'] }}{% if not loop.last %}\n\n{% endif %}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}\n\nAnswer:{% endif %}"
    ),
}
# The same formats in Ollama's Modelfile TEMPLATE syntax (Go templates; Ollama adds BOS itself).
OLLAMA_TEMPLATES = {
    "gemma": (
        "{{ if .System }}<start_of_turn>user\n{{ .System }}\n\n{{ .Prompt }}<end_of_turn>\n"
        "{{ else }}<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n{{ end }}"
        "<start_of_turn>model\n{{ .Response }}<end_of_turn>\n"
    ),
    "chatml": (
        "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
        "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n{{ .Response }}<|im_end|>\n"
    ),
    "plain": ("{{ if .System }}{{ .System }}\n{{ end }}{{ .Prompt }}\nAnswer:{{ .Response }}"),
}
# What ends an answer in each format (training appends it to targets; the app stops on it).
END_OF_TURN = {"gemma": "<end_of_turn>", "chatml": "<|im_end|>", "plain": ""}
# Where a plain-format model starts inventing the next turn.
EXTRA_STOPS = {"plain": ["\n\nQuestion:", "\n\nSources:"]}

Hparams = tuple[tuple[str, Callable], ...]  # (GGUFWriter method, config -> value)


def _gemma_rope(cfg) -> float:
    rope = getattr(cfg, "rope_theta", None)
    if rope is None:
        rope = (getattr(cfg, "rope_parameters", None) or {}).get("full_attention", {})
        rope = rope.get("rope_theta", 1e6)
    return float(rope)


@dataclass(frozen=True)
class Architecture:
    name: str  # GGUF general.architecture, and gguf.MODEL_ARCH member in upper case
    model_types: tuple[str, ...]  # transformers config.model_type values it covers
    chat_format: str  # key of CHAT_TEMPLATES used when a checkpoint has no template
    block_pattern: str  # regex whose group 1 is the block index in a parameter name
    hparams: Hparams  # GGUF hyperparameters, read from the transformers config
    tokenizer: str  # "bpe": written from the HF tokenizer; "gemma": copied from a Gemma GGUF
    norm_offset: float = 0.0  # added to norm weights on export (Gemma's RMSNorm uses 1 + w)
    transposed: tuple[str, ...] = ()  # weight-name endings stored transposed (GPT-2's Conv1D)
    skipped: tuple[str, ...] = ()  # parameter-name endings that are buffers, not weights
    tied_output: bool = False  # write output.weight as a copy of the token embedding
    linear_modules: tuple[str, ...] = ()  # the block's linear layers (LoRA targets by name)

    def block_index(self, parameter: str) -> int | None:
        m = re.search(self.block_pattern, parameter)
        return int(m.group(1)) if m else None

    @property
    def chat_template(self) -> str:
        return CHAT_TEMPLATES[self.chat_format]


ARCHITECTURES = (
    Architecture(
        name="gpt2",
        model_types=("gpt2",),
        chat_format="plain",
        block_pattern=r"\.h\.(\d+)\.",
        hparams=(
            ("add_context_length", lambda c: c.n_positions),
            ("add_embedding_length", lambda c: c.n_embd),
            ("add_feed_forward_length", lambda c: c.n_inner or 4 * c.n_embd),
            ("add_block_count", lambda c: c.n_layer),
            ("add_head_count", lambda c: c.n_head),
            ("add_layer_norm_eps", lambda c: c.layer_norm_epsilon),
        ),
        tokenizer="bpe",
        transposed=(".c_attn.weight", ".c_proj.weight", ".c_fc.weight"),
        skipped=(".attn.bias", ".attn.masked_bias", "lm_head.weight"),
        tied_output=True,
        linear_modules=("c_attn", "c_proj", "c_fc"),
    ),
    Architecture(
        name="gemma3",
        model_types=("gemma3_text", "gemma3"),
        chat_format="gemma",
        block_pattern=r"\.layers\.(\d+)\.",
        hparams=(
            ("add_context_length", lambda c: c.max_position_embeddings),
            ("add_embedding_length", lambda c: c.hidden_size),
            ("add_block_count", lambda c: c.num_hidden_layers),
            ("add_feed_forward_length", lambda c: c.intermediate_size),
            ("add_head_count", lambda c: c.num_attention_heads),
            ("add_head_count_kv", lambda c: c.num_key_value_heads),
            ("add_layer_norm_rms_eps", lambda c: c.rms_norm_eps),
            ("add_key_length", lambda c: c.head_dim),
            ("add_value_length", lambda c: c.head_dim),
            ("add_rope_freq_base", _gemma_rope),
            ("add_sliding_window", lambda c: c.sliding_window),
        ),
        tokenizer="gemma",
        norm_offset=1.0,
        skipped=("lm_head.weight",),
        linear_modules=(
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ),
    ),
)
# Other GGUF architectures whose format is known though MedGround cannot train them.
GGUF_ONLY_FORMATS = {"gemma": "gemma", "gemma2": "gemma"}


class UnknownArchitecture(ValueError):
    pass


def by_model_type(model_type: str) -> Architecture:
    """The entry for a transformers ``config.model_type``."""
    for arch in ARCHITECTURES:
        if model_type in arch.model_types:
            return arch
    known = ", ".join(t for a in ARCHITECTURES for t in a.model_types)
    raise UnknownArchitecture(f"architecture {model_type!r} is not supported (known: {known})")


def chat_format_for_gguf(architecture: str) -> str | None:
    """The chat format of a GGUF ``general.architecture`` whose file has no template."""
    for arch in ARCHITECTURES:
        if arch.name == architecture:
            return arch.chat_format
    return GGUF_ONLY_FORMATS.get(architecture)
