"""The app's one Collection, opened on first use (never at import) and kept
for the app's life so the tantivy searcher is shared by every request.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from indexer.collection import Collection

EXTENSION = "xxgk"


class CollectionHolder:
    """Opens the collection lazily, once, even when first requests arrive together.

    A commit of `xxgk ingest` in another process is seen on the next search without reopening
    anything: the index looks at its meta.json on every use (``ReportIndex.searcher``), and only a
    new commit renews the searcher, so the memo of counted facets lives until the data changes.
    """

    def __init__(self, config, shared_counts=None):
        self.config = config
        self.shared_counts = shared_counts
        self._collection: Collection | None = None
        self._lock = threading.Lock()

    def get(self) -> Collection:
        if self._collection is None:
            from indexer.collection import Collection  # the index stack loads on first request, not at import
            with self._lock:
                if self._collection is None:
                    self._collection = Collection.open(self.config, shared_counts=self.shared_counts)
        return self._collection

    def close(self) -> None:
        with self._lock:
            if self._collection is not None:
                self._collection.close()
                self._collection = None


def init_app(app: Flask) -> None:
    """Attach a holder for ``app.config["XXGK_CONFIG"]``'s collection to the app. Where the
    server's workers share their answers (``XXGK_RESPONSE_CACHE``), they share their counts too."""
    shared = app.config.get("XXGK_RESPONSE_CACHE")
    app.extensions[EXTENSION] = CollectionHolder(app.config["XXGK_CONFIG"], Path(shared) if shared else None)


def get_collection() -> Collection:
    """The current app's collection, opening it on first use."""
    return current_app.extensions[EXTENSION].get()


def warm_up(app: Flask) -> None:
    """Open ``app``'s collection and run a first search now (a server's worker, before it takes
    requests). A data directory that cannot be opened is left for the requests to report."""
    from indexer.errors import XxgkError  # the index stack loads on use, not at import
    try:
        app.extensions[EXTENSION].get().warm_up()
    except XxgkError:
        pass
