"""What researchers do with `xxgk serve`, by weight, for locust (docs/benchmarks.md, "Load (make soak)").

`tests/load/soak.py` runs it headless; alone:

    locust -f tests/load/locustfile.py --headless --host http://127.0.0.1:8000 --users 50 \
        --spawn-rate 10 --run-time 60s --max-requests 100000

Every request carries the name of its kind, so locust reports p50/p95/p99 per kind. The facet
values and report ids come from the server itself at the start (one search over everything), so
the filters match what the collection holds. Loopback only: the host must be 127.0.0.1.
"""
from __future__ import annotations

import json
import random
import urllib.request
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, events, tag, task
from workload import COMPARISONS, FILTER_FACETS, KINDS, VOCABULARY, WEIGHTS

CORPUS: dict = {}  # facet values and report ids, learnt at the start


@events.init_command_line_parser.add_listener
def _add_options(parser):
    parser.add_argument("--max-requests", type=int, default=0,
                        help="stop the run after this many requests (0: only --run-time stops it)")


@events.test_start.add_listener
def _learn_corpus(environment, **_kwargs):
    if urlsplit(environment.host).hostname != "127.0.0.1":
        raise SystemExit(f"{environment.host}: the load test runs against 127.0.0.1 only")
    with urllib.request.urlopen(environment.host + "/api/search?q=&per_page=200", timeout=120) as response:
        result = json.load(response)
    CORPUS["facets"] = {name: list(result["facets"].get(name) or ()) for name in FILTER_FACETS}
    CORPUS["ids"] = [hit["id"] for hit in result["hits"]]
    if not CORPUS["ids"]:
        raise SystemExit(f"{environment.host}: the collection is empty; ingest reports first")


_ENVIRONMENT: list = []  # locust's Environment, kept at init
_sent = 0


@events.request.add_listener
def _stop_after_max_requests(**_kwargs):
    global _sent
    _sent += 1
    environment = _ENVIRONMENT[0]
    limit = environment.parsed_options.max_requests if environment.parsed_options else 0
    if limit and _sent == limit:
        # Quit from a new greenlet: this listener runs inside a user's greenlet, which quit() kills.
        gevent.spawn(environment.runner.quit)


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    _ENVIRONMENT.append(environment)


def words() -> str:
    return " ".join(random.sample(VOCABULARY, random.choice((1, 1, 2))))


def facet_filter(*names: str) -> str:
    """One ``field:value`` token for each of ``names`` that the collection has values for."""
    tokens = []
    for name in names:
        values = CORPUS["facets"].get(name)
        if values:
            tokens.append(f"{FILTER_FACETS[name]}:{random.choice(values)}")
    return " ".join(tokens)


def words_and_maybe_a_facet() -> str:
    """Words, and half the time one facet value chosen as a filter, as a researcher narrows a search."""
    q = words()
    if random.random() < 0.5:
        q += " " + facet_filter(random.choice(tuple(FILTER_FACETS)))
    return q.strip()


class Researcher(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
        # Each kind once first, so that even a run of a few seconds measures every kind; with --tags
        # (one kind at a time, as soak.py --profile does) only the chosen kinds.
        options = self.environment.parsed_options
        chosen = set((options and options.tags) or KINDS)
        for kind in (self.search_with_facets, self.filtered_search, self.paging, self.more_facets, self.report_page,
                     self.stats, self.export_csv, self.api_search, self.api_report):
            if kind.locust_tag_set & chosen:
                kind()

    def get(self, path: str, name: str, **args):
        self.client.get(f"{path}?{urlencode(args)}" if args else path, name=name)

    @task(WEIGHTS["search+facets"])
    @tag("search+facets")
    def search_with_facets(self):
        # The search page always shows the facets of the whole result.
        self.get("/", "search+facets", q=words_and_maybe_a_facet())

    @task(WEIGHTS["filtered"])
    @tag("filtered")
    def filtered_search(self):
        q = " ".join(filter(None, (facet_filter("type", "year"), random.choice(COMPARISONS),
                                   words() if random.random() < 0.5 else "")))
        self.get("/", "filtered", q=q)

    @task(WEIGHTS["paging"])
    @tag("paging")
    def paging(self):
        self.get("/", "paging", q=words(), page=random.randint(2, 5))

    @task(WEIGHTS["more-facets"])
    @tag("more-facets")
    def more_facets(self):
        # A researcher opens the sidebar's agency and rate facets (counted only then) of a search.
        self.get("/more-facets", "more-facets", q=words_and_maybe_a_facet())

    @task(WEIGHTS["report"])
    @tag("report")
    def report_page(self):
        self.get(f"/reports/{random.choice(CORPUS['ids'])}", "report")

    @task(WEIGHTS["stats"])
    @tag("stats")
    def stats(self):
        self.get("/stats", "stats", q=words())

    @task(WEIGHTS["export.csv"])
    @tag("export.csv")
    def export_csv(self):
        # Type, year and province together leave a small set (tens of reports at 100,000).
        self.get("/export.csv", "export.csv", q=facet_filter("type", "year", "province"))

    @task(WEIGHTS["api/search"])
    @tag("api/search")
    def api_search(self):
        self.get("/api/search", "api/search", q=f"{words()} {facet_filter('year')}".strip())

    @task(WEIGHTS["api/report"])
    @tag("api/report")
    def api_report(self):
        self.get(f"/api/reports/{random.choice(CORPUS['ids'])}", "api/report")
