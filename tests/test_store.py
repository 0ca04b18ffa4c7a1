"""The SQLite store: round trips, figures with blanks, sources, content-addressed copies."""
from __future__ import annotations

import json
import sqlite3

import pytest
import zstandard

from indexer.parse import parse_file
from indexer.store import BULK_CACHE_KIB, LOOKUP_CACHE_KIB, Store, StoreError, report_to_json
from store_helpers import downgrade_to_format_1, make_report


def test_put_get_round_trip(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "一、总体情况 本机关", flags=("t3_balance", "blank_cells"))
    store.put(report, path)
    assert store.get(report.id) == report
    assert store.get("0000000000000000") is None
    assert store.count() == 1
    assert store.known_sha(report.source["sha256"])
    assert not store.known_sha("0" * 64)
    assert [r.id for r in store.all_reports()] == [report.id]


def test_schema_is_readable_sql(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "正文", flags=("t3_balance", "blank_cells"))
    store.put(report, path)
    store.close()
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = db.execute("SELECT agency, year, province, county, adcode, synthetic, format, flags FROM reports").fetchone()
    assert row == ("市中区信访局", 2020, "山东省", "市中区", "370402", 0, "txt", "blank_cells,t3_balance")
    figures = dict(db.execute("SELECT key, value FROM figures WHERE report_id = ?", (report.id,)).fetchall())
    # a blank cell is NULL, never 0; whole numbers stay whole
    assert figures == {"t2.procurement.count": 6, "t2.procurement.amount_wan": 63.2, "t3.new.natural": None}
    assert isinstance(figures["t2.procurement.count"], int)
    (path_, sha, report_id, size) = db.execute("SELECT path, sha256, report_id, size FROM sources").fetchone()
    assert (path_, sha, report_id, size) == (str(path), report.source["sha256"], report.id, path.stat().st_size)


def test_ingest_and_lookup_connections_cache_more_pages_than_sqlites_default(tmp_path):
    # SQLite's default is 2,000 KiB (-2000): a batch of reports would spill before its commit
    assert Store.open(tmp_path / "data")._db.execute("PRAGMA cache_size").fetchone()[0] == -2000
    bulk = Store.open(tmp_path / "data", cache_kib=BULK_CACHE_KIB)
    assert bulk._db.execute("PRAGMA cache_size").fetchone()[0] == -BULK_CACHE_KIB
    lookups = Store.open_readonly(tmp_path / "data")
    assert lookups._db.execute("PRAGMA cache_size").fetchone()[0] == -LOOKUP_CACHE_KIB


def test_figures_are_one_json_column_as_well(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "正文")
    store.put(report, path)
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    # the report JSON is a zstd frame; the figures stay plain JSON for SQL (docs/data-directory.md)
    assert db.execute("SELECT typeof(json), typeof(figures_json) FROM reports").fetchone() == ("blob", "text")
    assert db.execute("""SELECT figures_json ->> '$."t2.procurement.count"' FROM reports""").fetchone() == (6,)
    assert db.execute("""SELECT count(*) FROM reports WHERE figures_json ->> '$."t2.procurement.count"' > 0
                         """).fetchone() == (1,)


def test_a_store_with_the_old_figures_table_is_migrated_on_open(tmp_path):
    """Stores written before figures became a view held a ``figures`` table and no ``figures_json``."""
    data = tmp_path / "data"
    store = Store.open(data)
    report, path = make_report(tmp_path, "a.txt", "正文")
    store.put(report, path)
    store.close()
    downgrade_to_format_1(data)  # that old, it predates compression too
    db = sqlite3.connect(data / "reports.sqlite", isolation_level=None)
    db.executescript("""
        DROP VIEW figures;
        ALTER TABLE reports DROP COLUMN figures_json;
        CREATE TABLE figures (report_id TEXT NOT NULL, key TEXT NOT NULL, value NUMERIC,
                              PRIMARY KEY (report_id, key)) WITHOUT ROWID;
        INSERT INTO figures SELECT reports.id, f.key, f.value FROM reports, json_each(reports.json, '$.figures') AS f;
    """)
    db.close()
    store = Store.open(data)
    assert store.get(report.id) == report
    assert [r.figures for r in store.light_reports([report.id])] == [report.figures]
    store.close()
    db = sqlite3.connect(data / "reports.sqlite")
    assert db.execute("SELECT type FROM sqlite_master WHERE name = 'figures'").fetchone() == ("view",)
    assert dict(db.execute("SELECT key, value FROM figures").fetchall()) == report.figures


def test_the_original_bytes_are_kept_by_hash_and_survive_the_file(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "原文内容")
    store.put(report, path)
    original = path.read_bytes()
    path.unlink()
    assert store.original(report.id) == original
    assert store.has_original(report.id)
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    ((sha, stored),) = db.execute("SELECT sha256, bytes FROM originals").fetchall()
    # a zstd frame without a dictionary (a store of one report trains none)
    assert (sha, zstandard.decompress(stored)) == (report.source["sha256"], original)
    assert zstandard.get_frame_parameters(stored).dict_id == 0
    assert store.original("0000000000000000") is None
    assert not store.has_original("0000000000000000")
    assert not (tmp_path / "data" / "files").exists()


def test_a_file_changed_since_it_was_parsed_is_not_stored(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "解析时的内容")
    path.write_text("之后被改过", encoding="utf-8")
    with pytest.raises(StoreError, match=r"a\.txt: the file changed while it was being ingested"):
        store.put(report, path)
    assert store.count() == 0
    path.unlink()
    with pytest.raises(StoreError, match=r"a\.txt: cannot read the file to keep a copy"):
        store.put(report, path)


def test_a_store_with_copies_in_files_is_moved_into_originals_on_open(tmp_path):
    """Stores written before ``originals`` kept each copy as files/<sha[:2]>/<sha><ext> (``reports.stored_path``)."""
    data = tmp_path / "data"
    store = Store.open(data)
    report, path = make_report(tmp_path, "a.txt", "旧版本的副本")
    gone, gone_path = make_report(tmp_path, "b.txt", "副本已丢失", year=2019)
    store.put(report, path)
    store.put(gone, gone_path)
    store.close()
    downgrade_to_format_1(data)  # that old, it predates compression too
    sha = report.source["sha256"]
    copy = data / "files" / sha[:2] / f"{sha}.txt"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(path.read_bytes())
    db = sqlite3.connect(data / "reports.sqlite", isolation_level=None)
    db.executescript(f"""
        DROP TABLE originals;
        ALTER TABLE reports ADD COLUMN stored_path TEXT;
        UPDATE reports SET stored_path = 'files/{sha[:2]}/{sha}.txt' WHERE id = '{report.id}';
        UPDATE reports SET stored_path = 'files/00/missing.txt' WHERE id = '{gone.id}';
    """)
    db.close()
    path.unlink()
    store = Store.open(data)
    assert store.original(report.id) == "旧版本的副本".encode("utf-8")
    assert store.original(gone.id) is None and store.get(gone.id) == gone
    assert store.get(report.id) == report
    assert not (data / "files").exists()
    db = sqlite3.connect(data / "reports.sqlite")
    assert "stored_path" not in {row[1] for row in db.execute("PRAGMA table_info(reports)")}


def test_reports_by_agency_sorted_by_year(tmp_path):
    store = Store.open(tmp_path / "data")
    for year in (2021, 2019, 2020):
        report, path = make_report(tmp_path, f"{year}.txt", f"报告 {year}", year=year)
        store.put(report, path)
    other, path = make_report(tmp_path, "other.txt", "别的机关", agency="枣庄市民政局")
    store.put(other, path)
    assert [r.year for r in store.reports_by_agency("市中区信访局")] == [2019, 2020, 2021]
    assert [r.id for r in store.reports_by_agency("枣庄市民政局")] == [other.id]
    assert store.reports_by_agency("不存在") == []


def test_sources_duplicates_and_removal(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "同一份报告")
    store.put(report, path)
    copy = tmp_path / "b.txt"
    copy.write_bytes(path.read_bytes())
    store.add_source(copy, report.source["sha256"])
    assert [s.path for s in store.sources()] == [str(path), str(copy)]
    assert store.known_source(copy, report.source["sha256"])
    assert not store.known_source(copy, "0" * 64)
    assert store.remove_source(copy) == report.id
    assert store.remove_source(copy) is None
    assert [s.path for s in store.sources(report.id)] == [str(path)]
    assert store.unsourced_report_ids() == []
    store.remove_source(path)
    assert store.unsourced_report_ids() == [report.id]


def test_delete_removes_rows_and_copy(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "将被删除")
    store.put(report, path)
    assert store.has_original(report.id)
    store.delete(report.id)
    assert store.get(report.id) is None
    assert store.count() == 0
    assert store.sources() == []
    assert store.original(report.id) is None
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert db.execute("SELECT count(*) FROM figures").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM originals").fetchone()[0] == 0


def test_transaction_rolls_back_as_a_whole(tmp_path):
    store = Store.open(tmp_path / "data")
    first, path1 = make_report(tmp_path, "1.txt", "第一份")
    second, path2 = make_report(tmp_path, "2.txt", "第二份")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put(first, path1)
            store.put(second, path2)
            raise RuntimeError("killed mid-batch")
    assert store.count() == 0
    assert store.sources() == []
    # a second connection (the web server) sees only committed batches
    with store.transaction():
        store.put(first, path1)
        reader = Store.open(tmp_path / "data")
        assert reader.count() == 0
    assert reader.count() == 1


def test_put_replaces_same_id(tmp_path):
    store = Store.open(tmp_path / "data")
    report, path = make_report(tmp_path, "a.txt", "正文")
    store.put(report, path)
    report.figures = {"t2.procurement.count": 1}
    store.put(report, path)
    assert store.count() == 1
    assert store.get(report.id).figures == {"t2.procurement.count": 1}
    db = sqlite3.connect(tmp_path / "data" / "reports.sqlite")
    assert db.execute("SELECT key FROM figures").fetchall() == [("t2.procurement.count",)]


def test_light_reports_keep_order_figures_and_flags(tmp_path):
    store = Store.open(tmp_path / "data")
    first, path1 = make_report(tmp_path, "1.txt", "第一份", flags=("t3_balance", "blank_cells"))
    second, path2 = make_report(tmp_path, "2.txt", "第二份", year=2021, figures={"t2.fees.amount_wan": None})
    store.put(first, path1)
    store.put(second, path2)
    light = list(store.light_reports([second.id, "0000000000000000", first.id]))
    assert [r.id for r in light] == [second.id, first.id]
    assert light[0].figures == {"t2.fees.amount_wan": None}
    assert light[1].figures == first.figures
    assert light[1].flag_codes() == ["blank_cells", "t3_balance"]
    assert (light[1].agency, light[1].year, light[1].region, light[1].source["synthetic"]) == (
        first.agency, first.year, first.region, False)
    assert light[1].sections == [] and light[1].cells == {}


def test_the_stored_json_is_the_canonical_report_of_every_corpus_file(corpus_files):
    for path in corpus_files:
        report = parse_file(path)
        assert json.loads(report_to_json(report)) == json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
