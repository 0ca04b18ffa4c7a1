"""The agency across years (docs/report-format.md#agency-key): keys that group one agency's
name variants and years and keep apart namesakes of two places; the key in the store, the
index and the query language; the alias table of config.toml; the panel's choice of one
report where a year has two."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.agencies import agency_key, agency_panel, normalize_agency_name, region_key
from indexer.collection import Collection
from indexer.config import ConfigError, load_config
from indexer.ingest import ingest_paths, rebuild_index
from indexer.parse import parse_file
from indexer.report import Flag
from indexer.store import Store

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "corpus" / "real"
SEED_000 = ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt"     # 市中区信访局, 枣庄 (370402)
PINGTAN_KEY = "350000-平潭综合实验区/平潭综合实验区管理委员会"


def pingtan_variant(tmp_path: Path, name: str) -> Path:
    """The real 2019 平潭 report with its title naming the agency ``name`` instead."""
    text = (REAL / "fj_pingtan_2019_page.txt").read_text(encoding="utf-8")
    text = text.replace("平潭综合实验区2019年度政府", f"{name}2019年度政府").replace(
        "平潭综合实验区2019年政府", f"{name}2019年政府")
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def jinan_shizhong(tmp_path: Path) -> Path:
    """Seed 000 (枣庄 市中区信访局) moved to 济南's 市中区: another agency of the same name."""
    path = tmp_path / "jinan_shizhong.txt"
    path.write_text(SEED_000.read_text(encoding="utf-8").replace("枣庄", "济南"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def agency_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("agencies")
    return [*(REAL / f"fj_pingtan_{year}_page.{ext}" for year, ext in ((2019, "txt"), (2022, "txt"), (2024, "html"))),
            pingtan_variant(folder, "平潭综合实验区管委会"), pingtan_variant(folder, "平潭综合实验区管理委员会"),
            SEED_000, jinan_shizhong(folder)]


@pytest.fixture(scope="module")
def parsed(agency_files, config):
    return {path.name: parse_file(path, config) for path in agency_files}


def test_pingtan_name_variants_and_years_are_one_agency(parsed):
    pingtan = {name: r for name, r in parsed.items() if "平潭" in name or "pingtan" in name}
    assert {r.agency for r in pingtan.values()} == {"平潭综合实验区", "平潭综合实验区管委会", "平潭综合实验区管理委员会"}
    assert {r.year for r in pingtan.values()} == {2019, 2022, 2024}
    assert {r.agency_key for r in pingtan.values()} == {PINGTAN_KEY}


def test_two_shizhong_xinfangju_stay_two(parsed):
    zaozhuang, jinan = parsed[SEED_000.name], parsed["jinan_shizhong.txt"]
    assert zaozhuang.agency == jinan.agency == "市中区信访局"
    assert zaozhuang.agency_key == "370402/市中区信访局"
    assert jinan.agency_key == "370103/市中区信访局"


def test_parse_json_carries_the_key(parsed):
    report = parsed[SEED_000.name]
    data = report.to_dict()
    assert data["agency_key"] == "370402/市中区信访局"
    assert list(data).index("agency_key") == list(data).index("agency") + 1


def test_region_key_rules():
    # a special zone carries its province's code: the zone's name is kept after it
    assert region_key({"province": "福建省", "city": None, "county": "平潭综合实验区", "adcode": "350000"}) \
        == "350000-平潭综合实验区"
    assert region_key({"province": "上海市", "city": None, "county": None, "adcode": "310000"}) == "310000"
    assert region_key({"province": None, "city": None, "county": "铁东区", "adcode": None}) == "铁东区"
    assert region_key({"province": None, "city": None, "county": None, "adcode": None}) == "-"
    assert agency_key(None, {"adcode": "370402"}) is None
    assert agency_key("  ", {"adcode": "370402"}) is None


def test_the_name_starts_at_the_deepest_place_the_region_settles():
    hongze = {"province": "江苏省", "city": "淮安市", "county": "洪泽区", "adcode": "320813"}
    assert {agency_key(name, hongze) for name in ("江苏省淮安市洪泽区教育局", "淮安市洪泽区教育局", "洪泽区教育局")} \
        == {"320813/洪泽区教育局"}
    assert agency_key("淮安市洪泽区", hongze) == agency_key("洪泽区人民政府", hongze) == "320813/洪泽区人民政府"
    # a place the region does not settle keeps the whole name: a shared 市中区 left at its province
    # is not 山东省信访局, nor is a county the region has not settled
    shandong = {"province": "山东省", "city": None, "county": None, "adcode": "370000"}
    assert agency_key("山东省市中区信访局", shandong) == "370000/山东省市中区信访局"
    assert agency_key("山东省信访局", shandong) == "370000/山东省信访局"
    huaian = {"province": "江苏省", "city": "淮安市", "county": None, "adcode": "320800"}
    assert agency_key("淮安市洪泽区教育局", huaian) == "320800/淮安市洪泽区教育局"
    assert agency_key("江苏省淮安市教育局", huaian) == "320800/淮安市教育局"


def test_name_rules_and_aliases():
    assert normalize_agency_name("洪泽区政府") == normalize_agency_name("洪泽区人民政府") == "洪泽区人民政府"
    assert normalize_agency_name("洪泽区政府办公室") == "洪泽区人民政府办公室"
    assert normalize_agency_name("市中区 信访局") == "市中区信访局"
    assert normalize_agency_name("ＡＢＣ信访局") == "ABC信访局"       # full-width folded
    assert normalize_agency_name("上海市科委", {"上海市科委": "上海市科学技术委员会"}) == "上海市科学技术委员会"


@pytest.mark.parametrize("table, message", [
    ('"平潭综合实验区" = ""', "must be a non-empty agency name"),
    ('"平潭综合实验区" = 3', "must be a non-empty agency name"),
    ('"平潭管委会" = "平潭管理委员会"', "is an alias of itself"),
    ('"甲" = "乙"\n"乙" = "丙"', "which is itself an alias of"),
    ('"甲 局" = "乙"\n"甲局" = "丙"', "the same name once normalised"),
])
def test_bad_alias_tables_are_one_clear_error(tmp_path, table, message):
    path = tmp_path / "config.toml"
    path.write_text(f"[agency_aliases]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_the_shipped_alias_table_is_loaded_normalised(config):
    assert dict(config.agency_aliases)["平潭综合实验区"] == "平潭综合实验区管理委员会"


# -- store, index, query, panel ----------------------------------------------------------------

@pytest.fixture(scope="module")
def collection(agency_files, config, tmp_path_factory):
    data_config = replace(config, data_dir=tmp_path_factory.mktemp("agency-data"))
    summary = ingest_paths(agency_files, data_config)
    assert not summary.failed, summary.failed
    opened = Collection.open(data_config)
    yield opened
    opened.close()


def test_the_key_is_a_store_column_with_an_index(collection):
    db = sqlite3.connect(collection.config.data_dir / "reports.sqlite")
    rows = dict(db.execute("SELECT agency_key, count(*) FROM reports GROUP BY agency_key").fetchall())
    plan = " ".join(str(r) for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM reports WHERE agency_key = ?", (PINGTAN_KEY,)).fetchall())
    db.close()
    assert rows == {PINGTAN_KEY: 5, "370402/市中区信访局": 1, "370103/市中区信访局": 1}
    assert "reports_agency_key" in plan


def test_agency_key_filter_is_exact_while_agency_matches_names(collection):
    assert collection.search("agency_key:370402/市中区信访局")["total"] == 1
    assert collection.search('agency_key:"370103/市中区信访局"')["total"] == 1
    assert collection.search("agency_key:370402")["total"] == 0            # exact, not a prefix
    assert collection.search('agency:"市中区信访局"')["total"] == 2           # both namesakes by name
    assert collection.search(f"agency_key:{PINGTAN_KEY}")["total"] == 5


def test_the_agency_facet_counts_keys(collection):
    facets = collection.search("", agencies=True)["facets"]["agency"]
    assert facets == {PINGTAN_KEY: 5, "370103/市中区信访局": 1, "370402/市中区信访局": 1}
    hit = collection.search("agency_key:370402/市中区信访局")["hits"][0]
    assert hit["agency_key"] == "370402/市中区信访局"


def test_the_panel_has_one_row_a_year_and_marks_duplicates(collection):
    panel = collection.agency(PINGTAN_KEY)
    assert [row.year for row in panel.years] == [2019, 2022, 2024]
    assert len(panel.reports) == 5
    y2019 = panel.years[0]
    # three 2019 reports (the real one and the two renamed copies): all carry the same one flag and
    # date, so the smallest id is used and the other two are named
    reports_2019 = sorted(r.id for r in panel.reports if r.year == 2019)
    assert y2019.duplicate_year and y2019.report_id == reports_2019[0] and y2019.others == reports_2019[1:]
    assert not panel.years[1].duplicate_year and panel.years[1].others == []
    # the row's figures are the report's own aliases and rates
    assert panel.years[1].figures["grant_rate"] == round(21 / 75, 6)
    assert panel.years[2].figures["handled"] == 218
    assert sorted(panel.agencies) == ["平潭综合实验区", "平潭综合实验区管委会", "平潭综合实验区管理委员会"]
    assert collection.agency("350000/nobody") is None


def test_the_panel_prefers_fewer_flags_then_the_latest_date(parsed):
    first, second = parsed["平潭综合实验区管委会.txt"], parsed["平潭综合实验区管理委员会.txt"]
    flagged = replace(first, flags=[*first.flags, Flag("t3_balance", "total", "1+0 != 0+0")])
    panel = agency_panel(PINGTAN_KEY, [flagged, second])
    assert panel.years[0].report_id == second.id and panel.years[0].others == [flagged.id]
    earlier, later = replace(first, published="2020-01-01"), replace(second, published="2020-03-01")
    assert agency_panel(PINGTAN_KEY, [earlier, later]).years[0].report_id == later.id
    assert agency_panel(PINGTAN_KEY, [replace(first, published=None), earlier]).years[0].report_id == earlier.id


def test_reindex_applies_an_edited_alias_table(collection, tmp_path):
    config = collection.config
    edited = replace(config, agency_aliases=(*config.agency_aliases, ("市中区信访局", "市中区人民来访接待局")))
    rebuild_index(edited)
    again = Collection.open(edited)
    try:
        assert again.search("agency_key:370402/市中区人民来访接待局")["total"] == 1
        assert again.get(again.search_ids("agency_key:370402/市中区人民来访接待局")[0]).agency_key \
            == "370402/市中区人民来访接待局"
    finally:
        again.close()
    rebuild_index(config)  # back to the shipped table for the other tests of this module
    collection.reload()


def test_a_store_from_before_agency_keys_is_migrated(tmp_path, config):
    data_config = replace(config, data_dir=tmp_path / "data")
    assert not ingest_paths([SEED_000], data_config).failed
    db = sqlite3.connect(data_config.data_dir / "reports.sqlite", isolation_level=None)
    db.executescript("DROP INDEX reports_agency_key; ALTER TABLE reports DROP COLUMN agency_key;")
    db.close()
    Store.open(data_config.data_dir).close()             # adds the column (empty)
    rebuild_index(data_config)                            # fills it
    db = sqlite3.connect(data_config.data_dir / "reports.sqlite")
    assert db.execute("SELECT agency_key FROM reports").fetchall() == [("370402/市中区信访局",)]
    db.close()


# -- the agency page and its API -------------------------------------------------------------

@pytest.fixture(scope="module")
def client(collection):
    from web import create_app
    return create_app({"TESTING": True, "XXGK_CONFIG": collection.config}).test_client()


def soup_of(response):
    from bs4 import BeautifulSoup
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_agency_page_shows_years_rates_flags_and_duplicates(client, collection):
    soup = soup_of(client.get(f"/agencies/{PINGTAN_KEY}"))
    assert soup.select_one("h1").get_text() == "平潭综合实验区管理委员会"
    assert soup.select_one(".agency .key code").get_text() == PINGTAN_KEY
    rows = soup.select("table.agency-panel tbody tr")
    assert [tr["data-year"] for tr in rows] == ["2019", "2022", "2024"]
    panel = collection.agency(PINGTAN_KEY)
    # each row links the report it uses; 2019 has three and says so
    assert [tr.select_one("th a")["href"] for tr in rows] == [f"/reports/{y.report_id}" for y in panel.years]
    assert rows[0].select_one('[data-code="duplicate_year"]') is not None and "duplicate-year" in rows[0]["class"]
    assert rows[1].select_one('[data-code="duplicate_year"]') is None
    # figures and rates as the panel has them (rates in percent); blank shows —, never 0
    assert rows[2].select_one('td[data-alias="handled"]').get_text() == "218"
    assert rows[1].select_one('td[data-alias="grant_rate"]').get_text() == "28.0%"          # 21 / 75
    assert rows[0].select_one('td[data-alias="correction_rate"]').get_text() == "—"        # no review at all
    # each year's flags
    assert {s["data-code"] for s in rows[0].select(".flags .tag")} == set(panel.years[0].flags)
    # every report listed and linked, the two 2019 copies not used
    listed = soup.select("#reports tbody tr")
    assert len(listed) == 5
    assert sum("not-chosen" in (tr.get("class") or []) for tr in listed) == 2


def test_the_agency_charts_are_inline_svg_with_gaps_for_blanks(client):
    soup = soup_of(client.get(f"/agencies/{PINGTAN_KEY}"))
    assert soup.select_one("script[src*=chart]") is None                   # no chart library
    rates = soup.select_one("#chart-rates svg")
    grant = rates.select_one('g[data-series="grant_rate"]')
    # known in 2019, 2022 and 2024, with no report in 2020, 2021 or 2023: a point each and no line
    # between them (one would draw years nobody reported)
    assert len(grant.select("circle")) == 3
    assert [len(p["points"].split()) for p in grant.select("polyline")] == [1, 1, 1]
    # correction_rate is blank in 2019 and known in 2022 and 2024: two points
    correction = rates.select_one('g[data-series="correction_rate"]')
    assert [len(p["points"].split()) for p in correction.select("polyline")] == [1, 1]
    counts = soup.select_one("#chart-counts svg")
    labels = [t for t in counts.select("text") if t.get_text() in ("2019", "2022", "2024")]
    assert [t.get_text() for t in labels] == ["2019", "2022", "2024"]
    # each year where it falls in time: 2019 to 2022 is half as wide again as 2022 to 2024
    x = [float(t["x"]) for t in labels]
    assert abs((x[1] - x[0]) / (x[2] - x[1]) - 1.5) < 0.01


def test_agency_links_from_report_pages_hits_and_facets(client, collection):
    report_id = collection.search_ids("agency_key:370103/市中区信访局")[0]
    soup = soup_of(client.get(f"/reports/{report_id}"))
    link = soup.select_one(".report-meta .agency a")
    assert link.get_text() == "市中区信访局"
    assert soup_of(client.get(link["href"])).select_one(".agency .key code").get_text() == "370103/市中区信访局"
    soup = soup_of(client.get("/", query_string={"q": "agency_key:370402/市中区信访局"}))
    hit_link = soup.select_one("li.hit a.agency-link")
    assert soup_of(client.get(hit_link["href"])).select_one("h1").get_text() == "市中区信访局"
    facet = soup_of(client.get("/more-facets")).select_one(
        f'section.facet[data-facet="agency"] a[data-value="{PINGTAN_KEY}"]')
    assert facet.select_one(".facet-value").get_text() == "平潭综合实验区管理委员会" and facet["title"] == PINGTAN_KEY


def test_the_agency_api_is_the_panel_and_unknown_keys_are_404(client, collection):
    body = client.get(f"/api/agencies/{PINGTAN_KEY}").get_json()
    assert body == collection.agency(PINGTAN_KEY).to_builtins()
    assert [y["year"] for y in body["years"]] == [2019, 2022, 2024]
    assert body["years"][0]["duplicate_year"] is True and len(body["years"][0]["others"]) == 2
    missing = client.get("/api/agencies/000000/nobody")
    assert missing.status_code == 404 and "nobody" in missing.get_json()["error"]
    assert client.get("/agencies/000000/nobody").status_code == 404


def test_a_chart_joins_consecutive_years_only():
    from web.agencies import line_chart

    chart = line_chart([2019, 2020, 2021, 2023], {"handled": [10.0, None, 30.0, 40.0], "granted": [1.0, 2.0, 3.0, 4.0]})
    handled, granted = chart["lines"]
    assert [len(segment.split()) for segment in handled["segments"]] == [1, 1, 1]   # a blank, then a year unreported
    assert [len(segment.split()) for segment in granted["segments"]] == [3, 1]
    assert [x for x, _ in chart["x_labels"]] == sorted(x for x, _ in chart["x_labels"])
    x = dict((year, x) for x, year in chart["x_labels"])
    assert abs((x[2023] - x[2021]) / (x[2021] - x[2020]) - 2) < 0.01
