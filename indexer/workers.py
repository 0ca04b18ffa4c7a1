"""Run a function over many items in forked worker processes; yield the results as they finish.

multiprocessing.Pool moves every result through one shared pipe, a lock and
two helper threads: for a parsed report of ~60 KB that cost the calling
process ~0.35 ms, as much as indexing and storing the report. Here each worker
has its own pipe, one thread of the caller sends items and reads results of
all of them, and the caller unpickles (~0.05 ms). A worker that dies, or works
on one item longer than ``stall_seconds``, loses only that item (it comes back
through ``lost``); a new worker takes its place and the items it held.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

# Items sent to a worker ahead of its results, so it never waits for the next one.
IN_FLIGHT = 2
# Results read but not yet taken by the caller; beyond this the workers wait (memory stays bounded).
# ~2 s of parsing at ingest rates: enough to ride out a commit stalled on a slow disk.
BACKLOG = 2048
# How often a waiting thread looks whether it has been told to stop (seconds).
POLL = 0.2


def _serve(conn, func: Callable, initializer: Callable | None, initargs: tuple) -> None:
    """A worker's life: items in, pickled results out, until told to stop (None) or the pipe closes."""
    if initializer is not None:
        initializer(*initargs)
    try:
        while True:
            item = conn.recv()
            if item is None:
                return
            conn.send_bytes(pickle.dumps(func(item), protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError, KeyboardInterrupt):
        return
    except BaseException:  # noqa: BLE001 - func must catch its own errors; the items held are reported lost
        os._exit(1)


class _Worker:
    def __init__(self, context, func: Callable, initializer: Callable | None, initargs: tuple):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, func, initializer, initargs), daemon=True)
        self.process.start()
        child.close()
        self.held: deque = deque()  # items sent and not yet answered, in order
        self.since = time.monotonic()  # when it began its current item

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
    """Sends items to the workers, reads their results into ``results``, replaces lost workers."""

    def __init__(self, func, items, processes, stall_seconds, initializer, initargs):
        super().__init__(name="xxgk-workers", daemon=True)
        self.new_worker = lambda: _Worker(multiprocessing.get_context("fork"), func, initializer, initargs)
        self.todo = deque(items)
        self.processes = processes
        self.stall_seconds = stall_seconds
        self.results: queue.Queue = queue.Queue(BACKLOG)
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
        while self.todo and len(worker.held) < IN_FLIGHT:
            item = self.todo.popleft()
            worker.held.append(item)
            try:
                worker.conn.send(item)
            except OSError:  # it has just died: wait() reports it, and its items are lost then
                return

    def _replace(self, workers: dict, worker: _Worker, kill: bool) -> None:
        del workers[worker.conn]
        worker.stop(kill=kill)
        if worker.held:
            # the first item is the one it was working on; the others it never began
            self._put(("lost", worker.held.popleft()))
            self.todo.extendleft(reversed(worker.held))
        if self.todo:
            fresh = self.new_worker()
            workers[fresh.conn] = fresh
            self._feed(fresh)

    def run(self) -> None:
        workers: dict = {}
        try:
            for _ in range(min(self.processes, len(self.todo))):
                worker = self.new_worker()
                workers[worker.conn] = worker
                self._feed(worker)
            while not self.stopping.is_set():
                busy = [w for w in workers.values() if w.held]
                if not busy:
                    break
                now = time.monotonic()
                deadline = min(w.since for w in busy) + self.stall_seconds
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
                for worker in [w for w in workers.values() if w.held and now - w.since > self.stall_seconds]:
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
    :param lost: ``lost(item)`` is yielded instead for each item a dead or stalled worker held.
    :param initializer: run once in each worker, with ``initargs``.
    """
    feeder = _Feeder(func, items, processes, stall_seconds, initializer, initargs)
    feeder.start()
    try:
        while True:
            kind, value = feeder.results.get()
            if kind == "done":
                yield pickle.loads(value)
            elif kind == "lost":
                yield lost(value)
            elif kind == "error":
                raise value
            else:
                return
    finally:
        feeder.stopping.set()
        feeder.join()
