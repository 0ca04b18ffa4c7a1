"""The collection: one data directory's store and index behind one object.

The CLI and the web app talk to this facade, never to the store and the
index separately, so both always answer from the same data directory.
"""
from __future__ import annotations

from .config import Config
from .report import Report
from .store import Store, index_dir


class Collection:
    """The reports of one data directory: search over the index, details from the store."""

    def __init__(self, config: Config, store: Store, index):
        self.config = config
        self.store = store
        self.index = index

    @classmethod
    def open(cls, config: Config) -> "Collection":
        """Open the store and the index under ``config.data_dir`` (creating empty ones if needed).

        :param config: settings; ``config.data_dir`` names the data directory.
        """
        from .index import ReportIndex

        store = Store.open(config.data_dir)
        index = ReportIndex.open(index_dir(config.data_dir))
        return cls(config, store, index)

    def close(self) -> None:
        self.store.close()

    def search(self, q: str, page: int = 1, per_page: int | None = None, sort: str = "relevance") -> dict:
        """One page of results with facets, in the shape of SPEC §3.

        :raises QuerySyntaxError: the query is malformed.
        """
        from .search import search

        return search(self.index, q, page=page, per_page=per_page or self.config.page_size, sort=sort)

    def stats(self, q: str) -> dict:
        """Aggregate figures over every report matching ``q``."""
        from .search import stats

        return stats(self.index, q)

    def get(self, report_id: str) -> Report | None:
        """The canonical report with this id, or None."""
        return self.store.get(report_id)

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
        from .export import export_reports

        return export_reports(self, q, fmt)

    def count(self) -> int:
        """How many reports the index holds."""
        return self.index.count()

    def reload(self) -> None:
        """See the latest committed ingest (the index reader is refreshed)."""
        self.index.reload()
