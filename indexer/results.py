"""What a search returns, as typed records (docs/query-language.md describes the shape).

The records are msgspec Structs: the JSON API's schema is generated from them
(web/api.py), so the document cannot drift from what is returned. They also
read like the JSON objects they encode to (``result["hits"]``, ``set(hit)``),
so templates and callers written against the JSON shape work on them as well.
"""
from __future__ import annotations

from typing import Any, TypedDict

import msgspec


class Record(msgspec.Struct):
    """A Struct that reads like a mapping of its fields (read-only: build a new one to change it)."""

    def __getitem__(self, name: str) -> Any:
        if name not in self.__struct_fields__:
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name) if name in self.__struct_fields__ else default

    def __iter__(self):
        return iter(self.__struct_fields__)

    def __len__(self) -> int:
        return len(self.__struct_fields__)

    def __contains__(self, name: object) -> bool:
        return name in self.__struct_fields__

    def keys(self):
        return self.__struct_fields__

    def to_builtins(self) -> dict[str, Any]:
        """The JSON object this record encodes to, as plain dicts and lists."""
        return msgspec.to_builtins(self)


class Region(TypedDict):
    """Where the agency is (a plain dict: the region of a stored report, as it is)."""
    province: str | None
    city: str | None
    county: str | None
    adcode: str | None


class HitSection(Record):
    """A part of a hit where the query's text terms occur."""
    n: int
    heading: str
    # HTML-escaped text with <mark> around the matches
    snippet: str


class Hit(Record):
    """One matching report, as a result card shows it."""
    id: str
    agency: str | None
    # the agency across years (docs/report-format.md#agency-key); null when the agency is unknown
    agency_key: str | None
    year: int | None
    region: Region
    agency_type: str | None
    level: str | None
    # BM25 for relevance order; null when the hits are sorted by a value
    score: float | None
    sections: list[HitSection]
    # the aliases (docs/report-format.md): null for a blank figure, never 0
    figures: dict[str, float | None]
    title: str | None
    template: str | None
    flags: list[str]
    synthetic: bool


class SearchResult(Record):
    """One page of hits and the facet counts over every hit."""
    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: list[Hit]
    # facet name -> value -> how many matching reports hold it
    facets: dict[str, dict[str, int]]


class AgencyYear(Record):
    """One year of an agency's panel: the figures of the report the panel uses for that year."""
    year: int
    # the report the row shows (docs/report-format.md#agency-panel says how it is picked)
    report_id: str
    # true when the agency has several reports for this year; ``others`` are the ones not used
    duplicate_year: bool
    others: list[str]
    # the flag codes of the report used, sorted
    flags: list[str]
    # every alias and rate of the report used: null for a blank figure or an undefined rate, never 0
    figures: dict[str, float | None]


class AgencyReport(Record):
    """One report of the agency (every one, duplicates included)."""
    id: str
    year: int | None
    title: str | None
    agency: str | None
    published: str | None
    format: str | None
    flags: list[str]
    # whether the panel uses this report for its year
    chosen: bool


class AgencyPanel(Record):
    """One agency across years (all reports sharing one agency_key)."""
    key: str
    # the normalised agency name the key holds
    name: str
    # every agency name its reports were written under
    agencies: list[str]
    # where the agency is, from its latest report
    region: Region
    level: str | None
    agency_type: str | None
    # one row a year, oldest first
    years: list[AgencyYear]
    # every report, oldest year first; within a year the one the panel uses first
    reports: list[AgencyReport]
