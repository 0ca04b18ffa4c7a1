"""A data directory for the web tests: corpus/ (seeds + real reports) plus the
injection fixture, ingested with the real pipeline (indexer.ingest)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from indexer.config import Config, load_config
from indexer.ingest import ingest_paths

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A copy of seed 001 with `<script>alert(1)</script>` and `"onmouseover=alert(1) x="`
# injected into its title (so its agency) and into part 1's text.
XSS_REPORT = FIXTURES / "xss_injected_agency_and_text.txt"
WEB_INPUTS = (CORPUS / "seeds", CORPUS / "real", XSS_REPORT)
MISSION_QUERY = "type:信访 year:2020 procurement_count>0"


def build_web_data(data_dir: Path) -> Config:
    """Ingest the web test corpus into ``data_dir``; the config pointing at it.

    :raises AssertionError: a file failed to ingest (the tests need all of them).
    """
    config = replace(load_config(), data_dir=Path(data_dir))
    summary = ingest_paths(list(WEB_INPUTS), config)
    assert not summary.failed, summary.failed
    return config
