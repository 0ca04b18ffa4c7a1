"""Sections + figures -> narrative_mismatch flags.

The narrative often restates a table figure (全年共受理政府信息公开申请21件,
公开采购项目2个，共计6.8万元, 行政复议1件). ``check_narrative`` finds such
clear statements and flags those that disagree with the table:
``Flag("narrative_mismatch", "t3.new.total", 'narrative says 21 (“…”), table says 20')``.

Only clear statements count, each tied to one figure by its wording; a figure
the table leaves blank (null) is never compared. Some reports count the
applications they "received" as new plus carried over (平潭 2022: 收到申请75件 =
74 new + 1 carried over), so a statement about received applications agrees
with the table when it equals either.

Numbers may be written with spaces (34 件, PDF conversions), across line
breaks, or in Chinese numerals (一件, 两个, 十二件).

A restated figure is matched to the right sum or scope before it is compared:
"予以公开及部分公开42件" restates 予以公开 + 部分公开 together (not 部分公开 alone),
and a clause giving one organ's or one channel's share ("区政府办代表区政府受理…17件",
"其中…本级受理…") is not the table's total, so it is never a mismatch.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .report import Flag, Section
from .sections import normalise_spaces

Number = int | float
Figures = Mapping[str, Number | None]

_CN_NUMERAL = "零〇一二两三四五六七八九十百"
_NUM = r"(\d+(?:\.\d+)?|[" + _CN_NUMERAL + "]+)"
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
MONEY_TOLERANCE_WAN = 0.01
QUOTE_CONTEXT = 12


def chinese_number(text: str) -> int | None:
    """一 .. 九百九十九 (with 两, 零) -> int; None if not a numeral."""
    if not text or any(c not in _CN_DIGIT and c not in "十百" for c in text):
        return None
    total, current = 0, None
    for char in text:
        if char in _CN_DIGIT:
            current = _CN_DIGIT[char]
        else:
            unit = 10 if char == "十" else 100
            total += (1 if current is None else current) * unit
            current = None
    return total + (current or 0)


def parse_number(text: str) -> Number | None:
    """'21' -> 21, '6.8' -> 6.8, '两' -> 2, '十二' -> 12."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    return chinese_number(text)


@dataclass(frozen=True)
class Statement:
    """One kind of sentence restating a figure: its pattern and how to read the table.

    ``needs``: quick patterns, one of which every text holding the statement matches;
    a text matching none is not searched (empty: always search). ``share``: what, in the
    clause before the statement, makes it a part of the figure rather than the figure.
    """
    key: str
    pattern: re.Pattern
    expected: Callable[[Figures], list[Number] | None]
    money: bool = False
    needs: tuple[re.Pattern, ...] = ()
    share: re.Pattern | None = None


# One organ or channel speaking for a part of the whole: 区政府办代表区政府受理, 本级受理,
# 各部门共受理, 通过网络受理. Outcome counts are broken down after 其中 as a matter of
# course (其中予以公开22件), so 其中 marks a share of the applications only.
_SHARE = r"代表|本级|下属|所属|分别|各(?:部门|单位|乡镇|街道|科室|镇街)|通过[^，,。；]{0,8}(?:渠道|方式|网络|平台|信函|当面)"
SHARE = re.compile(_SHARE)
APPLICATION_SHARE = re.compile(_SHARE + r"|其中")
_CLAUSE_END = re.compile(r"[。；;！？!?]")


def _one(key: str) -> Callable[[Figures], list[Number] | None]:
    return lambda figures: None if figures.get(key) is None else [figures[key]]


def _received(figures: Figures) -> list[Number] | None:
    new, carried = figures.get("t3.new.total"), figures.get("t3.carried_over.total")
    if new is None:
        return None
    return [new] if carried is None else [new, new + carried]


def _litigation(figures: Figures) -> list[Number] | None:
    direct, after = figures.get("t4.litigation_direct.total"), figures.get("t4.litigation_after_review.total")
    if direct is None or after is None:
        return None
    return [direct + after]


def _granted_and_partial(figures: Figures) -> list[Number] | None:
    granted, partial = figures.get("t3.granted.total"), figures.get("t3.partial.total")
    if granted is None or partial is None:
        return None
    return [granted + partial]


def _procurement_amount(figures: Figures) -> list[Number] | None:
    return _one("t2.procurement.amount_wan")(figures)


def _case_count(key: str, word: str, expected: Callable[[Figures], list[Number] | None]) -> Statement:
    """行政复议1件, or 1件(涉及政府信息公开的)行政复议, for ``word`` 行政复议 or 行政诉讼.

    The second form opens with a number, so the engine tries the pattern at every
    position. A text holds either form only where the word meets a number (the first)
    or a unit (the second): ``needs`` looks for those, with patterns the engine skips
    ahead to.
    """
    after_word = word + r"(?:案件)?(?:共|数为|数量为)?\s*"
    before_word = r"(?:涉及政府信息公开(?:工作)?的)?"
    pattern = re.compile(r"(?=[" + word[0] + r"\d" + _CN_NUMERAL + r"])(?:" + after_word + _NUM + r"\s*(?:件|起|宗)|"
                         + _NUM + r"\s*(?:件|起|宗)" + before_word + "(?:" + word + "))")
    needs = (re.compile(after_word + r"[\d" + _CN_NUMERAL + "]"), re.compile("[件起宗]" + before_word + word))
    return Statement(key, pattern, expected, needs=needs, share=SHARE)


_UNIT = r"\s*(?:件|份|个|条|宗|起)"
_GRANTED_AND_PARTIAL = "t3.granted.total+t3.partial.total"
# The regex engine jumps ahead to a pattern's possible first characters only when it
# opens with plain words: a pattern opening with a lookbehind or a number is tried at
# every position. So "not after X" is written after the words it guards,
# (?:收到|…)(?<!结转..) with a dot for each word character, and a pattern that may
# open with a number starts with a lookahead naming its possible first characters.
STATEMENTS = (
    Statement("t3.new.total", re.compile(
        r"(?:收到|受理|接到|接收|新收|共收)(?<!结转..)[^。；，,\d]{0,10}?(?:政府信息公开|信息公开|依申请公开)"
        r"(?:的)?申请(?:共计|合计|总计|共|数量为|数为|数|)?\s*" + _NUM + _UNIT), _received, share=APPLICATION_SHARE),
    Statement("t3.carried_over.total", re.compile(
        r"上一?年(?:度)?结转(?:的)?(?:政府信息公开|信息公开)?(?:申请)?(?:共|数量为)?\s*" + _NUM + _UNIT),
        _one("t3.carried_over.total"), share=APPLICATION_SHARE),
    Statement("t3.granted.total", re.compile(r"(?:予以公开|同意公开)(?<!部分....)(?<!不....)(?:答复|的)?(?:共)?\s*" + _NUM + _UNIT),
              _one("t3.granted.total"), share=SHARE),
    # 予以公开及部分公开42件: the two outcomes together, so not 部分公开 alone (below)
    Statement(_GRANTED_AND_PARTIAL, re.compile(
        r"(?:予以公开|同意公开)(?:答复)?(?:及|和|与|、|以及|加)部分公开(?:答复|的)?(?:共计|合计|共)?\s*" + _NUM + _UNIT),
        _granted_and_partial, share=SHARE),
    Statement("t3.partial.total", re.compile(r"部分公开(?<!不予....)(?<!公开[及和与、加]....)(?<!公开以及....)"
                                             r"(?:答复|的)?(?:共)?\s*" + _NUM + _UNIT),
              _one("t3.partial.total"), share=SHARE),
    Statement("t3.carried_forward.total", re.compile(
        r"(?:转入?下一?年度?|结转(?:至|到)?下一?年度?)[^。；，,\d]{0,12}?" + _NUM + _UNIT),
        _one("t3.carried_forward.total")),
    Statement("t2.procurement.count", re.compile(r"采购项目(?:数量)?(?:共计|共)?\s*" + _NUM + r"\s*(?:个|项|件)"),
              _one("t2.procurement.count")),
    Statement("t2.procurement.amount_wan", re.compile(
        r"采购项目(?:数量)?(?:共计|共)?\s*" + _NUM + r"\s*(?:个|项|件)[，,、]?\s*(?:采购)?(?:总金额|金额|共计|合计|总计)"
        r"(?:为|约)?\s*" + _NUM + r"\s*(万元|元)"), _procurement_amount, money=True),
    _case_count("t4.review.total", "行政复议", _one("t4.review.total")),
    _case_count("t4.litigation", "行政诉讼", _litigation),
)
_LITIGATION_WHERE = "litigation"  # the alias (docs/report-format.md): direct + after-review totals


def _narrative_text(sections: Iterable[Section]) -> str:
    """The sections' text with line breaks and spaces inside CJK removed (PDF lines end mid-word)."""
    return normalise_spaces(" ".join(section.text for section in sections))


def _stated_value(statement: Statement, match: re.Match) -> Number | None:
    numbers = [g for g in match.groups() if g is not None]
    if statement.money:
        value = parse_number(numbers[1])
        if value is None:
            return None
        return value / 10000 if numbers[2] == "元" else value
    return parse_number(numbers[0])


def _is_share(statement: Statement, text: str, match: re.Match) -> bool:
    """Whether the clause holding the statement gives a part of the figure (one organ's,
    one channel's), which the table's total need not equal."""
    if statement.share is None:
        return False
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, max(0, match.start() - 80), match.start())),
                       default=max(0, match.start() - 80))
    return statement.share.search(text, clause_start, match.end()) is not None


def _agrees(stated: Number, expected: list[Number], money: bool) -> bool:
    tolerance = MONEY_TOLERANCE_WAN if money else 1e-9
    return any(abs(stated - value) <= tolerance for value in expected)


def _quote(text: str, match: re.Match) -> str:
    start = max(0, match.start() - QUOTE_CONTEXT)
    end = min(len(text), match.end() + 2)
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def _show(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_narrative(sections: list[Section], figures: Figures) -> list[Flag]:
    """Flag narrative statements of a table figure that disagree with the table.

    :param sections: the report's parts (their text is searched).
    :param figures: the figure keys read from the tables (None = blank cell).
    :returns: one ``narrative_mismatch`` flag per figure the narrative contradicts
        (none where any statement of it agrees).
    """
    text = _narrative_text(sections)
    flags = []
    for statement in STATEMENTS:
        expected = statement.expected(figures)
        if expected is None or (statement.needs and not any(need.search(text) for need in statement.needs)):
            continue
        disagreeing = None
        agreed = False
        for match in statement.pattern.finditer(text):
            stated = _stated_value(statement, match)
            if stated is None or _is_share(statement, text, match):
                continue
            if _agrees(stated, expected, statement.money):
                agreed = True
                break
            if disagreeing is None:
                disagreeing = (stated, match)
        if disagreeing and not agreed:
            stated, match = disagreeing
            where = _LITIGATION_WHERE if statement.key == "t4.litigation" else statement.key
            table = _show(expected[0])
            flags.append(Flag("narrative_mismatch", where,
                              f"narrative says {_show(stated)} (“{_quote(text, match)}”), table says {table}"))
    return flags
