"""A generated report's web page re-rendered the way government CMSs publish it.

The generator writes one plain page (tests/test_roundtrip.py reads it back). Real sites wrap
the same article differently; these builders take the generated article (its title and the
body of its ``TRS_Editor`` div) and lay it out as:

- ``trs``: TRS WCM (拓尔思), as fj_pingtan_2024_page.html: the 政府网站集约化平台 meta set
  (ArticleTitle, PubDate, Url), a header menu, a share bar, a script that quotes the part
  names, the article in ``<div class=TRS_Editor>`` (with the editor's own ``<style>``) deep
  inside layout divs, a footer;
- ``hanweb``: 大汉 Hanweb: the whole page a layout table, the report in one cell of it
  (``<td class="bt_content"><div id="zoom">``) beside a cell of links, between
  ``<!--ZJEG_RSS.content.begin-->`` markers;
- ``one_column``: an old template: a one-column layout table whose rows hold the site
  header, the report, and the footer.

and ``dress_tables`` rewrites its data tables as Word pasted into a CMS editor writes them:
inline styles on every cell, numbers in ``<span>``s, label text broken by
``<span>…</span>\\n &nbsp; &nbsp;`` runs, ``&nbsp;``-padded numbers, header cells with
``<br/>``, blank cells as ``&nbsp;``.
"""
from __future__ import annotations

import random
import re

import lxml.html
from lxml import etree

NBSP_RUN = "\n &nbsp; &nbsp; &nbsp; &nbsp;"


def generated_article(page: bytes) -> tuple[str, str, str | None, str | None]:
    """(title, article inner HTML, PubDate meta, canonical URL) of a generated page."""
    root = lxml.html.document_fromstring(page.decode("utf-8"))
    title = root.find(".//h1").text_content()
    body = root.find_class("TRS_Editor")[0]
    inner = (body.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in body)
    pubdate = next((m.get("content") for m in root.iter("meta") if m.get("name") == "PubDate"), None)
    url = next((link.get("href") for link in root.iter("link") if link.get("rel") == "canonical"), None)
    return title, inner, pubdate, url


def _style(rng: random.Random) -> str:
    return rng.choice(['border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt',
                       'border-top:none;border-left:none;mso-border-alt:solid windowtext .5pt;width:42.5pt',
                       "text-align:center;font-family:'仿宋_GB2312'"])


def _dress_cell(td, rng: random.Random) -> None:
    text = td.text_content()
    for child in list(td):
        td.remove(child)
    td.text = None
    td.set("style", _style(rng))
    td.set("valign", "middle")
    p = etree.SubElement(td, "p", style="margin:0cm;text-align:center;line-height:150%")
    if not text.strip():
        p.text = "\u00a0"
        return
    if re.fullmatch(r"[\d.]+(?:万元|元)?", text.strip()):
        span = etree.SubElement(p, "span", lang="EN-US", style="font-size:10.5pt;font-family:'Times New Roman'")
        padded = rng.random() < 0.3
        span.text = ("\u00a0" if padded else "") + text.strip() + ("\u00a0" if padded else "")
        return
    # a label: broken by spans and &nbsp; runs where the editor wrapped it
    cut = len(text) // 2 if len(text) >= 4 and rng.random() < 0.5 else len(text)
    first = etree.SubElement(p, "span", style="font-family:宋体")
    first.text = text[:cut]
    if cut < len(text):
        if rng.random() < 0.5:
            etree.SubElement(p, "br")
            tail_span = etree.SubElement(p, "span", style="font-family:宋体")
            tail_span.text = text[cut:]
        else:
            first.tail = NBSP_RUN.replace("&nbsp;", "\u00a0") + text[cut:] + NBSP_RUN.replace("&nbsp;", "\u00a0")


def dress_tables(article: str, rng: random.Random) -> str:
    """The article's data tables with Word-in-CMS cell markup (see the module docstring)."""
    fragment = lxml.html.fragment_fromstring(article, create_parent="div")
    for table in fragment.iter("table"):
        table.set("class", "MsoNormalTable")
        table.set("style", "width:100%;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt")
        for td in table.iter("td"):
            _dress_cell(td, rng)
    return "".join(etree.tostring(child, encoding="unicode") for child in fragment)


_SHARE = ('<div class="share"><span>分享到：</span><a href="javascript:void(0);" title="分享到微信">微信</a>'
          '<a href="javascript:void(0);" title="分享到新浪微博">微博</a></div>')
_SCRIPT = ('<script>var parts = ["一、总体情况", "六、其他需要报告的事项"]; '
           'document.write("<div class=\\"tip\\">本报告共六个部分</div>");</script>')


def trs_page(title: str, article: str, pubdate: str | None, url: str | None) -> str:
    """TRS WCM / 集约化平台 page, as the real fj_pingtan_2024_page.html is laid out."""
    metas = [f'<meta name="ArticleTitle" content="{title}"/>', '<meta name="SiteName" content="某市人民政府"/>',
             '<meta name="ColumnName" content="政府信息公开年报"/>']
    metas += [f'<meta name="PubDate" content="{pubdate}"/>'] if pubdate else []
    metas += [f'<meta name="Url" content="{url}"/>'] if url else []
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8" />
<title>{title}_政府信息公开年报_某市人民政府</title>{''.join(metas)}
<script src="/js/jquery.min.js"></script>{_SCRIPT}</head><body>
<div class="header"><div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li></ul></div></div>
<div class="container"><div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 年报</div>
<div class="detail_box"><div class="detail_title"><h1 class="title">{title}</h1>
<div class="info"><span>来源：某市人民政府办公室</span><span>发布时间：{(pubdate or "")[:10]}</span>{_SHARE}</div></div>
<div class="tabs_content"><div class="article_area"><div class="article_content">
<div class=TRS_Editor><style type="text/css">.TRS_Editor P{{margin-top:0px;margin-bottom:0px;line-height:1.5;font-family:宋体;font-size:12pt;}}</style>{article}</div>
</div></div></div>
<div class="fujian"><span>相关附件：</span><a href="/f.pdf">附件.pdf</a></div>
</div></div>
<div class="footer"><p>主办单位：某市人民政府办公室 网站标识码：3500000001 闽ICP备00000000号</p></div>
<script>$(function(){{ $(".share").show(); }});</script></body></html>"""


def hanweb_page(title: str, article: str, pubdate: str | None, url: str | None) -> str:
    """大汉 Hanweb page: a layout table, the report in one of its cells."""
    links = "".join(f'<tr><td><a href="/col/{i}/">栏目{i}</a></td></tr>' for i in range(6))
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title>{canonical}</head><body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td colspan="2"><img src="/images/banner.jpg"></td></tr>
<tr><td width="220" valign="top" class="left"><table width="100%">{links}</table></td>
<td valign="top" class="bt_content">
<table width="100%" border="0"><tr><td align="center" class="title">{title}</td></tr>
<tr><td align="center">发布日期：{(pubdate or "")[:10]}　　信息来源：本站　　【字体：大 中 小】</td></tr></table>
<!--ZJEG_RSS.content.begin--><meta name="ContentStart"><div id="zoom">{article}</div><meta name="ContentEnd"><!--ZJEG_RSS.content.end-->
<table width="100%"><tr><td align="right"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></td></tr></table>
</td></tr>
<tr><td colspan="2" class="bottom">版权所有：某县人民政府　技术支持：大汉网络</td></tr>
</table></body></html>"""


def one_column_page(title: str, article: str, pubdate: str | None, url: str | None) -> str:
    """An old template: one-column layout table, the report in one of its rows."""
    return f"""<html><head><meta charset="gb2312"><title>{title}</title></head><body>
<table width="100%"><tr><td><a href="/">网站首页</a> | <a href="/xxgk/">信息公开</a></td></tr>
<tr><td><h2>{title}</h2><p>发布时间：{(pubdate or "")[:10]}</p>{article}</td></tr>
<tr><td>Copyright 某县人民政府 All Rights Reserved</td></tr></table></body></html>"""


PAGES = {"trs": trs_page, "hanweb": hanweb_page, "one_column": one_column_page}
