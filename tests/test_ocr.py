"""Scanned reports read by OCR: scans made from real and generated text-layer PDFs
(rendered, skewed, blurred, JPEG'd as a copier would) must give the original's figures,
or null with ocr_uncertain, never another number (docs/ocr.md)."""
from __future__ import annotations

import gzip
import json
import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageOps

import indexer.ocr.engine as ocr_engine
from indexer.cli import cli
from indexer.collection import Collection
from indexer.generate import generate_corpus
from indexer.ingest import OCR_DIRNAME, ingest_paths
from indexer.parse import parse_file
from indexer.ocr.copier import make_scan_pdf, scan_pages
from mhtml_helpers import blink_mhtml, word_mht
from ocr_helpers import EXACT_SHARE, assert_no_wrong_figure

ROOT = Path(__file__).resolve().parent.parent
HONGZE = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"


@pytest.fixture(scope="module")
def hongze(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hongze")
    scan = make_scan_pdf(HONGZE, folder / "hongze_scan.pdf", dpi=200, angle=0.8, blur=0.6, quality=55)
    cache = folder / "ocr"
    return scan, cache, parse_file(scan, ocr_cache=cache), parse_file(HONGZE)


def test_scan_of_a_real_report_gives_its_figures(hongze):
    scan, _, scanned, original = hongze
    assert assert_no_wrong_figure(original, scanned) >= EXACT_SHARE
    assert scanned.source["format"] == "pdf"
    assert (scanned.year, scanned.agency, scanned.template) == (original.year, original.agency, original.template)
    assert [s.n for s in scanned.sections] == [s.n for s in original.sections]
    ocr = [f for f in scanned.flags if f.code == "ocr"]
    assert len(ocr) == 1 and "5 page(s)" in ocr[0].detail and "rapidocr" in ocr[0].detail
    # every figure read from an OCR'd cell carries the engine's confidence
    read = [k for k, v in scanned.figures.items() if v is not None]
    assert read and all(0 < scanned.cells[k]["confidence"] <= 1 for k in read)


def test_the_text_layer_pdf_is_not_ocrd():
    assert not any(f.code == "ocr" for f in parse_file(HONGZE).flags)


def test_ocr_output_is_cached_and_reused(hongze, monkeypatch):
    scan, cache, scanned, _ = hongze
    stored = cache / f"{scanned.source['sha256']}.json.gz"
    pages = json.loads(gzip.decompress(stored.read_bytes()))["pages"]
    assert len(pages) == 5 and all(page["boxes"] for page in pages)

    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR ran although its output was cached")

    monkeypatch.setattr(ocr_engine, "detect", no_ocr)
    again = parse_file(scan, ocr_cache=cache)
    assert again.figures == scanned.figures and again.flags == scanned.flags


def test_sums_repair_a_misread_cell_and_null_what_they_cannot_confirm(hongze, tmp_path):
    """Edit the cached OCR output: t3.new.natural (21) misread as 27 with low confidence is
    put right by the row and column sums; a lone 0 of table 二 (no sums) read with low
    confidence stays null."""
    scan, cache, scanned, original = hongze
    sha = scanned.source["sha256"]
    stored = json.loads(gzip.decompress((cache / f"{sha}.json.gz").read_bytes()))
    edited = {"21": False, "0": False}
    for page in stored["pages"]:
        for box in page["boxes"]:
            # NFKC: the recogniser may read a full-width digit ("２1"), which the mapper normalises
            if box["cell"] and unicodedata.normalize("NFKC", box["text"]) == "21" and not edited["21"]:
                box.update(text="27", conf=0.41)
                edited["21"] = True
    # table 二's 规章 row: the first table's first row of values
    first_table_zero = next(b for b in stored["pages"][1]["boxes"] if b["cell"] and b["text"] == "0")
    first_table_zero["conf"] = 0.42
    edited["0"] = True
    assert all(edited.values())
    (tmp_path / f"{sha}.json.gz").write_bytes(gzip.compress(json.dumps(stored).encode()))
    report = parse_file(scan, ocr_cache=tmp_path)
    assert report.figures["t3.new.natural"] == 21
    assert "repaired from the table's sums" in report.cells["t3.new.natural"]["note"]
    assert "ocr_uncertain" in {f.code for f in report.flags}
    assert_no_wrong_figure(original, report)


@pytest.mark.parametrize("index,dpi,angle", [(0, 150, -1.0), (1, 300, 1.0)])
def test_scans_of_generated_reports(tmp_path_factory, index, dpi, angle):
    folder = tmp_path_factory.mktemp("generated")
    source = generate_corpus(2, folder, formats=("pdf",), seed=21)[index]
    scan = make_scan_pdf(source, folder / "scan.pdf", dpi=dpi, angle=angle, blur=0.7, quality=50)
    assert assert_no_wrong_figure(parse_file(source), parse_file(scan)) >= EXACT_SHARE


def test_page_images_png_jpg_and_multipage_tif(hongze, tmp_path):
    _, _, scanned, original = hongze
    pages = scan_pages(HONGZE, dpi=200, angle=-0.5)
    png = tmp_path / "page3.png"
    pages[2].save(png)
    tif = tmp_path / "pages.tif"
    pages[2].save(tif, save_all=True, append_images=[pages[3]], compression="tiff_lzw")
    jpg = tmp_path / "page1.jpg"
    pages[0].save(jpg, quality=70)
    by_png = parse_file(png)
    by_tif = parse_file(tif)
    assert (by_png.source["format"], by_tif.source["format"]) == ("png", "tif")
    assert "2 page(s)" in next(f.detail for f in by_tif.flags if f.code == "ocr")
    for report in (by_png, by_tif):
        t3 = {k: v for k, v in original.figures.items() if k.startswith("t3.new.")}
        assert_no_wrong_figure(replace(original, figures=t3), report)
        assert report.figures["t3.new.total"] in (21, None)
    by_jpg = parse_file(jpg)
    assert by_jpg.source["format"] == "jpg"
    assert by_jpg.agency == original.agency and 1 in {s.n for s in by_jpg.sections}


def test_a_16_bit_grey_scan_reads_as_its_8_bit_twin(tmp_path):
    """A scanner's 16-bit grey mode: PIL's conversion to RGB clips such a page at 255 instead of
    scaling it, so it came out nearly all white and OCR read 51 characters of a page of 336."""
    page = scan_pages(HONGZE, dpi=200, angle=0)[0].convert("L")
    eight = tmp_path / "page-8.png"
    page.save(eight)
    sixteen = tmp_path / "page-16.png"
    Image.fromarray(np.asarray(page).astype(np.uint16) * 257).save(sixteen)
    assert Image.open(sixteen).mode.startswith("I")
    by_eight, by_sixteen = parse_file(eight), parse_file(sixteen)
    assert [s.text for s in by_sixteen.sections] == [s.text for s in by_eight.sections]
    assert sum(len(s.text) for s in by_sixteen.sections) > 300


def test_a_jpeg_stored_sideways_is_turned_as_its_exif_orientation_says(tmp_path):
    """Cameras and some scanners store the page sideways and say in EXIF how to show it: read as
    stored, the page was "not a government information-disclosure annual report"."""
    page = scan_pages(HONGZE, dpi=200, angle=0)[0].convert("RGB")
    upright = tmp_path / "upright.jpg"
    page.save(upright, quality=90)
    sideways = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
    page.transpose(Image.Transpose.ROTATE_90).save(sideways, quality=90, exif=exif)
    by_upright, by_sideways = parse_file(upright), parse_file(sideways)
    assert by_sideways.agency == by_upright.agency == "洪泽区人民政府"
    assert [s.n for s in by_sideways.sections] == [s.n for s in by_upright.sections]
    assert abs(sum(len(s.text) for s in by_sideways.sections) - sum(len(s.text) for s in by_upright.sections)) <= 10


@pytest.fixture(scope="module")
def table_page(tmp_path_factory):
    """Hongze's page 3 (table 三) as a 200 dpi scan, and what OCR reads on it upright."""
    page = scan_pages(HONGZE, dpi=200, angle=0)[2].convert("RGB")
    path = tmp_path_factory.mktemp("turned") / "page-0.png"
    page.save(path)
    return page, parse_file(path)


@pytest.mark.parametrize("scanned", [
    lambda page: page.transpose(Image.Transpose.ROTATE_90), lambda page: page.transpose(Image.Transpose.ROTATE_270),
    lambda page: page.transpose(Image.Transpose.ROTATE_180),
    # the scanner's dark bed around a smaller sheet: its edges were taken for a table's rulings
    lambda page: ImageOps.expand(page, border=60, fill="black"),
    # past a copier's 3°: its rulings were not found, and no table with them
    lambda page: page.rotate(-6, resample=Image.Resampling.BILINEAR, fillcolor="white"),
], ids=["on its side", "on its other side", "upside down", "in a dark frame", "leaning 6°"])
def test_a_page_scanned_on_its_side_upside_down_or_framed_reads_as_upright(table_page, tmp_path, scanned):
    """A landscape table page fed in upright is stored on its side, and a stack fed the wrong way
    upside down: read as stored, the table page gave no figure at all, nor leaning 6°. In a dark
    frame, 9 of its 101 figures came out null."""
    page, upright = table_page
    assert len([v for v in upright.figures.values() if v is not None]) > 90
    path = tmp_path / "turned.png"
    scanned(page).save(path)
    turned = parse_file(path)
    assert turned.figures == upright.figures
    assert [s.text for s in turned.sections] == [s.text for s in upright.sections]


def _photographed(page: Image.Image, corners: list[tuple[float, float]]) -> Image.Image:
    """The page photographed lying on a desk: seen at an angle (its corners where ``corners`` put
    them, as shares of the photo), on a darker ground, a quarter larger than the page."""
    import cv2
    import numpy as np

    pixels = np.asarray(page)
    h, w = pixels.shape[:2]
    size = (int(w * 1.24), int(h * 1.24))
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]),
                                         np.float32([[size[0] * x, size[1] * y] for x, y in corners]))
    return Image.fromarray(cv2.warpPerspective(pixels, matrix, size, borderValue=(92, 84, 70)))


@pytest.mark.parametrize("corners", [
    [(0.14, 0.08), (0.86, 0.10), (0.93, 0.92), (0.07, 0.90)],  # from the foot of the page
    [(0.10, 0.12), (0.88, 0.06), (0.92, 0.90), (0.12, 0.95)],  # at an angle, turned a little
], ids=["keystoned", "tilted"])
def test_a_page_photographed_at_an_angle_reads_as_scanned(table_page, tmp_path, corners):
    """A phone's photo of the table page on a desk: its rulings ran together and no table was
    found (3 of its 101 figures read). The sheet's corners are found and the view undone."""
    page, upright = table_page
    path = tmp_path / "photo.jpg"
    _photographed(page, corners).save(path, quality=88)
    photo = parse_file(path)
    assert photo.figures == upright.figures


def test_a_phone_photo_saved_as_heic_reads_as_scanned(table_page, tmp_path):
    """iPhones save photos as HEIC: "unsupported format '.heic'" before. The table page
    photographed at an angle and saved as HEIC reads every figure."""
    from pillow_heif import register_heif_opener

    register_heif_opener()  # to write one here (the readers register it to read)
    page, upright = table_page
    path = tmp_path / "IMG_0412.HEIC"
    _photographed(page, [(0.12, 0.07), (0.88, 0.09), (0.94, 0.93), (0.06, 0.91)]).save(path, format="HEIF", quality=85)
    assert path.read_bytes()[4:12] == b"ftypheic"
    photo = parse_file(path)
    assert photo.source["format"] == "heic" and photo.figures == upright.figures


@pytest.mark.parametrize("fmt, suffix", [("WEBP", "webp"), ("BMP", "bmp")])
def test_pages_saved_as_webp_or_bmp_are_page_images(table_page, tmp_path, fmt, suffix):
    from indexer.ocr import pages
    from indexer.readers import choose_reader, read_image

    page, _ = table_page
    path = tmp_path / f"page.{suffix}"
    page.save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    head = path.read_bytes()[:1024]
    assert choose_reader(path.with_suffix(".txt"), head) is read_image  # by its first bytes, whatever its name
    assert pages.image_format(path) == suffix
    (frame,) = pages.image_pages(path)
    assert frame.shape == (page.height, page.width, 3) and (frame == np.asarray(page)).all()


def _parse_error(path: Path) -> str:
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code != 0 and result.stdout == ""
    assert "Traceback" not in result.output and result.stderr.count("\n") == 1
    return result.stderr


def test_an_image_that_is_not_a_report(tmp_path):
    image = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.ellipse((60 * i, 40 * i, 60 * i + 300, 40 * i + 200), outline=(30 * i % 255, 90, 160), width=6)
    path = tmp_path / "drawing.png"
    image.save(path)
    assert _parse_error(path).startswith(f"Error: {path}: ")


def test_a_20000_pixel_square_image_fails_at_once(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (20000, 20000), 1).save(path)
    assert _parse_error(path) == f"Error: {path}: image too large (over 40,000,000 pixels)\n"


def test_a_300_page_scan_fails_clearly(tmp_path):
    page = Image.new("L", (850, 1100), 255)
    path = tmp_path / "long_scan.pdf"
    page.save(path, save_all=True, append_images=[page] * 299, resolution=100)
    assert _parse_error(path) == f"Error: {path}: scan of 300 pages; OCR reads at most 60 pages a file\n"


def test_ingest_reads_scans_in_its_workers_with_the_cache(hongze, tmp_path, config):
    scan, cache, scanned, _ = hongze
    data = tmp_path / "data"
    (data / OCR_DIRNAME).mkdir(parents=True)
    name = f"{scanned.source['sha256']}.json.gz"
    (data / OCR_DIRNAME / name).write_bytes((cache / name).read_bytes())  # as a former ingest left it
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "hongze_scan.pdf").write_bytes(scan.read_bytes())
    scan_pages(HONGZE, dpi=200)[2].save(inbox / "page3.png")
    seen = []
    summary = ingest_paths([inbox], replace(config, data_dir=data),
                           progress=lambda done, total, pages=0: seen.append(pages))
    assert summary.ingested == 2 and not summary.failed
    assert seen[-1] == 6  # five pages of the PDF, one image
    assert len(list((data / OCR_DIRNAME).glob("*.json.gz"))) == 2
    hits = Collection.open(replace(config, data_dir=data)).search("flag:ocr")["hits"]
    assert {h["id"] for h in hits} >= {scanned.id}


@pytest.fixture(scope="module")
def table_pictures(tmp_path_factory):
    """Hongze's tables as pictures (cropped from its scanned pages), each with the heading it follows."""
    import numpy as np

    from indexer.ocr.grid import find_tables

    folder = tmp_path_factory.mktemp("pictures")
    pictures = []
    for number, page in enumerate(scan_pages(HONGZE, dpi=200, angle=0.0)[1:4], 1):
        pixels = np.asarray(page.convert("L"))
        for i, table in enumerate(find_tables(pixels)):
            x0, y0, x1, y1 = table["xs"][0], table["ys"][0], table["xs"][-1], table["ys"][-1]
            path = folder / f"table_{number}_{i}.png"
            page.crop((max(0, x0 - 20), max(0, y0 - 20), x1 + 20, y1 + 20)).save(path)
            pictures.append(path)
    return pictures


def _text_and_pictures(original_document, pictures):
    """The report's paragraphs, with every picture after the heading of part 二, 三 or 四 it belongs to."""
    headings = {"二、": pictures[:2], "三、": pictures[2:4], "四、": pictures[4:]}
    out = []
    for block in original_document.paragraphs:
        out.append(("text", block.text))
        for prefix, group in headings.items():
            if block.text.startswith(prefix):
                out += [("picture", p) for p in group]
    return out


def test_table_pictures_in_docx_saved_html_and_pages_saved_as_one_file(table_pictures, tmp_path):
    from docx import Document as WordDocument
    from docx.shared import Cm

    from indexer.readers import read_document

    original = parse_file(HONGZE)
    assert len(table_pictures) == 5  # 二 on two pages, 三 on two, 四
    layout = _text_and_pictures(read_document(HONGZE), table_pictures)
    word = WordDocument()
    html = ["<html><head><meta charset='utf-8'><title>洪泽区人民政府2023年政府信息公开工作年度报告</title></head><body>"]
    (tmp_path / "report_files").mkdir()
    for kind, value in layout:
        if kind == "text":
            word.add_paragraph(value)
            html.append(f"<p>{value}</p>")
        else:
            word.add_picture(str(value), width=Cm(16))
            (tmp_path / "report_files" / value.name).write_bytes(value.read_bytes())
            html.append(f'<p><img src="report_files/{value.name}"></p>')
    word.save(tmp_path / "report.docx")
    page = "".join(html) + "</body></html>"
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    # saved as one file: the pictures inside, by address (Word) or by Content-ID (cid:)
    inside = {f"report_files/{p.name}": p.read_bytes() for p in table_pictures}
    (tmp_path / "report.mht").write_bytes(word_mht(page.replace("charset='utf-8'", ""), inside))
    (tmp_path / "report.mhtml").write_bytes(blink_mhtml(
        page.replace('src="report_files/', 'src="cid:report_files/'), "https://www.hongze.gov.cn/nb.htm",
        {f"cid:{src}": data for src, data in inside.items()}, by_content_id=True))
    cache = tmp_path / "ocr"
    for name, fmt in (("report.docx", "docx"), ("report.html", "html"), ("report.mht", "mhtml"),
                      ("report.mhtml", "mhtml")):
        report = parse_file(tmp_path / name, ocr_cache=cache)  # the second reuses the pictures' OCR
        assert report.source["format"] == fmt
        assert "ocr" in {f.code for f in report.flags}
        assert not any(f.code.startswith("missing_table_") for f in report.flags)
        assert assert_no_wrong_figure(original, report) >= EXACT_SHARE


def test_a_table_without_rulings_is_read_from_its_text_lines(tmp_path):
    """The rulings of tables 三 and 四 erased: the rows come from the text lines' geometry;
    a figure is the original's or null, never another number."""
    import cv2
    import numpy as np

    from indexer.ocr.grid import binarise, line_masks

    original = parse_file(HONGZE)
    erased = []
    for page in scan_pages(HONGZE, dpi=200, angle=0.0)[2:4]:
        pixels = np.asarray(page.convert("L")).copy()
        horizontal, vertical = line_masks(binarise(pixels))
        pixels[cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8)) > 0] = 255
        erased.append(Image.fromarray(pixels))
    path = tmp_path / "unruled.tif"
    erased[0].save(path, save_all=True, append_images=erased[1:], compression="tiff_lzw")
    report = parse_file(path)
    t3 = [k for k in original.figures if k.startswith("t3.")]
    assert all(report.figures[k] in (original.figures[k], None) for k in t3)
    assert sum(report.figures[k] == original.figures[k] for k in t3) >= EXACT_SHARE * len(t3)
