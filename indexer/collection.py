"""The collection: one data directory's store and index behind one object.

The rule: the CLI and the web app reach the reports only through a
Collection (search, statistics, export, reports, their originals, the
highlighting of a query), never through the store, the index or the query
parser themselves, so both always answer from the same data directory in
the same way (docs/architecture.md). Ingest and the benchmark, which build
the store and the index, are the library's other way in.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .agencies import agency_panel
from .compare import Comparison, UnknownReportsError, check_count, compare_reports
from .config import Config
from .export import export_chunks, export_reports
from .groups import group_stats, rank_agencies
from .highlight import Highlighter
from .index import ReportIndex, check_data_dir
from .passages import PassagePage, passage_page, passages_to_csv, query_passages
from .report import Report
from .results import AgencyPanel, SearchResult
from .search import ALL_ALIASES, check_paging, on_request_facets, search, search_ids, stats
from .shared_counts import SharedCounts
from .store import Store, commit_stamp as store_commit_stamp, index_dir
from .vocabulary import REPORT_ID


# A search that touches what every search needs: a word (the dictionary), its hits' pages and facets.
WARM_UP_QUERY = "政府信息公开"


class Collection:
    """The reports of one data directory: search over the index, details from the store."""

    def __init__(self, config: Config, store: Store | None, index: ReportIndex):
        """:param store: None to open it on first use (a search needs the index alone)."""
        self.config = config
        self._store = store
        self.index = index

    @classmethod
    def open(cls, config: Config, *, store: bool = True, shared_counts: Path | None = None) -> "Collection":
        """Open the store and the index under ``config.data_dir`` (creating empty ones if needed).

        :param config: settings; ``config.data_dir`` names the data directory.
        :param store: False to open the store only when a call needs it (`xxgk search`
            answers from the index alone).
        :param shared_counts: a directory where the processes reading this collection share what
            they count (a server's workers: indexer/shared_counts.py), or None.
        :raises StoreError, IndexOpenError: the data directory cannot be opened, or fails a start-up
            check (``index.check_data_dir``: a damaged store, one from a newer version, an index
            missing, damaged or behind the store), in one line naming the repair.
        """
        check_data_dir(config.data_dir)
        opened = Store.open(config.data_dir) if store else None
        try:
            # the store counted before the index is read: a concurrent ingest commits the index first
            check_data_dir(config.data_dir, opened.count() if opened else None)
            index = ReportIndex.open(index_dir(config.data_dir),
                                     SharedCounts(shared_counts) if shared_counts is not None else None)
        except BaseException:
            if opened:
                opened.close()
            raise
        return cls(config, opened, index)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.config.data_dir)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def search(self, q: str, page: int = 1, per_page: int | None = None, sort: str = "relevance",
               rates: bool = False, agencies: bool = False) -> SearchResult:
        """One page of results with facets (docs/query-language.md); ``rates`` adds each rate's
        buckets, ``agencies`` the agency keys.

        :raises QuerySyntaxError: the query is malformed.
        :raises SearchError: a bad sort, page or per_page.
        """
        return search(self.index, q, page=page, per_page=per_page or self.config.page_size, sort=sort, rates=rates,
                      agencies=agencies)

    def on_request_facets(self, q: str) -> dict[str, dict[str, int]]:
        """The agency keys and each rate's buckets over the reports matching ``q``: the facets a
        plain search leaves out (docs/query-language.md).

        :raises QuerySyntaxError: the query is malformed.
        """
        return on_request_facets(self.index, q)

    def search_ids(self, q: str, max_reports: int | None = None) -> list[str]:
        """The id of every report matching ``q``, in relevance order.

        :raises QuerySyntaxError: the query is malformed.
        :raises TooManyReports: more matches than ``max_reports`` (None: no bound).
        """
        return search_ids(self.index, q, max_reports=max_reports)

    def stats(self, q: str, per_year: frozenset[str] = ALL_ALIASES, per_type: frozenset[str] = ALL_ALIASES) -> dict:
        """Aggregate figures over every report matching ``q`` (of the aliases named per grouping:
        indexer/search.py ``stats``)."""
        return stats(self.index, q, per_year, per_type)

    def group(self, q: str, by: str, measure: str, by2: str | None = None) -> list[dict]:
        """The reports matching ``q`` grouped by one field or two (indexer/groups.py ``group_stats``).

        :raises QuerySyntaxError: the query is malformed.
        :raises GroupError: an unknown field or measure.
        """
        return group_stats(self.index, q, by, measure, by2)

    def rank(self, q: str, measure: str, order: str = "desc", n: int = 20, max_reports: int | None = None) -> list[dict]:
        """The top or bottom ``n`` agencies of ``q``'s reports by ``measure`` (indexer/groups.py ``rank_agencies``).

        :raises QuerySyntaxError: the query is malformed.
        :raises GroupError: an unknown measure or order, or a bad ``n``.
        :raises TooManyReports: every match must be read (ties across many agencies) and they are
            more than ``max_reports`` (None: no bound).
        """
        return rank_agencies(self.index, q, measure, order, n, self.light_reports, max_reports)

    def highlighter(self, q: str) -> Highlighter | None:
        """What marks ``q``'s text terms in a report's text as its snippets mark them (None: nothing to mark)."""
        return Highlighter.of_query(q)

    def get(self, report_id: str) -> Report | None:
        """The canonical report with this id, or None."""
        return self.store.get(report_id)

    def light_reports(self, ids: list[str]):
        """The reports with these ids, in that order, without their section texts (export rows)."""
        return self.store.light_reports(ids)

    def original(self, report_id: str) -> bytes | None:
        """The bytes of the report's original file (its stored copy), or None."""
        return self.store.original(report_id)

    def has_original(self, report_id: str) -> bool:
        """Whether the report's original file is stored."""
        return self.store.has_original(report_id)

    def reports_by_agency(self, agency: str) -> list[Report]:
        """Every report of one agency, oldest year first (the "other years" view)."""
        return self.store.reports_by_agency(agency)

    def agency(self, key: str) -> AgencyPanel | None:
        """One agency across years (every report with this agency_key, a row a year), or None if unknown."""
        return agency_panel(key, self.store.reports_by_agency_key(key))

    def export(self, q: str, fmt: str, shape: str = "reports", max_reports: int | None = None) -> bytes:
        """Every report matching ``q`` as CSV or JSON bytes, a row per report, per agency-year
        (``panel``) or per report and key (``long``) (see export.export_reports; ``max_reports``
        bounds the matches as ``search_ids``' does)."""
        return export_reports(self, q, fmt, shape, max_reports)

    def export_chunks(self, q: str, fmt: str, shape: str = "reports") -> Iterator[bytes]:
        """``export``'s bytes a chunk of rows at a time, the reports read as they are written
        (export.export_chunks): what `xxgk export` writes, at any size."""
        return export_chunks(self, q, fmt, shape)

    def passages(self, q: str, page: int = 1, per_page: int | None = None,
                 max_reports: int | None = None) -> PassagePage:
        """One page of every sentence where ``q``'s words stand, over every matching report (indexer/passages.py).

        :raises QuerySyntaxError: the query is malformed.
        :raises SearchError: a bad page or per_page.
        :raises TooManyReports: more matches than ``max_reports`` (None: no bound).
        """
        per_page = per_page or self.config.page_size
        check_paging(page, per_page)
        return passage_page(query_passages(self, q, max_reports), q, page, per_page)

    def passages_csv(self, q: str, url_of, max_reports: int | None = None) -> bytes:
        """Every passage of ``q`` as CSV bytes; ``url_of(passage)`` gives each one's address.

        :raises QuerySyntaxError: the query is malformed.
        :raises TooManyReports: more matches than ``max_reports`` (None: no bound).
        """
        return passages_to_csv(query_passages(self, q, max_reports), url_of)

    def compare(self, ids: list[str]) -> Comparison:
        """These reports side by side (indexer/compare.py), in the order given.

        :raises CompareError: fewer than two or more than six ids.
        :raises UnknownReportsError: ids no report has (a CompareError too).
        """
        check_count(ids)
        reports = [self.get(report_id) if REPORT_ID.fullmatch(report_id) else None for report_id in ids]
        unknown = [report_id for report_id, report in zip(ids, reports) if report is None]
        if unknown:
            raise UnknownReportsError(unknown)
        return compare_reports(reports)

    def count(self) -> int:
        """How many reports the index holds."""
        return self.index.count()

    def warm_up(self) -> None:
        """Do once what a first search does: open the store and the searcher, load the word
        dictionary, read the first page and count the facets, so that a server's first
        request costs what any other does."""
        self.store.count()
        self.search(WARM_UP_QUERY, per_page=1)

    def version(self) -> str | None:
        """Which commit the data is at, as a string that changes with every commit of an ingest in
        any process (None for an index in memory): what is computed from the data holds until it
        changes (the web's shared answers, web/response_cache.py). Both the index and the store
        count: an ingest commits the index first, then the store."""
        stamp = self.index.commit_stamp()
        if stamp is None:
            return None
        return "-".join(map(str, (*stamp, *store_commit_stamp(self.config.data_dir))))

    def reload(self) -> None:
        """See the latest committed ingest (the index reader is refreshed)."""
        self.index.reload()
