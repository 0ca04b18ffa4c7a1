"""Pages saved as one file (MHTML), written as Word and Chromium write them, from a page's HTML and
the pictures its <img src> name (the real Chromium file beside the tests: fixtures/mhtml/)."""
from __future__ import annotations

import base64
import quopri

WORD_PREAMBLE = ("此文档为“单个文件网页”，也称为“Web 档案”文件。如果您看到此消息，"
                 "但是您的浏览器或编辑器不支持“Web 档案”文件。"
                 "请下载支持“Web 档案”的浏览器，如 Windows® Internet Explorer®。")


def _quoted_printable(data: bytes) -> bytes:
    return quopri.encodestring(data).replace(b"\n", b"\r\n")


def _base64_lines(data: bytes) -> bytes:
    text = base64.b64encode(data)
    return b"\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def word_mht(html: str, pictures: dict[str, bytes]) -> bytes:
    """As Word saves "单个文件网页": MIME headers first, a Chinese preamble, the page in GB2312
    (quoted-printable) at a file:///C:/ address, each picture in base64 at its src beside it."""
    boundary = b"----=_NextPart_01DB48A1.6E3F2C10"
    folder = "file:///C:/8A3B7C1D/"
    out = [b"MIME-Version: 1.0", b'Content-Type: multipart/related; boundary="' + boundary[2:] + b'"', b"",
           WORD_PREAMBLE.encode("gb18030"), b"",
           boundary, f"Content-Location: {folder}report.htm".encode(), b"Content-Transfer-Encoding: quoted-printable",
           b'Content-Type: text/html; charset="gb2312"', b"",
           _quoted_printable(html.encode("gb18030")), b""]
    for src, data in pictures.items():
        out += [boundary, f"Content-Location: {folder}{src}".encode(), b"Content-Transfer-Encoding: base64",
                b"Content-Type: image/png", b"", _base64_lines(data), b""]
    out += [boundary + b"--", b""]
    return b"\r\n".join(out)


def blink_mhtml(html: str, url: str, pictures: dict[str, bytes], *, by_content_id: bool = False,
                frames: dict[str, tuple[str, str]] | None = None) -> bytes:
    """As Chromium saves "网页，单个文件": From: <Saved by Blink>, the page in UTF-8
    (quoted-printable) at ``url``, each picture in base64 at its address resolved against ``url``,
    or (``by_content_id``) under a Content-ID that the page's src names as cid:; each of
    ``frames`` (Content-ID -> (address, html)) a page of its own, as Chromium keeps an iframe's."""
    from urllib.parse import urljoin

    boundary = b"------MultipartBoundary--kq0Jl3V2Xh8eC4xYb9pR1tZsN6wQmA7uF5dHgT2oLc----"
    out = [b"From: <Saved by Blink>", f"Snapshot-Content-Location: {url}".encode(),
           b"Subject: =?utf-8?Q?=E5=B9=B4=E5=BA=A6=E6=8A=A5=E5=91=8A?=",
           b"Date: Mon, 7 Dec 2026 10:00:00 -0000", b"MIME-Version: 1.0",
           b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="' + boundary[2:] + b'"',
           b"", b"", boundary, b"Content-Type: text/html", b"Content-ID: <frame-0A1B2C@mhtml.blink>",
           b"Content-Transfer-Encoding: quoted-printable", f"Content-Location: {url}".encode(), b"",
           _quoted_printable(html.encode("utf-8")), b""]
    for src, data in pictures.items():
        name = (f"Content-ID: <{src[4:]}>" if by_content_id else f"Content-Location: {urljoin(url, src)}")
        out += [boundary, b"Content-Type: image/png", b"Content-Transfer-Encoding: base64", name.encode(), b"",
                _base64_lines(data), b""]
    for content_id, (address, frame) in (frames or {}).items():
        out += [boundary, b"Content-Type: text/html", f"Content-ID: <{content_id}>".encode(),
                b"Content-Transfer-Encoding: quoted-printable", f"Content-Location: {address}".encode(), b"",
                _quoted_printable(frame.encode("utf-8")), b""]
    out += [boundary + b"--", b""]
    return b"\r\n".join(out)
