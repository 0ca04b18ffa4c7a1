"""Run a function over many items in forked worker processes; yield the results as they finish.

multiprocessing.Pool moves every result through one shared pipe, a lock and
two helper threads: for a parsed report of ~60 KB that cost the calling
process ~0.35 ms, as much as indexing and storing the report. Here each worker
has its own pipe, one thread of the caller sends items and reads results of
all of them, and the caller unpickles (~0.05 ms).

Items go to a worker in chunks (up to MAX_CHUNK), and it answers each chunk
with one message, the list of its results. One message per item woke the
sending thread and then the caller for every result, each time preempting a
busy worker on a 2-core machine: ~4 involuntary context switches per item in
the workers and 0.25 ms of the sending thread's CPU per item. Chunks of 16 cut
those to ~0.5 and 0.05 ms.

A worker that dies, or works on one item longer than ``stall_seconds``, loses
only that item (it comes back through ``lost``); a new worker takes its place
and the other items it held, including those of its current chunk it had
finished (their results died with it). Which item it was on is not in any
message: each worker writes it, and when it began it, into a small record in
shared memory, which the sending thread reads.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

# Items per chunk at most: 16 already cuts the cost of messages per item ~5-fold;
# bigger chunks would gain little, and hold back results and redo more work when a worker dies.
MAX_CHUNK = 16
# Chunks per worker at least (when there are enough items): a small run still spreads over
# every worker, and the last chunks leave little idle time at the end.
CHUNKS_PER_WORKER = 8
# Chunks sent to a worker ahead of its results, so it never waits for the next one.
IN_FLIGHT = 2
# Results read but not yet taken by the caller; beyond this the workers wait (memory stays bounded).
# Counted in results: the queue holds BACKLOG // chunk size messages of up to a chunk of results.
# ~2 s of parsing at ingest rates: enough to ride out a commit stalled on a slow disk.
BACKLOG = 2048
# How often a waiting thread looks whether it has been told to stop (seconds).
POLL = 0.2
# A worker's shared record: the number of the item it is on (items are numbered in the order
# the worker was sent them, from 0; -1 before the first), and time.monotonic() when it began it.
# CLOCK_MONOTONIC is system-wide, so the parent can compare it with its own clock.
ITEM, BEGAN = 0, 1


def chunk_size(count: int, processes: int) -> int:
    """How many items to send a worker at a time, for ``count`` items over ``processes`` workers."""
    return max(1, min(MAX_CHUNK, count // (processes * CHUNKS_PER_WORKER)))


# prctl's option asking the kernel to signal this process when its parent ends (Linux)
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Be killed when the process (strictly: the thread) that forked this worker ends.

    Waiting for the pipe to close was not enough: each worker inherits the parent's ends of its
    siblings' pipes, so after a kill -9 of the parent they kept one another waiting for ever.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return  # not Linux: the pipe closing is all there is
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _serve(conn, record, func: Callable, initializer: Callable | None, initargs: tuple, parent: int) -> None:
    """A worker's life: chunks of items in, one pickled list of results out per chunk,
    until told to stop (None), the pipe closes or the parent dies."""
    _die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)
    number = -1
    try:
        while True:
            chunk = conn.recv()
            if chunk is None:
                return
            results = []
            for item in chunk:
                number += 1
                # Plain stores to shared memory (no system call). BEGAN first: a record
                # that names this item then always holds its start time (see _Worker.began).
                record[BEGAN] = time.monotonic()
                record[ITEM] = number
                results.append(func(item))
            conn.send_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError, KeyboardInterrupt):
        return
    except BaseException:  # noqa: BLE001 - func must catch its own errors; the items held are handled by the parent
        os._exit(1)


class _Worker:
    def __init__(self, context, func: Callable, initializer: Callable | None, initargs: tuple):
        # made before the fork, so that the worker writes the parent's copy
        self.record = context.RawArray("d", 2)
        self.record[ITEM] = -1
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.record, func, initializer, initargs, os.getpid()),
                                       daemon=True)
        self.process.start()
        child.close()
        self.held: deque = deque()  # (number of its first item, items) of each chunk sent and not answered, in order
        self.sent = 0  # items sent so far: the number of the next one
        self.since = time.monotonic()  # since when it could be on its first held chunk (started, or last answered)

    def began(self) -> float:
        """When it began the item it is on now (it holds a chunk)."""
        number = self.record[ITEM]  # read before BEGAN, which the worker writes before it
        began = self.record[BEGAN]
        # a number before its first held chunk is an item already answered: it has not begun the next yet
        return began if number >= self.held[0][0] else self.since

    def take_held(self) -> tuple[Any, list]:
        """The item it was on, and every other item it held, in order (it is dead)."""
        items = [item for _, chunk in self.held for item in chunk]
        # Not begun its first held chunk (it died between chunks or in the initializer):
        # that chunk's first item is the one lost, so that each lost worker costs an item and a run ends.
        at = max(0, int(self.record[ITEM]) - self.held[0][0])
        self.held.clear()
        return items[at], items[:at] + items[at + 1:]

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class _Feeder(threading.Thread):
    """Sends chunks to the workers, reads their results into ``results``, replaces lost workers."""

    def __init__(self, func, items, processes, stall_seconds, initializer, initargs):
        super().__init__(name="xxgk-workers", daemon=True)
        self.new_worker = lambda: _Worker(multiprocessing.get_context("fork"), func, initializer, initargs)
        self.todo = deque(items)
        self.chunk = chunk_size(len(self.todo), processes)
        self.processes = processes
        self.stall_seconds = stall_seconds
        self.results: queue.Queue = queue.Queue(max(1, BACKLOG // self.chunk))
        self.stopping = threading.Event()

    def _put(self, entry: tuple) -> bool:
        while not self.stopping.is_set():
            try:
                self.results.put(entry, timeout=POLL)
                return True
            except queue.Full:
                continue
        return False

    def _feed(self, worker: _Worker) -> None:
        if not worker.held:
            worker.since = time.monotonic()  # idle until now, not stalled
        while self.todo and len(worker.held) < IN_FLIGHT:
            chunk = [self.todo.popleft() for _ in range(min(self.chunk, len(self.todo)))]
            worker.held.append((worker.sent, chunk))
            worker.sent += len(chunk)
            try:
                worker.conn.send(chunk)
            except OSError:  # it has just died: wait() reports it, and its items are handled then
                return

    def _replace(self, workers: dict, worker: _Worker, kill: bool) -> None:
        del workers[worker.conn]
        worker.stop(kill=kill)
        if worker.held:
            # results it had not sent died with it: all but the item it was on are done again
            lost, others = worker.take_held()
            self._put(("lost", lost))
            self.todo.extendleft(reversed(others))
        if self.todo:
            fresh = self.new_worker()
            workers[fresh.conn] = fresh
            self._feed(fresh)
        for other in workers.values():  # one idle for want of items can help again
            self._feed(other)

    def _stalled(self, worker: _Worker, now: float) -> bool:
        # a result waiting in the pipe means it is waiting for us, not stuck
        return bool(worker.held) and now - worker.began() > self.stall_seconds and not worker.conn.poll()

    def run(self) -> None:
        workers: dict = {}
        try:
            for _ in range(min(self.processes, -(-len(self.todo) // self.chunk))):
                worker = self.new_worker()
                workers[worker.conn] = worker
                self._feed(worker)
            while not self.stopping.is_set():
                busy = [w for w in workers.values() if w.held]
                if not busy:
                    break
                now = time.monotonic()
                deadline = min(w.began() for w in busy) + self.stall_seconds
                for conn in wait([w.conn for w in busy], timeout=min(POLL, max(0.0, deadline - now))):
                    worker = workers[conn]
                    try:
                        payload = conn.recv_bytes()
                    except (EOFError, OSError):  # the worker died (crash, out of memory)
                        self._replace(workers, worker, kill=True)
                        continue
                    worker.held.popleft()
                    worker.since = time.monotonic()
                    self._put(("done", payload))
                    self._feed(worker)
                now = time.monotonic()
                for worker in [w for w in workers.values() if self._stalled(w, now)]:
                    self._replace(workers, worker, kill=True)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            self._put(("error", error))
        finally:
            for worker in workers.values():
                worker.stop(kill=self.stopping.is_set())
            self._put(("end", None))


def map_unordered(func: Callable[[Any], Any], items: Iterable, *, processes: int, stall_seconds: float,
                  lost: Callable[[Any], Any], initializer: Callable | None = None,
                  initargs: tuple = ()) -> Iterator[Any]:
    """``func(item)`` for every item, computed in ``processes`` forked workers, in the order they finish.

    :param func: a module-level function that catches its own errors (one raising kills its worker).
    :param stall_seconds: a worker busy this long on one item is killed and replaced.
    :param lost: ``lost(item)`` is yielded instead for the item a dead or stalled worker was on.
    :param initializer: run once in each worker, with ``initargs``.
    """
    feeder = _Feeder(func, items, processes, stall_seconds, initializer, initargs)
    feeder.start()
    try:
        while True:
            kind, value = feeder.results.get()
            if kind == "done":
                yield from pickle.loads(value)
            elif kind == "lost":
                yield lost(value)
            elif kind == "error":
                raise value
            else:
                return
    finally:
        feeder.stopping.set()
        feeder.join()
