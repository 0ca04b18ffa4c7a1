"""The store's compression (docs/data-directory.md#compression): zstd frames tagged with the
dictionary they were made with, dictionaries trained from an ingest's first reports, the upgrade
of a format-1 store, and a damaged frame."""
from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import zstandard
from click.testing import CliRunner

import indexer.store as store_module
from indexer.cli import cli
from indexer.generate import generate_corpus
from indexer.ingest import ingest_paths
from indexer.parse import parse_file
from indexer.store import KIND_JSON, SCHEMA_VERSION, Store, StoreError, report_to_json
from store_helpers import downgrade_to_format_1, make_report

SAMPLE = 12  # DICTIONARY_SAMPLE for these tests: a few generated reports train a dictionary


def frame_dicts(db: sqlite3.Connection, sql: str) -> list[int]:
    return [zstandard.get_frame_parameters(value).dict_id for (value,) in db.execute(sql)]


@pytest.fixture
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    return generate_corpus(3 * SAMPLE, out, formats=("txt",), seed=7)


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(store_module, "DICTIONARY_SAMPLE", SAMPLE)


def test_every_corpus_file_round_trips_through_the_store(tmp_path, corpus_files, config):
    store = Store.open(tmp_path / "data")
    reports = []
    for path in corpus_files:
        report = parse_file(path, config)
        store.put(report, path)
        reports.append((report, path))
    store.close()
    store = Store.open(tmp_path / "data")
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    for report, path in reports:
        assert store.get(report.id) == report
        assert store.original(report.id) == path.read_bytes()
        (stored,) = db.execute("SELECT json FROM reports WHERE id = ?", (report.id,)).fetchone()
        assert stored[:4] == b"\x28\xb5\x2f\xfd" and len(stored) < len(report_to_json(report))
        assert store.codec.decompress(stored, report.id) == report_to_json(report)
    # nine reports train no dictionary: every frame says "none"
    assert frame_dicts(db, "SELECT json FROM reports") == [0] * len(reports)
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone() == (0,)


def test_ingest_trains_a_dictionary_of_each_kind_once_the_store_holds_a_sample(tmp_path, config, generated,
                                                                              small_sample):
    data_config = replace(config, data_dir=tmp_path / "data")
    ingest_paths(generated[:SAMPLE - 2], data_config)  # a first ingest too small to train on
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone() == (0,)
    ingest_paths([generated[0].parent], data_config)
    assert db.execute("SELECT id, kind FROM dictionaries ORDER BY id").fetchall() == [(1, "json"), (2, "original")]
    # the store's first SAMPLE values have none; every later one has the dictionary
    assert frame_dicts(db, "SELECT json FROM reports ORDER BY rowid") == [0] * SAMPLE + [1] * (len(generated) - SAMPLE)
    assert frame_dicts(db, "SELECT bytes FROM originals ORDER BY rowid") == [0] * SAMPLE + [2] * (
        len(generated) - SAMPLE)
    store = Store.open(tmp_path / "data")
    for path in generated:
        (report_id,) = db.execute("SELECT report_id FROM sources WHERE path = ?", (str(path),)).fetchone()
        assert store.original(report_id) == path.read_bytes()
        assert store.get(report_id).source["sha256"] == db.execute(
            "SELECT sha256 FROM sources WHERE path = ?", (str(path),)).fetchone()[0]


def test_a_store_with_two_dictionaries_of_a_kind_reads_every_value(tmp_path, config, generated, small_sample):
    store = Store.open(tmp_path / "data")
    parsed = [(parse_file(path, config, synthetic=True), path) for path in generated]
    for report, path in parsed[:2 * SAMPLE]:
        store.put(report, path)
    second = store.add_dictionary(KIND_JSON, [report_to_json(report) for report, _ in parsed[:2 * SAMPLE]])
    for report, path in parsed[2 * SAMPLE:]:
        store.put(report, path)
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert second == 3
    assert frame_dicts(db, "SELECT json FROM reports ORDER BY rowid")[-1] == 3
    assert set(frame_dicts(db, "SELECT json FROM reports")) == {0, 1, 3}
    store.close()
    store = Store.open(tmp_path / "data")
    for report, path in parsed:
        assert store.get(report.id) == report
        assert store.original(report.id) == path.read_bytes()


def test_a_format_1_store_is_compressed_in_place_when_opened(tmp_path, config, generated, small_sample):
    data = tmp_path / "data"
    ingest_paths([generated[0].parent], replace(config, data_dir=data))
    store = Store.open(data)
    before = {report.id: (report, store.original(report.id)) for report in store.all_reports()}
    store.close()
    downgrade_to_format_1(data)
    db = sqlite3.connect(data / "reports.sqlite")
    assert db.execute("SELECT typeof(json), count(*) FROM reports GROUP BY 1").fetchall() == [("text", len(generated))]
    # ingest's parse workers open it read-only: they say how to upgrade rather than misread it
    with pytest.raises(StoreError, match=f"data format 1 is older than this version's {SCHEMA_VERSION}: "
                                         f"upgrade it with xxgk ingest --reindex --data {data}"):
        Store.open_readonly(data)
    result = CliRunner().invoke(cli, ["ingest", "--reindex", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    # trained on the store's own first rows, then every row compressed with them
    assert db.execute("SELECT id, kind FROM dictionaries ORDER BY id").fetchall() == [(1, "json"), (2, "original")]
    assert set(frame_dicts(db, "SELECT json FROM reports")) == {1}
    assert set(frame_dicts(db, "SELECT bytes FROM originals")) == {2}
    store = Store.open(data)
    assert {report.id: (report, store.original(report.id)) for report in store.all_reports()} == before
    assert dict(db.execute("SELECT key, value FROM figures WHERE report_id = ?", (next(iter(before)),)).fetchall()) \
        == before[next(iter(before))][0].figures


def test_a_damaged_frame_is_an_error_naming_the_report(tmp_path, config, generated):
    data = tmp_path / "data"
    ingest_paths(generated[:3], replace(config, data_dir=data))
    db = sqlite3.connect(data / "reports.sqlite", isolation_level=None)
    report_id, stored = db.execute("SELECT id, json FROM reports ORDER BY id LIMIT 1").fetchone()
    db.execute("UPDATE reports SET json = ? WHERE id = ?", (stored[:len(stored) // 2], report_id))
    with pytest.raises(StoreError, match=f"report {report_id}'s JSON cannot be decompressed"):
        Store.open(data).get(report_id)
    result = CliRunner().invoke(cli, ["ingest", "--reindex", "--data", str(data)])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith(f"Error: {data / 'reports.sqlite'}: the store is damaged (report {report_id}'s JSON "
                                "cannot be decompressed:"), result.output
    assert "Traceback" not in result.output
    (sha,) = db.execute("SELECT sha256 FROM reports WHERE id = ?", (report_id,)).fetchone()
    db.execute("UPDATE originals SET bytes = x'00' WHERE sha256 = ?", (sha,))
    with pytest.raises(StoreError, match=f"report {report_id}'s original file cannot be decompressed: not a zstd frame"):
        Store.open(data).original(report_id)


def test_a_sample_too_small_to_train_on_leaves_its_values_without_a_dictionary(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "DICTIONARY_SAMPLE", 3)
    store = Store.open(tmp_path / "data")
    made = [make_report(tmp_path, f"{name}.txt", name, year=2017 + i) for i, name in enumerate("abcd")]
    for report, path in made:
        store.put(report, path)  # zstd cannot train on three one-byte files, nor on three short JSONs
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone() == (0,)
    assert frame_dicts(db, "SELECT bytes FROM originals") == frame_dicts(db, "SELECT json FROM reports") == [0] * 4
    for report, path in made:
        assert store.get(report.id) == report and store.original(report.id) == path.read_bytes()


def test_threads_sharing_a_store_read_every_value(tmp_path, config, generated, small_sample):
    """The web server's threads share one store: each must read every value whole, even when they
    decompress at the same moment (one shared zstd decompressor gave 'Data corruption detected')."""
    ingest_paths([generated[0].parent], replace(config, data_dir=tmp_path / "data"))
    store = Store.open(tmp_path / "data")
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    frames = [(value, plain) for value, plain in (
        (v, store.codec.decompress(v, "check")) for (v,) in db.execute("SELECT json FROM reports"))]
    assert any(zstandard.get_frame_parameters(v).dict_id for v, _ in frames)
    start = threading.Barrier(8)

    def read_all(_):
        start.wait()
        return all(store.codec.decompress(value, "concurrent") == plain for value, plain in frames * 20)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(read_all, range(8)))
