"""Meta-tests: the documentation cannot drift from the code.

- every command has help with an example and is documented in README.md;
- docs/report-format.md names every figure key, label and alias of the code;
- docs/flags.md names every flag code the code can raise, and no other;
- docs/query-language.md names every query field, and its error table is what the parser says;
- docs/data-directory.md names every table and column of the store;
- docs/architecture.md names every module under indexer/ and web/;
- every source path the pages name exists.
"""
from __future__ import annotations

import ast
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.aliases import ALIASES
from indexer.cli import cli
from indexer.figure_keys import (T2_2019_COLUMNS, T2_2019_ROWS, T2_2021_COLUMNS, T2_2021_ROWS, T3_COLUMNS, T3_GROUPS,
                                 T3_ROWS, T4_BLOCKS, T4_COLUMNS, all_figure_keys, figure_keys)
from indexer.query import FILTER_FIELDS, OPERATORS, QuerySyntaxError, parse_query
from indexer.store import Store

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = ("architecture.md", "report-format.md", "flags.md", "query-language.md", "data-directory.md")


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def mentions(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as a whole dotted name (t3.other is not inside t3.other.other)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text) is not None


# -- the command line --------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "--data" in result.output and "--config" in result.output


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_documented_in_readme(name):
    assert f"`xxgk {name}" in README


def test_readme_links_every_page():
    for name in PAGES:
        assert f"(docs/{name})" in README, name


# -- report-format.md --------------------------------------------------------------

def test_every_figure_key_is_in_report_format():
    text = page("report-format.md")
    missing = [key for key in all_figure_keys() if not mentions(text, key)]
    assert not missing, f"docs/report-format.md lacks {len(missing)} figure keys: {missing[:10]}"


def test_report_format_names_no_figure_key_the_code_lacks():
    """A key (or a row prefix of keys) written in the page is one the code has: catches typos and
    keys renamed in the code but not in the page."""
    keys = all_figure_keys()
    prefixes = {key.rsplit(".", n)[0] for key in keys for n in range(key.count("."))}
    named = set(re.findall(r"\bt[234](?:\.[a-z_]+)+", page("report-format.md")))
    assert named, "the pattern found no keys at all"
    unknown = sorted(name for name in named if name not in keys and name not in prefixes)
    assert not unknown


def test_key_counts_in_report_format_are_the_code_s():
    text = page("report-format.md")
    n2019, n2021, total = len(figure_keys("2019")), len(figure_keys("2021")), len(all_figure_keys())
    assert f"{total} keys in all ({n2019} in the 2019 format, {n2021} in the 2021 format)" in text
    assert f"({n2019} keys for 2019, {n2021} for\n2021" in text or f"({n2019} keys for 2019, {n2021} for 2021" in text


def _labels() -> set[str]:
    labels = set()
    for rows, columns in ((T2_2019_ROWS, T2_2019_COLUMNS), (T2_2021_ROWS, T2_2021_COLUMNS)):
        labels.update(article for article, _, _ in rows)
        labels.update(label for _, _, group in rows for _, label in group)
        labels.update(header for kind in columns.values() for _, header in kind)
    labels.update(label for rows in T3_ROWS.values() for _, label in rows)
    labels.update(T3_GROUPS.values())
    labels.update(header for _, header in (*T3_COLUMNS, *T4_BLOCKS, *T4_COLUMNS))
    return labels


def test_every_chinese_label_is_in_report_format():
    text = page("report-format.md")
    missing = sorted(label for label in _labels() if label not in text)
    assert not missing


def test_every_alias_is_defined_in_report_format():
    text = page("report-format.md")
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", text.split("## Aliases")[1].split("\n## ")[0], re.M)
    defined = {name for name, definition in rows if definition.strip()}
    assert defined == set(ALIASES)


# -- flags.md ------------------------------------------------------------------------

def _code_of(arg: ast.expr) -> str | None:
    """A flag code literal: "t3_balance", or f"missing_table_{n}" as missing_table_<n>."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "<n>" for part in arg.values)
    return None


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _comprehension_targets(node: ast.AST, parents: dict) -> set[str]:
    names = set()
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            names.update(n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name))
    return names


def _enclosing_function(node: ast.AST, parents: dict) -> ast.FunctionDef | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def emitted_flag_codes() -> set[str]:
    """Every flag code a ``Flag(...)`` call in indexer/ can make, read from the source.

    A code is a literal, an f-string (``missing_section_<n>``), or a parameter of the enclosing
    function, whose literal values are then read from every call of that function (checks.py's
    ``_parts_flag("t4_total", …)``). A Flag re-made from stored data (``Flag(**f)``, a code taken
    from a comprehension over stored codes) raises nothing new and is left out. Any other form
    fails the test, so a new way of raising a flag cannot slip past it.
    """
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "indexer").rglob("*.py"))}
    codes: set[str] = set()
    relay: set[tuple[str, int]] = set()  # (function name, position of the code parameter)
    for path, tree in trees.items():
        parents = _parents(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Flag"):
                continue
            arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            if arg is None:
                continue  # Flag(**stored): re-made from a stored report
            code = _code_of(arg)
            if code is not None:
                codes.add(code)
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert isinstance(arg, ast.Name), f"{where}: cannot read the flag code of this Flag call"
            if arg.id in _comprehension_targets(node, parents):
                continue  # Flag(code) for code in stored codes
            function = _enclosing_function(node, parents)
            params = [a.arg for a in function.args.args] if function else []
            assert arg.id in params, f"{where}: the flag code {arg.id!r} is neither a literal nor a parameter"
            relay.add((function.name, params.index(arg.id)))
    for name, position in relay:
        found = set()
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name and len(node.args) > position:
                    code = _code_of(node.args[position])
                    assert code is not None, f"{name}() is called with a flag code that is not a literal"
                    found.add(code)
        assert found, f"{name}() passes a flag code but no call of it was found"
        codes |= found
    return codes


def test_flag_code_enumeration_finds_the_known_codes():
    codes = emitted_flag_codes()
    # one raised by each kind of call: literal, f-string, code passed through a helper
    assert {"t3_balance", "narrative_mismatch", "region_ambiguous", "missing_table_<n>", "t4_total"} <= codes


def test_flags_raised_on_the_real_corpus_are_among_the_enumerated_ones():
    codes = emitted_flag_codes()
    seen = {re.sub(r"_\d$", "_<n>", flag["code"])
            for golden in (ROOT / "tests" / "golden").glob("*.json")
            for flag in json.loads(golden.read_text(encoding="utf-8")).get("flags", [])}
    assert seen and seen <= codes


def test_every_flag_code_is_documented():
    documented = set(re.findall(r"^### (\S+)$", page("flags.md"), re.M))
    missing = sorted(emitted_flag_codes() - documented)
    assert not missing, f"docs/flags.md has no section for {missing}"


def test_flags_md_documents_no_code_the_code_cannot_raise():
    documented = set(re.findall(r"^### (\S+)$", page("flags.md"), re.M))
    assert not documented - emitted_flag_codes()


def test_every_flag_the_web_explains_is_documented():
    from web.flag_text import FLAG_EXPLANATIONS
    documented = set(re.findall(r"^### (\S+)$", page("flags.md"), re.M))
    assert set(FLAG_EXPLANATIONS) <= documented


# -- query-language.md -------------------------------------------------------------

def test_every_query_field_is_documented():
    text = page("query-language.md")
    rows = set(re.findall(r"^\| `([a-z_]+):` \|", text, re.M))
    assert rows == set(FILTER_FIELDS)


def test_every_comparison_operator_is_documented():
    text = page("query-language.md")
    assert all(f"`{op}`" in text for op in OPERATORS)


def _error_rows() -> list[tuple[str, str]]:
    section = page("query-language.md").split("## Errors")[1].split("\n## ")[0]
    pairs = []
    for queries, messages in re.findall(r"^\| (`.+?`) \| (`.+`) \|$", section, re.M):
        split = lambda cell: [part.strip()[1:-1] for part in cell.split(" / ")]  # noqa: E731
        pairs += list(zip(split(queries), split(messages), strict=True))
    return pairs


ERROR_ROWS = _error_rows()


def test_the_error_table_is_not_empty():
    assert len(ERROR_ROWS) >= 15


@pytest.mark.parametrize("query,message", ERROR_ROWS, ids=[q for q, _ in ERROR_ROWS])
def test_documented_query_errors_are_the_parser_s(query, message):
    """Each row of the page's error table is what the parser says (… stands for a shortened list)."""
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    pattern = ".*".join(re.escape(part) for part in message.split("…"))
    assert re.fullmatch(pattern, str(error.value)), str(error.value)


# -- data-directory.md -------------------------------------------------------------

def test_every_store_table_and_column_is_documented(tmp_path):
    Store.open(tmp_path).close()
    text = page("data-directory.md")
    db = sqlite3.connect(tmp_path / "reports.sqlite")
    objects = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view', 'index')"
                         " AND name NOT LIKE 'sqlite_%'").fetchall()
    assert objects
    missing = []
    for (name,) in objects:
        if f"`{name}" not in text:
            missing.append(name)
        missing += [f"{name}.{row[1]}" for row in db.execute(f"PRAGMA table_info({name})") if f"`{row[1]}`" not in text]
    db.close()
    assert not missing


# -- architecture.md -------------------------------------------------------------------

MODULES = sorted(str(p.relative_to(ROOT)) for folder in ("indexer", "web") for p in (ROOT / folder).rglob("*")
                 if p.suffix in (".py", ".c") and "__pycache__" not in p.parts)


def test_modules_are_found():
    assert "indexer/parse.py" in MODULES and "web/__init__.py" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_in_architecture(module):
    assert f"`{module}`" in page("architecture.md")


def test_every_source_path_the_docs_name_exists():
    named = set()
    for text in (README, *(page(name) for name in PAGES)):
        named.update(re.findall(r"(?<![\w/])(?:indexer|web|tests)/[\w/]+\.\w+", text))
    assert named
    assert not sorted(path for path in named if not (ROOT / path).exists())
