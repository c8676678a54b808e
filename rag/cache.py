"""Where MedGround keeps what it makes once and reuses: downloads, exports, merged models."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_dir() -> Path:
    """``$MEDGROUND_CACHE``, else ``~/.cache/medground`` (read on every call, so tests and
    benchmarks can point it elsewhere)."""
    root = os.environ.get("MEDGROUND_CACHE") or Path.home() / ".cache" / "medground"
    return Path(root)


@contextmanager
def written_atomically(path: Path) -> Iterator[str]:
    """A temporary file name beside ``path`` for the block to write; it becomes ``path`` only
    when the block ends without an error, so an interrupted write never leaves a half-made
    file under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
