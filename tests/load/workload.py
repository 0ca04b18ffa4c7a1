"""What the load test asks, kept apart from locust so that tests can read it without locust's
monkey-patching (tests/load/locustfile.py and tests/load/inprocess.py use it; tests/test_soak.py
checks it)."""
from __future__ import annotations

import random
from urllib.parse import urlencode

# Words that occur in generated reports (tests/test_soak.py checks each one occurs in them).
VOCABULARY = ("公开", "信访", "申请", "行政复议", "行政诉讼", "政府信息", "主动公开", "依申请公开",
              "年度报告", "工作", "政策解读", "政务公开", "网站", "依法", "答复", "办理", "问题", "改进")
# Facets of the search result that are also filters of the query language (docs/query-language.md).
FILTER_FACETS = {"type": "type", "year": "year", "province": "province", "level": "level"}
COMPARISONS = ("applications>0", "applications>=10", "review>0", "litigation>0", "granted>0")
# Every kind of request, as locust names it in its statistics.
KINDS = ("search+facets", "filtered", "paging", "more-facets", "report", "stats", "export.csv", "api/search",
         "api/report")
# How often each kind is asked, relative to the others (locust's task weights).
WEIGHTS = {"search+facets": 30, "filtered": 15, "paging": 10, "more-facets": 5, "report": 10, "stats": 5,
           "export.csv": 3, "api/search": 10, "api/report": 5}
# The first search of a run: its facet values and report ids are what the requests then ask for.
CORPUS_SEARCH = "/api/search?q=&per_page=200"


class Mix:
    """The requests of each kind, drawn from what the collection holds (``CORPUS_SEARCH``'s answer)."""

    def __init__(self, corpus_search: dict, rng: random.Random):
        self.rng = rng
        self.facets = {name: list(corpus_search["facets"].get(name) or ()) for name in FILTER_FACETS}
        self.ids = [hit["id"] for hit in corpus_search["hits"]]

    def words(self) -> str:
        return " ".join(self.rng.sample(VOCABULARY, self.rng.choice((1, 1, 2))))

    def facet_filter(self, *names: str) -> str:
        """One ``field:value`` token for each of ``names`` that the collection has values for."""
        return " ".join(f"{FILTER_FACETS[name]}:{self.rng.choice(self.facets[name])}"
                        for name in names if self.facets.get(name))

    def words_and_maybe_a_facet(self) -> str:
        """Words, and half the time one facet value chosen as a filter, as a researcher narrows a search."""
        q = self.words()
        if self.rng.random() < 0.5:
            q += " " + self.facet_filter(self.rng.choice(tuple(FILTER_FACETS)))
        return q.strip()

    def path(self, kind: str) -> str:
        """The path and query string of one request of ``kind``."""
        if kind == "search+facets":  # the search page always shows the facets of the whole result
            return "/?" + urlencode({"q": self.words_and_maybe_a_facet()})
        if kind == "filtered":
            q = " ".join(filter(None, (self.facet_filter("type", "year"), self.rng.choice(COMPARISONS),
                                       self.words() if self.rng.random() < 0.5 else "")))
            return "/?" + urlencode({"q": q})
        if kind == "paging":
            return "/?" + urlencode({"q": self.words(), "page": self.rng.randint(2, 5)})
        if kind == "more-facets":  # the sidebar's agency and rate facets opened (counted only then)
            return "/more-facets?" + urlencode({"q": self.words_and_maybe_a_facet()})
        if kind == "report":
            return f"/reports/{self.rng.choice(self.ids)}"
        if kind == "stats":
            return "/stats?" + urlencode({"q": self.words()})
        if kind == "export.csv":  # type, year and province together leave a small set (tens at 100,000)
            return "/export.csv?" + urlencode({"q": self.facet_filter("type", "year", "province")})
        if kind == "api/search":
            return "/api/search?" + urlencode({"q": f"{self.words()} {self.facet_filter('year')}".strip()})
        if kind == "api/report":
            return f"/api/reports/{self.rng.choice(self.ids)}"
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
