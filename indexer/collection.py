"""The collection: one data directory's store and index behind one object.

The rule: the CLI and the web app reach the reports only through a
Collection (search, statistics, export, reports, their originals, the
highlighting of a query), never through the store, the index or the query
parser themselves, so both always answer from the same data directory in
the same way (docs/architecture.md). Ingest and the benchmark, which build
the store and the index, are the library's other way in.
"""
from __future__ import annotations

from .config import Config
from .export import export_reports
from .highlight import Highlighter
from .index import ReportIndex, check_data_dir
from .report import Report
from .results import SearchResult
from .search import search, search_ids, stats
from .store import Store, index_dir


class Collection:
    """The reports of one data directory: search over the index, details from the store."""

    def __init__(self, config: Config, store: Store | None, index: ReportIndex):
        """:param store: None to open it on first use (a search needs the index alone)."""
        self.config = config
        self._store = store
        self.index = index

    @classmethod
    def open(cls, config: Config, *, store: bool = True) -> "Collection":
        """Open the store and the index under ``config.data_dir`` (creating empty ones if needed).

        :param config: settings; ``config.data_dir`` names the data directory.
        :param store: False to open the store only when a call needs it (`xxgk search`
            answers from the index alone).
        :raises StoreError, IndexOpenError: the data directory cannot be opened, or fails a start-up
            check (``index.check_data_dir``: a damaged store, one from a newer version, an index
            missing, damaged or behind the store), in one line naming the repair.
        """
        check_data_dir(config.data_dir)
        opened = Store.open(config.data_dir) if store else None
        try:
            # the store counted before the index is read: a concurrent ingest commits the index first
            check_data_dir(config.data_dir, opened.count() if opened else None)
            index = ReportIndex.open(index_dir(config.data_dir))
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

    def search(self, q: str, page: int = 1, per_page: int | None = None, sort: str = "relevance") -> SearchResult:
        """One page of results with facets (docs/query-language.md).

        :raises QuerySyntaxError: the query is malformed.
        :raises SearchError: a bad sort, page or per_page.
        """
        return search(self.index, q, page=page, per_page=per_page or self.config.page_size, sort=sort)

    def search_ids(self, q: str) -> list[str]:
        """The id of every report matching ``q``, in relevance order.

        :raises QuerySyntaxError: the query is malformed.
        """
        return search_ids(self.index, q)

    def stats(self, q: str) -> dict:
        """Aggregate figures over every report matching ``q``."""
        return stats(self.index, q)

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

    def export(self, q: str, fmt: str) -> bytes:
        """Every report matching ``q`` as CSV or JSON bytes (see export.export_reports)."""
        return export_reports(self, q, fmt)

    def count(self) -> int:
        """How many reports the index holds."""
        return self.index.count()

    def reload(self) -> None:
        """See the latest committed ingest (the index reader is refreshed)."""
        self.index.reload()
