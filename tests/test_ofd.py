"""OFD (GB/T 33190) reports read as the PDFs they were made from: the real Hongze report and
generated ones, converted page by page the way layout-keeping converters write OFD (a TextObject
a run of characters with its DeltaX, a PathObject a ruling; tests/ofd_helpers.py), give the same
report, cell for cell; and what is not a readable OFD is told in one line."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from conftest import ROOT
from indexer.errors import ReaderError
from indexer.generate import generate_corpus
from indexer.parse import parse_file
from indexer.readers import read_document
from indexer.readers.ofd import _deltas, read_ofd
from ofd_helpers import NS, pdf_to_ofd, scans_to_ofd
from roundtrip_helpers import report_differences

HONGZE = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"


def _apart_from_the_file(report: dict) -> dict:
    source = {k: v for k, v in report["source"].items() if k not in ("path", "format", "sha256")}
    return {**{k: v for k, v in report.items() if k != "id"}, "source": source}


@pytest.mark.parametrize("scaled", [False, True], ids=["sized", "scaled-by-ctm"])
def test_the_real_pdf_report_as_ofd_reads_as_the_pdf(tmp_path, scaled):
    path = tmp_path / "hongze.ofd"
    path.write_bytes(pdf_to_ofd(HONGZE, scaled=scaled))
    ofd, pdf = parse_file(path).to_dict(), parse_file(HONGZE).to_dict()
    assert ofd["source"]["format"] == "ofd"
    assert ofd["figures"]["t3.total.total"] == 21 and ofd["figures"] == pdf["figures"]
    assert _apart_from_the_file(ofd) == _apart_from_the_file(pdf)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_corpus(4, tmp_path_factory.mktemp("pdfs"), formats=("pdf",), seed=61, fault_share=0.5)


def test_generated_reports_as_ofd_give_their_ground_truth(generated, tmp_path):
    for pdf in generated:
        want = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        path = tmp_path / (pdf.stem + ".ofd")
        path.write_bytes(pdf_to_ofd(pdf))
        got = parse_file(path, synthetic=True).to_dict()
        assert got["source"]["format"] == "ofd"
        differences = [d for d in report_differences(got, want)
                       if not d.startswith(("id:", "source.sha256:", "source.format:"))]
        assert not differences, f"{pdf.name} ({want['agency']} {want['year']}):\n  " + "\n  ".join(differences)


def _package(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, text in parts.items():
            package.writestr(name, text)
    return out.getvalue()


def _text(x: float, y: float, text: str, size: float = 4.2) -> str:
    return (f'<ofd:TextObject ID="9" Boundary="{x} {y} 180 6" Font="1" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="g {len(text) - 1} {size}">{text}</ofd:TextCode></ofd:TextObject>')


def test_template_pages_title_nested_blocks_and_absolute_locations(tmp_path):
    """What producers write beside the plain case: the title in DocInfo, a template page drawn
    under the page, objects inside PageBlocks, a page named from the package's root."""
    parts = {
        "OFD.xml": f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocInfo><ofd:Title>平潭综合实验区2022年政府信息公开工作年度报告'
                   '</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<ofd:Document {NS}><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297'
                              '</ofd:PhysicalBox></ofd:PageArea><ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
                              '</ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="/Doc_0/Pages/Page_0/Content.xml"/>'
                              '</ofd:Pages></ofd:Document>',
        "Doc_0/Tpls/Tpl_0/Content.xml": f'<ofd:Page {NS}><ofd:Content><ofd:Layer>{_text(20, 10, "平潭综合实验区管理委员会")}'
                                        '</ofd:Layer></ofd:Content></ofd:Page>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {NS}><ofd:Template TemplateID="2"/><ofd:Content><ofd:Layer>'
                                          f'<ofd:PageBlock><ofd:PageBlock>{_text(20, 30, "一、总体情况")}</ofd:PageBlock>'
                                          f'{_text(20, 40, "本年度共收到申请二十件。")}</ofd:PageBlock>'
                                          '</ofd:Layer></ofd:Content></ofd:Page>',
    }
    path = tmp_path / "features.ofd"
    path.write_bytes(_package(parts))
    document = read_document(path)
    assert document.meta["title"] == "平潭综合实验区2022年政府信息公开工作年度报告"
    assert [p.text for p in document.paragraphs] == ["平潭综合实验区管理委员会", "一、总体情况", "本年度共收到申请二十件。"]


def test_delta_runs_are_expanded():
    assert _deltas("g 3 4.5 2 g 2 1") == [4.5, 4.5, 4.5, 2.0, 1.0, 1.0]
    assert _deltas(None) == [] and _deltas("g x 1 3") == [3.0]
    assert _deltas("g 1e12 1 " * 1000, 5) == [1.0] * 5  # never more than the run's characters
    assert _deltas("g 1e400 2 3", 5) == [3.0]  # a count too large for a float is no count


@pytest.mark.parametrize("content, problem", [
    (b"not a zip at all", "damaged OFD (not a zip archive)"),
    (_package({"Doc_0/Document.xml": "<x/>"}), "not an OFD file (no OFD.xml in the zip)"),
    (_package({"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody/></ofd:OFD>"}), "damaged OFD (OFD.xml names no document)"),
    (_package({"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"}),
     "damaged OFD (missing part 'Doc_0/Document.xml')"),
    (_package({"OFD.xml": "<ofd:OFD><unclosed>"}), "damaged OFD (unreadable XML"),
    # libxml2 says this one over two lines (found by the mutation test)
    (_package({"OFD.xml": "<\x00ofd:OFD/>"}), "damaged OFD (unreadable XML: "),
])
def test_what_is_not_a_readable_ofd_is_one_line(tmp_path, content, problem):
    path = tmp_path / "report.ofd"
    path.write_bytes(content)
    with pytest.raises(ReaderError) as raised:
        read_document(path)
    assert str(raised.value).startswith(f"{path}: {problem}") and "\n" not in str(raised.value)


def test_an_ofd_with_neither_text_nor_a_picture_of_a_page_is_told(tmp_path):
    """Its one ImageObject names a picture the package does not hold."""
    parts = {
        "OFD.xml": f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<ofd:Document {NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
                              '</ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {NS}><ofd:Content><ofd:Layer><ofd:ImageObject ID="3" '
                                          'Boundary="0 0 210 297" ResourceID="4"/></ofd:Layer></ofd:Content></ofd:Page>',
    }
    path = tmp_path / "scan.ofd"
    path.write_bytes(_package(parts))
    with pytest.raises(ReaderError) as raised:
        read_document(path)
    assert str(raised.value) == f"{path}: OFD without text (its pages hold neither text nor a picture of a page)"


def test_entities_in_the_xml_are_not_expanded(tmp_path):
    """The XML is untrusted: a billion-laughs document is refused, not expanded in memory."""
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + ']>'
        f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>&i;</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    path = tmp_path / "bomb.ofd"
    path.write_bytes(_package({"OFD.xml": bomb}))
    with pytest.raises(ReaderError):
        read_document(path)


def test_a_folder_of_ofd_reports_is_ingested(generated, tmp_path, config):
    from dataclasses import replace

    from indexer.ingest import ingest_paths

    folder = tmp_path / "ofd"
    folder.mkdir()
    for pdf in generated[:2]:
        (folder / (pdf.stem + ".ofd")).write_bytes(pdf_to_ofd(pdf))
    summary = ingest_paths([folder], replace(config, data_dir=tmp_path / "data"))
    assert (summary.ingested, summary.failed) == (2, [])


def test_a_scanned_ofd_is_read_by_ocr(tmp_path):
    """An OFD of scanned pages (each page a picture that fills it) was refused; its pictures are
    now read as page scans are: never a wrong figure, most of them exact."""
    from indexer.ocr.copier import scan_pages
    from ocr_helpers import EXACT_SHARE, assert_no_wrong_figure

    pictures = []
    for page in scan_pages(HONGZE, dpi=200):
        jpeg = io.BytesIO()
        page.convert("L").save(jpeg, "JPEG", quality=85)
        pictures.append(jpeg.getvalue())
    path = tmp_path / "scanned.ofd"
    path.write_bytes(scans_to_ofd(pictures))
    with pytest.raises(ReaderError, match="scanned OFD \\(its pages are pictures, and OCR was not asked for\\)"):
        read_ofd(path)  # the reader alone; read_document gives it the OCR
    report = parse_file(path, ocr_cache=tmp_path / "ocr")
    assert report.source["format"] == "ofd"
    (ocr,) = [f for f in report.flags if f.code == "ocr"]
    # every page a picture: said as an image-only PDF's is, not as "the others from the text layer"
    assert ocr.detail.startswith("read by OCR: ") and ", 5 page(s), mean confidence" in ocr.detail
    assert assert_no_wrong_figure(parse_file(HONGZE), report) >= EXACT_SHARE


def test_a_scanned_ofd_whose_pictures_are_not_images_read_here_is_told(tmp_path):
    """JBIG2, which scanners put in OFD, is not an image PIL reads: one line, not a traceback."""
    path = tmp_path / "jbig2.ofd"
    path.write_bytes(scans_to_ofd([b"\x97JB2\r\n\x1a\n" + bytes(64)], media_format="JB2"))
    with pytest.raises(ReaderError) as raised:
        read_document(path)
    assert str(raised.value) == f"{path}: page 1's scanned picture: not a readable image (damaged or of an unknown kind)"


def test_more_scanned_pages_than_ocr_reads_is_one_clear_line(tmp_path):
    """The bound a mixed PDF's scanned pages have: the pictures are not even decoded."""
    path = tmp_path / "long_scan.ofd"
    path.write_bytes(scans_to_ofd([b"not looked at"] * 61))
    with pytest.raises(ReaderError) as raised:
        read_document(path)
    assert str(raised.value) == f"{path}: 61 scanned pages; OCR reads at most 60 pages a file"
