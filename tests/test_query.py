"""The query language (docs/query-language.md): tokenizer, parser, compiler and errors, with no index."""
from __future__ import annotations

import pytest
import tantivy

from indexer.errors import XxgkError
from indexer.query import (And, Compare, Filter, MatchAll, Not, Or, Phrase, QuerySyntaxError, SectionFilter, Word,
                           YearRange, compile_plan, explain, parse_query, plan_to_query, plan_to_text, text_terms)
from indexer.tokenize import char_units, phrase_terms, query_terms, tokenize


def words(text):
    return [(t.text, t.start, t.end) for t in tokenize(text)]


def plan(q):
    return plan_to_text(compile_plan(parse_query(q)))


# -- tokenizer ----------------------------------------------------------------------

def test_search_mode_emits_sub_words_so_xinfang_finds_xinfangju():
    assert words("市中区信访局") == [("市中区", 0, 3), ("中区", 1, 3), ("信访", 3, 5), ("信访局", 3, 6)]
    assert ("信访", 0, 2) in words("信访办")
    assert ("信访办", 0, 3) in words("信访办")


def test_domain_words_stay_whole_and_keep_their_parts():
    tokens = words("依申请公开")
    assert ("依申请公开", 0, 5) in tokens and ("申请", 1, 3) in tokens and ("公开", 3, 5) in tokens
    tokens = words("危及“三安全一稳定”")
    assert ("三安全一稳定", 3, 9) in tokens
    # sub-words of every length, not only jieba's 2 and 3: 信息公开 inside 政府信息公开
    assert ("信息公开", 2, 6) in words("政府信息公开")


def test_offsets_point_into_the_original_text_after_folding_and_lowercasing():
    text = "ＯＰＥＮ Data，２０２０年"
    tokens = words(text)
    assert tokens == [("open", 0, 4), ("data", 5, 9), ("2020", 10, 14), ("年", 14, 15)]
    assert text[10:14] == "２０２０"


def test_folding_keeps_every_offset():
    text = "İzmir ＡＢＣ信访局"   # str.lower() would make İ two characters
    assert [(t.text, text[t.start:t.end]) for t in tokenize(text)][-3:] == [
        ("abc", "ＡＢＣ"), ("信访", "信访"), ("信访局", "信访局")]


def test_punctuation_and_spaces_are_dropped():
    assert words("，。 、“”\n\t") == []


def test_query_terms_drop_sub_words():
    assert [t.text for t in query_terms("市中区信访局")] == ["市中区", "信访局"]
    assert [t.text for t in query_terms("信访")] == ["信访"]


def test_char_units_skip_spaces_and_leave_a_gap_at_punctuation():
    units = [(u.text, u.position) for u in char_units("信访 工作，Open data 4.5万元")]
    assert units == [("信", 0), ("访", 1), ("工", 2), ("作", 3), ("open", 5), ("data", 6), ("4.5", 7),
                     ("万", 8), ("元", 9)]


# -- parser -------------------------------------------------------------------------

def test_the_missions_query():
    assert parse_query("type:信访 year:2020 procurement_count>0") == And((
        Filter("type", "信访", 1), YearRange(2020, 2020, 9), Compare("procurement_count", ">", 0.0, 19)))


@pytest.mark.parametrize("q", ["", "   ", "\u3000"])
def test_an_empty_query_matches_everything(q):
    assert parse_query(q) == MatchAll()
    assert plan(q) == "all"


def test_words_phrases_and_chinese_quotes():
    assert parse_query('信访 "信访工作" “依申请公开”') == And((
        Word("信访", 1), Phrase("信访工作", 4), Phrase("依申请公开", 11)))


def test_and_binds_tighter_than_or():
    assert parse_query("a b OR c") == Or((And((Word("a", 1), Word("b", 3))), Word("c", 8)))
    assert parse_query("a OR b c") == Or((Word("a", 1), And((Word("b", 6), Word("c", 8)))))


def test_parentheses_group():
    assert parse_query("(a OR b) c") == And((Or((Word("a", 2), Word("b", 7))), Word("c", 10)))


def test_explicit_and_is_the_same_as_juxtaposition():
    assert parse_query("a AND b") == And((Word("a", 1), Word("b", 7)))
    assert plan("a AND b") == plan("a b")


@pytest.mark.parametrize("q, child", [
    ("-信访", Word("信访", 2)),
    ('-"信访工作"', Phrase("信访工作", 2)),
    ("-type:信访", Filter("type", "信访", 2)),
    ("-applications>=10", Compare("applications", ">=", 10.0, 2)),
])
def test_negation(q, child):
    assert parse_query(q) == Not(child, 1)


def test_not_keyword_negates_like_minus():
    assert parse_query("a NOT b") == And((Word("a", 1), Not(Word("b", 7), 3)))


@pytest.mark.parametrize("q", ["NOT -type:信访", "--type:信访", "NOT NOT type:信访", "-NOT type:信访",
                               "NOT " * 5001 + "-type:信访"])
def test_a_negation_of_a_negation_cancels_out(q):
    """`NOT -x` was an error ("nothing after 'NOT'") where `-(-x)` was x; a long run of them is
    read in a loop, not on the stack."""
    column = len(q) - len("type:信访") + 1
    assert parse_query(q) == Filter("type", "信访", column)
    assert parse_query("NOT " + q) == Not(Filter("type", "信访", column + 4), 1)
    assert parse_query("NOT -section:3") == SectionFilter(3, 6)


def test_a_hyphen_inside_a_word_is_not_negation():
    assert parse_query("covid-19") == Word("covid-19", 1)


@pytest.mark.parametrize("q, node", [
    ("year:2020", YearRange(2020, 2020, 1)),
    ("year:2019..2021", YearRange(2019, 2021, 1)),
    ("year:2019..", YearRange(2019, None, 1)),
    ("year:..2021", YearRange(None, 2021, 1)),
    ("type:信访", Filter("type", "信访", 1)),
    ("province:山东省", Filter("province", "山东省", 1)),
    ("city:枣庄市", Filter("city", "枣庄市", 1)),
    ("county:市中区", Filter("county", "市中区", 1)),
    ("level:county", Filter("level", "county", 1)),
    ("agency:信访局", Filter("agency", "信访局", 1)),
    ('agency:"市中区 信访局"', Filter("agency", "市中区 信访局", 1)),
    ("template:2021", Filter("template", "2021", 1)),
    ("flag:t3_balance", Filter("flag", "t3_balance", 1)),
    ("section:5", SectionFilter(5, 1)),
    ("synthetic:TRUE", Filter("synthetic", "true", 1)),
    ("Type:信访", Filter("type", "信访", 1)),
])
def test_field_filters(q, node):
    assert parse_query(q) == node


@pytest.mark.parametrize("op", [">", ">=", "<", "<=", "=", "!="])
def test_every_comparison_operator(op):
    assert parse_query(f"applications{op}10") == Compare("applications", op, 10.0, 1)


def test_comparisons_take_figure_keys_decimals_and_year():
    assert parse_query("t4.review.corrected>0") == Compare("t4.review.corrected", ">", 0.0, 1)
    assert parse_query("procurement_amount>=6.5") == Compare("procurement_amount", ">=", 6.5, 1)
    assert parse_query("year>=2020") == Compare("year", ">=", 2020.0, 1)


# -- errors -------------------------------------------------------------------------

@pytest.mark.parametrize("q, message, position", [
    ("procurement_count>>0", "unexpected '>' at column 18; '>>' is not a comparison (use >, >=, <, <=, =, !=)", 18),
    ("type:信访 procurement_count>>0", "unexpected '>' at column 26; '>>' is not a comparison "
                                     "(use >, >=, <, <=, =, !=)", 26),
    ("foo:bar", "unknown field 'foo' at column 1; known: year, type, province, city, county, level, agency, "
                "agency_key, template, flag, section, synthetic", 1),
    ("信访 foo:bar", "unknown field 'foo' at column 4; known: year, type, province, city, county, level, agency, "
                   "agency_key, template, flag, section, synthetic", 4),
    ("zzz>3", "unknown figure key or alias 'zzz' at column 1; aliases: procurement_count, procurement_amount, "
              "fees_amount, applications, carried_over, granted, partial, denied, unable, rejected, "
              "other_handling, handled, carried_forward, review, litigation, grant_rate, partial_rate, "
              "denial_rate, unable_rate, rejected_rate, correction_rate, litigation_loss_rate, "
              "carry_forward_share; or a figure key like "
              "t4.review.corrected", 1),
    ("t4.review.fixed>0", None, 1),
    ("applications>=abc", "bad number 'abc' at column 15; write digits, e.g. 10 or 6.5", 15),
    ("applications>", "missing number after applications> at column 13", 13),
    ("year:2021..2019", "bad range '2021..2019' at column 6; 2021 is after 2019", 6),
    ("year:..", "bad range '..' at column 6; write 2019..2021, 2019.. or ..2021", 6),
    ("year:20x", "bad year '20x' at column 6; write a year like 2020 or a range like 2019..2021", 6),
    ("year:2019..20x", "bad year '20x' at column 12; write a year like 2020 or a range like 2019..2021", 12),
    ("year>2020.5", "bad year '2020.5' at column 6; write a year like 2020 or a range like 2019..2021", 6),
    ('信访 "工作', "unclosed quote at column 4; close the phrase with \"", 4),
    ("信访 -", "nothing after '-' at column 4; write -word, -\"phrase\" or -field:value", 4),
    ("- 信访", "nothing after '-' at column 1; write -word, -\"phrase\" or -field:value", 1),
    ("信访 NOT", "nothing after 'NOT' at column 4; write -word, -\"phrase\" or -field:value", 4),
    ("信访 NOT -", "nothing after '-' at column 8; write -word, -\"phrase\" or -field:value", 8),
    ("NOT -section:5 -section:5", "section: cannot be negated at column 16; name the parts to search instead", 16),
    ("section:7", "section '7' out of range at column 9; sections are numbered 1 to 6", 9),
    ("section:0", "section '0' out of range at column 9; sections are numbered 1 to 6", 9),
    ("section:" + "9" * 5000, None, 9),  # past int()'s 4,300 digits: a ValueError before
    ("-section:5", "section: cannot be negated at column 1; name the parts to search instead", 1),
    ("level:town", "unknown level 'town' at column 7; known: central, province, city, county, township", 7),
    ("template:2020", "unknown template '2020' at column 10; known: 2019, 2021", 10),
    ("synthetic:yes", "bad value 'yes' for synthetic at column 11; use true or false", 11),
    ("type:", "missing value after 'type:' at column 5", 5),
    ("(信访", "unclosed '(' at column 1; add the closing ')'", 1),
    ("信访)", "unexpected ')' at column 3", 3),
    ("()", "empty parentheses at column 1", 1),
    ("OR 信访", "OR needs a term before it at column 1", 1),
    ("信访 OR", "OR needs a term after it at column 4", 4),
    ("信访 OR OR 民政", "OR needs a term after it at column 4", 4),
    ("AND 信访", "AND needs a term on both sides at column 1", 1),
    # bounds (a query is taken apart recursively, and each term costs the engine its postings)
    ("(" * 32 + "信访" + ")" * 32, None, None),
    ("(" * 33 + "信访" + ")" * 33, "parentheses nested too deep (at most 32) at column 33", 33),
    ("(" * 3000 + "信访" + ")" * 3000, "parentheses nested too deep (at most 32) at column 33", 33),
    (" ".join(["信访"] * 256), None, None),
    (" ".join(["信访"] * 257), "too many terms (257; at most 256) at column 769; narrow the query with filters "
                                "such as type:, province: or year:", 769),
    ('"' + "政府信息公开工作" * 25 + '"', None, None),
    ('信访 "' + "政府信息公开工作" * 25 + '年"', "phrase too long (201 characters; at most 200) at column 4; search "
                                                 "for a part of it", 4),
    ("政府信息公开工作" * 26, "word too long (208 characters; at most 200) at column 1; search for a part of it", 1),
    (" OR ".join(f"agency:局{i}" for i in range(1000)),
     "too many terms (1000; at most 256) at column 3731; narrow the query with filters such as type:, "
     "province: or year:", 3731),
])
def test_errors_say_what_and_where(q, message, position):
    if position is None:  # just inside a bound: a query, taken through every step to its tantivy query
        plan_to_query(compile_plan(parse_query(q)))
        return
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(q)
    if message is not None:
        assert str(info.value) == message
    assert info.value.position == position
    assert str(info.value).startswith(info.value.message + f" at column {position}")
    assert isinstance(info.value, XxgkError)


# -- compiler (no index) ----------------------------------------------------------------

def test_the_missions_plan_filters_without_scoring():
    assert plan("type:信访 year:2020 procurement_count>0") == "\n".join([
        "bool",
        "  must:",
        "    filter (score 0)",
        "      type:信访",
        "  must:",
        "    filter (score 0)",
        "      year in [2020, 2020]",
        "  must:",
        "    filter (score 0)",
        "      a_procurement_count in (0, +inf)",
    ])


def test_a_word_searches_every_section_the_title_and_the_agency_or_its_characters_together():
    assert plan("信访") == "\n".join([
        "bool",
        "  should:",
        "    {text|title|agency}:信访",
        "  should:",
        '    {p1|p2|p3|p4|p5|p6}:"信@0 访@1"',
    ])
    # ASCII is cut the same way in any context: the words alone
    assert plan("Open") == "{text|title|agency}:open"


def test_a_word_of_several_jieba_words_needs_all_of_them_or_the_whole_word():
    assert plan("市中区信访局") == "\n".join([
        "bool",
        "  should:",
        "    bool",
        "      must:",
        "        {text|title|agency}:市中区",
        "      must:",
        "        {text|title|agency}:信访局",
        "  should:",
        '    {p1|p2|p3|p4|p5|p6}:"市@0 中@1 区@2 信@3 访@4 局@5"',
    ])


def test_a_phrase_is_a_positional_phrase_over_characters():
    assert plan('"信访工作"') == '{p1|p2|p3|p4|p5|p6}:"信@0 访@1 工@2 作@3"'
    # punctuation inside the phrase keeps its gap; spaces do not count
    assert plan('"信访，工作"') == '{p1|p2|p3|p4|p5|p6}:"信@0 访@1 工@3 作@4"'
    assert plan('"open  data"') == '{p1|p2|p3|p4|p5|p6}:"open@0 data@1"'
    assert plan('"局"') == '{p1|p2|p3|p4|p5|p6}:"局@0"'


def test_section_restricts_every_text_term_to_that_part():
    assert plan('section:5 信访 "工作"') == "\n".join([
        "bool",
        "  must:",
        "    filter (score 0)",
        "      parts:5",
        "  must:",
        "    bool",
        "      should:",
        "        s5:信访",
        "      should:",
        '        p5:"信@0 访@1"',
        "  must:",
        '    p5:"工@0 作@1"',
    ])
    assert "{s5|s6}:信访" in plan("section:5 section:6 信访")


@pytest.mark.parametrize("q, expected", [
    ("applications>10", "a_applications in (10, +inf)"),
    ("applications>=10", "a_applications in [10, +inf)"),
    ("applications<10", "a_applications in (-inf, 10)"),
    ("applications<=10", "a_applications in (-inf, 10]"),
    ("applications=10", "a_applications in [10, 10]"),
    ("procurement_amount>=6.5", "a_procurement_amount in [6.5, +inf)"),
    ("t4.review.corrected>0", "f_t4__review__corrected in (0, +inf)"),
    ("year:2019..", "year in [2019, +inf)"),
    ("year<2021", "year in (-inf, 2021)"),
])
def test_comparisons_compile_to_ranges(q, expected):
    assert plan(q) == "filter (score 0)\n  " + expected


def test_not_equal_needs_a_value_so_blank_figures_never_match():
    assert plan("applications!=0") == "\n".join([
        "filter (score 0)",
        "  bool",
        "    must:",
        "      a_applications exists",
        "    must_not:",
        "      a_applications in [0, 0]",
    ])


def test_negation_compiles_to_must_not_beside_everything():
    assert plan("-type:信访") == "bool\n  must:\n    all\n  must_not:\n    type:信访"
    assert plan("open -data") == "\n".join([
        "bool",
        "  must:",
        "    {text|title|agency}:open",
        "  must_not:",
        "    {text|title|agency}:data",
    ])


def test_or_is_should():
    assert plan("type:信访 OR type:民政") == "\n".join([
        "filter (score 0)",
        "  bool",
        "    should:",
        "      type:信访",
        "    should:",
        "      type:民政",
    ])
    assert plan("open OR type:民政") == "\n".join([
        "bool",
        "  should:",
        "    {text|title|agency}:open",
        "  should:",
        "    filter (score 0)",
        "      type:民政",
    ])


def test_filters_on_facets_and_agency_words():
    assert plan("level:county") == "filter (score 0)\n  level:county"
    assert plan("flag:t3_balance") == "filter (score 0)\n  flags:t3_balance"
    assert plan("synthetic:false") == "filter (score 0)\n  synthetic:false"
    assert plan("agency:市中区信访局") == "\n".join([
        "filter (score 0)",
        "  bool",
        "    should:",
        "      bool",
        "        must:",
        "          agency:市中区",
        "        must:",
        "          agency:信访局",
        "    should:",
        "      agency_raw:/.*市中区信访局.*/",
    ])
    # ASCII punctuation is escaped for tantivy's regex syntax; Chinese punctuation is not
    assert r"agency_raw:/.*a\x{2e}b\x{20}\x{28}c\x{29}（d）.*/" in plan('agency:"a.b (c)（d）"')


def test_a_word_of_punctuation_alone_matches_everything():
    assert plan("，") == "all"


@pytest.mark.parametrize("q", [
    "", "信访", '"信访工作"', "type:信访 year:2020 procurement_count>0", "a OR (b -c) year:2019..2021",
    "applications!=3 t4.review.corrected<=2", "-信访", "section:3 依申请公开", "agency:信访局 OR flag:blank_cells",
])
def test_every_query_compiles_to_a_tantivy_query_without_an_index(q):
    assert isinstance(plan_to_query(compile_plan(parse_query(q))), tantivy.Query)


def test_explain_shows_the_ast_and_the_plan():
    text = explain("type:信访 procurement_count>0")
    assert text.splitlines()[0] == "query: type:信访 procurement_count>0"
    assert "ast: And(children=(Filter(field='type', value='信访', column=1), " \
           "Compare(key='procurement_count', op='>', value=0.0, column=9)))" in text
    assert "      a_procurement_count in (0, +inf)" in text


def test_text_terms_leave_negated_terms_out():
    terms = text_terms(parse_query('市中区信访局 "信访工作" open -民政 section:1 type:信访'))
    assert terms.words == {"市中区", "信访局", "open"}
    assert terms.phrases == (tuple(enumerate("市中区信访局")), tuple(enumerate("信访工作")))
    assert terms.sections == {1}
    assert text_terms(parse_query("type:信访")).empty


@pytest.mark.parametrize("units, terms", [
    # (position, term, prefix): position p of the phrase field holds the bigram starting at p
    (((0, "信"), (1, "访")), ((0, "信|访", False),)),
    (((0, "信"), (1, "访"), (2, "工")), ((0, "信|访", False), (1, "访|工", False))),
    (((0, "信"), (1, "访"), (2, "工"), (3, "作")), ((0, "信|访", False), (2, "工|作", False))),
    (((0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e")), ((0, "a|b", False), (2, "c|d", False), (3, "d|e", False))),
    # punctuation in the query leaves a gap: each run on its own, a run of one is the start of a term
    (((0, "信"), (1, "访"), (3, "局")), ((0, "信|访", False), (3, "局|", True))),
    (((0, "局"),), ((0, "局|", True),)),
    (((0, "open"), (1, "data")), ((0, "open|data", False),)),
])
def test_a_phrase_is_matched_by_bigrams_covering_every_unit(units, terms):
    assert phrase_terms(units) == terms


def test_explain_shows_what_relevance_ranks_when_a_word_has_a_fallback():
    text = explain("区信访局 type:信访")
    ranked = text.split("ranked by (BM25; the reports only the plan matches follow, score 0):\n")[1]
    assert '"区@0 信@1 访@2 局@3"' in text and "区@0" not in ranked
    assert "{text|title|agency}:信访局" in ranked and "type:信访" in ranked
    assert "ranked by" not in explain("type:信访 open")  # ASCII words have no fallback
