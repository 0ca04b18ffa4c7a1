"""PDFs that mix text pages and scanned pages (docs/ocr.md): a generated report's text PDF with
one page replaced by a copier's scan of it. The text pages read by their text layer exactly as
they do alone, the scanned page by OCR where it stands; every figure the text PDF's or null with
ocr_uncertain, never another number."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner
from PIL import Image

import indexer.ocr.engine as ocr_engine
from indexer.cli import cli
from indexer.document import Table
from indexer.generate import generate_corpus
from indexer.ocr import cache
from indexer.ocr.copier import make_scan_pdf
from indexer.ocr.scan import RECORD_VERSION
from indexer.parse import parse_file
from indexer.readers import read_document
from indexer.readers.pdf import read_pdf
from ocr_helpers import EXACT_SHARE, assert_no_wrong_figure

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Mixed:
    source: Path  # the generated report's text PDF, three pages
    path: Path  # the same with page ``scanned`` (from 0) a scan
    scanned: int
    report: object
    info: dict


def combine(out: Path, pages: list[tuple[Path, int]]) -> Path:
    """A PDF of the given pages (file, page number from 0), in order, copied as they are."""
    combined = pypdfium2.PdfDocument.new()
    opened = {}
    for path, number in pages:
        if path not in opened:
            opened[path] = pypdfium2.PdfDocument(str(path))
        combined.import_pages(opened[path], [number])
    combined.save(str(out))
    for pdf in opened.values():
        pdf.close()
    combined.close()
    return out


def add_picture(page, pdf, size: tuple[int, int], box: tuple[float, float, float, float]) -> None:
    """Draw a grey picture of ``size`` pixels on ``page`` at ``box`` (left, bottom, width, height; points)."""
    picture = pypdfium2.PdfImage.new(pdf)
    picture.set_bitmap(pypdfium2.PdfBitmap.from_pil(Image.new("RGB", size, (120, 120, 120))))
    left, bottom, width, height = box
    picture.set_matrix(pypdfium2.PdfMatrix().scale(width, height).translate(left, bottom))
    page.insert_obj(picture)
    page.gen_content()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> list[Mixed]:
    """Report 0 with its table page (page 2: the end of table 二, tables 三 and 四) scanned;
    report 1 with its last page (the end of table 四, parts 五 and 六) scanned."""
    folder = tmp_path_factory.mktemp("mixed")
    sources = generate_corpus(2, folder, formats=("pdf",), seed=21)
    out = []
    for source, scanned in zip(sources, (1, 2)):
        scan = make_scan_pdf(source, folder / f"{source.stem}_scan.pdf", dpi=200, angle=0.6, blur=0.6, quality=55)
        pages = [(scan if n == scanned else source, n) for n in range(3)]
        path = combine(folder / f"{source.stem}_mixed.pdf", pages)
        info: dict = {}
        report = parse_file(path, ocr_cache=folder / "ocr", info=info)
        out.append(Mixed(source, path, scanned, report, info))
    return out


def test_figures_are_the_text_pdf_s_or_null_with_ocr_uncertain(mixed):
    for case in mixed:
        original = parse_file(case.source)
        assert assert_no_wrong_figure(original, case.report) >= EXACT_SHARE
        assert [s.n for s in case.report.sections] == [s.n for s in original.sections]
        assert (case.report.agency, case.report.year, case.report.template) == \
            (original.agency, original.year, original.template)
        assert not any(f.code.startswith(("missing_table_", "missing_section_")) for f in case.report.flags)


def test_only_the_scanned_page_s_figures_come_from_ocr(mixed):
    """A figure read by OCR carries its confidence; one from the text layer does not."""
    def from_ocr(report, table: str) -> set[bool]:
        return {"confidence" in report.cells.get(k, {})
                for k, v in report.figures.items() if k.startswith(table) and v is not None}

    table_page, last_page = mixed
    assert from_ocr(table_page.report, "t3.") == {True} and from_ocr(table_page.report, "t4.") == {True}
    assert from_ocr(last_page.report, "t3.") == {False} and from_ocr(last_page.report, "t4.") == {True}
    assert from_ocr(last_page.report, "t2.") == {False}


def test_the_ocr_flag_names_the_scanned_page(mixed):
    for case in mixed:
        (flag,) = [f for f in case.report.flags if f.code == "ocr"]
        assert flag.where is None
        assert flag.detail.startswith(f"read by OCR: {ocr_engine.ENGINE_NAME}, 1 of 3 page(s) "
                                      f"(page(s) {case.scanned + 1}; the others from the text layer), "
                                      "mean confidence 0.")
        assert case.info == {"ocr_pages": 1}  # ingest's progress counts the one page OCR read
        assert case.report.source["format"] == "pdf"


def test_text_pages_read_exactly_as_they_do_alone(mixed, tmp_path):
    """The blocks before the scanned page are those of the pages before it read alone, the
    blocks after it those of the pages after it; between them only OCR'd blocks, in order."""
    for case in mixed:
        document = read_document(case.path, ocr_cache=case.path.parent / "ocr")
        before = read_pdf(combine(tmp_path / "before.pdf", [(case.source, n) for n in range(case.scanned)])).blocks
        after = []
        if case.scanned < 2:
            after = read_pdf(combine(tmp_path / "after.pdf", [(case.source, n) for n in range(case.scanned + 1, 3)])).blocks
        assert before and document.blocks[:len(before)] == before
        assert document.blocks[len(document.blocks) - len(after):] == after
        middle = document.blocks[len(before):len(document.blocks) - len(after)]
        tables = [b for b in middle if isinstance(b, Table)]
        assert tables and all(t.ocr is not None for t in tables)
        assert all(t.ocr is None for t in before + after if isinstance(t, Table))


def test_the_scanned_page_s_ocr_is_cached_with_its_page_number(mixed, monkeypatch):
    case = mixed[0]
    folder = case.path.parent / "ocr"
    sha = case.report.source["sha256"]
    stored = json.loads(gzip.decompress((folder / f"{sha}.json.gz").read_bytes()))
    assert stored["pdf_pages"] == [1] and len(stored["pages"]) == 1 and stored["pages"][0]["boxes"]
    # a record of some pages never stands in for the whole file's, nor for other pages
    assert cache.load(folder, sha, RECORD_VERSION) is None
    assert cache.load(folder, sha, RECORD_VERSION, [2]) is None

    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR ran although its output was cached")

    monkeypatch.setattr(ocr_engine, "detect", no_ocr)
    again = parse_file(case.path, ocr_cache=folder)
    assert again.figures == case.report.figures and again.flags == case.report.flags


def test_a_text_pdf_with_a_logo_page_and_a_pictured_page_loads_no_ocr(mixed, tmp_path):
    """A page holding only a small logo, and a text page with a page-sized picture, are no scans:
    the file is read by its text layer alone, and the OCR engine is never imported."""
    source = mixed[0].source
    path = combine(tmp_path / "logos.pdf", [(source, 0), (source, 1), (source, 2)])
    pdf = pypdfium2.PdfDocument(str(path))
    add_picture(pdf[0], pdf, (1200, 1600), (0, 0, 595, 842))  # behind the text of page 1
    logo_page = pdf.new_page(595, 842)
    add_picture(logo_page, pdf, (400, 400), (250, 700, 90, 90))
    pdf.save(str(tmp_path / "with_logo.pdf"))
    pdf.close()
    script = ("import sys; from indexer.parse import parse_file; r = parse_file(sys.argv[1]); "
              "print(sorted(m for m in sys.modules if m.startswith(('indexer.ocr', 'rapidocr', 'onnxruntime', 'cv2')))); "
              "print(sorted(f.code for f in r.flags if f.code.startswith('ocr')))")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "with_logo.pdf")], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == ["[]", "[]"]
    assert parse_file(tmp_path / "with_logo.pdf").figures == parse_file(source).figures


def test_which_pictures_make_a_scanned_page():
    """Page- and table-sized pictures, drawn directly or inside a form, count; a logo, a stretched
    tint of few pixels and a page without pictures do not."""
    from indexer.readers.pdf_page import has_scanned_image

    pdf = pypdfium2.PdfDocument.new()
    cases = {"page": ((1200, 1700), (0, 0, 595, 842)), "table": ((1000, 300), (50, 400, 500, 150)),
             "logo": ((400, 400), (250, 700, 90, 90)), "tint": ((200, 200), (0, 0, 595, 842))}
    for size, box in cases.values():
        add_picture(pdf.new_page(595, 842), pdf, size, box)
    pdf.new_page(595, 842)  # blank
    framed = pdf.new_page(595, 842)  # the first page's picture inside a form, as an imposed page draws it
    framed.insert_obj(pdf.page_as_xobject(0, pdf).as_pageobject())
    framed.gen_content()
    found = [has_scanned_image(pdf[i]) for i in range(len(pdf))]
    assert found == [True, True, False, False, False, True]
    assert next(pdf[5].get_objects(max_depth=0)).type == pypdfium2.raw.FPDF_PAGEOBJ_FORM


def blank_scan(tmp_path: Path) -> Path:
    """A one-page PDF holding a white 500 x 700 picture: a scanned blank page."""
    page = tmp_path / "blank_scan.pdf"
    Image.new("L", (500, 700), 255).save(page, resolution=60)
    return page


def test_a_scanned_page_with_nothing_legible_is_said_so(mixed, tmp_path):
    """A blank scanned page after the report: OCR'd, nothing read; the flag says so, no figure moves."""
    source = mixed[0].source
    path = combine(tmp_path / "blank_last.pdf", [(source, n) for n in range(3)] + [(blank_scan(tmp_path), 0)])
    report = parse_file(path)
    (flag,) = [f for f in report.flags if f.code == "ocr"]
    assert flag.detail == (f"read by OCR: {ocr_engine.ENGINE_NAME}, 1 of 4 page(s) "
                           "(page(s) 4; the others from the text layer), no legible text found")
    assert report.figures == parse_file(source).figures


def test_more_scanned_pages_than_ocr_reads_is_one_clear_line(mixed, tmp_path):
    source = mixed[0].source
    page = blank_scan(tmp_path)
    path = combine(tmp_path / "long.pdf", [(source, n) for n in range(3)] + [(page, 0)] * 61)
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code != 0 and result.stdout == ""
    assert result.stderr == f"Error: {path}: 61 scanned pages; OCR reads at most 60 pages a file\n"


def _outlined(source: Path, out: Path) -> Path:
    """The PDF with its text turned into outlines (转曲), as offices do so that a file cannot be
    edited: Ghostscript's pdfwrite with -dNoOutputFonts draws every glyph as filled curves."""
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dNoOutputFonts", "-sDEVICE=pdfwrite",
                    f"-sOutputFile={out}", str(source)], check=True, capture_output=True, timeout=120)
    return out


def test_a_page_of_text_turned_into_outlines_is_read_by_ocr(tmp_path):
    """Hongze's table page turned into outlines inside the text PDF gave no characters and no
    picture: table 三 was missing (22 of 200 figures). It is now read by OCR like a scanned page;
    the other pages read from their text, and a wholly outlined PDF is read by OCR as a scan is."""
    hongze = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
    outlined = _outlined(hongze, tmp_path / "outlined.pdf")
    path = combine(tmp_path / "mixed.pdf", [(hongze, 0), (hongze, 1), (outlined, 2), (hongze, 3), (hongze, 4)])
    original, report = parse_file(hongze), parse_file(path)
    assert report.figures == original.figures
    (ocr,) = [f for f in report.flags if f.code == "ocr"]
    assert "1 of 5 page(s) (page(s) 3; the others from the text layer)" in ocr.detail
    whole = parse_file(outlined)
    assert sum(1 for k, v in original.figures.items() if whole.figures.get(k) == v) >= 190
    assert all(whole.figures.get(k) in (v, None) for k, v in original.figures.items())
