"""Ingest: the corpus into a fresh data directory; skips, duplicates, prune, bad files, crash safety."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import tantivy
from click.testing import CliRunner

import indexer.ingest as ingest_module
from indexer.cli import cli
from indexer.collection import Collection
from indexer.generate import MARKER, generate_corpus
from indexer.index import ReportIndex
from indexer.candidates import SYNTHETIC_MARKER, NoSuchPath, collect_files
from indexer.ingest import index_dir, ingest_paths, rebuild_index
from indexer.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# corpus/seeds (5) + corpus/real (5; its README.md and expected.json are not reports)
CORPUS_REPORTS = 10


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A private copy of corpus/ (seeds and real), so tests may delete and edit files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def data_config(tmp_path, config):
    return replace(config, data_dir=tmp_path / "data")


def indexed_ids(index: ReportIndex, ids) -> set[str]:
    """Which of ``ids`` the index holds a document for."""
    found = set()
    for report_id in ids:
        query = tantivy.Query.term_query(index.schema, "id", report_id)
        if index.searcher.search(query, 1).count:
            found.add(report_id)
    return found


def test_collect_files_takes_reports_only(corpus):
    names = [c.path.name for c in collect_files([corpus])]
    assert len(names) == CORPUS_REPORTS
    assert "README.md" not in names and "expected.json" not in names
    (corpus / ".hidden.txt").write_text("x", encoding="utf-8")
    (corpus / "table.xls").write_text("x", encoding="utf-8")
    assert len(collect_files([corpus])) == CORPUS_REPORTS
    # a file named explicitly is always taken (so an unsupported one is reported, not ignored)
    assert [c.path.name for c in collect_files([corpus / "table.xls"])] == ["table.xls"]
    with pytest.raises(NoSuchPath, match="nope: no such file or directory"):
        collect_files([corpus / "nope"])
    # the data directory's stored copies are never walked into
    (corpus / "data" / "files" / "ab").mkdir(parents=True)
    (corpus / "data" / "files" / "ab" / "abcd.txt").write_text("copy", encoding="utf-8")
    assert len(collect_files([corpus], exclude=corpus / "data")) == CORPUS_REPORTS
    assert len(collect_files([corpus])) == CORPUS_REPORTS + 1


def test_ingest_corpus_then_rerun_skips_all(corpus, data_config):
    summary = ingest_paths([corpus / "seeds", corpus / "real"], data_config)
    assert summary.failed == []
    assert (summary.files, summary.ingested, summary.skipped, summary.duplicates) == (CORPUS_REPORTS, CORPUS_REPORTS, 0, 0)
    store = Store.open(data_config.data_dir)
    index = ReportIndex.open(index_dir(data_config.data_dir))
    assert store.count() == index.count() == CORPUS_REPORTS
    assert indexed_ids(index, store.report_ids()) == set(store.report_ids())
    reports = list(store.all_reports())
    assert summary.flagged == sum(1 for r in reports if r.flags)
    for report in reports:
        assert report.source["synthetic"] is False
        (source,) = store.sources(report.id)
        assert store.original(report.id) == Path(source.path).read_bytes()

    again = ingest_paths([corpus], data_config)
    assert (again.ingested, again.skipped, again.duplicates, again.failed) == (0, CORPUS_REPORTS, 0, [])
    assert Store.open(data_config.data_dir).count() == CORPUS_REPORTS


def test_same_bytes_under_another_name_is_a_duplicate(corpus, data_config):
    ingest_paths([corpus], data_config)
    seed = sorted((corpus / "seeds").glob("*.txt"))[0]
    shutil.copy(seed, corpus / "renamed.txt")
    summary = ingest_paths([corpus], data_config)
    assert (summary.ingested, summary.duplicates, summary.skipped) == (0, 1, CORPUS_REPORTS)
    store = Store.open(data_config.data_dir)
    assert store.count() == CORPUS_REPORTS
    paths = {s.path for s in store.sources() if Path(s.path).name in (seed.name, "renamed.txt")}
    assert paths == {str(seed), str(corpus / "renamed.txt")}
    assert len({s.report_id for s in store.sources() if s.path in paths}) == 1

    # two new files with the same bytes in one run: one report, one duplicate
    fresh = corpus / "fresh"
    fresh.mkdir()
    (fresh / "a.txt").write_bytes(seed.read_bytes() + "\n（修订版）\n".encode("utf-8"))
    shutil.copy(fresh / "a.txt", fresh / "b.txt")
    summary = ingest_paths([fresh], data_config)
    assert (summary.ingested, summary.duplicates) == (1, 1)
    store = Store.open(data_config.data_dir)
    assert store.count() == CORPUS_REPORTS + 1
    (new_id,) = {s.report_id for s in store.sources() if Path(s.path).parent == fresh}
    assert [Path(s.path).name for s in store.sources(new_id)] == ["a.txt", "b.txt"]


def test_a_moved_corpus_is_recognised_by_its_bytes_without_parsing(corpus, data_config, monkeypatch):
    ingest_paths([corpus], data_config)
    moved = corpus.parent / "moved"
    shutil.copytree(corpus, moved)

    def no_parsing(path, config=None, *, synthetic=False, data=None):
        raise RuntimeError(f"parsed {path.name} again")

    monkeypatch.setattr(ingest_module, "parse_file", no_parsing)  # the forked workers inherit it
    summary = ingest_paths([corpus, moved], data_config)
    assert (summary.skipped, summary.duplicates, summary.ingested, summary.failed) == (
        CORPUS_REPORTS, CORPUS_REPORTS, 0, [])
    store = Store.open(data_config.data_dir)
    assert store.count() == CORPUS_REPORTS
    assert sum(1 for s in store.sources() if Path(s.path).is_relative_to(moved)) == CORPUS_REPORTS


def test_a_copy_that_failed_where_another_copy_parsed_is_a_duplicate(corpus, data_config, monkeypatch):
    real_parse = ingest_module.parse_file

    def fails_for_b(path, config=None, **options):
        if path.name == "b.txt":
            raise RuntimeError("its worker had a bad moment")
        return real_parse(path, config, **options)

    monkeypatch.setattr(ingest_module, "parse_file", fails_for_b)
    seed = sorted((corpus / "seeds").glob("*.txt"))[0]
    twins = corpus / "twins"
    twins.mkdir()
    for name in ("a.txt", "b.txt"):
        shutil.copy(seed, twins / name)
    summary = ingest_paths([twins], data_config)
    assert (summary.ingested, summary.duplicates, summary.failed) == (1, 1, [])
    store = Store.open(data_config.data_dir)
    (report_id,) = store.report_ids()
    assert [Path(s.path).name for s in store.sources(report_id)] == ["a.txt", "b.txt"]


def test_prune_drops_reports_whose_every_source_is_gone(corpus, data_config):
    ingest_paths([corpus], data_config)
    seed, other = sorted((corpus / "seeds").glob("*.txt"))[:2]
    copy = corpus / "copy.txt"
    shutil.copy(seed, copy)
    ingest_paths([corpus], data_config)
    store = Store.open(data_config.data_dir)
    seed_id = next(s.report_id for s in store.sources() if s.path == str(seed))
    agency = store.get(seed_id).agency

    seed.unlink()
    summary = ingest_paths([corpus], data_config, prune=True)
    assert summary.pruned == 0  # the copy still holds the bytes
    assert store.get(seed_id) is not None
    assert [s.path for s in store.sources(seed_id)] == [str(copy)]

    copy.unlink()
    summary = ingest_paths([corpus], data_config, prune=True)
    assert summary.pruned == 1
    assert store.get(seed_id) is None
    assert store.count() == CORPUS_REPORTS - 1
    collection = Collection.open(data_config)
    assert collection.count() == CORPUS_REPORTS - 1
    assert indexed_ids(collection.index, [seed_id]) == set()
    assert all(hit["id"] != seed_id for hit in collection.search(f"agency:{agency}")["hits"])

    # an edited file is a new report; prune drops the old version
    other_id = next(s.report_id for s in store.sources() if s.path == str(other))
    other.write_bytes(other.read_bytes() + "\n（更正）\n".encode("utf-8"))
    summary = ingest_paths([corpus], data_config, prune=True)
    assert (summary.ingested, summary.pruned) == (1, 1)
    assert store.get(other_id) is None
    assert store.count() == CORPUS_REPORTS - 1


def test_a_file_named_in_gbk_or_with_a_newline_is_stored_skipped_and_kept_under_an_escaped_name(tmp_path,
                                                                                                 data_config):
    """Names are bytes on Linux: a GBK name (unzipped from a zip made on Chinese Windows) is not
    UTF-8, and a name may hold a newline. Such a report failed to store (a surrogate SQLite and
    JSON cannot hold); its name is now text with those bytes escaped as \\xNN, one line, and the
    escapes are undone to find the file again (skip unchanged, --prune)."""
    corpus = tmp_path / "names"
    corpus.mkdir()
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    gbk = Path(os.fsdecode(bytes(corpus) + b"/" + "信访局报告".encode("gbk") + b".txt"))
    newline = corpus / "line\nbreak.txt"
    shutil.copy(seeds[0], gbk)
    shutil.copy(seeds[1], newline)
    gbk_text = str(corpus) + "/" + "".join(f"\\x{b:02x}" for b in "信访局报告".encode("gbk")) + ".txt"
    newline_text = str(corpus / "line\\x0abreak.txt")

    summary = ingest_paths([corpus], data_config)
    assert (summary.ingested, summary.failed) == (2, [])
    store = Store.open(data_config.data_dir)
    assert sorted(s.path for s in store.sources()) == sorted([gbk_text, newline_text])
    assert {store.get(s.report_id).source["path"] for s in store.sources()} == {gbk_text, newline_text}
    assert ingest_paths([corpus], data_config).skipped == 2
    assert ingest_paths([corpus], data_config, prune=True).pruned == 0
    gbk.unlink()
    assert ingest_paths([corpus], data_config, prune=True).pruned == 1
    assert [s.path for s in store.sources()] == [newline_text]

    broken = corpus / "bad\x1b[2Jname\n.txt"
    broken.write_bytes(b"\x00\x01 junk")
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--data", str(data_config.data_dir)])
    assert f"failed: {corpus}/bad\\x1b[2Jname\\x0a.txt: binary data, not a text file\n" in result.stderr


def test_bad_files_fail_with_reason_and_the_rest_is_ingested(corpus, data_config):
    bad = corpus / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "junk.pdf").write_bytes(bytes(range(256)) * 40)
    (bad / "junk.docx").write_bytes(b"PK\x03\x04 not really a zip" * 20)
    (bad / "shopping.txt").write_text("牛奶 两盒\n面包 一个\n", encoding="utf-8")
    shutil.copy(bad / "junk.pdf", bad / "junk2.pdf")
    summary = ingest_paths([corpus], data_config)
    failed = dict(summary.failed)
    assert sorted(Path(p).name for p in failed) == ["empty.txt", "junk.docx", "junk.pdf", "junk2.pdf",
                                                    "shopping.txt"]
    for reason in failed.values():
        assert reason and "\n" not in reason and "Traceback" not in reason
    # a copy of a failed file fails with it (same reason), it is no duplicate of anything
    assert failed[str(bad / "junk2.pdf")] == failed[str(bad / "junk.pdf")] + " (same bytes as junk.pdf)"
    assert (summary.ingested, summary.duplicates) == (CORPUS_REPORTS, 0)
    store = Store.open(data_config.data_dir)
    index = ReportIndex.open(index_dir(data_config.data_dir))
    assert store.count() == index.count() == CORPUS_REPORTS
    assert not any(Path(s.path).parent == bad for s in store.sources())


def test_generated_files_are_marked_synthetic(corpus, data_config, tmp_path):
    assert SYNTHETIC_MARKER == MARKER  # the file `xxgk generate` leaves in its folder
    seeds = sorted((corpus / "seeds").glob("*.txt"))
    marked, truth, plain = (tmp_path / name for name in ("marked", "truth", "plain"))
    for folder in (marked / "sub", truth, plain):
        folder.mkdir(parents=True)
    (marked / SYNTHETIC_MARKER).write_text("", encoding="utf-8")
    shutil.copy(seeds[0], marked / "sub" / "a.txt")
    shutil.copy(seeds[1], truth / "b.txt")
    (truth / "b.json").write_text(json.dumps({"id": "x", "source": {"synthetic": True}}), encoding="utf-8")
    shutil.copy(seeds[2], plain / "c.txt")
    (plain / "c.json").write_text(json.dumps({"source": {"synthetic": False}}), encoding="utf-8")
    summary = ingest_paths([marked, truth, plain], data_config)
    assert summary.ingested == 3
    store = Store.open(data_config.data_dir)
    synthetic = {Path(s.path).name: store.get(s.report_id).source["synthetic"] for s in store.sources()}
    assert synthetic == {"a.txt": True, "b.txt": True, "c.txt": False}


def test_rebuild_index_from_the_store(corpus, data_config):
    ingest_paths([corpus], data_config)
    shutil.rmtree(index_dir(data_config.data_dir))
    assert rebuild_index(data_config) == CORPUS_REPORTS
    collection = Collection.open(data_config)
    assert collection.count() == CORPUS_REPORTS
    hits = collection.search("type:信访 year:2020 procurement_count>0")["hits"]
    assert [(h["agency"], h["year"]) for h in hits] == [("市中区信访局", 2020)]

    shutil.rmtree(index_dir(data_config.data_dir))
    result = CliRunner().invoke(cli, ["ingest", "--reindex", "--data", str(data_config.data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reindexed {CORPUS_REPORTS} reports from {data_config.data_dir}\n"
    assert ReportIndex.open(index_dir(data_config.data_dir)).count() == CORPUS_REPORTS


def test_cli_ingest_summary_failures_and_exit_codes(corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    data = str(tmp_path / "data")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(corpus), "--data", data])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ingested {CORPUS_REPORTS} (flagged ")
    assert f"failed 1, duplicates 0, pruned 0  [{CORPUS_REPORTS + 1} files" in result.stdout
    assert f"failed: {corpus / 'empty.txt'}: " in result.stderr
    assert "1 file(s) failed; every other file was ingested." in result.stderr

    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "empty.txt").write_bytes(b"")
    result = runner.invoke(cli, ["ingest", str(only_bad), "--data", data])
    assert result.exit_code == 1
    assert "Error: no file could be ingested (see the reasons above)" in result.stderr

    result = runner.invoke(cli, ["ingest", str(tmp_path / "nope"), "--data", data])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope'}: no such file or directory\n"

    empty = tmp_path / "empty_dir"
    empty.mkdir()
    result = runner.invoke(cli, ["ingest", str(empty), "--data", data])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no report files found under {empty} (looked for .bmp, .doc, .docx, ")
    assert result.stderr.endswith(", .wps, .zip)\n")

    result = runner.invoke(cli, ["ingest", "--data", data])
    assert result.exit_code == 2
    assert "give at least one PATH (or --prune / --reindex / --reparse alone)" in result.stderr


BATCH = 25


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT count(*) FROM reports").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_ingest_leaves_a_committed_index_and_a_rerun_finishes(tmp_path, config):
    total = 400
    corpus = tmp_path / "generated"
    generate_corpus(total, corpus, formats=("txt",), seed=11)
    data = tmp_path / "data"
    env = {**os.environ, "XXGK_BATCH_SIZE": str(BATCH)}
    command = [sys.executable, "-m", "indexer.cli", "ingest", str(corpus), "--data", str(data)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline and _committed(data / "reports.sqlite") < BATCH:
        time.sleep(0.01)
    assert process.poll() is None, "ingest ended before the kill; the test needs more files"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    index = ReportIndex.open(index_dir(data))
    store = Store.open(data)
    in_index, in_store = index.count(), store.count()
    assert in_index % BATCH == 0 and BATCH <= in_index < total
    # the index commits first: the store is at the same batch or one behind
    assert in_store in (in_index, in_index - BATCH)
    assert indexed_ids(index, store.report_ids()) == set(store.report_ids())

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    index.reload()
    assert store.count() == index.count() == total
    assert all(r.source["synthetic"] for r in store.all_reports())


def test_a_hung_or_dying_parser_fails_its_file_only(corpus, data_config, monkeypatch):
    real_parse = ingest_module.parse_file

    def faulty_parse(path, config=None, **options):
        if path.name == "hangs.txt":
            time.sleep(30)
        if path.name == "crashes.txt":
            os._exit(1)  # a worker killed mid-file (segfault, out of memory)
        return real_parse(path, config, **options)

    # the workers are forked, so they inherit these
    monkeypatch.setattr(ingest_module, "parse_file", faulty_parse)
    monkeypatch.setattr(ingest_module, "PARSE_TIMEOUT", 5)
    monkeypatch.setattr(ingest_module, "STALL_GRACE", 2)
    seeds = corpus / "seeds"
    (seeds / "hangs.txt").write_text("不会读完", encoding="utf-8")
    (seeds / "crashes.txt").write_text("读到一半进程没了", encoding="utf-8")
    summary = ingest_paths([seeds], data_config)
    assert dict((Path(p).name, r) for p, r in summary.failed) == {
        "hangs.txt": "parsing took longer than 5 s (gave up on this file)",
        "crashes.txt": "a parser process died (crash or out of memory) before returning this file",
    }
    assert summary.ingested == 5
    assert Store.open(data_config.data_dir).count() == 5


def test_ctrl_c_keeps_committed_batches_and_says_so(tmp_path):
    corpus = tmp_path / "generated"
    generate_corpus(300, corpus, formats=("txt",), seed=12)
    data = tmp_path / "data"
    env = {**os.environ, "XXGK_BATCH_SIZE": str(BATCH)}
    command = [sys.executable, "-m", "indexer.cli", "ingest", str(corpus), "--data", str(data)]
    # its own process group, as in a terminal: Ctrl-C reaches the workers too
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline and _committed(data / "reports.sqlite") < BATCH:
        time.sleep(0.01)
    assert process.poll() is None, "ingest ended before the interrupt; the test needs more files"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.strip().endswith("interrupted: every committed batch is kept; run the same command again to finish")
    assert "Traceback" not in stderr
    index = ReportIndex.open(index_dir(data))
    in_store = Store.open(data).count()
    assert in_store % BATCH == 0 and BATCH <= in_store < 300
    assert index.count() in (in_store, in_store + BATCH)


def test_ingest_lists_agencies_the_taxonomy_does_not_know(tmp_path):
    """Type 其他 is named in the ingest summary, so that config.toml can be extended."""
    page = (CORPUS / "real" / "fj_pingtan_2024_page.html").read_text(encoding="utf-8")
    reports = tmp_path / "in"
    reports.mkdir()
    (reports / "zone.html").write_text(page, encoding="utf-8")
    for bureau in ("社会事业局", "经济发展局"):
        (reports / f"{bureau}.html").write_text(page.replace("平潭综合实验区2024年度", f"平潭综合实验区{bureau}2024年度"),
                                                encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(reports), "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("agency type 其他 (not in the taxonomy) for 2 agencies; add a type or keyword for them "
                        "to [[agency_types]] in config.toml, then ingest again:")
    assert lines[start + 1:start + 3] == ["  平潭综合实验区社会事业局  (1 report)", "  平潭综合实验区经济发展局  (1 report)"]
    assert "平潭综合实验区  (" not in result.output  # the zone's own report is typed 人民政府
