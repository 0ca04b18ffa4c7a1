"""`xxgk bench`: the SPEC §4 JSON shape over a tiny generated corpus (no timing assertions)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from indexer import bench
from indexer.bench import QUERY_KINDS, bench_to_text, percentile, run_bench
from indexer.cli import cli


def test_percentile_nearest_rank():
    values = list(range(100, 0, -1))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([1, 2], 0.5) == 1


def test_run_bench_has_the_spec_shape(tmp_path, config, monkeypatch):
    monkeypatch.setattr(bench, "SAMPLE_PER_FORMAT", 1)
    monkeypatch.setattr(bench, "QUERY_RUNS", 5)
    monkeypatch.setattr(bench, "OCR_SAMPLE", 1)
    problems = []
    result = run_bench(20, config, workdir=tmp_path / "bench", on_problem=problems.append)
    assert set(result) == {"n", "machine", "ingest", "queries"}
    assert result["n"] == 20
    assert " cores" in result["machine"]
    ingest = result["ingest"]
    assert set(ingest) == {"reports_per_s", "parse_per_s", "segment_chars_per_s", "index_reports_per_s",
                           "index_bytes_per_report", "ocr_pages_per_s"}
    assert set(ingest["parse_per_s"]) == {"txt", "docx", "html", "pdf"}
    assert all(ingest[k] > 0 for k in ("reports_per_s", "segment_chars_per_s", "index_reports_per_s",
                                       "index_bytes_per_report", "ocr_pages_per_s"))
    assert list(result["queries"]) == list(QUERY_KINDS)
    for timing in result["queries"].values():
        assert set(timing) == {"p50_ms", "p95_ms", "runs"}
        assert timing["runs"] == 5
        assert 0 < timing["p50_ms"] <= timing["p95_ms"]
    # the benchmark never touches the configured data directory
    assert (tmp_path / "bench" / "data" / "reports.sqlite").exists()
    text = bench_to_text(result)
    assert text.splitlines()[0] == f"xxgk bench: 20 synthetic reports on {result['machine']}"
    assert all(kind in text for kind in QUERY_KINDS)
    assert json.loads(json.dumps(result)) == result


def test_cli_bench_rejects_a_tiny_n():
    result = CliRunner().invoke(cli, ["bench", "--n", "3"])
    assert result.exit_code == 2
    assert "Invalid value for '--n'" in result.stderr
