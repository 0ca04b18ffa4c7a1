"""Web pages saved as one file (MHTML, RFC 2557): Chromium's and Edge's "Webpage, Single File"
(.mhtml), Internet Explorer's and Word's "单个文件网页" (.mht), and Word documents saved that
way under a .doc name, as some sites offer their reports for download.

The file is a MIME message of type multipart/related: the page's HTML is one part (quoted-printable
or base64, in its own charset), and its pictures, style sheets and frames are the others, each
named by its address (Content-Location) or by a Content-ID. The page part is read as a saved
page is (readers/html.py), or the frame that holds the report where the page only shows it in an
iframe; the pictures are there for the tables pasted as pictures (ocr/embedded.py).
"""
from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin

from ..document import Document
from ..errors import ReaderError
from .html import FIRST_PART, LAST_PART, codec_of, decode_html, html_to_document

# The page with its pictures, style sheets and fonts inside (base64 adds a third): a report's
# page with its table pictures stays well under this.
MAX_MHTML_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SavedPage:
    """The page part of an MHTML file, decoded, and the parts beside it."""
    html: str
    location: str  # the page's address as saved ("" where none is given)
    message: Message

    def resource(self, src: str) -> bytes | None:
        """The bytes of the part an ``src`` of the page names (relative to the page's address,
        or cid:), or None where no part has that name."""
        wanted_id = src[4:].strip("<>") if src.lower().startswith("cid:") else None
        wanted = urljoin(self.location, src) if wanted_id is None else None
        for part in self.message.walk():
            if part.is_multipart():
                continue
            if wanted_id is not None:
                found = _content_id(part) == wanted_id
            else:
                location = (part.get("Content-Location") or "").strip()
                found = bool(location) and urljoin(self.location, location) == wanted
            if found:
                return part.get_payload(decode=True)
        return None

    def has_pictures(self) -> bool:
        return any(part.get_content_maintype() == "image" for part in self.message.walk())


def read_mhtml(path: str | Path) -> Document:
    """Read a page saved as one file into the report's paragraphs and tables.

    :raises ReaderError: too large, not a saved page (no HTML part), or an unreadable page.
    """
    path = Path(path)
    page = saved_page(path)
    document = html_to_document(page.html, path, "mhtml")
    if "url" not in document.meta and re.match(r"https?://", page.location):
        document.meta["url"] = page.location  # the address it was saved from
    return document


def saved_page(path: Path) -> SavedPage:
    """The page part of an MHTML file and the message around it.

    :raises ReaderError: too large, or no HTML part.
    """
    size = path.stat().st_size
    if size > MAX_MHTML_BYTES:
        raise ReaderError(path, f"web archive too large ({size // 1_048_576} MB; a report page saved "
                                f"with its pictures is under {MAX_MHTML_BYTES // 1_048_576} MB)")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    part = _page_part(message)
    if part is None:
        raise ReaderError(path, "not a web page saved as one file (no HTML part in the MHTML)")
    html = _part_text(part, path)
    if not _holds_report(html):
        # a site that shows the article in a frame: the saved page holds it as a part of its own
        for frame in _html_parts(message):
            text = _part_text(frame, path) if frame is not part else ""
            if _holds_report(text):
                part, html = frame, text
                break
    location = (part.get("Content-Location") or message.get("Snapshot-Content-Location") or "").strip()
    return SavedPage(html, location, message)


def _part_text(part: Message, path: Path) -> str:
    return _decoded(part.get_payload(decode=True) or b"", part.get_content_charset(), path)


def _holds_report(html: str) -> bool:
    """Whether a page's text names the report's first part and its last (readers/html.py looks
    for the body between them)."""
    return FIRST_PART in html and LAST_PART in html


def _html_parts(message: Message) -> list[Message]:
    return [p for p in message.walk()
            if not p.is_multipart() and p.get_content_type() in ("text/html", "application/xhtml+xml")]


def _page_part(message: Message) -> Message | None:
    """The part RFC 2557 names the root (the ``start`` parameter's Content-ID), else the first
    HTML part (Chromium, Word and IE put the page first)."""
    start = (message.get_param("start") or "")
    start = start.strip().strip("<>") if isinstance(start, str) else ""
    if start:
        for part in message.walk():
            if not part.is_multipart() and _content_id(part) == start:
                return part
    return next(iter(_html_parts(message)), None)


def _content_id(part: Message) -> str:
    """A part's Content-ID without its angle brackets, as cid: addresses and ``start`` name it."""
    return (part.get("Content-ID") or "").strip().strip("<>")


def _decoded(data: bytes, charset: str | None, path: Path) -> str:
    """The part's text in the charset its header gives (Word: gb2312, which means GBK and more),
    else as a page's bytes are decoded (its <meta charset>, then the text decoder's guesses)."""
    if charset:
        try:
            return data.decode(codec_of(charset))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_html(data, path)
