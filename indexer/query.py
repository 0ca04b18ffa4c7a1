"""The search language (docs/query-language.md): string -> AST -> plan -> tantivy query.

    parse_query(q)        the AST (dataclasses below), or QuerySyntaxError
    compile_plan(node)    a plan: a small tree of term/phrase/range/bool nodes
    plan_to_query(plan)   the tantivy.Query that runs it
    explain(q)            both, as text (`xxgk search --explain`)

Grammar (AND binds tighter than OR; juxtaposition is AND):

    query   := or EOF
    or      := and ("OR" and)*
    and     := unary ("AND"? unary)*
    unary   := ("-" | "NOT") primary | primary
    primary := "(" or ")" | "phrase" | field:value | key OP number | word

Words and phrases are segmented with tokenize.py, as the index is: a word
matches where every jieba word of it occurs (信访 finds 信访局, because the
index holds sub-words) or where its characters stand together (jieba may
cut the bare query word unlike the sentence it appears in); a phrase matches
only where its characters are contiguous.
``section:N`` restricts every text term of the query to part N (several
``section:`` filters allow any of their parts). Comparisons never match a
blank (null) figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tantivy

from .aliases import ALIASES
from .errors import XxgkError
from .figure_keys import all_figure_keys
from .index import TEXT_FIELD, build_schema, exists_query, figure_field, range_query
from .tokenize import char_units, phrase_terms, query_terms
from .vocabulary import FILTER_FIELDS, LEVELS, SECTION_NUMBERS, TEMPLATES

OPERATORS = (">=", "<=", "!=", ">", "<", "=")
_KEY = r"[A-Za-z_][A-Za-z0-9_.]*"
_FIELD_RE = re.compile(rf"({_KEY}):(.*)", re.S)
_COMPARE_RE = re.compile(rf"({_KEY})([<>=!]+)(.*)", re.S)
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_QUOTES = '"“”'
_CLOSING_QUOTES = '"”'
_STOP = set(" \t\r\n\u3000()")
# Bounds of one query (docs/query-language.md, "Errors"). Each term costs the engine its own
# postings, so a thousand of them kept a worker busy for seconds, as did one word or phrase of
# a thousand characters (a term each); and the parser, and every step after it, recurses once
# per parenthesis: 300 nested overran Python's stack.
MAX_QUERY_TERMS = 256
MAX_TEXT_CHARS = 200
MAX_NESTING = 32


class QuerySyntaxError(XxgkError):
    """A malformed query; ``position`` is the 1-based column of the offending character.

    Columns count characters (a Chinese character is one column). A bad
    comparison operator is reported where the operator starts:
    ``procurement_count>>0`` -> "unexpected '>' at column 18".
    """

    def __init__(self, message: str, position: int, hint: str = ""):
        self.message = message
        self.position = position
        self.hint = hint
        super().__init__(f"{message} at column {position}" + (f"; {hint}" if hint else ""))


# -- AST ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Text:
    """A text term of the query as typed, at its 1-based column."""
    text: str
    column: int


class Word(_Text):
    """A bare word: its jieba words anywhere in the text, or its characters together."""


class Phrase(_Text):
    """A "quoted phrase": its characters contiguous."""


@dataclass(frozen=True)
class Filter:
    """``field:value`` on a facet (type, province, level, flag …) or agency words."""
    field: str
    value: str
    column: int


@dataclass(frozen=True)
class YearRange:
    """``year:2020`` or ``year:2019..2021``; None is an open end."""
    low: int | None
    high: int | None
    column: int


@dataclass(frozen=True)
class SectionFilter:
    """``section:N``: the text terms only in part N."""
    n: int
    column: int


@dataclass(frozen=True)
class Compare:
    """``key OP number`` on an alias, a figure key or the year; never matches a blank."""
    key: str
    op: str
    value: float
    column: int


@dataclass(frozen=True)
class Not:
    child: "Node"
    column: int


@dataclass(frozen=True)
class _Group:
    children: tuple["Node", ...]


class And(_Group):
    """Every child matches (juxtaposition, AND)."""


class Or(_Group):
    """Any child matches."""


@dataclass(frozen=True)
class MatchAll:
    pass


Node = Word | Phrase | Filter | YearRange | SectionFilter | Compare | Not | And | Or | MatchAll


@lru_cache(maxsize=1)
def comparable_keys() -> tuple[str, ...]:
    """Every name a comparison accepts: year, the aliases, then every figure key."""
    return ("year", *ALIASES, *all_figure_keys())


# -- lexer ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Tok:
    kind: str          # "(", ")", "OR", "AND", "NOT", "-", "term", "end"
    column: int
    node: Node | None = None


def _read_quoted(q: str, i: int) -> tuple[str, int]:
    """The text inside the quote opening at ``q[i]`` and the index after its end."""
    j = i + 1
    while j < len(q) and q[j] not in _CLOSING_QUOTES:
        j += 1
    if j >= len(q):
        raise QuerySyntaxError("unclosed quote", i + 1, "close the phrase with \"")
    return q[i + 1:j], j + 1


def _number(text: str, column: int) -> float:
    if not _NUMBER_RE.fullmatch(text):
        raise QuerySyntaxError(f"bad number {text!r}", column, "write digits, e.g. 10 or 6.5")
    return float(text)


def _year(text: str, column: int) -> int | None:
    if text == "":
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise QuerySyntaxError(f"bad year {text!r}", column, "write a year like 2020 or a range like 2019..2021")
    return int(text)


def _field_node(name: str, value: str, name_col: int, value_col: int) -> Node:
    field = name.lower()
    if field not in FILTER_FIELDS:
        raise QuerySyntaxError(f"unknown field {name!r}", name_col, "known: " + ", ".join(FILTER_FIELDS))
    if value == "":  # pointed at the colon: the column after it may be past the end of the query
        raise QuerySyntaxError(f"missing value after '{name}:'", value_col - 1)
    if field == "year":
        if ".." in value:
            low_text, _, high_text = value.partition("..")
            low = _year(low_text, value_col)
            high = _year(high_text, value_col + len(low_text) + 2)
            if low is None and high is None:
                raise QuerySyntaxError(f"bad range {value!r}", value_col, "write 2019..2021, 2019.. or ..2021")
            if low is not None and high is not None and low > high:
                raise QuerySyntaxError(f"bad range {value!r}", value_col, f"{low} is after {high}")
            return YearRange(low, high, name_col)
        year = _year(value, value_col)
        return YearRange(year, year, name_col)
    if field == "section":
        # a few digits at most before int(), which refuses more than 4,300 (a ValueError, not this error)
        if not re.fullmatch(r"\d{1,4}", value) or int(value) not in SECTION_NUMBERS:
            raise QuerySyntaxError(f"section {value!r} out of range", value_col, "sections are numbered 1 to 6")
        return SectionFilter(int(value), name_col)
    if field == "level" and value not in LEVELS:
        raise QuerySyntaxError(f"unknown level {value!r}", value_col, "known: " + ", ".join(LEVELS))
    if field == "template" and value not in TEMPLATES:
        raise QuerySyntaxError(f"unknown template {value!r}", value_col, "known: 2019, 2021")
    if field == "synthetic":
        if value.lower() not in ("true", "false"):
            raise QuerySyntaxError(f"bad value {value!r} for synthetic", value_col, "use true or false")
        value = value.lower()
    return Filter(field, value, name_col)


def _compare_node(key: str, op: str, value: str, column: int) -> Compare:
    if key not in comparable_keys():
        raise QuerySyntaxError(f"unknown figure key or alias {key!r}", column,
                               "aliases: " + ", ".join(ALIASES) + "; or a figure key like t4.review.corrected")
    op_col = column + len(key)
    if op not in OPERATORS:
        raise QuerySyntaxError(f"unexpected {op[0]!r}", op_col,
                               f"{op!r} is not a comparison (use >, >=, <, <=, =, !=)")
    if not value:  # pointed at the operator's last character, inside the query
        raise QuerySyntaxError(f"missing number after {key}{op}", op_col + len(op) - 1)
    if key == "year":
        return Compare(key, op, float(_year(value, op_col + len(op))), column)
    return Compare(key, op, _number(value, op_col + len(op)), column)


def _chunk_node(chunk: str, start: int, q: str, end: int) -> tuple[Node, int]:
    """A bare chunk (no spaces) as a field filter, a comparison or a word; may read a quoted value."""
    column = start + 1
    m = _FIELD_RE.fullmatch(chunk)
    if m:
        name, value = m.group(1), m.group(2)
        value_start = start + len(name) + 1
        if value == "" and end < len(q) and q[end] in _QUOTES:
            if name.lower() not in FILTER_FIELDS:
                raise QuerySyntaxError(f"unknown field {name!r}", column, "known: " + ", ".join(FILTER_FIELDS))
            value, end = _read_quoted(q, end)
            value = value.strip()
        return _field_node(name, value, column, value_start + 1), end
    m = _COMPARE_RE.fullmatch(chunk)
    if m:
        return _compare_node(m.group(1), m.group(2), m.group(3), column), end
    return Word(chunk, column), end


def tokenize_query(q: str) -> list[_Tok]:
    """The query's tokens: parentheses, operators and terms (as AST leaves)."""
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch in _STOP and ch not in "()":
            i += 1
        elif ch in "()":
            toks.append(_Tok(ch, i + 1))
            i += 1
        elif ch in _QUOTES:
            text, i_next = _read_quoted(q, i)
            toks.append(_Tok("term", i + 1, Phrase(text, i + 1)))
            i = i_next
        elif ch == "-" and (not toks or toks[-1].kind != "term" or q[i - 1] in _STOP):
            if i + 1 >= n or q[i + 1] in " \t\r\n\u3000)":
                raise QuerySyntaxError("nothing after '-'", i + 1, "write -word, -\"phrase\" or -field:value")
            toks.append(_Tok("-", i + 1))
            i += 1
        else:
            j = i
            while j < n and q[j] not in _STOP and q[j] not in _QUOTES:
                j += 1
            chunk = q[i:j]
            if chunk in ("OR", "AND", "NOT"):
                toks.append(_Tok(chunk, i + 1))
                i = j
                continue
            node, j = _chunk_node(chunk, i, q, j)
            toks.append(_Tok("term", i + 1, node))
            i = j
    toks.append(_Tok("end", n + 1))
    return toks


# -- parser -----------------------------------------------------------------------

class _Parser:
    def __init__(self, q: str):
        self.toks = tokenize_query(q)
        self.i = 0
        self.depth = 0
        terms = [tok for tok in self.toks if tok.kind == "term"]
        if len(terms) > MAX_QUERY_TERMS:
            raise QuerySyntaxError(f"too many terms ({len(terms)}; at most {MAX_QUERY_TERMS})",
                                   terms[MAX_QUERY_TERMS].column,
                                   "narrow the query with filters such as type:, province: or year:")
        for tok in terms:
            if isinstance(tok.node, _Text) and len(tok.node.text) > MAX_TEXT_CHARS:
                kind = "phrase" if isinstance(tok.node, Phrase) else "word"
                raise QuerySyntaxError(f"{kind} too long ({len(tok.node.text)} characters; at most {MAX_TEXT_CHARS})",
                                       tok.column, "search for a part of it")

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "end":
            raise QuerySyntaxError(f"unexpected {tok.kind!r}", tok.column)
        return node

    def parse_or(self) -> Node:
        if self.peek().kind == "OR":
            raise QuerySyntaxError("OR needs a term before it", self.peek().column)
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            tok = self.take()
            if self.peek().kind in ("end", ")", "OR"):
                raise QuerySyntaxError("OR needs a term after it", tok.column)
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        children: list[Node] = []
        while self.peek().kind not in ("end", ")", "OR"):
            if self.peek().kind == "AND":
                tok = self.take()
                if not children or self.peek().kind in ("end", ")", "OR", "AND"):
                    raise QuerySyntaxError("AND needs a term on both sides", tok.column)
                continue
            children.append(self.parse_unary())
        if not children:
            return MatchAll()
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        # a negation of a negation (NOT -x, as -(-x) already was) cancels out: read in a loop,
        # so that a long run of them costs no stack
        negations = []
        while self.peek().kind in ("-", "NOT"):
            negations.append(self.take())
        if not negations:
            return self.parse_primary()
        last = negations[-1]
        if self.peek().kind not in ("term", "("):
            raise QuerySyntaxError(f"nothing after {'-' if last.kind == '-' else 'NOT'!r}", last.column,
                                   "write -word, -\"phrase\" or -field:value")
        child = self.parse_primary()
        if len(negations) % 2 == 0:
            return child
        if isinstance(child, SectionFilter):
            raise QuerySyntaxError("section: cannot be negated", last.column, "name the parts to search instead")
        return Not(child, negations[0].column)

    def parse_primary(self) -> Node:
        tok = self.take()
        if tok.kind == "term":
            return tok.node
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise QuerySyntaxError("empty parentheses", tok.column)
            if self.depth == MAX_NESTING:
                raise QuerySyntaxError(f"parentheses nested too deep (at most {MAX_NESTING})", tok.column)
            self.depth += 1
            node = self.parse_or()
            self.depth -= 1
            if self.peek().kind != ")":
                raise QuerySyntaxError("unclosed '('", tok.column, "add the closing ')'")
            self.take()
            return node
        raise QuerySyntaxError(f"unexpected {tok.kind!r}" if tok.kind != "end" else "unexpected end of query",
                               tok.column)


def parse_query(q: str) -> Node:
    """The AST of a query string; the empty query is MatchAll (every report).

    :raises QuerySyntaxError: with the 1-based column of the problem.
    """
    return _Parser(q or "").parse()


# -- what a query looks for in the text (highlighting) ---------------------------

@dataclass(frozen=True)
class TextTerms:
    """The positive text terms of a query, for highlighting and section choice."""
    words: frozenset[str]
    phrases: tuple[tuple[tuple[int, str], ...], ...]   # (relative position, unit) per unit
    sections: frozenset[int]

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases


def query_sections(node: Node) -> frozenset[int]:
    """The parts named by ``section:`` filters (empty: every part)."""
    if isinstance(node, SectionFilter):
        return frozenset({node.n})
    if isinstance(node, (And, Or)):
        return frozenset().union(*(query_sections(c) for c in node.children))
    return frozenset()


def text_terms(node: Node) -> TextTerms:
    """The words and phrases a hit's sections are searched for (negated ones left out)."""
    words: set[str] = set()
    phrases: list[tuple[tuple[int, str], ...]] = []

    def walk(n: Node) -> None:
        if isinstance(n, (And, Or)):
            for c in n.children:
                walk(c)
            return
        if isinstance(n, Word):
            words.update(t.text for t in query_terms(n.text))
        if isinstance(n, Phrase) or (isinstance(n, Word) and not n.text.isascii()):
            units = char_units(n.text)
            if units:
                phrases.append(tuple((u.position - units[0].position, u.text) for u in units))

    walk(node)
    return TextTerms(frozenset(words), tuple(dict.fromkeys(phrases)), query_sections(node))


# -- plan -------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """A query plan node: kind is term, phrase, regex, range, exists, all, const, bool."""
    kind: str
    field: str = ""
    value: object = None
    children: tuple[tuple[str, "Plan"], ...] = ()

    def __str__(self) -> str:
        return plan_to_text(self)


def _bool(clauses: list[tuple[str, Plan]]) -> Plan:
    if len(clauses) == 1 and clauses[0][0] in ("should", "must"):
        return clauses[0][1]
    return Plan("bool", children=tuple(clauses))


def _any_field(fields: tuple[str, ...], make) -> Plan:
    return _bool([("should", make(f)) for f in fields])


def _text_fields(sections: frozenset[int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(word fields, phrase fields) a text term searches: the parts named, else every part's
    words in one field (``TEXT_FIELD``) with the title and the agency."""
    numbers = sorted(sections) or list(SECTION_NUMBERS)
    words = tuple(f"s{n}" for n in numbers) if sections else (TEXT_FIELD, "title", "agency")
    return words, tuple(f"p{n}" for n in numbers)


def _is_text(node: Node) -> bool:
    if isinstance(node, (Word, Phrase)):
        return True
    if isinstance(node, (And, Or)):
        return any(_is_text(c) for c in node.children)
    return False


def _regex_escape(text: str) -> str:
    """``text`` as a literal in tantivy's regex syntax: ASCII punctuation as \\x{..}
    (\\< and \\> would be word boundaries, and escaped non-ASCII is rejected)."""
    return "".join(f"\\x{{{ord(ch):x}}}" if ch.isascii() and not ch.isalnum() else ch for ch in text)


def _compare_plan(node: Compare) -> Plan:
    field = "year" if node.key == "year" else figure_field(node.key)
    v = int(node.value) if field == "year" else node.value
    if node.op == "!=":
        return Plan("bool", children=(("must", Plan("exists", field)),
                                      ("must_not", Plan("range", field, (v, v, True, True)))))
    bounds = {">": (v, None, False, True), ">=": (v, None, True, True), "<": (None, v, True, False),
              "<=": (None, v, True, True), "=": (v, v, True, True)}[node.op]
    return Plan("range", field, bounds)


def _phrase_plan(text: str, phrase_fields: tuple[str, ...]) -> Plan | None:
    units = char_units(text)
    if not units:
        return None
    words = tuple((u.position - units[0].position, u.text) for u in units)
    return _any_field(phrase_fields, lambda f: Plan("phrase", f, words))


def _node_plan(node: Node, sections: frozenset[int], fallbacks: bool = True) -> Plan | None:
    """The plan of one AST node (None: nothing to match, e.g. a word of punctuation only).

    :param fallbacks: with False, a word matches as words only, without the fallback of its
        characters standing together (``ranked_plan``); a negated word always keeps it.
    """
    words_fields, phrase_fields = _text_fields(sections)
    if isinstance(node, MatchAll):
        return Plan("all")
    if isinstance(node, Word):
        terms = [t.text for t in query_terms(node.text)]
        if not terms:
            return None
        words = _bool([("must", _any_field(words_fields, lambda f, t=t: Plan("term", f, t))) for t in terms])
        if node.text.isascii() or not fallbacks:
            return words
        # jieba cuts a query word out of context: 合川区信访办 -> 合川/区/信访办, while the
        # report says 合川区/信访办. The word also matches where its characters stand together.
        return _bool([("should", words), ("should", _phrase_plan(node.text, phrase_fields))])
    if isinstance(node, Phrase):
        return _phrase_plan(node.text, phrase_fields)
    if isinstance(node, Filter):
        if node.field == "agency":
            # its words anywhere in the name, or the value as it stands inside the name
            terms = [t.text for t in query_terms(node.value)]
            inside = Plan("regex", "agency_raw", ".*" + _regex_escape(node.value) + ".*")
            if not terms:
                return inside
            return _bool([("should", _bool([("must", Plan("term", "agency", t)) for t in terms])),
                          ("should", inside)])
        return Plan("term", FILTER_FIELDS[node.field], node.value)
    if isinstance(node, YearRange):
        return Plan("range", "year", (node.low, node.high, True, True))
    if isinstance(node, SectionFilter):
        return Plan("term", "parts", str(node.n))
    if isinstance(node, Compare):
        return _compare_plan(node)
    if isinstance(node, Not):
        child = _node_plan(node.child, sections)  # excluded as a whole, fallback included
        return None if child is None else Plan("bool", children=(("must", Plan("all")), ("must_not", child)))
    if isinstance(node, Or):
        pairs = [(p, c) for p, c in ((_node_plan(c, sections, fallbacks), c) for c in node.children) if p is not None]
        if not pairs:
            return None
        if not _is_text(node):
            return _bool([("should", p) for p, _ in pairs])  # the caller makes the whole OR a filter
        return _bool([("should", _scored(p, c)) for p, c in pairs])
    if isinstance(node, And):
        clauses: list[tuple[str, Plan]] = []
        for child in node.children:
            if isinstance(child, Not):
                plan = _node_plan(child.child, sections)
                if plan is not None:
                    clauses.append(("must_not", plan))
                continue
            plan = _node_plan(child, sections, fallbacks)
            if plan is not None:
                clauses.append(("must", _scored(plan, child)))
        if not any(occur == "must" for occur, _ in clauses):
            clauses.insert(0, ("must", Plan("all")))
        return Plan("bool", children=tuple(clauses))
    raise TypeError(f"not a query node: {node!r}")


def _scored(plan: Plan, node: Node) -> Plan:
    """Filters score 0 (ranking is BM25 over the text terms alone)."""
    return plan if _is_text(node) or plan.kind in ("all", "const") else Plan("const", children=(("must", plan),))


def compile_plan(node: Node, fallbacks: bool = True) -> Plan:
    """The plan of a parsed query (pure: no index needed)."""
    plan = _node_plan(node, query_sections(node), fallbacks)
    if plan is None:
        return Plan("all")
    return _scored(plan, node) if not isinstance(node, (And, Not)) else plan


def ranked_plan(node: Node) -> Plan:
    """The part of the query that relevance ranking scores: its words as words.

    A word's fallback (its characters standing together, for text that jieba
    cut otherwise than the query) finds the reports its words miss; scoring it
    meant reading every position of its characters in every report that holds
    them, dearer by far than the words (docs/benchmarks.md).
    So the reports ``ranked_plan`` matches come first, by BM25, and those only
    the full plan matches come after them, unscored (``search.relevance_page``).
    """
    return compile_plan(node, fallbacks=False)


def plan_to_text(plan: Plan, indent: int = 0) -> str:
    """A readable, indented rendering of a plan (what --explain prints)."""
    pad = "  " * indent
    same_term = {(c.kind, c.value) for _, c in plan.children}
    if plan.kind == "bool" and len(same_term) == 1 and {o for o, _ in plan.children} == {"should"} \
            and plan.children[0][1].kind in ("term", "phrase"):
        # one term searched in several fields: {text|title|agency}:信访
        first = plan.children[0][1]
        fields = "|".join(c.field for _, c in plan.children)
        return plan_to_text(Plan(first.kind, "{" + fields + "}", first.value), indent)
    if plan.kind == "bool":
        lines = [f"{pad}bool"]
        for occur, child in plan.children:
            lines.append(f"{pad}  {occur}:")
            lines.append(plan_to_text(child, indent + 2))
        return "\n".join(lines)
    if plan.kind == "const":
        return f"{pad}filter (score 0)\n" + plan_to_text(plan.children[0][1], indent + 1)
    if plan.kind == "all":
        return f"{pad}all"
    if plan.kind == "term":
        return f"{pad}{plan.field}:{plan.value}"
    if plan.kind == "phrase":
        return f"{pad}{plan.field}:\"" + " ".join(f"{w}@{p}" for p, w in plan.value) + "\""
    if plan.kind == "exists":
        return f"{pad}{plan.field} exists"
    if plan.kind == "regex":
        return f"{pad}{plan.field}:/{plan.value}/"
    low, high, inc_low, inc_high = plan.value
    left = "(-inf" if low is None else ("[" if inc_low else "(") + _fmt(low)
    right = "+inf)" if high is None else _fmt(high) + ("]" if inc_high else ")")
    return f"{pad}{plan.field} in {left}, {right}"


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def plan_to_query(plan: Plan, schema=None) -> tantivy.Query:
    """The tantivy.Query of a plan (``schema``: the index's; default: ``build_schema()``)."""
    schema = schema or _default_schema()
    Q = tantivy.Query
    if plan.kind == "all":
        return Q.all_query()
    if plan.kind == "term":
        return Q.term_query(schema, plan.field, plan.value, index_option="basic")
    if plan.kind == "phrase":
        # the phrase fields hold the bigram of each unit and the next: far fewer positions to
        # intersect than the units'; a unit standing alone is the start of its position's term
        terms = phrase_terms(plan.value)
        if not any(t.prefix for t in terms):
            if len(terms) == 1:
                return Q.term_query(schema, plan.field, terms[0].text, index_option="basic")
            return Q.phrase_query(schema, plan.field, [(t.position, t.text) for t in terms])
        patterns = [(t.position, _regex_escape(t.text) + (".*" if t.prefix else "")) for t in terms]
        if len(patterns) == 1:
            return Q.regex_query(schema, plan.field, patterns[0][1])
        return Q.regex_phrase_query(schema, plan.field, patterns)
    if plan.kind == "exists":
        return exists_query(schema, plan.field)
    if plan.kind == "regex":
        return Q.regex_query(schema, plan.field, plan.value)
    if plan.kind == "range":
        return range_query(schema, plan.field, *plan.value)
    if plan.kind == "const":
        return Q.const_score_query(plan_to_query(plan.children[0][1], schema), 0.0)
    occurs = {"must": tantivy.Occur.Must, "should": tantivy.Occur.Should, "must_not": tantivy.Occur.MustNot}
    return Q.boolean_query([(occurs[o], plan_to_query(c, schema)) for o, c in plan.children])


@lru_cache(maxsize=1)
def _default_schema():
    return build_schema()


def explain(q: str) -> str:
    """The AST and the compiled plan of a query, as text.

    :raises QuerySyntaxError: the query is malformed.
    """
    node = parse_query(q)
    plan, ranked = compile_plan(node), ranked_plan(node)
    text = f"query: {q}\nast: {node}\nplan:\n{plan_to_text(plan, 1)}"
    if ranked != plan:
        text += (f"\nranked by (BM25; the reports only the plan matches follow, score 0):\n"
                 f"{plan_to_text(ranked, 1)}")
    return text
