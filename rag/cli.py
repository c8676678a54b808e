"""Command-line flags generated from config dataclasses, so a field is declared exactly once.

Each field becomes ``--field-name``; its help text is the comment written beside (or just above)
the field, with the default appended; ``bool`` fields become ``--flag/--no-flag``; a field may
list its ``choices`` in ``field(metadata=...)``. Nested config dataclasses are flattened.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import typing
from pathlib import Path


def field_comments(cls: type) -> dict[str, str]:
    """The comment on a field's lines, or else the comment lines just above it."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    comments: dict[str, str] = {}
    node = ast.parse(source).body[0]
    for stmt in getattr(node, "body", []):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        inline = [
            line.split("#", 1)[1].strip()
            for line in lines[stmt.lineno - 1 : stmt.end_lineno]
            if "#" in line
        ]
        above = []
        i = stmt.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        comments[stmt.target.id] = " ".join(inline or above)
    return comments


def _base_type(hint) -> type:
    """``str | None`` -> str, ``Path`` -> Path, and so on."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def add_config_args(
    parser: argparse.ArgumentParser,
    cls: type,
    skip: tuple[str, ...] = (),
    defaults=None,
    title: str | None = None,
) -> None:
    """Add one flag per field of ``cls``; nested config dataclasses get a group of their own."""
    hints = typing.get_type_hints(cls)
    comments = field_comments(cls)
    group = parser.add_argument_group(title.rstrip(".")) if title else parser
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        kind = _base_type(hints[f.name])
        default = getattr(defaults, f.name) if defaults is not None else _default(f)
        if dataclasses.is_dataclass(kind):
            doc = (kind.__doc__ or "").strip().splitlines()
            add_config_args(parser, kind, skip, default, doc[0].rstrip(".") if doc else f.name)
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = comments.get(f.name, "")
        if kind is bool:
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
            continue
        shown = "" if default in (None, "") else f" (default: {default})"
        group.add_argument(
            flag,
            type=Path if kind is Path else kind,
            default=default,
            choices=f.metadata.get("choices"),
            help=(help_text + shown).strip() or None,
        )


def config_from_args(cls: type, args: argparse.Namespace):
    """Build ``cls`` (nested configs included) from parsed flags."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        kind = _base_type(hints[f.name])
        if dataclasses.is_dataclass(kind):
            values[f.name] = config_from_args(kind, args)
        elif hasattr(args, f.name):
            values[f.name] = getattr(args, f.name)
    return cls(**values)
