"""The research exports and the stats view's groups (docs/report-format.md#panel-export,
docs/query-language.md#group-and-rank) over the seeds and the real reports, plus seed 000 saved
a second time in GB18030: two reports of one agency-year."""
from __future__ import annotations

import csv
import io
import json
import random
import statistics
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from indexer.agencies import panel_choice_order
from indexer.aliases import ALIASES, report_aliases
from indexer.cli import cli
from indexer.collection import Collection
from indexer.export import ExportFormatError
from indexer.figure_keys import all_figure_keys
import indexer.groups as groups_module
from indexer.groups import GroupError, group_stats
from indexer.index import ReportIndex
from indexer.ingest import ingest_paths
import indexer.export as export_module
from indexer.export import records_to_csv, records_to_json
from indexer.panel import panel_columns, panel_records
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt"
XINFANG = "370402/市中区信访局"


@pytest.fixture(scope="module")
def collection(config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel-corpus")
    gbk = folder / "000_gb18030.txt"
    gbk.write_bytes(SEED_000.read_text(encoding="utf-8").encode("gb18030"))
    real = [p for p in (ROOT / "corpus" / "real").iterdir() if p.suffix in (".txt", ".html", ".md", ".pdf") and p.name != "README.md"]
    data_config = replace(config, data_dir=tmp_path_factory.mktemp("panel-data"))
    summary = ingest_paths([*sorted((ROOT / "corpus" / "seeds").glob("*.txt")), *real, gbk], data_config)
    assert not summary.failed, summary.failed
    opened = Collection.open(data_config)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def reports(collection):
    return list(collection.light_reports(collection.search_ids("")))


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_panel_has_one_row_per_agency_year(collection, reports):
    rows = read_csv(collection.export("", "csv", "panel"))
    assert list(rows[0]) == panel_columns()
    pairs = [(r["agency_key"], r["year"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    expected = {(r.agency_key, str(r.year)) for r in reports if r.agency_key and r.year is not None}
    assert set(pairs) == expected
    assert len(rows) == len(reports) - 1 == 10        # the GB18030 copy shares its agency-year


def test_the_duplicate_rule_picks_the_documented_report_and_flags_it(collection, reports):
    twins = sorted((r for r in reports if r.agency_key == XINFANG), key=panel_choice_order)
    assert len(twins) == 2 and twins[0].flag_codes() == twins[1].flag_codes()
    assert twins[0].published == twins[1].published
    # same flags, same date: the smaller id is used, the other named
    chosen, other = sorted(r.id for r in twins)
    [row] = [r for r in read_csv(collection.export("", "csv", "panel")) if r["agency_key"] == XINFANG]
    assert (row["report_id"], row["duplicate_year"], row["other_report_ids"]) == (chosen, "true", other)
    assert [r["duplicate_year"] for r in read_csv(collection.export("", "csv", "panel"))].count("true") == 1
    # the rule is the agency page's: the same report for the same year
    assert collection.agency(XINFANG).years[0].report_id == chosen


def test_panel_values_are_the_chosen_reports_aliases_blank_empty(collection, reports):
    by_id = {r.id: r for r in reports}
    for row in read_csv(collection.export("", "csv", "panel")):
        aliases = report_aliases(by_id[row["report_id"]].figures)
        for alias in ALIASES:
            value = aliases[alias]
            assert row[alias] == ("" if value is None else format_number(value)), (row["report_id"], alias)
    pingtan = [r for r in read_csv(collection.export("", "csv", "panel")) if r["year"] == "2022"][0]
    assert pingtan["grant_rate"] == "0.28" and pingtan["province"] == "福建省"


def format_number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def test_panel_json_matches_csv_and_keeps_nulls(collection):
    rows = json.loads(collection.export("province:福建省", "json", "panel"))
    assert [(r["year"], r["duplicate_year"], r["other_report_ids"]) for r in rows] == [
        (2019, False, []), (2022, False, []), (2024, False, [])]
    assert rows[0]["fees_amount"] is None and rows[2]["handled"] == 218


def test_long_round_trip(collection, reports):
    rows = read_csv(collection.export("", "csv", "long"))
    assert list(rows[0]) == ["report_id", "agency_key", "year", "key", "value"]
    keys = list(ALIASES) + list(all_figure_keys())
    assert len(rows) == len(reports) * len(keys)
    cells = {}
    for row in rows:
        pair = (row["report_id"], row["key"])
        assert pair not in cells
        cells[pair] = row["value"]
    for report in reports:
        values = {**{k: report.figures.get(k) for k in all_figure_keys()}, **report_aliases(report.figures)}
        for key in keys:
            value = values[key]
            assert cells[(report.id, key)] == ("" if value is None else format_number(value)), (report.id, key)
    assert any(v == "" for v in cells.values()) and any(v == "0" for v in cells.values())


def test_long_json_has_nulls_not_zeros(collection):
    rows = json.loads(collection.export("year:2024 province:福建省", "json", "long"))
    by_key = {r["key"]: r["value"] for r in rows}
    assert by_key["handled"] == 218 and by_key["procurement_count"] is None


def test_unknown_shape_is_one_clear_error(collection):
    with pytest.raises(ExportFormatError, match="unknown export shape 'wide'"):
        collection.export("", "csv", "wide")


def test_cli_panel_and_long(collection, tmp_path):
    runner = CliRunner()
    data = ["--data", str(collection.config.data_dir)]
    out = tmp_path / "panel.csv"
    result = runner.invoke(cli, ["export", "", "--panel", "-o", str(out), *data])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == collection.export("", "csv", "panel")
    result = runner.invoke(cli, ["export", "province:福建省", "--long", "--format", "json", *data])
    assert result.exit_code == 0 and json.loads(result.stdout_bytes) == json.loads(
        collection.export("province:福建省", "json", "long"))
    # --panel --long gave the long export: the two were one option, and the last given was kept
    for both in (["--passages", "--panel"], ["--panel", "--long"], ["--long", "--passages"]):
        result = runner.invoke(cli, ["export", "x", *both, *data])
        assert result.exit_code == 2 and "two different exports: choose one" in result.output, both


@pytest.fixture(scope="module")
def client(collection):
    app = create_app({"XXGK_CONFIG": collection.config})
    return app.test_client()


def test_web_export_shapes_are_the_cli_bytes(client, collection):
    response = client.get("/export.csv", query_string={"q": "province:福建省", "shape": "panel"})
    assert response.status_code == 200 and response.data == collection.export("province:福建省", "csv", "panel")
    assert "xxgk-panel.csv" in response.headers["Content-Disposition"]
    response = client.get("/export.json", query_string={"shape": "long"})
    assert json.loads(response.data) == json.loads(collection.export("", "json", "long"))
    response = client.get("/export.csv", query_string={"shape": "wide"})
    assert response.status_code == 400 and b"unknown export shape" in response.data


def test_search_and_stats_pages_link_the_panel_and_long_exports(client):
    for page in ("/?q=year:2020", "/stats?q=year:2020"):
        html = client.get(page).get_data(as_text=True)
        assert 'href="/export.csv?q=year:2020&amp;shape=panel"' in html, page
        assert 'href="/export.csv?q=year:2020&amp;shape=long"' in html, page


# -- group and rank -----------------------------------------------------------------------------

FIELD_OF = {"province": lambda r: (r.region or {}).get("province"), "city": lambda r: (r.region or {}).get("city"),
            "level": lambda r: r.level, "type": lambda r: r.agency_type, "year": lambda r: r.year}


def hand_summary(reports, measure):
    values = [report_aliases(r.figures)[measure] for r in reports]
    known = [v for v in values if v is not None]
    if not known:
        return {"n": 0, "sum": None, "mean": None, "median": None}
    return {"n": len(known), "sum": None if measure.endswith(("_rate", "_share")) else sum(known),
            "mean": sum(known) / len(known), "median": statistics.median(known)}


def assert_summary(row, expected):
    for stat in ("n", "sum", "mean", "median"):
        assert row[stat] == (None if expected[stat] is None else pytest.approx(expected[stat], abs=1e-6)), stat


@pytest.mark.parametrize("by", ["province", "city", "level", "type", "year"])
@pytest.mark.parametrize("q", ["", "year:2019..2022"])
def test_group_counts_are_the_filtered_searches_totals(collection, by, q):
    groups = collection.group(q, by, "applications")
    assert sum(g["count"] for g in groups) == collection.search(q)["total"]
    for group in groups:
        if group["filters"] is None:
            assert group[by] is None
            continue
        assert collection.search(" ".join([q, *group["filters"]]).strip())["total"] == group["count"], group


@pytest.mark.parametrize("measure", ["applications", "handled", "procurement_amount", "grant_rate", "carry_forward_share"])
def test_group_figures_are_the_hand_computed_ones(collection, reports, measure):
    for group in collection.group("", "province", measure):
        members = [r for r in reports if FIELD_OF["province"](r) == group["province"]]
        assert group["count"] == len(members)
        assert_summary(group, hand_summary(members, measure))
    fujian = [g for g in collection.group("", "province", measure) if g["province"] == "福建省"][0]
    if measure == "handled":   # the three 平潭 reports: the goldens' totals
        assert fujian["n"] == 3 and fujian["sum"] == sum(
            report_aliases(r.figures)["handled"] for r in reports if FIELD_OF["province"](r) == "福建省")


def test_a_rate_is_never_summed(collection):
    groups = collection.group("", "year", "grant_rate")
    assert all(g["sum"] is None for g in groups) and any(g["mean"] is not None for g in groups)


def test_pivot_cells_are_the_hand_computed_ones(collection, reports):
    cells = collection.group("", "province", "applications", by2="year")
    assert len({(c["province"], c["year"]) for c in cells}) == len(cells)
    for cell in cells:
        members = [r for r in reports if FIELD_OF["province"](r) == cell["province"] and r.year == cell["year"]]
        assert cell["count"] == len(members) > 0
        assert_summary(cell, hand_summary(members, "applications"))
        if cell["filters"]:
            assert collection.search(" ".join(cell["filters"]))["total"] == cell["count"]
    assert ("福建省", 2022) in {(c["province"], c["year"]) for c in cells}


def test_bad_group_parameters_are_clear_errors(collection):
    with pytest.raises(GroupError, match="unknown group-by field 'county'"):
        collection.group("", "county", "applications")
    with pytest.raises(GroupError, match="unknown measure 'nope'"):
        collection.group("", "year", "nope")
    with pytest.raises(GroupError, match="by2 needs by, and another field"):
        collection.group("", "year", "applications", by2="year")
    with pytest.raises(GroupError, match="n must be between 1 and 100"):
        collection.rank("", "applications", n=0)


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_ranking_is_by_each_agencys_latest_valued_year(collection, reports, order):
    ranking = collection.rank("", "grant_rate", order, n=100)
    latest = {}
    for report in sorted(reports, key=lambda r: (r.year, panel_choice_order(r))):
        value = report_aliases(report.figures)["grant_rate"]
        if value is not None and (report.agency_key not in latest or latest[report.agency_key][0] < report.year):
            latest[report.agency_key] = (report.year, report.id, value)
    expected = sorted(latest.items(), key=lambda kv: (-kv[1][2] if order == "desc" else kv[1][2], kv[0]))
    assert [(r["agency_key"], r["year"], r["report_id"], r["value"]) for r in ranking] == [
        (key, year, rid, value) for key, (year, rid, value) in expected]
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    top = collection.rank("", "grant_rate", order, n=1)
    assert len(top) == 1 and top[0]["agency_key"] == expected[0][0]
    if order == "desc":   # 平潭's latest year, 2024: 71 / 218 granted
        assert ranking[0]["year"] == 2024 and ranking[0]["value"] == round(71 / 218, 6)


def test_ranking_uses_the_panels_report_for_a_duplicate_year(collection):
    [row] = [r for r in collection.rank("", "applications", "desc", 100) if r["agency_key"] == XINFANG]
    assert row["report_id"] == collection.agency(XINFANG).years[0].report_id


def test_stats_page_groups_link_to_their_searches_without_js(client, collection):
    response = client.get("/stats", query_string={"q": "year:2019..2024", "by": "province", "measure": "grant_rate"})
    soup = BeautifulSoup(response.data, "html.parser")
    rows = soup.select("#group-table tbody tr")
    groups = collection.group("year:2019..2024", "province", "grant_rate")
    assert len(rows) == len(groups)
    for row, group in zip(rows, groups):
        link = row.select_one("th a")
        if group["filters"] is None:
            assert link is None and row.th.get_text(strip=True) == "—"
            continue
        q = parse_qs(urlsplit(link["href"]).query)["q"][0]
        assert q == "year:2019..2024 " + group["filters"][0]
        assert collection.search(q)["total"] == group["count"] == int(row.select("td")[0].get_text())
    assert soup.select_one("#chart-groups") is not None
    data = json.loads(soup.select_one("#group-data")["data-chart"])
    assert data["labels"] == [g["province"] or "—" for g in groups]
    assert data["datasets"][0]["data"] == [g["mean"] for g in groups]       # stat defaults to mean for a rate
    assert soup.select_one("select[name=by] option[selected]")["value"] == "province"


def test_stats_page_pivot_and_ranking(client, collection):
    response = client.get("/stats", query_string={"by": "province", "by2": "year", "measure": "applications",
                                                  "stat": "sum", "rank": "applications", "order": "asc", "n": "3"})
    soup = BeautifulSoup(response.data, "html.parser")
    header = [th.get_text(strip=True) for th in soup.select("#pivot thead th")][1:]
    cells = collection.group("", "province", "applications", by2="year")
    assert header == sorted({str(c["year"]) for c in cells})
    fujian = [tr for tr in soup.select("#pivot tbody tr") if tr.th.get_text(strip=True) == "福建省"][0]
    by_year = {c["year"]: c for c in cells if c["province"] == "福建省"}
    for column, td in zip(header, fujian.select("td")):
        cell = by_year.get(int(column))
        assert td.get_text(strip=True) == ("" if cell is None else str(cell["sum"]))
    ranking = collection.rank("", "applications", "asc", 3)
    rows = soup.select("#ranking tbody tr")
    assert len(rows) == 3
    for row, expected in zip(rows, ranking):
        assert unquote(row.select_one("a.agency-link")["href"]) == "/agencies/" + expected["agency_key"]
        assert row.select_one("a.report-link")["href"] == f"/reports/{expected['report_id']}"
        assert client.get(row.select_one("a.agency-link")["href"]).status_code == 200


def test_stats_json_twins_and_errors(client, collection):
    args = {"q": "year:2019..2024", "by": "level", "by2": "year", "measure": "handled", "rank": "handled", "n": "5"}
    for url in ("/stats.json", "/api/stats"):
        body = client.get(url, query_string=args).json
        assert body["groups"] == collection.group("year:2019..2024", "level", "handled", by2="year")
        assert body["ranking"] == collection.rank("year:2019..2024", "handled", "desc", 5)
        assert body["total"] == collection.stats("year:2019..2024")["total"]
    assert "groups" not in client.get("/stats.json").json
    for bad in ({"by": "county"}, {"by": "year", "stat": "mode"}, {"rank": "x"}, {"rank": "handled", "n": "x"},
                {"rank": "handled", "order": "up"}):
        response = client.get("/api/stats", query_string=bad)
        assert response.status_code == 400 and response.json["error"], bad
        page = client.get("/stats", query_string=bad)
        message = BeautifulSoup(page.data, "html.parser").select_one(".query-error .message").get_text()
        assert page.status_code == 200 and message == response.json["error"]
    spec = client.get("/api/openapi.json").json["paths"]["/api/stats"]["get"]
    assert {p["name"] for p in spec["parameters"]} == {"q", "by", "by2", "measure", "stat", "rank", "order", "n"}


@pytest.mark.parametrize("value_buckets", [groups_module.VALUE_BUCKETS, 2])
def test_groups_across_segments_with_blank_fields_are_the_hand_computed_ones(tmp_path, reports, monkeypatch,
                                                                            value_buckets):
    # 180 copies of the corpus reports in three segments (one deleted), each field blank now and then;
    # with 2 value buckets every aggregation of values overflows: the groups are then counted one by
    # one and every median is found by ranges
    monkeypatch.setattr(groups_module, "VALUE_BUCKETS", value_buckets)
    rng = random.Random(11)
    index = ReportIndex.open(tmp_path / "index")
    made = []
    for segment in range(3):
        with index.batch() as batch:
            for n in range(60):
                base = rng.choice(reports)
                made.append(replace(base, id=f"{segment:02x}{n:06x}aaaaaaaa", year=rng.choice([2020, 2021, None]),
                                    level=rng.choice(["county", "city", None]),
                                    region={**base.region, "province": rng.choice(["山东省", "福建省", None])}))
                batch.add(made[-1])
    with index.batch() as batch:
        batch.delete(made.pop(0).id)
    assert index.searcher.num_segments >= 3
    for q, kept in (("", lambda r: True), ("year:2021", lambda r: r.year == 2021)):
        members_of_q = [r for r in made if kept(r)]
        for fields in (("province",), ("province", "year"), ("level", "province"), ("year", "level")):
            for measure in ("applications", "procurement_amount", "grant_rate"):
                rows = group_stats(index, q, *fields[:1], measure, *fields[1:])
                expected: dict[tuple, list] = {}
                for report in members_of_q:
                    expected.setdefault(tuple(FIELD_OF[f](report) for f in fields), []).append(report)
                assert {tuple(row[f] for f in fields): row["count"] for row in rows} == \
                    {key: len(members) for key, members in expected.items()}, (q, fields, measure)
                for row in rows:
                    assert_summary(row, hand_summary(expected[tuple(row[f] for f in fields)], measure))


@pytest.mark.parametrize("first_read, most_read", [(groups_module.RANK_FIRST_READ, groups_module.RANK_MOST_READ),
                                                    (1, 16), (1, 2)], ids=["default", "rounds-and-ties", "every-report"])
def test_the_ranking_read_in_the_measures_order_is_the_one_read_from_every_report(tmp_path, reports, monkeypatch,
                                                                                  first_read, most_read):
    # 200 copies of the corpus reports in three segments (one deleted) under 30 agencies, their years
    # often repeated (the panel's choice: fewest flags, latest date, smallest id) and their values
    # the corpus's few (ties across agencies, blanks): the ranking by index equals rank_reports over
    # every matching report. Small reads make it go round after round, settle ties by key, or give
    # up and read every report.
    monkeypatch.setattr(groups_module, "RANK_FIRST_READ", first_read)
    monkeypatch.setattr(groups_module, "RANK_MOST_READ", most_read)
    paths = []
    tied_at, search_ids = groups_module._Ranking.tied_at, groups_module.search_ids
    def tied_at_noted(self, *args):
        tied = tied_at(self, *args)
        paths.append("ties unproven" if tied is None else "ties")
        return tied
    monkeypatch.setattr(groups_module._Ranking, "tied_at", tied_at_noted)
    monkeypatch.setattr(groups_module, "search_ids", lambda *a, **k: paths.append("every report") or search_ids(*a, **k))
    rng = random.Random(5)
    pool = sorted(reports, key=lambda r: r.id)  # the corpus's ingest order varies from run to run
    index = ReportIndex.open(tmp_path / "index")
    made = []
    for segment in range(3):
        with index.batch() as batch:
            for n in range(70 if segment < 2 else 60):
                base = rng.choice(pool)
                made.append(replace(base, id=f"{segment:02x}{n:06x}bbbbbbbb", year=rng.choice([2020, 2021, 2022, None]),
                                    agency_key=rng.choice([f"37040{k % 10}/机关{k}" for k in range(30)] + [None]),
                                    published=rng.choice(["2021-01-15", "2022-03-01", None])))
                batch.add(made[-1])
    with index.batch() as batch:
        batch.delete(made.pop(0).id)
    assert index.searcher.num_segments >= 3
    by_id = {r.id: r for r in made}
    read = lambda ids: [by_id[i] for i in ids]  # noqa: E731
    ties_at_the_cut = 0
    for q, kept in (("", lambda r: True), ("year:2021..2022", lambda r: r.year in (2021, 2022))):
        members = [r for r in made if kept(r)]
        for measure in ("applications", "grant_rate", "procurement_amount", "review"):
            for order in ("desc", "asc"):
                for n in (1, 3, 7, 30):
                    expected = groups_module.rank_reports(members, measure, order, n)
                    assert groups_module.rank_agencies(index, q, measure, order, n, read) == expected, \
                        (q, measure, order, n)
                    one_more = groups_module.rank_reports(members, measure, order, n + 1)
                    ties_at_the_cut += len(one_more) == n + 1 and one_more[n - 1]["value"] == one_more[n]["value"]
    assert ties_at_the_cut >= 10   # the hard case: the n-th agency's value shared by the next one
    assert {"default": set(), "rounds-and-ties": {"ties"}, "every-report": {"ties unproven", "every report"}}[
        {groups_module.RANK_MOST_READ: "default", 16: "rounds-and-ties", 2: "every-report"}[most_read]] <= set(paths)


def test_the_web_refuses_to_read_more_reports_than_its_bound_and_says_why(collection, monkeypatch):
    app = create_app({"XXGK_CONFIG": collection.config, "XXGK_MAX_READ_REPORTS": 3})
    client = app.test_client()
    total = collection.search("")["total"]
    assert total > 3
    narrow = "year:2020"
    assert 1 < collection.search(narrow)["total"] <= 3
    for path in ("/export.csv?q=", "/export.json?q=&shape=panel"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert f"the query matches {total:,} reports, more than the 3 read at once" in response.get_data(as_text=True)
    # a ranking reads in the measure's order only what proves its top n; where it must read every
    # report (ties across too many agencies: here made so at once), the bound holds
    ranked = client.get("/api/stats?q=&rank=applications&n=2")
    assert ranked.status_code == 200 and ranked.json["ranking"] == collection.rank("", "applications", n=2)
    monkeypatch.setattr(groups_module, "RANK_MOST_READ", 0)
    response = client.get("/api/stats?q=&rank=applications")
    assert response.status_code == 400
    assert f"the query matches {total:,} reports, more than the 3 read at once" in response.json["error"]
    assert "more than the 3 read at once" in client.get("/stats?q=&rank=applications").get_data(as_text=True)
    assert client.get(f"/export.csv?q={narrow}").status_code == 200
    # a long export writes ~200 rows a report: it reads a sixth as many (at least one)
    long = client.get(f"/export.csv?q={narrow}&shape=long")
    assert long.status_code == 400 and "more than the 1 read at once" in long.get_data(as_text=True)
    # so do the passages (every matching report cut into sentences, 0.5-1.3 ms a report): they
    # read every report of a broad query, at 1,000,000 for minutes while holding gigabytes
    for path in (f"/api/passages?q=信息 {narrow}", f"/passages.csv?q=信息 {narrow}", f"/passages?q=信息 {narrow}"):
        response = client.get(path)
        assert response.status_code == (200 if path.startswith("/passages?") else 400), path
        assert "more than the 1 read at once" in response.get_data(as_text=True), path
    alone = next(q for q in (f"信息 {narrow} agency_key:{hit['agency_key']}" for hit in collection.search(narrow)["hits"])
                 if collection.search(q)["total"] == 1)
    one_report = client.get("/api/passages", query_string={"q": alone})
    assert one_report.status_code == 200, one_report.get_data(as_text=True)
    assert client.get(f"/api/stats?q={narrow}&rank=applications").status_code == 200
    assert collection.export("", "csv").count(b"\n") > 3  # the bound is the web's; the command line has none


@pytest.mark.parametrize("shape", ["reports", "panel", "long"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_written_in_chunks_is_the_file_made_at_once(collection, reports, monkeypatch, fmt, shape):
    whole = collection.export("", fmt, shape)
    monkeypatch.setattr(export_module, "CHUNK_ROWS", 2)
    chunks = list(collection.export_chunks("", fmt, shape))
    assert len(chunks) > 2 and b"".join(chunks) == whole
    assert b"".join(collection.export_chunks("这个词不在任何报告里", fmt, shape)) == \
        collection.export("这个词不在任何报告里", fmt, shape)
    if shape == "panel":  # read one agency at a time in the store's agency order, as made from all at once
        made = panel_records(reports)
        writer = records_to_csv if fmt == "csv" else records_to_json
        assert whole == writer(made, panel_columns())
        assert [r["agency_key"] for r in made] == sorted(r["agency_key"] for r in made)


def test_the_command_line_export_streams_to_its_file_and_leaves_no_part_behind(collection, tmp_path):
    out = tmp_path / "panel.csv"
    result = CliRunner().invoke(cli, ["export", "", "--panel", "--data", str(collection.config.data_dir),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == collection.export("", "csv", "panel")
    assert [p.name for p in tmp_path.iterdir()] == ["panel.csv"]
    missing = tmp_path / "no-such-folder" / "x.csv"
    result = CliRunner().invoke(cli, ["export", "", "--data", str(collection.config.data_dir), "--output", str(missing)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {missing}: cannot write the export") and "Traceback" not in result.output
