"""The research views over the web test corpus: passages (keyword in context), links down to
the figure cell, comparing reports, citations. Through the Collection, the CLI and Flask's
test client; HTML asserted by structure (BeautifulSoup)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import rispy
from bs4 import BeautifulSoup
from click.testing import CliRunner
from pybtex.database import parse_string
from werkzeug.http import parse_options_header

from indexer.aliases import ALIASES, COUNT_ALIASES, RATES, alias_sources, report_aliases
from indexer.citation import citation_to_bibtex, citation_to_ris, report_citation
from indexer.cli import cli
from indexer.figure_keys import TEMPLATES, figure_keys
from indexer.matches import figure_matches, query_targets
from indexer.passages import report_passages, split_sentences
from indexer.query import parse_query, text_terms
from indexer.report import Report
from web import create_app
from web.report_view import cells_by_flag, format_number, format_rate
from web_helpers import CORPUS

SENTENCE_ENDS = "。！？；\n"


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def all_passages(collection, q):
    return collection.passages(q, per_page=1000).passages


# -- passages ----------------------------------------------------------------------

def test_split_sentences_cuts_after_chinese_sentence_ends_and_at_line_ends():
    text = "  第一句。第二句！第三句？\n 第四；；末尾没有句号\n\n"
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces == ["第一句。", "第二句！", "第三句？", "第四；；", "末尾没有句号"]


def test_every_passage_is_an_exact_sentence_holding_the_query(collection):
    passages = all_passages(collection, "不予公开")
    assert len(passages) == 4  # three reports: part 1 once, part 3 (table 三's label) in each
    ids = collection.search_ids("不予公开")
    assert {p.id for p in passages} <= set(ids)
    for p in passages:
        section = collection.get(p.id).section(p.part)
        assert p.heading == section.heading
        if p.offset is None:  # the part's heading line
            assert p.sentence in section.heading
            continue
        assert section.text[p.offset:p.offset + len(p.sentence)] == p.sentence
        before = section.text[:p.offset].rstrip(" \t\u3000")
        after = section.text[p.offset + len(p.sentence):]
        after = after.lstrip(" \t\u3000")
        assert before in ("", section.heading) or before[-1] in SENTENCE_ENDS  # the heading is a line of its own
        assert after == "" or after[0] in SENTENCE_ENDS or p.sentence[-1] in SENTENCE_ENDS
        assert "不予公开" in re.sub(r"\s", "", p.sentence)
        marked = BeautifulSoup(p.html, "html.parser")
        assert marked.get_text() == p.sentence
        assert "".join(m.get_text() for m in marked.select("mark")).replace("\n", "").startswith("不予公开")


def test_a_known_refusal_sentence_of_the_shanghai_report(collection):
    """corpus/real: 上海市科委 2024, part 1 states its refusals in one sentence."""
    passages = [p for p in all_passages(collection, "不予公开") if p.agency == "上海市科委" and p.part == 1]
    assert [p.sentence for p in passages] == ["申请中同意公开答复 9 件，部分公开答复 0 件，不予公开答复 2"]
    assert passages[0].html == "申请中同意公开答复 9 件，部分公开答复 0 件，<mark>不予公开</mark>答复 2"
    # a table label torn over two lines stays one passage
    torn = [p for p in all_passages(collection, "不予公开") if p.agency == "上海市科委" and p.part == 3]
    assert [p.sentence for p in torn] == ["（三）不\n予公开"]


def test_a_section_filter_keeps_passages_to_that_part(collection):
    every = all_passages(collection, "不予公开")
    part3 = all_passages(collection, "section:3 不予公开")
    assert part3 and {p.part for p in part3} == {3}
    assert sorted((p.id, p.offset) for p in part3) == sorted((p.id, p.offset) for p in every if p.part == 3)


def test_passages_use_the_search_highlighter(collection):
    """One matcher: what a hit's snippet marks, the passages mark."""
    hit = collection.search("信访")["hits"][0]
    report = collection.get(hit["id"])
    passages = report_passages(report, text_terms(parse_query("信访")))
    snippet_marks = set(re.findall(r"<mark>(.*?)</mark>", "".join(s["snippet"] for s in hit["sections"])))
    passage_marks = {m for p in passages for m in re.findall(r"<mark>(.*?)</mark>", p.html)}
    assert snippet_marks and snippet_marks <= passage_marks
    assert {p.part for p in passages} == {s["n"] for s in hit["sections"]}


def test_passage_paging_counts_every_passage(collection):
    every = all_passages(collection, "信访")
    first, second = collection.passages("信访", page=1, per_page=3), collection.passages("信访", page=2, per_page=3)
    assert first.total == len(every) and first.reports == len({p.id for p in every})
    assert first.passages + second.passages == every[:6]


def test_passages_page_links_land_on_the_marked_sentence(client, collection):
    soup = soup_of(client.get("/passages?q=section:3 不予公开"))
    items = soup.select("ol.passage-list > li.passage")
    expected = all_passages(collection, "section:3 不予公开")
    assert len(items) == min(len(expected), collection.config.page_size)
    for item, passage in zip(items, expected):
        link = item.select_one("a.sentence-link")
        assert link.get_text() == passage.sentence
        assert [m.get_text() for m in link.select("mark")]
        parts = urlsplit(link["href"])
        assert parts.path == f"/reports/{passage.id}"
        assert parse_qs(parts.query)["q"] == ["section:3 不予公开"]
        assert parts.fragment == f"p3-{passage.offset}"
        target = soup_of(client.get(f"{parts.path}?{parts.query}")).find(id=parts.fragment)
        assert target is not None and target.get_text() == passage.sentence
        assert target.find_parent("section")["id"] == "s3" and target.select("mark")


def test_passages_page_without_words_or_with_a_bad_query(client):
    assert soup_of(client.get("/passages")).select_one("#passage-results p.note")
    assert soup_of(client.get("/passages?q=year:2019")).select_one("p.empty")
    error = soup_of(client.get("/passages?q=%22unclosed"))
    assert error.select_one("p.query-error")


def test_passages_fragment_for_htmx_and_pager_links(client, web_config):
    response = client.get("/passages?q=信访", headers={"HX-Request": "true", "HX-Target": "passage-results"})
    soup = soup_of(response)
    assert soup.select_one("#passage-results") and not soup.select_one("#passages-form")
    app = create_app({"TESTING": True, "XXGK_CONFIG": _page_size(web_config, 2)})
    page2 = soup_of(app.test_client().get("/passages?q=信访&page=2"))
    assert page2.select_one("ol.passage-list")["start"] == "3"
    assert parse_qs(urlsplit(page2.select_one("nav.pager a[rel=prev]")["href"]).query)["page"] == ["1"]


def _page_size(config, n):
    from dataclasses import replace
    return replace(config, page_size=n)


def test_injected_markup_stays_text_in_passages(client):
    soup = soup_of(client.get("/passages?q=alert"))
    sentence = soup.select_one("a.sentence-link")
    assert "<script>alert(1)</script>" in sentence.get_text()
    assert not soup.find_all("script", string=re.compile("alert"))
    assert not soup.find_all(attrs={"onmouseover": True})


def test_passages_csv_from_the_web_and_the_cli(client, collection, web_config, tmp_path):
    q = "section:3 不予公开"
    body = client.get("/passages.csv", query_string={"q": q})
    assert parse_options_header(body.headers["Content-Disposition"]) == (
        "attachment", {"filename": "xxgk-passages.csv"})
    raw = body.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = all_passages(collection, q)
    assert [(r["id"], int(r["part"]), int(r["offset"]), r["sentence"]) for r in rows] == \
        [(p.id, p.part, p.offset, p.sentence) for p in expected]
    assert all(r["url"].startswith("http://localhost/reports/") and r["url"].endswith(f"#p3-{r['offset']}")
               for r in rows)
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(cli, ["export", q, "--passages", "--data", str(web_config.data_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    cli_rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [r["url"] for r in cli_rows] == [r["url"].removeprefix("http://localhost") for r in rows]
    assert [{k: v for k, v in r.items() if k != "url"} for r in cli_rows] == \
        [{k: v for k, v in r.items() if k != "url"} for r in rows]
    bad = CliRunner().invoke(cli, ["export", q, "--passages", "--format", "json", "--data", str(web_config.data_dir)])
    assert bad.exit_code != 0 and "--passages exports CSV only" in bad.output


def test_search_page_links_to_the_passages_of_its_query(client):
    soup = soup_of(client.get("/?q=信访"))
    link = soup.select_one("#show-passages")
    assert urlsplit(link["href"]).path == "/passages" and parse_qs(urlsplit(link["href"]).query)["q"] == ["信访"]


# -- citations ---------------------------------------------------------------------

GOLDEN_META = Path(__file__).resolve().parent / "golden_meta"


def _pingtan_2022(collection):
    golden = json.loads((GOLDEN_META / "fj_pingtan_2022_page.json").read_text(encoding="utf-8"))
    report_id = collection.search_ids(f'agency:"{golden["agency"]}" year:{golden["year"]}')
    assert len(report_id) == 1
    return golden, collection.get(report_id[0])


def test_report_page_cites_what_the_golden_report_says(client, collection):
    golden, report = _pingtan_2022(collection)
    soup = soup_of(client.get(f"/reports/{report.id}"))
    block = soup.select_one("section#cite")
    values = {dd.select_one("code")["id"]: dd.select_one("code").get_text()
              for dd in block.select("dl.citation dd") if dd.select_one("code")}
    permalink = f"http://localhost/reports/{report.id}"
    assert values == {"cite-agency": golden["agency"], "cite-cite_title": golden["title"],
                      "cite-year": str(golden["year"]), "cite-cite_url": golden["url"],
                      "cite-cite_sha256": report.source["sha256"], "cite-cite_permalink": permalink}
    assert hashlib.sha256((CORPUS / "real" / "fj_pingtan_2022_page.txt").read_bytes()).hexdigest() == \
        report.source["sha256"]
    line = block.select_one("#cite-text").get_text()
    assert line == (f"{golden['agency']}. 《{golden['title']}》. {golden['year']}. {golden['url']}. "
                    f"sha256: {report.source['sha256']}. {permalink}.")
    # readable without JS: the copy buttons wait for the script, which the page loads from our own files
    assert all(b.has_attr("hidden") for b in block.select("button.copy"))
    assert {b["data-copy"] for b in block.select("button.copy")} <= {c["id"] for c in block.select("[id]")}
    script = soup.find("script", src=re.compile(r"^/static/cite\.js(\?v=[0-9a-f]+)?$"))
    assert script and client.get(script["src"]).status_code == 200


def test_bibtex_and_ris_downloads_parse_to_the_report(client, collection):
    golden, report = _pingtan_2022(collection)
    bib = client.get(block_link(client, report.id, "cite-bib"))
    assert parse_options_header(bib.headers["Content-Disposition"]) == (
        "attachment", {"filename": f"xxgk-{report.id}.bib"})
    assert bib.mimetype == "application/x-bibtex"
    entries = parse_string(bib.get_data(as_text=True), "bibtex").entries
    entry = entries[f"xxgk-{report.id}"]
    assert entry.type == "misc"
    assert str(entry.persons["author"][0]) == "{" + golden["agency"] + "}"
    assert entry.fields["title"] == golden["title"] and entry.fields["year"] == str(golden["year"])
    assert entry.fields["url"] == golden["url"] and entry.fields["date"] == golden["published"]
    assert entry.fields["note"] == f"sha256: {report.source['sha256']}"
    ris = client.get(block_link(client, report.id, "cite-ris"))
    assert parse_options_header(ris.headers["Content-Disposition"]) == (
        "attachment", {"filename": f"xxgk-{report.id}.ris"})
    [record] = rispy.loads(ris.get_data(as_text=True))
    assert record == {"type_of_reference": "RPRT", "id": f"xxgk-{report.id}", "title": golden["title"],
                      "urls": [golden["url"], f"http://localhost/reports/{report.id}"],
                      "authors": [golden["agency"]], "year": str(golden["year"]), "date": golden["published"],
                      "notes": [f"sha256: {report.source['sha256']}"]}
    assert client.get("/reports/0123456789abcdef.bib").status_code == 404
    assert client.get(f"/reports/{report.id}.txt").status_code == 404


def block_link(client, report_id, link_id):
    return soup_of(client.get(f"/reports/{report_id}")).select_one(f"a#{link_id}")["href"]


def test_citations_of_hostile_text_stay_well_formed():
    """Untrusted agency/title text: unbalanced braces, TeX specials and line breaks cannot break a record."""
    hostile = Report(id="ab" * 8, agency="某局 {未闭合 50% & $x$ #1 a_b \\end", title="第一行\n}第二行",
                     year=2021, source={"sha256": "f" * 64, "url": "https://x.gov.cn/a b{c}"})
    citation = report_citation(hostile, "http://h/reports/abababababababab")
    bib = citation_to_bibtex(citation)
    entry = parse_string(bib, "bibtex").entries["xxgk-abababababababab"]
    assert entry.fields["title"] == r"第一行 \textbraceright{}第二行"
    assert str(entry.persons["author"][0]) == \
        r"{某局 \textbraceleft{}未闭合 50\% \& \$x\$ \#1 a\_b \textbackslash{}end}"
    assert entry.fields["url"] == "https://x.gov.cn/a%20b%7Bc%7D"
    [record] = rispy.loads(citation_to_ris(citation))
    assert record["title"] == "第一行 }第二行" and record["authors"] == [hostile.agency]


# -- links down to the cell ----------------------------------------------------------

def test_every_figure_key_has_its_cell_on_the_report_page(client, collection):
    for report_id in collection.search_ids(""):
        report = collection.get(report_id)
        if report.template not in TEMPLATES:
            continue
        soup = soup_of(client.get(f"/reports/{report_id}"))
        ids = [td["id"] for td in soup.select("table.report-table td[id]")]
        tables = {int(k[1]) for k in report.figures}
        expected = [k for k in figure_keys(report.template) if int(k[1]) in tables and soup.select_one(f"table.t{k[1]}")]
        assert len(ids) == len(set(ids))
        assert set(expected) <= set(ids), set(expected) - set(ids)


def cell_links_of(soup) -> dict[str, list]:
    return {li["data-id"]: li.select("ul.cell-links a.cell-link") for li in soup.select("ol.hit-list > li.hit")}


@pytest.mark.parametrize("q, key", [("procurement_count>0", "t2.procurement.count"),
                                    ("t4.review.corrected>0", "t4.review.corrected"),
                                    ("信访 procurement_count>=1", "t2.procurement.count")])
def test_a_comparison_hit_shows_its_figure_and_links_to_the_marked_cell(client, collection, q, key):
    links = cell_links_of(soup_of(client.get("/", query_string={"q": q})))
    assert links and set(links) == set(collection.search_ids(q))
    test = q.split()[-1]
    for report_id, [link] in links.items():
        report = collection.get(report_id)
        value = report.figures[key]
        assert link.select_one("code").get_text() == test
        assert link.select_one("strong").get_text() == str(value)
        parts = urlsplit(link["href"])
        assert parts.path == f"/reports/{report_id}" and parse_qs(parts.query)["q"] == [q]
        assert parts.fragment == key
        cell = soup_of(client.get(f"{parts.path}?{parts.query}")).find(id=parts.fragment)
        assert cell.name == "td" and "matched" in cell["class"] and cell.get_text() == str(value)
        assert test in cell["title"]
        # without the query nothing is marked
        assert not soup_of(client.get(parts.path)).select("td.matched")


def test_an_alias_marks_every_cell_it_is_summed_from(client, collection):
    q = "denied>0"
    for report_id, [link] in cell_links_of(soup_of(client.get("/", query_string={"q": q}))).items():
        report = collection.get(report_id)
        value = report_aliases(report.figures)["denied"]
        assert link.select_one("strong").get_text() == str(value) and value > 0
        page = soup_of(client.get(link["href"]))
        marked = {td["id"]: td for td in page.select("td.matched")}
        assert set(marked) == set(alias_sources("denied", report.figures))
        assert sum(report.figures[k] for k in marked) == value
        landed = urlsplit(link["href"]).fragment
        assert landed in marked and report.figures[landed] > 0  # it lands on a cell that counts


def test_only_the_comparison_that_holds_is_shown(client, collection):
    q = "procurement_count>0 OR fees_amount>0"
    links = cell_links_of(soup_of(client.get("/", query_string={"q": q})))
    assert links
    for report_id, found in links.items():
        figures = report_aliases(collection.get(report_id).figures)
        expected = [t for t, alias in (("procurement_count>0", "procurement_count"), ("fees_amount>0", "fees_amount"))
                    if (figures[alias] or 0) > 0]
        assert [a.select_one("code").get_text() for a in found] == expected


def test_a_flag_filter_links_to_the_flagged_cells(client, collection):
    q = "flag:t4_total"
    links = cell_links_of(soup_of(client.get("/", query_string={"q": q})))
    assert links and set(links) == set(collection.search_ids(q))
    for report_id, [link] in links.items():
        report = collection.get(report_id)
        flagged = cells_by_flag(report)
        expected = {k for k, codes in flagged.items() if "t4_total" in codes}
        assert expected
        page = soup_of(client.get(link["href"]))
        assert {td["id"] for td in page.select("td.matched")} == expected
        assert urlsplit(link["href"]).fragment in expected


def _filled_keys(figures, keys):
    return [k for k in keys if figures.get(k) is not None]


def test_figure_matches_and_alias_sources_agree_with_the_aliases(collection):
    for report_id in collection.search_ids(""):
        figures = collection.get(report_id).figures
        aliases = report_aliases(figures)
        for alias in COUNT_ALIASES:  # a count is the sum of its cells
            sources = alias_sources(alias, figures)
            assert (sum(figures[k] for k in sources) if sources else None) == aliases[alias]
        # a rate points at its numerator's and its denominator's cells
        assert alias_sources("grant_rate", figures) == alias_sources("granted", figures) + [
            k for k in alias_sources("handled", figures) if k not in alias_sources("granted", figures)]
        assert alias_sources("correction_rate", figures) == _filled_keys(figures, ["t4.review.corrected"]) + [
            k for k in alias_sources("review", figures) if k != "t4.review.corrected"]
    compares, flags = query_targets('信访 (procurement_count>0 OR t4.review.corrected>=1) -denied>0 flag:t3_balance '
                                    'year>2019')
    assert [c.key for c in compares] == ["procurement_count", "t4.review.corrected"] and flags == ["t3_balance"]
    matches = figure_matches(compares, {"t2.procurement.count": 3, "t4.review.corrected": 0})
    assert [(m.test, m.value, m.cells) for m in matches] == [("procurement_count>0", 3, ("t2.procurement.count",))]
    assert query_targets('"unclosed') == ([], [])


# -- comparing reports ---------------------------------------------------------------

def _validator(doc: dict, path: str, status: str) -> jsonschema.Draft202012Validator:
    schema = doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


def _two_templates(collection):
    """Two reports of the 2021 template and one of 2019 (pingtan 2022, shanghai 2024, shizhong 2020)."""
    return [collection.search_ids(q)[0] for q in ('agency:"平潭综合实验区" year:2022', 'agency:"上海市科委"',
                                                   'agency:"市中区信访局" year:2020')]


def test_compare_page_shows_every_figure_side_by_side(client, collection):
    ids = _two_templates(collection)[:2]
    soup = soup_of(client.get("/compare", query_string={"ids": ",".join(ids)}))
    table = soup.select_one("table.compare-reports")
    columns = table.select("thead th.report-col")
    assert [th["data-id"] for th in columns] == ids
    assert [th.select_one("a")["href"] for th in columns] == [f"/reports/{i}" for i in ids]
    reports = [collection.get(i) for i in ids]
    assert [th.select_one("a").get_text() for th in columns] == [r.agency for r in reports]
    rows = {tr["data-key"]: tr for tr in table.select("tbody tr[data-key]")}
    assert [tb["data-group"] for tb in table.select("tbody")] == ["aliases", "t2", "t3", "t4"]
    assert set(rows) == set(ALIASES) | set(figure_keys("2021"))
    for key, tr in rows.items():
        values = [report_aliases(r.figures)[key] if key in ALIASES else r.figures.get(key) for r in reports]
        shown = format_rate if key in RATES else format_number  # a rate as a percentage, as the agency page has it
        assert [td.get_text() for td in tr.select("td")] == [shown(v) for v in values]
        assert ("differs" in tr.get("class", [])) == (len({("blank",) if v is None else float(v) for v in values}) > 1)
    assert rows["applications"].select_one("th").get_text().startswith("新收申请")
    assert rows["t3.new.total"].select_one("th").get_text().startswith("一、本年新收政府信息公开申请数量 · 总计")
    assert "differs" in rows["applications"]["class"]  # 74 against 34
    assert rows["grant_rate"].select("td")[0].get_text().endswith("%")


def test_compare_across_templates_shows_both_templates_keys(client, collection):
    ids = _two_templates(collection)
    body = client.get("/api/compare", query_string={"ids": ",".join(ids)}).get_json()
    keys = {row["key"] for group in body["groups"] for row in group["rows"]}
    assert keys == set(ALIASES) | set(figure_keys("2019")) | set(figure_keys("2021"))
    procurement = next(r for g in body["groups"] for r in g["rows"] if r["key"] == "t2.procurement.count")
    assert procurement["values"][:2] == [None, None] and procurement["values"][2] is not None
    assert procurement["differs"] is True


def test_compare_api_is_the_collection_s_comparison_and_documented(client, collection):
    ids = _two_templates(collection)[:2]
    response = client.get("/api/compare", query_string={"ids": ",".join(ids)})
    assert response.status_code == 200
    assert response.get_json() == collection.compare(ids).to_builtins()
    doc = client.get("/api/openapi.json").get_json()
    _validator(doc, "/api/compare", "200").validate(response.get_json())
    for ids_arg, status, message in [(ids[0], 400, "pick at least 2 reports to compare (got 1)"),
                                     ("", 400, "pick at least 2 reports to compare (got 0)"),
                                     (",".join(["0" * 16] * 1 + [f"{i:016x}" for i in range(1, 7)]), 400,
                                      "compare at most 6 reports at a time (got 7)"),
                                     (f"{ids[0]},0000000000000000,nope", 404,
                                      "no report with id 0000000000000000, nope")]:
        bad = client.get("/api/compare", query_string={"ids": ids_arg})
        assert (bad.status_code, bad.get_json()) == (status, {"error": message})
        _validator(doc, "/api/compare", str(status)).validate(bad.get_json())
        page = client.get("/compare", query_string={"ids": ids_arg})
        assert page.status_code == status
        assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(".compare-error").get_text() == message


def test_search_checkboxes_pick_the_reports_to_compare(client, collection):
    soup = soup_of(client.get("/?q=信访"))
    form = soup.select_one("form#compare-form")
    assert form["action"] == "/compare" and form["method"] == "get"
    boxes = soup.select("li.hit input[type=checkbox][name=ids]")
    assert [b["value"] for b in boxes] == [li["data-id"] for li in soup.select("ol.hit-list > li.hit")]
    assert all(b["form"] == "compare-form" for b in boxes)
    # the form without JS sends ids=a&ids=b: one canonical address, ids=a,b
    picked = [b["value"] for b in boxes[:2]]
    response = client.get("/compare", query_string=[("ids", picked[0]), ("ids", picked[1])])
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"ids": [",".join(picked)]}


def test_passages_json_is_the_page_s_data(client, collection):
    body = client.get("/passages.json", query_string={"q": "section:3 不予公开", "page": 1}).get_json()
    expected = collection.passages("section:3 不予公开")
    assert (body["total"], body["reports"], body["page"]) == (expected.total, expected.reports, 1)
    assert [(p["id"], p["offset"], p["sentence"], p["html"]) for p in body["passages"]] == \
        [(p.id, p.offset, p.sentence, p.html) for p in expected.passages]
    assert all(p["url"] == f"/reports/{p['id']}?q=section%3A3+%E4%B8%8D%E4%BA%88%E5%85%AC%E5%BC%80#p3-{p['offset']}"
               for p in body["passages"])
    bad = client.get("/passages.json", query_string={"q": '"unclosed'})
    assert bad.status_code == 400 and bad.get_json()["position"] == 1
    assert client.get("/passages.json").status_code == 400
