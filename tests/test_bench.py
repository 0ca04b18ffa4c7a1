"""`xxgk bench`: the JSON shape of docs/benchmarks.md over a tiny generated corpus (no timing assertions)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import bench
from indexer.bench import QUERY_KINDS, BenchError, _corpus_parse_rates, bench_to_text, percentile, run_bench
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
    monkeypatch.setattr(bench, "CORPUS_ROUNDS", 1)
    monkeypatch.setattr(bench, "OCR_SAMPLE", 1)
    problems = []
    result = run_bench(20, config, workdir=tmp_path / "bench", on_problem=problems.append)
    assert set(result) == {"n", "machine", "ingest", "queries"}
    assert result["n"] == 20
    assert " cores" in result["machine"]
    ingest = result["ingest"]
    assert set(ingest) == {"reports_per_s", "parse_per_s", "parse_per_s_corpus", "segment_chars_per_s",
                           "index_reports_per_s", "index_bytes_per_report", "ocr_pages_per_s", "ocr_pages_per_s_corpus"}
    assert set(ingest["parse_per_s"]) == {"txt", "docx", "html", "pdf"}
    # the real reports in corpus/, by extension: the seeds and crawled pages, the markdown, the saved page, the PDF
    assert set(ingest["parse_per_s_corpus"]) == {"txt", "md", "html", "pdf"}
    assert all(rate > 0 for rate in ingest["parse_per_s_corpus"].values())
    assert not problems
    assert all(ingest[k] > 0 for k in ("reports_per_s", "segment_chars_per_s", "index_reports_per_s",
                                       "index_bytes_per_report", "ocr_pages_per_s", "ocr_pages_per_s_corpus"))
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
    assert "parse pdf (corpus/)" in text and "OCR (corpus/ scans)" in text
    assert json.loads(json.dumps(result)) == result
    # --queries-only: the same query kinds over the collection just ingested, nothing generated
    cli_result = CliRunner().invoke(cli, ["bench", "--queries-only", "--json", "--data", str(tmp_path / "bench" / "data")])
    assert cli_result.exit_code == 0, cli_result.output
    alone = json.loads(cli_result.stdout)
    assert set(alone) == {"n", "machine", "data_bytes", "index_bytes", "queries"} and alone["n"] == 20
    assert list(alone["queries"]) == list(QUERY_KINDS) and all(t["runs"] == 5 for t in alone["queries"].values())
    assert 0 < alone["index_bytes"] < alone["data_bytes"]


def test_cli_bench_queries_only_needs_an_ingested_collection(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--queries-only", "--data", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'empty'}: no reports to query; ingest some first\n"


def test_cli_bench_rejects_a_tiny_n():
    result = CliRunner().invoke(cli, ["bench", "--n", "3"])
    assert result.exit_code == 2
    assert "Invalid value for '--n'" in result.stderr


def test_corpus_parse_rates_count_failures_and_a_missing_folder(tmp_path, config, monkeypatch):
    monkeypatch.setattr(bench, "CORPUS_ROUNDS", 2)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    real = Path(__file__).resolve().parent.parent / "corpus" / "real"
    shutil.copy(real / "fj_pingtan_2022_page.txt", corpus)
    (corpus / "cut.pdf").write_bytes((real / "js_huaian_hongze_2023_hzq2023_working.pdf").read_bytes()[:5000])
    problems = []
    rates = _corpus_parse_rates(corpus, config, None, problems.append)
    assert set(rates) == {"txt", "pdf"} and all(rate > 0 for rate in rates.values())
    assert problems == [f"parse corpus pdf: 1 of 1 files failed, e.g. cut.pdf: {corpus / 'cut.pdf'}: "
                        "damaged or truncated PDF (FormatError)"]
    problems.clear()
    assert _corpus_parse_rates(tmp_path / "missing", config, None, problems.append) == {}
    assert problems == [f"parse corpus: no folder {tmp_path / 'missing'}, so no parse_per_s_corpus"]


def test_a_workdir_holding_anything_else_is_refused_untouched(tmp_path, config):
    """The bench replaces its workdir's corpus/ and data/: `xxgk bench --workdir .` in a project
    would have deleted the project's own. Only a new or empty folder, or one an earlier bench
    made, is taken."""
    project = tmp_path / "project"
    (project / "corpus").mkdir(parents=True)
    (project / "corpus" / "report.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BenchError, match=r"project: not empty and not a bench's workdir \(its corpus/ and data/ "
                                         r"would be replaced\); give a new or empty folder$"):
        run_bench(20, config, workdir=project)
    assert (project / "corpus" / "report.txt").read_text(encoding="utf-8") == "mine"
    result = CliRunner().invoke(cli, ["bench", "--n", "20", "--workdir", str(project)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {project}: not empty")
    earlier = tmp_path / "earlier"
    bench._claim_workdir(earlier)  # new: taken and marked
    (earlier / "corpus").mkdir()
    bench._claim_workdir(earlier)  # a bench's own, with its leftovers: taken again
