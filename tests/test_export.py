"""Export: every matching report, one row each; CSV with a BOM, blanks empty, JSON with nulls."""
from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.aliases import ALIASES
from indexer.cli import cli
from indexer.collection import Collection
from indexer.export import ExportFormatError, export_columns, export_reports
from indexer.figure_keys import all_figure_keys
from indexer.index import ReportIndex
from indexer.ingest import ingest_paths
from indexer.store import Store, index_dir
from store_helpers import make_report

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpus" / "seeds").glob("*.txt"))
META = ["id", "agency", "agency_key", "year", "province", "city", "county", "adcode", "level", "agency_type",
        "template", "title", "published", "synthetic", "flags"]


@pytest.fixture
def small(tmp_path, config):
    """A collection (store and index) holding five hand-made reports (no parser involved)."""
    data = tmp_path / "data"
    store = Store.open(data)
    index = ReportIndex.open(index_dir(data))
    reports = []
    xinfang, path = make_report(
        tmp_path, "xinfang.txt", "市中区信访局积极有效落实各项有关工作", year=2020,
        figures={"t2.procurement.count": 6, "t2.procurement.amount_wan": 63.2, "t3.new.natural": 3,
                 "t3.new.commercial": 2, "t3.new.legal": 0, "t3.new.research": None, "t3.new.total": None},
        flags=("t3_balance", "blank_cells"))
    reports.append((xinfang, path))
    for i, year in enumerate((2019, 2019, 2021, 2021)):
        report, path = make_report(tmp_path, f"minzheng{i}.txt", f"枣庄市民政局第{i}份报告", agency="枣庄市民政局",
                                   year=year, figures={"t2.procurement.count": i})
        report.agency_type = "民政"
        reports.append((report, path))
    with index.batch() as writer:
        for report, _ in reports:
            writer.add(report)
    with store.transaction():
        for report, path in reports:
            store.put(report, path)
    return Collection(config, store, index), [r for r, _ in reports]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_columns_are_meta_then_aliases_then_figure_keys():
    assert export_columns() == META + list(ALIASES) + all_figure_keys()


def test_csv_row_values_and_blanks(small):
    collection, reports = small
    rows = read_csv(export_reports(collection, "year:2020", "csv"))
    header, body = rows[0], rows[1:]
    assert header == export_columns()
    assert len(body) == 1
    row = dict(zip(header, body[0]))
    xinfang = reports[0]
    assert [row[c] for c in META] == [
        xinfang.id, "市中区信访局", "", "2020", "山东省", "枣庄市", "市中区", "370402", "county", "信访", "2019",
        "市中区信访局2020年度政府信息公开工作年度报告", "2021-01-22", "false", "blank_cells,t3_balance"]
    assert row["procurement_count"] == "6"
    assert row["procurement_amount"] == "63.2"
    assert row["t2.procurement.amount_wan"] == "63.2"
    # a blank reported total falls back to the sum of its parts
    assert row["applications"] == "5"
    # zero stays 0; a blank cell and a cell the template lacks stay empty
    assert row["t3.new.legal"] == "0"
    assert row["t3.new.research"] == ""
    assert row["t3.new.total"] == ""
    assert row["t4.review.total"] == ""
    assert row["review"] == ""


def test_json_has_the_same_fields_with_nulls(small):
    collection, reports = small
    records = json.loads(export_reports(collection, "year:2020", "json"))
    assert len(records) == 1
    record = records[0]
    assert list(record) == export_columns()
    assert record["id"] == reports[0].id
    assert record["year"] == 2020
    assert record["synthetic"] is False
    assert record["flags"] == ["blank_cells", "t3_balance"]
    assert record["procurement_count"] == 6
    assert record["applications"] == 5
    assert record["t3.new.legal"] == 0
    assert record["t3.new.research"] is None
    assert record["t4.review.total"] is None


def test_export_has_every_hit_not_one_page(small):
    collection, reports = small
    records = json.loads(export_reports(collection, "year:2019..2021", "json"))
    assert sorted(r["id"] for r in records) == sorted(r.id for r in reports)
    rows = read_csv(export_reports(collection, "agency:枣庄市民政局", "csv"))
    assert sorted(r[0] for r in rows[1:]) == sorted(r.id for r in reports[1:])


def test_unknown_format_is_a_clear_error(small):
    collection, _ = small
    with pytest.raises(ExportFormatError, match="unknown export format 'xlsx'"):
        export_reports(collection, "year:2020", "xlsx")


def test_cli_export_stdout_and_file(small, tmp_path, config):
    data_dir = str(tmp_path / "data")
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "year:2021", "--format", "csv", "--data", data_dir])
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout_bytes)
    assert [r[1] for r in rows[1:]] == ["枣庄市民政局", "枣庄市民政局"]
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["export", "year:2019", "--format", "json", "--data", data_dir, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["year"] for r in json.loads(out.read_bytes())] == [2019, 2019]


def test_cli_export_through_a_link_or_into_a_pipe_keeps_them_what_they_are(small, tmp_path):
    """The export is written beside its file and renamed over it; a rename over a symbolic link
    replaced the link with a file, and over a device or a pipe put a file in its place (as root,
    `-o /dev/full` replaced the device). Through a link the file it names is written; a pipe is
    written directly."""
    data = ["--data", str(tmp_path / "data")]
    (tmp_path / "exports").mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to("exports/2019.json")
    result = CliRunner().invoke(cli, ["export", "year:2019", "--format", "json", *data, "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and [r["year"] for r in json.loads(link.read_bytes())] == [2019, 2019]
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["2019.json"]
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    # held open for writing until the export is done, so that the reader never waits on a pipe the
    # export did not write to: it then reads to the end as soon as this is closed. The read end is
    # opened here, while `held` is a writer: opened in the reading thread it waited forever for a
    # writer whenever the export had finished and `held` was closed before that thread ran.
    held = os.open(pipe, os.O_RDWR)
    with open(pipe, "rb") as reading, ThreadPoolExecutor(1) as reader:
        received = reader.submit(reading.read)
        result = CliRunner().invoke(cli, ["export", "year:2019", "--format", "json", *data, "-o", str(pipe)])
        os.close(held)
        assert result.exit_code == 0, result.output
        assert [r["year"] for r in json.loads(received.result(timeout=60))] == [2019, 2019]
    assert stat.S_ISFIFO(pipe.stat().st_mode) and not (tmp_path / "pipe.json.part").exists()


@pytest.mark.parametrize("command", [["search", "year:2019"], ["search", "year:2019", "--json"],
                                     ["export", "year:2019"], ["parse", "--json", str(SEEDS[0])]])
def test_output_that_cannot_be_written_is_one_line_not_a_traceback(small, tmp_path, command):
    """Standard output on a full disk (/dev/full) ended `search` and `parse` in a traceback."""
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "indexer.cli", *command, "--data", str(tmp_path / "data")],
                              cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ") and "No space left on device" in done.stderr


@pytest.mark.parametrize("command", [["search", "year:2019"], ["search", "year:2019", "--json"],
                                     ["parse", str(SEEDS[0])]])
def test_an_output_encoding_without_chinese_is_one_line_not_a_traceback(small, tmp_path, command):
    """PYTHONIOENCODING=latin-1 (or a locale of that kind) ended every command printing Chinese
    in a UnicodeEncodeError traceback."""
    done = subprocess.run([sys.executable, "-m", "indexer.cli", *command, "--data", str(tmp_path / "data")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 1
    assert done.stderr == ("Error: the output's encoding (latin-1) cannot write Chinese: "
                           "set PYTHONIOENCODING=utf-8 or a UTF-8 locale\n")


@pytest.mark.parametrize("command", [["search", "year:2019"], ["export", "year:2019"],
                                     ["export", "year:2019", "--long"], ["parse", "--json", str(SEEDS[0])]])
def test_a_reader_gone_away_is_no_error_to_tell_of(small, tmp_path, command):
    """`xxgk export … | head` said "Error: stdout: cannot write the export (Broken pipe)": the
    export took the closed pipe for a failed export, where search and parse end quietly."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    try:
        done = subprocess.run([sys.executable, "-m", "indexer.cli", *command, "--data", str(tmp_path / "data")],
                              cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (1, "")


def test_export_of_the_ingested_seeds_answers_the_mission_query(tmp_path, config):
    config = replace(config, data_dir=tmp_path / "data")
    summary = ingest_paths(SEEDS, config)
    assert summary.failed == []
    collection = Collection.open(config)
    rows = read_csv(collection.export("type:信访 year:2020 procurement_count>0", "csv"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert (row["agency"], row["year"], row["agency_type"]) == ("市中区信访局", "2020", "信访")
    assert float(row["procurement_count"]) > 0
    everything = json.loads(collection.export("year:2019..2024", "json"))
    assert len(everything) == len(SEEDS)
