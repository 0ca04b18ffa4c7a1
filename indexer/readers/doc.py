"""Word 97 .doc/.dot, WPS .wps, RTF and Word 2003 XML: LibreOffice converts them to .docx,
read_docx reads that.

Going through .docx keeps Word's tables as tables (merged cells included),
where a text export would flatten them. Each conversion runs headless in a
fresh temporary directory that holds both its output and its LibreOffice
profile (and serves as LibreOffice's home), so nothing is left in the
user's home and two conversions can run at once (ingest's parse workers).
The whole temporary directory is removed afterwards.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from ..document import Document
from ..errors import ReaderError
from .magic import OLE_MAGIC, RTF_MAGIC, is_word2003_xml
from .docx import read_docx

# The LibreOffice program: this variable if set (a path or a name on PATH), else soffice.
SOFFICE_ENV = "XXGK_SOFFICE"
SOFFICE_NAMES = ("soffice", "libreoffice")
DEBIAN_PACKAGE = "libreoffice-writer-nogui"
# Seconds one conversion may take (LibreOffice starts in 1-5 s; a report converts in well under 1 s
# more). Well below ingest's own per-file limit, so a hung LibreOffice is killed here, cleanly.
CONVERSION_TIMEOUT = 60
TIMEOUT_ENV = "XXGK_SOFFICE_TIMEOUT"
# source.format: the file's own format, by its extension (RTF by its content, whatever the name).
FORMAT_BY_SUFFIX = {".doc": "doc", ".dot": "doc", ".wps": "wps", ".rtf": "rtf"}
# The bytes looked at to tell RTF, Office 97 and Word 2003 XML apart (as readers/__init__.py does).
SNIFF_BYTES = 1024


def read_doc(path: str | Path) -> Document:
    """Read a Word 97 .doc (or .dot, WPS .wps, RTF) through LibreOffice's conversion to .docx.

    :param path: the file; its own format is kept in ``Document.format`` ("doc", "wps" or "rtf").
    :raises ReaderError: LibreOffice missing, timed out, or unable to open the file (one line).
    """
    path = Path(path)
    import_filter = choose_import_filter(path)
    soffice = find_soffice(path)
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as work:
        converted = convert_to_docx(path, Path(work), soffice, conversion_timeout(), import_filter)
        try:
            document = read_docx(converted)
        except ReaderError as e:
            raise ReaderError(path, f"LibreOffice's .docx conversion is unreadable ({e.problem})") from None
    return replace(document, path=str(path), format=document_format(path))


def document_format(path: Path) -> str:
    """The file's own format for ``source.format``: rtf and wordml (Word 2003 XML) by content,
    else doc/wps by extension."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(RTF_MAGIC):
        return "rtf"
    if is_word2003_xml(head):
        return "wordml"
    return FORMAT_BY_SUFFIX.get(path.suffix.lower(), "doc")


def choose_import_filter(path: Path) -> str | None:
    """LibreOffice's import filter for the file, None to let LibreOffice detect it.

    Naming the filter matters for damaged files: detection falls back to a plain-text
    import, which turns a broken .doc into a page of garbage instead of an error. An
    Office 97 container is read as Word 97-2003, which is also what WPS Office writes
    as .wps (a Microsoft Works .wps, unheard of among these reports, is refused as damaged).
    """
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(RTF_MAGIC):
        return "Rich Text Format"
    if head.startswith(OLE_MAGIC):
        return "MS Word 97"
    if is_word2003_xml(head):
        return "MS Word 2003 XML"
    return None


def find_soffice(path: Path) -> str:
    """The LibreOffice program to run.

    :raises ReaderError: not installed (the message names the Debian package).
    """
    configured = os.environ.get(SOFFICE_ENV, "").strip()
    for name in (configured,) if configured else SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    kind = path.suffix.lower() if path.suffix.lower() in FORMAT_BY_SUFFIX else ".doc"
    raise ReaderError(path, f"needs LibreOffice to read {kind} files: apt-get install {DEBIAN_PACKAGE}")


def conversion_timeout() -> float:
    """Seconds a conversion may take: ``XXGK_SOFFICE_TIMEOUT`` if a positive number, else CONVERSION_TIMEOUT."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, CONVERSION_TIMEOUT))
    except ValueError:
        return CONVERSION_TIMEOUT
    return value if value > 0 else CONVERSION_TIMEOUT


def convert_to_docx(path: Path, work: Path, soffice: str, timeout: float,
                    import_filter: str | None = None) -> Path:
    """Convert ``path`` to ``work``/source.docx with a headless LibreOffice using a profile in ``work``.

    The input is copied in under a plain name first: LibreOffice names its output after
    the input, and a name it would mangle (or one starting with "-") must not matter.

    :raises ReaderError: timed out (the whole LibreOffice process group is killed) or no output.
    """
    source = work / ("source" + path.suffix.lower())
    shutil.copyfile(path, source)
    out = work / "out"
    command = [soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
               f"-env:UserInstallation={(work / 'profile').as_uri()}",
               *([f"--infilter={import_filter}"] if import_filter else []),
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(source)]
    # LibreOffice's home too: its desktop settings backend (dconf) writes there.
    env = {**os.environ, "HOME": str(work), "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_CACHE_HOME": str(work / "cache")}
    # A session of its own: on a timeout, oosplash and soffice.bin are killed together,
    # and ingest's Ctrl-C (sent to the terminal's process group) is handled by ingest alone.
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env, cwd=work, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ReaderError(path, f"LibreOffice conversion timed out after {timeout:g} s") from None
    finally:
        # Also on ingest's own per-file alarm: never leave a LibreOffice running.
        _kill_group(process)
    converted = out / "source.docx"
    if not converted.is_file() or converted.stat().st_size == 0:
        raise ReaderError(path, f"damaged {path.suffix.lower() or 'Word'} file "
                                f"(LibreOffice could not open it{_reason(stderr, process.returncode)})")
    return converted


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group has exited already
    process.wait()


def _reason(stderr: bytes, returncode: int) -> str:
    """LibreOffice's own error line if it printed one (it exits 0 even when it fails to load),
    else how it ended if that was not normally (a crash on the file)."""
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("Error:"):
            return ": " + line.removeprefix("Error:").strip()
    if returncode < 0:
        return f": it was killed by signal {-returncode}"
    return f": it exited with code {returncode}" if returncode else ""
