"""Hostile input searched for, not listed: hypothesis makes queries and mutates real report files.

Every query is a result or a QuerySyntaxError whose column lies inside the query; every mutated
file is a report or a ReaderError, parsed in a forked child under a memory limit and a time limit
(so a hang or a runaway allocation fails the test instead of stalling it).

Bounded for `make test` by the "ci" profile (``HYPOTHESIS_PROFILE=fuzz`` tries far more).
Crashes the fuzzers of tests/fuzz/ found are kept in tests/fixtures/fuzz_* and replayed here.
"""
from __future__ import annotations

import io
import os
import pickle
import re
import resource
import select
import signal
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pillow_heif import register_heif_opener

from indexer.errors import ReaderError
from indexer.generate import generate_corpus
from indexer.index import ReportIndex
from indexer.ocr.copier import scan_pages
from indexer.parse import parse_file
from indexer.query import QuerySyntaxError, parse_query
from indexer.paths import path_text, text_path
from indexer.search import search
from mhtml_helpers import word_mht
from ofd_helpers import pdf_to_ofd

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# -- queries ------------------------------------------------------------------------------

# the pieces of the query language (docs/query-language.md), so that generated queries get past
# the first character more often than random text does
QUERY_PIECES = ["信访", "政府信息", "公开", '"', "(", ")", ":", "-", "NOT", "OR", "AND", " ", "  ", ">", "<", "=",
                ">=", "<=", "!=", "..", "year:", "type:", "province:", "s3:", "p5:", "flags:", "template:",
                "level:", "applications", "t3.new.total", "procurement_count", "2020", "2019..2021", "0", "-1",
                "1e9", "nan", "inf", "*", "\\", "\u3000", "：", "（", "）", "＂", "“", "”", "\t", "\n", "\x00"]
# and long runs of one piece: the bounds on nesting, terms and a term's length (300 nested
# parentheses once overran Python's stack, and a thousand terms kept a worker busy for seconds)
RUN_PIECES = ["(", ")", "-", "信访 ", "公开", "信访 OR ", '"', "type:信访 ", "applications>0 "]
runs = st.tuples(st.sampled_from(RUN_PIECES), st.integers(1, 1200)).map(lambda run: run[0] * run[1])
# and numbers past int()'s 4,300 digits ("section:" then 5,000 nines once raised its ValueError)
long_numbers = st.tuples(st.sampled_from(["section:", "year:", "year:2019..", "applications>", "grant_rate<="]),
                         st.integers(1, 6000)).map(lambda number: number[0] + "9" * number[1] + " ")
query_text = st.one_of(st.text(), st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join))
long_query_text = st.lists(st.one_of(runs, long_numbers), min_size=1, max_size=4).map("".join)


@pytest.fixture(scope="module")
def index(config):
    """An index in memory holding the corpus seeds: every query is run for real."""
    index = ReportIndex.open(None)
    with index.batch() as batch:
        for path in sorted((ROOT / "corpus" / "seeds").glob("*.txt")):
            batch.add(parse_file(path, config))
    return index


def _result_or_syntax_error(index, q: str) -> None:
    try:
        parse_query(q)
    except QuerySyntaxError as e:
        assert 1 <= e.position <= max(1, len(q)), (q, str(e))
        assert "\n" not in str(e)
        return
    result = search(index, q)
    assert 0 <= result.total <= index.count()


@given(q=query_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_query_is_a_result_or_a_syntax_error_pointing_inside_it(index, q):
    _result_or_syntax_error(index, q)


@given(q=long_query_text)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_long_query_is_a_result_or_a_syntax_error_pointing_inside_it(index, q):
    _result_or_syntax_error(index, q)


# -- file names -----------------------------------------------------------------------------

@given(name=st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_file_name_is_one_line_of_utf8_text_that_finds_the_file_again(name):
    path = Path(os.fsdecode(b"/reports/" + name))
    text = path_text(path)
    text.encode("utf-8")
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)
    assert text_path(text) == path


# -- the pages' parameters and headers --------------------------------------------------------

# names the pages read, url_for's own options and the paths' own names (each once failed a page:
# ?_method=, ?fmt= on /export.xlsx), with values from the query language and the pages' choices
PARAMETER_NAMES = ["q", "page", "per_page", "sort", "shape", "lang", "v", "ids", "by", "by2", "measure", "stat",
                   "rank", "order", "n", "cmp_field", "cmp_op", "cmp_value", "_method", "_external", "_anchor",
                   "_scheme", "fmt", "report_id", "key", "filename", "endpoint", "values"]
PARAMETER_PIECES = QUERY_PIECES + ["-year", "relevance", "sum", "mean", "count", "desc", "asc", "long", "panel",
                                   "reports", "csv", "json", "zh", "en", "grant_rate", "province", ",", "99999999999"]
# what a client can send in a header's value (HTTP folds no line breaks any more)
header_text = st.text(st.characters(blacklist_characters="\r\n"), max_size=20)
HEADERS = {"HX-Request": st.sampled_from(["true", "false", ""]), "Accept": st.sampled_from(["application/json", "*/*"]),
           "Accept-Encoding": st.sampled_from(["gzip", "br", "identity;q=0", "*"]),
           "Range": st.sampled_from(["bytes=0-10", "bytes=-5", "bytes=9-1", "bytes=0-0,2-2"]),
           "If-None-Match": header_text, "Cookie": header_text.map(lambda v: "lang=" + v),
           # a label of over 63 letters is no host name: werkzeug cannot build a URL for it
           "Host": st.sampled_from(["localhost", "a" * 64 + ".example", "[::1]:5000", "x y"])}
parameter_values = st.one_of(st.lists(st.sampled_from(PARAMETER_PIECES), max_size=4).map(" ".join), st.text(max_size=30))
query_strings = st.lists(st.tuples(st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(min_size=1, max_size=8)),
                                   parameter_values), max_size=6)
headers = st.dictionaries(st.sampled_from(sorted(HEADERS)), st.none()).flatmap(
    lambda names: st.fixed_dictionaries({name: HEADERS[name] for name in names}))


@pytest.fixture(scope="module")
def pages(tmp_path_factory, config):
    """The app over the corpus seeds, and a value for each of its paths' names."""
    from dataclasses import replace

    from indexer.ingest import ingest_paths
    from web import create_app
    data = tmp_path_factory.mktemp("pages") / "data"
    ingest_paths([ROOT / "corpus" / "seeds"], replace(config, data_dir=data))
    app = create_app({"XXGK_CONFIG": replace(config, data_dir=data)})
    client = app.test_client()
    hit = client.get("/api/search").get_json()["hits"][0]
    path_values = {"report_id": st.sampled_from([hit["id"], "0" * 16, "x"]),
                   "key": st.sampled_from([client.get(f"/api/reports/{hit['id']}").get_json()["agency_key"], "k"]),
                   "fmt": st.sampled_from(["csv", "json", "bib", "ris", "xlsx"]),
                   "filename": st.sampled_from(["htmx.min.js", "style.css", "../x", "none"])}
    rules = sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods), key=lambda rule: rule.rule)
    return client, rules, path_values


@given(data=st.data())
# cheap (~3 ms an example), and the 60 of the "ci" profile did not find the two defects above
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
          max_examples=max(400, settings.default.max_examples))
def test_any_query_string_and_headers_on_any_page_get_an_answer_not_a_server_error(pages, data):
    """Every GET route of the app, with any query names and values and a choice of hostile headers:
    a 2xx, 3xx or 4xx answer, never a 500 or an exception out of the app."""
    client, rules, path_values = pages
    rule = data.draw(st.sampled_from(rules))
    path = rule.rule
    for name in rule.arguments:
        value = data.draw(path_values.get(name, st.text(min_size=1, max_size=8)))
        path = path.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
        path = re.sub(r"<[^>]*:%s>" % name, value, path)
    response = client.get(path, query_string=data.draw(query_strings), headers=data.draw(headers))
    assert response.status_code < 500, (path, response.status_code)
    assert b"Traceback" not in response.get_data()


# -- files --------------------------------------------------------------------------------

# A parse gets this long and this much address space beyond what the forked child starts with.
PARSE_SECONDS = 60
EXTRA_MEMORY = 2 << 30


def parse_isolated(path: Path, data: bytes, config) -> tuple[str, str]:
    """Write ``data`` to ``path`` and parse it in a forked child: ("report", title), ("reader_error",
    message), ("crash", traceback) or ("hang", …) for a child killed after PARSE_SECONDS."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        outcome = ("crash", "the child died before answering")
        try:
            os.close(read_end)
            # the binary readers read the file, not the bytes handed to parse_file: write them
            path.write_bytes(data)
            limit = _address_space() + EXTRA_MEMORY
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                report = parse_file(path, config, data=data)
                outcome = ("report", str(report.title))
            except ReaderError as e:
                outcome = ("reader_error", str(e))
            except BaseException:  # noqa: BLE001 - what the test is looking for
                import traceback
                outcome = ("crash", traceback.format_exc())
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], PARSE_SECONDS)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            return ("hang", f"no answer after {PARSE_SECONDS} s")
        with os.fdopen(read_end, "rb") as answer:
            payload = answer.read()
    finally:
        os.waitpid(pid, 0)
    return pickle.loads(payload) if payload else ("crash", "the child died before answering (killed?)")


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _real_and_generated(tmp_path_factory) -> dict[str, list[Path]]:
    generated = tmp_path_factory.mktemp("generated")
    files = generate_corpus(4, generated, formats=("txt", "docx", "html", "pdf"), seed=31)
    corpus = [p for p in (ROOT / "corpus" / "real").iterdir() if p.suffix in (".txt", ".md", ".html", ".pdf")]
    # page scans, read by OCR: pages of the real PDF as a copier gives them, small so OCR is quick
    pages = scan_pages(ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf", dpi=100)
    scans = [generated / "page.png", generated / "page.jpg", generated / "page.heic"]
    pages[0].save(scans[0], "PNG")
    pages[1].save(scans[1], "JPEG")
    register_heif_opener()  # PIL writes HEIF once pillow-heif is registered (the readers register it on use)
    pages[2].convert("RGB").save(scans[2], "HEIF", quality=60)  # a phone's photo format, decoded by libheif
    # pages saved as one file: Chromium's of the real page, Word's of a generated one with a picture
    saved = [ROOT / "tests" / "fixtures" / "mhtml" / "fj_pingtan_2024_page.mhtml", generated / "word.mht"]
    page = next(p for p in files if p.suffix == ".html").read_text(encoding="utf-8")
    picture = io.BytesIO()
    pages[0].resize((400, 560)).save(picture, "PNG")
    saved[1].write_bytes(word_mht(page.replace('<meta charset="utf-8">', "").replace(
        "</body>", '<img src="report.files/image001.png"></body>'), {"report.files/image001.png": picture.getvalue()}))
    # OFD: the real PDF report and a generated one, as a converter writes them
    ofds = [generated / "hongze.ofd", generated / "generated.ofd"]
    ofds[0].write_bytes(pdf_to_ofd(ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"))
    ofds[1].write_bytes(pdf_to_ofd(next(p for p in files if p.suffix == ".pdf"), scaled=True))
    by_suffix: dict[str, list[Path]] = {}
    for path in sorted(corpus + files + scans + saved + ofds + sorted((ROOT / "corpus" / "seeds").glob("*.txt"))[:1]):
        by_suffix.setdefault(path.suffix, []).append(path)
    return by_suffix


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return _real_and_generated(tmp_path_factory)


def _truncate(data: bytes, draw) -> bytes:
    return data[:draw(st.integers(0, max(0, len(data) - 1)))]


def _flip(data: bytes, draw) -> bytes:
    if not data:
        return data
    blob = bytearray(data)
    for _ in range(draw(st.integers(1, 16))):
        at = draw(st.integers(0, len(blob) - 1))
        blob[at] = draw(st.integers(0, 255))
    return bytes(blob)


def _splice(data: bytes, draw) -> bytes:
    """A run of bytes copied over another place (repeated structure, overlapping records)."""
    if len(data) < 2:
        return data
    start = draw(st.integers(0, len(data) - 1))
    length = draw(st.integers(1, min(4096, len(data) - start)))
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + data[start:start + length] + data[at + length:]


def _zip_entries(data: bytes, draw) -> bytes:
    """A .docx or .ofd with entries removed, swapped or emptied (the zip itself stays well formed)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    names = [name for name, _ in entries]
    contents = dict(entries)
    action = draw(st.sampled_from(["remove", "swap", "empty", "flip"]))
    victim = draw(st.sampled_from(names))
    if action == "remove":
        del contents[victim]
    elif action == "swap":
        other = draw(st.sampled_from(names))
        contents[victim], contents[other] = contents[other], contents[victim]
    elif action == "empty":
        contents[victim] = b""
    else:
        contents[victim] = _flip(contents[victim], draw)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in contents.items():
            target.writestr(name, content)
    return out.getvalue()


MUTATIONS = {"truncate": _truncate, "flip": _flip, "splice": _splice}


def _check_file_mutation(samples, config, scratch: Path, suffix: str, data_strategy) -> None:
    path = data_strategy.draw(st.sampled_from(samples[suffix]))
    data = path.read_bytes()
    zipped = suffix in (".docx", ".ofd") and data_strategy.draw(st.booleans())
    if zipped:  # on the intact file: a byte flipped before would leave no zip to rewrite
        data = _zip_entries(data, data_strategy.draw)
    for _ in range(data_strategy.draw(st.integers(0 if zipped else 1, 3))):
        data = MUTATIONS[data_strategy.draw(st.sampled_from(sorted(MUTATIONS)))](data, data_strategy.draw)
    target = scratch / f"mutated{path.suffix}"
    outcome, detail = parse_isolated(target, data, config)
    assert outcome in ("report", "reader_error"), detail
    if outcome == "reader_error":
        assert detail.startswith(f"{target}: ") and "\n" not in detail, detail


# Fewer examples for the slow formats: the whole file test stays within ~60 s in `make test`.
def _file_test(suffix: str, share: float):
    @given(st.data())
    @settings(max_examples=max(5, int(settings.default.max_examples * share)),
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test(samples, config, tmp_path, data):
        _check_file_mutation(samples, config, tmp_path, suffix, data)
    test.__name__ = f"test_a_mutated_{suffix[1:]}_file_is_a_report_or_a_reader_error"
    return test


test_a_mutated_txt_file_is_a_report_or_a_reader_error = _file_test(".txt", 1)
test_a_mutated_md_file_is_a_report_or_a_reader_error = _file_test(".md", 0.5)
test_a_mutated_html_file_is_a_report_or_a_reader_error = _file_test(".html", 1)
test_a_mutated_docx_file_is_a_report_or_a_reader_error = _file_test(".docx", 1)
test_a_mutated_pdf_file_is_a_report_or_a_reader_error = _file_test(".pdf", 0.5)
test_a_mutated_mhtml_file_is_a_report_or_a_reader_error = _file_test(".mhtml", 0.5)
test_a_mutated_mht_file_is_a_report_or_a_reader_error = _file_test(".mht", 0.5)
test_a_mutated_ofd_file_is_a_report_or_a_reader_error = _file_test(".ofd", 1)
# a scan that still decodes is read by OCR (~1 s a page): the fewest
test_a_mutated_png_file_is_a_report_or_a_reader_error = _file_test(".png", 0.1)
test_a_mutated_jpg_file_is_a_report_or_a_reader_error = _file_test(".jpg", 0.1)
test_a_mutated_heic_file_is_a_report_or_a_reader_error = _file_test(".heic", 0.1)


def test_fuzz_findings_stay_fixed(config, tmp_path):
    """Every input the fuzzers of tests/fuzz/ crashed on (tests/fixtures/fuzz_<target>_crash-*),
    now a report or a reader error (a query: a result or a syntax error inside it)."""
    for path in sorted(FIXTURES.glob("fuzz_*")):
        target = path.name.split("_")[1]
        data = path.read_bytes()
        if target == "query":
            q = data.decode("utf-8", "replace")
            try:
                parse_query(q)
            except QuerySyntaxError as e:
                assert 1 <= e.position <= max(1, len(q)), (path.name, str(e))
            continue
        # parsed under the name the fuzzer gave it (tests/fuzz/fuzz.py, INPUT_SUFFIX: a scan is a .png)
        suffix = "png" if target == "image" else target
        outcome, detail = parse_isolated(tmp_path / f"input.{suffix}", data, config)
        assert outcome in ("report", "reader_error"), (path.name, detail)
