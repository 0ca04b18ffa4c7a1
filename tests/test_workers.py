"""The worker processes behind `xxgk ingest`: every item answered once, lost workers replaced."""
from __future__ import annotations

import os
import time

from indexer.workers import map_unordered


def square_or_misbehave(item: int):
    if item == 7:
        os._exit(3)  # a worker dying mid-item (segfault, out of memory)
    if item == 11:
        time.sleep(60)  # a worker that never answers
    return os.getpid(), item * item


def lost(item: int):
    return None, ("lost", item)


def test_every_item_is_answered_once_and_lost_workers_are_replaced():
    started = time.monotonic()
    results = list(map_unordered(square_or_misbehave, range(40), processes=2, stall_seconds=2, lost=lost))
    assert len(results) == 40
    assert sorted(r for pid, r in results if pid is None) == [("lost", 7), ("lost", 11)]
    assert sorted(r for pid, r in results if pid is not None) == sorted(i * i for i in range(40) if i not in (7, 11))
    # the items after the lost ones were done by new workers, not given up
    assert len({pid for pid, _ in results if pid is not None}) >= 3
    assert time.monotonic() - started < 50  # the hung worker was killed, not waited for


def initialise(marker):
    global MARK
    MARK = marker


def marked(item):
    return MARK, item


def test_workers_run_the_initializer_and_stop_early_without_leaking():
    results = map_unordered(marked, range(100), processes=2, stall_seconds=10, lost=lost,
                            initializer=initialise, initargs=("ready",))
    first = next(results)
    assert first[0] == "ready"
    results.close()  # the caller stops early: workers are stopped, the thread ends
    import threading
    assert not any(t.name == "xxgk-workers" and t.is_alive() for t in threading.enumerate())
