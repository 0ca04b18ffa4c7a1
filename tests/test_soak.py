"""`make soak`'s driver end to end at a tiny scale, so that the load test cannot rot unnoticed:
30 generated reports, a real `xxgk serve`, a few locust users for a few seconds."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.collection import Collection
from indexer.config import load_config

# Looked up, not imported: importing locust monkey-patches this whole process for gevent (threads,
# sockets, subprocesses), which hangs tantivy and kills the ingest's parser processes in later tests.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None,
                                reason="locust is in the test extra: `make install` installs it")

LOAD = Path(__file__).resolve().parent / "load"


def workload():
    spec = importlib.util.spec_from_file_location("workload", LOAD / "workload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def soak_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("soak")
    done = subprocess.run([sys.executable, str(LOAD / "soak.py"), "--n", "30", "--soak-dir", str(work),
                           "--out", str(work / "run"), "--users", "3", "--spawn-rate", "3", "--run-time", "5s",
                           "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return work, json.loads((work / "run" / "summary.json").read_text(encoding="utf-8")), done.stdout


def test_every_kind_is_measured_without_errors(soak_run):
    _, summary, stdout = soak_run
    assert set(summary["kinds"]) == set(workload().KINDS)
    for name, kind in summary["kinds"].items():
        assert kind["requests"] > 0 and kind["failures"] == 0, name
        assert 0 < kind["p50_ms"] <= kind["p95_ms"] <= kind["p99_ms"], name
    assert summary["errors"] == 0
    assert summary["requests"] == sum(kind["requests"] for kind in summary["kinds"].values())
    assert summary["requests_per_s"] > 0 and summary["workers"] == 2
    assert summary["rss"]["peak_mib"] > 0 and summary["server_cpu_ms_per_request"] > 0
    assert "requests/s sustained, 0 errors" in stdout


def test_the_server_was_stopped_and_the_data_is_kept_for_the_same_n(soak_run):
    work, _, _ = soak_run
    log = (work / "run" / "server.log").read_text(encoding="utf-8", errors="replace")
    assert "Shutting down" in log or "Handling signal: term" in log, log[-2000:]
    assert (work / "data-30.done").exists() and (work / "corpus-30.done").exists()


def test_every_word_of_the_vocabulary_finds_generated_reports(soak_run):
    work, _, _ = soak_run
    collection = Collection.open(replace(load_config(), data_dir=work / "data-30"), store=False)
    assert collection.search("").total == 30
    assert [word for word in workload().VOCABULARY if collection.search(word).total == 0] == []


def test_the_in_process_mix_asks_every_kind_and_every_answer_is_200(soak_run):
    work, _, _ = soak_run
    assert set(workload().WEIGHTS) == set(workload().KINDS)
    done = subprocess.run([sys.executable, str(LOAD / "inprocess.py"), str(work / "data-30"), "--requests", "120"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("120 requests, ") and lines[0].endswith(" ms of CPU a request")
    assert {line.split()[0] for line in lines[1:]} == set(workload().KINDS)
