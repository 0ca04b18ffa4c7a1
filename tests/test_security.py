"""Untrusted text everywhere it appears (docs/serving.md): a report whose title, agency, table cell
and file name are hostile, ingested with the real pipeline and served by the real app."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup
from werkzeug.http import parse_options_header

from indexer.config import load_config
from indexer.export import csv_safe_cell, records_to_csv
from indexer.ingest import ingest_paths
from web import create_app
from web.downloads import ascii_file_name, attachment_headers
from web_helpers import XSS_REPORT

ROOT = Path(__file__).resolve().parent.parent
FORMULA = "=1+2+cmd|"
IMG = '<img src=x onerror=alert(2)>'
# quotes, a semicolon and a would-be second parameter: none may escape the header's value
HOSTILE_NAME = '报告"; filename=evil.exe;.txt'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    text = XSS_REPORT.read_text(encoding="utf-8")
    title, rest = text.split("\n", 1)
    # the agency (from the title) now starts like a formula; a cell of table 二 holds markup
    rest = rest.replace("\t规章\n\t　　0", f"\t规章\n\t{IMG}", 1)
    assert IMG in rest
    (root / "in").mkdir()
    (root / "in" / HOSTILE_NAME).write_text(FORMULA + title + "\n" + rest, encoding="utf-8")
    config = replace(load_config(), data_dir=root / "data")
    summary = ingest_paths([root / "in"], config)
    assert not summary.failed, summary.failed
    app = create_app({"XXGK_CONFIG": config})
    client = app.test_client()
    report_id = client.get("/api/search?q=alert").get_json()["hits"][0]["id"]
    return client, client.get(f"/api/reports/{report_id}").get_json()


def test_the_hostile_values_reached_the_report(hostile):
    _, report = hostile
    assert report["agency"].startswith(FORMULA) and report["title"].startswith(FORMULA)
    assert report["source"]["path"].endswith(HOSTILE_NAME)


def test_pages_escape_every_hostile_value(hostile):
    client, report = hostile
    key = quote(report["agency_key"], safe="/")
    for path in (f"/reports/{report['id']}", "/?q=alert", "/stats?q=alert", "/?q=" + IMG, f"/agencies/{key}",
                 "/passages?q=alert", "/passages?q=onmouseover",
                 "/more-facets?q=alert", "/stats?q=alert&by=type&rank=applications", "/stats?q=alert&by=agency",
                 f"/reports/{report['id']}?q=" + quote(IMG), "/?q=" + quote('"<script>alert(1)</script>"')):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all("img") and not soup.find_all(attrs={"onerror": True}), path
        assert not soup.find_all(attrs={"onmouseover": True}) and not soup.find_all("script", string=True), path
        assert IMG not in html and "<script>alert" not in html, path
    page = BeautifulSoup(client.get(f"/reports/{report['id']}").data, "html.parser")
    assert page.select_one(".report-meta .agency").get_text() == report["agency"]


def test_json_is_json_and_round_trips_the_raw_text(hostile):
    client, report = hostile
    for path in (f"/api/reports/{report['id']}", "/api/search?q=alert", "/search.json?q=alert", "/export.json?q=alert"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/json", path
        json.loads(response.data)
    exported = client.get("/export.json?q=alert").get_json()
    assert exported[0]["agency"] == report["agency"]  # JSON carries the text as it is, no prefix


@pytest.mark.parametrize("shape", ["reports", "panel", "long"])
def test_csv_text_cells_never_start_a_formula(hostile, shape):
    client, report = hostile
    response = client.get(f"/export.csv?q=&shape={shape}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if r.get("id", r.get("report_id")) == report["id"])
    if shape == "long":  # a row a figure, the report named by its id and agency_key
        assert row["agency_key"] == "'" + report["agency_key"]
    else:
        assert row["agency"] == "'" + report["agency"]
    if shape == "reports":
        assert row["title"] == "'" + report["title"]
    numbers = re.compile(r"-?\d+(\.\d+)?")
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or numbers.fullmatch(cell), (column, cell)


def test_passages_csv_cells_never_start_a_formula(hostile):
    client, report = hostile
    response = client.get("/passages.csv?q=alert")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and all(r["agency"] == "'" + report["agency"] for r in rows)
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row


@pytest.mark.parametrize("value, cell", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("民政局", "民政局"), ("a=b", "a=b"), (-1, "-1"), (-2.5, "-2.5"), (3.0, "3"),
    (None, ""), (True, "true"), (["=x", "y"], "'=x,y"),
])
def test_csv_safe_cell(value, cell):
    assert csv_safe_cell(value) == cell


def test_a_csv_row_holds_each_cell_as_csv_safe_cell_gives_it():
    # records_to_csv passes the common cells to csv as they are: the file must not change for it
    values = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "民政局", "a=b", "a,b", 'say "hi"', "", -1, 0, 7, -2.5,
              3.0, 0.125, None, True, False, ["=x", "y"], []]
    columns = [f"c{i}" for i in range(len(values))]
    body = records_to_csv([dict(zip(columns, values))], columns).decode("utf-8").lstrip("\ufeff")
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n").writerows([columns, [csv_safe_cell(v) for v in values]])
    assert body == expected.getvalue()


def _disposition(header: str) -> dict:
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    return options


def test_source_download_name_is_rfc_6266_with_an_ascii_fallback(hostile):
    client, report = hostile
    response = client.get(f"/reports/{report['id']}/source")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    star = re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1)
    assert unquote(star) == HOSTILE_NAME and '"' not in star and ";" not in star
    plain = re.search(r'filename="([^"]*)"', header).group(1)
    assert plain == "filename_evil.exe.txt"  # its quote and semicolons gone, the real extension kept
    assert header.count("filename=") == 1 and header.count("filename*=") == 1


@pytest.mark.parametrize("name, fallback, plain", [
    ("报告.pdf", "abc123", "abc123.pdf"), ("report 2020.docx", "x", "report_2020.docx"),
    ('a"b;c.txt', "x", "a_b_c.txt"), ("../../etc/passwd", "x", "passwd"), ("无扩展名", "id9", "id9"),
])
def test_ascii_file_name(name, fallback, plain):
    assert ascii_file_name(name, fallback) == plain


def test_attachment_headers_drop_control_characters():
    header = attachment_headers("a\r\nSet-Cookie: x=1.csv")["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1)) == "aSet-Cookie: x=1.csv"


@pytest.mark.parametrize("path", [
    "/reports/../../etc/passwd", "/reports/..%2F..%2Fetc%2Fpasswd", "/reports/%2e%2e/%2e%2e/etc/passwd/source",
    "/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%5c..%5cetc%5cpasswd", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
    "/reports/0000000000000000/source/../../../../etc/passwd",
])
def test_no_url_path_reaches_the_file_system(hostile, path):
    client, _ = hostile
    response = client.get(path, follow_redirects=True)  # werkzeug merges "//" by a redirect
    assert response.status_code in (400, 404), path
    assert b"root:" not in response.data


@pytest.mark.parametrize("path", ["/?q=&page=1000000000000", "/?q=信访&page=1000000000000&sort=-applications",
                                  "/api/search?q=&page=1000000&per_page=100", "/search.json?q=&page=999999"])
def test_a_page_past_the_last_report_is_empty_not_an_allocation(hostile, path):
    """tantivy makes room for offset + limit hits before it looks: page 10^12 of the search page
    asked it for 320 TB, and the failed allocation aborted the server's worker (SIGABRT). In a
    subprocess, so that the abort, were it back, fails this test rather than the whole run."""
    client, _ = hostile
    data_dir = client.application.config["XXGK_CONFIG"].data_dir
    served = subprocess.run([sys.executable, "-m", "indexer.cli", "serve", "--get", path, "--data", str(data_dir)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert served.returncode == 0, served.stderr[-2000:]
    if path.startswith("/api") or ".json" in path:
        body = json.loads(served.stdout)
        assert body["hits"] == [] and body["total"] == 1
    else:
        assert served.stdout.startswith("<!doctype html>")


@pytest.mark.parametrize("path", ["/", "/?q=信访", "/stats", "/no-such-page", "/api/search?q=信访"])
def test_a_host_header_that_is_no_host_name_gets_a_400_not_a_failed_error_page(hostile, path):
    """werkzeug cannot bind a Host of a 64-letter label (IDNA refuses it), so no URL can be built:
    the error page, which is made of links, then failed in turn and the server answered 500."""
    client, _ = hostile
    response = client.get(path, headers={"Host": "a" * 64 + ".example"})
    assert response.status_code == 400
    assert b"Traceback" not in response.data
    if not path.startswith("/api"):
        assert response.mimetype == "text/plain" and response.data.decode().startswith("Bad Request\n")
