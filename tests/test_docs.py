"""Meta-tests: every command has help with an example and is documented in README.md."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "--data" in result.output and "--config" in result.output


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_documented_in_readme(name):
    assert f"`xxgk {name}" in README
