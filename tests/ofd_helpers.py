"""PDF -> OFD as a layout-keeping converter makes it (the way offices get OFD out of their
PDFs and Word files): each run of characters on a line one TextObject with its DeltaX, each
ruling one PathObject, in millimetres from the page's top-left corner."""
from __future__ import annotations

import io
import zipfile
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pypdfium2

from indexer.readers.pdf_page import read_page

MM_PER_POINT = 25.4 / 72
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _mm(value: float) -> str:
    return f"{value * MM_PER_POINT:.3f}".rstrip("0").rstrip(".")


def _deltas(values: list[str]) -> str:
    """DeltaX as producers write it: a run of one value as "g N value"."""
    out = []
    for value, run in groupby(values):
        count = len(list(run))
        out.append(f"g {count} {value}" if count > 1 else value)
    return " ".join(out)


def _text_objects(chars, ids, scaled: bool) -> list[str]:
    out = []
    runs: list[list] = []
    for char in sorted(chars, key=lambda c: (round(c.bottom), c.x0)):
        last = runs[-1][-1] if runs else None
        if last and abs(last.bottom - char.bottom) < 0.5 and abs(last.size - char.size) < 0.1 \
                and -0.5 < char.x0 - last.x1 < char.size:
            runs[-1].append(char)
        else:
            runs.append([char])
    for run in runs:
        size = run[0].size
        x0, top = run[0].x0, min(c.top for c in run)
        baseline = run[0].bottom - size * 0.12
        width = run[-1].x1 - x0
        # scaled: a unit font size and a CTM that scales it, as some producers write their glyphs
        unit = size if scaled else 1.0
        deltas = _deltas([_mm((b.x0 - a.x0) / unit) for a, b in zip(run, run[1:])])
        attributes = (f'Boundary="{_mm(x0)} {_mm(top)} {_mm(width)} {_mm(size * 1.2)}" Font="1" '
                      + (f'Size="{_mm(1.0)}" CTM="{size} 0 0 {size} 0 0"' if scaled else f'Size="{_mm(size)}"'))
        text = escape("".join(c.text for c in run))
        delta = f' DeltaX="{deltas}"' if deltas else ""
        out.append(f'<ofd:TextObject ID="{next(ids)}" {attributes}><ofd:FillColor Value="0 0 0"/>'
                   f'<ofd:TextCode X="0" Y="{_mm((baseline - top) / unit)}"{delta}>{text}</ofd:TextCode>'
                   f'</ofd:TextObject>')
    return out


def _path_objects(edges, ids) -> list[str]:
    out = []
    for edge in edges:
        if edge.orientation not in ("h", "v"):
            continue
        x1, y1 = edge.x1 - edge.x0, edge.bottom - edge.top
        out.append(f'<ofd:PathObject ID="{next(ids)}" Boundary="{_mm(edge.x0)} {_mm(edge.top)} {_mm(x1) or 0.01} '
                   f'{_mm(y1) or 0.01}" LineWidth="0.25"><ofd:StrokeColor Value="0 0 0"/>'
                   f'<ofd:AbbreviatedData>M 0 0 L {_mm(x1) or 0} {_mm(y1) or 0}</ofd:AbbreviatedData>'
                   f'</ofd:PathObject>')
    return out


def pdf_to_ofd(pdf_path: Path, *, scaled: bool = False, title: str | None = None) -> bytes:
    """The OFD of a PDF with a text layer: its characters and rulings page by page (the
    rulings of each page grouped in a PageBlock)."""
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    ids = iter(range(100, 10_000_000))
    pages = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            width, height = page.get_size()
            chars, _, edges = read_page(page)
            page.close()
            objects = _text_objects(chars, ids, scaled)
            objects.append(f'<ofd:PageBlock ID="{next(ids)}">' + "".join(_path_objects(edges, ids)) + "</ofd:PageBlock>")
            pages.append((width, height, "".join(objects)))
    finally:
        pdf.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        info = f"<ofd:DocInfo><ofd:Title>{escape(title)}</ofd:Title></ofd:DocInfo>" if title else ""
        package.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD">'
                                    f"<ofd:DocBody>{info}<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
                                    "</ofd:OFD>")
        width, height = pages[0][:2]
        listed = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc={quoteattr(f"Pages/Page_{i}/Content.xml")}/>'
                         for i in range(len(pages)))
        package.writestr("Doc_0/Document.xml",
                         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData>'
                         f"<ofd:MaxUnitID>{next(ids)}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {_mm(width)} "
                         f"{_mm(height)}</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
                         f"</ofd:CommonData><ofd:Pages>{listed}</ofd:Pages></ofd:Document>")
        package.writestr("Doc_0/PublicRes.xml",
                         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res"><ofd:Fonts>'
                         '<ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
        for i, (_, _, objects) in enumerate(pages):
            package.writestr(f"Doc_0/Pages/Page_{i}/Content.xml",
                             f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content>'
                             f'<ofd:Layer ID="{i + 1}" Type="Body">{objects}</ofd:Layer></ofd:Content></ofd:Page>')
    return out.getvalue()


def scans_to_ofd(pictures: list[bytes], media_format: str = "JPEG", page_mm: tuple[float, float] = (210, 297)) -> bytes:
    """A scanned OFD, as scanners and converters of paper write one: each page a picture that
    fills it (an ImageObject naming a MultiMedia of the document's resources), no text."""
    width, height = page_mm
    suffix = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif"}.get(media_format, media_format.lower())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD">'
                                    "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        listed = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pictures)))
        package.writestr("Doc_0/Document.xml",
                         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData>'
                         f"<ofd:PageArea><ofd:PhysicalBox>0 0 {width} {height}</ofd:PhysicalBox></ofd:PageArea>"
                         "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
                         f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>")
        media = "".join(f'<ofd:MultiMedia ID="{1000 + i}" Type="Image" Format="{media_format}">'
                        f"<ofd:MediaFile>Image_{i}.{suffix}</ofd:MediaFile></ofd:MultiMedia>" for i in range(len(pictures)))
        package.writestr("Doc_0/DocumentRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res">'
                                                  f"<ofd:MultiMedias>{media}</ofd:MultiMedias></ofd:Res>")
        for i, picture in enumerate(pictures):
            package.writestr(f"Doc_0/Res/Image_{i}.{suffix}", picture)
            package.writestr(f"Doc_0/Pages/Page_{i}/Content.xml",
                             f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer ID="1">'
                             f'<ofd:ImageObject ID="{2000 + i}" Boundary="0 0 {width} {height}" '
                             f'CTM="{width} 0 0 {height} 0 0" ResourceID="{1000 + i}"/>'
                             "</ofd:Layer></ofd:Content></ofd:Page>")
    return out.getvalue()
