"""Ingest while serving (docs/serving.md): a real `xxgk serve` (gunicorn, 2 workers) and a real
`xxgk ingest` in another process committing small batches. Every worker must see each commit
without a restart, and never half of a batch."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time

from indexer.generate import generate_corpus
from server_helpers import ROOT, XXGK, request, running_server

REPORTS = 40
BATCH = 5
# After the ingest exits, how long the workers may take to show its last commit (they check
# for new commits on every search).
CATCH_UP_SECONDS = 10
# Bounds on the polling load: loopback only, at most this many requests.
MAX_REQUESTS = 5000
INGEST_SECONDS = 300


def test_workers_see_every_committed_batch_and_never_half_of_one(tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus(REPORTS, corpus, formats=("txt",), seed=15, fault_share=0.0)
    data = tmp_path / "data"
    log = tmp_path / "serve.log"
    boundaries = set(range(0, REPORTS + 1, BATCH)) | {REPORTS}
    seen: list[int] = []
    with running_server(data, log, workers=2) as port:
        def total() -> int:
            # a new connection each time, so the master hands requests to either worker
            status, _, body = request(port, "GET", "/api/search?q=", {"Connection": "close"})
            assert status == 200, body
            return json.loads(body)["total"]

        assert total() == 0
        ingest = subprocess.Popen([str(XXGK), "ingest", str(corpus), "--data", str(data)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env={**os.environ, "XXGK_BATCH_SIZE": str(BATCH)})
        started = time.monotonic()
        while ingest.poll() is None and len(seen) < MAX_REQUESTS:
            assert time.monotonic() - started < INGEST_SECONDS, "the ingest did not finish"
            seen.append(total())
        output = ingest.communicate(timeout=INGEST_SECONDS)[0].decode("utf-8", "replace")
        assert ingest.returncode == 0, output
        assert f"ingested {REPORTS}" in output, output
        ended = time.monotonic()
        final = []
        while time.monotonic() - ended < CATCH_UP_SECONDS and len(seen) + len(final) < MAX_REQUESTS:
            final.append(total())
            if final[-10:] == [REPORTS] * 10:  # ten answers in a row, from either worker
                break
    counts = sorted(set(seen + final))
    assert set(counts) <= boundaries, f"a count between two commits: {counts} (commits at {sorted(boundaries)})"
    assert final[-10:] == [REPORTS] * 10, f"not every worker reached {REPORTS} within {CATCH_UP_SECONDS} s: {final[-20:]}"
    assert len(set(seen) - {0, REPORTS}) >= 1, f"no batch seen while the ingest ran: {counts}"
    pids = set(re.findall(r'"GET /api/search\?q= HTTP/1\.1" 200 .* <(\d+)> \S+$', log.read_text(errors="replace"), re.M))
    assert len(pids) == 2, f"both workers must have answered: {pids}"
