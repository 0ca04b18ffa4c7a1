"""The web front end through Flask's test client, over a data directory built
by ingesting corpus/ (and the injection fixture) with the real pipeline.
HTML is asserted by structure with BeautifulSoup."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from indexer.aliases import RATES, report_aliases
from indexer.cli import cli
from indexer.figure_keys import T3_ROWS, figure_keys
from indexer.highlight import Highlighter
from indexer.ingest import ingest_paths
from indexer.report import Flag, Report, Section
from web import create_app
from web.query_state import (ComparisonError, active_chips, add_token, comparison_token, facet_token, query_tokens,
                             remove_token)
from web.report_view import agency_years, flag_keys, format_number, mark_terms, report_parts, table3_model
from web.urls import with_links
from web_helpers import CORPUS, MISSION_QUERY

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"onmouseover=alert(1) x="'


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def q_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("q", [""])[0]


def hit_ids(soup) -> list[str]:
    return [li["data-id"] for li in soup.select("ol.hit-list > li.hit")]


def report_id_of(collection, agency: str, year: int) -> str:
    hits = collection.search(f'agency:"{agency}" year:{year}')["hits"]
    assert len(hits) == 1, hits
    return hits[0]["id"]


# -- search page -----------------------------------------------------------------

def test_empty_query_lists_every_report_with_facets(client, collection):
    soup = soup_of(client.get("/"))
    total = collection.search("")["total"]
    assert total == 11  # five seeds, five real reports, the injection fixture
    assert soup.select_one("#total").get_text() == f"共 {total} 份报告"
    assert len(hit_ids(soup)) == total
    facets = {s["data-facet"] for s in soup.select("aside.facets section.facet")}
    assert {"year", "type", "level", "template"} <= facets
    year_counts = {a["data-value"]: int(a.select_one(".count").get_text())
                   for a in soup.select('section.facet[data-facet="year"] a')}
    assert year_counts == collection.search("")["facets"]["year"]


def test_search_form_is_a_plain_get_form_enhanced_by_htmx(client):
    form = soup_of(client.get("/?q=信访")).select_one("form#search-form")
    assert form["method"] == "get" and form["action"] == "/"
    assert form.select_one("input#q")["name"] == "q"
    assert form.select_one("input#q")["value"] == "信访"
    assert form["hx-push-url"] == "true"
    assert form["hx-target"] == "#results"
    assert "delay:300ms" in form["hx-trigger"] and "submit" in form["hx-trigger"]


def test_mission_query_finds_exactly_the_shizhong_petition_bureau_2020(client):
    soup = soup_of(client.get("/", query_string={"q": MISSION_QUERY}))
    hits = soup.select("ol.hit-list > li.hit")
    assert len(hits) == 1
    assert hits[0].select_one("h3 a").get_text() == "市中区信访局"
    assert hits[0].select_one("h3 .year").get_text() == "2020"
    figures = {div.dt.get_text(): div.dd.get_text() for div in hits[0].select("dl.key-figures > div")}
    assert figures["集中采购项目"] == "6"
    assert soup.select_one("input#q")["value"] == MISSION_QUERY
    assert [li.span.get_text() for li in soup.select("ul.chips li.chip")] == MISSION_QUERY.split()


def test_htmx_requests_get_only_the_targeted_fragment(client):
    headers = {"HX-Request": "true", "HX-Target": "results"}
    fragment = client.get("/?q=信访", headers=headers).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="results"') and "<html" not in fragment
    nav = BeautifulSoup(fragment, "html.parser").select_one("nav#site-nav")  # header links follow the query
    assert nav["hx-swap-oob"] == "true" and q_of(nav.select("a")[1]["href"]) == "信访"
    assert not soup_of(client.get("/?q=信访")).select_one("nav#site-nav").has_attr("hx-swap-oob")
    headers["HX-Target"] = "search-page"
    fragment = client.get("/?q=信访", headers=headers).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="search-page"') and 'id="q"' in fragment
    # the back button after a history-cache miss asks for the whole page
    headers["HX-History-Restore-Request"] = "true"
    assert "<html" in client.get("/?q=信访", headers=headers).get_data(as_text=True)


def test_facet_link_adds_its_filter_and_the_chip_removes_it(client):
    soup = soup_of(client.get("/?q=信访"))
    link = soup.select_one('section.facet[data-facet="type"] a[data-value="信访"]')
    assert q_of(link["href"]) == "信访 type:信访"
    assert link["hx-get"] == link["href"] and link["hx-push-url"] == "true"
    after = soup_of(client.get(link["href"]))
    assert after.select_one("input#q")["value"] == "信访 type:信访"
    active = after.select_one('section.facet[data-facet="type"] li.active a')
    assert active["data-value"] == "信访" and q_of(active["href"]) == "信访"
    chip = after.select_one("ul.chips li.chip")
    assert chip.span.get_text() == "type:信访" and q_of(chip.a["href"]) == "信访"
    counts = [int(a.select_one(".count").get_text()) for a in after.select('section.facet[data-facet="year"] a')]
    assert sum(counts) == len(hit_ids(after))


def test_comparison_form_adds_the_comparison_to_the_query(client):
    response = client.get("/", query_string={"q": "信访", "cmp_field": "applications", "cmp_op": ">=",
                                             "cmp_value": "1"})
    assert response.status_code == 303
    assert q_of(response.headers["Location"]) == "信访 applications>=1"
    response = client.get("/", query_string={"q": "信访", "cmp_field": "no_such_figure", "cmp_op": ">",
                                             "cmp_value": "1"})
    assert response.status_code == 200
    assert soup_of(response).select_one("form.comparison .error").get_text() == "请选择数字项、比较符并填写数值。"
    # the figure choices: every alias, then every figure key of tables 二, 三 and 四, labelled per language
    from indexer.aliases import ALIASES
    from indexer.figure_keys import all_figure_keys
    for lang, label in (("zh", "applications — 新收申请"), ("en", "applications — Applications")):
        select = soup_of(client.get("/", query_string={"q": "", "lang": lang})).select_one("select[name=cmp_field]")
        by_table = [key for table in ("t2.", "t3.", "t4.") for key in all_figure_keys() if key.startswith(table)]
        assert [o["value"] for o in select.select("option")] == [*ALIASES, *by_table]
        assert len(by_table) == len(all_figure_keys())
        assert [g["label"] for g in select.select("optgroup")][1:] == ["t2.*", "t3.*", "t4.*"]
        assert select.select_one('option[value="applications"]').get_text() == label


def test_malformed_query_shows_the_parser_message_inline(client):
    response = client.get("/", query_string={"q": "procurement_count>>0"})
    assert response.status_code == 200
    error = soup_of(response).select_one(".query-error")
    assert error.select_one(".message").get_text().startswith("unexpected '>' at column 18")
    assert error.select_one(".query-pointer .here").get_text() == ">"
    assert soup_of(client.get("/", query_string={"q": "信访", "sort": "bogus"})).select_one(".query-error")


def test_sort_by_year_and_paging(client, app):
    soup = soup_of(client.get("/?sort=-year"))
    years = [int(li.select_one(".year").get_text()) for li in soup.select("li.hit")]
    assert years == sorted(years, reverse=True)
    small = create_app({"TESTING": True, "XXGK_CONFIG": _with_page_size(app.config["XXGK_CONFIG"], 3)}).test_client()
    first = soup_of(small.get("/?sort=year"))
    assert len(hit_ids(first)) == 3
    assert first.select_one("nav.pager span").get_text() == "第 1 / 4 页"
    next_link = first.select_one("nav.pager a[rel=next]")
    assert parse_qs(urlsplit(next_link["href"]).query) == {"page": ["2"], "sort": ["year"]}
    second = soup_of(small.get(next_link["href"]))
    assert not set(hit_ids(first)) & set(hit_ids(second))


def _with_page_size(config, n):
    return replace(config, page_size=n)


def test_snippets_link_to_the_section_with_the_query(client):
    soup = soup_of(client.get("/?q=信访"))
    link = soup.select_one("li.hit .snippets a.snippet-link")
    url = urlsplit(link["href"])
    assert re.fullmatch(r"/reports/[0-9a-f]{16}", url.path)
    assert re.fullmatch(r"s[1-6]", url.fragment)
    assert parse_qs(url.query)["q"] == ["信访"]
    assert link.find_next_sibling("span", class_="snippet").select("mark")


# -- JSON --------------------------------------------------------------------------

def test_api_search_is_the_collection_result(client, collection):
    for path in ("/api/search", "/search.json"):
        body = client.get(path, query_string={"q": "信访", "sort": "-year"}).get_json()
        assert body == json.loads(json.dumps(with_links(collection.search("信访", sort="-year")).to_builtins()))
    assert client.get("/api/search?q=信访&page=2&per_page=1").get_json()["page"] == 2


def test_api_malformed_query_is_400_with_position(client):
    response = client.get("/api/search", query_string={"q": "procurement_count>>0"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["position"] == 18 and body["error"].startswith("unexpected '>' at column 18")
    # a number past Python's 4,300 digits for int() (a server error before)
    for path in ("/api/stats", "/stats.json"):
        response = client.get(path, query_string={"q": "", "rank": "applications", "n": "9" * 5000})
        assert response.status_code == 400, path
        assert response.get_json()["error"] == "n must be a whole number between 1 and 100"
    # past a bound (a server error before: 300 nested parentheses overran Python's stack)
    response = client.get("/api/search", query_string={"q": "(" * 300 + "信访" + ")" * 300})
    assert response.status_code == 400
    assert response.get_json() == {"error": "parentheses nested too deep (at most 32) at column 33", "position": 33}


def test_api_report_and_unknown_ids(client, collection):
    report_id = report_id_of(collection, "市中区信访局", 2020)
    assert client.get(f"/api/reports/{report_id}").get_json() == json.loads(
        json.dumps(collection.get(report_id).to_dict()))
    for bad in ("0000000000000000", "../../etc/passwd", "x"):
        response = client.get(f"/api/reports/{bad}")
        assert response.status_code == 404 and "error" in response.get_json()


def test_openapi_document_describes_the_api(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/api/search", "/api/reports/{id}"}
    search = doc["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "page", "sort"}
    assert set(search["responses"]) == {"200", "400", "414", "503"}
    assert "404" in doc["paths"]["/api/reports/{id}"]["get"]["responses"]


def _validator(doc: dict, path: str, status: str) -> jsonschema.Draft202012Validator:
    """A validator of one documented response, its $refs resolved against the whole document."""
    schema = doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


def test_the_openapi_schemas_are_valid_json_schema(client):
    doc = client.get("/api/openapi.json").get_json()
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    hit = doc["components"]["schemas"]["LinkedHit"]
    # what the hand-written document got wrong: null scores of sorted hits, the section headings
    assert {"type": "null"} in hit["properties"]["score"]["anyOf"]
    assert "heading" in doc["components"]["schemas"]["HitSection"]["required"]
    assert "1-based" in doc["components"]["schemas"]["Error"]["properties"]["position"]["description"]


@pytest.mark.parametrize("query", [
    {"q": "信访"},                                  # hits with sections and snippets
    {"q": ""},                                      # every report, no text terms
    {"q": "信访", "sort": "-year"},                   # sorted: every score is null
    {"q": "type:信访", "sort": "-applications"},      # sorted by a figure
    {"q": "信访", "page": "2", "per_page": "1"},
    {"q": "这个词不在任何报告里"},                     # no hits
    {"q": "信访", "rates": "true"},                   # with the rate facets
    {"q": "", "agencies": "true", "rates": "true"},   # and the agency keys
])
def test_every_search_response_validates_against_the_document(client, query):
    doc = client.get("/api/openapi.json").get_json()
    for path in ("/api/search", "/search.json"):
        response = client.get(path, query_string=query)
        assert response.status_code == 200
        body = response.get_json()
        _validator(doc, "/api/search", "200").validate(body)
        rates = RATES if query.get("rates") else ()
        agency = ("agency",) if query.get("agencies") else ()
        assert body["facets"] and set(body["facets"]) == {"year", "type", "province", "level", "template", "flags",
                                                          *agency, *rates}
    if query.get("sort"):
        assert body["hits"] and all(hit["score"] is None for hit in body["hits"])


@pytest.mark.parametrize("query", [{"q": "procurement_count>>0"}, {"q": "信访", "sort": "price"}, {"q": '"信访'}])
def test_every_error_response_validates_against_the_document(client, query):
    doc = client.get("/api/openapi.json").get_json()
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    _validator(doc, "/api/search", "400").validate(response.get_json())


def test_report_responses_validate_against_the_document(client, collection):
    doc = client.get("/api/openapi.json").get_json()
    for report_id in collection.search_ids(""):
        response = client.get(f"/api/reports/{report_id}")
        assert response.status_code == 200
        _validator(doc, "/api/reports/{id}", "200").validate(response.get_json())
    missing = client.get("/api/reports/0000000000000000")
    assert missing.status_code == 404
    _validator(doc, "/api/reports/{id}", "404").validate(missing.get_json())


def test_agency_responses_validate_against_the_document(client, collection):
    doc = client.get("/api/openapi.json").get_json()
    keys = collection.search("", agencies=True)["facets"]["agency"]
    assert len(keys) >= 8
    for key in keys:
        response = client.get(f"/api/agencies/{key}")
        assert response.status_code == 200
        _validator(doc, "/api/agencies/{key}", "200").validate(response.get_json())
        assert client.get(f"/agencies/{key}", query_string={"lang": "en"}).status_code == 200
    missing = client.get("/api/agencies/-/nobody")
    assert missing.status_code == 404
    _validator(doc, "/api/agencies/{key}", "404").validate(missing.get_json())
    body = client.get(f"/api/agencies/{next(iter(keys))}").get_json()
    body["years"][0]["figures"]["grant_rate"] = "0.5"                     # a rate is a number or null
    with pytest.raises(jsonschema.ValidationError):
        _validator(doc, "/api/agencies/{key}", "200").validate(body)


def test_the_validators_reject_what_the_document_does_not_allow(client):
    doc = client.get("/api/openapi.json").get_json()
    body = client.get("/api/search", query_string={"q": "信访"}).get_json()
    body["hits"][0]["sections"][0].pop("heading")
    with pytest.raises(jsonschema.ValidationError):
        _validator(doc, "/api/search", "200").validate(body)
    with pytest.raises(jsonschema.ValidationError):
        _validator(doc, "/api/search", "400").validate({"error": "x", "position": "18"})


# -- report page -----------------------------------------------------------------

def test_report_page_has_six_anchored_parts_and_marks_the_query(client, collection):
    report_id = report_id_of(collection, "市中区信访局", 2020)
    soup = soup_of(client.get(f"/reports/{report_id}?q=信访"))
    assert [s["id"] for s in soup.select("section.part")] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert soup.select_one(".report-meta .agency").get_text() == "市中区信访局"
    marks = soup.select("#s1 .text mark")
    assert marks and all(m.get_text() == "信访" for m in marks)
    assert not soup_of(client.get(f"/reports/{report_id}")).select("mark")


def test_report_tables_follow_the_template_and_keep_blank_cells_blank(client, collection):
    report_id = report_id_of(collection, "市中区信访局", 2020)
    report = collection.get(report_id)
    soup = soup_of(client.get(f"/reports/{report_id}"))
    assert soup.select_one("table.t2")["data-template"] == report.template == "2019"
    assert soup.select_one('td[data-key="t2.procurement.count"]').get_text() == "6"
    assert soup.select_one('td[data-key="t2.procurement.amount_wan"]').get_text() == "63.2"
    keys = [td["data-key"] for td in soup.select("table.report-table td[data-key]")]
    assert sorted(keys) == sorted(figure_keys("2019"))
    for td in soup.select("table.report-table td[data-key]"):
        value = report.figures.get(td["data-key"])
        assert td.get_text() == format_number(value)
        assert ("blank" in td["class"]) == (value is None)


def test_report_flags_are_explained_and_their_cells_marked(client, collection):
    flagged = [r for r in (collection.get(h["id"]) for h in collection.search("", per_page=50)["hits"])
               if any(f.code in ("t3_balance", "t3_outcomes", "t3_row_total", "t4_total") for f in r.flags)]
    assert flagged, "the corpus has reports failing a consistency check"
    for report in flagged:
        soup = soup_of(client.get(f"/reports/{report.id}"))
        items = soup.select("#flags li.flag-item")
        assert [li["data-code"] for li in items] == [f.code for f in report.flags]
        assert all(len(li.get_text(strip=True)) > len(li["data-code"]) + 5 for li in items)
        for li, flag in zip(items, report.flags):
            assert bool(li.select_one(".marks-cells")) == bool(flag_keys(flag, report.template))
        marked = {td["data-key"] for td in soup.select("td.flagged")}
        expected = set().union(*(flag_keys(f, report.template) for f in report.flags))
        assert marked == expected and marked


def test_source_download_sends_the_stored_file_under_its_name(client, collection):
    report_id = report_id_of(collection, "市中区信访局", 2020)
    response = client.get(f"/reports/{report_id}/source")
    assert response.status_code == 200
    assert response.data == (CORPUS / "seeds" / "000_7eb9f2b2a221df7d.txt").read_bytes()
    assert "000_7eb9f2b2a221df7d.txt" in response.headers["Content-Disposition"]
    assert soup_of(client.get(f"/reports/{report_id}")).select_one("a#download-source")["href"] == \
        f"/reports/{report_id}/source"


def test_unknown_reports_are_404_pages(client):
    for path in ("/reports/0000000000000000", "/reports/..%2F..%2Fetc%2Fpasswd", "/reports/0000000000000000/source",
                 "/reports/x/source", "/no/such/page"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert soup_of(response).select_one(".error-page h1").get_text().startswith("404")


def test_same_agency_other_years_side_by_side(client, collection):
    hits = sorted(collection.search('agency:"平潭综合实验区"')["hits"], key=lambda h: h["year"])
    assert [h["year"] for h in hits] == [2019, 2022, 2024]
    soup = soup_of(client.get(f"/reports/{hits[-1]['id']}"))
    table = soup.select_one("#years table.compare")
    assert [th.get_text(" ", strip=True) for th in table.select("thead th")][1:] == ["2019", "2022", "2024 本报告"]
    applications = [report_aliases(collection.get(h["id"]).figures)["applications"] for h in hits]
    row = next(tr for tr in table.select("tbody tr") if tr.th.get_text() == "新收申请")
    cells = row.select("td")
    assert cells[0].get_text(" ", strip=True) == format_number(applications[0])  # the first year: no change
    # each year beside its change on the year before (2022: 74 new, 2024: 218)
    assert applications[1:] == [74, 218]
    assert cells[2].select_one(".change").get_text() == "+" + format_number(218 - 74)


# -- untrusted text ---------------------------------------------------------------

def test_injected_markup_is_escaped_everywhere(client, collection):
    hits = collection.search("alert")["hits"]
    assert len(hits) == 1
    report = collection.get(hits[0]["id"])
    assert SCRIPT in report.agency or ATTRIBUTE.strip('"') in (report.agency or "")
    assert SCRIPT in report.section(1).text
    pages = [client.get("/?q=alert"), client.get(f"/reports/{report.id}?q=alert"), client.get("/?q=民政局"),
             client.get("/stats?q=alert")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert SCRIPT not in html
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all(attrs={"onmouseover": True})
        assert not [s for s in soup.find_all("script") if "alert" in (s.string or "") or "alert" in s.get("src", "")]
    snippet = soup_of(pages[0]).select_one("li.hit .snippet")
    assert "<script>" in snippet.get_text() and snippet.select("mark")
    assert soup_of(pages[1]).select_one(".report-meta .agency").get_text() == report.agency


def test_content_security_policy_allows_only_our_scripts(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


# -- stats and export --------------------------------------------------------------

def test_stats_view_tables_and_chart_data(client, collection):
    stats = collection.stats("信访")
    soup = soup_of(client.get("/stats?q=信访"))
    rows = {tr.th.get_text(): int(tr.select("td")[0].get_text()) for tr in soup.select("#per-year tbody tr")}
    assert rows == {year: value["count"] for year, value in stats["per_year"].items()}
    applications = {tr.th.get_text(): tr.select("td")[1].get_text() for tr in soup.select("#per-year tbody tr")}
    assert applications == {y: format_number(v["sums"]["applications"]) for y, v in stats["per_year"].items()}
    types = {tr.th.get_text(): int(tr.select("td")[0].get_text()) for tr in soup.select("#per-type tbody tr")}
    assert types == {name: value["count"] for name, value in stats["per_type"].items()}
    outcomes = {tr["data-key"]: tr.td.get_text() for tr in soup.select("#outcomes tbody tr")}
    assert outcomes == {k: format_number(v) for k, v in stats["outcomes"].items()}
    chart = json.loads(soup.select_one("#stats-data")["data-chart"])
    assert chart["years"] == list(stats["per_year"]) and sum(chart["year_counts"]) == stats["total"]
    assert soup.select_one("canvas#chart-years") and soup.select_one("canvas#chart-outcomes")
    assert client.get("/stats?q=year:>>").status_code == 200
    assert client.get("/stats.json?q=信访").get_json() == json.loads(json.dumps(stats))
    assert client.get("/stats.json?q=year:>>").status_code == 400


def test_exports_are_the_bytes_of_xxgk_export(client, collection, web_config, tmp_path):
    for fmt in ("csv", "json"):
        response = client.get(f"/export.{fmt}", query_string={"q": "信访"})
        assert response.status_code == 200
        assert response.data == collection.export("信访", fmt)
        out = tmp_path / f"out.{fmt}"
        result = CliRunner().invoke(cli, ["export", "信访", "--format", fmt, "--output", str(out),
                                          "--data", str(web_config.data_dir)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == response.data
    assert client.get("/export.csv?q=信访").data.startswith(b"\xef\xbb\xbf")
    assert client.get("/export.xml?q=信访").status_code == 404
    assert client.get("/export.csv?q=a>>").status_code == 400


def test_the_app_sees_reports_ingested_while_it_runs(tmp_path, web_config):
    config = replace(web_config, data_dir=tmp_path / "data")
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    ingest_paths(seeds[:1], config)
    app = create_app({"TESTING": True, "XXGK_CONFIG": config})
    client = app.test_client()
    assert client.get("/api/search").get_json()["total"] == 1
    index = app.extensions["xxgk"].get().index
    searcher = index.searcher
    assert client.get("/api/search?q=公开").status_code == 200
    # no commit, no new searcher: the facets it has counted stay memoised
    assert index.searcher is searcher and index.memo(searcher)
    ingest_paths(seeds[1:2], config)
    assert client.get("/api/search").get_json()["total"] == 2
    assert index.searcher is not searcher


def test_links_are_the_urls_url_for_builds(app):
    """web/links.py encodes query strings itself (url_for was 6 ms of a search page): the same strings."""
    from flask import url_for

    from web.links import link
    texts = ["信访 year:2020", 'agency:"合川区 信访办" -x', "a&b=c#d?e/f", "+100% <script>", "grant_rate>=0.2", "", "~`^[]{}|\\",
             "O'Brien (信访)! 1*2, $3; @x"]
    for lang in ("", "en"):
        with app.test_request_context("/", query_string={"lang": lang} if lang else {}):
            extra = {"lang": "en"} if lang else {}
            for text in texts:
                assert link("search.index", q=text, page=2, sort="-year") == url_for("search.index", q=text, page=2, sort="-year", **extra)
                assert link("search.index", q=text, page=None) == url_for("search.index", q=text, **extra)
                assert (link("reports.report_page", report_id="e35090fd5ffeebf0", q=text, _anchor=f"s1 {text}")
                        == url_for("reports.report_page", report_id="e35090fd5ffeebf0", q=text, _anchor=f"s1 {text}", **extra))
                assert (link("agencies.agency_page", key=f"370402/{text}市中区信访局")
                        == url_for("agencies.agency_page", key=f"370402/{text}市中区信访局", **extra))
            assert link("search.export", fmt="csv", q="信访", shape="long") == url_for("search.export", fmt="csv", q="信访", shape="long", **extra)
            assert link("search.index") == url_for("search.index", **extra)


# -- language ----------------------------------------------------------------------

def test_chinese_by_default_english_on_request_and_kept_in_links(client):
    soup = soup_of(client.get("/?q=信访"))
    assert soup.html["lang"] == "zh-CN" and soup.select_one("a.brand").get_text() == "政府信息公开年报检索"
    response = client.get("/?q=信访&lang=en")
    soup = soup_of(response)
    assert soup.html["lang"] == "en" and soup.select_one("a.brand").get_text() == "Open-government annual report search"
    assert "lang=en" in response.headers["Set-Cookie"]
    facet = soup.select_one("section.facet a")
    assert parse_qs(urlsplit(facet["href"]).query)["lang"] == ["en"]
    assert soup.select_one('form#search-form input[name="lang"]')["value"] == "en"
    client.set_cookie("lang", "en")
    assert soup_of(client.get("/")).html["lang"] == "en"


@pytest.mark.parametrize("url, status", [
    ("/?q=信访&_method=POST&_external=1", 200),  # url_for's own options
    ("/reports/{id}?report_id=0000000000000000&q=信访", 200),  # the path's own names
    ("/export.xlsx?fmt=csv", 404),  # on an error page too
    ("/no-such-page?fmt=a&a=1&a=2", 404),
])
def test_the_language_switch_keeps_the_page_whatever_its_query_names(client, collection, url, status):
    """Every query value, under any name, is carried to the other language's URL as it was sent:
    `?_method=` and a path's own name once made the page (and then its error page) fail."""
    url = url.format(id=report_id_of(collection, "市中区信访局", 2020))
    response = client.get(url)
    assert response.status_code == status
    switch = urlsplit(soup_of(response).select_one("a.lang")["href"])
    sent = urlsplit(url)
    assert switch.path == (sent.path if status == 200 or sent.path == "/export.xlsx" else "/")
    assert parse_qs(switch.query) == {**parse_qs(sent.query), "lang": ["en"]}


# -- serve --get -------------------------------------------------------------------

def test_serve_get_renders_a_path_in_process(web_config):
    runner = CliRunner()
    data = ["--data", str(web_config.data_dir)]
    result = runner.invoke(cli, ["serve", "--get", "/api/search?q=" + MISSION_QUERY, *data])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [(h["agency"], h["year"]) for h in body["hits"]] == [("市中区信访局", 2020)]
    result = runner.invoke(cli, ["serve", "--get", "/reports/0000000000000000", *data])
    assert result.exit_code == 1 and "404" in result.output


def test_serve_reports_a_broken_data_directory_in_one_line(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "meta.json").write_text("not an index")
    result = CliRunner().invoke(cli, ["serve", "--get", "/", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "the index is damaged (meta.json: " in result.output
    assert result.output.strip().endswith(f"rebuild it from the store: xxgk ingest --reindex --data {tmp_path}")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


# -- pure helpers ------------------------------------------------------------------

def test_query_state_adds_and_removes_tokens():
    assert query_tokens('信访 "政务 公开" type:"a b" applications >= 3') == \
        ["信访", '"政务 公开"', 'type:"a b"', "applications>=3"]
    assert add_token("信访", "year:2020") == "信访 year:2020"
    assert add_token("信访 year:2020", "year:2020") == "信访 year:2020"
    assert add_token("a OR b", "year:2020") == "(a OR b) year:2020"
    assert remove_token("信访 year:2020 type:信访", "year:2020") == "信访 type:信访"
    assert facet_token("flags", "t3_balance") == "flag:t3_balance"
    assert facet_token("type", "a b") == 'type:"a b"'
    assert [c.token for c in active_chips("信访 year:2020 -flag:x applications>0 word")] == \
        ["year:2020", "-flag:x", "applications>0"]
    assert comparison_token("t4.review.corrected", ">", "0") == "t4.review.corrected>0"
    for bad in (("nope", ">", "1"), ("applications", "=>", "1"), ("applications", ">", "x")):
        with pytest.raises(ComparisonError):
            comparison_token(*bad)


def test_mark_terms_escapes_text_and_marks_matches():
    text = '信访局收到<script>alert(1)</script>"onmouseover=x'
    html = str(mark_terms(text, Highlighter.of_query("信访")))
    assert html == "<mark>信访</mark>局收到&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover=x"
    assert str(mark_terms(text, Highlighter.of_query(""))) == "信访局收到&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover=x"
    assert Highlighter.of_query("a>>") is None
    assert str(mark_terms("政务公开和公开", Highlighter.of_query('"政务公开"'))) == "<mark>政务公开</mark>和公开"


def test_report_parts_mark_only_the_parts_a_section_filter_names():
    report = Report(id="0" * 16, source={}, sections=[
        Section(1, "一、总体情况", "一、总体情况\n信访<b>工作</b>", 0, 20), Section(5, "五、存在的主要问题及改进情况",
                                                                      "五、存在的主要问题及改进情况 信访问题", 20, 40)])
    parts = report_parts(report, Highlighter.of_query("信访 section:5"))
    assert [p["n"] for p in parts] == [1, 2, 3, 4, 5, 6]
    assert [p["found"] for p in parts] == [True, False, False, False, True, False]
    assert str(parts[0]["html"]) == "信访&lt;b&gt;工作&lt;/b&gt;" and not parts[0]["has_marks"]
    # the matching sentence carries its passage's anchor: its offset in the part's text
    assert str(parts[4]["html"]) == '<span class="passage" id="p5-15"><mark>信访</mark>问题</span>' and parts[4]["has_marks"]
    assert parts[1]["html"] is None and str(parts[1]["heading"]) == "二、主动公开政府信息情况"
    assert str(report_parts(report, Highlighter.of_query("信访"))[0]["html"]) == \
        '<span class="passage" id="p1-7"><mark>信访</mark>&lt;b&gt;工作&lt;/b&gt;</span>'


def test_flag_keys_name_the_cells_a_check_involves():
    assert flag_keys(Flag("t3_balance", "natural"), "2019") == {
        "t3.new.natural", "t3.carried_over.natural", "t3.total.natural", "t3.carried_forward.natural"}
    assert flag_keys(Flag("t4_total", "review"), "2021") == {
        f"t4.review.{c}" for c in ("maintained", "corrected", "other", "pending", "total")}
    row = flag_keys(Flag("t3_row_total", "denied.state_secret"), "2019")
    assert row == {f"t3.denied.state_secret.{c}" for c in
                   ("natural", "commercial", "research", "social", "legal", "other_org", "total")}
    assert len(flag_keys(Flag("t3_outcomes", "total"), "2021")) == 22
    assert flag_keys(Flag("unit_assumed", "t2.procurement.amount_wan"), "2019") == {"t2.procurement.amount_wan"}
    assert flag_keys(Flag("region_ambiguous", None), "2019") == set()
    assert flag_keys(Flag("blank_cells", "t3"), "2019") == set()
    assert flag_keys(Flag("digits_ambiguous", "t4"), "2019") == {k for k in figure_keys("2019") if k.startswith("t4.")}
    assert flag_keys(Flag("digits_ambiguous", "denied.state_secret"), "2019") == row
    assert flag_keys(Flag("rows_unaligned", "t2.procurement"), "2019") == {"t2.procurement.count",
                                                                           "t2.procurement.amount_wan"}


def test_table3_layout_spans_match_the_template():
    for template in ("2019", "2021"):
        report = Report(id="0" * 16, source={}, template=template)
        rows = table3_model(report)
        assert len(rows) == len(T3_ROWS[template])
        # every row fills three label columns, counting the cells carried down by a rowspan
        carried = [0, 0]
        for labels, cells in rows:
            width = sum(label.colspan for label in labels) + sum(1 for c in carried if c > 0)
            assert width == 3 and len(cells) == 7
            carried = [max(0, c - 1) for c in carried]
            for label in labels:
                if label.rowspan > 1:
                    carried[0 if label.text.startswith("三、") else 1] = label.rowspan - 1
        assert all(c.value is None for _, cells in rows for c in cells)


def test_agency_years_computes_changes_only_between_filled_values():
    def report(rid, year, new):
        return Report(id=rid, source={}, year=year, template="2019", figures={"t3.new.total": new})
    model = agency_years([report("b" * 16, 2021, 7), report("a" * 16, 2020, 4), report("c" * 16, 2022, None)], "b" * 16)
    assert [c["year"] for c in model["columns"]] == [2020, 2021, 2022]
    assert [c["current"] for c in model["columns"]] == [False, True, False]
    row = next(r for r in model["rows"] if r["alias"] == "applications")
    assert row["values"] == [{"value": 4, "change": None}, {"value": 7, "change": 3}, {"value": None, "change": None}]
    assert format_number(63.20) == "63.2" and format_number(6.0) == "6" and format_number(None) == "" and format_number(0) == "0"


# -- rates --------------------------------------------------------------------------

def rate_sidebar(client, q: str):
    """The agency and rate facets as the page gets them: the fragment its placeholder fetches on load."""
    page = soup_of(client.get("/", query_string={"q": q}))
    for name in ("grant_rate", "agency"):                                     # not counted with the page
        assert page.select_one(f'section.facet[data-facet="{name}"]') is None
    placeholder = page.select_one("details.more-facets")
    # counted when opened; open and fetched at once when the query filters on a rate or an agency
    filtered = any(rate in q for rate in RATES)
    assert placeholder["hx-trigger"] == ("load" if filtered else "toggle once")
    assert placeholder.has_attr("open") == filtered
    # without scripts, its link shows the page again with those facets in it
    inline = soup_of(client.get(placeholder.select_one("a")["href"]))
    fragment = soup_of(client.get(placeholder["hx-get"]))
    later = [section for section in inline.select("section.facet") if section["data-facet"] in (*RATES, "agency")]
    assert [section["data-facet"] for section in later][:2] == ["agency", "grant_rate"]
    assert str(fragment.select("section.facet")) == str(later)
    return fragment


def test_a_rate_facet_link_adds_and_removes_its_bucket(client, collection):
    soup = rate_sidebar(client, "")
    bucket = soup.select_one('section.facet[data-facet="grant_rate"] a[data-value="0.2..0.3"]')
    assert bucket is not None
    assert bucket.select_one(".count").get_text() == "2"          # 平潭 2022 (21/75), 上海科委 2024 (9/35)
    q = q_of(bucket["href"])
    assert q == "grant_rate>=0.2 grant_rate<0.3"
    assert collection.search(q)["total"] == 2
    soup = rate_sidebar(client, q)
    active = soup.select_one('section.facet[data-facet="grant_rate"] li.active a[data-value="0.2..0.3"]')
    assert active is not None and q_of(active["href"]) == ""


def test_the_api_counts_the_rate_facets_when_asked(client, collection):
    plain = client.get("/api/search", query_string={"q": ""}).get_json()["facets"]
    asked = client.get("/api/search", query_string={"q": "", "rates": "true"}).get_json()["facets"]
    assert not any(rate in plain for rate in RATES) and plain["year"] == asked["year"]
    later = collection.on_request_facets("")
    assert asked["grant_rate"]["0.2..0.3"] == 2 and asked["grant_rate"] == later["grant_rate"]
    assert "agency" not in plain and "agency" not in asked
    agencies = client.get("/api/search", query_string={"q": "", "agencies": "true"}).get_json()["facets"]
    assert agencies["agency"] == later["agency"] and len(agencies["agency"]) >= 8
    assert not any(rate in client.get("/api/search", query_string={"q": "", "rates": "false"}).get_json()["facets"]
                   for rate in RATES)


def test_the_stats_page_shows_rate_means_and_distribution(client, collection):
    soup = soup_of(client.get("/stats", query_string={"q": ""}))
    row = soup.select_one('#rates tr[data-rate="grant_rate"]')
    assert row is not None
    distribution = {span["data-bucket"]: span.get_text() for span in row.select(".distribution span")}
    assert distribution["0.2..0.3"] == "0.2..0.3: 2"
    means = {year: g["means"]["grant_rate"] for year, g in collection.stats("")["per_year"].items()}
    cells = [td.get_text() for td in row.select("td.num")]
    assert cells == [f"{format_number(means[y])} / "
                     f"{format_number(collection.stats('')['per_year'][y]['medians']['grant_rate'])}"
                     for y in sorted(means)]


def test_the_page_sorts_by_a_rate(client, collection):
    soup = soup_of(client.get("/", query_string={"q": "", "sort": "-grant_rate"}))
    assert soup.select_one('select[name="sort"] option[value="-grant_rate"]') is not None
    ids = [li["data-id"] for li in soup.select("li.hit")]
    rates = [report_aliases(collection.get(i).figures)["grant_rate"] for i in ids]
    known = [r for r in rates if r is not None]
    assert len(known) >= 4 and known == sorted(known, reverse=True)
    assert rates == known + [None] * (len(rates) - len(known))   # blank rates last
