"""Word 97 .doc (and .dot, WPS .wps, RTF) read through LibreOffice's conversion to .docx.

The .doc files are real Word 97 files: generated .docx reports and seed 001
rebuilt as a .docx (its real tables, merged cells included) are saved by
LibreOffice as "MS Word 97", then parsed back; every figure, cell, section and
flag must equal what the .docx gives (the generator's ground truth, the seed's
golden). LibreOffice starts once per conversion (1-5 s), so the files are
converted in batches and each parse is done once per module.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import cli
from indexer.errors import ReaderError, UnsupportedFormat
from indexer.generate import generate_corpus
from indexer.parse import parse_file
from indexer.readers import choose_reader, read_document
from indexer.readers.doc import read_doc
from indexer.readers.docx import read_docx
from indexer.readers.text import read_text
from indexer.store import Store
from readers_helpers import seed_as_docx, soffice_convert
from roundtrip_helpers import report_differences

ROOT = Path(__file__).resolve().parent.parent
SEED_001 = ROOT / "corpus/seeds/001_c79327e4fbc2ded3.txt"
GOLDEN_001 = ROOT / "tests/golden/001_c79327e4fbc2ded3.json"
GENERATED = 4
SEED = 20
REPORT_KEYS = ("title", "agency", "year", "template", "region", "sections", "figures", "cells", "flags")


@pytest.fixture(scope="module")
def word97(tmp_path_factory) -> dict[str, Path]:
    """Generated .docx reports and seed 001 as .docx, each beside its Word 97 .doc; seed 001 also as RTF."""
    work = tmp_path_factory.mktemp("word97")
    generated = generate_corpus(GENERATED, work / "docx", formats=("docx",), seed=SEED, fault_share=0.5)
    seed_docx = seed_as_docx(read_text(SEED_001), work / "docx" / "seed001.docx")
    docs = soffice_convert([*generated, seed_docx], "doc:MS Word 97", work / "doc")
    (seed_rtf,) = soffice_convert([seed_docx], "rtf", work / "rtf")
    files = {f"gen{i}": doc for i, doc in enumerate(docs[:-1])}
    files["seed.doc"] = docs[-1]
    files["seed.wps"] = shutil.copyfile(docs[-1], work / "doc" / "seed001.wps")
    files["seed.dot"] = shutil.copyfile(docs[-1], work / "doc" / "seed001.dot")
    files["seed_rtf.doc"] = shutil.copyfile(seed_rtf, work / "rtf" / "seed001_rtf.doc")
    files["seed.docx"] = seed_docx
    # Word 2003 XML, as Word saved it (.xml) and as sites offer it (.doc)
    for i, xml in enumerate(soffice_convert(generated, "xml:MS Word 2003 XML", work / "wordml")):
        files[f"gen{i}.xml"] = xml
        files[f"gen{i}.wordml.doc"] = shutil.copyfile(xml, xml.with_suffix(".doc"))
    for doc in (files["seed.doc"], files["gen0"]):
        assert doc.read_bytes().startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # a real OLE Word file
    assert seed_rtf.read_bytes().startswith(b"{\\rtf")
    return files


def _truth(doc: Path) -> dict:
    return json.loads((doc.parent.parent / "docx" / (doc.stem + ".json")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(GENERATED))
def test_generated_doc_gives_the_ground_truth(word97, index):
    doc = word97[f"gen{index}"]
    want = _truth(doc)
    got = parse_file(doc, synthetic=True).to_dict()
    assert got["source"]["format"] == "doc"
    assert got["id"] == hashlib.sha256(doc.read_bytes()).hexdigest()[:16]  # the .doc's own bytes
    # the .docx's identity (id, sha256, format) is not the .doc's; everything read must be equal
    differences = [d for d in report_differences(got, want)
                   if not d.startswith(("id:", "source.sha256:", "source.format:"))]
    assert not differences, f"{doc.name} ({want['agency']} {want['year']}):\n  " + "\n  ".join(differences)


@pytest.mark.parametrize("name", [f"gen{i}.{kind}" for i in range(2) for kind in ("xml", "wordml.doc")])
def test_generated_word2003_xml_gives_the_ground_truth(word97, name):
    """Word 2003's XML documents were refused: "unsupported format '.xml'", or under .doc "damaged"."""
    doc = word97[name]
    assert b'<?mso-application progid="Word.Document"?>' in doc.read_bytes()[:200]
    want = _truth(doc)
    got = parse_file(doc, synthetic=True).to_dict()
    assert got["source"]["format"] == "wordml"
    differences = [d for d in report_differences(got, want)
                   if not d.startswith(("id:", "source.sha256:", "source.format:"))]
    assert not differences, f"{doc.name} ({want['agency']} {want['year']}):\n  " + "\n  ".join(differences)


def test_generated_docs_cover_both_templates(word97):
    assert {_truth(word97[f"gen{i}"])["template"] for i in range(GENERATED)} == {"2019", "2021"}


@pytest.fixture(scope="module")
def seed_001_expected() -> dict:
    report = parse_file(SEED_001).to_dict()
    return {k: report[k] for k in REPORT_KEYS}


@pytest.mark.parametrize("name, fmt", [("seed.doc", "doc"), ("seed.wps", "wps"), ("seed.dot", "doc"),
                                       ("seed_rtf.doc", "rtf")])
def test_seed_001_as_word97_gives_the_text_report_and_golden(word97, seed_001_expected, name, fmt):
    # A .wps here is a Word 97 file named .wps: what WPS Office writes (the same binary format).
    result = CliRunner().invoke(cli, ["parse", str(word97[name]), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"]["format"] == fmt
    assert {k: report[k] for k in REPORT_KEYS} == seed_001_expected
    golden = json.loads(GOLDEN_001.read_text(encoding="utf-8"))
    assert report["figures"] == golden["figures"]
    # values, not just agreement: seed 001's five applications by natural persons, its 39 licensing items
    assert (report["figures"]["t3.new.natural"], report["figures"]["t2.licensing.prev_items"]) == (5, 39)


def test_doc_tables_stay_tables(word97):
    document = read_doc(word97["seed.doc"])
    assert document.format == "doc" and document.path == str(word97["seed.doc"])
    docx_tables = [t.rows for t in read_docx(word97["seed.docx"]).tables]
    assert len(document.tables) == len(docx_tables) == 3
    # LibreOffice drops a paragraph's trailing no-break spaces (a .docx it converts to .docx loses them
    # too): seed 001's blank cells "\xa0" come back "", its "0\xa0" as "0"; nothing else changes,
    # and a blank cell is null either way (the figures above are equal).
    assert _without_trailing_nbsp([t.rows for t in document.tables]) == _without_trailing_nbsp(docx_tables)


def _without_trailing_nbsp(tables):
    return [[[cell.rstrip("\xa0") for cell in row] for row in rows] for rows in tables]


def test_word97_named_docx_is_read_as_a_doc(word97, tmp_path):
    path = shutil.copyfile(word97["gen3"], tmp_path / "report.docx")
    document = read_document(path)
    assert document.format == "doc"
    docx = word97["gen3"].parent.parent / "docx" / "syn20_000003.docx"
    assert [t.rows for t in document.tables] == [t.rows for t in read_docx(docx).tables]


def test_two_conversions_at_once(word97):
    # ingest parses in two processes: two LibreOffice instances must not collide (one profile each)
    names = ["gen0", "gen1"]
    start = threading.Barrier(len(names))
    results: dict[str, object] = {}

    def convert(name):
        start.wait()
        try:
            results[name] = read_doc(word97[name])
        except Exception as e:  # reported below, with the file's name
            results[name] = e

    threads = [threading.Thread(target=convert, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in names:
        docx = word97[name].parent.parent / "docx" / (word97[name].stem + ".docx")
        assert not isinstance(results[name], Exception), f"{name}: {results[name]}"
        assert [t.rows for t in results[name].tables] == [t.rows for t in read_docx(docx).tables]


def test_nothing_left_in_home_or_temp(word97, tmp_path, monkeypatch):
    home, temp = tmp_path / "home", tmp_path / "temp"
    home.mkdir()
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    assert read_doc(word97["gen2"]).tables
    assert list(home.iterdir()) == [] and list(temp.iterdir()) == []


def test_html_named_doc_goes_to_the_html_reader(tmp_path):
    # web pages offering a "Word" download often send the page itself, named .doc
    (page,) = generate_corpus(1, tmp_path / "gen", formats=("html",), seed=SEED)
    doc = tmp_path / "report.doc"
    shutil.copyfile(page, doc)
    got = parse_file(doc, synthetic=True).to_dict()
    assert got["source"]["format"] == "html"
    assert report_differences(got, json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))) == []


def test_choose_reader_by_content(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    word97 = ole + "WordDocument".encode("utf-16-le")
    for name, data in (("a.doc", ole), ("a.dot", ole), ("a.wps", ole), ("a.txt", word97), ("a", word97),
                       ("a.docx", word97), ("a.doc", b"{\\rtf1\\ansi"), ("a.rtf", b"{\\rtf1\\ansi"),
                       ("a.txt", b"{\\rtf1\\ansi")):
        (tmp_path / name).write_bytes(data)
        assert choose_reader(tmp_path / name, data) is read_doc, name
    with pytest.raises(UnsupportedFormat, match=r"damaged \.doc file \(not a Word document\)"):
        choose_reader(tmp_path / "a.doc", b"\x00\x01binary junk")
    for name in ("a.xls", "a.txt"):  # an Office 97 file, but no Word document in it
        (tmp_path / name).write_bytes(ole)
        with pytest.raises(UnsupportedFormat, match=r"unsupported format '\.(xls|txt)' \(an Office 97 file"):
            choose_reader(tmp_path / name, ole)


# --- bad input: one line naming the file, never a traceback ------------------------------

def _fails(path: Path, problem: str) -> None:
    result = CliRunner().invoke(cli, ["parse", str(path), "--data", str(path.parent / "data")])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}: {problem}\n"


def test_truncated_doc(word97, tmp_path):
    path = tmp_path / "truncated.doc"
    path.write_bytes(word97["gen0"].read_bytes()[:4096])
    _fails(path, "damaged .doc file (LibreOffice could not open it: source file could not be loaded)")


def test_office97_container_of_junk_named_wps(tmp_path):
    # read as Word 97 (what WPS Office writes), not guessed at as plain text and turned into garbage
    path = tmp_path / "report.wps"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 64)
    _fails(path, "damaged .wps file (LibreOffice could not open it: source file could not be loaded)")


def test_empty_doc(tmp_path):
    path = tmp_path / "empty.doc"
    path.write_bytes(b"")
    _fails(path, "empty file")


@pytest.mark.parametrize("name", ["report.doc", "report.wps"])
def test_libreoffice_missing(word97, tmp_path, monkeypatch, name):
    monkeypatch.setenv("XXGK_SOFFICE", str(tmp_path / "no-such-soffice"))
    path = tmp_path / name
    shutil.copyfile(word97["gen0"], path)
    _fails(path, f"needs LibreOffice to read {path.suffix} files: apt-get install libreoffice-writer-nogui")


def test_libreoffice_failing_without_a_word(word97, tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")  # no output, no "Error:" line
    fake.chmod(0o755)
    monkeypatch.setenv("XXGK_SOFFICE", str(fake))
    with pytest.raises(ReaderError, match=r"damaged \.doc file \(LibreOffice could not open it: "
                                          r"it exited with code 3\)$"):
        read_doc(word97["gen0"])


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # killed, not yet reaped
    except FileNotFoundError:
        return True


def _hanging_soffice(tmp_path: Path) -> tuple[Path, Path]:
    """A program that hangs like LibreOffice would (soffice -> oosplash -> soffice.bin: the program
    started is not the one that hangs), and the file where it writes its child's pid."""
    pid_file = tmp_path / "child.pid"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {pid_file}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    return fake, pid_file


def test_hung_libreoffice_is_killed_with_its_children(word97, tmp_path, monkeypatch):
    fake, pid_file = _hanging_soffice(tmp_path)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    monkeypatch.setenv("XXGK_SOFFICE", str(fake))
    monkeypatch.setenv("XXGK_SOFFICE_TIMEOUT", "2")
    with pytest.raises(ReaderError) as caught:
        read_doc(word97["gen0"])
    assert str(caught.value) == f"{word97['gen0']}: LibreOffice conversion timed out after 2 s"
    child = int(pid_file.read_text())
    for _ in range(100):  # init reaps the orphaned child a moment after the kill
        if _gone(child):
            break
        time.sleep(0.1)
    assert _gone(child), f"the hung program's child {child} still runs"
    assert list(temp.iterdir()) == []


# --- ingest ----------------------------------------------------------------------------------

def test_ingest_a_folder_of_word97_files(word97, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for key, name in (("gen0", "a.doc"), ("gen1", "b.doc"), ("seed.wps", "c.wps"), ("seed_rtf.doc", "d.rtf")):
        shutil.copyfile(word97[key], folder / name)
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ingested 4 ")
    store = Store.open(data)
    by_path = {}
    for report in store.all_reports():
        (source,) = store.sources(report.id)
        by_path[Path(source.path).name] = report
        assert store.original(report.id) == Path(source.path).read_bytes()  # the .doc itself is kept
    assert {name: r.source["format"] for name, r in by_path.items()} == {
        "a.doc": "doc", "b.doc": "doc", "c.wps": "wps", "d.rtf": "rtf"}
    assert by_path["a.doc"].figures == _truth(word97["gen0"])["figures"]
    assert by_path["c.wps"].figures == by_path["d.rtf"].figures == parse_file(SEED_001).figures


def test_ingest_goes_on_past_a_hung_conversion(word97, tmp_path, monkeypatch):
    fake, _ = _hanging_soffice(tmp_path)
    monkeypatch.setenv("XXGK_SOFFICE", str(fake))
    monkeypatch.setenv("XXGK_SOFFICE_TIMEOUT", "1")
    folder = tmp_path / "reports"
    folder.mkdir()
    doc = shutil.copyfile(word97["gen0"], folder / "a.doc")
    shutil.copyfile(SEED_001, folder / "b.txt")
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ingested 1 ")
    assert f"failed: {doc}: LibreOffice conversion timed out after 1 s" in result.stderr
