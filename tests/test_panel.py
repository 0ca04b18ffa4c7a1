"""The research exports and the stats view's groups (docs/report-format.md#panel-export,
docs/query-language.md#group-and-rank) over the seeds and the real reports, plus seed 000 saved
a second time in GB18030: two reports of one agency-year."""
from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.agencies import panel_choice_order
from indexer.aliases import ALIASES, report_aliases
from indexer.cli import cli
from indexer.collection import Collection
from indexer.export import ExportFormatError
from indexer.figure_keys import all_figure_keys
from indexer.ingest import ingest_paths
from indexer.panel import panel_columns
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
    result = runner.invoke(cli, ["export", "x", "--passages", "--panel", *data])
    assert result.exit_code == 2 and "choose one" in result.output


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
