"""The research web front end (Flask + htmx), built by an app factory.

    app = create_app()                                   # config.toml's data directory
    app = create_app({"XXGK_CONFIG": "other.toml", "DATA_DIR": "/tmp/data"})

The collection (SQLite store + tantivy index) is opened on first use and kept
on the app, never at import time; see ``web.collection``.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import Flask, render_template, request, url_for

from indexer.config import Config, load_config

from . import agencies, api, collection, reports, search
from .i18n import LEVEL_LABELS, alias_label, label_of, translate
from .links import current_language, link
from .report_view import format_number

# Scripts only from our own static files: an injected <script> or on* attribute never runs.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'self'")


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

    collection.init_app(app)
    app.register_blueprint(search.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(agencies.bp)
    _register_template_helpers(app)
    _register_errors(app)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
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
            "other_language_url": _other_language_url(lang),
        }

    app.add_template_filter(format_number, "num")


def _other_language_url(lang: str) -> str:
    args = request.args.to_dict()
    args["lang"] = "zh" if lang == "en" else "en"
    endpoint = request.endpoint or "search.index"
    return url_for(endpoint, **(request.view_args or {}), **args)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(404)
    def _not_found(error):
        if request.path.startswith("/api/"):
            return {"error": error.description or "not found"}, 404
        return render_template("error.html", status=404, message=translate("not_found_text", current_language())), 404

    @app.errorhandler(500)
    def _server_error(error):
        if request.path.startswith("/api/"):
            return {"error": "internal server error"}, 500
        return render_template("error.html", status=500, message=translate("server_error", current_language())), 500
