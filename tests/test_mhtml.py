"""Web pages saved as one file (MHTML) read as the pages themselves: Chromium's .mhtml of a real
report page, and generated reports saved as Word and Chromium save them (.mht, .mhtml, and a
Word "single file web page" named .doc), cell for cell against their ground truth."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT
from indexer.errors import ReaderError
from indexer.generate import generate_corpus
from indexer.ingest import ingest_paths
from indexer.parse import parse_file
from indexer.readers import choose_reader, read_document
from indexer.readers.mhtml import read_mhtml
from mhtml_helpers import blink_mhtml, word_mht
from roundtrip_helpers import report_differences

SAVED_BY_CHROMIUM = ROOT / "tests" / "fixtures" / "mhtml" / "fj_pingtan_2024_page.mhtml"
PAGE = ROOT / "corpus" / "real" / "fj_pingtan_2024_page.html"
PAGE_URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202503/t20250310_97791.htm"
SAVED_FROM = "http://www.example.gov.cn/zwgk/zfxxgk/nb/t20230301_1.htm"


def _apart_from_the_file(report: dict) -> dict:
    """A report's dict without what names the file itself (id, path, format, sha256)."""
    source = {k: v for k, v in report["source"].items() if k not in ("path", "format", "sha256")}
    return {**{k: v for k, v in report.items() if k != "id"}, "source": source}


def test_a_real_page_saved_by_chromium_reads_as_the_page():
    saved = parse_file(SAVED_BY_CHROMIUM).to_dict()
    page = parse_file(PAGE).to_dict()
    assert saved["source"]["format"] == "mhtml" and saved["source"]["url"] == PAGE_URL
    assert len(saved["figures"]) == 200 and saved["figures"]["t3.new.total"] == 218
    assert _apart_from_the_file(saved) == _apart_from_the_file(page)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_corpus(3, tmp_path_factory.mktemp("pages"), formats=("html",), seed=57, fault_share=0.5)


@pytest.mark.parametrize("name", ["report.mht", "report.doc", "report.mhtml", "report"])
def test_generated_reports_saved_as_one_file_give_their_ground_truth(generated, tmp_path, name):
    for page in generated:
        want = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        html = page.read_text(encoding="utf-8")
        if name.endswith((".mht", ".doc")):  # Word's, in GB2312: the page must not say UTF-8 any more
            data = word_mht(re.sub(r"<meta charset=[\"']?utf-8[\"']?>", "", html, flags=re.I), {})
        else:  # Chromium's, of a page that names no address of its own: the address saved from is the report's
            data = blink_mhtml(re.sub(r'<link rel="canonical"[^>]*>', "", html), SAVED_FROM, {})
        path = tmp_path / name
        path.write_bytes(data)
        got = parse_file(path, synthetic=True).to_dict()
        assert got["source"]["format"] == "mhtml"
        # the ground truth is the page's: its id and hash are the page file's, not this file's
        want = {**want, "id": got["id"], "source": {**want["source"], "format": "mhtml",
                                                    "sha256": got["source"]["sha256"]}}
        if not name.endswith((".mht", ".doc")):
            want["source"]["url"] = SAVED_FROM
        differences = report_differences(got, want)
        assert not differences, f"{page.name} as {name}:\n  " + "\n  ".join(differences)


def test_what_is_not_a_page_saved_as_one_file_is_told(tmp_path):
    plain = tmp_path / "notes.mht"
    plain.write_text("一份普通的文字说明。\n", encoding="utf-8")
    pictures_only = tmp_path / "pictures.mhtml"
    pictures_only.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n"
                              b"--b\r\nContent-Type: image/png\r\nContent-Location: a.png\r\n\r\nxx\r\n--b--\r\n")
    for path in (plain, pictures_only):
        with pytest.raises(ReaderError) as raised:
            read_document(path)
        assert str(raised.value) == f"{path}: not a web page saved as one file (no HTML part in the MHTML)"


def test_the_first_bytes_tell_a_saved_page_under_any_common_name(tmp_path):
    """Word saves a "single file web page" under .doc, and sites offer reports that way; a page
    saved by Chromium whose long title pushes its Content-Type past the bytes looked at is still one."""
    head = SAVED_BY_CHROMIUM.read_bytes()[:200]
    assert b"multipart/related" not in head
    for suffix in (".mhtml", ".mht", ".doc", ".htm", ".txt", ""):
        assert choose_reader(Path(f"report{suffix}"), head) is read_mhtml, suffix
    word = word_mht("<html><body><p>x</p></body></html>", {})[:1024]
    assert choose_reader(Path("report.doc"), word) is read_mhtml
    # a text that only starts like a header is still a text
    assert choose_reader(Path("notes.txt"), b"Subject: 2020 annual report\r\n\r\nbody") is not read_mhtml


def test_a_folder_of_saved_pages_is_ingested(generated, tmp_path, config):
    """A folder's walk took .mht and .mhtml for files of no report and left them out."""
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "pingtan.mhtml").write_bytes(SAVED_BY_CHROMIUM.read_bytes())
    (folder / "word.mht").write_bytes(word_mht(generated[0].read_text(encoding="utf-8"), {}))
    summary = ingest_paths([folder], replace(config, data_dir=tmp_path / "data"))
    assert (summary.ingested, summary.failed) == (2, [])


def test_a_report_shown_in_a_frame_is_read_from_the_frame_part(generated, tmp_path):
    """Some sites show the article in an iframe: Chromium keeps it as a page part of its own, and
    the saved page's own part holds only the site around it ("not a ... report" before)."""
    page = generated[0]
    want = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    outer = ('<html><head><meta charset="utf-8"><title>政府信息公开</title></head><body><nav>首页 | 信息公开</nav>'
             '<iframe src="cid:frame-7F3A@mhtml.blink"></iframe><footer>网站标识码</footer></body></html>')
    path = tmp_path / "framed.mhtml"
    path.write_bytes(blink_mhtml(outer, SAVED_FROM, {}, frames={
        "frame-7F3A@mhtml.blink": (want["source"]["url"], page.read_text(encoding="utf-8"))}))
    got = parse_file(path, synthetic=True).to_dict()
    want = {**want, "id": got["id"], "source": {**want["source"], "format": "mhtml", "sha256": got["source"]["sha256"]}}
    differences = report_differences(got, want)
    assert not differences, "\n  ".join(differences)
