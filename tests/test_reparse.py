"""`xxgk ingest --reparse`: stored reports parsed again from the store's copies of their files.

An older parser's figures are stood in for by rewriting one stored report (its store row and its
index document) the way an older version would have left it; parsing again must bring back what
this version reads, in the store and in the search, and touch nothing else.
"""
from __future__ import annotations

import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

import indexer.ingest as ingest_module
from indexer.cli import cli
from indexer.collection import Collection
from indexer.errors import ReaderError
from indexer.index import ReportIndex
from indexer.ingest import index_dir, ingest_paths, reparse_stored
from indexer.store import Store, prepare_put

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt"  # 市中区信访局 2020, the mission query's report
MISSION = "type:信访 year:2020 procurement_count>0"


def _as_an_older_parser_left_it(data_dir: Path, report_id: str, **figures) -> None:
    """Rewrite one stored report, store row and index document, with other figures."""
    store = Store.open(data_dir)
    try:
        report = store.get(report_id)
        old = replace(report, figures={**report.figures, **figures})
        store.update(old, prepare_put(old, report.source["path"], store.original(report_id)))
    finally:
        store.close()
    index = ReportIndex.open(index_dir(data_dir))
    with index.batch() as writer:
        writer.add(old)


def _mission_hits(config) -> list[str]:
    collection = Collection.open(config)
    try:
        return [hit["id"] for hit in collection.search(MISSION)["hits"]]
    finally:
        collection.close()


def test_a_report_an_older_parser_read_wrongly_is_read_again(tmp_path, config):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    data_config = replace(config, data_dir=tmp_path / "data")
    ingest_paths([corpus], data_config)
    store = Store.open(data_config.data_dir)
    report_id = next(i for i in store.report_ids() if store.get(i).source["path"].endswith(SEED.name))
    before = {i: store.report_json(i) for i in store.report_ids()}
    store.close()
    assert _mission_hits(data_config) == [report_id]

    _as_an_older_parser_left_it(data_config.data_dir, report_id, **{"t2.procurement.count": 0, "t3.new.total": 999})
    assert _mission_hits(data_config) == []

    summary = reparse_stored(data_config)
    assert summary.changed == [(str(corpus / "seeds" / SEED.name), 2)]
    assert (summary.reports, summary.unchanged, summary.failed) == (len(before), len(before) - 1, [])
    store = Store.open(data_config.data_dir)
    try:
        assert {i: store.report_json(i) for i in store.report_ids()} == before
        assert [s.path for s in store.sources(report_id)] == [str(corpus / "seeds" / SEED.name)]
    finally:
        store.close()
    assert _mission_hits(data_config) == [report_id]
    assert ReportIndex.open(index_dir(data_config.data_dir)).count() == len(before)

    again = reparse_stored(data_config)
    assert (again.changed, again.unchanged) == ([], len(before))


def test_a_report_that_no_longer_parses_is_kept_as_it_was(tmp_path, config, monkeypatch):
    data_config = replace(config, data_dir=tmp_path / "data")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    ingest_paths([folder], data_config)
    store = Store.open(data_config.data_dir)
    (report_id,) = store.report_ids()
    stored = store.report_json(report_id)
    store.close()

    def refuse(path, *args, **kwargs):
        raise ReaderError(path, "not a report this version reads")

    monkeypatch.setattr(ingest_module, "parse_file", refuse)
    summary = reparse_stored(data_config)
    assert summary.failed == [(str(folder / SEED.name), "not a report this version reads")]
    assert (summary.changed, summary.unchanged) == ([], 0)
    store = Store.open(data_config.data_dir)
    assert store.report_json(report_id) == stored
    store.close()
    assert _mission_hits(data_config) == [report_id]


def test_a_member_of_an_archive_whose_archive_is_gone_is_read_from_the_store(tmp_path, config):
    data_config = replace(config, data_dir=tmp_path / "data")
    archive = tmp_path / "2020年报.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(SEED, f"年报/{SEED.name}")
    ingest_paths([archive], data_config)
    archive.unlink()
    summary = reparse_stored(data_config)
    assert (summary.reports, summary.unchanged, summary.changed, summary.failed) == (1, 1, [], [])


def test_cli_reparse_says_what_changed(tmp_path, config):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(folder), "--data", str(data)]).exit_code == 0
    store = Store.open(data)
    (report_id,) = store.report_ids()
    store.close()
    _as_an_older_parser_left_it(data, report_id, **{"t2.procurement.count": 0})

    result = runner.invoke(cli, ["ingest", "--reparse", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"parsed again 1 reports: 1 changed (1 of them in their figures), 0 unchanged, failed 0"
                             f"  [{data}]\n  {folder / SEED.name}  (1 figure changed)\n")
    result = runner.invoke(cli, ["ingest", "--reparse", "--data", str(data)])
    assert result.stdout.startswith("parsed again 1 reports: 0 changed (0 of them in their figures), 1 unchanged")
