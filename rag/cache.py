"""Where MedGround keeps what it makes once and reuses: downloads, exports, merged models."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$MEDGROUND_CACHE``, else ``~/.cache/medground`` (read on every call, so tests and
    benchmarks can point it elsewhere)."""
    root = os.environ.get("MEDGROUND_CACHE") or Path.home() / ".cache" / "medground"
    return Path(root)
