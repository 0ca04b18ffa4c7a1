"""Counts shared between processes reading one index (indexer/shared_counts.py): two ReportIndex
objects on one directory stand for two workers of a server."""
from __future__ import annotations

import sqlite3

import pytest

from indexer.index import ReportIndex
from indexer.query import compile_plan, parse_query
from indexer.search import ALL_ALIASES, _shared_key, counting_plan, search, stats
from indexer.shared_counts import FILE_NAME, SharedCounts
from search_helpers import build_index, hand_reports

QUERIES = ("规范性文件", "公开 year:2020", "规范性文件 行政处罚", "type:信访", "合川区信访办", "")


@pytest.fixture(scope="module")
def reports(config):
    return hand_reports(config)


@pytest.fixture()
def index_dir(tmp_path, reports):
    build_index(tmp_path / "index", reports[:5])
    return tmp_path / "index"


def _worker(index_dir, shared_dir) -> ReportIndex:
    return ReportIndex.open(index_dir, SharedCounts(shared_dir))


def _version(index: ReportIndex) -> str:
    return index.memo(index.searcher)["shared"][1]


def test_a_second_worker_reads_the_counts_the_first_made(index_dir, tmp_path):
    first, second = _worker(index_dir, tmp_path / "shared"), _worker(index_dir, tmp_path / "shared")
    alone = ReportIndex.open(index_dir)                                  # no sharing: counts by itself
    for q in QUERIES:
        assert search(first, q, rates=True) == search(alone, q, rates=True), q
        assert stats(first, q) == stats(alone, q), q
    assert _version(first) == _version(second)
    rows = sqlite3.connect(tmp_path / "shared" / FILE_NAME).execute("SELECT COUNT(*) FROM counts").fetchone()[0]
    assert rows >= 2 * len(QUERIES)
    for q in QUERIES:                                                    # read back through JSON: the same answers
        assert search(second, q, rates=True) == search(alone, q, rates=True), q
        assert stats(second, q) == stats(alone, q), q
    # the second worker's counts came from the file: one planted there is what it answers
    plan = counting_plan(second.searcher, second.schema, compile_plan(parse_query("type:信访")), {})
    planted = {**stats(alone, "type:信访"), "total": 12345}
    planted.pop("query")
    SharedCounts(tmp_path / "shared").put(_version(second), _shared_key(("stats", plan, frozenset({"applications"}),
                                                                          ALL_ALIASES)), planted)
    assert stats(second, "type:信访", frozenset({"applications"}))["total"] == 12345


def test_a_commit_names_new_counts(index_dir, tmp_path, reports):
    worker = _worker(index_dir, tmp_path / "shared")
    before = _version(worker)
    assert search(worker, "公开")["total"] == 5
    with ReportIndex.open(index_dir).batch() as batch:                   # an ingest in another process
        batch.add(reports[5])
    assert _version(worker) != before
    assert search(worker, "公开")["total"] == 6                           # counted again, not read under the old commit


def test_a_damaged_file_is_counted_around(index_dir, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / FILE_NAME).write_bytes(b"this is not a SQLite file" * 100)
    worker, alone = _worker(index_dir, shared), ReportIndex.open(index_dir)
    for q in QUERIES:
        assert search(worker, q) == search(alone, q) and stats(worker, q) == stats(alone, q), q


def test_the_benchmark_forgets_the_shared_counts_too(index_dir, tmp_path):
    worker = _worker(index_dir, tmp_path / "shared")
    worker.forget()
    assert "shared" not in worker.memo(worker.searcher)
