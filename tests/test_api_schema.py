"""schemathesis against /api/openapi.json on a real `xxgk serve` listening on loopback: every
operation with generated parameters, no server error, every response as the document says.

Bounded for `make test` (MAX_EXAMPLES per operation).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from indexer.ingest import ingest_paths
from server_helpers import running_server

ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = 40
# operations whose parameters are any string (a path's id or key): no request is outside their document
UNCONSTRAINED = ("/api/reports/{id}", "/api/agencies/{key}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, config):
    """`xxgk serve` on 127.0.0.1 over the corpus (seeds and real reports)."""
    data = tmp_path_factory.mktemp("api") / "data"
    ingest_paths([ROOT / "corpus" / "seeds", ROOT / "corpus" / "real"], replace(config, data_dir=data))
    with running_server(data, data.parent / "serve.log") as port:
        yield f"http://127.0.0.1:{port}"


def api_operations(server):
    """The document's operations, read with the project's schemathesis.toml (what `st run` from the
    project's folder reads: which 400s a schema-valid request may get)."""
    schema = schemathesis.openapi.from_url(server + "/api/openapi.json",
                                           config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"))
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_api_operation_answers_as_documented(server, mode):
    """Each operation of the document, its parameters generated from it (schemathesis's pytest
    plugin needs pytest internals pytest 9 removed, so its strategies are driven here): valid
    requests are answered (a malformed query's 400 aside, schemathesis.toml), requests outside the
    document refused with a 400, and every answer as documented."""
    operations = api_operations(server)
    # the document's own path has no parameters to vary: schemathesis leaves it out
    assert sorted(op.path for op in operations) == ["/api/agencies/{key}", "/api/compare", "/api/passages", "/api/reports/{id}",
                                                    "/api/search", "/api/stats"]
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.path in UNCONSTRAINED:
            continue
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # every check schemathesis runs by default: not a server error, status code, content
            # type and body as documented, valid data accepted, invalid data rejected
            case.call_and_validate(timeout=60)

        check()


def test_a_method_the_api_does_not_take_is_refused_with_the_ones_it_does(server):
    """HTTP's 405 names the allowed methods (Allow), which a JSON error answer must not drop."""
    for path in ("/api/search", "/api/reports/0123456789abcdef", "/api/agencies/370402/x"):
        response = requests.request("TRACE", server + path, timeout=30)
        assert response.status_code == 405
        assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
        assert response.json()["error"]


def test_the_api_refuses_parameters_outside_their_documented_values(server):
    """A number or switch the document does not allow is a 400 naming it, never quietly replaced."""
    for path, named in (("/api/search?q=公开&page=0", "page"), ("/api/search?per_page=201", "per_page"),
                        ("/api/search?rates=null", "rates"), ("/api/search?sort=", "sort"),
                        ("/api/passages?q=公开&page=x", "page"), ("/api/stats?n=", "n"),
                        ("/api/stats?measure=nope", "measure"), ("/api/stats?order=up", "order"),
                        ("/api/search?rates=1", "rates"), ("/api/search?page=01", "page"),
                        ("/api/search?q=公开&page=1&page=2", "page is given 2 times"),
                        ("/search.json?sort=year&sort=-year", "sort is given 2 times")):
        response = requests.get(server + path, timeout=30)
        assert response.status_code == 400, path
        assert named in response.json()["error"], path
    assert requests.get(server + "/api/search?q=公开&page=1&per_page=200&rates=true&agencies=false",
                        timeout=30).status_code == 200
