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
    facets = collection.search("")["facets"]["agency"]
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
