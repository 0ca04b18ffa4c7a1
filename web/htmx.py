"""The one place that reads htmx request headers (docs/architecture.md: no header checks in views)."""
from __future__ import annotations

from flask import Request


def htmx_target(request: Request) -> str | None:
    """The id of the element an htmx request will swap, or None for a full page.

    A history restore (back button after a cache miss) wants the whole page,
    so it counts as a full-page request too.
    """
    if request.headers.get("HX-Request") != "true":
        return None
    if request.headers.get("HX-History-Restore-Request") == "true":
        return None
    return request.headers.get("HX-Target") or None


def template_for(request: Request, fragments: dict[str, str], page: str) -> str:
    """The partial that renders the requested fragment, else the full page template."""
    return fragments.get(htmx_target(request) or "", page)
