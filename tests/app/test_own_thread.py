"""A generator holding a lock across yields, advanced and closed from different threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.own_thread import on_own_thread


def holds(lock: threading.RLock, log: list[str]):
    with lock:
        log.append(threading.current_thread().name)
        for i in range(3):
            yield i
            log.append(threading.current_thread().name)


def test_advanced_on_one_thread_closed_on_another_the_lock_is_freed():
    lock, log = threading.RLock(), []
    stream = on_own_thread(holds(lock, log))
    with ThreadPoolExecutor(2) as pool:
        assert pool.submit(next, stream).result() == 0
        assert pool.submit(next, stream).result() == 1
    stream.close()  # on the main thread, as Gradio closes a stopped answer
    assert lock.acquire(timeout=10)
    assert len(set(log)) == 1 and log[0] != threading.current_thread().name


def test_without_it_the_close_cannot_release_the_lock():
    # Why the wrapper exists: the same generator iterated directly keeps the lock forever.
    lock = threading.RLock()
    stream = holds(lock, [])
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(next, stream).result() == 0
    with pytest.raises(RuntimeError):
        stream.close()
    assert not lock.acquire(timeout=0.2)


def test_items_end_and_errors_reach_the_consumer():
    def fails():
        yield "a"
        raise ValueError("broken")

    assert list(on_own_thread(holds(threading.RLock(), []))) == [0, 1, 2]
    stream = on_own_thread(fails())
    assert next(stream) == "a"
    with pytest.raises(ValueError, match="broken"):
        next(stream)


def test_it_stays_lazy():
    ran = []

    def counted():
        for i in range(5):
            ran.append(i)
            yield i

    stream = on_own_thread(counted())
    assert next(stream) == 0 and next(stream) == 1
    stream.close()
    assert ran == [0, 1]
