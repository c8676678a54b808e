"""Tiny GPT-2 and Gemma 3 end to end: fine-tune -> resume -> export -> llama.cpp -> the app."""

from __future__ import annotations

import json

import pytest

from training import evaluate, export_gguf, finetune

pytestmark = pytest.mark.slow


def run_finetune(base, data, out, *extra):
    args = [
        "--base",
        str(base),
        "--data",
        str(data),
        "--out",
        str(out),
        "--limit",
        "24",
        "--batch-size",
        "4",
        "--grad-accum",
        "1",
        "--eval-steps",
        "2",
        "--save-steps",
        "2",
        "--max-length",
        "1024",
        "--lr",
        "1e-3",
        *extra,
    ]
    assert finetune.main(args) == 0


@pytest.fixture(scope="module", params=["tiny_gpt2", "tiny_gemma"])
def trained(request, tiny_data, tmp_path_factory):
    base = request.getfixturevalue(request.param)
    out = tmp_path_factory.mktemp(f"ft-{request.param}")
    # Gemma's 262k-token vocabulary makes logits the cost: smaller batches (grounded prompts
    # are about 500 Gemma tokens).
    small = ["--max-length", "768", "--batch-size", "2"] if request.param == "tiny_gemma" else []
    run_finetune(base, tiny_data, out, "--max-steps", "4", *small)
    run_finetune(base, tiny_data, out, "--max-steps", "6", "--resume", *small)
    return request.param, base, out


def test_training_writes_metrics_and_resumes(trained):
    _, _, out = trained
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["eval_loss"] > 0
    assert (out / "metrics.csv").read_text().count("\n") > 3
    assert (out / "loss.png").stat().st_size > 1000
    assert (out / "final" / "adapter_config.json").exists()
    assert (
        "chat_template" in (out / "final" / "tokenizer_config.json").read_text()
        or (out / "final" / "chat_template.jinja").exists()
    )


def test_export_verifies_and_runs_in_llama_cpp(trained, tmp_path):
    name, _, out = trained
    results = export_gguf.export(out / "final", tmp_path, ["f16", "q4_k_m"])
    assert [r.type for r in results] == ["f16", "q4_k_m"] and all(r.ok for r in results)
    assert results[0].cosine >= 0.999 and results[0].top1_agrees

    from app.model import LocalModel, ModelConfig

    model = LocalModel(
        ModelConfig(model=str(tmp_path / "model-q4_k_m.gguf"), ctx=512, max_tokens=8)
    )
    assert model.formatter.name == "template"  # the chat template travelled in the metadata
    rendered = model.render([{"role": "user", "content": "What is gout?"}])
    assert rendered.prompt.endswith("Answer:" if name == "tiny_gpt2" else "<start_of_turn>model\n")
    text = "".join(model.stream(rendered))
    assert isinstance(text, str)


def test_lora_adapter_gguf_matches_the_merged_model(trained, tmp_path, monkeypatch):
    """The adapter applied by llama.cpp at run time, and merged into the base by app.merge,
    both give the next-token logits of the merged PyTorch model."""
    import numpy as np
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from app.merge import merge_lora

    _, base, out = trained
    base_gguf = export_gguf.write_f16(
        AutoTokenizer.from_pretrained(base),
        AutoModelForCausalLM.from_pretrained(base),
        tmp_path / "base.gguf",
    )
    adapter = export_gguf.write_lora_adapter(out / "final", tmp_path / "adapter.gguf")
    tokenizer, merged = export_gguf.load_model(out / "final", None)
    ids = tokenizer(export_gguf.VERIFY_PROMPT)["input_ids"]
    ref = export_gguf.torch_next_logits(merged, ids)
    monkeypatch.setenv("MEDGROUND_CACHE", str(tmp_path / "cache"))
    merged_gguf = merge_lora(base_gguf, adapter, "f16")
    for path, lora in ((base_gguf, adapter), (merged_gguf, None)):
        llm = Llama(
            model_path=str(path),
            lora_path=str(lora) if lora else None,
            n_ctx=128,
            logits_all=True,
            verbose=False,
        )
        llm.eval(ids)
        got = np.array(llm.scores[len(ids) - 1])[: len(ref)]
        llm.close()
        a, b = ref - ref.mean(), got - got.mean()
        assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) >= 0.999, path.name
    assert merge_lora(base_gguf, adapter, "f16") == merged_gguf  # cached, not merged again


def test_evaluate_writes_report(trained, tiny_data, tmp_path):
    _, _, out = trained
    assert (
        evaluate.main(
            [
                "--model",
                str(out / "final"),
                "--data",
                str(tiny_data),
                "--out",
                str(tmp_path),
                "--limit",
                "3",
                "--max-new-tokens",
                "8",
                "--max-length",
                "1024",
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["before"]["perplexity"] > report["after"]["perplexity"]
    assert (tmp_path / "report.md").exists() and (tmp_path / "evaluation.png").stat().st_size > 1000


def test_bad_inputs_give_one_line(tiny_data, tmp_path, capsys):
    assert (
        finetune.main(
            [
                "--base",
                str(tmp_path / "no-such-model"),
                "--data",
                str(tiny_data),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert (
        finetune.main(
            ["--base", "x", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)


def test_unsupported_architecture_is_refused(tmp_path, capsys):
    from tokenizers import Tokenizer, models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=32,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
        )
    ).save_pretrained(tmp_path)
    PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel({"a": 0}, unk_token="a")), unk_token="a"
    ).save_pretrained(tmp_path)
    assert export_gguf.main(["--model", str(tmp_path), "--out", str(tmp_path / "g")]) == 2
    assert "'llama' is not supported" in capsys.readouterr().err
