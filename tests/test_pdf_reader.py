"""The PDF reader on pages drawn the ways real exports draw them: a page turned by its
/Rotate entry, rulings inside a form XObject, a note in rotated text, and pages with
no text at all (the error an OCR step can catch)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.document import Table
from indexer.errors import NoTextLayer, ReaderError
from indexer.readers import read_document
from indexer.readers.pdf import read_pdf

FONT = "STSong-Light"
SENTENCE = "本机关认真贯彻落实政府信息公开条例，持续提升公开质量。"
GRID_ROWS = [["申请情况", "自然人", "法人"], ["本年新收", "12", "3"], ["上年结转", "0", "1"]]


def _canvas(path: Path, **kwargs):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return canvas.Canvas(str(path), **kwargs)


def _text_and_grid(c, top: float, ruled=None) -> None:
    """A heading, an indented sentence, then GRID_ROWS in a 3 x 3 grid; ``ruled`` draws the rulings."""
    c.setFont(FONT, 12)
    c.drawString(72, top, "一、总体情况")
    c.drawString(96, top - 24, SENTENCE)
    xs, ys = [72, 200, 300, 400], [top - 50, top - 72, top - 94, top - 116]
    (ruled or c.grid)(xs, ys)
    for row, y in zip(GRID_ROWS, ys):
        for text, x in zip(row, xs):
            c.drawString(x + 4, y - 16, text)


def _expect_text_and_grid(document) -> None:
    assert [p.text for p in document.paragraphs] == ["一、总体情况", SENTENCE]
    assert document.tables == [Table(GRID_ROWS)]
    assert [type(b).__name__ for b in document.blocks] == ["Paragraph", "Paragraph", "Table"]


def _one_page(path: Path, rotate: int = 0, drawn_turned: bool = False) -> Path:
    """A portrait page of _text_and_grid, shown turned by ``rotate`` (its /Rotate) and with its
    content drawn a quarter turned (``drawn_turned``), as a landscape page's would be."""
    c = _canvas(path, pagesize=(595, 842))
    if rotate:
        c.setPageRotation(rotate)
    if drawn_turned:
        c.translate(595, 0)
        c.rotate(90)  # from here on, coordinates are those of the page turned landscape
    _text_and_grid(c, 500 if drawn_turned else 760)
    c.showPage()
    c.save()
    return path


def test_a_page_turned_by_its_rotate_entry_reads_as_displayed(tmp_path):
    """A portrait page shown landscape (/Rotate 90), its content drawn turned so it shows upright."""
    _expect_text_and_grid(read_pdf(_one_page(tmp_path / "turned.pdf", rotate=90, drawn_turned=True)))


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_page_shown_turned_by_a_wrong_rotate_entry_reads_as_its_text_runs(tmp_path, rotate):
    """Text upright on the page but displayed turned (a /Rotate set by mistake): read as displayed,
    every character stood on its side or upside down, and the Hongze report so set gave 0 of its
    200 figures (at 180 and 270, 'not a ... report')."""
    _expect_text_and_grid(read_pdf(_one_page(tmp_path / "wrong.pdf", rotate=rotate)))


def test_a_page_whose_text_is_drawn_turned_reads_as_its_text_runs(tmp_path):
    """A landscape table drawn turned on a portrait page, with no /Rotate to show it upright."""
    _expect_text_and_grid(read_pdf(_one_page(tmp_path / "drawn.pdf", drawn_turned=True)))


def test_rulings_drawn_inside_a_form_xobject_still_make_a_table(tmp_path):
    path = tmp_path / "form.pdf"
    c = _canvas(path, pagesize=(595, 842))

    def grid_in_a_form(xs, ys):
        c.beginForm("grid")
        c.grid(xs, ys)
        c.endForm()
        c.doForm("grid")

    _text_and_grid(c, 760, ruled=grid_in_a_form)
    c.showPage()
    c.save()
    _expect_text_and_grid(read_pdf(path))


def test_a_note_in_rotated_text_reads_apart_from_the_body(tmp_path):
    """A margin note drawn turned a quarter, between two body lines: it reads top to
    bottom as a line of its own, placed by its top, and the body lines stay whole."""
    path = tmp_path / "note.pdf"
    c = _canvas(path, pagesize=(595, 842))
    c.setFont(FONT, 12)
    c.drawString(72, 760, "一、总体情况")
    c.saveState()
    c.translate(560, 700)
    c.rotate(-90)  # reads downwards along the right margin
    c.drawString(0, 0, "此件公开发布")
    c.restoreState()
    c.drawString(96, 736, SENTENCE)
    c.showPage()
    c.save()
    assert [p.text for p in read_pdf(path).paragraphs] == ["一、总体情况", SENTENCE, "此件公开发布"]


def _image_only_pdf(path: Path) -> Path:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    c = _canvas(path, pagesize=(595, 842))
    c.drawImage(ImageReader(Image.new("L", (100, 140), 200)), 50, 100, width=495, height=693)
    c.showPage()
    c.save()
    return path


def test_an_image_only_pdf_raises_no_text_layer_for_ocr_to_catch(tmp_path):
    path = _image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(NoTextLayer, match=r"scan\.pdf: scanned PDF, no text layer \(OCR it first\)$") as caught:
        read_pdf(path)
    assert isinstance(caught.value, ReaderError)
    # read_document catches it and OCRs the page: a grey page with no text is a one-line error
    with pytest.raises(ReaderError, match=r"scan\.pdf: no legible text found by OCR in 1 page\(s\)$"):
        read_document(path)


def test_damage_is_a_reader_error_but_not_a_missing_text_layer(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(_image_only_pdf(tmp_path / "whole.pdf").read_bytes()[:400])
    with pytest.raises(ReaderError, match=r"cut\.pdf: damaged or truncated PDF \(FormatError\)$") as caught:
        read_pdf(path)
    assert not isinstance(caught.value, NoTextLayer)
