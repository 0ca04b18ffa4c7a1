"""The research web front end (Flask + htmx), built by an app factory.

    app = create_app()                                   # config.toml's data directory
    app = create_app({"XXGK_CONFIG": "other.toml", "DATA_DIR": "/tmp/data"})
    app = create_app({"XXGK_RESPONSE_CACHE": "/tmp/xxgk-responses"})  # answers shared by workers

The collection (SQLite store + tantivy index) is opened on first use and kept
on the app, never at import time; see ``web.collection``.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from flask import Flask, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_compress import Compress
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.security import safe_join

from indexer.config import Config, load_config

from . import agencies, api, collection, compare, limits, passages, reports, search
from .i18n import LEVEL_LABELS, alias_label, label_of, translate
from .links import current_language, link, this_page_with
from .response_cache import ResponseCache
from .report_view import format_number, format_rate

# Scripts only from our own static files: an injected <script> or on* attribute never runs.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'self'")
# Static URLs carry their content's hash (?v=…), so a browser may keep them for a year.
STATIC_MAX_AGE = 365 * 24 * 3600
GZIP_LEVEL = 1
# What is worth gzipping: pages, API answers, exports, and the vendored scripts and CSS.
COMPRESSED_TYPES = ["text/html", "application/json", "text/csv", "text/css", "text/javascript",
                    "application/javascript", "text/plain"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app.

    :param test_config: overrides; ``XXGK_CONFIG`` (a Config or a config.toml path) and
        ``DATA_DIR`` (the data directory) choose the collection; any Flask setting may be given too.
    :raises ConfigError: the config file is missing or invalid.
    """
    app = Flask(__name__)
    app.config.from_mapping(XXGK_CONFIG=None, DATA_DIR=None)
    if test_config:
        app.config.update(test_config)
    config = _resolve_config(app.config["XXGK_CONFIG"], app.config["DATA_DIR"])
    app.config["XXGK_CONFIG"] = config
    app.config.setdefault("SECRET_KEY", config.secret_key)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # The 500 page, never a traceback, even if FLASK_DEBUG is set (tests may ask to see errors raised).
    if app.config.get("PROPAGATE_EXCEPTIONS") is None:  # Flask's None would propagate under debug
        app.config["PROPAGATE_EXCEPTIONS"] = bool(app.config.get("TESTING"))
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    # gzip level 1: a 120 KB search page becomes 17 KB in 0.4 ms of CPU; flask-compress's default 6
    # makes it 14 KB in 1.35 ms, a tenth of a search's whole budget for 3 KB a LAN does not notice
    app.config.setdefault("COMPRESS_LEVEL", GZIP_LEVEL)
    Compress(app)

    collection.init_app(app)
    app.register_blueprint(search.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(passages.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(agencies.bp)
    _register_template_helpers(app)
    _register_errors(app)
    _version_static_urls(app)
    limits.init_app(app, lambda: error_response(503))
    if app.config.get("XXGK_RESPONSE_CACHE"):
        # outside the deadline: an answer kept costs no thread, no search and no rendering
        holder = app.extensions[collection.EXTENSION]
        app.wsgi_app = ResponseCache(app.wsgi_app, Path(app.config["XXGK_RESPONSE_CACHE"]),
                                     lambda: holder.get().version())

    @app.before_request
    def _one_value_a_parameter():
        # the JSON answers' parameters each take one value (/api/openapi.json): a repeated one is
        # refused rather than its first value taken quietly
        if is_json_path(request.path):
            repeated = api.repeated_parameter(request.args)
            if repeated:
                return error_response(400, repeated)
        return None

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if "lang" in request.args and request.args["lang"] in ("zh", "en"):
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return app


def _resolve_config(config: Config | str | Path | None, data_dir: str | Path | None) -> Config:
    if not isinstance(config, Config):
        config = load_config(config)
    if data_dir:
        config = replace(config, data_dir=Path(data_dir).resolve())
    return config


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _helpers():
        lang = current_language()
        return {
            "lang": lang,
            "t": lambda key, **values: translate(key, lang, **values),
            "link": link,
            "colon": ": " if lang == "en" else "：",
            "alias_label": lambda alias: alias_label(alias, lang),
            "level_label": lambda level: label_of(LEVEL_LABELS, level, lang) if level else "",
            "other_language_url": this_page_with(lang="zh" if lang == "en" else "en"),
        }

    app.add_template_filter(format_number, "num")
    app.add_template_filter(format_rate, "percent")


def static_version(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of a static file's SHA-256 (None: no such file)."""
    path = safe_join(app.static_folder, filename)
    try:
        stat = Path(path).stat() if path else None
    except OSError:
        return None
    if stat is None:
        return None
    versions = app.extensions.setdefault("xxgk_static_versions", {})
    key = (filename, stat.st_mtime_ns, stat.st_size)
    if key not in versions:
        versions[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return versions[key]


def _version_static_urls(app: Flask) -> None:
    @app.url_defaults
    def _add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_versioned(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        if response.is_streamed:
            # Read the (small, vendored) file into the response: Flask-Compress gzips no stream.
            response.direct_passthrough = False
            response.set_data(response.get_data())
        # Only a URL naming the current content may be kept: a stale ?v= gets Flask's revalidation.
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args["v"] == static_version(app, filename):
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response


def is_json_path(path: str) -> bool:
    """Whether the path is the API's or a page's JSON twin (``*.json``)."""
    return path.startswith("/api/") or path.endswith(".json")


def wants_json() -> bool:
    """Whether the answer to this request should be JSON: the API, the *.json twins,
    or a client that asks for JSON rather than HTML."""
    if is_json_path(request.path):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


# The page heading and sentence of each error status; others show their standard name.
ERROR_TEXT = {404: ("not_found", "not_found_text"), 413: ("too_large", "too_large_text"),
              500: ("server_error", "server_error_text"), 503: ("busy", "busy_text")}


def error_response(status: int, description: str | None = None):
    """An error as JSON ``{"error": …}`` (English) or as the error page, never with internals in it.

    :param description: what went wrong, for the JSON answer; safe to show (no internals).
    """
    title_key, text_key = ERROR_TEXT.get(status, (None, None))
    if wants_json():
        response = jsonify({"error": description or (translate(text_key, "en") if text_key else
                                                     HTTP_STATUS_CODES.get(status, "error"))})
    else:
        lang = current_language()
        title = translate(title_key, lang) if title_key else HTTP_STATUS_CODES.get(status, "Error")
        message = translate(text_key, lang) if text_key else description or ""
        if request_ctx.url_adapter is None:
            # the Host header is no host name (IDNA refuses a label of over 63 letters): no URL
            # can be built, so the page and its links cannot be made either
            response = make_response(f"{title}\n{message}\n".encode(), {"Content-Type": "text/plain; charset=utf-8"})
        else:
            response = make_response(render_template("error.html", status=status, title=title, message=message))
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = error_response(error.code, error.description)
        for name, value in error.get_headers():
            if name.lower() != "content-type":  # e.g. a 405's Allow, which HTTP requires
                response.headers[name] = value
        return response

    @app.errorhandler(500)
    def _server_error(error):
        # Flask logs the traceback (to the server's error log); the answer says nothing of it.
        return error_response(500)
