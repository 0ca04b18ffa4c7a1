"""The worker processes behind `xxgk ingest`: every item answered once, lost workers replaced."""
from __future__ import annotations

import os
import threading
import time

from indexer.workers import MAX_CHUNK, chunk_size, map_unordered


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
    assert not any(t.name == "xxgk-workers" and t.is_alive() for t in threading.enumerate())


def test_chunk_size_spreads_small_runs_and_caps_large_ones():
    assert chunk_size(0, 2) == chunk_size(1, 2) == chunk_size(15, 2) == 1
    assert chunk_size(40, 2) == 2  # 40 items still make 20 chunks, 10 for each worker
    assert chunk_size(200, 2) == 12
    assert chunk_size(256, 2) == chunk_size(100_000, 2) == MAX_CHUNK == 16
    assert chunk_size(256, 4) == 8


DIES_AT, HANGS_AT = (7, 21), (40, 100)


def die_or_hang_mid_chunk(item: int):
    if item in DIES_AT:
        os._exit(3)
    if item in HANGS_AT:
        time.sleep(60)
    return os.getpid(), item


def test_a_worker_lost_mid_chunk_loses_only_its_item_and_the_rest_of_the_chunk_is_done_again():
    # 256 items make chunks of 16; the first worker holds 0-15 and 16-31, the second 32-47 and 48-63:
    # 7 and 40 come after items of their chunk that were done but never sent, 21 is in a second held chunk
    assert chunk_size(256, 2) == 16
    started = time.monotonic()
    results = list(map_unordered(die_or_hang_mid_chunk, range(256), processes=2, stall_seconds=2, lost=lost))
    assert sorted(r for pid, r in results if pid is None) == [("lost", i) for i in sorted(DIES_AT + HANGS_AT)]
    done = [r for pid, r in results if pid is not None]
    assert sorted(done) == [i for i in range(256) if i not in DIES_AT + HANGS_AT]  # each once
    assert time.monotonic() - started < 40  # the hung workers were killed, not waited for


def with_pid(item: int):
    return os.getpid(), item


def slow_first_chunk(item: int):
    if item < 8:
        time.sleep(0.4)  # a chunk of 8 takes 3.2 s, each item far less than stall_seconds
    return with_pid(item)


def test_the_stall_limit_applies_to_one_item_not_to_a_chunk():
    assert chunk_size(128, 2) == 8
    results = list(map_unordered(slow_first_chunk, range(128), processes=2, stall_seconds=2, lost=lost))
    assert sorted(r for pid, r in results) == list(range(128))


def die_in_the_first_initializer(flag):
    try:
        os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    os._exit(3)  # only the first worker to get here


def test_a_worker_lost_before_its_first_item_loses_the_first_item_of_its_chunk(tmp_path):
    # chunks of 4: the first worker holds 8-11 and 12-15, the second 16-19 and 20-23
    results = list(map_unordered(with_pid, range(8, 72), processes=2, stall_seconds=10, lost=lost,
                                 initializer=die_in_the_first_initializer, initargs=(str(tmp_path / "died"),)))
    lost_items = [r for pid, r in results if pid is None]
    assert lost_items in ([("lost", 8)], [("lost", 16)])
    assert sorted(r for pid, r in results if pid is not None) == [i for i in range(8, 72) if i != lost_items[0][1]]
