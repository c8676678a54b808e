"""Run a generator on a thread of its own, so that any thread may advance or close it.

Gradio advances a streaming handler on whichever worker thread is free and, when the user
presses Stop, closes it on its event-loop thread. An answer holds the model's lock (a
``threading.RLock``) across its ``yield``s, and an RLock can only be released by the thread that
took it: closed from another thread, the release fails, the lock stays taken and every later
answer waits for it forever. :func:`on_own_thread` keeps a generator on one thread from its
first step to its close, and stays lazy: the generator runs only while its consumer waits for
the next item, as it would if iterated directly.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_NEXT, _CLOSE = "next", "close"


def on_own_thread(items: Generator[T, None, None], name: str = "medground-answer") -> Iterator[T]:
    """``items``, advanced and finally closed on one thread started at the first ``next``;
    its exceptions are raised to the consumer."""
    requests: queue.SimpleQueue[str] = queue.SimpleQueue()
    results: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
    worker = threading.Thread(target=_serve, args=(items, requests, results), name=name)
    worker.daemon = True  # an abandoned answer never keeps the process alive
    worker.start()
    try:
        while True:
            requests.put(_NEXT)
            kind, value = results.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        requests.put(_CLOSE)  # closed or finished: the worker closes ``items`` on its thread


def _serve(items: Generator, requests: queue.SimpleQueue, results: queue.SimpleQueue) -> None:
    while requests.get() == _NEXT:
        try:
            item = next(items)
        except StopIteration:
            results.put(("end", None))
            return
        except BaseException as exc:  # handed to the consumer, raised there
            results.put(("error", exc))
            return
        results.put(("item", item))
    items.close()
