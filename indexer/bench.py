"""`xxgk bench`: time every stage over N generated reports, in-process.

    generate   N synthetic text reports (the ingest corpus) + a small sample of each format
    parse      parse_file per format, one process          -> parse_per_s
    corpus     parse_file over the real files in corpus/, per file extension -> parse_per_s_corpus
    ocr        copier scans of generated PDFs, OCR'd        -> ocr_pages_per_s (pages per CPU second)
               and of the real PDFs in corpus/               -> ocr_pages_per_s_corpus
    ingest     ingest_paths over the N text reports         -> reports_per_s (end to end)
    segment    tokenize() over report texts                 -> segment_chars_per_s
    index      ≤10,000 stored reports into a fresh index alone -> index_reports_per_s
    size       the ingested index's bytes / reports         -> index_bytes_per_report
    queries    ≥50 queries of each kind, p50 / p95 latency

``run_query_bench`` (`xxgk bench --queries-only`) times the queries alone over a data directory
already ingested, e.g. one of 1,000,000 reports (docs/benchmarks.md).

The result has the shape docs/benchmarks.md shows (`xxgk bench --json`).
"""
from __future__ import annotations

import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .collection import Collection
from .config import Config
from .errors import XxgkError
from .generate import generate_corpus
from .index import ReportIndex
from .candidates import collect_files
from .ingest import ingest_paths
from .parse import parse_file
from .store import index_dir
from .tokenize import tokenize

FORMATS = ("txt", "docx", "html", "pdf")
SAMPLE_PER_FORMAT = 20
QUERY_RUNS = 50
SEGMENT_SAMPLE = 200
# Reports indexed again into a fresh index to time tantivy alone.
INDEX_SAMPLE = 10_000
QUERY_KINDS = ("word", "phrase", "filtered", "facets", "stats")
# The real reports shipped with the project; each is parsed this many times (there are few).
CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
CORPUS_ROUNDS = 10
OCR_SAMPLE = 2  # generated PDFs scanned and OCR'd (3 pages each; seconds a page)

BenchProgress = Callable[[str, int, int], None]


class BenchError(XxgkError):
    """The benchmark could not run (nothing was ingested, or a stage failed)."""


def machine_description() -> str:
    """CPU model, core count and memory of this machine, in one line."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def time_queries(run: Callable[[str], object], queries: list[str],
                 reset: Callable[[], object] | None = None) -> dict:
    """Run each query once (after one untimed warm-up) and report p50/p95 in milliseconds.

    :param reset: called, untimed, before each timed run (the bench drops the index's memo
        of facets and statistics, so a query repeated in the list is timed as if new).
    """
    run(queries[0])
    timings = []
    for q in queries:
        if reset is not None:
            reset()
        start = time.perf_counter()
        run(q)
        timings.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(timings), 2), "p95_ms": round(percentile(timings, 0.95), 2),
            "runs": len(timings)}


# -- the queries --------------------------------------------------------------

def _words_of(reports, rng: random.Random, count: int) -> list[str]:
    """Words users would type: drawn from the reports' own segmented text, common and rare alike."""
    counts: Counter[str] = Counter()
    for report in reports:
        for section in report.sections:
            counts.update(t.text for t in tokenize(section.text[:2000]) if len(t.text) >= 2 and not t.text.isascii())
    words = sorted(w for w, c in counts.items() if c >= 2)
    rng.shuffle(words)
    return (words * (count // max(1, len(words)) + 1))[:count] if words else ["公开"] * count


def _phrases_of(reports, rng: random.Random, count: int) -> list[str]:
    """Quoted runs of 4-6 Chinese characters copied from the reports."""
    phrases = []
    runs = [m.group() for r in reports for s in r.sections for m in re.finditer(r"[\u4e00-\u9fff]{6,}", s.text)]
    for _ in range(count):
        run = rng.choice(runs) if runs else "政府信息公开"
        size = rng.randint(4, min(6, len(run)))
        start = rng.randint(0, len(run) - size)
        phrases.append(f'"{run[start:start + size]}"')
    return phrases


def _filtered_queries(reports, rng: random.Random, count: int) -> list[str]:
    """Field filters and figure comparisons built from values the corpus holds."""
    types = sorted({r.agency_type for r in reports if r.agency_type}) or ["信访"]
    years = sorted({r.year for r in reports if r.year}) or [2020]
    provinces = sorted({r.region.get("province") for r in reports if r.region.get("province")}) or ["山东省"]
    shapes = [
        lambda: f"type:{rng.choice(types)} year:{rng.choice(years)} procurement_count>0",
        lambda: f"province:{rng.choice(provinces)} applications>={rng.randint(1, 30)}",
        lambda: f"level:county year:{rng.choice(years)} granted>0",
        lambda: f"type:{rng.choice(types)} review>0",
        lambda: f"year:{min(years)}..{max(years)} flag:t3_balance",
        lambda: f"template:2021 t4.review.corrected>0 province:{rng.choice(provinces)}",
    ]
    return [shapes[i % len(shapes)]() for i in range(count)]


def _broad_queries(rng: random.Random, count: int) -> list[str]:
    """Queries matching most of the corpus, so every facet is counted over many hits."""
    broad = ["公开", "政府信息公开", "申请", "年度报告", "工作", "信息", "情况", "政府"]
    return [rng.choice(broad) for _ in range(count)]


def _stats_queries(reports, rng: random.Random, count: int) -> list[str]:
    types = sorted({r.agency_type for r in reports if r.agency_type}) or ["信访"]
    years = sorted({r.year for r in reports if r.year}) or [2020]
    shapes = [lambda: f"type:{rng.choice(types)}", lambda: f"year:{rng.choice(years)}", lambda: "公开",
              lambda: f"year:{rng.choice(years)} applications>0"]
    return [shapes[i % len(shapes)]() for i in range(count)]


# -- the stages ---------------------------------------------------------------

def _time_parses(files: list[Path], config: Config, *, synthetic: bool, rounds: int, stage: str,
                 progress) -> tuple[float, list[str]]:
    """Parse every file ``rounds`` times in this process: files per second, and the failures
    (a file that fails still counts its time)."""
    failed: dict[str, str] = {}
    done, total = 0, len(files) * rounds
    start = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            try:
                parse_file(path, config, synthetic=synthetic)
            except Exception as e:  # noqa: BLE001 - a parser bug must not stop the benchmark
                failed.setdefault(path.name, f"{path.name}: {e}")
            done += 1
            if progress:
                progress(stage, done, total)
    return _rate(total, time.perf_counter() - start), list(failed.values())


def _parse_rates(workdir: Path, sample: int, config: Config, progress, on_problem) -> dict[str, float]:
    """Generated files parsed per second per format, one process."""
    rates = {}
    for fmt in FORMATS:
        files = generate_corpus(sample, workdir / f"sample-{fmt}", formats=(fmt,), seed=7)
        rates[fmt], failed = _time_parses(files, config, synthetic=True, rounds=1, stage=f"parse {fmt}",
                                          progress=progress)
        if failed and on_problem:
            on_problem(f"parse {fmt}: {len(failed)} of {len(files)} generated files failed, e.g. {failed[0]}")
    return rates


def _corpus_parse_rates(corpus: Path, config: Config, progress, on_problem) -> dict[str, float]:
    """Real files parsed per second, by file extension, one process: there are few,
    so each is parsed ``CORPUS_ROUNDS`` times."""
    if not corpus.is_dir():
        if on_problem:
            on_problem(f"parse corpus: no folder {corpus}, so no parse_per_s_corpus")
        return {}
    by_format: dict[str, list[Path]] = {}
    for candidate in collect_files([corpus]):
        by_format.setdefault(candidate.path.suffix.lower().lstrip("."), []).append(candidate.path)
    rates = {}
    for fmt, files in sorted(by_format.items()):
        rates[fmt], failed = _time_parses(files, config, synthetic=False, rounds=CORPUS_ROUNDS,
                                          stage=f"parse corpus {fmt}", progress=progress)
        if failed and on_problem:
            on_problem(f"parse corpus {fmt}: {len(failed)} of {len(files)} files failed, e.g. {failed[0]}")
    return rates


def _ocr_rate(workdir: Path, sample: int, config: Config, progress) -> float:
    """Pages of copier scans (200 dpi) of ``sample`` generated PDFs read by OCR per second of one core
    (the engine is single-threaded). Generated reports are denser than most: 12 pt type, every table."""
    sources = generate_corpus(sample, workdir / "sample-scan", formats=("pdf",), seed=9)
    return _scan_rate(sources, config, "ocr", progress, synthetic=True)


def _corpus_ocr_rate(corpus: Path, config: Config, progress) -> float | None:
    """As ``_ocr_rate``, over copier scans of the real text-layer PDFs in ``corpus`` (None: there are none)."""
    sources = sorted(c.path for c in collect_files([corpus]) if c.path.suffix.lower() == ".pdf") \
        if corpus.is_dir() else []
    return _scan_rate(sources, config, "ocr corpus", progress, synthetic=False) if sources else None


def _scan_rate(sources: list[Path], config: Config, stage: str, progress, *, synthetic: bool) -> float:
    from .ocr.copier import make_scan_pdf  # on use: start-up time (ONNX Runtime, OpenCV)
    from .ocr.engine import engine
    from .ocr.pages import pdf_page_count

    with tempfile.TemporaryDirectory() as folder:
        scans = [make_scan_pdf(p, Path(folder) / f"{i}_{p.stem}_scan.pdf", dpi=200, angle=0.7)
                 for i, p in enumerate(sources)]
        engine()  # the models load once per process, not per page
        pages, cpu = 0, 0.0
        for i, scan in enumerate(scans, 1):
            start = time.process_time()
            parse_file(scan, config, synthetic=synthetic)
            cpu += time.process_time() - start
            pages += pdf_page_count(scan)
            if progress:
                progress(stage, i, len(scans))
    return round(pages / cpu, 3) if cpu > 0 else 0.0  # well under 1: _rate's one decimal is too coarse


def _segment_rate(reports) -> float:
    texts = [s.text for r in reports for s in r.sections]
    start = time.perf_counter()
    chars = 0
    for text in texts:
        tokenize(text)
        chars += len(text)
    return _rate(chars, time.perf_counter() - start)


def _index_rate(reports, workdir: Path) -> float:
    index = ReportIndex.open(workdir / "index-only")
    start = time.perf_counter()
    with index.batch() as writer:
        for report in reports:
            writer.add(report)
    return _rate(len(reports), time.perf_counter() - start)


def run_bench(n: int, config: Config, *, workdir: str | Path | None = None,
              progress: BenchProgress | None = None, seed: int = 0,
              on_problem: Callable[[str], None] | None = None, corpus: str | Path = CORPUS_DIR) -> dict:
    """Generate ``n`` synthetic reports, ingest them into a fresh data directory and time everything.

    :param n: how many text reports to generate and ingest.
    :param config: settings (the agency types); its data directory is never touched.
    :param workdir: keep the corpus and data directory here (default: a temporary folder, removed after);
        its subfolders corpus, data, index-only and sample-* are replaced, so it must be new, empty
        or a workdir of an earlier bench (``_claim_workdir``).
    :param progress: called as ``progress(stage, done, total)``.
    :param seed: the generator's seed (the same seed gives the same corpus and queries).
    :param on_problem: called with one line for each problem that does not stop the run
        (generated files the parser rejects).
    :param corpus: the folder of real reports whose parse rates are ``parse_per_s_corpus``.
    :returns: the ``--json`` object (docs/benchmarks.md).
    :raises BenchError: nothing could be ingested.
    """
    if workdir is not None:
        _claim_workdir(Path(workdir))
        return _run_bench(n, config, Path(workdir), progress, seed, on_problem, Path(corpus))
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
        return _run_bench(n, config, Path(tmp), progress, seed, on_problem, Path(corpus))


# Marks a folder as a bench's workdir: only such a folder (or an empty one) has its subfolders replaced.
WORKDIR_MARK = ".xxgk-bench-workdir"


def _claim_workdir(workdir: Path) -> None:
    """Make ``workdir`` a bench's workdir, or refuse one that holds anything else: the bench
    replaces its corpus/ and data/, and `--workdir .` in a project would have deleted the
    project's own.

    :raises BenchError: ``workdir`` is not empty and no bench made it.
    """
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        if not (workdir / WORKDIR_MARK).exists() and any(workdir.iterdir()):
            raise BenchError(f"{workdir}: not empty and not a bench's workdir (its corpus/ and data/ would be "
                             "replaced); give a new or empty folder")
        (workdir / WORKDIR_MARK).touch()
    except OSError as e:
        raise BenchError(f"{workdir}: cannot use it as the bench's workdir ({e.strerror or e})") from None


def _run_bench(n: int, config: Config, workdir: Path, progress, seed: int, on_problem, real: Path) -> dict:
    rng = random.Random(seed)
    # A reused workdir starts clean: leftovers would turn the ingest into skips.
    for name in ("corpus", "data", "index-only", *(f"sample-{fmt}" for fmt in FORMATS)):
        shutil.rmtree(workdir / name, ignore_errors=True)
    bench_config = replace(config, data_dir=workdir / "data")
    if progress:
        progress("generate", 0, n)
    corpus = workdir / "corpus"
    generate_corpus(n, corpus, formats=("txt",), seed=seed)
    if progress:
        progress("generate", n, n)
    parse_per_s = _parse_rates(workdir, min(SAMPLE_PER_FORMAT, n), config, progress, on_problem)
    parse_per_s_corpus = _corpus_parse_rates(real, config, progress, on_problem)
    ocr_pages_per_s = _ocr_rate(workdir, OCR_SAMPLE, config, progress)
    ocr_pages_per_s_corpus = _corpus_ocr_rate(real, config, progress)

    # The corpus was just written: flush it to disk first, so that the kernel writing back a
    # gigabyte of generated files does not run inside the ingest's time (a user's files are on disk).
    os.sync()
    start = time.perf_counter()
    summary = ingest_paths([corpus], bench_config,
                           progress=(lambda d, t, **_: progress("ingest", d, t)) if progress else None)
    ingest_seconds = time.perf_counter() - start
    if summary.ingested == 0:
        reasons = "; ".join(f"{p}: {r}" for p, r in summary.failed[:3])
        raise BenchError(f"nothing was ingested out of {n} generated reports ({reasons})")
    if summary.failed and on_problem:
        path, reason = summary.failed[0]
        on_problem(f"ingest: {len(summary.failed)} of {n} generated files failed, e.g. {Path(path).name}: {reason}")

    collection = Collection.open(bench_config)
    index_bytes = _dir_bytes(index_dir(bench_config.data_dir))
    ids = collection.store.report_ids()
    # Full reports (with their texts) for a sample only: at large N they would not fit in memory.
    full = [collection.store.get(i) for i in rng.sample(ids, min(len(ids), INDEX_SAMPLE))]
    segment_rate = _segment_rate(full[:SEGMENT_SAMPLE])
    index_rate = _index_rate(full, workdir)
    timings = _time_query_kinds(collection, ids, full[:SEGMENT_SAMPLE], rng, progress)
    collection.close()
    return {
        "n": n,
        "machine": machine_description(),
        "ingest": {
            "reports_per_s": _rate(summary.ingested, ingest_seconds),
            "parse_per_s": parse_per_s,
            "parse_per_s_corpus": parse_per_s_corpus,
            "segment_chars_per_s": segment_rate,
            "index_reports_per_s": index_rate,
            "index_bytes_per_report": round(index_bytes / summary.ingested),
            "ocr_pages_per_s": ocr_pages_per_s,
            "ocr_pages_per_s_corpus": ocr_pages_per_s_corpus,
        },
        "queries": timings,
    }


def _time_query_kinds(collection: Collection, ids: list[str], sample: list, rng: random.Random, progress) -> dict:
    """p50/p95 of every query kind, the words and phrases drawn from ``sample`` (full reports), the
    filters' values from the reports ``ids``."""
    metadata = list(collection.store.light_reports(ids))
    queries = {
        "word": _words_of(sample, rng, QUERY_RUNS),
        "phrase": _phrases_of(sample, rng, QUERY_RUNS),
        "filtered": _filtered_queries(metadata, rng, QUERY_RUNS),
        "facets": _broad_queries(rng, QUERY_RUNS),
        "stats": _stats_queries(metadata, rng, QUERY_RUNS),
    }
    del metadata
    timings = {}
    for kind in QUERY_KINDS:
        run = collection.stats if kind == "stats" else collection.search
        timings[kind] = time_queries(run, queries[kind], reset=collection.index.forget)
        if progress:
            progress("queries", QUERY_KINDS.index(kind) + 1, len(QUERY_KINDS))
    return timings


def run_query_bench(config: Config, *, progress: BenchProgress | None = None, seed: int = 0) -> dict:
    """Time every query kind over the collection already in ``config``'s data directory (a large
    one ingested once, say), as ``run_bench`` times them over its fresh one.

    :returns: ``{"n", "machine", "data_bytes", "index_bytes", "queries"}``.
    :raises BenchError: the data directory holds no reports.
    """
    rng = random.Random(seed)
    collection = Collection.open(config)
    try:
        ids = collection.store.report_ids()
        if not ids:
            raise BenchError(f"{config.data_dir}: no reports to query; ingest some first")
        sample = [collection.store.get(i) for i in rng.sample(ids, min(len(ids), SEGMENT_SAMPLE))]
        # the filters' values from a sample too: a million reports' metadata would take minutes and gigabytes
        timings = _time_query_kinds(collection, rng.sample(ids, min(len(ids), INDEX_SAMPLE)), sample, rng, progress)
    finally:
        collection.close()
    return {"n": len(ids), "machine": machine_description(), "data_bytes": _dir_bytes(config.data_dir),
            "index_bytes": _dir_bytes(index_dir(config.data_dir)), "queries": timings}


def _query_lines(queries: dict) -> list[str]:
    lines = ["", f"  {'query':<10}{'p50 ms':>10}{'p95 ms':>10}{'runs':>7}"]
    for kind, t in queries.items():
        lines.append(f"  {kind:<10}{t['p50_ms']:>10.2f}{t['p95_ms']:>10.2f}{t['runs']:>7}")
    return lines


def query_bench_to_text(result: dict) -> str:
    """``run_query_bench``'s result as a readable table."""
    return "\n".join([
        f"xxgk bench --queries-only: {result['n']:,} reports on {result['machine']}",
        "",
        f"  data directory          {result['data_bytes'] / 2 ** 30:>12,.2f} GiB",
        f"  index                   {result['index_bytes'] / 2 ** 30:>12,.2f} GiB",
        *_query_lines(result["queries"])])


def bench_to_text(result: dict) -> str:
    """The benchmark result as a readable table."""
    ingest = result["ingest"]
    lines = [
        f"xxgk bench: {result['n']} synthetic reports on {result['machine']}",
        "",
        f"  ingest, end to end      {ingest['reports_per_s']:>12,.1f} reports/s",
        f"  index alone             {ingest['index_reports_per_s']:>12,.1f} reports/s",
        f"  segmentation            {ingest['segment_chars_per_s']:>12,.0f} chars/s",
        f"  index size              {ingest['index_bytes_per_report']:>12,} bytes/report",
    ]
    for fmt, rate in ingest["parse_per_s"].items():
        lines.append(f"  parse {fmt:<17} {rate:>12,.1f} files/s")
    for fmt, rate in ingest.get("parse_per_s_corpus", {}).items():
        lines.append(f"  parse {fmt + ' (corpus/)':<17} {rate:>12,.1f} files/s")
    lines.append(f"  OCR, one core           {ingest['ocr_pages_per_s']:>12,.2f} pages/s")
    if ingest.get("ocr_pages_per_s_corpus"):
        lines.append(f"  OCR (corpus/ scans)     {ingest['ocr_pages_per_s_corpus']:>12,.2f} pages/s")
    return "\n".join(lines + _query_lines(result["queries"]))
