"""Document -> Document in simplified characters, where it is written in traditional ones.

Copies of mainland reports in traditional characters are met in crawls: a site's 繁體 version
made on the server (the big5.*.gov.cn gateways), or a mirror site. Every wording the parser knows
(part headings, table labels, place names, the agency-type taxonomy) is simplified, so such a copy
gave no part, no figure and no region. It is turned simplified here, right after the reader and
before anything reads it, with OpenCC's ``t2s`` (its phrase and character dictionaries come inside
the wheel); the report's text is then the simplified text, and the flag ``script_converted`` says
so (docs/flags.md). A simplified document is left as it is.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from itertools import islice

from .document import Document, Paragraph

# Characters common in reports and written otherwise in traditional script: a cheap first look
# (a regex scan, ~20 µs a report), so that only a document holding several of them is converted
# to be measured.
_TRADITIONAL_SIGNS = re.compile("[們國會開關門說這為與個時區報資請訊經發並機處實務體現級協縣員辦條權決議]")
MIN_SIGNS = 5
# The share of its Chinese characters that conversion changes, above which a text is traditional:
# ~25% in a traditional report, and near 0 in a simplified one (variant characters alone).
MIN_CHANGED_SHARE = 0.05
SAMPLE_CHARACTERS = 6000


@lru_cache(maxsize=1)
def _converter():
    import opencc  # on use: a simplified document never loads the dictionaries

    return opencc.OpenCC("t2s")


def _changed(text: str, converted: str) -> int:
    """How many characters conversion changed; all of them where phrases became others of another
    length (conversion did its work)."""
    return sum(a != b for a, b in zip(text, converted)) if len(converted) == len(text) else len(text)


def _changed_share(text: str) -> float:
    chinese = sum("\u4e00" <= c <= "\u9fff" for c in text) or 1
    return min(1.0, _changed(text, _converter().convert(text)) / chinese)


def is_traditional(text: str) -> bool:
    """Whether ``text`` is written in traditional characters (measured on its beginning)."""
    sample = text[:SAMPLE_CHARACTERS]
    if next(islice(_TRADITIONAL_SIGNS.finditer(sample), MIN_SIGNS - 1, None), None) is None:
        return False
    return _changed_share(sample) >= MIN_CHANGED_SHARE


def _beginning(document: Document) -> str:
    """The document's first SAMPLE_CHARACTERS or so of text, paragraphs and table cells alike."""
    pieces, size = [], 0
    for block in document.blocks:
        piece = block.text if isinstance(block, Paragraph) else "".join("".join(row) for row in block.rows)
        pieces.append(piece)
        size += len(piece)
        if size >= SAMPLE_CHARACTERS:
            break
    return "\n".join(pieces)


def document_to_simplified(document: Document) -> Document:
    """The document in simplified characters if it is written in traditional ones (its
    paragraphs, table cells and container title converted, ``meta["script_converted"]`` holding
    how many characters changed), else the document itself."""
    if not is_traditional(_beginning(document)):
        return document
    changed = 0

    def convert(text: str) -> str:
        nonlocal changed
        simplified = _converter().convert(text)
        changed += _changed(text, simplified)
        return simplified

    blocks = [replace(block, text=convert(block.text)) if isinstance(block, Paragraph)
              else replace(block, rows=[[convert(cell) for cell in row] for row in block.rows])
              for block in document.blocks]
    meta = {key: convert(value) if key == "title" else value for key, value in document.meta.items()}
    return replace(document, blocks=blocks, meta={**meta, "script_converted": str(changed)})
