"""File paths as one line of text that UTF-8 can hold, and back.

Linux hands file names over as bytes. A name that is not UTF-8 (a zip made on a Chinese Windows
machine keeps its names in GBK, and unzip writes those bytes as they are) reaches Python with
each such byte as a lone surrogate, which neither SQLite nor JSON can hold: the report with that
name failed to store. Its text is the name with those bytes written as ``\\xNN`` escapes, not
decoded by guess (GBK or Big5 or Shift-JIS?). Control characters are escaped the same way: a
newline in a name broke the one-line failure report in two, and an escape sequence printed to a
terminal acts on it. The escapes are undone to find the file again.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

_ESCAPED_BYTE = re.compile(rb"\\x([0-9a-f]{2})")
# what is escaped in a name that needs escapes at all (its backslashes too: then every \xNN in
# its text is an escape, and the name comes back exactly)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPED = re.compile(r"[\x00-\x1f\x7f\\]")


def _escape(char: str) -> str:
    return f"\\x{ord(char):02x}"


def path_text(path: str | Path) -> str:
    """``path`` as it is, unless it holds a control character or ``\\x`` (then those characters
    and its backslashes are written ``\\xNN``) or is not UTF-8 (then every byte past ASCII too)."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape(chr(b)) if b >= 0x80 or _ESCAPED.match(chr(b)) else chr(b) for b in os.fsencode(text))
    return _ESCAPED.sub(lambda m: _escape(m.group()), text) if _CONTROL.search(text) or "\\x" in text else text


def text_path(text: str) -> Path:
    """The path ``path_text`` made ``text`` of."""
    if "\\x" not in text:
        return Path(text)
    raw = _ESCAPED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return Path(os.fsdecode(raw))
