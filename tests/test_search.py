"""Search over a real index built in tmp_path: hits, snippets, facets, sorting, stats, the CLI.

The main fixture indexes the five seeds (their own section text, metadata and
figures read off by hand: tests/search_helpers.py) plus one synthetic report
with hostile HTML. The corpus tests at the end parse corpus/seeds and
corpus/real with the real pipeline.
"""
from __future__ import annotations

import html
import json
import random
import re
from collections import Counter
from dataclasses import replace

import pytest
import tantivy
from click.testing import CliRunner

from indexer.aliases import RATES, report_aliases
from indexer.cli import cli
from indexer.highlight import _phrase_spans, _unit_phrase_spans, make_snippet
from indexer.index import (PHRASE_SLOTS_MARK, TERMS_TOKENIZER, IndexOpenError, ReportIndex, build_schema, decode_hit,
                           encode_hit, hit_id, holds_deleted, report_to_hit)
from indexer.parse import parse_file
from indexer.query import QuerySyntaxError
from indexer.report import Report, Section
from indexer.query import Plan, compile_plan, parse_query, plan_to_query, ranked_plan
import indexer.search as search_module
from indexer.search import (AGENCY_FACET_SIZE, SearchError, _agency_agg, _facet_request, _whole_collection_facets, _median, _most_matches, counting_plan, facets_from_aggregation,
                            on_request_facets, search, search_ids, stats)
from indexer.tokenize import char_units, tokenize
from indexer.vocabulary import CANONICAL_HEADINGS
from search_helpers import build_index, hand_reports
from web.urls import with_links

XINFANGJU = "7eb9f2b2a221df7d"     # 市中区信访局 2020 (seed 000)
MINZHENG = "c79327e4fbc2ded3"      # 市民政局 2019
WEIHUI = "64f6c83b9150245c"        # 卫辉市信访局 2021
TIEDONG = "b184471cafab89da"       # 铁东区政务服务局 2020
HECHUAN = "b780817e18a3daa1"       # 重庆市合川区信访办 2019
SYNTHETIC = "5e5e5e5e5e5e5e5e"     # 示例市教育局 2022, generated
ALL = {XINFANGJU, MINZHENG, WEIHUI, TIEDONG, HECHUAN, SYNTHETIC}


@pytest.fixture(scope="module")
def reports(config):
    return hand_reports(config)


@pytest.fixture(scope="module")
def index(tmp_path_factory, reports):
    return build_index(tmp_path_factory.mktemp("search") / "index", reports)


def ids(index, q, **kw):
    return {hit["id"] for hit in search(index, q, per_page=100, **kw)["hits"]}


def plain(snippet: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet)).strip("…")


def marks(snippet: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", snippet)]


# -- the mission -----------------------------------------------------------------------

def test_the_missions_query_finds_exactly_shizhongqu_xinfangju_2020(index):
    result = with_links(search(index, "type:信访 year:2020 procurement_count>0"))
    assert result["total"] == 1
    [hit] = result["hits"]
    assert hit["id"] == XINFANGJU
    assert (hit["agency"], hit["year"], hit["agency_type"], hit["level"]) == ("市中区信访局", 2020, "信访", "county")
    assert hit["region"] == {"province": "山东省", "city": "枣庄市", "county": "市中区", "adcode": "370402"}
    assert hit["figures"]["procurement_count"] == 6
    assert hit["figures"]["procurement_amount"] == 63.2
    assert hit["figures"]["carried_over"] is None
    assert hit["sections"] == []
    assert hit["url"] == f"/reports/{XINFANGJU}"


def test_the_result_has_the_spec_shape(index):
    result = with_links(search(index, "信访局", per_page=1))
    assert set(result) == {"query", "total", "page", "per_page", "sort", "hits", "facets"}
    assert (result["query"], result["page"], result["per_page"], result["sort"]) == ("信访局", 1, 1, "relevance")
    [hit] = result["hits"]
    assert set(hit) == {"id", "agency", "agency_key", "year", "region", "agency_type", "level", "score", "sections", "figures",
                        "title", "template", "flags", "synthetic", "url"}
    assert set(hit["sections"][0]) == {"n", "heading", "snippet"}
    assert hit["url"] == f"/reports/{hit['id']}#s{hit['sections'][0]['n']}"
    assert set(result["facets"]) == {"year", "type", "province", "level", "template", "flags"}
    assert set(search(index, "信访局", rates=True)["facets"]) == {*result["facets"], *RATES}
    assert set(search(index, "信访局", agencies=True)["facets"]) == {*result["facets"], "agency"}


# -- facets -------------------------------------------------------------------------------

def test_facet_counts_cover_every_hit_not_just_the_page(index):
    result = search(index, "", per_page=1, agencies=True)
    assert result["total"] == 6 and len(result["hits"]) == 1
    assert {name: counts for name, counts in result["facets"].items() if name not in RATES} == {
        "year": {"2022": 1, "2021": 1, "2020": 2, "2019": 2},
        "type": {"信访": 3, "政务服务": 1, "教育": 1, "民政": 1},
        "province": {"山东省": 1, "江西省": 1, "河南省": 1, "示例省": 1, "重庆市": 1},
        "level": {"county": 4, "city": 2},
        "template": {"2019": 4, "2021": 2},
        "flags": {"blank_cells": 3, "region_ambiguous": 1, "t3_balance": 1, "unit_assumed": 1},
        "agency": {"361100/市民政局": 1, "370402/市中区信访局": 1, "410781/卫辉市信访局": 1,
                   "500117/重庆市合川区信访办": 1, "示例省-示例市/示例市教育局": 1, "铁东区/铁东区政务服务局": 1},
    }


def test_facets_follow_the_query(index):
    facets = search(index, "type:信访")["facets"]
    assert facets["year"] == {"2021": 1, "2020": 1, "2019": 1}
    assert facets["type"] == {"信访": 3}
    assert facets["flags"] == {"blank_cells": 1, "unit_assumed": 1}


# -- words, phrases, sections -------------------------------------------------------------

def test_xinfang_finds_xinfangju_and_xinfangban(index):
    assert ids(index, "agency:信访") == {XINFANGJU, WEIHUI, HECHUAN}
    assert ids(index, "信访局") == {XINFANGJU, WEIHUI}
    assert ids(index, "信访办") == {HECHUAN}


def test_a_word_jieba_cuts_unlike_the_report_still_finds_it(index):
    # the bare query words segment as 合川/区/信访办 and 政务/服务局; the reports say 合川区/信访办, 政务服务/局
    assert ids(index, "合川区信访办") == {HECHUAN}
    assert ids(index, "政务服务局") == {TIEDONG}
    assert ids(index, "区信访局") == {XINFANGJU}
    assert ids(index, "agency:合川区信访办") == {HECHUAN}
    assert ids(index, "agency:政务服务局") == {TIEDONG}


def test_a_phrase_matches_only_contiguous_text(index, reports):
    oracle = {r.id for r in reports if any("信访工作" in re.sub(r"\s", "", s.text) for s in r.sections)}
    assert ids(index, '"信访工作"') == oracle == {XINFANGJU}
    # the words alone are everywhere, and the synthetic report has 信访渠道… 工作人员 apart
    assert ids(index, "信访 工作") == ALL


def test_a_phrase_across_a_line_break_still_matches(index, reports):
    text = next(r for r in reports if r.id == SYNTHETIC).sections[4].text
    assert "信访渠道" in text
    assert ids(index, '"渠道不够通畅"') == {SYNTHETIC}
    assert ids(index, '"渠道，不够"') == set()


# Texts around 甲乙丙丁戊己: the phrase field matches a phrase of n >= 2 characters by its
# bigrams (offsets 0, 2, 4 … and the last), so odd and even lengths both cross a bigram boundary.
BIGRAM_TEXTS = ("甲乙丙丁戊己", "甲乙，丙丁戊己", "甲乙丙，丁戊己", "甲 乙丙丁\n戊己", "乙丙甲丁戊己甲乙",
                "甲乙丙丁x戊己", "丙丁戊己。甲乙", "甲乙丙丁戊", "丁戊己甲乙丙", "甲乙乙丙丙丁", "己戊丁丙乙甲")


@pytest.fixture(scope="module")
def bigram_index(reports):
    return build_index(None, [replace(reports[0], id=f"bigram{i:02d}", sections=[Section(3, "三、依申请公开", text, 0, len(text))])
                              for i, text in enumerate(BIGRAM_TEXTS)])


@pytest.mark.parametrize("phrase", ["甲乙", "乙丙", "戊己", "甲乙丙", "乙丙丁", "丁戊己", "甲乙丙丁", "丙丁戊己",
                                    "甲乙丙丁戊", "乙丙丁戊己", "甲乙丙丁戊己", "甲丙", "乙丁戊", "甲乙丁戊", "乙乙丙"])
def test_a_phrase_of_any_length_matches_only_contiguous_text(bigram_index, phrase):
    oracle = {f"bigram{i:02d}" for i, text in enumerate(BIGRAM_TEXTS) if phrase in re.sub(r"\s", "", text)}
    assert ids(bigram_index, f'"{phrase}"') == oracle
    assert ids(bigram_index, f'section:3 "{phrase}"') == oracle
    assert ids(bigram_index, f'section:2 "{phrase}"') == set()


def _units_match(phrase: str, text: str) -> bool:
    """The phrase's units stand at the same relative positions somewhere in the text (the oracle)."""
    wanted = [(u.position, u.text) for u in char_units(phrase)]
    wanted = [(p - wanted[0][0], t) for p, t in wanted]
    at = {u.position: u.text for u in char_units(text)}
    return any(all(at.get(base + rel) == unit for rel, unit in wanted) for base in at)


@pytest.mark.parametrize("phrase", ["甲", "己", "x", "乙，丙", "甲乙，丙丁", "丙，丁戊己", "乙，丙丁", "丁，戊",
                                    "丙丁，甲", "己，甲", "甲，，丁", "乙丙丁x戊"])
def test_a_unit_standing_alone_in_a_phrase_matches_at_its_position(bigram_index, phrase):
    """A run of one unit is matched by the start of its position's term (a regex over the terms)."""
    oracle = {f"bigram{i:02d}" for i, text in enumerate(BIGRAM_TEXTS) if _units_match(phrase, text)}
    assert ids(bigram_index, f'"{phrase}"') == oracle
    assert ids(bigram_index, f'section:2 "{phrase}"') == set()


def test_the_unit_cases_are_not_vacuous(bigram_index):
    assert ids(bigram_index, '"己，甲"') == {"bigram06"}
    assert ids(bigram_index, '"乙，丙丁"') == {"bigram01", "bigram09"}  # 甲乙乙丙丙丁: the second 乙
    assert ids(bigram_index, '"甲，，丁"') == {"bigram00", "bigram03", "bigram05", "bigram07"}
    assert ids(bigram_index, '"x"') == {"bigram05"}
    assert ids(bigram_index, '"己"') == {f"bigram{i:02d}" for i in range(len(BIGRAM_TEXTS))} - {"bigram07", "bigram09"}


def test_the_bigram_cases_are_not_vacuous(bigram_index):
    assert ids(bigram_index, '"甲乙丙丁戊"') == {"bigram00", "bigram03", "bigram07"}
    assert ids(bigram_index, '"甲乙丙"') == {"bigram00", "bigram02", "bigram03", "bigram05", "bigram07", "bigram08"}
    assert ids(bigram_index, '"甲"') == {f"bigram{i:02d}" for i in range(len(BIGRAM_TEXTS))}


def test_section_restricts_text_to_that_part(index, reports):
    oracle = {r.id for r in reports if "信访" in (r.section(5).text if r.section(5) else "")}
    assert ids(index, "section:5 信访") == oracle == {XINFANGJU, SYNTHETIC}
    for hit in search(index, "section:5 信访")["hits"]:
        assert [s["n"] for s in hit["sections"]] == [5]
    assert ids(index, "section:6 信访") == {HECHUAN}
    assert ids(index, "section:6 section:5 信访") == {XINFANGJU, SYNTHETIC, HECHUAN}


def test_ascii_words_and_phrases_ignore_case(index):
    assert ids(index, "open data") == {SYNTHETIC}
    assert ids(index, '"OPEN DATA"') == {SYNTHETIC}
    assert ids(index, '"data open"') == set()


# -- comparisons, negation, OR, filters -----------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("applications>0", {MINZHENG, SYNTHETIC}),
    ("applications>=5", {MINZHENG, SYNTHETIC}),
    ("applications<5", {XINFANGJU, WEIHUI, TIEDONG, HECHUAN}),
    ("applications<=0", {XINFANGJU, WEIHUI, TIEDONG, HECHUAN}),
    ("applications=12", {SYNTHETIC}),
    ("applications!=0", {MINZHENG, SYNTHETIC}),
    # blank (null) figures match no comparison at all, not even !=
    ("procurement_count>=0", {XINFANGJU, MINZHENG, TIEDONG, HECHUAN}),
    ("procurement_count!=0", {XINFANGJU, HECHUAN}),
    ("procurement_count<1", {MINZHENG, TIEDONG}),
    ("procurement_amount>=6.5", {XINFANGJU, HECHUAN}),
    ("procurement_amount>6.8", {XINFANGJU}),
    ("t4.review.corrected>0", {MINZHENG, SYNTHETIC}),
    ("fees_amount>1", {SYNTHETIC}),
    ("year>=2021", {WEIHUI, SYNTHETIC}),
])
def test_every_comparison_operator(index, q, expected):
    assert ids(index, q) == expected


def test_negation(index):
    assert ids(index, "-type:信访") == {MINZHENG, TIEDONG, SYNTHETIC}
    assert ids(index, '-"信访工作"') == ALL - {XINFANGJU}
    assert ids(index, "信访局 -卫辉") == {XINFANGJU}
    # NOT (x > 0) holds for blank figures too
    assert ids(index, "-procurement_count>0") == {MINZHENG, WEIHUI, TIEDONG, SYNTHETIC}


def test_or_and_precedence(index):
    assert ids(index, "type:民政 OR type:教育") == {MINZHENG, SYNTHETIC}
    assert ids(index, "信访局 OR 信访办") == {XINFANGJU, WEIHUI, HECHUAN}
    assert ids(index, "type:信访 year:2020 OR type:教育") == {XINFANGJU, SYNTHETIC}
    assert ids(index, "type:信访 (year:2020 OR year:2021)") == {XINFANGJU, WEIHUI}


@pytest.mark.parametrize("q, expected", [
    ("year:2019..2020", {MINZHENG, HECHUAN, XINFANGJU, TIEDONG}),
    ("year:2021..", {WEIHUI, SYNTHETIC}),
    ("province:山东省", {XINFANGJU}),
    ("city:新乡市", {WEIHUI}),
    ("county:铁东区", {TIEDONG}),
    ("level:city", {MINZHENG, SYNTHETIC}),
    ("template:2021", {WEIHUI, SYNTHETIC}),
    ("flag:blank_cells", {MINZHENG, WEIHUI, SYNTHETIC}),
    ("synthetic:true", {SYNTHETIC}),
    ("synthetic:false", ALL - {SYNTHETIC}),
    ("agency:市中区信访局", {XINFANGJU}),
    ("section:1", ALL),
])
def test_field_filters(index, q, expected):
    assert ids(index, q) == expected


def test_punctuation_in_an_agency_value_is_literal(index):
    assert search(index, 'agency:"~!@#$%^&*()_+-=[]{}|;:,./<>?\\"')["total"] == 0


def test_query_errors_propagate(index):
    with pytest.raises(QuerySyntaxError, match=r"^unknown field 'foo' at column 1;"):
        search(index, "foo:bar")
    with pytest.raises(QuerySyntaxError, match=r"^unexpected '>' at column 18"):
        stats(index, "procurement_count>>0")


# -- snippets -------------------------------------------------------------------------------

def test_snippets_mark_matches_on_the_original_text(index, reports):
    result = search(index, "信访局")
    by_id = {r.id: r for r in reports}
    for hit in result["hits"]:
        assert hit["sections"], hit["id"]
        for section in hit["sections"]:
            original = re.sub(r"\s+", " ", by_id[hit["id"]].section(section["n"]).text)
            assert plain(section["snippet"]) in original
            assert set(marks(section["snippet"])) == {"信访局"}
            assert len(plain(section["snippet"])) <= 120


def test_report_text_is_escaped(index):
    [hit] = search(index, "script")["hits"]
    snippet = hit["sections"][0]["snippet"]
    assert "<script" not in snippet
    assert "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt;" in snippet
    [hit] = search(index, "政务公开 synthetic:true")["hits"]
    assert "&lt;script&gt;" in hit["sections"][0]["snippet"]


def test_best_section_first_and_url_points_at_it(index):
    [hit] = with_links(search(index, '"信访工作" 品牌'))["hits"]
    # both parts hold both terms; part 5 has 信访工作 three times, part 1 once
    assert [s["n"] for s in hit["sections"]] == [5, 1]
    assert hit["url"] == f"/reports/{XINFANGJU}#s5"
    assert marks(hit["sections"][1]["snippet"]).count("信访工作") == 1
    assert "品牌" in marks(hit["sections"][1]["snippet"])


def test_chinese_phrases_are_found_by_regex_exactly_as_by_units(reports):
    found = 0
    for report in reports:
        for section in report.sections:
            for words in ("信访", "信访工作", "政府信息公开", "申请", "渠道不够通畅"):
                units = char_units(words)
                phrase = tuple((u.position - units[0].position, u.text) for u in units)
                fast = sorted(_phrase_spans(section.text, [phrase]))
                assert fast == sorted(_unit_phrase_spans(section.text, [phrase]))
                found += len(fast)
    assert found > 50


def test_snippet_window_centres_on_the_densest_cluster():
    text = "甲" * 300 + "信访" + "乙" * 10 + "信访" + "丙" * 300 + "信访" + "丁" * 50
    spans = [(300, 302, "信访"), (312, 314, "信访"), (614, 616, "信访")]
    snippet = make_snippet(text, spans, width=40)
    assert snippet == "…" + "甲" * 13 + "<mark>信访</mark>" + "乙" * 10 + "<mark>信访</mark>" + "丙" * 13 + "…"


def test_a_match_longer_than_the_window_is_shown_whole():
    text = "前文" + "长" * 30 + "后文"
    assert make_snippet(text, [(2, 32, "长" * 30)], width=10) == "…<mark>" + "长" * 30 + "</mark>…"


def test_a_snippet_without_matches_is_the_start_of_the_text():
    assert make_snippet("a<b" + "x" * 200, [], width=10) == "a&lt;b" + "x" * 7 + "…"


# -- sorting and paging -------------------------------------------------------------------------

def test_sort_by_figure_puts_blanks_last(index):
    def order(sort):
        return [h["id"] for h in search(index, "", sort=sort, per_page=10)["hits"]]
    assert order("-procurement_count")[:2] == [XINFANGJU, HECHUAN]
    assert set(order("-procurement_count")[2:4]) == {MINZHENG, TIEDONG}
    assert set(order("procurement_count")[4:]) == {WEIHUI, SYNTHETIC}
    assert order("-applications")[:2] == [SYNTHETIC, MINZHENG]
    years = [h["year"] for h in search(index, "", sort="year", per_page=10)["hits"]]
    assert years == sorted(years)
    years = [h["year"] for h in search(index, "", sort="-year", per_page=10)["hits"]]
    assert years == sorted(years, reverse=True)
    assert search(index, "", sort="-year")["hits"][0]["score"] is None


def test_relevance_ranks_by_bm25(index):
    hits = search(index, "信访")["hits"]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] > 0


def test_pages_do_not_overlap(index):
    first = search(index, "", per_page=4, sort="year")
    second = search(index, "", page=2, per_page=4, sort="year")
    assert first["total"] == second["total"] == 6
    assert len(first["hits"]) == 4 and len(second["hits"]) == 2
    assert {h["id"] for h in first["hits"]} | {h["id"] for h in second["hits"]} == ALL
    assert search(index, "", page=5, per_page=4)["hits"] == []


@pytest.mark.parametrize("kw, message", [
    ({"sort": "price"}, "unknown sort 'price'"),
    ({"page": 0}, "page must be 1 or more"),
    ({"per_page": 0}, "per_page must be between 1 and 1000"),
])
def test_bad_parameters(index, kw, message):
    with pytest.raises(SearchError, match=message):
        search(index, "信访", **kw)


def test_search_ids_lists_every_match(index):
    assert set(search_ids(index, "type:信访")) == {XINFANGJU, WEIHUI, HECHUAN}
    assert search_ids(index, "-applications<0")[:1] and len(search_ids(index, "")) == 6
    assert search_ids(index, "type:教育 type:民政") == []


# -- statistics ---------------------------------------------------------------------------------

def test_stats_per_year_per_type_and_outcomes(index):
    result = stats(index, "")
    assert result["total"] == 6
    assert list(result["per_year"]) == ["2019", "2020", "2021", "2022"]
    y2019 = result["per_year"]["2019"]
    assert y2019["count"] == 2
    assert y2019["sums"]["applications"] == 5
    assert y2019["sums"]["procurement_count"] == 2
    assert y2019["sums"]["procurement_amount"] == 6.8
    assert y2019["sums"]["fees_amount"] is None          # no 2019 report has it: null, not 0
    assert result["per_year"]["2022"]["medians"]["applications"] == 12
    assert result["per_year"]["2021"]["medians"]["applications"] == 0
    assert result["per_year"]["2021"]["medians"]["procurement_count"] is None
    assert result["per_type"]["信访"]["count"] == 3
    assert result["per_type"]["信访"]["sums"]["procurement_count"] == 8
    assert list(result["per_type"])[0] == "信访"
    assert result["outcomes"] == {
        "granted": 7, "partial": 3, "denied.state_secret": 4, "denied.law_prohibited": None,
        "denied.safety_stability": None, "denied.third_party": None, "denied.internal_affairs": None,
        "denied.process_info": None, "denied.enforcement_file": None, "denied.query_matter": None,
        "unable": None, "rejected": None, "other": None}


def test_stats_follow_the_query(index):
    result = stats(index, "type:信访 year:2020")
    assert result["total"] == 1
    assert result["per_year"] == {"2020": result["per_year"]["2020"]}
    assert result["per_year"]["2020"]["sums"]["procurement_amount"] == 63.2
    assert result["per_year"]["2020"]["medians"]["procurement_count"] == 6
    # one value: its median is the value itself, decimals kept (the estimate said 63)
    assert result["per_year"]["2020"]["medians"]["procurement_amount"] == 63.2


def test_stats_compute_only_the_aliases_asked_for(index):
    """The stats page asks for the aliases it shows; what it gets is what asking for all gives."""
    full = stats(index, "")
    some = stats(index, "", per_year=frozenset({"applications", "grant_rate"}), per_type=frozenset({"granted"}))
    assert some["total"] == full["total"] and some["outcomes"] == full["outcomes"] and some["rates"] == full["rates"]
    for group, aliases in (("per_year", ("applications", "grant_rate")), ("per_type", ("granted",))):
        assert list(some[group]) == list(full[group])
        for key, figures in some[group].items():
            assert figures["count"] == full[group][key]["count"]
            for part in ("sums", "means", "medians"):
                assert figures[part] == {alias: full[group][key][part][alias] for alias in aliases}
    assert some["per_year"]["2022"]["medians"]["applications"] == 12
    assert some["per_type"]["信访"]["sums"]["granted"] == full["per_type"]["信访"]["sums"]["granted"] is not None


def test_stats_total_counts_every_hit_of_text_queries_too(index):
    # stats counts without scores: the total must still be the search's
    for q in ("", "信访", '"信息公开"', "信访 OR 公安", "-信访", "type:信访 year:2020"):
        index.forget()
        assert stats(index, q)["total"] == search(index, q)["total"], q


def test_a_page_asked_again_comes_from_the_memo_until_the_next_commit(tmp_path, reports):
    index = build_index(tmp_path / "index", reports[:2])
    first = search(index, "信访", per_page=1)
    memo = index.memo(index.searcher)
    [(key, hits)] = memo["page"].items()
    again = search(index, "信访", per_page=1)
    assert again == first and again["hits"][0] is hits[0]          # not searched or snippeted again
    with index.batch() as batch:                                    # a commit: a new searcher, a new memo
        for report in reports[2:]:
            batch.add(report)
    assert not index.memo(index.searcher).get("page")
    assert search(index, "信访", per_page=100)["total"] == len(ids(build_index(None, reports), "信访"))


def test_pages_do_not_push_the_counts_out_of_the_memo(tmp_path, reports, monkeypatch):
    monkeypatch.setitem(search_module.MEMO_SIZES, "page", 3)
    index = build_index(tmp_path / "index", reports)
    search(index, "规范性文件")                                      # in five reports of six
    for page in range(1, 7):                                        # six pages: three are kept
        search(index, "", per_page=1, page=page)
    memo = index.memo(index.searcher)
    assert len(memo["page"]) == 3 and ("page", "", None, 1, 5) in memo["page"]
    assert any(key[0] == "aggregation" and key[1] != Plan("all") for key in memo["counts"])  # its facets, kept


def test_a_changed_stats_result_leaves_the_memo_alone(index):
    first = stats(index, "")
    first["per_year"]["2019"]["sums"]["applications"] = -1
    first["outcomes"]["granted"] = -1
    again = stats(index, "")
    assert again["per_year"]["2019"]["sums"]["applications"] == 5
    assert again["outcomes"]["granted"] == 7


def _counted_directly(index, q, agencies=True):
    """Total and every facet of ``q`` aggregated over its whole plan, as before counting_plan."""
    query = plan_to_query(compile_plan(parse_query(q)), index.schema)
    request = {**_facet_request(True), **(_agency_agg(AGENCY_FACET_SIZE) if agencies else {})}
    result = index.searcher.aggregate(query, request)
    return int(result["total__"]["value"]), facets_from_aggregation(result, True, agencies)


def test_a_word_in_every_report_is_counted_as_the_rest_of_the_query(index):
    # 公开 stands in all six reports, 规范性文件 in five
    assert search(index, "公开")["total"] == 6 and search(index, "规范性文件")["total"] == 5
    memo = index.memo(index.searcher)
    assert counting_plan(index.searcher, index.schema, compile_plan(parse_query("公开")), memo) == Plan("all")
    assert counting_plan(index.searcher, index.schema, compile_plan(parse_query("公开 year:2020")), memo) \
        == compile_plan(parse_query("year:2020"))
    kept = compile_plan(parse_query("规范性文件 year:2020"))
    # kept, as its words alone: its fallback finds no report its words miss
    assert counting_plan(index.searcher, index.schema, kept, memo) == compile_plan(parse_query("规范性文件 year:2020"),
                                                                                 fallbacks=False)
    for q, rest in (("公开", ""), ("公开 year:2020", "year:2020"), ("信息 公开 type:信访", "type:信访"),
                    ("公开 规范性文件", "规范性文件"), ("公开 -信访", "-信访")):
        index.forget()
        result = search(index, q, per_page=100, rates=True, agencies=True)
        total, facets = _counted_directly(index, q)
        assert (result["total"], result["facets"]) == (total, facets), q
        assert result["facets"] == search(index, rest, rates=True, agencies=True)["facets"], q
        # the hits are the whole query's, ranked by it
        assert [h["id"] for h in result["hits"]] == [h["id"] for h in search(index, q, per_page=100)["hits"]]
        assert stats(index, q)["per_type"] == stats(index, rest)["per_type"], q
    assert [h["score"] for h in search(index, "公开 信访")["hits"]] != [h["score"] for h in search(index, "信访")["hits"]]


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_facets_counted_from_the_reports_a_word_leaves_out_are_exact(index, monkeypatch, share):
    # share 0: every word is counted by inclusion-exclusion, its fallback (合川区信访办, 区信访局) too
    monkeypatch.setattr(search_module, "BROAD_SHARE", share)
    for q in ("规范性文件", "合川区信访办", "区信访局 year:2020", "规范性文件 行政处罚", "政务服务局 OR 信访",
              '"信息公开" 规范性文件', "规范性文件 -信访办", "行政处罚 企业 三类", "规范性文件 type:信访 year:2019..2021",
              "合川区信访办 规范性文件", "procurement_count>0 行政处罚"):
        index.forget()
        result = search(index, q, per_page=100, rates=True)
        assert (result["total"], result["facets"]) == _counted_directly(index, q, agencies=False), q
        assert result["total"] == len(result["hits"]), q
    index.forget()
    search(index, "规范性文件")
    # the word's counts came from the whole collection's less the reports without it
    assert ("aggregation", Plan("all"), False) in index.memo(index.searcher)["counts"]


def test_a_deleted_report_does_not_make_a_word_count_as_in_every_report(tmp_path, reports):
    # A term's document frequency still counts a deleted report: only the count of the reports
    # there are decides that a word is in every one.
    idx = build_index(tmp_path / "index", reports)
    with idx.batch() as batch:
        batch.delete(XINFANGJU)                                  # it holds 规范性文件; one of the five left lacks it
    plan, words = compile_plan(parse_query("规范性文件")), ranked_plan(parse_query("规范性文件"))
    assert _most_matches(idx.searcher, words) >= idx.searcher.num_docs == 5  # the bound alone would say every report
    assert counting_plan(idx.searcher, idx.schema, plan, idx.memo(idx.searcher)) == words  # not every report
    result = search(idx, "规范性文件", rates=True, agencies=True)
    assert result["total"] == 4 == sum(result["facets"]["year"].values())
    assert (result["total"], result["facets"]) == _counted_directly(idx, "规范性文件")


def test_medians_are_exact_where_the_group_settles_them():
    assert _median("procurement_amount", {"count": 1, "min": 9116.36, "max": 9116.36, "sum": 9116.36}, 9048.0) == 9116.36
    assert _median("applications", {"count": 2, "min": 0, "max": 23, "sum": 23}, 0.0) == 11.5
    assert _median("applications", {"count": 5, "min": 4, "max": 4, "sum": 20}, 3.97) == 4
    # larger groups: the estimate, kept within the values and rounded to what a count can be
    assert _median("applications", {"count": 5, "min": 1, "max": 30, "sum": 60}, 12.13) == 12
    assert _median("applications", {"count": 5, "min": 1, "max": 30, "sum": 60}, 0.2) == 1
    assert _median("fees_amount", {"count": 3, "min": 1.5, "max": 9.0, "sum": 12}, 2.50321) == 2.5
    assert _median("granted", {"count": 0}, None) is None


# -- the index --------------------------------------------------------------------------------------

def test_add_replaces_by_id_and_delete_removes(tmp_path, reports):
    idx = ReportIndex.open(tmp_path / "index")
    with idx.batch() as batch:
        for report in reports:
            batch.add(report)
    changed = reports[0].__class__.from_dict({**reports[0].to_dict(), "year": 2018})
    with idx.batch() as batch:
        batch.add(changed)
    assert idx.count() == 6
    assert search(idx, "year:2018")["hits"][0]["id"] == XINFANGJU
    assert search(idx, "year:2020")["total"] == 1
    with idx.batch() as batch:
        batch.delete(XINFANGJU)
    assert idx.count() == 5 and ids(idx, "") == ALL - {XINFANGJU}
    # another process (here: another ReportIndex) sees the commits on open
    assert ReportIndex.open(tmp_path / "index").count() == 5


def test_a_failed_batch_commits_nothing(tmp_path, reports):
    idx = ReportIndex.open(tmp_path / "index")
    with pytest.raises(RuntimeError):
        with idx.batch() as batch:
            batch.add(reports[0])
            raise RuntimeError("parser blew up")
    assert idx.count() == 0
    with idx.batch() as batch:
        batch.add(reports[1])
    assert ids(idx, "") == {MINZHENG}


# -- the command line ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, reports):
    data = tmp_path_factory.mktemp("data")
    build_index(data / "index", reports)
    return data


def test_cli_search_json(data_dir):
    result = CliRunner().invoke(cli, ["search", "type:信访 year:2020 procurement_count>0", "--json",
                                      "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1 and data["hits"][0]["id"] == XINFANGJU


def test_cli_search_plain_text(data_dir):
    result = CliRunner().invoke(cli, ["search", "信访局", "--limit", "1", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 report(s) match '信访局' (showing 1-1, sorted by relevance)"
    assert "  type: 信访 (2)" in lines
    assert "【信访局】" in result.output and "<mark>" not in result.output


def test_cli_search_malformed_query(data_dir):
    result = CliRunner().invoke(cli, ["search", "procurement_count>>0", "--data", str(data_dir)])
    assert result.exit_code == 1
    assert result.output == ("Error: unexpected '>' at column 18; '>>' is not a comparison "
                             "(use >, >=, <, <=, =, !=)\n")


def test_cli_search_explain():
    result = CliRunner().invoke(cli, ["search", "section:5 信访", "--explain"])
    assert result.exit_code == 0, result.output
    assert "          s5:信访" in result.output.splitlines()


def test_cli_search_bad_sort(data_dir):
    result = CliRunner().invoke(cli, ["search", "信访", "--sort", "price", "--data", str(data_dir)])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown sort 'price'")


# -- the corpus, parsed by the real pipeline ---------------------------------------------------------

SHIZHONGQU_2020 = "e35090fd5ffeebf0"   # sha256 prefix of corpus/seeds/000_7eb9f2b2a221df7d.txt


@pytest.fixture(scope="module")
def corpus_reports(corpus_files, config):
    return [parse_file(path, config) for path in corpus_files]


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory, corpus_reports):
    return build_index(tmp_path_factory.mktemp("corpus") / "index", corpus_reports)


def _words_of(report, sections=None):
    texts = [s.text for s in report.sections if sections is None or s.n in sections]
    if sections is None:
        texts += [report.title or "", report.agency or ""]
    return {t.text for text in texts for t in tokenize(text)}


def test_corpus_the_missions_query(corpus_index):
    result = search(corpus_index, "type:信访 year:2020 procurement_count>0")
    assert [(h["id"], h["agency"], h["year"]) for h in result["hits"]] == [(SHIZHONGQU_2020, "市中区信访局", 2020)]
    assert result["total"] == 1


def test_corpus_facet_counts(corpus_index, corpus_reports):
    facets = search(corpus_index, "", per_page=1)["facets"]
    # checked by hand against the nine documents (corpus/real/expected.json, the seeds' titles)
    assert facets["year"] == {"2024": 1, "2023": 1, "2022": 1, "2021": 1, "2020": 2, "2019": 3}
    assert facets["type"] == {"人民政府": 3, "信访": 3, "政务服务": 1, "民政": 1, "科技": 1}
    assert facets["template"] == {"2019": 5, "2021": 4}
    # the engine's counts equal the parsed reports' own
    assert facets["level"] == dict(Counter(r.level for r in corpus_reports if r.level))
    assert facets["province"] == dict(Counter(r.region["province"] for r in corpus_reports if r.region["province"]))
    assert facets["flags"] == dict(Counter(code for r in corpus_reports for code in r.flag_codes()))


def test_corpus_phrase_versus_words(corpus_index, corpus_reports):
    phrase = {r.id for r in corpus_reports if any("信访工作" in re.sub(r"\s", "", s.text) for s in r.sections)}
    words = {r.id for r in corpus_reports if {"信访", "工作"} <= _words_of(r)}
    assert SHIZHONGQU_2020 in phrase
    assert len(words) > len(phrase)
    assert ids(corpus_index, '"信访工作"') == phrase
    assert ids(corpus_index, "信访 工作") == words


def test_corpus_section_filter(corpus_index, corpus_reports):
    for n in (1, 5):
        expected = {r.id for r in corpus_reports if "公开" in _words_of(r, {n}) and "信访" in _words_of(r, {n})}
        assert ids(corpus_index, f"section:{n} 公开 信访") == expected


OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b}


@pytest.mark.parametrize("key, value", [("applications", 21), ("procurement_count", 0), ("granted", 7),
                                        ("t3.new.natural", 5), ("review", 0)])
@pytest.mark.parametrize("op", list(OPS))
def test_corpus_every_comparison_operator(corpus_index, corpus_reports, key, value, op):
    def figure(report):
        return report_aliases(report.figures).get(key, report.figures.get(key))
    expected = {r.id for r in corpus_reports if figure(r) is not None and OPS[op](figure(r), value)}
    assert ids(corpus_index, f"{key}{op}{value}") == expected


def test_corpus_negation_and_or(corpus_index, corpus_reports):
    everything = {r.id for r in corpus_reports}
    xinfang = {r.id for r in corpus_reports if r.agency_type == "信访"}
    assert len(xinfang) == 3
    assert ids(corpus_index, "-type:信访") == everything - xinfang
    assert ids(corpus_index, "type:信访 OR type:科技") == xinfang | {r.id for r in corpus_reports
                                                                   if r.agency_type == "科技"}
    with_ju = {r.id for r in corpus_reports if "信访局" in _words_of(r)}
    assert ids(corpus_index, "信访 -信访局") == {r.id for r in corpus_reports if "信访" in _words_of(r)} - with_ju


def test_a_commit_by_another_process_is_seen_without_reopening(tmp_path, reports):
    reader = ReportIndex.open(tmp_path / "index")
    assert reader.count() == 0
    writer = ReportIndex.open(tmp_path / "index")   # stands for `xxgk ingest` running beside the web app
    with writer.batch() as batch:
        batch.add(reports[0])
    assert reader.count() == 1
    assert ids(reader, "信访局") == {XINFANGJU}


def test_an_index_of_another_schema_asks_for_a_rebuild(tmp_path):
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=True)
    tantivy.Index(builder.build(), path=str(tmp_path))
    with pytest.raises(IndexOpenError, match=r"schema does not match.*rebuild it from the store: xxgk ingest --reindex --data "):
        ReportIndex.open(tmp_path)



def test_an_index_from_before_the_phrase_slots_asks_for_a_rebuild(tmp_path, monkeypatch):
    class OldBuilder:
        """The schema builder as it was before the phrase slots: pre-tokenized text fields
        declared "raw", and the mark of the bigram fields."""
        def __init__(self):
            self.builder = real()

        def add_text_field(self, name, **kw):
            if name == PHRASE_SLOTS_MARK:
                name = "phrase_bigrams_v1"
            if kw.get("tokenizer_name") == TERMS_TOKENIZER:
                kw["tokenizer_name"] = "raw"
            self.builder.add_text_field(name, **kw)

        def __getattr__(self, name):
            return getattr(self.builder, name)

    real = tantivy.SchemaBuilder
    monkeypatch.setattr(tantivy, "SchemaBuilder", OldBuilder)
    old_schema = build_schema()
    monkeypatch.setattr(tantivy, "SchemaBuilder", real)
    tantivy.Index(old_schema, path=str(tmp_path))
    with pytest.raises(IndexOpenError, match=r"schema does not match.*rebuild it from the store: xxgk ingest --reindex --data "):
        ReportIndex.open(tmp_path)
    ReportIndex.open(tmp_path / "fresh")  # the current schema opens


# -- relevance order of a word's fallback -----------------------------------------------------

@pytest.fixture(scope="module")
def fallback_index(tmp_path_factory, reports):
    """Four reports for the query word 区信访局 (query words 区 / 信访局): three hold both words,
    one only holds the characters together (jieba cut its text 市中区 / 信访局)."""
    texts = {"thrice": "区 信访局，区 信访局，区 信访局", "twice": "区 信访局受理，区 信访局办理",
             "once": "区 信访局受理群众来信来访事项并按期办理答复", "together": "市中区信访局受理"}
    return build_index(tmp_path_factory.mktemp("fallback") / "index",
                       [replace(reports[0], id=name, title="示例报告", agency="示例机关",
                                sections=[Section(1, "一、总体情况", text, 0, len(text))]) for name, text in texts.items()])


def test_reports_matching_a_word_only_by_its_characters_come_after_the_words_unscored(fallback_index):
    result = search(fallback_index, "区信访局")
    assert result["total"] == 4
    order = [h["id"] for h in result["hits"]]
    assert sorted(order[:3]) == ["once", "thrice", "twice"] and order[3] == "together"
    scores = [h["score"] for h in result["hits"]]
    assert scores[0] >= scores[1] >= scores[2] > 0 and scores[3] == 0
    # paging across the boundary between the two kinds (a page holding both, a page after the
    # words' last), and the export's order, agree
    for per_page in (1, 2, 3):
        pages = [[h["id"] for h in search(fallback_index, "区信访局", page=p, per_page=per_page)["hits"]]
                 for p in range(1, 6)]
        assert pages == [order[i:i + per_page] for i in range(0, 5 * per_page, per_page)], per_page
    assert search_ids(fallback_index, "区信访局") == order
    # the fallback still excludes: a negated word is the whole word, characters together included
    assert ids(fallback_index, "受理 -区信访局") == set()
    assert search(fallback_index, "区信访局", sort="-year")["total"] == 4


def test_the_total_counts_reports_without_a_year_too(tmp_path, reports):
    # the total comes from the facets' aggregation (a count of the year slot, blanks included)
    undated = replace(reports[0], id="0" * 16, year=None)
    index = build_index(tmp_path / "index", [*reports, undated])
    for q in ("", "信访", '"政府信息公开"', "-year:2020", "这个词不在任何报告里"):
        expected = len(search_ids(index, q))
        assert search(index, q)["total"] == stats(index, q)["total"] == expected
    assert search(index, "")["total"] == len(reports) + 1 > sum(search(index, "")["facets"]["year"].values())


def test_the_agency_facet_counts_exactly_across_segments(tmp_path, reports):
    # three segments, each with 1,000 agencies twice and agency "everywhere" once: tantivy's default
    # keeps a segment's 1,000 most frequent values (ten times the size), so it would count
    # "everywhere" 0 times, not 3
    idx = ReportIndex.open(tmp_path / "index")
    base = reports[0].to_dict()
    for segment in range(3):
        with idx.batch() as batch:
            batch.add(Report.from_dict({**base, "id": f"{segment:08x}everywhr", "agency_key": "everywhere"}))
            for n in range(1000):
                for copy in range(2):
                    batch.add(Report.from_dict({**base, "id": f"{segment:02x}{n:04x}{copy:02x}aaaaaaaa",
                                                "agency_key": f"agency-{segment}-{n}"}))
    assert idx.searcher.num_segments == 3
    agencies = search(idx, "", agencies=True)["facets"]["agency"]
    assert list(agencies.items())[0] == ("everywhere", 3)
    assert len(agencies) == 100 and set(list(agencies.values())[1:]) == {2}


def test_the_agency_facet_counted_among_candidates_is_the_direct_count(tmp_path, reports, monkeypatch):
    # 400 copies of the six reports under 30 agencies of uneven sizes, in three segments; with every
    # word broad, candidates counted for every rest and only a few candidates and facet values, the
    # proof both holds and fails (then the direct count is taken), and ties meet at the facet's cut
    monkeypatch.setattr(search_module, "BROAD_SHARE", 0.0)
    monkeypatch.setattr(search_module, "CANDIDATES_SHARE", 0.0)
    monkeypatch.setattr(search_module, "AGENCY_CANDIDATES", 7)
    monkeypatch.setattr(search_module, "AGENCY_FACET_SIZE", 5)
    rng = random.Random(5)
    idx = ReportIndex.open(tmp_path / "index")
    for segment in range(3):
        with idx.batch() as batch:
            for n in range(400 // 3):
                agency = f"agency-{min(rng.randrange(30), rng.randrange(30)):02d}"
                batch.add(Report.from_dict({**rng.choice(reports).to_dict(), "id": f"{segment:02x}{n:06x}aaaaaaaa",
                                            "agency_key": agency}))
    assert idx.searcher.num_segments == 3
    proofs = []
    counted_among_leaders = search_module._counted_among_leaders
    monkeypatch.setattr(search_module, "_counted_among_leaders",
                        lambda *args: proofs.append(counted_among_leaders(*args)) or proofs[-1])
    for q in ("", "公开", "规范性文件", "信访", "行政处罚", "规范性文件 year:2020", "公开 type:信访", "信访 -行政处罚",
              "规范性文件 OR 信访", '"信息公开"', "year:2019..2020 公开 规范性文件", "合川区信访办",
              "合川区信访办 规范性文件"):
        idx.forget()
        query = plan_to_query(compile_plan(parse_query(q)), idx.schema)
        direct = facets_from_aggregation(idx.searcher.aggregate(query, _agency_agg(search_module.AGENCY_FACET_SIZE)),
                                         False, True)["agency"]
        assert len(direct) == 5, q
        assert search(idx, q, agencies=True)["facets"]["agency"] == direct, q
        idx.forget()
        assert on_request_facets(idx, q)["agency"] == direct, q
    assert any(p is None for p in proofs) and any(p is not None for p in proofs)


def test_a_hits_id_is_read_from_its_first_bytes_as_the_whole_hit_gives_it(reports):
    for report in reports:
        blob = encode_hit(report_to_hit(report))
        assert hit_id(blob) == decode_hit(blob)["id"] == report.id
    assert hit_id(encode_hit({"title": "示例", "id": "not-first"})) == "not-first"  # read whole
    assert hit_id(encode_hit({"id": 'a"b\\c', "title": "x"})) == 'a"b\\c'
    with pytest.raises(IndexOpenError):
        hit_id(b"not zlib")


@pytest.mark.parametrize("buckets", [1000, 2])
def test_the_whole_collections_facets_from_the_term_dictionary_are_the_counted_ones(tmp_path, reports, monkeypatch,
                                                                                   buckets):
    # 2: more values than a facet keeps; the values left out are said, as the terms count says them
    monkeypatch.setattr(search_module, "BUCKETS", buckets)
    idx = build_index(tmp_path / "index", reports)
    request = _facet_request(True)
    counted = idx.searcher.aggregate(tantivy.Query.all_query(), request)
    assert not holds_deleted(idx.searcher)
    read = _whole_collection_facets(idx.searcher, request)
    for name in request:
        assert read[name].get("buckets") == counted[name].get("buckets"), name
        assert bool(read[name].get("sum_other_doc_count")) == bool(counted[name].get("sum_other_doc_count")), name
    assert search(idx, "", rates=True)["facets"] == facets_from_aggregation(counted, True, False)
    with idx.batch() as batch:
        batch.delete(XINFANGJU)
    assert holds_deleted(idx.searcher) and _whole_collection_facets(idx.searcher, request) is None
    total, facets = _counted_directly(idx, "", agencies=False)
    assert search(idx, "", rates=True)["total"] == total == len(reports) - 1
    assert search(idx, "", rates=True)["facets"] == facets


# -- ranking over the whole text ----------------------------------------------------------

WHOLE_TEXT_SENTENCES = ("信访工作有序开展。", "信访渠道保持畅通。", "信访事项按期办结。")


def test_a_word_is_ranked_over_the_whole_text_of_the_parts_and_a_section_over_that_part(reports):
    """The same sentences in one part or spread over three score the same (BM25 over the parts'
    text as one field); per part, the spread report's three short texts would outscore the one."""
    headings = [CANONICAL_HEADINGS[n] for n in (1, 2, 3)]
    one = [Section(1, headings[0], "".join(WHOLE_TEXT_SENTENCES), 0, 27)]
    spread = [Section(n, headings[n - 1], text, 0, len(text)) for n, text in enumerate(WHOLE_TEXT_SENTENCES, 1)]
    index = build_index(None, [replace(reports[0], id=name, title="示例报告", agency="示例机关", sections=sections)
                               for name, sections in (("one", one), ("spread", spread))])
    scores = {h["id"]: h["score"] for h in search(index, "信访")["hits"]}
    assert scores["one"] == scores["spread"] > 0
    # a part named: that part's words alone, ranked on it
    assert ids(index, "section:2 信访") == {"spread"}
    assert ids(index, "section:1 渠道") == {"one"}


@pytest.fixture(scope="module")
def fallback_parts_index(reports):
    """区信访局's words are 区 / 信访局; 市中区信访局 holds them only as characters (its fallback),
    in part 1 of a 2019 report and part 2 of a 2021 one."""
    headings = dict(enumerate(CANONICAL_HEADINGS, 0))
    texts = {"words": (2020, 1, "区 信访局按期答复"), "part1": (2019, 1, "市中区信访局受理"),
             "part2": (2021, 2, "市中区信访局办理"), "neither": (2020, 1, "其他工作有序开展")}
    return build_index(None, [replace(reports[0], id=name, year=year, title="示例报告", agency="示例机关",
                                      sections=[Section(n, headings[n], text, 0, len(text))])
                              for name, (year, n, text) in texts.items()])


FALLBACK_QUERIES = (("区信访局 year:2020", {"words"}), ("区信访局 year:2019..2020", {"words", "part1"}),
                    ("区信访局", {"words", "part1", "part2"}))


def test_a_fallback_phrase_is_ruled_out_among_the_reports_left_by_the_words_alone(fallback_parts_index, monkeypatch):
    """A broad word: among the reports without its words, the phrase held in no part is dropped,
    held in one part is subtracted (an intersection), held in two is excluded in turn; the counts
    are exact on each path."""
    monkeypatch.setattr(search_module, "BROAD_SHARE", 0.0)
    index = fallback_parts_index
    paths = []
    outside = search_module._outside

    def spied(*args):
        pairs = outside(*args)
        paths.append("subtracted" if len(pairs) == 2 else "excluded" if "PhraseQuery" in repr(pairs[0][1]) else "dropped")
        return pairs
    monkeypatch.setattr(search_module, "_outside", spied)
    for (q, found), path in zip(FALLBACK_QUERIES, ("dropped", "subtracted", "excluded")):
        index.forget()
        paths.clear()
        result = search(index, q, per_page=100, rates=True)
        assert paths == [path], q
        assert {h["id"] for h in result["hits"]} == found, q
        assert (result["total"], result["facets"]) == _counted_directly(index, q, agencies=False), q


def test_a_word_is_counted_as_its_words_plus_its_fallback_where_they_are_not(fallback_parts_index, monkeypatch):
    """A word not broad is counted as its words alone where its fallback finds no report of the
    collection that they miss; else its facets are its words', plus, where some report of the
    query lacks the words but holds the characters, those reports'; the whole word at once where
    the rest of the query holds a phrase of its own. Exact on every path."""
    monkeypatch.setattr(search_module, "BROAD_SHARE", 1.0)
    index = fallback_parts_index
    added = []
    combined = search_module._combined
    monkeypatch.setattr(search_module, "_combined", lambda terms: added.append(len(terms)) or combined(terms))
    # (query, reports found, counted as its words alone, aggregations added up)
    cases = (("信访局", {"words", "part1", "part2"}, True, []), ("区信访局 year:2020", {"words"}, False, [1]),
             ("区信访局 year:2019..2020", {"words", "part1"}, False, [2]), ("区信访局", {"words", "part1", "part2"}, False, [2]),
             ('区信访局 "受理"', {"part1"}, False, []))
    for q, found, as_words, sums in cases:
        index.forget()
        added.clear()
        result = search(index, q, per_page=100, rates=True)
        assert {h["id"] for h in result["hits"]} == found, q
        assert (result["total"], result["facets"]) == _counted_directly(index, q, agencies=False), q
        plan, words_only = compile_plan(parse_query(q)), compile_plan(parse_query(q), fallbacks=False)
        counted = counting_plan(index.searcher, index.schema, plan, index.memo(index.searcher))
        assert (counted == words_only, added) == (as_words, sums), q
