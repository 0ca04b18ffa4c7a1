"""Government web pages as real CMSs render them (tests/cms_pages.py), built from generated
reports: the figures, parts and metadata must be the generator's ground truth, cell for cell.
"""
from __future__ import annotations

import json
import random

import pytest

from indexer.generate import generate_corpus
from indexer.parse import parse_file
from indexer.readers.html import read_html

from cms_pages import PAGES, dress_tables, generated_article

REPORTS = 6
SEED = 41
FIELDS = ("title", "agency", "year", "template", "region", "level", "agency_type", "published")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cms")
    # half with planted faults: the flags must come out the same through the CMS markup
    return generate_corpus(REPORTS, out, formats=("html",), seed=SEED, fault_share=0.5)


def _essentials(report: dict) -> dict:
    return {
        **{name: report[name] for name in FIELDS},
        "sections": [(s["n"], s["heading"], s["text"]) for s in report["sections"]],
        "figures": report["figures"],
        "flags": sorted((f["code"], f["where"] or "") for f in report["flags"]),
    }


@pytest.mark.parametrize("cms", sorted(PAGES))
@pytest.mark.parametrize("dressed", [False, True], ids=["plain-cells", "word-cells"])
@pytest.mark.parametrize("index", range(REPORTS))
def test_cms_page_gives_the_ground_truth(generated, tmp_path, cms, dressed, index):
    path = generated[index]
    truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    title, article, pubdate, url = generated_article(path.read_bytes())
    if dressed:
        article = dress_tables(article, random.Random(f"{SEED}:{index}"))
    page = tmp_path / f"{cms}.html"
    page.write_text(PAGES[cms](title, article, pubdate, url), encoding="utf-8")
    got = parse_file(page, synthetic=True).to_dict()
    assert _essentials(got) == _essentials(truth)
    if url and cms != "one_column":
        assert got["source"]["url"] == url


def test_chrome_is_dropped_and_the_layout_table_is_not_a_data_table(generated, tmp_path):
    title, article, pubdate, url = generated_article(generated[0].read_bytes())
    for cms, build in PAGES.items():
        page = tmp_path / f"{cms}.html"
        page.write_text(build(title, article, pubdate, url), encoding="utf-8")
        document = read_html(page)
        text = document.text()
        for noise in ("首页", "分享到", "网站标识码", "打印本页", "版权所有", "栏目1", "相关附件", "本报告共六个部分"):
            assert noise not in text, (cms, noise)
        # the three data tables, and nothing else: the page's layout tables are not tables of the report
        assert len(document.tables) == 3, cms
        assert document.tables[0].rows[0] == ["第二十条第（一）项"]
        assert document.paragraphs[0].text == title


def test_word_cells_read_as_their_text(tmp_path):
    """A cell of the real page's kind: label broken by a span and &nbsp; runs, number in a span."""
    page = tmp_path / "cells.html"
    page.write_text("""<html><body><div class=TRS_Editor><p>一、总体情况</p><table><tbody>
<tr><td style="border:solid windowtext 1.0pt"><p><span>社会公益</span>
 &nbsp; &nbsp; &nbsp;组织 &nbsp; &nbsp;</p></td>
<td rowspan="2" style="width:42.5pt"><p align="center"><span lang="EN-US">&nbsp;12&nbsp;</span></p></td>
<td><p>&nbsp;</p></td></tr>
<tr><td>法律<br/>服务机构</td><td>&nbsp;</td></tr></tbody></table>
<p>六、其他需要报告的事项</p></div></body></html>""", encoding="utf-8")
    (table,) = read_html(page).tables
    # the wrap and its &nbsp; padding are gone; other &nbsp;s stay as written (the &nbsp; cell
    # is a blank, not the rowspan continuation "")
    assert table.rows == [["社会公益组织 \u00a0 \u00a0", "\u00a012\u00a0", "\u00a0"], ["法律服务机构", "", "\u00a0"]]
