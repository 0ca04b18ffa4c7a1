"""Zip archives of reports, as bulk downloads come: every report file inside is ingested under the
archive's path, names written by Chinese Windows (GBK, unflagged) read as such, nothing ever
extracted outside, and a rerun, a prune and a bad archive or member behave as for folders."""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SEEDS
from indexer import archives
from indexer.archives import clean_member_path, decoded_name
from indexer.cli import cli
from indexer.collection import Collection
from indexer.errors import ReaderError
from indexer.ingest import ingest_paths
from indexer.store import Store

HONGZE = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
MISSION = "type:信访 year:2020 procurement_count>0"


def gbk_zip(members: dict[str, bytes], *, gbk_names: tuple[str, ...] = ()) -> bytes:
    """A zip as Chinese Windows' own archiver writes it: the names of ``gbk_names`` in GBK bytes
    without the UTF-8 flag (Python's zipfile would flag them UTF-8, so each is written under an
    ASCII name of the same length and its bytes put in place after)."""
    swaps = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, data) in enumerate(members.items()):
            if name in gbk_names:
                raw = name.encode("gbk")
                placeholder = f"N{i:03d}".ljust(len(raw), "x")
                swaps[placeholder.encode()] = raw
                name = placeholder
            z.writestr(name, data)
    data = buffer.getvalue()
    for placeholder, raw in swaps.items():
        assert data.count(placeholder) == 2  # the local header's and the central directory's
        data = data.replace(placeholder, raw)
    return data


def _bulk_download(folder: Path) -> Path:
    members = {f"年报/报告{i}.txt": seed.read_bytes() for i, seed in enumerate(SEEDS[:3])}
    members.update({"pdf/洪泽区.pdf": HONGZE.read_bytes(), "README.txt": b"not a report",
                    "../../outside.txt": SEEDS[3].read_bytes()})
    archive = folder / "2020年报.zip"
    archive.write_bytes(gbk_zip(members, gbk_names=tuple(n for n in members if n.startswith("年报/"))))
    return archive


def test_the_reports_inside_a_zip_are_ingested_under_its_path(tmp_path, config):
    folder = tmp_path / "downloads"
    folder.mkdir()
    archive = _bulk_download(folder)
    data = replace(config, data_dir=tmp_path / "data")
    summary = ingest_paths([folder], data)
    assert (summary.ingested, summary.failed) == (5, [])
    paths = sorted(s.path for s in Store.open(data.data_dir).sources())
    assert paths == sorted(str(archive / name) for name in (
        "年报/报告0.txt", "年报/报告1.txt", "年报/报告2.txt", "pdf/洪泽区.pdf", "outside.txt"))
    assert not (tmp_path / "outside.txt").exists() and sorted(p.name for p in folder.iterdir()) == [archive.name]
    collection = Collection.open(data)
    (hit,) = collection.search(MISSION)["hits"]
    report = collection.get(hit["id"])
    assert hit["agency"] == "市中区信访局" and report.source["path"].startswith(str(archive) + "/年报/")
    assert collection.original(hit["id"]) in {seed.read_bytes() for seed in SEEDS[:3]}
    # a rerun skips every member by its bytes; a prune keeps them while the archive holds them
    assert ingest_paths([archive], data).skipped == 5
    assert ingest_paths([], data, prune=True).pruned == 0
    archive.unlink()
    assert ingest_paths([], data, prune=True).pruned == 5


def test_a_damaged_archive_or_member_fails_alone(tmp_path, config, monkeypatch):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 but nothing after")
    (folder / "big.zip").write_bytes(gbk_zip({"big.txt": SEEDS[1].read_bytes(), "small.txt": SEEDS[0].read_bytes()}))
    (folder / "plain.txt").write_bytes(SEEDS[2].read_bytes())
    monkeypatch.setattr(archives, "MAX_FILE_BYTES", len(SEEDS[0].read_bytes()) + 10)  # big.txt is larger
    assert len(SEEDS[1].read_bytes()) > archives.MAX_FILE_BYTES
    summary = ingest_paths([folder], replace(config, data_dir=tmp_path / "data"))
    assert summary.ingested == 2
    reasons = dict(summary.failed)
    assert reasons[str(folder / "broken.zip")].startswith("damaged zip archive (")
    assert reasons[str(folder / "big.zip" / "big.txt")].startswith("file too large (")


def test_member_names_are_decoded_and_kept_inside():
    assert clean_member_path("../../etc/passwd.txt") == "etc/passwd.txt"
    assert clean_member_path("C:\\报告\\..\\2020.pdf") == "报告/2020.pdf"
    assert clean_member_path("/abs/./x.txt") == "abs/x.txt"
    with zipfile.ZipFile(io.BytesIO(gbk_zip({"报告.txt": b"x", "flagged报告.txt": b"y", "plain.txt": b"z"},
                                            gbk_names=("报告.txt",)))) as z:
        assert [decoded_name(info) for info in z.infolist()] == ["报告.txt", "flagged报告.txt", "plain.txt"]


def test_the_cli_says_it_looks_for_archives_too(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["ingest", str(empty), "--data", str(tmp_path / "data")])
    assert result.exit_code != 0 and ".zip" in result.stderr


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_mutated_archive_is_listed_and_read_or_told_in_one_line(tmp_path, data):
    """Bytes flipped, cut or copied over in an archive: its listing and each member's reading
    give the members or a ReaderError, never another exception (a corrupt deflate stream raised
    zlib.error, which would have ended a parse worker)."""
    blob = bytearray(gbk_zip({f"年报/报告{i}.txt": seed.read_bytes() for i, seed in enumerate(SEEDS[:3])},
                             gbk_names=("年报/报告0.txt",)))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del blob[data.draw(st.integers(0, len(blob) - 1)):]
    archive = tmp_path / "mutated.zip"
    archive.write_bytes(bytes(blob))
    try:
        members = archives.archive_members(archive)
    except ReaderError as e:
        assert "\n" not in str(e)
        return
    for member in members:
        try:
            archives.read_member(archive, member, archive / member.name)
        except ReaderError as e:
            assert "\n" not in str(e)


def test_generated_reports_zipped_with_their_marker_stay_synthetic(tmp_path, config):
    """`xxgk generate` marks its folder; zipped, the reports lost the mark and were taken for real ones."""
    from indexer.generate import generate_corpus

    made = generate_corpus(2, tmp_path / "generated", formats=("txt",), seed=3)
    archive = tmp_path / "generated.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in (*made, tmp_path / "generated" / ".xxgk-synthetic"):
            z.write(path, f"batch/{path.name}")
    data = replace(config, data_dir=tmp_path / "data")
    assert ingest_paths([archive], data).ingested == 2
    collection = Collection.open(data)
    assert [collection.get(h["id"]).source["synthetic"] for h in collection.search("")["hits"]] == [True, True]


def test_parse_reads_a_member_named_as_ingest_records_it(tmp_path, config):
    """A report's source.path inside an archive can be given to `xxgk parse` again."""
    archive = _bulk_download(tmp_path)
    runner = CliRunner()
    for member in ("年报/报告0.txt", "pdf/洪泽区.pdf"):
        result = runner.invoke(cli, ["parse", str(archive / member), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["source"]["path"] == str(archive / member)
    missing = runner.invoke(cli, ["parse", str(archive / "年报" / "nope.txt")])
    assert missing.stderr == f"Error: {archive / '年报' / 'nope.txt'}: no such file in the zip archive {archive.name}\n"
    whole = runner.invoke(cli, ["parse", str(archive)])
    assert whole.exit_code == 1 and "xxgk ingest reads the reports inside it" in whole.stderr
