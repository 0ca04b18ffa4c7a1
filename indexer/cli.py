"""The `xxgk` command line: a thin layer over the library.

Commands parse options, call one library function and turn its exceptions
into one clear line (no tracebacks). Terminal output lives only here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import ConfigError, load_config
from .errors import XxgkError


def _config(config_path, data_dir=None):
    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    if data_dir:
        from dataclasses import replace
        config = replace(config, data_dir=Path(data_dir).resolve())
    return config


def common_options(func):
    """--data and --config, taken by every command."""
    func = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        help="config file (default: the project's config.toml)")(func)
    func = click.option("--data", "data_dir", type=click.Path(file_okay=False),
                        help="data directory holding the index and stored files (default: from config.toml)")(func)
    return func


@click.group()
@click.version_option(package_name="xxgk-search")
def cli():
    """xxgk: parse, index and search 政府信息公开工作年度报告."""


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print the canonical report as JSON")
@click.option("--strict", is_flag=True, help="exit 1 when the report has any flag")
@common_options
def parse(file, as_json, strict, data_dir, config_path):
    """Parse one report file and print it; index nothing.

    A report missing one of the three tables is still printed, with its
    problem on stderr and exit code 1.

    Example: xxgk parse corpus/seeds/000_7eb9f2b2a221df7d.txt --json
    """
    from .parse import parse_file
    from .summary import report_summary

    config = _config(config_path, data_dir)
    if not Path(file).exists():
        raise click.ClickException(f"{file}: no such file")
    try:
        report = parse_file(file, config)
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(report_summary(report))
    missing = [f.code for f in report.flags if f.code.startswith("missing_table_")]
    if missing:
        click.echo(f"{file}: {', '.join(missing)} (the report is missing a table)", err=True)
        sys.exit(1)
    if strict and report.flags:
        sys.exit(1)


def main(argv=None):
    cli.main(args=argv, prog_name="xxgk")


if __name__ == "__main__":
    main()
