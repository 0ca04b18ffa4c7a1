"""The tantivy index of reports: schema, report -> document, one writer, one searcher.

Fields (see ``build_schema``):

- ``id``: raw term (delete/replace by id).
- ``hit``: stored bytes, a zlib-compressed JSON of what a hit shows (metadata,
  aliases, section headings and texts). It is the only stored field, so a
  search never needs another store; token offsets are not stored but
  recomputed for the hits on the page (cheaper than storing them).
- ``title``, ``agency``, ``s1``..``s6``: jieba words (tokenize.words_text),
  frequencies only, for matching and BM25 ranking.
- ``text``: the words of all six parts in one field. A word not limited to parts is
  searched in ``title``, ``agency`` and ``text`` (``s1``..``s6`` serve ``section:``):
  BM25 over the report's whole text, and three postings to read instead of eight.
- ``p1``..``p6``: at the position of each unit (a Chinese character or an
  ASCII word), the bigram of it and the next unit, or the unit and the join
  where none follows (tokenize.phrase_slots): a phrase is matched as a
  phrase of bigrams (tokenize.phrase_terms), a unit standing alone as the
  terms its position's term begins with.
- facets, raw and fast: ``agency_raw``, ``agency_key``, ``type``, ``province``, ``city``,
  ``county``, ``level``, ``template``, ``flags`` (multi-valued), ``synthetic``
  ("true"/"false"), ``parts`` (the numbers of the parts found); ``year`` (integer, indexed and fast).
- every figure key and alias as a fast f64 (``figure_field``); a blank value
  is left out of the document, so ranges never see it. So is a 0 of most
  figure keys (``zeros_elided``): those keys are listed in ``zero`` instead
  (whitespace-separated, no positions). Only this module knows: ``range_query``,
  ``exists_query`` and ``ReportIndex.sorted_hits`` count them back in.

Text fields get strings of space-separated terms made by tokenize.py and
split by tantivy's built-in "whitespace" tokenizer (ASCII whitespace only, no
lowercasing: it keeps every term exactly as tokenize.py made it), so no custom
tokenizer has to be registered when the index is opened, and no Python object
is made per term. The segmentation is done by ``prepare`` (report ->
PreparedDoc, plain picklable data, made in ingest's parse workers) and the
tantivy document built from it by ``prepared_to_document`` in the process
holding the writer (``Batch.add_prepared``).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
import zlib
from array import array
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import msgspec
import tantivy

from .aliases import ALIASES, report_aliases
from .errors import XxgkError
from .figure_keys import T3_ROWS, all_figure_keys
from .index_files import IndexFileProblem, checked_meta
from .report import Report
from .shared_counts import SharedCounts
from .store import DB_NAME, Store, StoreError, damaged_store_message, index_dir
from .tokenize import normalize, normalized_phrase_slots, normalized_words_text
from .vocabulary import SECTION_NUMBERS

WORD_FIELDS = tuple(f"s{n}" for n in SECTION_NUMBERS)
# Every part's words in one field. A word in every report is read from 3 postings (text, title,
# agency) instead of 8: at 1,000,000 reports tantivy's top 20 of 公开 took 19.5 ms over the eight
# (block-max WAND skips little when every report holds the word) and 8.8 over three
# (docs/benchmarks.md, "One field for the whole text").
TEXT_FIELD = "text"
PHRASE_FIELDS = tuple(f"p{n}" for n in SECTION_NUMBERS)
FACET_FIELDS = ("agency_raw", "agency_key", "type", "province", "city", "county", "level", "template", "flags", "synthetic",
                "parts")
# Every report holds exactly one of these values in the ``synthetic`` field (``prepare``).
SYNTHETIC_VALUES = ("true", "false")
FIGURE_KEYS = tuple(all_figure_keys())
ALIAS_NAMES = tuple(ALIASES)
# Room for a whole batch of documents (ingest commits every 10,000, ~25 KB each in tantivy's
# arena) before tantivy has to flush a segment of its own: a segment per commit, not two.
WRITER_HEAP = 512_000_000
# An empty field that only marks the schema: should the terms of the phrase fields change
# again while their names and types stay, an index built before would open and silently miss
# every phrase; with this field in the schema tantivy refuses it and the user is told to rebuild.
PHRASE_SLOTS_MARK = "phrase_slots_v3"
# splits on ASCII whitespace only and changes nothing: the terms stay as tokenize.py made them
TERMS_TOKENIZER = "whitespace"
# The figure keys a report holds 0 for, when their fast field leaves zeros out (``zeros_elided``).
# Most figure values of a report are 0, and each fast value costs the writer a Python call, a
# copy and a column entry: one string of keys costs a fraction of that (docs/benchmarks.md).
ZERO_FIELD = "zero"
# The totals of the refusal rows, which search.stats sums per outcome: an aggregation counts
# only the values in the column, so their zeros stay in it (as the aliases' do).
DENIED_TOTALS = {row: f"t3.{row}.total" for row, _ in T3_ROWS["2019"] if row.startswith("denied.")}


class IndexOpenError(XxgkError):
    """The index directory cannot be opened or written."""


class IndexDamaged(IndexOpenError):
    """The index is missing, damaged or behind the store: rebuilt with `xxgk ingest --reindex`."""

    def __init__(self, index_dir: Path, problem: str):
        self.problem = problem
        super().__init__(f"{index_dir}: {problem}; rebuild it from the store: "
                         f"xxgk ingest --reindex --data {Path(index_dir).parent}")


# How tantivy-py words the errors of reading damaged data (a ValueError, as are a bad request's)
_DAMAGED_DATA = ("An IO error occurred", "Data corrupted")


@contextmanager
def _reading(index_dir: Path | None) -> Iterator[None]:
    """Turn tantivy's failure to read its own files into ``IndexDamaged`` (one line naming the
    repair), where a file changed after the start-up checks read it.

    tantivy panics on a postings list it cannot decode (pyo3 raises that as its PanicException,
    a BaseException that no ``except Exception`` stops) and fails with an I/O error on a block it
    cannot decompress. Either would reach the user as a traceback.
    """
    try:
        yield
    except BaseException as e:
        damaged = type(e).__name__ == "PanicException" or (
            isinstance(e, ValueError) and str(e).startswith(_DAMAGED_DATA))
        if not damaged:
            raise
        problem = f"the index is damaged (tantivy: {' '.join(str(e).split())})"
        if index_dir is None:
            raise IndexOpenError(problem) from None
        raise IndexDamaged(index_dir, problem) from None


class _GuardedSearcher:
    """A tantivy.Searcher whose every call is read through ``_reading``."""

    def __init__(self, searcher: tantivy.Searcher, index_dir: Path | None):
        self._searcher = searcher
        self._index_dir = index_dir

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._searcher, name)
        if not callable(attribute):
            return attribute

        def guarded(*args, **kwargs):
            with _reading(self._index_dir):
                return attribute(*args, **kwargs)

        setattr(self, name, guarded)  # found on the instance from now on
        return guarded


def indexed_count(index_dir: Path) -> int | None:
    """How many documents the index in ``index_dir`` holds, read from its meta.json without
    opening it (no tantivy threads: ingest checks before it forks its parse workers), once every
    file it names is there and whole (index_files.py: each is read once, for its checksum);
    None when there is no index there.

    :raises IndexDamaged: meta.json cannot be read, or a file of a segment it names is missing,
        cut short or changed.
    """
    try:
        meta = checked_meta(Path(index_dir))
        if meta is None:
            return None
        return sum(segment["max_doc"] - (segment.get("deletes") or {}).get("num_deleted_docs", 0)
                   for segment in meta["segments"])
    except IndexFileProblem as e:
        raise IndexDamaged(index_dir, f"the index is damaged ({e})") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise IndexDamaged(index_dir, f"the index is damaged (meta.json: {type(e).__name__}: {e})") from None


def check_data_dir(data_dir: str | Path, stored: int | None = None) -> None:
    """The start-up checks of a data directory (docs/data-directory.md), before a search, the
    web app or an ingest uses it: the store sound and not from a newer version, the index there
    and whole if the store holds reports, and not behind the store.

    The index may hold more reports than the store (an ingest killed between its two commits:
    rerunning it settles them), never fewer. Call it before opening the store (an emptied store
    file is seen only then; the store is looked at read-only) and again with ``stored`` once it is open.

    :param stored: how many reports the open store holds (None: the store is not open yet).
    :raises StoreError, IndexDamaged: naming the file, the problem and the repair.
    """
    directory = index_dir(data_dir)
    indexed = indexed_count(directory)
    if stored is None:
        db = Path(data_dir) / DB_NAME
        if not db.exists():
            return  # a new data directory
        if db.stat().st_size == 0 and not db.with_name(DB_NAME + "-wal").exists():
            # SQLite would take an emptied file for a new store; ours is never empty once opened
            if indexed:
                raise StoreError(damaged_store_message(db, f"empty, while the index holds {indexed} reports"))
            return
        store = Store.open_readonly(data_dir)  # refuses a damaged or newer store
        try:
            stored = store.count() if indexed is None else 0
        finally:
            store.close()
    if indexed is None and stored:
        raise IndexDamaged(directory, f"the index is missing but the store holds {stored} reports")
    if indexed is not None and indexed < stored:
        raise IndexDamaged(directory, f"the index holds {indexed} reports, fewer than the store's {stored}")


def figure_field(key: str) -> str:
    """The fast field of a figure key or alias (dots would read as JSON paths)."""
    prefix = "a_" if key in ALIASES else "f_"
    return prefix + key.replace(".", "__")


def zeros_elided(key: str) -> bool:
    """Whether a 0 of this figure key is left out of its fast field and listed in ``zero`` instead.

    Every figure key's but the aliases' and ``DENIED_TOTALS``', which statistics aggregate.
    """
    return key not in ALIASES and key not in _ZEROS_KEPT


_ZEROS_KEPT = frozenset(DENIED_TOTALS.values())


def build_schema() -> tantivy.Schema:
    """The index schema (pure: no index needed, so the query compiler can use it)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("hit", stored=True)
    for name in ("title", "agency", *WORD_FIELDS, TEXT_FIELD):
        builder.add_text_field(name, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    for name in PHRASE_FIELDS:
        builder.add_text_field(name, tokenizer_name=TERMS_TOKENIZER, index_option="position")
    builder.add_text_field(PHRASE_SLOTS_MARK, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(ZERO_FIELD, tokenizer_name=TERMS_TOKENIZER, index_option="basic")
    for name in FACET_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    for key in (*FIGURE_KEYS, *ALIAS_NAMES):
        builder.add_float_field(figure_field(key), fast=True)
    return builder.build()


def report_to_hit(report: Report, aliases: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a search hit shows, stored compressed in the ``hit`` field.

    :param aliases: ``report_aliases(report.figures)`` if already computed.
    """
    return {
        "id": report.id,
        "title": report.title,
        "agency": report.agency,
        "agency_key": report.agency_key,
        "year": report.year,
        "template": report.template,
        "region": report.region,
        "level": report.level,
        "agency_type": report.agency_type,
        "published": report.published,
        "flags": report.flag_codes(),
        "synthetic": bool((report.source or {}).get("synthetic")),
        "figures": report_aliases(report.figures or {}) if aliases is None else aliases,
        "sections": [[s.n, s.heading, s.text] for s in report.sections],
    }


_JSON = msgspec.json.Encoder()


def encode_hit(hit: dict[str, Any]) -> bytes:
    """zlib beats the doc store's own LZ4 on Chinese text (index size target: ≤10 KB a report).

    Level 6: as small as level 9 on generated reports, and faster (docs/benchmarks.md).
    """
    return zlib.compress(_JSON.encode(hit), 6)


def decode_hit(blob: bytes) -> dict[str, Any]:
    """:raises IndexOpenError: the stored document is damaged (a corrupted index file)."""
    try:
        return json.loads(zlib.decompress(blob).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, ValueError, TypeError) as e:
        raise IndexOpenError(f"the index is damaged (a stored document cannot be read: {e}); rebuild it from "
                             "the store: xxgk ingest --reindex") from None


_ID_START = b'{"id":"'


def hit_id(blob: bytes) -> str:
    """The id of a stored hit, read from the first bytes of its text alone (``report_to_hit`` puts
    it first): an export needs only the ids, and the whole hit is sections of text.

    :raises IndexOpenError: the stored document is damaged.
    """
    try:
        head = zlib.decompressobj().decompress(blob, len(_ID_START) + 64)
    except zlib.error:
        head = b""
    end = head.find(b'"', len(_ID_START))
    if head.startswith(_ID_START) and end > 0 and b"\\" not in head[:end]:
        return head[len(_ID_START):end].decode("utf-8", "replace")
    return decode_hit(blob)["id"]


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# Every fast float field, in schema order: a prepared document names them by number.
FLOAT_FIELDS = tuple(figure_field(key) for key in (*FIGURE_KEYS, *ALIAS_NAMES))
_ALIAS_NUMBERS = {name: number for number, name in enumerate(ALIAS_NAMES, len(FIGURE_KEYS))}
_ELIDES_ZERO = tuple(map(zeros_elided, FIGURE_KEYS))


class PreparedDoc(NamedTuple):
    """A report's index document as plain data that pickles small and fast.

    ``prepare`` makes it where the report is parsed (a worker process: the
    segmentation is most of the cost); ``prepared_to_document`` turns it into a
    tantivy document where the writer is (tantivy documents pickle at ~150 KB
    each, slower than segmenting again). Terms come joined in one string per
    field and numbers as typed arrays: unpickling thousands of small objects
    per report cost the main process more than indexing them.
    """
    id: str
    hit: bytes
    # (field, terms): the text fields' terms joined by spaces (tokenize.words_text / phrase_slots)
    text: tuple[tuple[str, str], ...]
    # (field, value) of the raw text fields (facets), in the order added
    raw: tuple[tuple[str, str], ...]
    year: int | None
    # the fast float fields given a value: their numbers in FLOAT_FIELDS, and the values
    float_fields: array
    float_values: array


def prepare(report: Report) -> PreparedDoc:
    """Everything the index document of ``report`` holds (see ``prepared_to_document``)."""
    text = []
    raw = []
    if report.title:
        text.append(("title", normalized_words_text(normalize(report.title))))
    if report.agency:
        text.append(("agency", normalized_words_text(normalize(report.agency))))
        raw.append(("agency_raw", report.agency))
    if report.agency_key:
        raw.append(("agency_key", report.agency_key))
    region = report.region or {}
    facets = {"type": report.agency_type, "province": region.get("province"), "city": region.get("city"),
              "county": region.get("county"), "level": report.level, "template": report.template}
    raw += [(name, str(value)) for name, value in facets.items() if value]
    raw += [("flags", code) for code in report.flag_codes()]
    raw.append(("synthetic", SYNTHETIC_VALUES[0] if (report.source or {}).get("synthetic") else SYNTHETIC_VALUES[1]))
    part_words = []
    for section in report.sections:
        if section.n in SECTION_NUMBERS:
            raw.append(("parts", str(section.n)))
        if section.n in SECTION_NUMBERS and section.text:
            norm = normalize(section.text)
            part_words.append(normalized_words_text(norm))
            text.append((f"s{section.n}", part_words[-1]))
            text.append((f"p{section.n}", normalized_phrase_slots(norm)))
    if part_words:
        text.append((TEXT_FIELD, " ".join(part_words)))
    figures = report.figures or {}
    aliases = report_aliases(figures)
    float_fields = array("H")
    float_values = array("d")
    zeros = []
    get = figures.get  # bound once: the loop below runs for every figure key of every report
    for number, key in enumerate(FIGURE_KEYS):
        value = get(key)
        if value is None:
            continue
        value = float(value) if type(value) in (int, float) else _number(value)  # bool is no number
        if value is None:
            continue
        if value == 0 and _ELIDES_ZERO[number]:
            zeros.append(key)
        else:
            float_fields.append(number)
            float_values.append(value)
    if zeros:
        text.append((ZERO_FIELD, " ".join(zeros)))
    for name, value in aliases.items():
        value = _number(value)
        if value is not None:
            float_fields.append(_ALIAS_NUMBERS[name])
            float_values.append(value)
    return PreparedDoc(report.id, encode_hit(report_to_hit(report, aliases)), tuple(text), tuple(raw),
                       None if report.year is None else int(report.year), float_fields, float_values)


def prepared_to_document(prepared: PreparedDoc) -> tantivy.Document:
    """The tantivy document of a prepared report (no segmentation left to do here)."""
    doc = tantivy.Document()
    doc.add_text("id", prepared.id)
    doc.add_bytes("hit", prepared.hit)
    add_text = doc.add_text  # bound once: called for every field of every report
    for name, terms in prepared.text:
        add_text(name, terms)
    for name, value in prepared.raw:
        add_text(name, value)
    if prepared.year is not None:
        doc.add_integer("year", prepared.year)
    add_float = doc.add_float
    for number, value in zip(prepared.float_fields, prepared.float_values):
        add_float(FLOAT_FIELDS[number], value)
    return doc


# -- queries on the fast fields (the zero field stays behind these) ---------------------------

# the fast fields that leave out zeros -> their figure keys
_ZEROS_ELSEWHERE = {figure_field(key): key for key in FIGURE_KEYS if zeros_elided(key)}


def _raw_range_query(schema: tantivy.Schema, field: str, low, high, include_low: bool,
                     include_high: bool) -> tantivy.Query:
    ftype, cast = (tantivy.FieldType.Integer, int) if field == "year" else (tantivy.FieldType.Float, float)
    return tantivy.Query.range_query(schema, field, ftype, None if low is None else cast(low),
                                     None if high is None else cast(high), include_lower=include_low,
                                     include_upper=include_high)


def _or_zeros(schema: tantivy.Schema, query: tantivy.Query, key: str) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, query),
                                        (tantivy.Occur.Should, _zeros_of(schema, key))])


def _zeros_of(schema: tantivy.Schema, key: str) -> tantivy.Query:
    return tantivy.Query.term_query(schema, ZERO_FIELD, key, index_option="basic")


def range_query(schema: tantivy.Schema, field: str, low, high, include_low: bool = True,
                include_high: bool = True) -> tantivy.Query:
    """The reports whose ``field`` (year, or a ``figure_field``) lies in the range; None is unbounded.

    A blank value never matches; a 0 does wherever the range holds it, fast field or not.
    """
    query = _raw_range_query(schema, field, low, high, include_low, include_high)
    key = _ZEROS_ELSEWHERE.get(field)
    holds_zero = ((low is None or 0 > low or (include_low and 0 == low))
                  and (high is None or 0 < high or (include_high and 0 == high)))
    return _or_zeros(schema, query, key) if key is not None and holds_zero else query


def exists_query(schema: tantivy.Schema, field: str) -> tantivy.Query:
    """The reports with a value (0 included) in ``field``."""
    query = tantivy.Query.exists_query(field)
    key = _ZEROS_ELSEWHERE.get(field)
    return query if key is None else _or_zeros(schema, query, key)


def holds_deleted(searcher: tantivy.Searcher) -> bool:
    """Whether the searcher's segments still hold a deleted report (until a merge drops it).

    A term's document frequency counts deleted reports too; where none is held, it is exactly how
    many reports hold the term. Every report holds one ``synthetic`` value, so their frequencies
    add up to every report the segments hold, deleted or not.
    """
    return sum(searcher.doc_freq("synthetic", value) for value in SYNTHETIC_VALUES) != searcher.num_docs


def and_query(query: tantivy.Query, other: tantivy.Query) -> tantivy.Query:
    """The reports both queries match."""
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, other)])


def without_query(query: tantivy.Query, excluded: tantivy.Query) -> tantivy.Query:
    """The reports ``query`` matches and ``excluded`` does not."""
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, excluded)])


def count_matches(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many reports match, counted without scores (BM25 over every hit of a broad query costs more)."""
    return searcher.search(tantivy.Query.const_score_query(query, 1.0), 1, count=True).count


def sorted_hits(searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query, field: str,
                direction: tantivy.Order, limit: int, offset: int) -> list[tuple[Any, tantivy.DocAddress]]:
    """``limit`` hits of ``query`` from ``offset`` on, by a fast field's value, the reports without one last.

    A field whose zeros are listed in the zero field is read in four runs, each
    counted first so that only the runs the page reaches are read: the values
    before 0 in the order, the zeros, the values after 0, the reports without a value.
    """
    key = _ZEROS_ELSEWHERE.get(field)
    if key is None:
        return searcher.search(query, limit, count=False, order_by_field=field, offset=offset, order=direction).hits
    zero = _zeros_of(schema, key)
    below = _raw_range_query(schema, field, None, 0, True, False)
    above = _raw_range_query(schema, field, 0, None, False, True)
    missing = tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                           (tantivy.Occur.MustNot, tantivy.Query.exists_query(field)),
                                           (tantivy.Occur.MustNot, zero)])
    first, last = (below, above) if direction == tantivy.Order.Asc else (above, below)
    hits: list = []
    for run, by_value in ((first, True), (zero, False), (last, True), (missing, False)):
        if len(hits) >= limit:
            break
        within = and_query(query, run)
        count = count_matches(searcher, within)
        if offset >= count:
            offset -= count
            continue
        take = min(limit - len(hits), count - offset)
        if by_value:
            hits += searcher.search(within, take, count=False, order_by_field=field, offset=offset,
                                    order=direction).hits
        else:  # the same value (or none) for all: in index order, as tantivy orders ties
            hits += searcher.search(tantivy.Query.const_score_query(within, 0.0), take, count=False,
                                    offset=offset).hits
        offset = 0
    return hits


class Batch:
    """Adds and deletes made through one writer; committed together."""

    def __init__(self, writer, index: "ReportIndex"):
        self._writer = writer
        self._index = index

    def commit(self) -> None:
        """Make the changes so far durable and visible to searchers (also in other processes)."""
        self._writer.commit()
        self._index.reload()

    def add(self, report: Report) -> None:
        """Add a report, replacing any document with the same id."""
        self.add_prepared(prepare(report))

    def add_prepared(self, prepared: PreparedDoc) -> None:
        """Add a report ``prepare`` has made ready (e.g. in a parse worker), replacing any with its id."""
        self._writer.delete_documents_by_term("id", prepared.id)
        self._writer.add_document(prepared_to_document(prepared))

    def delete(self, report_id: str) -> None:
        """Remove the report with this id (nothing happens if there is none)."""
        self._writer.delete_documents_by_term("id", report_id)


class _ReadOnlyView:
    """An index directory that cannot be written (a copy on a read-only disk, or one this user may
    only read), seen through a temporary directory of links to its files.

    tantivy creates a lock file in the index directory whenever it loads a searcher (its meta
    lock, held against a writer's garbage collection), so it cannot read an index where it cannot
    write (tantivy issue #557; tantivy-py offers no directory of our own). The links let it write
    its locks beside them. Nothing writes the index there, so the files linked at the start stay
    the index's. The directory goes when the process that made it ends (not a forked worker).
    """

    def __init__(self, index_dir: Path):
        self.path = Path(tempfile.mkdtemp(prefix="xxgk-read-only-index-"))
        for file in index_dir.iterdir():
            if not file.name.startswith(".tantivy-"):
                (self.path / file.name).symlink_to(file.resolve())
        weakref.finalize(self, _remove_made_here, self.path, os.getpid())


def _remove_made_here(path: Path, maker: int) -> None:
    if os.getpid() == maker:
        shutil.rmtree(path, ignore_errors=True)


class ReportIndex:
    """One tantivy index directory, with a searcher kept open and reloaded after commits."""

    def __init__(self, index: tantivy.Index, path: Path | None, shared_counts: SharedCounts | None = None):
        self.index = index
        self.path = path
        self.schema = index.schema
        self.shared_counts = shared_counts
        # the searcher and a memo of results computed with it, swapped together (one assignment)
        self._current: tuple[tantivy.Searcher, dict] = self._searcher_and_memo()

    @classmethod
    def open(cls, index_dir: Path | str | None, shared_counts: SharedCounts | None = None) -> "ReportIndex":
        """Open the index in ``index_dir``, creating it (and the directory) if missing.

        :param index_dir: a directory; None for an index in memory (tests, benchmarks).
        :param shared_counts: counts shared with other processes reading this index (a server's
            workers), or None.
        :raises IndexOpenError: the directory holds an index with another schema or is unreadable.
        """
        schema = build_schema()
        if index_dir is None:
            return cls(tantivy.Index(schema), None)
        path = Path(index_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
            view = None if os.access(path, os.W_OK) else _ReadOnlyView(path)
            index = tantivy.Index(schema, path=str(view.path if view else path), reuse=True)
        except (OSError, ValueError) as e:
            # tantivy refuses an index built with another schema ("the schema does not match")
            raise IndexDamaged(path, f"cannot open the index ({' '.join(str(e).split())})") from None
        opened = cls(index, path, shared_counts)
        opened._read_only_view = view  # kept as long as the index is
        return opened

    def commit_stamp(self) -> tuple[int, int, int] | None:
        """Which commit is the last: every commit, in any process, replaces meta.json (a new file
        renamed over the old, so its inode changes even within one tick of the file clock)."""
        if self.path is None:
            return None
        try:
            meta = (self.path / "meta.json").stat()
        except OSError:
            return None
        return meta.st_ino, meta.st_mtime_ns, meta.st_size

    @property
    def searcher(self) -> tantivy.Searcher:
        """The current searcher, renewed when a commit (e.g. by `xxgk ingest`) changed the index.

        Take it once per request: it sees one consistent set of segments.
        """
        if self.commit_stamp() != self._stamp:
            self.reload()
        return self._current[0]

    def memo(self, searcher: tantivy.Searcher) -> dict:
        """A dict for results computed with ``searcher``, emptied when the searcher is renewed.

        The index only changes on commit, so a result computed with one searcher
        stays right until the next one; a searcher that is no longer current
        gets a throwaway dict (its results must not outlive it).
        """
        current, memo = self._current
        return memo if current is searcher else {}

    def forget(self) -> None:
        """Drop the memo of the current searcher, the shared counts with it (benchmarks time
        queries without them)."""
        self._current = (self._current[0], {})

    def reload(self) -> None:
        """See the latest commit (also one made by another process)."""
        self._current = self._searcher_and_memo()

    def _searcher_and_memo(self) -> tuple[tantivy.Searcher, dict]:
        """A searcher of the latest commit and its empty memo, which reads and keeps counts in
        ``shared_counts`` under that commit (``memo["shared"]``: the store and the commit's name).
        A commit made while the searcher opened leaves the commit it sees unknown: then nothing
        is shared, so no count is ever filed under another commit's name."""
        self._stamp = before = self.commit_stamp()
        with _reading(self.path):
            self.index.reload()  # on opening too: the reader was made before ``before`` was read
            searcher = _GuardedSearcher(self.index.searcher(), self.path)
        memo: dict = {}
        if self.shared_counts is not None and before is not None and self.commit_stamp() == before:
            memo["shared"] = (self.shared_counts,
                              "-".join(map(str, (*before, searcher.num_docs, searcher.num_segments))))
        return searcher, memo

    def sorted_hits(self, searcher: tantivy.Searcher, query: tantivy.Query, field: str, direction: tantivy.Order,
                    limit: int, offset: int) -> list[tuple[Any, tantivy.DocAddress]]:
        """``limit`` hits of ``query`` from ``offset`` on, ordered by ``field`` (see ``sorted_hits``)."""
        return sorted_hits(searcher, self.schema, query, field, direction, limit, offset)

    def count(self) -> int:
        """How many reports the index holds."""
        return self.searcher.num_docs

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """One writer for a group of changes: committed on clean exit, rolled back on an exception.

        The batch may also ``commit()`` along the way (ingest commits every batch
        of reports through one writer): segment merges then go on in the
        background between commits instead of holding up the next batch, and
        are waited for once, at the end. An exception rolls back to the last commit.
        """
        try:
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as e:
            raise IndexOpenError(f"{self.path}: cannot write the index ({e})") from None
        batch = Batch(writer, self)
        try:
            yield batch
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        batch.commit()
        writer.wait_merging_threads()
        self.reload()
