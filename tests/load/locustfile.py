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
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, between, constant_throughput, events, tag
from workload import CORPUS_SEARCH, KINDS, WEIGHTS, Mix

MIX: list[Mix] = []  # the requests, drawn from the facet values and report ids learnt at the start


@events.init_command_line_parser.add_listener
def _add_options(parser):
    parser.add_argument("--max-requests", type=int, default=0,
                        help="stop the run after this many requests (0: only --run-time stops it)")
    parser.add_argument("--no-first-round", action="store_true",
                        help="users do not start by asking each kind once (a run after a warm-up)")
    parser.add_argument("--rate-per-user", type=float, default=0,
                        help="requests a second each user asks at most, paced evenly (0: as fast as the "
                             "server answers, 0.05-0.25 s apart)")


@events.test_start.add_listener
def _learn_corpus(environment, **_kwargs):
    if urlsplit(environment.host).hostname != "127.0.0.1":
        raise SystemExit(f"{environment.host}: the load test runs against 127.0.0.1 only")
    with urllib.request.urlopen(environment.host + CORPUS_SEARCH, timeout=120) as response:
        mix = Mix(json.load(response), random.Random())
    if not mix.ids:
        raise SystemExit(f"{environment.host}: the collection is empty; ingest reports first")
    MIX[:] = [mix]


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


def _task(kind: str):
    """A locust task asking one request of ``kind``, tagged with it (``--tags`` picks kinds)."""
    @tag(kind)
    def ask(user):
        user.ask(kind)
    ask.__name__ = kind
    return ask


# Without a rate: a researcher clicking on as soon as a page is there, which finds the server's limit.
THINKING = between(0.05, 0.25)


class Researcher(FastHttpUser):
    tasks = {_task(kind): WEIGHTS[kind] for kind in KINDS}

    def on_start(self):
        # Each kind once first, so that even a run of a few seconds measures every kind; with --tags
        # (one kind at a time, as soak.py --profile does) only the chosen kinds.
        options = self.environment.parsed_options
        if options and options.no_first_round:
            return
        chosen = set((options and options.tags) or KINDS)
        for kind in KINDS:
            if kind in chosen:
                self.ask(kind)

    def wait_time(self):
        rate = self.environment.parsed_options.rate_per_user if self.environment.parsed_options else 0
        # a fixed offered load (soak.py --rate) measures the latency below the limit
        return constant_throughput(rate)(self) if rate else THINKING(self)

    def ask(self, kind: str):
        self.client.get(MIX[0].path(kind), name=kind)
