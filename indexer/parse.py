"""file -> canonical report: the whole parsing pipeline in one place.

    read_document  (readers/)   file -> Document (paragraphs, tables)
    document_to_simplified      Document in traditional characters -> the same in simplified
    document_to_sections        Document -> the six parts with offsets
    document_to_figures         Document -> template, figure keys, raw cells, table flags
    document_to_metadata        Document + sections -> title, agency, year, region, level, type
    check_figures / check_narrative                      -> consistency flags
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .agencies import agency_key
from .checks import check_figures
from .config import Config, load_config
from .document import Document
from .errors import NotAReport
from .metadata import document_to_metadata
from .narrative import check_narrative
from .paths import path_text
from .readers import check_regular_file, read_document  # check_regular_file: for ingest, which reads the bytes first
from .report import Flag, Report
from .script import document_to_simplified
from .sections import document_to_sections
from .tables import document_to_figures
from .tables.ocr_check import apply_ocr_confidence
from .vocabulary import report_id

SECTION_COUNT = 6


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_file(path: str | Path, config: Config | None = None, *, synthetic: bool = False,
               data: bytes | None = None, ocr_cache: Path | None = None, info: dict | None = None,
               source_path: str | Path | None = None) -> Report:
    """Parse one file into the canonical report.

    :param path: the report file (txt, md, docx, html, pdf).
    :param config: settings (the agency-type taxonomy); default config.toml.
    :param synthetic: mark the report as generated, never real.
    :param data: the file's bytes, if the caller has read them already.
    :param ocr_cache: where a scan's OCR output is kept by sha256 (ingest: the data directory's ocr/).
    :param info: if given, receives ``ocr_pages`` (pages read by OCR) for a scan.
    :param source_path: the report's ``source.path`` where ``path`` is a copy (a file inside a zip
        archive: ``archive.zip/member``); default ``path``.
    :raises ReaderError: the file cannot be read, or is not an annual report.
    """
    config = config or load_config()
    document = document_to_simplified(read_document(path, data, ocr_cache))
    if source_path is not None:
        document.path = str(source_path)
    if info is not None and document.ocr:
        info["ocr_pages"] = document.ocr["pages"]
    sha256 = document.sha256 or file_sha256(path)  # a text reader hashed the bytes it read
    return document_to_report(document, sha256, config, synthetic=synthetic)


def ocr_detail(ocr: dict) -> str:
    """The ``ocr`` flag's detail (docs/flags.md): engine, pages, mean confidence; for a PDF
    that mixes text and scanned pages, which of its pages OCR read."""
    if "page_numbers" in ocr:
        numbers = ", ".join(str(n) for n in ocr["page_numbers"])
        pages = (f"{ocr['pages']} of {ocr['total_pages']} page(s) (page(s) {numbers}; "
                 "the others from the text layer)")
    else:
        pages = f"{ocr['pages']} page(s)"
    confidence = ocr["mean_confidence"]
    legible = f"mean confidence {confidence:.2f}" if confidence is not None else "no legible text found"
    return f"read by OCR: {ocr['engine']}, {pages}, {legible}"


# A notice that carries the template's blank tables or talks of the reports: 关于印发《…年度报告格式》的通知,
# 关于做好…年度报告编制工作的通知, 关于…年度报告的解读.
_NOTICE_TITLE = re.compile(r"^.{0,80}年度报告.{0,40}(?:通知|解读|函)\s*$")


def _is_a_notice(document: Document) -> bool:
    first = next((p.text.strip() for p in document.paragraphs if p.text.strip()), "")
    return bool(_NOTICE_TITLE.match(first))


def document_to_report(document: Document, sha256: str, config: Config, *, synthetic: bool = False) -> Report:
    sections = document_to_sections(document)
    figures = document_to_figures(document)
    if document.ocr:
        figures = apply_ocr_confidence(document, figures)
    if not sections and not figures.found_tables:
        raise NotAReport(document.path, "not a government information-disclosure annual report "
                                        "(none of the six parts and none of the three tables found)")
    metadata = document_to_metadata(document, sections, config)
    if metadata.title is None and all(v is None for v in figures.figures.values()) and _is_a_notice(document):
        raise NotAReport(document.path, "a notice about the annual reports (the national template, a call to "
                                        "write or publish them), not a report")
    flags: list[Flag] = []
    if document.ocr:
        flags.append(Flag("ocr", None, ocr_detail(document.ocr)))
    if "script_converted" in document.meta:
        flags.append(Flag("script_converted", None, f"written in traditional characters: read as simplified "
                                                     f"(OpenCC t2s, {document.meta['script_converted']} characters changed)"))
    found = {s.n for s in sections}
    flags += [Flag(f"missing_section_{n}", f"s{n}", f"part {n} not found") for n in range(1, SECTION_COUNT + 1)
              if n not in found]
    flags += figures.flags
    flags += check_figures(figures.figures, figures.template, unread=figures.unread)
    flags += metadata.flags
    flags += check_narrative(sections, figures.figures)
    return Report(
        id=report_id(sha256),
        source={"path": path_text(document.path), "format": document.format, "sha256": sha256,
                "url": metadata.url, "synthetic": synthetic},
        title=metadata.title,
        agency=metadata.agency,
        agency_key=agency_key(metadata.agency, metadata.region, dict(config.agency_aliases)),
        year=metadata.year,
        template=figures.template,
        region=metadata.region,
        level=metadata.level,
        agency_type=metadata.agency_type,
        published=metadata.published,
        sections=sections,
        figures=figures.figures,
        cells=figures.cells,
        flags=flags,
    )
