"""The app's one Collection, opened on first use (never at import) and kept
for the app's life so the tantivy searcher is shared by every request.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from indexer.collection import Collection

EXTENSION = "xxgk"
# How stale the shared searcher may get before it is refreshed.
RELOAD_SECONDS = 2.0


class CollectionHolder:
    """Opens the collection lazily, once, even when first requests arrive together."""

    def __init__(self, config, reload_seconds: float = RELOAD_SECONDS):
        self.config = config
        self.reload_seconds = reload_seconds
        self._collection: Collection | None = None
        self._lock = threading.Lock()
        self._reloaded = 0.0

    def get(self) -> Collection:
        if self._collection is None:
            from indexer.collection import Collection  # the index stack loads on first request, not at import
            with self._lock:
                if self._collection is None:
                    self._collection = Collection.open(self.config)
                    self._reloaded = time.monotonic()
        elif time.monotonic() - self._reloaded >= self.reload_seconds:
            # `xxgk ingest` may have committed from another process since: see it, at most this often.
            with self._lock:
                if time.monotonic() - self._reloaded >= self.reload_seconds:
                    self._collection.reload()
                    self._reloaded = time.monotonic()
        return self._collection

    def close(self) -> None:
        with self._lock:
            if self._collection is not None:
                self._collection.close()
                self._collection = None


def init_app(app: Flask) -> None:
    """Attach a holder for ``app.config["XXGK_CONFIG"]``'s collection to the app
    (``XXGK_RELOAD_SECONDS`` overrides how often it looks for new commits)."""
    app.extensions[EXTENSION] = CollectionHolder(app.config["XXGK_CONFIG"],
                                                 app.config.get("XXGK_RELOAD_SECONDS", RELOAD_SECONDS))


def get_collection() -> Collection:
    """The current app's collection, opening it on first use."""
    return current_app.extensions[EXTENSION].get()
