"""Where a query's words and phrases stand in a text: snippets for hits, marks on the report page.

Snippets are cut from the ORIGINAL section text, with the matched words
wrapped in <mark> and everything else HTML-escaped (report text is untrusted).
The report page marks the same spans, found the same way (``Highlighter``).
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from .query import QuerySyntaxError, TextTerms, parse_query, text_terms
from .results import HitSection
from .tokenize import normalize, unit_columns, word_spans_around

SNIPPET_CHARS = 120
_SPACE = re.compile(r"\s+")
_MARK = re.compile(r"</?mark>")


@lru_cache(maxsize=256)
def _cjk_phrase_pattern(phrase) -> re.Pattern | None:
    """A regex for a phrase of Chinese characters without gaps (spaces may stand between them).

    Each Chinese character is a unit whatever surrounds it, so this finds
    exactly what the unit matching below finds, at C speed.
    """
    if any(rel != i or unit.isascii() or len(unit) != 1 for i, (rel, unit) in enumerate(phrase)):
        return None
    return re.compile(r"\s*".join(re.escape(unit) for _, unit in phrase))


def _phrase_spans(text: str, phrases, norm: str | None = None) -> list[tuple[int, int, str]]:
    """``norm``: ``normalize(text)`` if the caller has it."""
    norm = normalize(text) if norm is None else norm
    spans = []
    slow = []
    for phrase in phrases:
        pattern = _cjk_phrase_pattern(phrase)
        if pattern is None:
            slow.append(phrase)
            continue
        label = "".join(unit for _, unit in phrase)
        spans += [(m.start(), m.end(), label) for m in pattern.finditer(norm)]
    return spans + (_unit_phrase_spans(text, slow) if slow else [])


def _unit_phrase_spans(text: str, phrases) -> list[tuple[int, int, str]]:
    texts, positions, starts, ends = unit_columns(text)
    index_at = {p: i for i, p in enumerate(positions)}
    spans = []
    for phrase in phrases:
        first = phrase[0][1]
        rest = phrase[1:]
        i = -1
        while True:
            try:
                i = texts.index(first, i + 1)
            except ValueError:
                break
            base = positions[i]
            last = i
            for rel, unit in rest:
                last = index_at.get(base + rel)
                if last is None or texts[last] != unit:
                    break
            else:
                spans.append((starts[i], ends[last], "".join(t for _, t in phrase)))
    return spans


def match_spans(text: str, terms: TextTerms) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word and phrase of ``terms`` in ``text`` (character offsets)."""
    norm = normalize(text)
    words = frozenset(w for w in terms.words if w in norm)
    phrases = tuple(p for p in terms.phrases if p[0][1] in norm)
    spans = []
    if words:
        spans += word_spans_around(text, words, norm)
    if phrases:
        spans += _phrase_spans(text, phrases, norm)
    return sorted(spans)


def merge_spans(spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """(start, end) of the matches in text order, overlapping and touching ones merged."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _window(spans: list[tuple[int, int]], length: int, width: int) -> tuple[int, int]:
    """The ``width`` characters holding the most matches, centred on them."""
    best, best_i, best_k = -1, 0, 0
    k = 0
    for i, (start, _) in enumerate(spans):
        k = max(k, i)
        while k + 1 < len(spans) and spans[k + 1][1] - start <= width:
            k += 1
        if k - i + 1 > best:
            best, best_i, best_k = k - i + 1, i, k
    cluster_start, cluster_end = spans[best_i][0], spans[best_k][1]
    if spans[best_i][1] - cluster_start > width:
        return cluster_start, spans[best_i][1]  # one match longer than the window: show it whole
    pad = max(0, (width - (cluster_end - cluster_start)) // 2)
    start = max(0, cluster_start - pad)
    end = min(length, start + width)
    return max(0, end - width), end


def _clean(piece: str) -> str:
    return html.escape(_SPACE.sub(" ", piece))


def make_snippet(text: str, spans: list[tuple[int, int, str]], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around the densest cluster of ``spans``.

    Matches are wrapped in <mark>…</mark>; all text is HTML-escaped; runs of
    whitespace become one space; … marks a cut.
    """
    if not spans:
        start, end = 0, min(len(text), width)
        marked: list[tuple[int, int]] = []
    else:
        merged = merge_spans(spans)
        start, end = _window(merged, len(text), width)
        marked = [(s, e) for s, e in merged if s >= start and e <= end]
    out = ["…" if start > 0 else ""]
    cursor = start
    for s, e in marked:
        out.append(_clean(text[cursor:s]))
        out.append(f"<mark>{_clean(text[s:e])}</mark>")
        cursor = e
    out.append(_clean(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out).strip()


def hit_sections(sections: list, terms: TextTerms) -> list[HitSection]:
    """The sections where the query's text terms occur, best first, each with a snippet."""
    if terms.empty:
        return []
    found = []
    for n, heading, text in sections:
        if terms.sections and n not in terms.sections:
            continue
        spans = match_spans(text, terms)
        if spans:
            distinct = len({term for _, _, term in spans})
            found.append((-distinct, -len(spans), n, heading, text, spans))
    found.sort(key=lambda f: f[:3])
    return [HitSection(n, heading, make_snippet(text, spans)) for _, _, n, heading, text, spans in found]




def snippet_to_text(snippet: str) -> str:
    """A snippet for a terminal: <mark>…</mark> as 【…】, entities unescaped."""
    return html.unescape(_MARK.sub(lambda m: "】" if m.group().startswith("</") else "【", snippet))


class Highlighter:
    """The text terms of one query, to mark in a report's parts as its hits' snippets mark them."""

    def __init__(self, terms: TextTerms):
        self.terms = terms

    @classmethod
    def of_query(cls, q: str) -> "Highlighter | None":
        """The highlighter of ``q``; None for no query, a malformed one, or one without text terms."""
        if not q.strip():
            return None
        try:
            terms = text_terms(parse_query(q))
        except QuerySyntaxError:
            return None
        return None if terms.empty else cls(terms)

    def marks_part(self, n: int) -> bool:
        """Whether part ``n`` is searched (a ``section:`` filter may name only some parts)."""
        return not self.terms.sections or n in self.terms.sections

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` matches, overlaps merged."""
        return merge_spans(match_spans(text, self.terms))
