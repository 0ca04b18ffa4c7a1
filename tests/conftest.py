"""Fixtures shared by every test file: the corpus, the config, the browser."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.config import load_config

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = sorted((CORPUS / "seeds").glob("*.txt"))
REAL = sorted(p for p in (CORPUS / "real").iterdir()
              if p.suffix in (".txt", ".md", ".pdf") and not p.name.startswith("README"))
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    """The nine real reports of corpus/: five seeds and four real reports."""
    return SEEDS + REAL


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a downloaded browser; no network chatter."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }
