"""A data directory that cannot be written (a copy on a read-only disk, docs/scaling.md) is
searched, exported and served as the original is, and an ingest there refuses in one line.

tantivy writes a lock file whenever it loads a searcher, and SQLite a shared-memory file beside a
WAL database it reads: both failed there, and the index was called damaged.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, SEEDS
from indexer.cli import cli
from indexer.collection import Collection
from indexer.ingest import ingest_paths
from indexer.store import DB_NAME, StoreError
from web import create_app

MISSION = "type:信访 year:2020 procurement_count>0"


@pytest.fixture(scope="module")
def original(tmp_path_factory, config):
    data = tmp_path_factory.mktemp("original") / "data"
    assert ingest_paths(SEEDS, replace(config, data_dir=data)).failed == []
    return data


@contextmanager
def read_only(source: Path, mount_point: Path):
    """``source`` seen read-only at ``mount_point``: a read-only bind mount (root: permissions do not
    stop root), or the files' write bits taken away (any other user)."""
    mount_point.mkdir()
    if os.geteuid() != 0:
        shutil.copytree(source, mount_point, dirs_exist_ok=True)
        paths = [mount_point, *mount_point.rglob("*")]
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield mount_point
        finally:
            for path in paths:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    bound = subprocess.run(["mount", "--bind", str(source), str(mount_point)], capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"no read-only directory can be made here: mount --bind: {bound.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount_point)], check=True, capture_output=True)
        assert not os.access(mount_point, os.W_OK)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def _copy_without_log(original: Path, to: Path) -> Path:
    """A copy made after the last connection closed: no -wal, no -shm. The log is checkpointed
    first, as the last connection's close does, so that nothing is in it alone whichever
    process closed last (the ingest's parse workers hold read connections too)."""
    connection = sqlite3.connect(original / DB_NAME)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        connection.close()
    shutil.copytree(original, to)
    for name in (DB_NAME + "-wal", DB_NAME + "-shm"):
        (to / name).unlink(missing_ok=True)
    return to


def _copy_with_log(original: Path, to: Path) -> Path:
    """A copy made while a connection had a commit in the log, not yet in the database file."""
    source = _copy_without_log(original, to.with_name(to.name + "-source"))
    writer = sqlite3.connect(source / DB_NAME, isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE logged_only (x)")  # in the log alone while the writer is open
        shutil.copytree(source, to)
    finally:
        writer.close()
    assert (to / (DB_NAME + "-wal")).stat().st_size > 0
    return to


def _cli(data: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer.cli", *args, "--data", str(data)], cwd=ROOT,
                          env={**os.environ, "TMPDIR": str(tmp)}, capture_output=True, timeout=120)


@pytest.mark.parametrize("make_copy", [_copy_without_log, _copy_with_log])
def test_a_read_only_copy_answers_as_the_original(original, tmp_path, config, make_copy):
    copy = make_copy(original, tmp_path / "copy")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with read_only(copy, tmp_path / "ro") as data:
        for args in (["search", MISSION, "--json"], ["search", "信访"], ["export", ""], ["export", "", "--panel"]):
            here, there = _cli(original, *args, tmp=scratch), _cli(data, *args, tmp=scratch)
            assert there.returncode == 0, there.stderr.decode()
            assert there.stdout.replace(bytes(data), bytes(original)) == here.stdout, args
        # the links tantivy reads the index through are gone with the process
        assert list(scratch.iterdir()) == []
        collection = Collection.open(replace(config, data_dir=data))
        assert [h["agency"] for h in collection.search(MISSION)["hits"]] == ["市中区信访局"]
        client = create_app({"XXGK_CONFIG": replace(config, data_dir=data)}).test_client()
        report_id = collection.search(MISSION)["hits"][0]["id"]
        for url in ("/?q=信访", f"/reports/{report_id}", f"/reports/{report_id}/source", "/stats?q=",
                    "/export.csv?q=", "/api/search?q=信访"):
            assert client.get(url).status_code == 200, url
        refused = CliRunner().invoke(cli, ["ingest", str(SEEDS[0]), "--data", str(data)])
        assert refused.exit_code == 1 and refused.output.count("\n") == 1
        assert "Read-only file system" in refused.output or "Permission denied" in refused.output


def test_a_read_only_copy_with_a_log_but_no_shared_memory_file_is_told(original, tmp_path, config):
    """SQLite cannot read the log without its -shm there, and reading the file alone would miss
    the log's commits: one line says how to copy it."""
    copy = _copy_with_log(original, tmp_path / "copy")
    (copy / (DB_NAME + "-shm")).unlink()
    with read_only(copy, tmp_path / "ro") as data:
        with pytest.raises(StoreError, match="read-only copy with its write-ahead log"):
            Collection.open(replace(config, data_dir=data))
        done = _cli(data, "export", "", tmp=tmp_path)
        assert done.returncode == 1 and done.stderr.decode().count("\n") == 1
        assert b"wal_checkpoint(TRUNCATE)" in done.stderr
