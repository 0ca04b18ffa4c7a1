"""Text writers: a report as a Word-export text file (or with markdown tables) and
as a government web page. Pure string work, fast enough for benchmark corpora."""
from __future__ import annotations

import html
import random

from .grids import Grid
from .layout import Para, SyntheticReport

BOOKMARK = "[bookmark: _GoBack]"
# Shares of the text encodings real users hold.
_ENCODINGS = (("utf-8", 70), ("utf-8-sig", 15), ("gb18030", 15))


def write_txt(report: SyntheticReport, rng: random.Random) -> bytes:
    """Word's "save as text" layout (every table cell on its own tab-led line, rows
    separated by a blank line), or, for a share, paragraphs with markdown tables."""
    markdown = rng.random() < 0.25
    # Word leaves a bookmark marker in some exports, even inside a paragraph (seed 001)
    bookmarked = rng.randrange(len(report.blocks)) if rng.random() < 0.15 else None
    parts: list[str] = []
    for i, block in enumerate(report.blocks):
        if isinstance(block, Para):
            text = BOOKMARK + block.text if i == bookmarked and block.role == "body" else block.text
            parts.append(text + ("\n\n" if markdown else "\n"))
        elif markdown:
            parts.append("\n".join(_markdown_table(block)) + "\n\n")
        else:
            padded = frozenset(rng.sample(block.shape.keys, 5)) if rng.random() < 0.1 else frozenset()
            parts.append(block.word_text(padded))
    text = "".join(parts)
    encoding = rng.choices([e for e, _ in _ENCODINGS], [w for _, w in _ENCODINGS])[0]
    if encoding == "gb18030" and rng.random() < 0.5:
        text = text.replace("\n", "\r\n")
    return text.encode(encoding)


def _markdown_table(grid: Grid) -> list[str]:
    matrix = grid.matrix()
    rows = ["| " + " | ".join(cell.strip() for cell in row) + " |" for row in matrix]
    return [rows[0], "|" + "|".join("---" for _ in range(grid.ncols)) + "|", *rows[1:]]


_MENU = ("首页", "政务公开", "政务服务", "互动交流", "走进本地")
_CRUMBS = ("首页", "政务公开", "政府信息公开", "政府信息公开年报")


def write_html(report: SyntheticReport, rng: random.Random) -> bytes:
    """A full page: header menu, breadcrumbs, the report, a footer with 网站标识码 and ICP."""
    e = html.escape
    site = f"{report.agency.place.county or report.agency.place.city or report.agency.place.province}人民政府"
    page_title = report.title if rng.random() < 0.5 else f"{report.title}_{site}"
    out = ['<!DOCTYPE html>', '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(page_title)}</title>", '<link rel="stylesheet" href="/css/style.css">']
    if report.page_date:
        out.append(f'<meta name="PubDate" content="{report.page_date} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}">')
    if report.url:
        out.append(f'<link rel="canonical" href="{e(report.url)}">')
    out += ["</head>", "<body>",
           '<header class="header">', f'<div class="logo"><a href="/">{e(site)}</a></div>', '<nav class="menu"><ul>']
    out += [f'<li><a href="/{i}/">{item}</a></li>' for i, item in enumerate(_MENU)]
    out += ["</ul></nav>", "</header>", '<nav class="breadcrumb">当前位置：'
            + " &gt; ".join(f'<a href="/c{i}/">{c}</a>' for i, c in enumerate(_CRUMBS)) + "</nav>",
            '<main class="main">', '<div class="article">']
    in_body = False
    for block in report.blocks:
        if isinstance(block, Para):
            if block.role == "title":
                out.append(f'<h1 class="title">{e(block.text)}</h1>')
                out.append('<div class="content TRS_Editor">')
                in_body = True
            elif block.role == "heading":
                out.append(f"<h3>{e(block.text)}</h3>")
            elif block.role == "signature":
                out.append(f'<p style="text-align: right">{e(block.text)}</p>')
            else:
                out.append(f'<p style="text-indent: 2em">{e(block.text)}</p>')
        else:
            out.append(_html_table(block, rng))
    if in_body:
        out.append("</div>")
    code = f"{rng.randint(1000000000, 9999999999)}"
    out += ["</div>", "</main>", '<footer class="footer">',
            f"<p>主办单位：{e(site)}办公室　承办单位：{e(site)}大数据中心</p>",
            f"<p>网站标识码：{code}　ICP备{rng.randint(10000000, 99999999)}号-1　"
            f"公网安备 {rng.randint(10000000000000, 99999999999999)}号</p>",
            "</footer>", "</body>", "</html>"]
    return ("\n".join(out) + "\n").encode("utf-8")


def _html_table(grid: Grid, rng: random.Random) -> str:
    wrap = rng.random() < 0.5
    rows = ['<table border="1" cellspacing="0" cellpadding="0" style="border-collapse: collapse">', "<tbody>"]
    for r, row in enumerate(grid.rows):
        cells = []
        for cell in row:
            if cell is None:
                continue
            span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
                   (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            written = grid.text(cell)
            text = "&nbsp;" if written == " " else html.escape(written)
            cells.append(f"<td{span}><p>{text}</p></td>" if wrap and text else f"<td{span}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)
