"""Office writers: a report as a real Word file (python-docx, merged table headers)
and as a PDF with a Chinese text layer (reportlab, ruled tables, wrapped paragraphs).

Both produce the same bytes for the same report: zip entries get a fixed date and
reportlab runs in invariant mode, so a seed names the same files and ids every time.
"""
from __future__ import annotations

import io
import random
import zipfile
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from .grids import Grid
from .layout import Para, SyntheticReport

CJK_FONT_FILES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
                  Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
_FIXED_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def write_docx(report: SyntheticReport, rng: random.Random) -> bytes:
    """A .docx with the report's paragraphs and the three tables as Word tables."""
    from docx import Document  # on use: generating text reports never loads python-docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = report.title
    doc.core_properties.author = report.agency.name
    # Some authors mark headings with Word's heading style, most only make them bold.
    heading_style = "Heading 2" if rng.random() < 0.3 else None
    for block in report.blocks:
        if isinstance(block, Para):
            paragraph = doc.add_paragraph(style=heading_style if block.role == "heading" else None)
            run = paragraph.add_run(block.text)
            if block.role == "title":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run.bold = True
                run.font.size = Pt(18)
            elif block.role == "heading":
                run.bold = True
            elif block.role == "signature":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            else:
                paragraph.paragraph_format.first_line_indent = Pt(24)
        else:
            _docx_table(doc, block)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _docx_table(doc, grid: Grid) -> None:
    table = doc.add_table(rows=len(grid.rows), cols=grid.ncols)
    table.style = "Table Grid"
    # table.cell() walks the whole table on every call; fetch every cell once, before
    # merging (a merge only touches the cells inside its own span).
    cells = [row.cells for row in table.rows]
    for r, c, cell in grid.anchors():
        target = cells[r][c]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(cells[r + cell.rowspan - 1][c + cell.colspan - 1])
        target.text = grid.text(cell)


def _fixed_dates(data: bytes) -> bytes:
    """Rewrite a zip with every entry dated the same, for reproducible bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, _FIXED_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register a CJK font with reportlab once; a TrueType font when installed
    (fonts-wqy-microhei), else reportlab's built-in CID font STSong-Light."""
    from reportlab.pdfbase import pdfmetrics  # on use: reportlab loads only when a PDF is written

    for path in CJK_FONT_FILES:
        if path.exists():
            from reportlab.pdfbase.ttfonts import TTFont
            pdfmetrics.registerFont(TTFont("XxgkCJK", str(path), subfontIndex=0))
            return "XxgkCJK"
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def write_pdf(report: SyntheticReport, rng: random.Random) -> bytes:
    """An A4 PDF: centred title, headings, first-line-indented paragraphs wrapped
    across lines and pages, ruled tables with spanning header cells."""
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT  # on use: as in cjk_font
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, firstLineIndent=22, alignment=TA_LEFT,
                          wordWrap="CJK", spaceAfter=4)
    styles = {
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=24, firstLineIndent=0,
                                alignment=TA_CENTER, spaceAfter=12),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=20, firstLineIndent=0,
                                  spaceBefore=6),
        "signature": ParagraphStyle("signature", parent=body, firstLineIndent=0, alignment=TA_RIGHT),
        "body": body,
    }
    # A long title gets a smaller size so that it stays on one line.
    styles["title"].fontSize = min(16, 480 // max(len(report.title), 1))
    story = []
    for block in report.blocks:
        if isinstance(block, Para):
            story.append(Paragraph(escape(block.text), styles[block.role]))
        elif block.ncols == 15:
            # table 四 is short: keep it on one page, as Word does with a short table
            story.append(KeepTogether([Spacer(1, 4), _pdf_table(block, font), Spacer(1, 8)]))
        else:
            story.append(Spacer(1, 4))
            story.append(_pdf_table(block, font))
            story.append(Spacer(1, 8))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=56, bottomMargin=56,
                            title=report.title, author=report.agency.name, invariant=1)
    page_number = _page_number_style(rng)
    if page_number:
        def footer(canvas, document):
            canvas.setFont(font, 9)
            canvas.drawCentredString(A4[0] / 2, 30, page_number.format(n=canvas.getPageNumber()))
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    else:
        doc.build(story)
    return buffer.getvalue()


def _page_number_style(rng: random.Random) -> str | None:
    """How the pages are numbered at the foot, if at all (Word's — 1 —, 第1页, or 1)."""
    return rng.choice((None, "- {n} -", "— {n} —", "第{n}页", "{n}"))


# Column widths (points) per table width, for a 495 pt text column.
_COLUMN_WIDTHS = {4: [165, 110, 110, 110], 10: [34, 52, 115] + [42] * 7, 15: [33] * 15}


def _pdf_table(grid: Grid, font: str):
    from reportlab.lib import colors  # on use: as in cjk_font
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, alignment=TA_CENTER,
                                wordWrap="CJK")
    data = [[Paragraph(escape(text), cell_style) if text.strip() else "" for text in row] for row in grid.matrix()]
    commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONT", (0, 0), (-1, -1), font, 8)]
    for r, c, cell in grid.anchors():
        if cell.rowspan > 1 or cell.colspan > 1:
            commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
    return Table(data, colWidths=_COLUMN_WIDTHS[grid.ncols], style=TableStyle(commands), repeatRows=0)
