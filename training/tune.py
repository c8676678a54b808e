"""Hyperparameter search for fine-tuning: ``python -m training.tune --help``.

An Optuna study over learning rate, LoRA rank, alpha, dropout and frozen layers. Each trial is
a short ``training.finetune`` run scored by its validation loss (answer tokens only); a trial
whose intermediate validation loss is worse than the median of earlier trials at the same step
is pruned. With several GPUs, trials run in parallel, one GPU each. Writes ``trials.csv``, a
Markdown table (``trials.md``), ``best.json``, and the optimisation history and parameter
importance plots (``history.png``, ``importance.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rag.cli import add_config_args, config_from_args
from training.finetune import FinetuneConfig, FinetuneError, train


@dataclass
class TuneConfig:
    base: str = "google/gemma-3-270m"  # base model, as for training.finetune
    data: Path = field(default_factory=lambda: Path("runs/data"))  # training.data output
    out: Path = field(default_factory=lambda: Path("runs/tune"))  # trials and reports
    trials: int = 12  # trials to run
    steps: int = 40  # optimizer steps per trial
    eval_steps: int = 10  # validation loss (and pruning) every N steps
    limit: int = 400  # training examples per trial
    eval_examples: int = 32  # validation examples per evaluation
    batch_size: int = 4  # examples per step
    max_length: int = 1024  # tokens per example
    seed: int = 0  # sampler seed (trials are reproducible)


def objective_factory(cfg: TuneConfig, n_gpus: int):
    import optuna
    from transformers import TrainerCallback

    class Report(TrainerCallback):
        def __init__(self, trial) -> None:
            self.trial = trial

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            self.trial.report(metrics["eval_loss"], state.global_step)
            if self.trial.should_prune():
                raise optuna.TrialPruned()

    def objective(trial) -> float:
        if n_gpus > 1:  # one GPU per parallel trial
            os.environ["CUDA_VISIBLE_DEVICES"] = str(trial.number % n_gpus)
        freeze_choices = (0, 3, 6)
        params = FinetuneConfig(
            base=cfg.base,
            data=cfg.data,
            out=cfg.out / f"trial-{trial.number}",
            lr=trial.suggest_float("lr", 3e-5, 5e-4, log=True),
            rank=trial.suggest_categorical("rank", [4, 8, 16]),
            alpha=trial.suggest_categorical("alpha", [8, 16, 32]),
            dropout=trial.suggest_float("dropout", 0.0, 0.15),
            freeze_layers=trial.suggest_categorical("freeze_layers", freeze_choices),
            max_steps=cfg.steps,
            eval_steps=cfg.eval_steps,
            save_steps=10**6,
            logging_steps=cfg.eval_steps,
            limit=cfg.limit,
            eval_examples=cfg.eval_examples,
            batch_size=cfg.batch_size,
            grad_accum=1,
            max_length=cfg.max_length,
            seed=cfg.seed,
            warmup=0.1,
        )
        summary = train(params, callbacks=[Report(trial)])
        return summary["eval_loss"]

    return objective


def write_reports(study, out: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    frame = study.trials_dataframe(attrs=("number", "value", "params", "state"))
    frame.to_csv(out / "trials.csv", index=False)
    (out / "trials.md").write_text(frame.to_markdown(index=False) + "\n")
    complete = [t for t in study.trials if t.value is not None and t.state.name == "COMPLETE"]
    best = {"eval_loss": study.best_value, **study.best_params} if complete else {}
    (out / "best.json").write_text(json.dumps(best, indent=2) + "\n")
    plot_optimization_history(study)
    plt.tight_layout()
    plt.savefig(out / "history.png", dpi=110)
    plt.close("all")
    if len(complete) > 1:
        try:
            plot_param_importances(study)
            plt.tight_layout()
            plt.savefig(out / "importance.png", dpi=110)
        except (RuntimeError, ValueError):  # too few distinct trials to rank parameters
            pass
        plt.close("all")
    return best


def tune(cfg: TuneConfig) -> dict:
    import optuna
    import torch

    cfg.out.mkdir(parents=True, exist_ok=True)
    n_gpus = torch.cuda.device_count()
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=cfg.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=cfg.eval_steps),
    )
    study.optimize(objective_factory(cfg, n_gpus), n_trials=cfg.trials, n_jobs=max(1, n_gpus))
    return write_reports(study, cfg.out)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    p = argparse.ArgumentParser(prog="python -m training.tune", description=__doc__.split("\n")[0])
    add_config_args(p, TuneConfig)
    cfg = config_from_args(TuneConfig, p.parse_args(argv))
    try:
        best = tune(cfg)
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(best, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
