"""The load test's mix in one process, through Flask's test client: CPU a request by kind.

No server, sockets, workers or locust, so it measures the app's own work and nothing else.
Compare two versions of the code by running them alternately, each in its own process (the
machine's speed drifts; docs/benchmarks.md):

    python tests/load/inprocess.py DATA_DIR --requests 400 [--without more-facets] [--profile OUT.prof]

The requests are drawn as the locust users draw them (tests/load/workload.py's ``Mix`` and
weights, the facet values and report ids read from the collection), from a fixed seed, so two runs
ask the same things.
"""
from __future__ import annotations

import argparse
import cProfile
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

from workload import CORPUS_SEARCH, KINDS, WEIGHTS, Mix

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
from indexer.config import load_config  # noqa: E402
from web import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="a data directory (e.g. make soak's)")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--without", action="append", default=[], choices=KINDS, help="leave a kind out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="OUT", help="also write a cProfile of the requests here")
    args = parser.parse_args()
    config = replace(load_config(ROOT / "config.toml"), data_dir=Path(args.data))
    # no per-request deadline thread: the profiler then sees the requests' own work
    client = create_app({"XXGK_CONFIG": config, "XXGK_REQUEST_SECONDS": 0}).test_client()
    rng = random.Random(args.seed)
    mix = Mix(client.get(CORPUS_SEARCH).get_json(), rng)
    kinds = [kind for kind in KINDS if kind not in args.without]
    drawn = rng.choices(kinds, [WEIGHTS[kind] for kind in kinds], k=args.requests)
    requests = [(kind, mix.path(kind)) for kind in drawn]
    for _, path in requests[:20]:  # warm: the first requests open the index and the store
        client.get(path)
    profiler = cProfile.Profile() if args.profile else None
    cpu: dict[str, list[float]] = {}
    for kind, path in requests:
        start = time.process_time()  # every thread of the process: the aggregations' too
        if profiler:
            profiler.enable()
        response = client.get(path)
        if profiler:
            profiler.disable()
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code}")
        cpu.setdefault(kind, []).append(time.process_time() - start)
    total = sum(sum(values) for values in cpu.values())
    print(f"{len(requests)} requests, {1000 * total / len(requests):.1f} ms of CPU a request")
    for kind in kinds:
        values = cpu.get(kind, [])
        if values:
            print(f"  {kind:<14} {len(values):>5} requests {1000 * sum(values) / len(values):>8.1f} ms")
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
