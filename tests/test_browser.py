"""The web front end in a real browser (Debian's chromium through pytest-playwright),
served on a free loopback port over a data directory ingested from corpus/.

Run with: .venv/bin/pytest -m browser tests/test_browser.py
"""
from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from web import create_app
from web_helpers import MISSION_QUERY, build_web_data

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORTS = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a downloaded browser; no network chatter."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app over the ingested corpus, on a free loopback port in a background thread."""
    config = build_web_data(tmp_path_factory.mktemp("browser-data"))
    app = create_app({"XXGK_CONFIG": config})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


def query_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("q", [""])[0]


def test_typing_the_mission_query_shows_exactly_the_expected_report(page, server):
    page.goto(server + "/")
    expect(page.locator("li.hit")).to_have_count(11)  # every report of the web test corpus
    page.locator("#q").press_sequentially(MISSION_QUERY, delay=20)
    # no submit: the results follow the typing (htmx, debounced) and the URL follows the query
    expect(page.locator("li.hit")).to_have_count(1)
    expect(page.locator("li.hit h3 a")).to_have_text("市中区信访局")
    expect(page.locator("li.hit h3 .year")).to_have_text("2020")
    expect(page).to_have_url(re.compile(r"q=type"))
    assert query_of(page.url) == MISSION_QUERY
    stats_link = page.locator("#site-nav a").nth(1)  # the header's links follow the query too
    assert query_of(stats_link.get_attribute("href")) == MISSION_QUERY


def test_the_agency_and_rate_facets_arrive_when_opened_and_filter(page, server):
    page.goto(server + "/?q=")
    expect(page.locator("li.hit").first).to_be_visible()
    assert page.locator("section.facet[data-facet=agency]").count() == 0   # counted only when opened
    page.locator("details.more-facets summary").click()
    bucket = page.locator('section.facet[data-facet="grant_rate"] a[data-value="0.2..0.3"]')
    expect(bucket.locator(".count")).to_have_text("2")      # fetched when the sidebar's details opened
    expect(page.locator('section.facet[data-facet="agency"] a').first).to_be_visible()
    bucket.click()
    expect(page).to_have_url(re.compile(r"grant_rate(%3C|<)0\.3"))
    assert query_of(page.url) == "grant_rate>=0.2 grant_rate<0.3"
    expect(page.locator("li.hit")).to_have_count(2)
    # the swapped-in page filters on a rate: its details open and fetch them again, the bucket active
    expect(page.locator('section.facet[data-facet="grant_rate"] li.active a')).to_have_attribute("data-value", "0.2..0.3")


def test_clicking_a_facet_changes_counts_url_and_box(page, server):
    page.goto(server + "/?q=信访")
    before = page.locator("#total").inner_text()
    facet = page.locator('section.facet[data-facet="year"] a').first
    year, count = facet.get_attribute("data-value"), facet.locator(".count").inner_text()
    facet.click()
    expect(page).to_have_url(re.compile(r"year(:|%3A)" + year))
    assert query_of(page.url) == f"信访 year:{year}"
    expect(page.locator("#q")).to_have_value(f"信访 year:{year}")
    expect(page.locator("li.hit")).to_have_count(int(count))
    expect(page.locator("ul.chips li.chip span")).to_have_text(f"year:{year}")
    expect(page.locator('section.facet[data-facet="year"] li.active a')).to_have_attribute("data-value", year)
    expect(page.locator("#total")).to_have_text(f"共 {count} 份报告")
    # the chip's × takes the filter away again
    page.locator("ul.chips li.chip a").click()
    expect(page.locator("#q")).to_have_value("信访")
    expect(page.locator("#total")).to_have_text(before)


def test_comparison_form_adds_a_figure_filter(page, server):
    page.goto(server + "/?q=信访")
    form = page.locator("form.comparison")
    form.locator("select[name=cmp_field]").select_option("procurement_count")
    form.locator("select[name=cmp_op]").select_option(">")
    form.locator("input[name=cmp_value]").fill("0")
    form.locator("button").click()
    expect(page.locator("#q")).to_have_value("信访 procurement_count>0")
    expect(page).to_have_url(re.compile(r"procurement_count(>|%3E)0"))
    assert query_of(page.url) == "信访 procurement_count>0"
    expect(page.locator("ul.chips li.chip span")).to_have_text("procurement_count>0")
    counts = page.locator("li.hit dl.key-figures div").filter(has_text="集中采购项目").locator("dd")
    values = [int(v) for v in counts.all_inner_texts()]
    assert values and all(v > 0 for v in values)
    assert len(values) == page.locator("li.hit").count()


def test_snippet_link_lands_on_the_section_with_the_term_marked(page, server):
    page.goto(server + "/?q=信访")
    link = page.locator("li.hit .snippets a.snippet-link").first
    anchor = urlsplit(link.get_attribute("href")).fragment
    link.click()
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f]{16}\?q=.*#" + anchor + "$"))
    section = page.locator(f"section#{anchor}")
    marks = section.locator("mark")
    expect(marks.first).to_be_visible()
    expect(marks.first).to_have_text("信访")
    # The browser scrolls to the fragment once layout settles, which on a busy machine can come
    # after the marks are visible: wait for the scroll (up to 10 s) rather than read it once.
    scrolled_to_top = "id => { const t = document.getElementById(id).getBoundingClientRect().top; return -5 <= t && t < 200; }"
    page.wait_for_function(scrolled_to_top, arg=anchor, timeout=10_000)


def test_stats_view_draws_the_chart(page, server):
    page.goto(server + "/stats?q=信访")
    canvas = page.locator("canvas#chart-years")
    expect(canvas).to_have_attribute("data-drawn", "true")
    painted = canvas.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
    assert painted > 1000
    expect(page.locator("canvas#chart-outcomes")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#per-year tbody tr").first).to_be_visible()


def test_export_csv_downloads_every_matching_report(page, server):
    page.goto(server + "/?q=信访")
    ids = page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")
    with page.expect_download() as info:
        page.locator("#export-csv").click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {"agency", "year", "applications", "t2.procurement.count"} <= set(rows[0])


def test_back_button_restores_the_previous_results(page, server):
    page.goto(server + "/?q=信访")
    first_ids = page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")
    page.locator("#q").fill(MISSION_QUERY)
    expect(page.locator("li.hit")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"procurement_count"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=%E4%BF%A1%E8%AE%BF$"))
    expect(page.locator("li.hit")).to_have_count(len(first_ids))
    assert page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)") == first_ids
    expect(page.locator("#q")).to_have_value("信访")
    page.go_forward()
    expect(page.locator("li.hit")).to_have_count(1)


def test_script_in_a_report_never_runs(page, server):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server + "/")
    page.locator("#q").fill("alert")  # through htmx's swap
    expect(page.locator("li.hit")).to_have_count(1)
    page.locator("li.hit h3 a").hover()
    page.locator("li.hit .snippet").hover()
    page.locator("li.hit h3 a").click()  # the report page, loaded in full
    expect(page.locator(".report-meta .agency")).to_contain_text("<script>alert(1)</script>")
    page.locator(".report-meta .agency").hover()
    page.locator("section#s1 .text").hover()
    page.goto(server + "/?q=alert")  # and the search page loaded in full
    page.locator("li.hit h3 a").hover()
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("() => document.querySelectorAll('[onmouseover]').length") == 0


def test_search_works_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.locator("#q").fill(MISSION_QUERY)
    page.locator("#q").press("Enter")
    expect(page.locator("li.hit")).to_have_count(1)
    assert query_of(page.url) == MISSION_QUERY
    page.goto(server + "/?q=信访")
    page.locator('section.facet[data-facet="type"] a[data-value="信访"]').click()
    expect(page).to_have_url(re.compile(r"type(:|%3A)"))
    assert query_of(page.url) == "信访 type:信访"
    expect(page.locator("#q")).to_have_value("信访 type:信访")
    context.close()


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_screenshots_at_laptop_and_phone_width(page, server, screen):
    """Saves the three main views under tests/artifacts/ (look at them) and checks
    nothing makes the page wider than the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(VIEWPORTS[screen])
    page.goto(server + "/?q=信访")
    report_url = page.locator("li.hit .snippets a.snippet-link").first.get_attribute("href")
    views = {"search": "/?q=信访", "report": report_url, "stats": "/stats?q=信访"}
    for name, path in views.items():
        page.goto(server + path)
        if name == "stats":
            expect(page.locator("canvas#chart-years")).to_have_attribute("data-drawn", "true")
        path_out = ARTIFACTS / f"{name}-{screen}.png"
        page.screenshot(path=str(path_out))
        assert path_out.stat().st_size > 10_000
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than the {screen} screen"


def test_search_to_passages_to_the_marked_sentence(page, server):
    page.goto(server + "/?q=" + "section:3 不予公开")
    page.locator("#show-passages").click()
    expect(page).to_have_url(re.compile(r"/passages\?q="))
    assert query_of(page.url) == "section:3 不予公开"
    items = page.locator("ol.passage-list > li.passage")
    expect(items.first).to_be_visible()
    assert set(items.evaluate_all("els => els.map(e => e.dataset.part)")) == {"3"}
    # typing narrows the passages in place (htmx) and the URL follows
    page.locator("#q").fill("不予公开")
    expect(page).to_have_url(re.compile(r"q=%E4%B8%8D"))
    expect(page.locator("#total")).not_to_contain_text(re.compile(r"^$"))
    link = items.locator("a.sentence-link").first
    sentence = link.inner_text()
    anchor = urlsplit(link.get_attribute("href")).fragment
    assert re.fullmatch(r"p\d-\d+", anchor)
    link.click()
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f]{16}\?q=.*#" + anchor + "$"))
    target = page.locator(f'[id="{anchor}"]')
    expect(target).to_be_in_viewport()
    expect(target.locator("mark").first).to_have_text(re.compile("不"))
    assert target.inner_text() == sentence


def test_a_figure_comparison_hit_lands_on_its_marked_cell(page, server):
    page.goto(server + "/?q=procurement_count>0")
    link = page.locator("li.hit ul.cell-links a.cell-link").first
    value = link.locator("strong").inner_text()
    link.click()
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f]{16}\?q=procurement_count%3E0#t2\.procurement\.count$"))
    cell = page.locator('[id="t2.procurement.count"]')
    expect(cell).to_be_in_viewport()
    expect(cell).to_have_class(re.compile(r"\bmatched\b"))
    expect(cell).to_have_text(value)
    assert page.locator("td.matched").count() == 1
    # the citation block's copy buttons appear once the script runs
    expect(page.locator("#cite button.copy").first).to_be_visible()


def test_compare_two_reports_picked_on_the_search_page(page, server):
    page.goto(server + "/?q=信访")
    hits = page.locator("li.hit")
    picked = [hits.nth(i).get_attribute("data-id") for i in (0, 1)]
    for i in (0, 1):
        hits.nth(i).locator("input[name=ids]").check()
    page.locator("#compare-button").click()
    expect(page).to_have_url(re.compile(r"/compare\?ids="))
    assert parse_qs(urlsplit(page.url).query)["ids"] == [",".join(picked)]
    columns = page.locator("table.compare-reports thead th.report-col")
    expect(columns).to_have_count(2)
    assert columns.evaluate_all("els => els.map(e => e.dataset.id)") == picked
    expect(page.locator("table.compare-reports tr.differs").first).to_be_visible()
    columns.nth(1).locator("a").click()
    expect(page).to_have_url(re.compile(rf"/reports/{picked[1]}$"))


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_screenshots_of_passages_and_comparison(page, server, screen):
    """Saves the passages page and the comparison page under tests/artifacts/ (look at them) and
    checks nothing makes the page wider than the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(VIEWPORTS[screen])
    page.goto(server + "/?q=信访")
    ids = page.locator("li.hit").evaluate_all("els => els.slice(0, 3).map(e => e.dataset.id)")
    views = {"passages": "/passages?q=不予公开", "compare": "/compare?ids=" + ",".join(ids)}
    for name, path in views.items():
        page.goto(server + path)
        expect(page.locator("ol.passage-list, table.compare-reports").first).to_be_visible()
        path_out = ARTIFACTS / f"{name}-{screen}.png"
        page.screenshot(path=str(path_out))
        assert path_out.stat().st_size > 10_000
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than the {screen} screen"


PINGTAN_KEY = "350000-平潭综合实验区/平潭综合实验区管理委员会"
GROUPED_STATS = "/stats?q=&by=province&by2=year&measure=applications&stat=sum&rank=grant_rate&order=desc&n=10"


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_screenshots_of_the_agency_page_and_grouped_stats(page, server, screen):
    """Saves the agency page and the grouped stats page (pivot, bar chart, ranking) under
    tests/artifacts/ (look at them) and checks nothing makes the page wider than the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(VIEWPORTS[screen])
    views = {"agency": "/agencies/" + PINGTAN_KEY, "stats-grouped": GROUPED_STATS}
    for name, path in views.items():
        page.goto(server + path)
        if name == "stats-grouped":
            expect(page.locator("canvas#chart-groups")).to_have_attribute("data-drawn", "true")
            expect(page.locator("#ranking tbody tr").first).to_be_visible()
        else:
            expect(page.locator("h1")).to_contain_text("平潭")
        path_out = ARTIFACTS / f"{name}-{screen}.png"
        page.screenshot(path=str(path_out), full_page=True)
        assert path_out.stat().st_size > 10_000
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than the {screen} screen"


def test_grouping_from_the_form_and_a_group_link_to_its_search(page, server):
    page.goto(server + "/stats?q=信访")
    page.locator("select[name=by]").select_option("province")
    page.locator(".group-controls button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"by=province"))
    assert query_of(page.url) == "信访"
    # htmx swapped the results in place and the chart was drawn again
    expect(page.locator("canvas#chart-groups")).to_have_attribute("data-drawn", "true")
    expect(page.locator("canvas#chart-years")).to_have_attribute("data-drawn", "true")
    row = page.locator("#group-table tbody tr").filter(has=page.locator("th a")).first
    count = int(row.locator("td").first.inner_text())
    province = row.locator("th a").inner_text()
    row.locator("th a").click()
    expect(page).to_have_url(re.compile(r"^[^#]*/\?q="))
    assert query_of(page.url) == f"信访 province:{province}"
    expect(page.locator("li.hit")).to_have_count(count)


def test_a_ranking_row_links_to_its_agency_page(page, server):
    page.goto(server + GROUPED_STATS)
    first = page.locator("#ranking tbody tr").first
    report_id = first.locator("a.report-link").inner_text()
    first.locator("a.agency-link").click()
    expect(page).to_have_url(re.compile(r"/agencies/"))
    expect(page.locator(f'a[href*="{report_id}"]').first).to_be_visible()
