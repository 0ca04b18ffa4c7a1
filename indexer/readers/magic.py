"""The first bytes that tell a file's format, shared by the reader chooser and the readers.

Kept apart from ``readers/__init__.py`` so that a reader can use them without
importing the package that imports it (no import cycle).
"""
import re

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97 containers: .doc, .wps, an encrypted .docx
RTF_MAGIC = b"{\\rtf"
ZIP_MAGIC = b"PK\x03\x04"  # .docx and every other Office Open XML file
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # png, jpg, tif (both byte orders)
# HEIF (a phone's HEIC photo): an ISO box "ftyp" at byte 4 with one of HEIF's brands (an MP4 video has others)
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def is_image(head: bytes) -> bool:
    """Whether a file's first bytes are a page image's: PNG, JPEG, TIFF, HEIF, WebP or BMP."""
    return (head.startswith(IMAGE_MAGIC) or (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS)
            or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
            # BMP: "BM", then (at byte 14) the size of one of its header versions, so a text that
            # happens to begin with "BM" is not taken for one
            or (head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)))

# A page saved as one file (MHTML) opens with MIME headers: "MIME-Version: 1.0" (Word, IE) or
# "From: <Saved by Blink>" (Chromium), and its Content-Type is multipart/related.
_FIRST_HEADER = re.compile(rb"\A(?:\xef\xbb\xbf)?[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MULTIPART_RELATED = re.compile(rb"^content-type:[ \t]*multipart/related", re.I | re.M)
_SAVED_BY = re.compile(rb"\AFrom: <Saved by [^>\r\n]*>")


def is_mhtml(head: bytes) -> bool:
    """Whether a file's first bytes are those of a page saved as one file: MIME headers whose
    Content-Type is multipart/related, or Chromium's mark (its folded Subject, the page's title,
    can push the Content-Type past the bytes looked at)."""
    return bool(_SAVED_BY.match(head) or (_FIRST_HEADER.match(head) and _MULTIPART_RELATED.search(head)))

# Word 2003's XML document (WordprocessingML), which Word saved as .xml and sites offer as .doc.
_WORD2003_XML = re.compile(rb'<\?mso-application\s+progid="Word\.Document"\s*\?>|<w:wordDocument\b')


def is_word2003_xml(head: bytes) -> bool:
    """Whether a file's first bytes are those of a Word 2003 XML document."""
    return bool(_WORD2003_XML.search(head))
