"""The web's address of a report, and the hits and results that carry it.

The JSON API and `xxgk search --json` give each hit the address of its report
page, at the part that matched best; the library's results know no addresses.
No Flask here: the CLI adds the same links without an app.
"""
from __future__ import annotations

from urllib.parse import urlencode

from indexer.passages import Passage, PassagePage
from indexer.results import Hit, SearchResult

REPORT_ROUTE = "/reports/<report_id>"


def report_url(report_id: str, part: int | None = None) -> str:
    """The report page's path, at part ``part`` if given."""
    return REPORT_ROUTE.replace("<report_id>", report_id) + (f"#s{part}" if part else "")


def passage_anchor(part: int, offset: int | None) -> str:
    """The report page's anchor of the sentence at ``offset`` of part ``part`` (the part itself for its heading)."""
    return f"s{part}" if offset is None else f"p{part}-{offset}"


def passage_url(passage: Passage, q: str) -> str:
    """The report page with ``q``'s terms marked, at the passage's sentence."""
    query = f"?{urlencode({'q': q})}" if q else ""
    return report_url(passage.id) + query + "#" + passage_anchor(passage.part, passage.offset)


class LinkedHit(Hit):
    """A hit with the address of its report page."""
    # the report page, at the best matching part when the query has text terms
    url: str


class LinkedSearchResult(SearchResult):
    """A search result whose hits carry their addresses (what /api/search returns)."""
    hits: list[LinkedHit]


def linked_hit(hit: Hit) -> LinkedHit:
    fields = {name: getattr(hit, name) for name in hit.__struct_fields__}
    return LinkedHit(**fields, url=report_url(hit.id, hit.sections[0].n if hit.sections else None))


def with_links(result: SearchResult) -> LinkedSearchResult:
    """``result`` with every hit's address."""
    fields = {name: getattr(result, name) for name in result.__struct_fields__}
    fields["hits"] = [linked_hit(hit) for hit in result.hits]
    return LinkedSearchResult(**fields)


class LinkedPassage(Passage):
    """A passage with the address of its sentence on the report page."""
    url: str


class LinkedPassagePage(PassagePage):
    """A page of passages whose sentences carry their addresses (what /api/passages returns)."""
    passages: list[LinkedPassage]


def passages_with_links(result: PassagePage, q: str) -> LinkedPassagePage:
    """``result`` with every passage's address."""
    fields = {name: getattr(result, name) for name in result.__struct_fields__}
    fields["passages"] = [LinkedPassage(**{name: getattr(p, name) for name in p.__struct_fields__},
                                        url=passage_url(p, q)) for p in result.passages]
    return LinkedPassagePage(**fields)
