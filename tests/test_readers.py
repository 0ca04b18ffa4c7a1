"""Readers on real content: every format must give the rows Word's own text export gives.

Seed 001 is a Word document exported to text by Word itself, so its tables
are the golden rows: the .docx and HTML built here carry the same tables
with real merged cells (gridSpan/vMerge, colspan/rowspan) and must read back
to exactly those rows.
"""
from __future__ import annotations

import codecs
from html import escape
from pathlib import Path

import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from indexer.document import Paragraph, Table
from indexer.errors import ReaderError, UnsupportedFormat
from indexer.parse import parse_file
from indexer.readers import read_document
from indexer.readers.docx import read_docx
from indexer.readers.html import read_html
from indexer.readers.pdf import read_pdf
from indexer.readers.text import read_text
from readers_helpers import SEED_001_GRIDS, merged_table_html, seed_as_docx, write_docx

ROOT = Path(__file__).resolve().parent.parent
SEED_001 = ROOT / "corpus/seeds/001_c79327e4fbc2ded3.txt"
SEED_000 = ROOT / "corpus/seeds/000_7eb9f2b2a221df7d.txt"
HONGZE_PDF = ROOT / "corpus/real/js_huaian_hongze_2023_hzq2023_working.pdf"


@pytest.fixture(scope="module")
def seed_001():
    return read_text(SEED_001)


def _block_kinds(document):
    return [type(b).__name__ for b in document.blocks]


# --- text ---------------------------------------------------------------------------------

def test_seed_001_tables_as_word_exported_them(seed_001):
    t3 = seed_001.tables[1].rows
    assert t3[1] == ["", "自然人", "法人或其他组织", "总计"]
    assert t3[2] == ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]
    assert t3[10] == ["", "", "4.保护第三方合法权益", "\xa05", "\xa0", "\xa0", "\xa0", "\xa0", "\xa0", "\xa0"]
    assert seed_001.tables[0].rows[2] == ["规章", "\u3000\u30000", "\xa03", "\u3000"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_give_the_same_document(tmp_path, encoding):
    original = read_text(SEED_000)
    text = SEED_000.read_text(encoding="utf-8")
    if encoding == "utf-16-le":  # no BOM: told apart by its zero bytes
        data = text.encode("utf-16-le")
    elif encoding == "utf-16-be":
        data = text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    assert encoding != "utf-16" or data.startswith(codecs.BOM_UTF16)
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    document = read_document(path)
    assert document.blocks == original.blocks
    assert document.text() == original.text()


def test_gbk_text_with_crlf(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("一、总体情况\r\n本年度收到申请5件。\r\n".encode("gbk"))
    assert [p.text for p in read_document(path).paragraphs] == ["一、总体情况", "本年度收到申请5件。"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_text_cut_mid_character_keeps_its_encoding(tmp_path, encoding):
    text = SEED_000.read_text(encoding="utf-8").rstrip()
    assert ord(text[-1]) > 0x4E00
    path = tmp_path / "cut.txt"
    path.write_bytes(text.encode(encoding)[:-1])  # the last character loses a byte
    document = read_document(path)
    original = read_text(SEED_000)
    assert document.blocks[:-1] == original.blocks[:-1]
    assert document.blocks[-1].text == original.blocks[-1].text[:-1] + "\ufffd"


# --- docx ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_001_docx(tmp_path_factory, seed_001):
    return seed_as_docx(seed_001, tmp_path_factory.mktemp("docx") / "seed001.docx")


def test_docx_tables_equal_words_own_text_export(seed_001_docx, seed_001):
    document = read_docx(seed_001_docx)
    assert document.format == "docx"
    assert [t.rows for t in document.tables] == [t.rows for t in seed_001.tables]
    # gridSpan once, vMerge continuation "", two paragraphs in a cell joined
    assert document.tables[0].rows[1] == ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]
    assert document.tables[0].rows[13] == ["信息内容", "上一年项目数量", "本年增/减"]
    assert document.tables[2].rows[0] == ["行政复议", "行政诉讼"]
    assert document.tables[2].rows[2][:6] == ["", "", "", "", "", "结果维持"]


def test_docx_keeps_document_order_and_heading_levels(seed_001_docx, seed_001):
    document = read_docx(seed_001_docx)
    assert _block_kinds(document) == _block_kinds(seed_001)
    assert [p.text for p in document.paragraphs] == [p.text for p in seed_001.paragraphs]
    levels = {p.text: p.level for p in document.paragraphs}
    assert levels["二、主动公开政府信息情况"] == 2
    assert levels[seed_001.paragraphs[0].text] == 1
    assert levels[seed_001.paragraphs[2].text] is None


def test_docx_layout_table_is_flattened(tmp_path, seed_001):
    document = read_docx(seed_as_docx(seed_001, tmp_path / "framed.docx", wrap_in_layout_table=True))
    assert document.blocks[0] == Paragraph("网站导航")
    assert [t.rows for t in document.tables] == [t.rows for t in seed_001.tables]
    assert [p.text for p in document.paragraphs[1:]] == [p.text for p in seed_001.paragraphs]


def test_docx_line_break_and_tab_inside_paragraph(tmp_path):
    def build(word):
        paragraph = word.add_paragraph("某市信访局")
        paragraph.add_run().add_break()
        paragraph.add_run("2020年度政府信息公开工作年度报告")
        table = word.add_table(rows=1, cols=2)
        table.cell(0, 0).paragraphs[0].add_run("结果")
        table.cell(0, 0).paragraphs[0].add_run().add_break()
        table.cell(0, 0).paragraphs[0].add_run("维持")
        table.cell(0, 1).paragraphs[0].add_run(" 3 ")

    document = read_docx(write_docx(tmp_path / "breaks.docx", build))
    assert [p.text for p in document.paragraphs] == ["某市信访局", "2020年度政府信息公开工作年度报告"]
    assert document.tables[0].rows == [["结果维持", " 3 "]]


def test_docx_content_controls_tracked_changes_and_old_hmerge(tmp_path):
    def build(word):
        body = word.element.body
        sect = body[-1]
        body.insert(len(body) - 1, parse_xml(
            f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent>'
            '<w:p><w:r><w:t>一、总体</w:t></w:r><w:del><w:r><w:delText>删掉的</w:delText></w:r></w:del>'
            '<w:ins><w:r><w:t>情况</w:t></w:r></w:ins></w:p>'
            '<w:tbl><w:tr><w:tc><w:tcPr><w:hMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>行政复议</w:t></w:r></w:p></w:tc>'
            '<w:tc><w:tcPr><w:hMerge/></w:tcPr><w:p/></w:tc>'
            '<w:tc><w:p><w:r><w:t>行政诉讼</w:t></w:r></w:p></w:tc></w:tr>'
            '<w:sdt><w:sdtContent><w:tr><w:tc><w:p><w:r><w:t xml:space="preserve"> 1</w:t></w:r></w:p></w:tc>'
            '<w:tc><w:p><w:fldSimple w:instr="=SUM(LEFT)"><w:r><w:t>2</w:t></w:r></w:fldSimple></w:p></w:tc>'
            '<w:tc><w:p/></w:tc></w:tr></w:sdtContent></w:sdt></w:tbl>'
            '</w:sdtContent></w:sdt>'))
        assert body[-1] is sect

    document = read_docx(write_docx(tmp_path / "controls.docx", build))
    assert document.blocks == [Paragraph("一、总体情况"), Table([["行政复议", "行政诉讼"], [" 1", "2", ""]])]


# --- html ---------------------------------------------------------------------------------

def _seed_as_page(seed) -> str:
    grids = iter(SEED_001_GRIDS)
    body = []
    for block in seed.blocks[1:]:
        if isinstance(block, Table):
            body.append(merged_table_html(block.rows, next(grids)))
        elif block.text.startswith(("一、", "二、", "三、", "四、", "五、", "六、")):
            body.append(f"<h3>{escape(block.text)}</h3>")
        else:
            body.append(f"<p>　　{escape(block.text)}</p>\n")
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>市民政局政府信息公开工作2019年度报告_某市人民政府</title>
<link rel="canonical" href="http://www.example.gov.cn/art/2020/1/20/art_1.html">
<script>var s = "一、总体情况 六、其他需要报告的事项";</script><style>p {{ color: red }}</style></head>
<body><div id="header"><ul class="nav"><li>首页</li><li>政务公开</li></ul></div>
<div class="breadcrumb">首页 &gt; 政府信息公开 &gt; 年度报告</div>
<table width="100%"><tr>
<td class="leftcol"><div class="sidebar"><a href="#">政府信息公开指南</a></div></td>
<td><h1>{escape(seed.blocks[0].text)}</h1>
<div class="info">发布时间：2020-01-20　来源：市民政局</div>
<div id="zoom">{''.join(body)}</div>
<div class="bdshare">分享到：微信 微博</div></td></tr></table>
<div class="footer">主办单位：某市人民政府办公室 网站标识码1234</div></body></html>"""


@pytest.fixture(scope="module")
def seed_001_page(tmp_path_factory, seed_001):
    path = tmp_path_factory.mktemp("html") / "page.html"
    path.write_bytes(_seed_as_page(seed_001).encode("gb18030"))  # declared gb2312, holds GBK
    return path


def test_html_report_body_tables_and_meta(seed_001_page, seed_001):
    document = read_html(seed_001_page)
    assert document.meta == {"title": "市民政局政府信息公开工作2019年度报告_某市人民政府",
                             "url": "http://www.example.gov.cn/art/2020/1/20/art_1.html",
                             "published": "2020-01-20"}
    assert [t.rows for t in document.tables] == [t.rows for t in seed_001.tables]
    assert [p.text for p in document.paragraphs] == [p.text for p in seed_001.paragraphs]
    assert document.paragraphs[0].level == 1
    assert [p.level for p in document.paragraphs if p.text.startswith("三、")] == [3]
    text = document.text()
    for chrome in ("首页", "政府信息公开指南", "分享到", "主办单位", "var s"):
        assert chrome not in text
    assert _block_kinds(document) == _block_kinds(seed_001)


def test_html_rowspan_colspan_and_breaks(tmp_path):
    page = """<html><head><meta charset="utf-8"><meta property="og:url" content="https://x.gov.cn/a.html">
    </head><body><p>一、总体情况<br>本年度收到申请5件。</p>
    <table><tbody>
      <tr><th rowspan="2">行政复议</th><th colspan="2">行政诉讼</th></tr>
      <tr><td>结果<br>维持</td><td>
        结果纠正
      </td></tr>
      <tr><td>&nbsp;</td><td>0</td><td> 1 </td></tr>
      <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>2</td></tr>
      <tr><td>（二）部分公开</td></tr>
    </tbody></table><div>六、其他需要报告的事项</div></body></html>"""
    path = tmp_path / "spans.htm"
    path.write_text(page, encoding="utf-8")
    document = read_document(path)
    assert document.meta == {"url": "https://x.gov.cn/a.html"}
    assert document.tables[0].rows == [
        ["行政复议", "行政诉讼"],
        ["", "结果维持", "结果纠正"],
        ["\xa0", "0", "1"],
        ["三、本年度办理结果", "（一）予以公开", "2"],
        ["", "（二）部分公开"],
    ]
    assert [p.text for p in document.paragraphs] == ["一、总体情况", "本年度收到申请5件。", "六、其他需要报告的事项"]


def test_html_body_title_and_date_beside_scripts_and_chrome(tmp_path):
    page = """<html><head><meta charset="utf-8"><title>年度报告</title></head><body>
    <div class="top-nav">首页 日期：2024-05-01</div>
    <script>document.write("一、总体情况 六、其他需要报告的事项");</script>
    <div class="article">
      <div class="con-title"><h2>某区信访局2020年政府信息公开工作年度报告</h2></div>
      <div class="source">来源：某区信访局　发布时间：2021年1月20日</div>
      <div class="TRS_Editor">
        <p>一、总体情况</p><p>　　本年度收到申请5件。</p>
        <table><tr><td><p>采购项目</p><p>数量</p></td><td>采购总金额</td></tr><tr><td>6</td><td>6.8万元</td></tr></table>
        <p>六、其他需要报告的事项</p><p>无。</p>
        <!-- 一、总体情况 in a comment -->
      </div>
    </div>
    <table><tr><td><div id="footer">更新日期：2024-05-02 版权所有</div></td></tr></table>
    </body></html>"""
    path = tmp_path / "report.shtml"
    path.write_text(page, encoding="utf-8")
    document = read_document(path)
    assert document.meta == {"title": "年度报告", "published": "2021-01-20"}
    assert document.blocks == [
        Paragraph("某区信访局2020年政府信息公开工作年度报告", 1),
        Paragraph("一、总体情况"), Paragraph("本年度收到申请5件。"),
        Table([["采购项目数量", "采购总金额"], ["6", "6.8万元"]]),
        Paragraph("六、其他需要报告的事项"), Paragraph("无。"),
    ]


def test_html_report_laid_out_in_a_one_column_table(tmp_path):
    page = """<html><body><table>
    <tr><td><h2>某县教育局2020年政府信息公开工作年度报告</h2></td></tr>
    <tr><td>本报告依据《条例》编制，包括总体情况等六部分及其他需要报告的事项。</td></tr>
    <tr><td><p>一、总体情况</p><p>本年度收到申请3件。</p></td></tr>
    <tr><td><table><tr><td>行政复议</td><td>行政诉讼</td></tr><tr><td>0</td><td>1</td></tr></table></td></tr>
    <tr><td><p>六、其他需要报告的事项</p><p>无。</p></td></tr>
    </table></body></html>"""
    path = tmp_path / "framed.html"
    path.write_text(page, encoding="utf-8")
    assert read_document(path).blocks == [
        Paragraph("某县教育局2020年政府信息公开工作年度报告", 2),
        Paragraph("本报告依据《条例》编制，包括总体情况等六部分及其他需要报告的事项。"),
        Paragraph("一、总体情况"), Paragraph("本年度收到申请3件。"),
        Table([["行政复议", "行政诉讼"], ["0", "1"]]),
        Paragraph("六、其他需要报告的事项"), Paragraph("无。"),
    ]


def test_html_saved_as_txt_is_read_as_html(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("<!DOCTYPE html><html><body><p>一、总体情况</p><p>六、其他需要报告</p></body></html>",
                    encoding="utf-8")
    document = read_document(path)
    assert document.format == "html"
    assert [p.text for p in document.paragraphs] == ["一、总体情况", "六、其他需要报告"]


# --- pdf ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hongze():
    return read_pdf(HONGZE_PDF)


def _table_with(document, label):
    return next(t for t in document.tables if any(label in cell for row in t.rows for cell in row))


def _row(table, label):
    return next(row for row in table.rows if any(label in cell for cell in row))


def test_pdf_table_3_rows(hongze):
    t3 = _table_with(hongze, "一、本年新收政府信息公开申请数量")
    assert t3.rows[0] == ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"]
    assert t3.rows[1] == ["", "自然人", "法人或其他组织", "总计"]
    assert t3.rows[2] == ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]
    assert _row(t3, "一、本年新收") == ["一、本年新收政府信息公开申请数量", "21", "0", "0", "0", "0", "0", "21"]
    # the 4 belongs to 部分公开; 予以公开 is all 0 (expected.json notes)
    assert _row(t3, "予以公开") == ["三、本年度办理结果", "（一）予以公开", "0", "0", "0", "0", "0", "0", "0"]
    assert _row(t3, "部分公开") == ["", "（二）部分公开（区分处理的，只计这一情 形，不计其他情形）",
                                 "4", "0", "0", "0", "0", "0", "4"]
    assert _row(t3, "1.属于国家秘密") == ["", "（三）不予公开", "1.属于国家秘密", "1", "0", "0", "0", "0", "0", "1"]
    assert _row(t3, "1.本机关不掌握") == ["", "（四）无法提供", "1.本机关不掌握相关政府信息",
                                      "10", "0", "0", "0", "0", "0", "10"]
    # the last row on page 3 has no bottom ruling; it must still be a table row
    assert t3.rows[-1] == ["", "", "2.没有现成信息需要另行制作", "3", "0", "0", "0", "0", "0", "3"]


def test_pdf_table_3_continues_as_a_second_table(hongze):
    rest = _table_with(hongze, "（七）总计")
    assert rest.rows[0] == ["", "", "3.补正后申请内容仍不明确", "0", "0", "0", "0", "0", "0", "0"]
    assert _row(rest, "（七）总计") == ["", "（七）总计", "21", "0", "0", "0", "0", "0", "21"]
    assert rest.rows[-1] == ["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"]
    assert _row(rest, "5.要求行政机关确认") == ["", "", "5.要求行政机关确认或重 新出具已获取信息",
                                           "0", "0", "0", "0", "0", "0", "0"]


def test_pdf_table_4_rows(hongze):
    t4 = _table_with(hongze, "行政复议")
    assert t4.rows == [
        ["行政复议", "行政诉讼"],
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总 计", "未经复议直接起诉", "复议后起诉"],
        ["", "", "", "", "", "结果维持", "结果纠正", "其他结果", "尚未审结", "总 计",
         "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
        ["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"],
    ]


def test_pdf_paragraphs_merge_lines_and_drop_page_numbers(hongze):
    texts = [p.text for p in hongze.paragraphs]
    assert texts[:4] == ["洪泽区人民政府", "2023 年政府信息公开工作年度报告",
                         texts[2], "一、总体情况"]
    assert texts[2].startswith("本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府信息公开条例》")
    assert texts[2].endswith("hzzwgk@126.com）。")
    # a paragraph broken by the page end continues on the next page
    assert any(t.startswith("加强区政府门户网站") and "严格执行“分级审核、先审后发”程序" in t for t in texts)
    assert not any(t.startswith("- ") for t in texts)
    assert "六、其他需要报告的事项" in texts
    assert texts[-1] == "2023 年，区政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费 0 元。"
    # table cells are not repeated as text
    assert not any("本机关不掌握" in t for t in texts)
    assert hongze.paragraphs[0].level == 1


def test_pdf_blocks_in_reading_order(hongze):
    kinds = []
    for block in hongze.blocks:
        if isinstance(block, Table):
            kinds.append("T")
        elif block.text[:2] in ("二、", "三、", "四、", "五、"):
            kinds.append(block.text[:2])
    assert kinds == ["二、", "T", "T", "三、", "T", "T", "四、", "T", "五、"]


def _draw_report_pdf(path: Path) -> Path:
    """Three pages: a running header, page numbers, wrapped paragraphs, an unruled table."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font, em, left, width = "STSong-Light", 12, 72, 451
    sentence = "本机关认真贯彻落实政府信息公开条例，不断完善工作机制，持续提升公开质量，确保各项工作有序推进并取得实效。"
    c = canvas.Canvas(str(path), pagesize=(595, 842))

    def page(number, body):
        c.setFont(font, 9)
        c.drawString(left, 800, "某市民政局政府信息公开工作年度报告")
        c.drawCentredString(297, 40, f"- {number} -")
        c.setFont(font, em)
        y = 760
        for kind, content in body:
            if kind == "heading":
                c.drawString(left + 2 * em, y, content)
                y -= 20
            elif kind == "paragraph":  # first line indented two characters, the rest fill the width
                first = True
                while content:
                    indent = 2 * em if first else 0
                    count = int((width - indent) // em)
                    c.drawString(left + indent, y, content[:count])
                    content, first, y = content[count:], False, y - 20
            else:  # table rows: label, then right-aligned numbers on fixed columns
                for row in content:
                    c.drawString(left, y, row[0])
                    for i, value in enumerate(row[1:]):
                        if value:
                            c.drawRightString(300 + 40 * i, y, value)
                    y -= 18
        c.showPage()

    page(1, [("heading", "一、总体情况"), ("paragraph", sentence * 2), ("heading", "（一）主动公开情况"),
             ("paragraph", sentence)])
    page(2, [("heading", "四、政府信息公开行政复议、行政诉讼情况"),
             ("table", [["行政复议", "10", "1", "0", "0", "11"], ["未经复议直接起诉", "0", "0", "0", "0", "0"],
                        ["复议后起诉", "2", "", "0", "1", "3"]]),
             ("heading", "五、存在的主要问题及改进情况"), ("paragraph", sentence)])
    page(3, [("heading", "六、其他需要报告的事项"), ("paragraph", "无。")])
    c.save()
    return path


def test_pdf_drawn_without_rulings(tmp_path):
    document = read_document(_draw_report_pdf(tmp_path / "drawn.pdf"))
    sentence = "本机关认真贯彻落实政府信息公开条例，不断完善工作机制，持续提升公开质量，确保各项工作有序推进并取得实效。"
    assert document.format == "pdf"
    assert [p.text for p in document.paragraphs] == [
        "一、总体情况", sentence * 2, "（一）主动公开情况", sentence,
        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", sentence,
        "六、其他需要报告的事项", "无。",
    ]
    # the number missing from a row stays a blank cell in its own column
    assert document.tables == [Table([["行政复议", "10", "1", "0", "0", "11"],
                                      ["未经复议直接起诉", "0", "0", "0", "0", "0"],
                                      ["复议后起诉", "2", "", "0", "1", "3"]])]
    assert _block_kinds(document)[4:6] == ["Paragraph", "Table"]


# --- the whole pipeline: one report, three formats, one result ------------------------

def test_same_report_from_text_docx_and_html(seed_001_docx, seed_001_page):
    keys = ("title", "agency", "year", "template", "region", "sections", "figures", "cells", "flags")
    expected = parse_file(SEED_001).to_dict()
    for path in (seed_001_docx, seed_001_page):
        report = parse_file(path).to_dict()
        assert {k: report[k] for k in keys} == {k: expected[k] for k in keys}, path.suffix


def test_bytes_already_read_give_the_same_document(corpus_files):
    # ingest hashes a file's bytes first and hands them on, so a text file is not opened twice
    for path in corpus_files:
        assert read_document(path, path.read_bytes()) == read_document(path), path.name


def test_bytes_already_read_are_checked_like_a_file(tmp_path):
    path = tmp_path / "empty.txt"
    with pytest.raises(ReaderError, match="empty file"):
        read_document(path, b"")
    with pytest.raises(UnsupportedFormat, match="unsupported format '.xls'"):
        read_document(tmp_path / "table.xls", b"not a report")
