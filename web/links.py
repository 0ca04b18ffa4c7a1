"""The request's language and links that keep it."""
from __future__ import annotations

from flask import request, url_for

from .i18n import resolve_language


def current_language() -> str:
    """The language of the current request (URL, then cookie, then Chinese)."""
    return resolve_language(request.args.get("lang"), request.cookies.get("lang"))


def link(endpoint: str, **values) -> str:
    """url_for that keeps ``lang=en`` in every link, so English survives without cookies."""
    if current_language() == "en":
        values.setdefault("lang", "en")
    return url_for(endpoint, **values)
