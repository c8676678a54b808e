"""A first start that answers in minutes: a quick index now, the full index in the background.

With no index yet, :func:`open_or_build` writes a quick index (BM25 and MedQuAD's own
questions, no passage vectors: a minute or two on two cores) and returns it, so the page opens
and answers at once. A :class:`FullBuild` thread then embeds every passage into the full index
and hands it to the app, which swaps it in between two questions. The full build writes to a
temporary folder and saves its work as it goes: if it is interrupted, the quick index keeps
working and the next start resumes where the build stopped.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rag.build_index import BuildConfig, build
from rag.index import MANIFEST, Index, IndexLoadError, check_writable
from rag.medquad import MedQuADError


def open_or_build(folder: Path, source: str | None) -> Index:
    """The index at ``folder``; a quick one is built first when there is none."""
    if not (folder / MANIFEST).exists():
        check_writable(folder.resolve())  # never build over someone's files
        print(
            f"No index at {folder}: building a quick one first (about two minutes); the full "
            "index follows in the background while you ask questions.",
            flush=True,
        )
        try:
            print(build(BuildConfig(source=source, out=folder, quick=True)).line(), flush=True)
        except MedQuADError as exc:
            raise IndexLoadError(
                f"{exc}\nBuild the index yourself with: python -m rag.build_index "
                f"--source PATH_TO_MedQuAD --out {folder}"
            ) from exc
    return Index.open(folder)


class FullBuild(threading.Thread):
    """Builds the full index in the background and calls ``on_done(index)`` when it is whole."""

    def __init__(self, folder: Path, source: str | None, on_done: Callable[[Index], None]) -> None:
        super().__init__(name="medground-full-index", daemon=True)
        self.folder = folder
        self.source = source
        self.on_done = on_done
        self.progress = 0.0  # share of passages embedded
        self.started = time.time()
        self.error = ""
        self.done = False

    def run(self) -> None:
        try:
            cfg = BuildConfig(source=self.source, out=self.folder)
            build(cfg, progress=self._progress)
            self.on_done(Index.open(self.folder))
            self.done = True
        except Exception as exc:  # the quick index keeps serving; the page says what failed
            self.error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()

    def _progress(self, share: float) -> None:
        self.progress = share

    def status(self) -> str:
        """One line for the page."""
        if self.done:
            return ""
        if self.error:
            return (
                f"The full index could not be built ({self.error}); answers use the quick index. "
                "It will be tried again at the next start."
            )
        minutes = (time.time() - self.started) / 60
        return (
            "Answers use a **quick index** (MedQuAD's questions and keyword search) while the "
            f"full index is being built: {self.progress:.0%} after {minutes:.0f} min. It is "
            "swapped in automatically."
        )
