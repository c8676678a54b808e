"""Flags come from the config dataclasses: one declaration per field, help from its comment."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from rag.cli import add_config_args, config_from_args


@dataclass
class Inner:
    """Inner settings."""

    depth: int = 2  # how deep


@dataclass
class Outer:
    # where things go,
    # over two lines
    out: Path = field(default_factory=lambda: Path("runs"))
    name: str | None = None  # a name
    kind: str = field(default="a", metadata={"choices": ("a", "b")})  # which kind
    fast: bool = False  # go fast
    inner: Inner = field(default_factory=Inner)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_config_args(p, Outer)
    return p


def test_defaults_types_and_nesting():
    cfg = config_from_args(Outer, parser().parse_args(["--depth", "5", "--fast", "--out", "x"]))
    assert cfg == Outer(out=Path("x"), fast=True, inner=Inner(depth=5))


def test_help_comes_from_comments():
    text = parser().format_help()
    assert "where things go, over two lines" in text and "a name" in text
    assert "how deep (default: 2)" in " ".join(text.split())
    assert "Inner settings:" in text and "--no-fast" in text


def test_choices_are_enforced(capsys):
    import pytest

    with pytest.raises(SystemExit):
        parser().parse_args(["--kind", "z"])
    assert "invalid choice" in capsys.readouterr().err
