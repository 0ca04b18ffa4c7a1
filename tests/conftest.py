"""Fixtures shared by every test file: the corpus, the config, the browser."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.collection import Collection
from indexer.config import load_config
from web import create_app
from web_helpers import build_web_data

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


# The web tests' data directory: corpus/ ingested once per test module (tests/web_helpers.py).
@pytest.fixture(scope="module")
def web_config(tmp_path_factory):
    return build_web_data(tmp_path_factory.mktemp("web-data"))


@pytest.fixture(scope="module")
def collection(web_config):
    opened = Collection.open(web_config)
    yield opened
    opened.close()


@pytest.fixture
def app(web_config):
    return create_app({"TESTING": True, "XXGK_CONFIG": web_config})


@pytest.fixture
def client(app):
    return app.test_client()
