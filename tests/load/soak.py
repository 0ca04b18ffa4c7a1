"""`make soak`: N generated reports served by `xxgk serve` under locust, measured (docs/benchmarks.md).

Generates N text reports and ingests them into a scratch data directory under --soak-dir (both
reused for the same N: a stamp marks each complete), starts `xxgk serve` on a free 127.0.0.1 port,
runs tests/load/locustfile.py headless, samples the server's memory and the load average, stops
the server and writes the summary (summary.json, summary.txt and locust's CSV files) to --out.

    python tests/load/soak.py --n 100000 --soak-dir /tmp/xxgk-soak
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import psutil
from workload import KINDS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for its server helpers
from server_helpers import free_port, stop  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = HERE / "locustfile.py"
# A loaded 2-core machine may take this long to open 100,000 reports in every worker.
START_SECONDS = 180
SAMPLE_SECONDS = 1.0


def run(args: list, log: Path) -> float:
    """Run a command to completion (its output in ``log``); the seconds it took."""
    start = time.monotonic()
    with open(log, "wb") as out:
        done = subprocess.run([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    if done.returncode:
        sys.exit(f"{' '.join(map(str, args[:2]))} failed ({done.returncode}); see {log}")
    return time.monotonic() - start


def prepare(n: int, soak_dir: Path) -> tuple[Path, dict]:
    """The data directory holding N generated reports, and how long each missing step took."""
    corpus, data = soak_dir / f"corpus-{n}", soak_dir / f"data-{n}"
    corpus_stamp, data_stamp = soak_dir / f"corpus-{n}.done", soak_dir / f"data-{n}.done"
    timings = {}
    soak_dir.mkdir(parents=True, exist_ok=True)
    if not corpus_stamp.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        data_stamp.unlink(missing_ok=True)
        print(f"generating {n} text reports in {corpus}", flush=True)
        timings["generate_s"] = run([BIN / "xxgk", "generate", "--n", n, "--out", corpus, "--formats", "txt"],
                                    soak_dir / "generate.log")
        corpus_stamp.touch()
    if not data_stamp.exists():
        shutil.rmtree(data, ignore_errors=True)
        print(f"ingesting them into {data}", flush=True)
        timings["ingest_s"] = run([BIN / "xxgk", "ingest", corpus, "--data", data], soak_dir / "ingest.log")
        data_stamp.touch()
    return data, timings


def wait_until_answering(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"xxgk serve exited ({server.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=", timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"xxgk serve did not answer within {START_SECONDS} s; see {log}")


class Sampler(threading.Thread):
    """Every second: RSS and PSS of the server's process tree (master and workers) and the load average."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.stopping = threading.Event()
        self.rss, self.pss, self.load = [], [], []
        self.workers = 0

    def tree(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """User and system CPU time of the master and its live workers so far."""
        total = 0.0
        for process in self.tree():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def run(self):
        while not self.stopping.wait(SAMPLE_SECONDS):
            rss = pss = 0
            tree = self.tree()
            self.workers = max(self.workers, len(tree) - 1)
            for process in tree:
                try:
                    memory = process.memory_full_info()
                except psutil.NoSuchProcess:
                    continue
                rss, pss = rss + memory.rss, pss + memory.pss
            self.rss.append(rss)
            self.pss.append(pss)
            self.load.append(os.getloadavg()[0])


def read_stats(path: Path) -> tuple[dict, dict]:
    """Per-kind rows and the aggregate row of locust's <prefix>_stats.csv."""
    kinds, total = {}, {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            figures = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                       "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
                       "max_ms": float(row["Max Response Time"])}
            if row["Name"] == "Aggregated":
                total = figures
            else:
                kinds[row["Name"]] = figures
    return kinds, total


def mib(values: list[int]) -> dict:
    return {"median_mib": round(statistics.median(values) / 2**20, 1), "peak_mib": round(max(values) / 2**20, 1)} \
        if values else {"median_mib": None, "peak_mib": None}


def summary_text(s: dict) -> str:
    lines = [f"soak at N={s['n']}, {s['started']}: {s['users']} users, {s['workers']} workers, "
             f"{s['seconds']:.1f} s of load" + (f", {s['offered_per_s']:g} requests/s offered" if s.get("offered_per_s") else "")
             + (f", after {s['warm_up_s']} s of warm-up" if s.get("warm_up_s") else ""),
             f"  {s['requests']} requests, {s['requests_per_s']:.1f} requests/s sustained, {s['errors']} errors",
             f"  load average (1 min) during the run: median {s['load_average']['median']}, "
             f"max {s['load_average']['max']}",
             f"  server memory (master + workers): RSS median {s['rss']['median_mib']} MiB, peak "
             f"{s['rss']['peak_mib']} MiB; PSS median {s['pss']['median_mib']} MiB, peak {s['pss']['peak_mib']} MiB",
             f"  CPU a request: server {s['server_cpu_ms_per_request']} ms, locust {s['client_cpu_ms_per_request']} ms",
             f"  shared answers (web/response_cache.py): {s['shared_answers']['hits']} given again, "
             f"{s['shared_answers']['misses']} computed and kept (hit share {s['shared_answers']['hit_share']})",
             f"  {'kind':<14}{'requests':>9}{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"]
    for name, k in [*s["kinds"].items(), ("all", s["all"])]:
        lines.append(f"  {name:<14}{k['requests']:>9}{k['failures']:>7}{k['p50_ms']:>8.0f}{k['p95_ms']:>8.0f}"
                     f"{k['p99_ms']:>8.0f}{k['max_ms']:>8.0f}")
    if s["profile"]:
        lines.append("  one kind at a time (4 users): server CPU ms a request, p50 ms")
        for name, k in s["profile"].items():
            lines.append(f"  {name:<14}{k['server_cpu_ms_per_request']:>9.1f}{k['p50_ms']:>8.0f}")
    return "\n".join(lines) + "\n"


def shared_answers(server_log: Path, since: int = 0) -> dict:
    """How many answers the server's access log, from byte ``since`` on, marks as kept answers
    given again (hit) or kept for the next asker (miss) (web/response_cache.py)."""
    with open(server_log, "rb") as log:
        log.seek(since)
        text = log.read().decode("utf-8", "replace")
    hits, misses = text.count("> hit\n"), text.count("> miss\n")
    return {"hits": hits, "misses": misses, "hit_share": round(hits / (hits + misses), 3) if hits + misses else None}


def locust_command(port: int, users: int, spawn_rate: float, run_time: str, max_requests: int, csv_prefix: Path,
                   *options) -> list:
    return [BIN / "locust", "-f", LOCUSTFILE, "--headless", "--host", f"http://127.0.0.1:{port}", "--users", users,
            "--spawn-rate", spawn_rate, "--run-time", run_time, "--max-requests", max_requests, "--csv", csv_prefix,
            "--only-summary", "--exit-code-on-error", "0", *options]


def profile_kind(kind: str, port: int, sampler: Sampler, run_time: str, out: Path) -> dict:
    """Server CPU a request of one kind alone: a few users asking only that kind for ``run_time``."""
    prefix = out / ("profile-" + "".join(ch if ch.isalnum() else "-" for ch in kind))
    before = sampler.cpu_seconds()
    run(locust_command(port, 4, 4, run_time, 0, prefix, "--tags", kind), Path(f"{prefix}.log"))
    cpu = sampler.cpu_seconds() - before
    figures = read_stats(Path(f"{prefix}_stats.csv"))[0][kind]
    return {**figures, "server_cpu_ms_per_request": round(1000 * cpu / max(figures["requests"], 1), 2)}


def soak(args) -> dict:
    soak_dir = Path(args.soak_dir).resolve()
    out = Path(args.out).resolve() if args.out else soak_dir / f"run-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    data, timings = prepare(args.n, soak_dir)
    port = free_port()
    server_log = out / "server.log"
    with open(server_log, "wb") as log:
        server = subprocess.Popen([BIN / "xxgk", "serve", "--data", data, "--host", "127.0.0.1", "--port", str(port),
                                   *(["--workers", str(args.workers)] if args.workers else []),
                                   *([] if args.response_cache else ["--no-response-cache"])],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_until_answering(port, server, server_log)
        pacing = ["--rate-per-user", str(args.rate / args.users)] if args.rate else []
        if args.warm_up:
            # a server that has run a while: its caches filled, its workers past their first requests
            print(f"warm-up: {args.warm_up} s of the same load, not measured", flush=True)
            run(locust_command(port, args.users, args.spawn_rate, f"{args.warm_up}s", 0, out / "warm-up", *pacing),
                out / "warm-up.log")
        sampler = Sampler(server.pid)
        log_before = server_log.stat().st_size  # the warm-up's lines are not counted
        cpu_before = sampler.cpu_seconds()
        client_before = os.times()
        sampler.start()
        started = datetime.now(timezone.utc)
        begin = time.monotonic()
        print(f"locust: {args.users} users against 127.0.0.1:{port} for {args.run_time}", flush=True)
        # after a warm-up, the users' first round (each kind once, all at the start) is not measured again
        first_round = ["--no-first-round"] if args.warm_up else []
        run(locust_command(port, args.users, args.spawn_rate, args.run_time, args.max_requests, out / "locust",
                           *pacing, *first_round), out / "locust.log")
        seconds = time.monotonic() - begin
        server_cpu = sampler.cpu_seconds() - cpu_before
        client_after = os.times()  # locust, a child of this process, has exited: its CPU time is counted
        client_cpu = (client_after.children_user - client_before.children_user
                      + client_after.children_system - client_before.children_system)
        sampled = len(sampler.load)  # the samples of the mixed run, before any profile
        shared = shared_answers(server_log, log_before)
        profile = {kind: profile_kind(kind, port, sampler, args.profile, out) for kind in KINDS} if args.profile else {}
        sampler.stopping.set()
        sampler.join()
    finally:
        stop(server, 60)
    kinds, total = read_stats(out / "locust_stats.csv")
    load = sampler.load[:sampled]
    summary = {"n": args.n, "started": started.isoformat(timespec="seconds"), "users": args.users,
               "offered_per_s": args.rate or None, "warm_up_s": args.warm_up,
               "workers": sampler.workers, "seconds": round(seconds, 1), **timings,
               "requests": total["requests"], "errors": total["failures"],
               "requests_per_s": round(total["requests"] / seconds, 1),
               "server_cpu_ms_per_request": round(1000 * server_cpu / max(total["requests"], 1), 2),
               "client_cpu_ms_per_request": round(1000 * client_cpu / max(total["requests"], 1), 2),
               "load_average": {"median": round(statistics.median(load), 2) if load else None,
                                "max": round(max(load), 2) if load else None},
               "shared_answers": shared, "rss": mib(sampler.rss[:sampled]), "pss": mib(sampler.pss[:sampled]), "kinds": kinds, "all": total,
               "profile": profile}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = summary_text(summary)
    (out / "summary.txt").write_text(text, encoding="utf-8")
    print(text + f"(written to {out})", flush=True)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="how many generated reports to serve")
    parser.add_argument("--soak-dir", default="/tmp/xxgk-soak",
                        help="scratch folder for the reports and data directory (reused for the same N)")
    parser.add_argument("--out", help="folder for the summary and locust's CSV files (default: under --soak-dir)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="120s", help="how long the load runs, locust's format (120s, 5m)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop earlier after this many requests")
    parser.add_argument("--profile", metavar="RUN_TIME",
                        help="after the run, each kind alone for this long (e.g. 15s): server CPU a request by kind")
    parser.add_argument("--workers", type=int, help="xxgk serve --workers (default: its own)")
    parser.add_argument("--rate", type=float, default=0,
                        help="requests a second offered in all, paced evenly over the users (default: as many "
                             "as the server answers, which finds its limit; a rate below it measures latency)")
    parser.add_argument("--warm-up", type=int, default=0, metavar="SECONDS",
                        help="first run the same load this long, unmeasured: the figures are then those of a "
                             "server that has been running (default 0: from a cold start)")
    parser.add_argument("--no-response-cache", dest="response_cache", action="store_false",
                        help="xxgk serve --no-response-cache: every request searched and rendered afresh")
    soak(parser.parse_args())


if __name__ == "__main__":
    main()
