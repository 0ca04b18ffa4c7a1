"""Faults during ingest: two ingests at once, kill -9 at random moments, a full disk, damaged data directories."""
from __future__ import annotations

import fcntl
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.collection import Collection
from indexer.config import load_config
from indexer.generate import generate_corpus
from indexer.index import ReportIndex
from indexer.ingest import LOCK_NAME, collect_files
from indexer.search import search_ids
from indexer.store import index_dir

ROOT = Path(__file__).resolve().parent.parent


def _config(data: Path):
    return replace(load_config(), data_dir=data)


def _ingest_command(corpus: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "indexer.cli", "ingest", str(corpus), "--data", str(data)]


def _lock_held(data: Path) -> bool:
    """Whether some process holds the data directory's ingest lock (tried from this process)."""
    try:
        fd = os.open(data / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _wait_for(condition, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "ingest ended before the test could act on it; it needs more files"
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_a_second_ingest_on_the_same_data_directory_refuses(tmp_path):
    corpus = tmp_path / "generated"
    generate_corpus(60, corpus, formats=("txt",), seed=21)
    data = tmp_path / "data"
    env = {**os.environ, "XXGK_BATCH_SIZE": "10"}
    first = subprocess.Popen(_ingest_command(corpus, data), cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _lock_held(data), first)
        # stopped while it holds the lock, so the second surely starts while the first is running
        first.send_signal(signal.SIGSTOP)
        second = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert second.returncode == 1
    assert second.stderr.strip() == (f"Error: {data}: another xxgk ingest is writing to this data directory "
                                     f"(pid {first.pid}); wait for it to finish")
    assert second.stdout == ""
    assert first.returncode == 0, err
    assert out.startswith("ingested 60 ")
    # the lock went with the first process: a third run works (and finds everything done)
    third = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert third.returncode == 0, third.stderr
    assert third.stdout.startswith("ingested 0 (flagged 0), skipped 60 unchanged")


def _file_ids(corpus: Path) -> set[str]:
    return {hashlib.sha256(c.path.read_bytes()).hexdigest()[:16] for c in collect_files([corpus])}


def _check_consistent(data: Path) -> tuple[set[str], set[str]]:
    """What a killed ingest must leave: a sound SQLite file, no report without its original and
    a source, no source without its report, and every stored report in the index (which may
    hold one batch more: it commits first). Returns (store ids, index ids)."""
    with sqlite3.connect(data / "reports.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM reports r WHERE NOT EXISTS"
                          " (SELECT 1 FROM originals o WHERE o.sha256 = r.sha256)").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM reports r WHERE NOT EXISTS"
                          " (SELECT 1 FROM sources s WHERE s.report_id = r.id)").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM sources s WHERE NOT EXISTS"
                          " (SELECT 1 FROM reports r WHERE r.id = s.report_id)").fetchone()[0] == 0
        stored = {row[0] for row in db.execute("SELECT id FROM reports")}
    index = ReportIndex.open(index_dir(data))
    indexed = set(search_ids(index, ""))
    assert len(indexed) == index.count()  # one document per report, never two
    assert stored <= indexed
    return stored, indexed


def test_ingest_killed_again_and_again_then_finished_holds_every_report(tmp_path):
    total = 300
    corpus = tmp_path / "generated"
    generate_corpus(total, corpus, formats=("txt", "html"), seed=15)
    expected = _file_ids(corpus)
    data = tmp_path / "data"
    env = {**os.environ, "XXGK_BATCH_SIZE": "7"}
    rng = random.Random(15)
    progress = []
    for _ in range(4):
        # its own process group: the parse workers die with it, as with kill -9 on a terminal's job
        process = subprocess.Popen(_ingest_command(corpus, data), cwd=ROOT, env=env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        assert process.poll() is None, "ingest finished before the kill; the test needs more files"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if (data / "reports.sqlite").exists():
            stored, indexed = _check_consistent(data)
            assert stored <= expected and indexed <= expected
            progress.append(len(stored))
    final = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=900)
    assert final.returncode == 0, final.stderr
    assert "failed 0" in final.stdout
    stored, indexed = _check_consistent(data)
    assert stored == indexed == expected
    assert progress and progress[-1] > 0, f"no kill came after a commit: {progress}"
    assert all(Collection.open(_config(data)).get(i) is not None for i in sorted(expected)[:20])
