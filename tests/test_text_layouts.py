"""Tables written as text by the tools people take a page's or a PDF's text with (trafilatura in
each of its table layouts, html2text, html-text, markdownify, a browser's copy, Selenium, pdftotext),
against the real page or PDF they were run on (tests/fixtures/page_text/make_fixtures.sh,
tests/fixtures/pdf_text/make_fixtures.sh), and the rules that keep a blank cell a converter dropped
from becoming a wrong figure."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from indexer.document import Document, Paragraph, Table
from indexer.parse import parse_file
from indexer.readers.text import text_to_blocks
from indexer.tables.items import document_to_items

FIXTURES = ROOT / "tests" / "fixtures" / "page_text"
PAGE = ROOT / "corpus" / "real" / "fj_pingtan_2024_page.html"
VERSIONS = ["1.6.4", "1.12.2", "2.0.0", "2.1.0", "2.3.1"]
# The versions that drop a row's blank cells (1.6.4: one cell a line; 1.12.2: rows without a
# leading bar; 2.0.0 and 2.1.0: rows with one), as against 2.3.1, which keeps them in place.
BLANKS_MOVED = ["1.6.4", "1.12.2", "2.0.0", "2.1.0"]
NORMATIVE_DOCS = ["t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force"]


@pytest.fixture(scope="module")
def page() -> dict:
    return parse_file(PAGE).to_dict()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_real_page_as_trafilatura_writes_it_gives_every_figure_of_the_page(page, version):
    text = parse_file(FIXTURES / f"fj_pingtan_2024_page.trafilatura-{version}.txt").to_dict()
    assert text["figures"] == page["figures"]
    assert len(text["figures"]) == 200 and text["figures"]["t3.new.total"] == 218
    assert [f for f in text["flags"] if f["where"] and f["where"].startswith("t")] == []
    assert [s["n"] for s in text["sections"]] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("version", BLANKS_MOVED)
def test_a_row_whose_blank_cell_was_moved_is_null_never_shifted(page, version):
    """The page's 行政规范性文件 row with its 33 emptied: 62, blank, 440. The versions that drop the
    blank write 62 | 440 | | (2.1.0 read it as 62 and 440 in the next column, a wrong figure)."""
    report = parse_file(FIXTURES / f"fj_pingtan_2024_blank_cell.trafilatura-{version}.txt").to_dict()
    assert [report["figures"][k] for k in NORMATIVE_DOCS] == [None, None, None]
    moved = [f for f in report["flags"] if f["code"] == "blanks_dropped"]
    assert [f["where"] for f in moved] == ["t2.normative_docs"]
    assert "2 value(s) for 3 columns" in moved[0]["detail"]
    assert {k: v for k, v in report["figures"].items() if k not in NORMATIVE_DOCS} == \
        {k: v for k, v in page["figures"].items() if k not in NORMATIVE_DOCS}


@pytest.mark.parametrize("tool", ["html2text.txt", "markdownify.md", "html-text.txt", "chromium-innertext.txt",
                                  "chromium-innertext-unwrapped.txt", "selenium.txt", "selenium-unwrapped.txt"])
def test_a_real_page_as_other_tools_write_it_gives_every_figure_of_the_page(page, tool):
    """html2text (no outer bars, a ---|--- line, one-cell rows bare), markdownify (markdown),
    html-text (a cell a paragraph) and Chromium's innerText, what a copy or a browser-driving
    scraper takes (tabs between cells; a cell's paragraphs a line each, tabs then on lines of their
    own; the page's cells also without their paragraphs: inner_text.py --unwrap-cells), and
    Selenium's text (a cell a line where cells hold paragraphs; else a row a line, spaces between)."""
    text = parse_file(FIXTURES / f"fj_pingtan_2024_page.{tool}").to_dict()
    assert text["figures"] == page["figures"]
    assert [f for f in text["flags"] if f["where"] and f["where"].startswith("t")] == []


@pytest.mark.parametrize("name", ["trafilatura-2.3.1.txt", "html2text.txt", "chromium-innertext.txt",
                                  "chromium-innertext-unwrapped.txt"])
def test_a_blank_cell_kept_in_place_is_read_in_its_column(page, name):
    report = parse_file(FIXTURES / f"fj_pingtan_2024_blank_cell.{name}").to_dict()
    assert [report["figures"][k] for k in NORMATIVE_DOCS] == [62, None, 440]
    assert {f["code"] for f in report["flags"]} == {"blank_cells"}


def _tables(text: str) -> list[Table]:
    return [b for b in text_to_blocks(text) if isinstance(b, Table)]


def test_which_bar_tables_may_have_moved_blanks():
    unbarred = "规章 | 0 | 6 | |\n行政规范性文件 | 3 | 1 | 9 |"
    assert [t.blanks_dropped for t in _tables(unbarred)] == [True]
    assert _tables(unbarred)[0].rows[0] == ["规章 ", " 0 ", " 6 ", " "]
    # bars on every row but no sign of blanks kept in place: trafilatura 2.0/2.1 or a table without blanks
    assert [t.blanks_dropped for t in _tables("| 规章 | 0 | 6 | |\n| 行政规范性文件 | 3 | 1 | 9 |")] == [True]
    # a blank before a filled cell anywhere in the document: blanks are in their columns
    in_place = "| 规章 | 0 | 6 | |\n\n正文\n\n|  | 自然人 | 总计 |\n| 一、本年新收 | 5 | 5 |"
    assert [t.blanks_dropped for t in _tables(in_place)] == [False, False]
    # markdown's |---| line: a markdown writer's table, trailing blanks included
    assert [t.blanks_dropped for t in _tables("| 信息内容 | 本年制发件数 | |\n|---|---|---|\n| 规章 | 0 | |")] == [False]
    # rows without a leading bar are trafilatura's before 2.3 even beside a blank in place
    assert [t.blanks_dropped for t in _tables(in_place + "\n\n正文\n\n规章 | 0 | 6 | |")] == [False, False, True]


def test_html2text_tables_and_what_only_looks_like_one():
    rows = "信息内容| 本年制发件数| 本年废止件数| 现行有效件数  \n---|---|---|---  \n规章| 0| | 6  \n第二十条第（五）项  \n| | 5| 7  \n  \n正文"
    blocks = text_to_blocks(rows)
    assert [type(b).__name__ for b in blocks] == ["Table", "Paragraph"]
    assert blocks[0].rows[1] == ["规章", " 0", " ", " 6"] and blocks[0].rows[2] == ["第二十条第（五）项"]
    assert blocks[0].rows[3] == ["", " ", " 5", " 7"] and not blocks[0].blanks_dropped
    # a heading underlined (setext), a rule: no table
    assert [b.text for b in text_to_blocks("一、总体情况\n---\n\n正文 | 附表")] == ["一、总体情况", "---", "正文 | 附表"]


def test_a_line_of_bars_with_one_filled_cell_is_that_cell_as_text():
    blocks = text_to_blocks("卓尼县人民政府2020年度政府信息公开工作年度报告 | |||\n2021-02-09 发布:卓尼县人民政府办公室 | ||\n"
                            "|\n一、总体情况 |\n正文")
    assert [(type(b).__name__, b.text) for b in blocks] == [
        ("Paragraph", "卓尼县人民政府2020年度政府信息公开工作年度报告"),
        ("Paragraph", "2021-02-09 发布:卓尼县人民政府办公室"), ("Paragraph", "|"),
        ("Paragraph", "一、总体情况"), ("Paragraph", "正文")]
    assert "normal | text" in [b.text for b in text_to_blocks("normal | text")]


def _items(lines: list[str]) -> list[tuple[str, list]]:
    document = Document(path="x.txt", format="txt", blocks=[Paragraph(line) for line in lines])
    return [(item.label, item.segments) for item in document_to_items(document)]


def test_one_cell_a_line_is_read_as_rows_only_under_its_header():
    header = ["第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert ("规章", ["0", "0", "6"]) in _items(header + ["规章", "0", "0", "6", "行政规范性文件", "3", "1", "9"])
    # the same lines without the header's cells one a line: a lone number may be a page number
    items = _items(["行政许可", "3", "行政处罚 12"])
    assert ("行政许可", []) in items and ("", ["3"]) in items
    # a line holding its own values is never given the next line's number
    assert ("规章 ", ["0", "0", "6"]) in _items(header + ["规章 0 0 6", "7"])


def test_a_page_title_in_a_layout_table_names_the_report(tmp_path: Path):
    page = tmp_path / "page.txt"
    page.write_text("卓尼县人民政府2020年度政府信息公开工作年度报告 | |||\n一、总体情况\n2020年，全县主动公开信息5435条。\n",
                    encoding="utf-8")
    report = parse_file(page).to_dict()
    assert report["agency"] == "卓尼县人民政府" and report["year"] == 2020


def test_trafilatura_metadata_block_gives_the_page_title_address_and_date(page):
    """trafilatura --with-metadata: the page's <title> (column and site after the report's title),
    its address and date; the report reads as the page does, metadata and all."""
    text = parse_file(FIXTURES / "fj_pingtan_2024_page.trafilatura-2.3.1-metadata.txt").to_dict()
    assert text["title"] == "平潭综合实验区2024年度政府信息公开工作年度报告"
    assert text["source"]["url"] == page["source"]["url"]
    assert text["published"] == "2025-03-10"
    kept = ("title", "agency", "agency_key", "year", "published", "region", "level", "agency_type", "figures", "flags")
    assert {k: text[k] for k in kept} == {k: page[k] for k in kept}



def test_a_text_opening_with_a_rule_keeps_its_lines():
    from indexer.readers.text import read_text
    document = read_text("x.txt", data="---\n一、总体情况\n作者: 某局\n---\n正文\n".encode())
    assert document.meta == {} and [b.text for b in document.blocks][:2] == ["---", "一、总体情况"]


PDF = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
PDF_TEXT = ROOT / "tests" / "fixtures" / "pdf_text"  # made by its make_fixtures.sh


@pytest.fixture(scope="module")
def hongze() -> dict:
    return parse_file(PDF).to_dict()


@pytest.mark.parametrize("mode", ["pdftotext-layout", "pdftotext-raw"])
def test_a_real_pdf_as_pdftotext_writes_it_gives_every_figure_of_the_pdf(hongze, mode):
    text = parse_file(PDF_TEXT / f"js_huaian_hongze_2023.{mode}.txt").to_dict()
    assert text["figures"] == hongze["figures"]
    assert sorted(f["code"] for f in text["flags"]) == sorted(f["code"] for f in hongze["flags"])


def test_pdftotext_in_reading_order_gives_no_figure_the_pdf_does_not(hongze):
    """Its reading order puts some values before their labels (本年处理决定数量 / 550 / 行政许可):
    what cannot be placed stays null; nothing is read into the wrong row."""
    text = parse_file(PDF_TEXT / "js_huaian_hongze_2023.pdftotext.txt").to_dict()
    read = {k: v for k, v in text["figures"].items() if v is not None}
    assert read and all(hongze["figures"][k] == v for k, v in read.items())
    assert text["figures"]["t2.licensing.decisions"] is None


def test_one_cell_a_line_with_more_values_than_columns_is_not_placed():
    lines = ["第二十条第（六）项", "信息内容", "本年处理决定数量", "行政处罚", "行政强制", "4119", "195",
             "第二十条第（八）项", "信息内容", "本年收费金额（单位：万元）", "行政事业性收费", "7730.28"]
    document = Document(path="x.txt", format="txt", blocks=[Paragraph(line) for line in lines])
    from indexer.tables.table2 import items_to_t2
    part = items_to_t2(document_to_items(document), "2021")
    assert part.figures["t2.coercion.decisions"] is None and part.figures["t2.penalty.decisions"] is None
    assert part.figures["t2.fees.amount_wan"] == 7730.28
    assert [f.where for f in part.flags if f.code == "blanks_dropped"] == ["t2.coercion"]


@pytest.mark.parametrize("row", [
    "  规章                                              5                 24",  # pandoc's plain text of a .docx
    "规章\t\t5\t24",                                                               # a row copied from a page: tabs
])
def test_values_standing_in_columns_are_cells_and_a_lost_blank_leaves_the_row_null(row):
    """pandoc wrote a generated report's row (blank, 5, 24) so; read as digits run together it
    was 5, 2, 4 (a wrong figure). Values two spaces or a tab apart are cells: too few, no row."""
    from indexer.tables.table2 import items_to_t2
    lines = ["信息内容             本年制发件数                 本年废止件数      现行有效件数", row,
             "行政规范性文件       0                            5                 11"]
    document = Document(path="x.txt", format="txt", blocks=[Paragraph(line) for line in lines])
    part = items_to_t2(document_to_items(document), "2021")
    assert [part.figures[f"t2.regulations.{c}"] for c in ("issued", "repealed", "in_force")] == [None, None, None]
    assert [part.figures[k] for k in NORMATIVE_DOCS] == [0, 5, 11]
    assert [f.where for f in part.flags if f.code == "blanks_dropped"] == ["t2.regulations"]


def test_a_crawls_stray_single_spaces_still_let_digits_be_split():
    """The real Pingtan 2019 crawl: 230 000023 is 23 0 0 0 0 0 23 (the row's sums settle it)."""
    from indexer.tables.items import text_to_items
    item = text_to_items("一、本年新收政府信息公开申请数量230 000023")[0]
    assert item.segments == ["230", "000023"] and not item.blanks_dropped
    assert text_to_items("行政事业性收费 6.8 万元")[0].blanks_dropped is False
    assert text_to_items("政府集中采购  13  5394432.52元")[0].blanks_dropped is True


def test_a_browsers_text_of_cells_holding_paragraphs_is_read_a_row_a_line():
    from indexer.readers.text import _cells_between_tab_lines
    text = ("二、主动公开政府信息情况\n\n第二十条第（一）项\n\n\n信息内容\n\n\t\n\n本年制发件数\n\n\t\n\n本年废止件数"
            "\n\n\t\n\n现行有效件数\n\n\n\n\n行政规范性文件\n\n\t\n\n62\n\n\t\n\n\t\n\n440\n\n三、收到和处理"
            "政府信息公开申请情况\n\n（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\n\n\t\n\n申请人情况"
            "\n\n\n\n\n三、本\n\n年度办 \u00a0 \u00a0\n\n理结果\n\n\t\n\n（一）予以公开\n\n\t\n\n71\n\n\n\n\n"
            "2.申请人逾期未按收费通知要求缴纳费用、\n\n行政机关不再处理其政府信息公开申请\n\n\t\n\n0\n")
    assert _cells_between_tab_lines(text).split("\n") == [
        "二、主动公开政府信息情况", "第二十条第（一）项", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
        "行政规范性文件\t62\t\t440",  # the blank cell in its column
        "三、收到和处理政府信息公开申请情况",  # the text after a table's last value is no cell
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况",
        "三、本年度办理结果\t（一）予以公开\t71",  # a narrow cell's lines, one cell
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0"]
    # Word's text export (a cell a line, led by a tab) is not a browser's
    word = "信息内容\n\t规章\n\t0\n\n\t行政规范性文件\n\t62\n"
    assert _cells_between_tab_lines(word) == word


def test_tab_separated_rows_are_a_table_only_with_a_row_of_three_cells():
    blocks = text_to_blocks("信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t\t6\n正文")
    assert isinstance(blocks[0], Table) and blocks[0].rows[1] == ["规章", "0", "", "6"]
    assert not blocks[0].blanks_dropped
    # a heading numbered with a tab, twice: text
    assert [b.text for b in text_to_blocks("一、\t总体情况\n（一）\t主动公开\n正文")] == \
        ["一、\t总体情况", "（一）\t主动公开", "正文"]


def test_a_whole_page_copied_gives_its_title_and_date_after_its_menus(page):
    """The page's innerText opens on 25 lines of menus and a navigation trail ending 政府信息公开年报."""
    text = parse_file(FIXTURES / "fj_pingtan_2024_page.chromium-innertext.txt").to_dict()
    kept = ("title", "agency", "agency_key", "year", "published", "region", "level", "agency_type")
    assert {k: text[k] for k in kept} == {k: page[k] for k in kept}
    assert text["title"] == "平潭综合实验区2024年度政府信息公开工作年度报告" and text["published"] == "2025-03-10"


    """A real seed (Word's text export) whose part 一 heading is written 一、\\t总体情况, a text before a
    tab like a browser's: its tables are read as before, every figure."""
def test_words_export_with_a_heading_numbered_by_a_tab_is_still_words_export(tmp_path):
    """A real seed (Word's text export) whose part 一 heading is written 一、\t总体情况, a text before
    a tab as in a browser's: its tables are read as before, every figure."""
    seed = ROOT / "corpus" / "seeds" / "000_7eb9f2b2a221df7d.txt"
    text = seed.read_text(encoding="utf-8")
    assert "一、总体情况" in text
    retabbed = tmp_path / "seed.txt"
    retabbed.write_text(text.replace("一、总体情况", "一、\t总体情况", 1), encoding="utf-8")
    assert parse_file(retabbed).figures == parse_file(seed).figures


@pytest.mark.parametrize("name", ["selenium.txt", "selenium-unwrapped.txt"])
def test_selenium_drops_a_blank_cell_and_its_row_stays_null(page, name):
    """Selenium's text loses a blank cell (行政规范性文件 62 440): the row cannot be placed."""
    report = parse_file(FIXTURES / f"fj_pingtan_2024_blank_cell.{name}").to_dict()
    assert [report["figures"][k] for k in NORMATIVE_DOCS] == [None, None, None]
    assert [f["where"] for f in report["flags"] if f["code"] in ("blanks_dropped", "digits_ambiguous")] == \
        ["t2.normative_docs"]
    assert {k: v for k, v in report["figures"].items() if k not in NORMATIVE_DOCS} == \
        {k: v for k, v in page["figures"].items() if k not in NORMATIVE_DOCS}


def test_values_a_single_space_apart_are_cells_where_no_table_runs_digits_together():
    """A generated report as Selenium takes its page (generated_syn31_000012, make_fixtures.sh): its
    行政强制 row is blank, 0, 84 and reads 行政强制 　 0 84; taken for digits run together it was 0, 8, 4."""
    truth = json.loads((FIXTURES / "generated_syn31_000012.truth.json").read_text(encoding="utf-8"))["figures"]
    report = parse_file(FIXTURES / "generated_syn31_000012.selenium.txt", synthetic=True).to_dict()
    read = {k: v for k, v in report["figures"].items() if v is not None}
    assert all(truth[k] == v for k, v in read.items())
    assert [report["figures"][f"t2.coercion.{c}"] for c in ("prev_items", "change", "decisions")] == [None] * 3
    assert len(read) >= sum(v is not None for v in truth.values()) - 3
    # the real Pingtan 2019 crawl glues digits (规章000): there a single space may be a stray one
    from indexer.tables.items import Regions, cells_spaced_apart, text_to_items
    items = text_to_items("规章000") + text_to_items("一、本年新收政府信息公开申请数量230 000023")
    cells_spaced_apart(items, Regions((0, 2), None, None))
    assert not items[1].blanks_dropped
    items = text_to_items("规章0 0 0") + text_to_items("行政强制 　 0 84")
    cells_spaced_apart(items, Regions((0, 2), None, None))
    assert items[1].blanks_dropped and items[0].blanks_dropped


@pytest.mark.parametrize("tool", ["html2text.txt", "markdownify.md", "html-text.txt", "chromium-innertext.txt",
                                  "chromium-innertext-unwrapped.txt", "selenium.txt", "selenium-unwrapped.txt"])
def test_a_real_page_as_tools_that_keep_its_menus_write_it_gives_the_pages_metadata(page, tool):
    """Their text opens on the page's menus (25 to 64 lines; html2text's and markdownify's as
    markdown links, * [政府信息公开年报](../ "…")): the title and date after them are the page's."""
    text = parse_file(FIXTURES / f"fj_pingtan_2024_page.{tool}").to_dict()
    kept = ("title", "agency", "agency_key", "year", "published", "region", "level", "agency_type")
    assert {k: text[k] for k in kept} == {k: page[k] for k in kept}
