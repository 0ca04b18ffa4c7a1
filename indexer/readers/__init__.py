"""Readers: one small module per format, each turning a file into a Document.

``read_document`` picks the reader from the file's first bytes where they
are telling (a PDF, a zip, an OLE container, RTF, an HTML page), else from its
extension, so a PDF saved as .txt still reads as a PDF. Every failure is a
ReaderError naming the file and the problem in one line.
"""
from __future__ import annotations

import stat
from pathlib import Path

from ..document import Document
from ..errors import NoTextLayer, ReaderError, UnsupportedFormat
from .magic import OLE_MAGIC, RTF_MAGIC, ZIP_MAGIC, is_image, is_mhtml, is_word2003_xml
from .text import read_text

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".htm", ".html", ".shtml", ".xhtml", ".asp", ".aspx", ".jsp", ".php"}
WORD_SUFFIXES = {".docx", ".docm", ".dotx"}
# Read through LibreOffice's conversion to .docx (readers/doc.py).
WORD97_SUFFIXES = {".doc", ".dot", ".wps", ".rtf"}
# Page images: scans, read by OCR (indexer/ocr/).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif", ".webp", ".bmp"}
# A web page saved as one file (readers/mhtml.py).
MHTML_SUFFIXES = {".mht", ".mhtml"}
SUPPORTED = ".txt .md .docx .doc .wps .rtf .xml (Word 2003) .html .mht .mhtml .pdf .ofd .png .jpg .tif .heic .webp .bmp"
SNIFF_BYTES = 1024
# No reader takes a larger file: the largest any reads is a .docx's content, 200 MB once unzipped
# (readers/docx.py; a PDF 100 MB, text and HTML 20 MB). A larger file is refused before it is
# read, since ingest reads a file whole to hash it: a 30 GB file named .txt would fill memory.
MAX_FILE_BYTES = 200 * 1024 * 1024
# What a path that is not a regular file is, by its mode.
_OTHER_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"))


def _os_error_detail(error: OSError) -> str:
    """An OSError in a few words on one line: its errno's, else the library's own (Pillow: "image
    file is truncated"), else its class."""
    return error.strerror or " ".join(str(error).split())[:200] or type(error).__name__


def check_regular_file(path: Path) -> int:
    """The size of ``path``, a regular file a reader may take.

    :raises ReaderError: ``path`` is missing, a directory, or not a regular file: a named
        pipe (opening it waits for a writer, forever: it once held up a whole ingest), a socket
        or a device; or larger than any reader takes (``MAX_FILE_BYTES``)."""
    try:
        status = path.stat()
        mode = status.st_mode
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    except OSError as e:
        raise ReaderError(path, f"cannot read the file ({_os_error_detail(e)})") from None
    if stat.S_ISDIR(mode):
        raise ReaderError(path, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        kind = next((name for is_kind, name in _OTHER_KINDS if is_kind(mode)), "not a file")
        raise ReaderError(path, f"not a regular file ({kind})")
    if status.st_size > MAX_FILE_BYTES:
        raise ReaderError(path, f"file too large ({status.st_size // 1_048_576:,} MB; no format is read past "
                                f"{MAX_FILE_BYTES // 1_048_576} MB)")
    return status.st_size


def read_document(path: str | Path, data: bytes | None = None, ocr_cache: Path | None = None) -> Document:
    """Read any supported file into a Document.

    :param path: a .txt/.md/.docx/.doc/.wps/.rtf/.html/.pdf file (the content decides when the extension lies).
    :param data: the file's bytes, if the caller has read them already (ingest hashes them
        first): a text file is then not opened again.
    :param ocr_cache: where the OCR output of scans is kept by sha256 (None: OCR every time).
    :raises ReaderError: missing, empty, unreadable, unsupported or damaged file (message names the file).
    """
    path = Path(path)
    if data is not None:
        size, head = len(data), data[:SNIFF_BYTES]
    else:
        size = check_regular_file(path)
        try:
            with open(path, "rb") as f:
                head = f.read(SNIFF_BYTES)
        except OSError as e:
            raise ReaderError(path, f"cannot read the file ({_os_error_detail(e)})") from None
    if size == 0:
        raise ReaderError(path, "empty file")
    reader = choose_reader(path, head)
    try:
        if reader is read_text:
            return read_text(path, data=data)
        if reader is read_image:
            return read_image(path, data, ocr_cache)
        if reader is read_pdf_or_scan:
            return read_pdf_or_scan(path, data, ocr_cache)
        if reader is read_ofd_or_scan:
            return read_ofd_or_scan(path, data, ocr_cache)
        document = reader(path)
        if document.format in ("docx", "html", "mhtml"):
            from ..ocr.embedded import add_picture_tables, pictures_of

            pictures = pictures_of(document.format, path)
            if pictures:  # tables pasted as pictures: read by OCR where they stand
                document = add_picture_tables(document, pictures, ocr_cache)
        return document
    except ReaderError:
        raise
    except MemoryError:
        raise ReaderError(path, "file too large to read") from None
    except OSError as e:
        raise ReaderError(path, f"cannot read the file ({_os_error_detail(e)})") from None
    except Exception as e:  # a library failing on a malformed file must not become a traceback
        raise ReaderError(path, f"could not read the file ({type(e).__name__})") from None


def choose_reader(path: Path, head: bytes):
    """The reader for a file, from its first bytes, else its extension.

    :raises UnsupportedFormat: a format we do not read (the message names the extension).
    """
    suffix = path.suffix.lower()
    if b"%PDF-" in head:
        return read_pdf_or_scan
    if is_image(head) or suffix in IMAGE_SUFFIXES:
        return read_image
    if suffix == ".ofd":
        return read_ofd_or_scan  # a zip of XML pages; one that is not a zip is told so by it
    if head.startswith(ZIP_MAGIC):
        from .docx import read_docx
        if suffix in WORD_SUFFIXES or suffix in TEXT_SUFFIXES or suffix in (".doc", ".wps", ""):
            return read_docx
        if suffix == ".zip":  # an archive of reports: ingest's to open (indexer/archives.py)
            raise UnsupportedFormat(path, "a zip archive: xxgk ingest reads the reports inside it, and xxgk parse "
                                          "one of them named as ARCHIVE.zip/MEMBER")
        raise UnsupportedFormat(path, f"unsupported format '{suffix}' (a zip archive; supported: {SUPPORTED})")
    if head.startswith(OLE_MAGIC):
        from .docx import is_word97
        if suffix in WORD97_SUFFIXES or (suffix in WORD_SUFFIXES | TEXT_SUFFIXES | {""} and is_word97(path)):
            from .doc import read_doc
            return read_doc
        if suffix in WORD_SUFFIXES:
            from .docx import read_docx
            return read_docx  # an encrypted .docx is an OLE container; read_docx says so
        raise UnsupportedFormat(path, f"unsupported format '{suffix or '(none)'}' "
                                      f"(an Office 97 file; supported: {SUPPORTED})")
    if head.startswith(RTF_MAGIC) and suffix in WORD97_SUFFIXES | TEXT_SUFFIXES | {""}:
        from .doc import read_doc
        return read_doc
    if is_word2003_xml(head) and suffix in WORD97_SUFFIXES | TEXT_SUFFIXES | {".xml", ""}:
        from .doc import read_doc
        return read_doc  # Word 2003 XML, which LibreOffice converts as it does a .doc
    # a page saved as one file; Word saves one under .doc too ("single file web page")
    if suffix in MHTML_SUFFIXES or (
            is_mhtml(head) and suffix in HTML_SUFFIXES | TEXT_SUFFIXES | WORD97_SUFFIXES | WORD_SUFFIXES | {""}):
        from .mhtml import read_mhtml
        return read_mhtml  # one that is not MHTML is told so by it
    # Web pages offering a "Word" download often send HTML named .doc.
    if suffix in HTML_SUFFIXES or (suffix in TEXT_SUFFIXES | WORD97_SUFFIXES | {""} and _looks_like_html(head)):
        from .html import read_html
        return read_html
    if suffix in TEXT_SUFFIXES or suffix == "":
        return read_text  # no extension (a crawler's save): read_text rejects binary data
    if suffix == ".pdf":
        from .pdf import read_pdf
        return read_pdf  # no %PDF header: read_pdf reports the damage (no scan to OCR either)
    if suffix in WORD_SUFFIXES:
        from .docx import read_docx
        return read_docx  # not a zip: read_docx reports the damage
    if suffix in WORD97_SUFFIXES:
        raise UnsupportedFormat(path, f"damaged {suffix} file (not a Word document)")
    raise UnsupportedFormat(path, f"unsupported format '{suffix or '(none)'}' (supported: {SUPPORTED})")


def read_pdf_or_scan(path: Path, data: bytes | None = None, ocr_cache: Path | None = None) -> Document:
    """A PDF by its text layer, its scanned pages (pictures without text) by OCR; a PDF without
    a usable text layer (a scan, or fonts with no Unicode map) wholly by OCR."""
    from .pdf import read_pdf

    def scanned_pages(numbers: list[int]):
        from ..ocr import read_pdf_pages  # on use: a text-only PDF never loads the OCR engine

        return read_pdf_pages(path, numbers, data, ocr_cache)

    try:
        return read_pdf(path, scanned_pages)
    except NoTextLayer:
        from ..ocr import read_scan  # on use: start-up time (ONNX Runtime, OpenCV)

        return read_scan(path, "pdf", data, ocr_cache)


def read_ofd_or_scan(path: Path, data: bytes | None = None, ocr_cache: Path | None = None) -> Document:
    """An OFD by its text, its scanned pages (a page that is a picture) by OCR."""
    from .ofd import read_ofd

    def scanned_pages(pictures: dict[int, bytes]):
        from ..ocr import read_page_pictures  # on use: a text OFD never loads the OCR engine

        return read_page_pictures(path, pictures, data, ocr_cache)

    return read_ofd(path, scanned_pages)


def read_image(path: Path, data: bytes | None = None, ocr_cache: Path | None = None) -> Document:
    """A page image (png, jpg, tif; a multi-page tif holds several pages), by OCR."""
    from ..ocr import read_scan

    return read_scan(path, "image", data, ocr_cache)


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head.lower()
