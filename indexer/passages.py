"""Keyword in context: every sentence of the matching reports where the query's words stand.

A passage is one exact sentence of a part's text (split on 。！？； and line
ends), with the query's words and phrases marked as the search's snippets mark
them (``highlight.match_spans``, the one matcher). Offsets count characters of
the part's text (``Section.text``), so the report page can put an anchor on the
very sentence (docs/report-format.md, docs/query-language.md).
"""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Callable, Iterator

from .export import records_to_csv
from .highlight import match_spans, merge_spans
from .query import TextTerms, parse_query, text_terms
from .report import Report, Section
from .results import Record

if TYPE_CHECKING:
    from .collection import Collection

# A sentence ends after one of these (kept with it) or at a line end.
_SENTENCE_END = re.compile(r"[。！？；]+|\n")
PASSAGE_COLUMNS = ("id", "agency", "year", "part", "heading", "offset", "sentence", "url")


class Passage(Record):
    """One sentence of a report where the query's text terms occur."""
    id: str
    agency: str | None
    year: int | None
    # the part (1-6) and its heading as the report prints it
    part: int
    heading: str
    # where the sentence starts in the part's text; null when it is the part's heading line
    offset: int | None
    # the sentence as written (surrounding blanks trimmed)
    sentence: str
    # the sentence HTML-escaped, the matches wrapped in <mark>
    html: str


class PassagePage(Record):
    """One page of the passages of a query."""
    query: str
    # passages over every matching report, and how many reports they come from
    total: int
    reports: int
    page: int
    per_page: int
    passages: list[Passage]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``: cut after 。！？； and at line ends, blanks trimmed,
    empty pieces dropped. ``text[start:end]`` is the exact sentence."""
    pieces, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() if m.group() != "\n" else m.start()
        pieces.append((start, end))
        start = m.end()
    pieces.append((start, len(text)))
    trimmed = []
    for s, e in pieces:
        piece = text[s:e]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            trimmed.append((s + lead, s + lead + len(stripped)))
    return trimmed


def section_body(section: Section) -> tuple[int, str]:
    """(offset, text) of a part's text after the heading it starts with (the report page shows the
    heading above it); offset is where that text starts in ``section.text``."""
    text = section.text
    stripped = text.lstrip()
    if section.heading and stripped.startswith(section.heading):
        body = stripped[len(section.heading):].lstrip(" \t\u3000").removeprefix("\n")
        return len(text) - len(body), body
    return 0, text


def mark_range(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """``text[start:end]`` HTML-escaped with the parts of ``spans`` (merged, in order) inside it in <mark>."""
    out, cursor = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def marked_sentences(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` that one of ``spans`` (merged, in order) touches.

    A match that runs over a sentence end (a phrase split by a line break, as a table
    cell's label often is) joins the sentences it spans into one passage.
    """
    found: list[tuple[int, int]] = []
    i = 0
    for start, end in split_sentences(text):
        while i < len(spans) and spans[i][1] <= start:
            i += 1
        if i < len(spans) and spans[i][0] < end:
            if found and spans[i][0] < found[-1][1]:
                found[-1] = (found[-1][0], end)
            else:
                found.append((start, end))
    return found


def report_passages(report: Report, terms: TextTerms) -> list[Passage]:
    """Every sentence of ``report`` where ``terms`` match, in part and text order (only the parts a
    ``section:`` filter names, if any)."""
    if terms.empty:
        return []
    found = []
    for section in report.sections:
        if terms.sections and section.n not in terms.sections:
            continue
        offset, body = section_body(section)
        pieces = [(None, section.heading)] if offset else []
        pieces.append((offset, body))
        for base, text in pieces:
            spans = merge_spans(match_spans(text, terms))
            for start, end in marked_sentences(text, spans) if spans else ():
                found.append(Passage(id=report.id, agency=report.agency, year=report.year, part=section.n,
                                     heading=section.heading, offset=None if base is None else base + start,
                                     sentence=text[start:end], html=mark_range(text, spans, start, end)))
    return found


def query_passages(collection: Collection, q: str, max_reports: int | None = None) -> Iterator[Passage]:
    """Every passage of every report matching ``q``, reports in relevance order.

    :raises QuerySyntaxError: the query is malformed.
    :raises TooManyReports: more matches than ``max_reports`` (None: no bound), before any is read.
    """
    terms = text_terms(parse_query(q or ""))
    if terms.empty:
        return
    for report_id in collection.search_ids(q, max_reports):
        report = collection.get(report_id)
        if report is not None:
            yield from report_passages(report, terms)


def passages_to_csv(passages: Iterator[Passage], url_of: Callable[[Passage], str]) -> bytes:
    """CSV bytes in UTF-8 with a BOM: one row per passage (``PASSAGE_COLUMNS``), the sentence unmarked
    (a text cell that could start a spreadsheet formula is prefixed, as in every export).

    :param url_of: the address of a passage (the caller's: the library builds no URLs).
    """
    rows = ({"id": p.id, "agency": p.agency, "year": p.year, "part": p.part, "heading": p.heading,
             "offset": p.offset, "sentence": p.sentence, "url": url_of(p)} for p in passages)
    return records_to_csv(rows, PASSAGE_COLUMNS)


def passage_page(passages: Iterator[Passage], q: str, page: int, per_page: int) -> PassagePage:
    """Page ``page`` of ``passages`` (all of them are counted)."""
    everything = list(passages)
    first = (page - 1) * per_page
    return PassagePage(query=q, total=len(everything), reports=len({p.id for p in everything}), page=page,
                       per_page=per_page, passages=everything[first:first + per_page])
