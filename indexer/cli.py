"""The `xxgk` command line: a thin layer over the library.

Commands parse options, call one library function and turn its exceptions
into one clear line (no tracebacks). Terminal output lives only here.
Each command imports what it needs when it runs: `xxgk --help` and a search
do not load the parsers, tantivy or Flask they never use.
The CLI is the program itself, above both the library (indexer) and the web
app (web): it is the one module of indexer that may import web.
"""
from __future__ import annotations

import errno
import json
import os
import sys
import traceback
from dataclasses import replace
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
        config = replace(config, data_dir=Path(data_dir).resolve())
    return config


def _reading_config(config_path, data_dir=None):
    """``_config`` for a command that reads a collection once (search, export): a data
    directory that is not there is a mistyped --data or an ingest not yet run, never an empty
    collection to make there (answering "0 reports match" from it)."""
    config = _config(config_path, data_dir)
    if not config.data_dir.is_dir():
        raise click.ClickException(f"{config.data_dir}: no data directory there; ingest reports into it first: "
                                   f"xxgk ingest PATH --data {config.data_dir}")
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
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="print the canonical report as JSON")
@click.option("--strict", is_flag=True, help="exit 1 when the report has any flag")
@common_options
def parse(file, as_json, strict, data_dir, config_path):
    """Parse one report file and print it; index nothing.

    A report missing one of the three tables is still printed, with its
    problem on stderr and exit code 1.

    Example: xxgk parse corpus/seeds/000_7eb9f2b2a221df7d.txt --json
    """
    from .summary import report_summary  # on use: start-up time

    config = _config(config_path, data_dir)
    try:
        report = _parse_path(Path(file), config)
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


def _parse_path(path: Path, config):
    """The report in a file, or in an archive's member that ``path`` names as ingest records it
    (``…/2020年报.zip/年报/报告0.txt``). A scan is OCR'd afresh: parse writes nothing, not even a cache."""
    from .archives import member_at, member_copy, read_member
    from .parse import parse_file

    located = None if path.exists() else member_at(path)
    if located is None:
        return parse_file(path, config)
    archive, member = located
    data = read_member(archive, member, path)
    with member_copy(path, data) as copy:
        return parse_file(copy, config, data=data, source_path=path)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--prune", is_flag=True,
              help="drop reports whose every source file is gone (anywhere, not only under PATHS)")
@click.option("--reindex", is_flag=True,
              help="first rebuild the search index from the stored reports (after an upgrade changed it)")
@click.option("--reparse", is_flag=True,
              help="first parse every stored report again with this version, from the store's copy of its file "
                   "(after an upgrade that reads reports better)")
@common_options
def ingest(paths, prune, reindex, reparse, data_dir, config_path):
    """Add or update the reports in PATHS (directories recurse).

    Unchanged files are skipped by hash; the same file under another name is
    recorded as a duplicate, not a second report; an edited file is a new
    report (--prune then drops the old version). A file that cannot be read
    is listed with its reason and the others go on; the exit code is 0 unless
    nothing at all could be ingested. Interrupting keeps every committed batch:
    rerun to finish. XXGK_BATCH_SIZE sets reports per commit (default 10000).

    Example: xxgk ingest corpus/ ~/Downloads/reports --prune
    """
    from tqdm import tqdm  # on use: start-up time

    from .candidates import WALKED_SUFFIXES
    from .ingest import ingest_paths, rebuild_index, reparse_stored
    from .summary import reparse_lines, untyped_summary

    if not paths and not (prune or reindex or reparse):
        raise click.UsageError("give at least one PATH (or --prune / --reindex / --reparse alone)")
    config = _config(config_path, data_dir)
    bars = {}

    def progress_bar(unit):
        def progress(done, total, pages=0):
            if unit not in bars:
                bars[unit] = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, disable=None)
            if pages:
                bars[unit].set_postfix_str(f"{pages} pages OCR'd", refresh=False)
            bars[unit].update(done - bars[unit].n)
        return progress

    try:
        if reindex:
            count = rebuild_index(config, progress=progress_bar("report"))
            click.echo(f"reindexed {count} reports from {config.data_dir}")
        if reparse:
            reparsed = reparse_stored(config, progress=progress_bar("report parsed again"))
            for line in reparse_lines(reparsed, config.data_dir):
                click.echo(line)
            for path, reason in reparsed.failed:
                click.echo(f"failed: {path}: {reason} (kept as it was)", err=True)
        if not paths and not prune:
            return
        summary = ingest_paths(paths, config, prune=prune, progress=progress_bar("file"))
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt:
        click.echo("\ninterrupted: every committed batch is kept; run the same command again to finish", err=True)
        sys.exit(130)
    finally:
        for bar in bars.values():
            bar.close()
    click.echo(f"ingested {summary.ingested} (flagged {summary.flagged}), skipped {summary.skipped} unchanged, "
               f"failed {len(summary.failed)}, duplicates {summary.duplicates}, pruned {summary.pruned}"
               f"  [{summary.files} files -> {config.data_dir}]")
    for line in untyped_summary(summary.untyped):
        click.echo(line)
    for path, reason in summary.failed:
        click.echo(f"failed: {path}: {reason}", err=True)
    if paths and summary.files == 0:
        raise click.ClickException(f"no report files found under {', '.join(paths)} "
                                   f"(looked for {', '.join(sorted(WALKED_SUFFIXES))})")
    if summary.files and len(summary.failed) == summary.files:
        raise click.ClickException("no file could be ingested (see the reasons above)")
    if summary.failed:
        click.echo(f"{len(summary.failed)} file(s) failed; every other file was ingested.", err=True)


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="print the result object (docs/query-language.md) as JSON")
@click.option("--limit", type=click.IntRange(1, 1000), default=None,
              help="hits per page (default: config.toml's web.page_size)")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="page number")
@click.option("--sort", default="relevance", show_default=True,
              help="relevance, year, -year, or an alias or figure key ('-' first for descending)")
@click.option("--rates", is_flag=True, help="also count each rate's buckets as a facet (grant_rate, …)")
@click.option("--agencies", is_flag=True, help="also count the agency keys as a facet (agency)")
@click.option("--explain", is_flag=True, help="print the parsed query and its compiled plan; search nothing")
@common_options
def search(query, as_json, limit, page, sort, rates, agencies, explain, data_dir, config_path):
    """Search the indexed reports; print hits with snippets and facet counts.

    QUERY uses the search language: words, "phrases", OR, -word, year:2020,
    year:2019..2021, type:信访, province:…, city:…, county:…, level:county,
    agency:…, template:2021, flag:t3_balance, section:5, synthetic:false and
    comparisons on aliases and figure keys (procurement_count>0,
    t4.review.corrected>=1). An empty QUERY ("") matches every report.

    Example: xxgk search 'type:信访 year:2020 procurement_count>0'
    """
    from .query import explain as explain_query  # on use: start-up time (see the module's docstring)

    if explain:
        try:
            click.echo(explain_query(query))
        except XxgkError as e:
            raise click.ClickException(str(e)) from None
        return
    from .collection import Collection  # on use: start-up time
    from .search import results_to_text

    config = _reading_config(config_path, data_dir)
    try:
        # the index alone answers a search (hits carry what they show); the store is not opened
        collection = Collection.open(config, store=False)
        result = collection.search(query, page=page, per_page=limit or config.page_size, sort=sort, rates=rates,
                                   agencies=agencies)
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    if not as_json:
        click.echo(results_to_text(result))
        return
    from web.urls import with_links  # on use: only the JSON's hits carry the web's links to their reports

    click.echo(json.dumps(with_links(result).to_builtins(), ensure_ascii=False, indent=1))


@cli.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="CSV (UTF-8 with BOM, for Excel) or a JSON list")
@click.option("--passages", is_flag=True,
              help="one CSV row per matching sentence instead (id, agency, year, part, heading, offset, "
                   "sentence, url)")
@click.option("--panel", is_flag=True,
              help="one row per agency_key and year (the agency panel's report for that year, duplicate_year, "
                   "the other report ids), then every alias and rate")
@click.option("--long", "long_", is_flag=True,
              help="one row per report and alias, rate or figure key: report_id, agency_key, year, key, value")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="write to FILE instead of stdout (FILE.part, renamed to FILE when whole; a pipe or "
                   "device is written directly, a symbolic link's file through it)")
@common_options
def export(query, fmt, passages, panel, long_, output, data_dir, config_path):
    """Export the figures of every report matching QUERY, one row per report.

    Columns: id, agency, year, region, level, type, template, title, published,
    synthetic, flags, then every alias and every figure key. Blank cells stay
    empty (never 0). An empty QUERY ("") exports every report.

    --passages: every sentence of the matching reports where QUERY's words
    stand, as CSV; url is the report page's path at that sentence.

    --panel / --long: the shapes Stata, R and pandas read (docs/report-format.md#panel-export).

    Example: xxgk export 'type:信访 year:2020' --format csv -o xinfang2020.csv
    Example: xxgk export 'section:3 不予公开' --passages -o refusals.csv
    Example: xxgk export 'province:山东省' --panel -o panel.csv
    """
    from .collection import Collection  # on use: start-up time

    config = _reading_config(config_path, data_dir)
    if passages and fmt != "csv":
        raise click.UsageError("--passages exports CSV only (leave out --format json)")
    # two flags, not one option with two values, so that asking for both is told rather than the last kept
    chosen = [name for name, given in (("passages", passages), ("panel", panel), ("long", long_)) if given]
    if len(chosen) > 1:
        raise click.UsageError(f"--{chosen[0]} and --{chosen[1]} are two different exports: choose one")
    shape = "panel" if panel else "long" if long_ else None
    try:
        collection = Collection.open(config)
        if passages:
            from web.urls import passage_url  # on use: the rows carry the web's addresses of their sentences

            chunks = iter([collection.passages_csv(query, lambda p: passage_url(p, query))])
        else:
            chunks = collection.export_chunks(query, fmt, shape or "reports")
        if output:
            _write_export(Path(output), chunks)
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)  # bytes go to the binary stream untouched (the BOM stays)
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        if not output:
            raise  # stdout's: main() tells a failed write, and click ends quietly where the reader is gone (| head)
        raise click.ClickException(f"{output}: cannot write the export ({e.strerror or e})") from None


def _write_export(output: Path, chunks) -> None:
    """Write the export's chunks to ``output``: to a file, beside it and renamed over it at the end,
    so that a failed export leaves no half file; through a symbolic link to the file it names (the
    link stays); to a device or a pipe (/dev/stdout, a FIFO) directly, since a rename would put a
    file in its place."""
    direct = output.exists() and not output.is_file()
    target = output.resolve() if output.is_symlink() and not direct else output
    written = target if direct else target.with_name(target.name + ".part")
    with written.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    if not direct:
        written.replace(target)


@cli.command()
@click.option("--n", "n", type=click.IntRange(min=20), default=1000, show_default=True,
              help="how many synthetic reports to generate and ingest")
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="keep the generated corpus and data directory here: a new or empty folder, or one an "
                   "earlier bench used (default: a temporary folder)")
@click.option("--queries-only", is_flag=True,
              help="time the query kinds alone over --data's collection, as ingested (no generating, no ingest)")
@common_options
def bench(n, as_json, workdir, queries_only, data_dir, config_path):
    """Benchmark parsing, indexing and queries over N generated reports.

    Generates N synthetic reports in a temporary folder, ingests them into a
    temporary data directory (never --data's) and times every stage and query kind.
    With --queries-only, times the query kinds over the collection in --data instead.

    Example: xxgk bench --n 1000 --json
    """
    from tqdm import tqdm  # on use: start-up time

    from .bench import bench_to_text, query_bench_to_text, run_bench, run_query_bench

    config = _config(config_path, data_dir)
    bars = {}

    def progress(stage, done, total):
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars[stage] = tqdm(total=total, desc=stage, unit="step", file=sys.stderr, disable=None)
        bars[stage].update(done - bars[stage].n)

    try:
        if queries_only:
            result = run_query_bench(config, progress=progress)
        else:
            result = run_bench(n, config, workdir=workdir, progress=progress,
                               on_problem=lambda line: click.echo(f"warning: {line}", err=True))
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    finally:
        for bar in bars.values():
            bar.close()
    text = query_bench_to_text if queries_only else bench_to_text
    click.echo(json.dumps(result, ensure_ascii=False, indent=1) if as_json else text(result))


@cli.command()
@click.option("--host", default=None,
              help="address to listen on (default: config.toml's web.host, 127.0.0.1: this machine only)")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="port to listen on (default: config.toml's web.port)")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="gunicorn worker processes (default: 2 per core plus one, at most 8)")
@click.option("--dev", is_flag=True, help="Flask's development server, restarting when the code changes")
@click.option("--response-cache/--no-response-cache", default=True, show_default=True,
              help="share answers between the workers until the next commit (docs/serving.md)")
@click.option("--get", "get_path", metavar="PATH",
              help="render PATH (e.g. '/?q=信访') through the app's test client, print it and exit")
@common_options
def serve(host, port, workers, dev, response_cache, get_path, data_dir, config_path):
    """Run the web front end (search, reports, stats, JSON API) under gunicorn.

    Pre-forked workers each open the data directory and see new ingests
    without a restart; requests are size- and time-limited; one access-log
    line per request goes to stderr (docs/serving.md).

    With --get, nothing listens: the page is rendered in-process and printed,
    and the exit code is 1 when the status is 400 or above (smoke tests).

    Example: xxgk serve --port 8000 --workers 4

    Example: xxgk serve --get '/api/search?q=type:信访'
    """
    from web import create_app  # on use: start-up time (Flask)
    from web.collection import EXTENSION, get_collection

    # a server may start before the first ingest feeds it: its data directory is made if missing
    config = _config(config_path, data_dir)
    try:
        app = create_app({"XXGK_CONFIG": config})
        with app.app_context():  # open the store and index now: a broken data directory fails here, in one line
            get_collection()
    except (ConfigError, XxgkError) as e:
        raise click.ClickException(str(e)) from None
    if get_path:
        response = app.test_client().get(get_path)
        click.echo(response.get_data(as_text=True))
        if response.status_code >= 400:
            sys.exit(1)
        return
    host, port = host or config.host, port or config.port
    from web.serving import check_listen, default_workers, run_gunicorn

    try:
        check_listen(host, port)
    except XxgkError as e:
        raise click.ClickException(str(e)) from None
    if dev:
        app.run(host=host, port=port, threaded=True, use_reloader=True, use_debugger=False)
        return
    # The check above ran in this process; each worker opens its own after the fork.
    app.extensions[EXTENSION].close()
    run_gunicorn(lambda cache_dir: create_app({"XXGK_CONFIG": config, "XXGK_RESPONSE_CACHE": cache_dir}),
                 host, port, workers or default_workers(), response_cache)


@cli.command()
@click.option("--n", "n", type=click.IntRange(min=0), required=True, help="how many reports to write")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="folder to write them to (created if missing)")
@click.option("--formats", default="txt,docx,html,pdf", show_default=True,
              help="comma-separated formats, used in turn: txt, docx, html, pdf")
@click.option("--seed", type=int, default=0, show_default=True, help="the same seed writes the same files")
@click.option("--faults", "fault_share", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="share of reports with planted inconsistencies (recorded in their flags)")
@common_options
def generate(n, out_dir, formats, seed, fault_share, data_dir, config_path):
    """Write N synthetic reports, each beside <name>.json, the canonical report it must parse to.

    Report i is written in the i-th format of --formats (round robin). The
    folder gets a .xxgk-synthetic marker, so ingesting it marks every report synthetic.

    Example: xxgk generate --n 100 --out /tmp/syn --formats txt,pdf --seed 3
    """
    from .generate import GenerateError, generate_corpus  # on use: start-up time

    config = _config(config_path, data_dir)
    chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    try:
        paths = generate_corpus(n, out_dir, chosen, seed, config=config, fault_share=fault_share)
    except GenerateError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"{out_dir}: cannot write ({e.strerror or e})") from None
    click.echo(f"wrote {len(paths)} reports and their ground truth to {out_dir}")


def main(argv=None):
    """The command line: click's, with a failed write of the output (stdout on a full disk, a
    closed reader, an encoding that has no Chinese) said in one line rather than a traceback
    (click itself handles only a reader gone away, EPIPE, and only while it writes)."""
    try:
        try:
            cli.main(args=argv, prog_name="xxgk")
        finally:
            sys.stdout.flush()  # what is still buffered is written here, where its failure can be told
    except (OSError, UnicodeEncodeError) as e:
        if not _writing_stdout(e):
            raise
        # what the failed write left in the buffer must not be written again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(e, UnicodeEncodeError):  # PYTHONIOENCODING or a locale that has no Chinese
            click.echo(f"Error: the output's encoding ({e.encoding}) cannot write Chinese: "
                       "set PYTHONIOENCODING=utf-8 or a UTF-8 locale", err=True)
        elif e.errno != errno.EPIPE:  # a reader gone away (| head) is no error to tell of
            click.echo(f"Error: cannot write the output ({e.strerror or e})", err=True)
        sys.exit(1)


def _writing_stdout(error: Exception) -> bool:
    """Whether ``error`` came from writing the output: in click.echo, or in main's final flush."""
    last = traceback.extract_tb(error.__traceback__)[-1]
    return ((last.name == "echo" and Path(last.filename).parent.name == "click")
            or (last.name == "main" and last.filename == __file__))


if __name__ == "__main__":
    main()
