"""The search state is the query string: pure functions that add a facet
filter or a comparison to it, list its active filters, and take one away.

They work on the text the user sees in the box, so every state is a plain
link (datasette's toggle_url) and the box always shows what is searched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.aliases import ALIASES
from indexer.figure_keys import all_figure_keys
from indexer.vocabulary import FACETS, FILTER_FIELDS, filter_token

OPERATORS = (">", ">=", "<", "<=", "=")
COMPARISON_FIELDS = frozenset(ALIASES) | frozenset(all_figure_keys())

_FILTER = re.compile(r"-?(%s):\S+" % "|".join(FILTER_FIELDS), re.IGNORECASE)
_COMPARISON = re.compile(r"-?[A-Za-z_][\w.]*(?:>=|<=|!=|>|<|=)-?\d+(?:\.\d+)?")
_SPACED_OPERATOR = re.compile(r"\s*(>=|<=|!=|>|<|=)\s*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class ComparisonError(ValueError):
    """A figure comparison from the form names an unknown figure or operator, or no number."""


@dataclass(frozen=True)
class Chip:
    """One active filter in the query, and the query without it."""
    token: str
    remove_query: str


def query_tokens(query: str) -> list[str]:
    """Split a query on whitespace, keeping "quoted phrases" (and field:"a b") whole."""
    tokens, current, quoted = [], [], False
    for char in _join_spaced_operators(query or ""):
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def _join_spaced_operators(query: str) -> str:
    """`applications >= 10` -> `applications>=10` outside quotes, so it is one token."""
    parts = query.split('"')
    parts[::2] = [_SPACED_OPERATOR.sub(r"\1", part) for part in parts[::2]]
    return '"'.join(parts)


def is_filter(token: str) -> bool:
    """True for field filters (year:2020, -flag:x) and comparisons (applications>=10)."""
    return bool(_FILTER.fullmatch(token) or _COMPARISON.fullmatch(token))


def add_token(query: str, token: str) -> str:
    """The query with ``token`` appended (unchanged when it is already there)."""
    tokens = query_tokens(query)
    if token in tokens:
        return " ".join(tokens)
    if "OR" in tokens:
        # AND binds tighter than OR: keep the added filter on the whole query.
        return f"({' '.join(tokens)}) {token}"
    return " ".join(tokens + [token])


def remove_token(query: str, token: str) -> str:
    """The query without every occurrence of ``token``."""
    return " ".join(t for t in query_tokens(query) if t != token)


def facet_token(facet: str, value: str) -> str:
    """The filter a facet value adds: facet ``type``, value 信访 -> ``type:信访``."""
    return filter_token(FACETS[facet], value)


def active_chips(query: str) -> list[Chip]:
    """Every filter in the query, each with the query that removes it."""
    return [Chip(token, remove_token(query, token)) for token in dict.fromkeys(query_tokens(query))
            if is_filter(token)]


def comparison_token(field: str, operator: str, value: str) -> str:
    """``field`` ``operator`` ``value`` as one query token, checked.

    :raises ComparisonError: unknown figure or operator, or a value that is not a number.
    """
    field, value = (field or "").strip(), (value or "").strip()
    if field not in COMPARISON_FIELDS:
        raise ComparisonError(f"unknown figure {field!r}")
    if operator not in OPERATORS:
        raise ComparisonError(f"unknown operator {operator!r}")
    if not _NUMBER.fullmatch(value):
        raise ComparisonError(f"{value!r} is not a number")
    return f"{field}{operator}{value}"
