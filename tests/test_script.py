"""Reports written in traditional characters (a site's 繁體 pages, a big5 gateway, a mirror) are
read as their simplified originals are: the real reports, turned traditional by OpenCC's s2t,
give their goldens' figures, parts and metadata, with the flag ``script_converted``."""
from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest

from indexer.parse import parse_file
from indexer.script import is_traditional
from meta_helpers import GOLDEN_FILES, ROOT

TO_TRADITIONAL = opencc.OpenCC("s2t")
GOLDEN = ROOT / "tests" / "golden"
REAL = ["fj_pingtan_2022_page.txt", "fj_pingtan_2024_page.html", "sh_kewei_2024_source.md",
        "js_huaian_hongze_2023_hzq2023_working.pdf"]
METADATA = ("title", "agency", "agency_key", "year", "template", "region", "level", "agency_type", "published")


def _in_traditional(source: Path, target: Path, encoding: str = "utf-8") -> Path:
    text = TO_TRADITIONAL.convert(source.read_text(encoding="utf-8"))
    if encoding != "utf-8":
        text = text.replace('charset="utf-8"', f'charset="{encoding}"').replace("charset=utf-8", f"charset={encoding}")
    target.write_bytes(text.encode(encoding, errors="xmlcharrefreplace"))
    return target


@pytest.mark.parametrize("name", [n for n in REAL if not n.endswith(".pdf")] + ["001_c79327e4fbc2ded3.txt"])
def test_a_real_report_in_traditional_characters_reads_as_the_original(name, tmp_path):
    source = next(p for p in (ROOT / "corpus" / "real" / name, ROOT / "corpus" / "seeds" / name) if p.exists())
    original = parse_file(source)
    report = parse_file(_in_traditional(source, tmp_path / name))
    assert report.figures == original.figures
    assert [(s.n, s.heading) for s in report.sections] == [(s.n, s.heading) for s in original.sections]
    if source.suffix != ".html":  # a page keeps a few more menu words of its 繁體 template before part 一
        assert [(s.start, s.end) for s in report.sections] == [(s.start, s.end) for s in original.sections]
    assert {f: getattr(report, f) for f in METADATA} == {f: getattr(original, f) for f in METADATA}
    (flag,) = [f for f in report.flags if f.code == "script_converted"]
    assert flag.detail.startswith("written in traditional characters: read as simplified (OpenCC t2s, ")
    assert [f.code for f in report.flags if f.code != "script_converted"] == [f.code for f in original.flags]


def test_a_big5_page_from_a_government_gateway(tmp_path):
    """big5.*.gov.cn gateways serve a site's pages converted, in Big5."""
    source = ROOT / "corpus" / "real" / "fj_pingtan_2024_page.html"
    page = _in_traditional(source, tmp_path / "page.html", encoding="big5")
    assert b"charset" in page.read_bytes()[:4096]
    report = parse_file(page)
    golden = json.loads((GOLDEN / "fj_pingtan_2024_page.json").read_text(encoding="utf-8"))
    assert report.figures == golden["figures"]
    assert any(f.code == "script_converted" for f in report.flags)


def test_simplified_reports_are_left_as_they_are():
    for golden in GOLDEN_FILES:
        text = (ROOT / json.loads(golden.read_text(encoding="utf-8"))["file"]).read_bytes()[:20000]
        assert not is_traditional(text.decode("utf-8", errors="ignore"))
    assert not any(f.code == "script_converted" for f in parse_file(ROOT / "corpus" / "real" / REAL[0]).flags)
    # a simplified report quoting a traditional title is simplified still
    seed = (ROOT / "corpus" / "seeds" / "001_c79327e4fbc2ded3.txt").read_text(encoding="utf-8")
    assert not is_traditional(seed[:300] + "转载《國務院公報》文章3篇，《臺灣地區標準題錄》1篇。" + seed[300:])
    assert is_traditional(TO_TRADITIONAL.convert(seed))
