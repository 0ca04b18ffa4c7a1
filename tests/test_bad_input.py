"""Bad input never becomes a traceback: one line naming the file and the problem.

Each case goes through `xxgk parse` (click's CliRunner) and must print exactly
"Error: <path>: <problem>", exit non-zero, print nothing on stdout and write
no file anywhere.
"""
from __future__ import annotations

import io
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from indexer.cli import cli
from indexer.errors import ReaderError, UnsupportedFormat
from indexer.readers import read_document
from readers_helpers import write_docx

ROOT = Path(__file__).resolve().parent.parent

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NEWS_ARTICLE = """市政府召开全市安全生产工作会议

本报讯 11月20日上午，市政府召开全市安全生产工作会议，传达学习上级会议精神，
分析当前安全生产形势，部署今冬明春安全生产重点工作。副市长出席会议并讲话。

会议强调，各地各部门要压紧压实责任，深入开展隐患排查整治，坚决防范遏制重特大事故发生。
"""


def _files_under(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*")}


def _parse_fails(tmp_path: Path, path: Path, problem: str) -> None:
    data_dir = tmp_path / "data"
    before = _files_under(tmp_path)
    result = CliRunner().invoke(cli, ["parse", str(path), "--data", str(data_dir)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}: {problem}\n"
    assert "Traceback" not in result.output
    assert _files_under(tmp_path) == before


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    write_docx(buffer, lambda word: word.add_paragraph("一、总体情况"))
    return buffer.getvalue()


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    _parse_fails(tmp_path, path, "empty file")


@pytest.mark.parametrize("size", [100, 5000])
def test_binary_junk_named_txt(tmp_path, size):
    rng = random.Random(size)
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(size)))
    _parse_fails(tmp_path, path, "binary data, not a text file")


def test_truncated_docx(tmp_path):
    path = tmp_path / "truncated.docx"
    data = _docx_bytes()
    path.write_bytes(data[: len(data) // 2])
    _parse_fails(tmp_path, path, "damaged .docx (not a valid Word file)")


def test_password_protected_docx(tmp_path):
    # A real encrypted .docx (EncryptedInfo + EncryptedPackage in an OLE container),
    # written once with msoffcrypto-tool's OOXMLFile.encrypt, password "secret".
    path = tmp_path / "protected.docx"
    path.write_bytes((FIXTURES / "password_protected.docx").read_bytes())
    _parse_fails(tmp_path, path, "password-protected or encrypted .docx; save it without a password")


def test_zip_bomb_docx_is_refused_before_opening(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            chunk = b"\x20" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    _parse_fails(tmp_path, path, "suspicious .docx: expands to 300 MB (zip bomb?)")


def test_small_highly_compressible_docx_is_a_bomb_too(tmp_path):
    path = tmp_path / "ratio.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:p/>" * (5 << 20))
    with pytest.raises(ReaderError, match=r"suspicious \.docx: expands to 30 MB \(zip bomb\?\)"):
        read_document(path)


def test_50_mb_text_file(tmp_path):
    path = tmp_path / "huge.txt"
    line = "一、总体情况 本年度收到政府信息公开申请5件。\n".encode("utf-8")
    with open(path, "wb") as f:
        f.write(line * (50 * 1024 * 1024 // len(line) + 1))
    _parse_fails(tmp_path, path, "text file too large (50 MB; an annual report is under 1 MB)")


def test_a_file_larger_than_any_format_is_refused_before_it_is_read(tmp_path):
    """Ingest reads a file whole to hash it, so an 8 GB file named .txt once went into a parse
    worker's memory before the text reader refused it. Here the ingest runs under a 2 GB address
    space limit, so reading it would kill the worker ("a parser process died")."""
    from indexer.readers import MAX_FILE_BYTES
    from indexer.readers.docx import MAX_UNCOMPRESSED_BYTES
    from indexer.readers.html import MAX_HTML_BYTES
    from indexer.readers.pdf import MAX_PDF_BYTES
    from indexer.readers.text import MAX_TEXT_BYTES
    assert MAX_FILE_BYTES == max(MAX_UNCOMPRESSED_BYTES, MAX_HTML_BYTES, MAX_PDF_BYTES, MAX_TEXT_BYTES)
    folder = tmp_path / "in"
    folder.mkdir()
    huge = folder / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(8 << 30)  # sparse: takes no disk
    shutil.copy(ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt", folder)
    _parse_fails(tmp_path, huge, "file too large (8,192 MB; no format is read past 200 MB)")
    limit = "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
    ingest = subprocess.run([sys.executable, "-c", limit + "from indexer.cli import cli; sys.exit(cli())", "ingest",
                             str(folder), "--data", str(tmp_path / "data")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("ingested 1 ")
    assert f"failed: {huge}: file too large (8,192 MB; no format is read past 200 MB)\n" in ingest.stderr


def test_news_article_is_not_a_report(tmp_path):
    path = tmp_path / "news.txt"
    path.write_text(NEWS_ARTICLE, encoding="utf-8")
    _parse_fails(tmp_path, path, "not a government information-disclosure annual report "
                                 "(none of the six parts and none of the three tables found)")


def _with_blank_tables(heading_lines: str, tail: str) -> str:
    """A seed's three tables with every value cell emptied, between some lines of a notice."""
    seed = (ROOT / "corpus" / "seeds" / "001_c79327e4fbc2ded3.txt").read_text(encoding="utf-8")
    tables = seed[seed.index("二、主动公开政府信息情况"):seed.index("五、存在的主要问题及改进情况")]
    return heading_lines + re.sub(r"(?m)^\t\s*\d[\d.]*\s*$", "\t", tables) + tail


def test_the_notice_issuing_the_national_template_is_not_a_report(tmp_path):
    """Sites post the State Council office's notice that issues the template, its blank tables
    included, in the same column as the reports; it was stored as a report of 中华人民共和国."""
    path = tmp_path / "notice.txt"
    path.write_text(_with_blank_tables(
        "国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知\n"
        "各省、自治区、直辖市人民政府办公厅，国务院各部委、各直属机构办公厅（室）：\n"
        "现将修订后的《中华人民共和国政府信息公开工作年度报告格式》印发给你们，请认真贯彻执行。\n"
        "中华人民共和国政府信息公开工作年度报告格式\n一、报告内容\n（一）总体情况。这一项报告本机关政府信息公开工作总体情况。\n",
        "二、有关要求\n各地区各部门要按时完成年度报告的编制和发布。\n"), encoding="utf-8")
    _parse_fails(tmp_path, path, "a notice about the annual reports (the national template, a call to write or "
                                 "publish them), not a report")


def test_a_report_published_by_a_notice_is_a_report(tmp_path):
    """关于印发…年度报告的通知 followed by the report: the notice names the report it publishes."""
    seed = (ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt").read_text(encoding="utf-8")
    path = tmp_path / "published.txt"
    path.write_text("关于印发枣庄市市中区信访局2020年度政府信息公开工作年度报告的通知\n" + seed.split("\n", 1)[1],
                    encoding="utf-8")
    from indexer.parse import parse_file
    report = parse_file(path)
    assert (report.agency, report.year) == ("枣庄市市中区信访局", 2020)
    assert report.figures == parse_file(ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt").figures


def _ole_word97() -> bytes:
    """The head of a Word 97 file: the OLE signature and a WordDocument stream entry."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = "WordDocument".encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
    return header + entry + b"\x00" * 1024


def test_word97_doc(tmp_path):
    path = tmp_path / "report.doc"
    path.write_bytes(_ole_word97())
    _parse_fails(tmp_path, path, "damaged .doc file (LibreOffice could not open it: source file could not be loaded)")


def test_word97_renamed_docx(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(_ole_word97())
    # a Word 97 file named .docx goes to LibreOffice too (tests/test_doc.py reads a real one)
    with pytest.raises(ReaderError, match=r"damaged \.docx file \(LibreOffice could not open it"):
        read_document(path)


def test_scanned_pdf_with_no_legible_text(tmp_path):
    """An image-only PDF goes to OCR (tests/test_ocr.py); pixels that are no text fail in one line."""
    scan = Image.new("L", (200, 280), 255)
    for x in range(20, 180):
        for y in range(30, 34):
            scan.putpixel((x, y), 0)  # a "line of text" that is only pixels
    path = tmp_path / "scanned.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    for _ in range(2):
        c.drawImage(ImageReader(scan), 50, 100, width=495, height=693)
        c.rect(40, 40, 515, 762)
        c.showPage()
    c.save()
    _parse_fails(tmp_path, path, "no legible text found by OCR in 2 page(s)")


def test_password_protected_pdf(tmp_path):
    path = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("user-secret", "owner-secret"))
    c.drawString(72, 720, "report text " * 8)
    c.save()
    _parse_fails(tmp_path, path, "password-protected or encrypted PDF; save it without a password")


def test_truncated_pdf(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    with pytest.raises(ReaderError, match=r"^.*cut\.pdf: damaged or truncated PDF \(\w+\)$"):
        read_document(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.txt"
    _parse_fails(tmp_path, path, "no such file")


def test_directory(tmp_path):
    with pytest.raises(ReaderError, match="is a directory, not a file"):
        read_document(tmp_path)
    folder = tmp_path / "reports"
    folder.mkdir()
    _parse_fails(tmp_path, folder, "is a directory, not a file")


def test_a_truncated_page_image_names_what_the_library_found(tmp_path):
    """Pillow raises a bare OSError: its words, not the class name ("cannot read the file (OSError)")."""
    image = io.BytesIO()
    Image.new("RGB", (1600, 2200), "white").save(image, "PNG")
    path = tmp_path / "scan.png"
    path.write_bytes(image.getvalue()[:300])
    _parse_fails(tmp_path, path, "cannot read the file (image file is truncated)")


def test_a_named_pipe_or_a_device_is_refused_without_waiting_on_it(tmp_path):
    """Opening a named pipe for reading waits for a writer: a FIFO among the reports once held
    up a whole ingest. It fails, and the batch goes on (in a subprocess: a hang fails the test)."""
    pipe = tmp_path / "corpus" / "pipe.txt"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    shutil.copy(ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt", pipe.parent)
    _parse_fails(tmp_path, pipe, "not a regular file (a named pipe)")
    with pytest.raises(ReaderError, match=r"^/dev/null: not a regular file \(a device\)$"):
        read_document("/dev/null")
    ingest = subprocess.run([sys.executable, "-m", "indexer.cli", "ingest", str(pipe.parent), "--data",
                             str(tmp_path / "data")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("ingested 1 ")
    assert f"failed: {pipe}: not a regular file (a named pipe)\n" in ingest.stderr
    # named on the command line, a pipe or a device is a file that fails, as in a folder (it
    # was "no such file or directory", which it is not)
    named = subprocess.run([sys.executable, "-m", "indexer.cli", "ingest", str(pipe), "/dev/zero",
                            str(pipe.parent / "000_7eb9f2b2a221df7d.txt"), "--data", str(tmp_path / "data2")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith("ingested 1 ")
    assert f"failed: {pipe}: not a regular file (a named pipe)\n" in named.stderr
    assert "failed: /dev/zero: not a regular file (a device)\n" in named.stderr


def test_unsupported_extension_names_it(tmp_path):
    path = tmp_path / "figures.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    _parse_fails(tmp_path, path, "unsupported format '.xlsx' (a zip archive; supported: .txt .md .docx .doc .wps .rtf .xml (Word 2003) .html .mht .mhtml .pdf .ofd .png .jpg .tif .heic .webp .bmp)")
    other = tmp_path / "report.wpd"
    other.write_text("一、总体情况", encoding="utf-8")
    with pytest.raises(UnsupportedFormat, match=r"unsupported format '\.wpd'"):
        read_document(other)


def test_zip_without_word_document(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ReaderError, match=r"damaged \.docx \(not a valid Word file: no word/document.xml\)"):
        read_document(path)


def test_docx_with_broken_xml(tmp_path):
    path = tmp_path / "broken.docx"
    source = zipfile.ZipFile(io.BytesIO(_docx_bytes()))
    with zipfile.ZipFile(path, "w") as z:
        for item in source.infolist():
            data = source.read(item.filename)
            z.writestr(item, data[:200] if item.filename == "word/document.xml" else data)
    _parse_fails(tmp_path, path, "damaged .docx (not a valid Word file: XMLSyntaxError)")


def test_pdf_saved_as_txt_reads_as_pdf(tmp_path):
    real = Path(__file__).resolve().parent.parent / "corpus/real/js_huaian_hongze_2023_hzq2023_working.pdf"
    path = tmp_path / "report.txt"
    path.write_bytes(real.read_bytes())
    assert read_document(path).format == "pdf"


def test_empty_html_page(tmp_path):
    path = tmp_path / "blank.html"
    path.write_text("   \n  ", encoding="utf-8")
    _parse_fails(tmp_path, path, "empty HTML page")
