"""Answers shared by a server's workers (web/response_cache.py, docs/serving.md): the same request
is searched and rendered once until the data changes, and never answered for another language,
htmx target or encoding."""
from __future__ import annotations

import gzip
import sqlite3
from dataclasses import replace

import pytest
from werkzeug.test import Client

from indexer.config import load_config
from indexer.ingest import ingest_paths
from indexer.shared_file import STORES_PER_SIZE_CHECK
from web import create_app
from web.response_cache import FILE_NAME, ResponseCache

from web_helpers import CORPUS, build_web_data


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return build_web_data(tmp_path_factory.mktemp("shared-answers") / "data")


def app_sharing(config, cache_dir):
    return create_app({"XXGK_CONFIG": config, "XXGK_RESPONSE_CACHE": cache_dir})


def without_cache_header(headers) -> list:
    return sorted((name, value) for name, value in headers.items() if name != "X-Cache")


def test_the_same_request_is_answered_again_from_what_another_worker_kept(config, tmp_path):
    # two apps over one directory: two workers of one server, each with its own collection (kept
    # open, as a worker keeps it: the last connection to close removes the store's write-ahead log)
    workers = [app_sharing(config, tmp_path).test_client() for _ in range(2)]
    first, second = (worker.get("/?q=信访", headers={"Accept-Encoding": "gzip"}) for worker in workers)
    assert first.status_code == second.status_code == 200
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert second.data == first.data and first.headers["Content-Encoding"] == "gzip"
    assert without_cache_header(second.headers) == without_cache_header(first.headers)
    assert "信访" in gzip.decompress(second.data).decode("utf-8")


def test_answers_are_kept_apart_by_language_htmx_target_and_encoding(config, tmp_path):
    client = app_sharing(config, tmp_path).test_client()
    plain = client.get("/?q=信访")
    zipped = client.get("/?q=信访", headers={"Accept-Encoding": "gzip"})
    fragment = client.get("/?q=信访", headers={"HX-Request": "true", "HX-Target": "results"})
    client.set_cookie("lang", "en")
    english = client.get("/?q=信访")
    assert [r.headers["X-Cache"] for r in (plain, zipped, fragment, english)] == ["miss"] * 4
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert "<html" in plain.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert 'lang="en"' in english.get_data(as_text=True) and 'lang="zh' in plain.get_data(as_text=True)
    client.delete_cookie("lang")
    again = client.get("/?q=信访")
    assert again.headers["X-Cache"] == "hit" and again.data == plain.data


def test_errors_answers_that_set_a_cookie_and_original_files_are_not_kept(config, tmp_path):
    client = app_sharing(config, tmp_path).test_client()
    for _ in range(2):
        assert "X-Cache" not in client.get("/reports/no-such-report").headers
        switched = client.get("/?q=信访&lang=en")  # sets the lang cookie: an answer for this asker only
        assert "lang=en" in switched.headers["Set-Cookie"] and "X-Cache" not in switched.headers
        client.delete_cookie("lang")
        bad = client.get("/api/search?q=year:")
        assert bad.status_code == 400 and "X-Cache" not in bad.headers
    report_id = client.get("/api/search?q=").get_json()["hits"][0]["id"]
    source = client.get(f"/reports/{report_id}/source")
    assert source.status_code == 200 and "X-Cache" not in source.headers


def test_a_commit_is_seen_by_the_next_request(tmp_path):
    config = replace(load_config(), data_dir=tmp_path / "data")
    seeds = sorted((CORPUS / "seeds").iterdir())
    assert not ingest_paths(seeds[:1], config).failed
    client = app_sharing(config, tmp_path / "cache").test_client()
    before = client.get("/api/search?q=")
    assert client.get("/api/search?q=").headers["X-Cache"] == "hit"
    assert not ingest_paths(seeds[1:3], config).failed
    after = client.get("/api/search?q=")
    assert after.headers["X-Cache"] == "miss"
    assert (before.get_json()["total"], after.get_json()["total"]) == (1, 3)


def test_a_damaged_cache_file_is_passed_by(config, tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"not a database" * 100)
    client = app_sharing(config, tmp_path).test_client()
    for _ in range(2):
        response = client.get("/api/search?q=信访")
        assert response.status_code == 200 and response.get_json()["total"] > 0
        assert "X-Cache" not in response.headers


def test_answers_of_older_commits_and_the_oldest_beyond_the_bound_go(tmp_path):
    version = ["1"]

    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["QUERY_STRING"].encode() * 100]

    client = Client(ResponseCache(echo, tmp_path, lambda: version[0], max_bytes=100_000))
    for n in range(4 * STORES_PER_SIZE_CHECK):
        response = client.get(f"/?n={n:06d}")  # 800 bytes each: 204,800 in all
        assert response.data == f"n={n:06d}".encode() * 100
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        kept = db.execute("SELECT COALESCE(SUM(size), 0) FROM responses").fetchone()[0]
    assert kept <= 100_000 + STORES_PER_SIZE_CHECK * 800
    assert client.get(f"/?n={4 * STORES_PER_SIZE_CHECK - 1:06d}").headers["X-Cache"] == "hit"
    version[0] = "2"  # a commit
    assert client.get("/?n=000001").headers["X-Cache"] == "miss"
    for n in range(STORES_PER_SIZE_CHECK):
        client.get(f"/?m={n}")
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM responses WHERE version = '1'").fetchone()[0] == 0


def test_an_answer_that_names_the_host_is_not_given_to_another_host(config, tmp_path):
    client = app_sharing(config, tmp_path).test_client()
    here = client.get("/api/openapi.json", base_url="http://research.example:5000")
    there = client.get("/api/openapi.json", base_url="https://other.example")
    assert (here.headers["X-Cache"], there.headers["X-Cache"]) == ("miss", "miss")
    assert here.get_json()["servers"][0]["url"] == "http://research.example:5000"
    assert there.get_json()["servers"][0]["url"] == "https://other.example"
