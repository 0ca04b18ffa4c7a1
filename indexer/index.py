"""The tantivy index of reports: schema, report -> document, one writer, one searcher.

Fields (see ``build_schema``):

- ``id``: raw term (delete/replace by id).
- ``hit``: stored bytes, a zlib-compressed JSON of what a hit shows (metadata,
  aliases, section headings and texts). It is the only stored field, so a
  search never needs another store; token offsets are not stored but
  recomputed for the hits on the page (cheaper than storing them).
- ``title``, ``agency``, ``s1``..``s6``: jieba words (tokenize.word_spans),
  frequencies only, for matching and BM25 ranking.
- ``p1``..``p6``: one unit per Chinese character or ASCII word with positions,
  for phrase queries (tokenize.unit_columns).
- facets, raw and fast: ``agency_raw``, ``type``, ``province``, ``city``,
  ``county``, ``level``, ``template``, ``flags`` (multi-valued), ``synthetic``
  ("true"/"false"), ``parts`` (the numbers of the parts found); ``year`` (integer, indexed and fast).
- every figure key and alias as a fast f64 (``figure_field``); a blank value
  is left out of the document, so ranges never see it.

Text fields get PreTokenizedString values built by tokenize.py (tantivy.Token
takes character offsets here), so no custom tokenizer has to be registered
when the index is opened; their declared tokenizer is the built-in "raw".
"""
from __future__ import annotations

import json
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import tantivy

from .aliases import ALIASES, report_aliases
from .errors import XxgkError
from .figure_keys import all_figure_keys
from .report import Report
from .tokenize import unit_columns, word_spans

SECTIONS = range(1, 7)
WORD_FIELDS = tuple(f"s{n}" for n in SECTIONS)
PHRASE_FIELDS = tuple(f"p{n}" for n in SECTIONS)
FACET_FIELDS = ("agency_raw", "type", "province", "city", "county", "level", "template", "flags", "synthetic",
                "parts")
FIGURE_KEYS = tuple(all_figure_keys())
ALIAS_NAMES = tuple(ALIASES)
WRITER_HEAP = 64_000_000


class IndexOpenError(XxgkError):
    """The index directory cannot be opened or written."""


def figure_field(key: str) -> str:
    """The fast field of a figure key or alias (dots would read as JSON paths)."""
    prefix = "a_" if key in ALIASES else "f_"
    return prefix + key.replace(".", "__")


def build_schema() -> tantivy.Schema:
    """The index schema (pure: no index needed, so the query compiler can use it)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("hit", stored=True)
    for name in ("title", "agency", *WORD_FIELDS):
        builder.add_text_field(name, tokenizer_name="raw", index_option="freq")
    for name in PHRASE_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="position")
    for name in FACET_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    for key in (*FIGURE_KEYS, *ALIAS_NAMES):
        builder.add_float_field(figure_field(key), fast=True)
    return builder.build()


def words_value(text: str) -> tantivy.PreTokenizedString:
    """A text as jieba words (positions are token ranks; the field keeps frequencies only)."""
    tokens = [tantivy.Token(word, i, start, end) for i, (word, start, end) in enumerate(word_spans(text))]
    return tantivy.PreTokenizedString(text, tokens)


def units_value(text: str) -> tantivy.PreTokenizedString:
    """A text as phrase units with their positions."""
    return tantivy.PreTokenizedString(text, list(map(tantivy.Token, *unit_columns(text))))


def report_to_hit(report: Report) -> dict[str, Any]:
    """What a search hit shows, stored compressed in the ``hit`` field."""
    return {
        "id": report.id,
        "title": report.title,
        "agency": report.agency,
        "year": report.year,
        "template": report.template,
        "region": report.region,
        "level": report.level,
        "agency_type": report.agency_type,
        "published": report.published,
        "flags": report.flag_codes(),
        "synthetic": bool((report.source or {}).get("synthetic")),
        "figures": report_aliases(report.figures or {}),
        "sections": [[s.n, s.heading, s.text] for s in report.sections],
    }


def encode_hit(hit: dict[str, Any]) -> bytes:
    """zlib beats the doc store's own LZ4 on Chinese text (index size target: ≤10 KB a report)."""
    return zlib.compress(json.dumps(hit, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9)


def decode_hit(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def report_to_document(report: Report) -> tantivy.Document:
    """The tantivy document of one report."""
    doc = tantivy.Document()
    doc.add_text("id", report.id)
    doc.add_bytes("hit", encode_hit(report_to_hit(report)))
    if report.title:
        doc.add_pre_tokenized_text("title", words_value(report.title))
    if report.agency:
        doc.add_pre_tokenized_text("agency", words_value(report.agency))
        doc.add_text("agency_raw", report.agency)
    region = report.region or {}
    facets = {"type": report.agency_type, "province": region.get("province"), "city": region.get("city"),
              "county": region.get("county"), "level": report.level, "template": report.template}
    for name, value in facets.items():
        if value:
            doc.add_text(name, str(value))
    for code in report.flag_codes():
        doc.add_text("flags", code)
    doc.add_text("synthetic", "true" if (report.source or {}).get("synthetic") else "false")
    if report.year is not None:
        doc.add_integer("year", int(report.year))
    for section in report.sections:
        if section.n in SECTIONS:
            doc.add_text("parts", str(section.n))
        if section.n in SECTIONS and section.text:
            doc.add_pre_tokenized_text(f"s{section.n}", words_value(section.text))
            doc.add_pre_tokenized_text(f"p{section.n}", units_value(section.text))
    figures = report.figures or {}
    for key in FIGURE_KEYS:
        value = _number(figures.get(key))
        if value is not None:
            doc.add_float(figure_field(key), value)
    for name, value in report_aliases(report.figures or {}).items():
        value = _number(value)
        if value is not None:
            doc.add_float(figure_field(name), value)
    return doc


class Batch:
    """Adds and deletes made through one writer; committed together."""

    def __init__(self, writer):
        self._writer = writer
        self.added = 0
        self.deleted = 0

    def add(self, report: Report) -> None:
        """Add a report, replacing any document with the same id."""
        self._writer.delete_documents_by_term("id", report.id)
        self._writer.add_document(report_to_document(report))
        self.added += 1

    def delete(self, report_id: str) -> None:
        """Remove the report with this id (nothing happens if there is none)."""
        self._writer.delete_documents_by_term("id", report_id)
        self.deleted += 1


class ReportIndex:
    """One tantivy index directory, with a searcher kept open and reloaded after commits."""

    def __init__(self, index: tantivy.Index, path: Path | None):
        self.index = index
        self.path = path
        self.schema = index.schema
        self._stamp = self._meta_stamp()
        self._searcher = index.searcher()

    @classmethod
    def open(cls, index_dir: Path | str | None) -> "ReportIndex":
        """Open the index in ``index_dir``, creating it (and the directory) if missing.

        :param index_dir: a directory; None for an index in memory (tests, benchmarks).
        :raises IndexOpenError: the directory holds an index with another schema or is unreadable.
        """
        schema = build_schema()
        if index_dir is None:
            return cls(tantivy.Index(schema), None)
        path = Path(index_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(schema, path=str(path), reuse=True)
        except (OSError, ValueError) as e:
            # tantivy refuses an index built with another schema ("the schema does not match")
            raise IndexOpenError(f"{path}: cannot open the index ({e}); rebuild it from the store") from None
        return cls(index, path)

    def _meta_stamp(self) -> int | None:
        """When the last commit happened (meta.json is rewritten by every commit, in any process)."""
        if self.path is None:
            return None
        try:
            return (self.path / "meta.json").stat().st_mtime_ns
        except OSError:
            return None

    @property
    def searcher(self) -> tantivy.Searcher:
        """The current searcher, renewed when a commit (e.g. by `xxgk ingest`) changed the index.

        Take it once per request: it sees one consistent set of segments.
        """
        if self._meta_stamp() != self._stamp:
            self.reload()
        return self._searcher

    def reload(self) -> None:
        """See the latest commit (also one made by another process)."""
        self._stamp = self._meta_stamp()
        self.index.reload()
        self._searcher = self.index.searcher()

    def count(self) -> int:
        """How many reports the index holds."""
        return self.searcher.num_docs

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """One writer for a group of changes: committed on clean exit, rolled back on an exception."""
        try:
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as e:
            raise IndexOpenError(f"{self.path}: cannot write the index ({e})") from None
        batch = Batch(writer)
        try:
            yield batch
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.commit()
        writer.wait_merging_threads()
        self.reload()
