"""Faults during ingest: two ingests at once, kill -9 at random moments, a full disk, damaged data directories."""
from __future__ import annotations

import fcntl
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import cli
from indexer.collection import Collection
from indexer.config import load_config
from indexer.generate import generate_corpus
from indexer.index import IndexOpenError, ReportIndex
from indexer.index_files import SEGMENT_FILES
from indexer.candidates import collect_files
from indexer.ingest import LOCK_NAME, ingest_paths
from indexer.search import search_ids
from indexer.store import SCHEMA_VERSION, Store, index_dir

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


def _stored(data: Path) -> int:
    """Reports committed to the store so far (0 before there is one), read-only."""
    try:
        with sqlite3.connect(f"{(data / 'reports.sqlite').as_uri()}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM reports").fetchone()[0]
    except sqlite3.Error:
        return 0


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
    for round_ in range(4):
        # its own process group: the parse workers die with it, as with kill -9 on a terminal's job
        process = subprocess.Popen(_ingest_command(corpus, data), cwd=ROOT, env=env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if round_ == 0:
            time.sleep(rng.uniform(0.1, 1.0))  # during start-up or the first batch
        else:
            # 1-3 commits further on, then a random moment within the next batch
            target = _stored(data) + 7 * rng.randint(1, 3)
            _wait_for(lambda: _stored(data) >= target, process)
            time.sleep(rng.uniform(0, 0.3))
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
    assert progress[-1] > progress[0], f"no progress between the kills: {progress}"
    assert all(Collection.open(_config(data)).get(i) is not None for i in sorted(expected)[:20])


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def test_parse_workers_die_with_a_killed_ingest(tmp_path):
    """kill -9 of the ingest process alone (not its group) leaves no parse worker behind."""
    corpus = tmp_path / "generated"
    generate_corpus(200, corpus, formats=("txt",), seed=23)
    data = tmp_path / "data"
    process = subprocess.Popen(_ingest_command(corpus, data), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _wait_for(lambda: len(_children(process.pid)) == 2, process)
    workers = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, f"parse workers {workers} outlived the killed ingest"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0]
    except (OSError, IndexError):
        return "zombie"  # gone meanwhile


# -- damaged data directories: refused at start, in one line naming the repair ----------------

SEEDS = ROOT / "corpus" / "seeds"


@pytest.fixture
def data(tmp_path) -> Path:
    data = tmp_path / "data"
    summary = ingest_paths([SEEDS], _config(data))
    assert summary.ingested == 5
    return data


def _segment_file(data: Path, ext: str) -> Path:
    (found,) = index_dir(data).glob(f"*.{ext}")
    return found


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def _refused_everywhere(data: Path) -> str:
    """The one line `xxgk search`, `xxgk serve` and `xxgk ingest` each refuse ``data`` with (the same)."""
    lines = set()
    for args in (["search", "信息", "--data", str(data)],
                 ["serve", "--get", "/api/search?q=信息", "--data", str(data)],
                 ["ingest", str(SEEDS), "--data", str(data)]):
        result = _run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
        lines.add(result.stderr.strip())
    (line,) = lines
    return line


def _reindex_repairs(data: Path) -> None:
    result = _run("ingest", "--reindex", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reindexed 5 reports from {data}\n"
    result = _run("search", "信息", "--data", str(data))
    assert result.exit_code == 0 and result.stdout.startswith("5 report(s) match '信息'")


def test_a_missing_data_directory_is_refused_not_made_and_searched_empty(tmp_path):
    """A mistyped --data once made an empty store and index there, and answered '0 reports match'."""
    missing = tmp_path / "no-such-data"
    for args in (["search", "信息"], ["export", "信息"]):
        result = _run(*args, "--data", str(missing))
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == (f"Error: {missing}: no data directory there; ingest reports into it first: "
                                 f"xxgk ingest PATH --data {missing}\n")
    assert not missing.exists()
    assert _run("ingest", str(SEEDS), "--data", str(missing)).exit_code == 0
    # a server may start before the first ingest that feeds it (tests/test_ingest_serving.py)
    assert _run("serve", "--get", "/api/search?q=信息", "--data", str(tmp_path / "to-be-fed")).exit_code == 0


def test_an_ingest_clears_what_a_killed_rebuild_left(data):
    """index.rebuild/ of an `ingest --reindex` killed midway takes the space of a whole index: the
    next ingest (under the same lock, so no rebuild runs) removes it. Not where the index itself
    is gone (killed between its two renames): there the user is told to rebuild anyway."""
    left = data / "index.rebuild"
    left.mkdir()
    (left / "meta.json").write_text("{}", encoding="utf-8")
    assert _run("ingest", str(SEEDS), "--data", str(data)).exit_code == 0
    assert not left.exists()
    left.mkdir()
    shutil.rmtree(index_dir(data))
    assert _run("ingest", str(SEEDS), "--data", str(data)).exit_code == 1  # the index missing: refused
    assert left.exists()


def test_a_deleted_index_is_refused_not_searched_empty(data):
    shutil.rmtree(index_dir(data))
    assert _refused_everywhere(data) == (f"Error: {index_dir(data)}: the index is missing but the store holds "
                                         f"5 reports; rebuild it from the store: xxgk ingest --reindex --data {data}")
    _reindex_repairs(data)


@pytest.mark.parametrize("damage, problem", [
    (lambda d: _segment_file(d, "store").unlink(), "{name}.store is missing"),
    (lambda d: os.truncate(_segment_file(d, "term"), 100), "{name}.term is cut short"),
    (lambda d: (index_dir(d) / "meta.json").write_text("{", encoding="utf-8"),
     "meta.json: JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
])
def test_a_damaged_index_is_refused_and_reindex_repairs_it(data, damage, problem):
    name = _segment_file(data, "store").stem
    damage(data)
    assert _refused_everywhere(data) == (f"Error: {index_dir(data)}: the index is damaged "
                                         f"({problem.format(name=name)}); rebuild it from the store: "
                                         f"xxgk ingest --reindex --data {data}")
    _reindex_repairs(data)


def test_an_index_behind_the_store_is_refused(data, tmp_path):
    """An index put back from before the last ingest lacks reports the store has."""
    old = tmp_path / "old-index"
    shutil.copytree(index_dir(data), old)
    assert ingest_paths([ROOT / "corpus" / "real"], _config(data)).ingested == 5
    shutil.rmtree(index_dir(data))
    shutil.copytree(old, index_dir(data))
    result = _run("serve", "--get", "/api/search?q=信息", "--data", str(data))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {index_dir(data)}: the index holds 5 reports, fewer than the store's 10; "
                             f"rebuild it from the store: xxgk ingest --reindex --data {data}\n")


def _change_bytes(path: Path, start: int, count: int) -> None:
    """Invert ``count`` bytes of ``path`` from ``start`` on, in place (as a failing disk would: the
    file keeps its size; an open index sees the change through its memory map)."""
    with open(path, "r+b") as f:
        f.seek(start)
        changed = bytes(b ^ 0xFF for b in f.read(count))
        f.seek(start)
        f.write(changed)


@pytest.mark.parametrize("ext", ["store", "idx", "pos", "term", "fast"])
def test_bytes_changed_inside_an_index_file_are_refused_at_start(data, ext):
    """Size and end unchanged, so only the file's checksum tells (tantivy reads it nowhere)."""
    damaged = _segment_file(data, ext)
    _change_bytes(damaged, damaged.stat().st_size // 2, 16)
    assert _refused_everywhere(data) == (f"Error: {index_dir(data)}: the index is damaged ({damaged.name} does not "
                                         f"match its checksum); rebuild it from the store: "
                                         f"xxgk ingest --reindex --data {data}")
    _reindex_repairs(data)


def test_each_index_file_is_read_for_its_checksum_once(data, monkeypatch):
    """A segment file never changes once written. The ingest that wrote it read it for its
    checksum at its end, so a start reads none; one that did change since (its time or size
    moved) is read again, and all are where the record of the checks is gone."""
    import indexer.index_files as index_files
    read = []
    real = index_files.file_problem
    monkeypatch.setattr(index_files, "file_problem", lambda path: read.append(path.name) or real(path))
    assert _run("search", "信息", "--data", str(data)).exit_code == 0
    assert read == []
    # the record's file gone, this process still holds it (a server's forked workers), and writes it again
    record = index_dir(data) / index_files.VERIFIED_NAME
    record.unlink()
    assert _run("search", "信息", "--data", str(data)).exit_code == 0
    assert read == [] and record.exists()
    # gone from both, as for a new process: every file is read (and a record half-written by a
    # process killed meanwhile is cleared away)
    record.unlink()
    (index_dir(data) / f".{index_files.VERIFIED_NAME}.99999999").write_text("{", encoding="utf-8")
    monkeypatch.setattr(index_files, "_verified_here", {})
    assert _run("search", "信息", "--data", str(data)).exit_code == 0
    assert sorted(read) == sorted(path.name for path in index_dir(data).iterdir() if path.suffix[1:] in SEGMENT_FILES)
    assert not list(index_dir(data).glob(f".{index_files.VERIFIED_NAME}.*"))
    read.clear()
    damaged = _segment_file(data, "pos")
    _change_bytes(damaged, 10, 4)
    assert _run("search", "信息", "--data", str(data)).exit_code == 1
    assert read == [damaged.name]


def test_a_segment_with_deleted_reports_has_its_deletes_file_checked(tmp_path):
    """A report dropped by --prune leaves a .del file, checksummed like the others."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(SEEDS, corpus)
    assert ingest_paths([corpus], _config(data)).ingested == 5
    dropped = sorted(corpus.iterdir())[0]
    dropped.unlink()
    assert ingest_paths([corpus], _config(data), prune=True).pruned == 1
    (deletes,) = index_dir(data).glob("*.del")
    assert _run("search", "信息", "--data", str(data)).stdout.startswith("4 report(s) match")
    _change_bytes(deletes, 0, 1)
    assert f"({deletes.name} does not match its checksum)" in _refused_everywhere(data)


@pytest.mark.parametrize("ext, query, reopened", [("store", "信息", False), ("idx", '"信息公开"', False),
                                                 ("idx", '"信息公开"', True)])
def test_a_file_damaged_after_start_fails_the_search_that_meets_it_in_one_line(data, ext, query, reopened):
    """Past the start-up checks (a file changed under a running server), the search that meets
    the damage says so: a document block that does not decompress, or a postings list tantivy
    panics on (a BaseException from Rust, which would otherwise end in a traceback); or the
    reopening of the index after a commit, as a server's worker does, meets it first."""
    collection = Collection.open(_config(data))
    assert collection.index.count() == 5
    damaged = _segment_file(data, ext)
    _change_bytes(damaged, 0, damaged.stat().st_size - 200)
    with pytest.raises(IndexOpenError, match=r"the index is damaged \(tantivy: .+\); rebuild it from the store: "
                                             r"xxgk ingest --reindex"):
        if reopened:
            collection.index.reload()
        collection.search(query)
    collection.close()
    _reindex_repairs(data)


def _damaged_store(data: Path, problem: str) -> str:
    db = data / "reports.sqlite"
    return (f"Error: {db}: the store is damaged ({problem}); it cannot be rebuilt from the index: restore it from "
            f"a backup, or move {data} aside and ingest the files again (xxgk ingest PATH --data {data})")


@pytest.mark.parametrize("keep", [0.5, -65536])
def test_a_truncated_store_is_refused(data, keep):
    """Cut in half or short of its last page only: SQLite compares the file with its header's page count."""
    db = data / "reports.sqlite"
    size = db.stat().st_size
    kept = int(size * keep) if keep > 0 else size + keep
    os.truncate(db, kept)
    assert _refused_everywhere(data) == _damaged_store(data, "database disk image is malformed")


def test_an_emptied_store_is_refused(data):
    os.truncate(data / "reports.sqlite", 0)
    assert _refused_everywhere(data) == _damaged_store(data, "empty, while the index holds 5 reports")


def test_a_store_overwritten_with_other_bytes_is_refused(data):
    (data / "reports.sqlite").write_bytes(b"PK\x03\x04" + bytes(70000))
    assert _refused_everywhere(data) == _damaged_store(data, "file is not a database")


def test_a_store_from_a_newer_version_is_refused(data):
    with sqlite3.connect(data / "reports.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert _refused_everywhere(data) == (
        f"Error: {data / 'reports.sqlite'}: written by a newer xxgk (data format {SCHEMA_VERSION + 1}; this "
        f"version reads up to {SCHEMA_VERSION}): upgrade xxgk-search (pip install -U xxgk-search), or use another --data")


def test_a_store_without_a_stamp_is_stamped(data):
    """Stores written before the stamp (user_version 0) open and get it."""
    with sqlite3.connect(data / "reports.sqlite") as db:
        db.execute("PRAGMA user_version = 0")
    Store.open(data).close()
    with sqlite3.connect(data / "reports.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# -- a full disk ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs: the data directory of a few hundred reports does not fit (needs root)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_a_full_disk_stops_ingest_in_one_line_keeping_what_was_committed(tmp_path, small_disk):
    corpus = tmp_path / "generated"
    generate_corpus(300, corpus, formats=("txt",), seed=25)
    data = small_disk / "data"
    env = {**os.environ, "XXGK_BATCH_SIZE": "20"}
    full = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert full.returncode == 1
    assert full.stdout == ""
    assert full.stderr.startswith(f"Error: {data}: the disk is full (")
    assert full.stderr.endswith(") while writing a batch; the batches committed before are kept: "
                                "free some space and run the same command again\n")
    assert full.stderr.count("\n") == 1
    stored, indexed = _check_consistent(data)
    assert 0 < len(stored) < 300 and len(stored) % 20 == 0
    collection = Collection.open(_config(data))
    assert collection.search("信息").total == len(indexed)
    collection.close()

    # run again before any space is freed: the same line, though tantivy now says only that its
    # writer thread died (the disk is seen to be full by its free space), and nothing lost
    again = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 1
    assert again.stderr.startswith(f"Error: {data}: the disk is full (") and again.stderr.count("\n") == 1
    assert _check_consistent(data)[0] == stored

    # rebuilding the index on the full disk: refused in one line, the half-built index removed, the
    # index there before searchable as it was
    rebuild = subprocess.run([sys.executable, "-m", "indexer.cli", "ingest", "--reindex", "--data", str(data)],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rebuild.returncode == 1
    assert rebuild.stderr.startswith(f"Error: {data}: the disk is full (") and rebuild.stderr.count("\n") == 1
    assert rebuild.stderr.endswith(") while rebuilding the index; the index there before is left as it was: free "
                                   "about as much space as it takes and run the same command again\n")
    assert "--reindex" not in rebuild.stderr
    assert not (data / "index.rebuild").exists()
    assert _check_consistent(data)[0] == stored

    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    rerun = subprocess.run(_ingest_command(corpus, data), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    stored, indexed = _check_consistent(data)
    assert stored == indexed == _file_ids(corpus)
