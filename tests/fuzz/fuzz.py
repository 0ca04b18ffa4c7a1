"""Coverage-guided fuzzing (atheris) of one reader or the query parser: `make fuzz` runs each.

    python tests/fuzz/fuzz.py TARGET [libFuzzer options, e.g. -max_total_time=120]

TARGET: txt, md, html, mhtml (a page saved as one file), docx, pdf, ofd, doc (needs LibreOffice), image
(a page scan or photo: PNG, JPEG, TIFF, HEIC; read by OCR) or query.
A file target starts from the real reports of corpus/ and generated ones of its format (image: pages
of the real PDF report as a copier scans them, PNG, JPEG, TIFF and HEIC); an input is a crash when parsing it
raises anything but a ReaderError (a query: anything but a QuerySyntaxError, or a column outside
the query). libFuzzer writes each crash to the -artifact_prefix given (make fuzz: tests/fixtures/
fuzz_TARGET_crash-*), where tests/test_hostile.py replays it for ever after.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["indexer"]):
    from indexer.config import load_config
    from indexer.errors import ReaderError
    from indexer.generate import generate_corpus
    from indexer.parse import parse_file
    from indexer.query import QuerySyntaxError, compile_plan, parse_query, plan_to_query
    from indexer.index import build_schema

FILE_TARGETS = ("txt", "md", "html", "mhtml", "docx", "pdf", "ofd", "doc", "image")
# the name an input is written under (the readers choose by the first bytes where they tell)
INPUT_SUFFIX = {"image": "png"}
SCANNED_PDF = ROOT / "corpus" / "real" / "js_huaian_hongze_2023_hzq2023_working.pdf"
CONFIG = load_config()
SCHEMA = build_schema()


def seeds(target: str, folder: Path) -> None:
    """The starting inputs: corpus files of the format, and generated ones."""
    found = [p for p in (ROOT / "corpus").rglob(f"*.{target}") if not p.name.startswith("README")]
    if target in ("txt", "docx", "html", "pdf"):
        found += generate_corpus(3, folder / "generated", formats=(target,), seed=41)
    if target == "mhtml":  # Chromium's save of the real page (tests/fixtures/mhtml/), and Word's of generated ones
        sys.path.insert(0, str(ROOT / "tests"))
        from mhtml_helpers import word_mht

        found += sorted((ROOT / "tests" / "fixtures" / "mhtml").glob("*.mhtml"))
        for i, page in enumerate(generate_corpus(2, folder / "generated", formats=("html",), seed=41)):
            (folder / f"word{i}.mht").write_bytes(word_mht(page.read_text(encoding="utf-8"), {}))
            found.append(folder / f"word{i}.mht")
    if target == "ofd":  # the real PDF report and generated ones as a converter writes them as OFD
        sys.path.insert(0, str(ROOT / "tests"))
        from ofd_helpers import pdf_to_ofd

        for i, pdf in enumerate([SCANNED_PDF, *generate_corpus(2, folder / "generated", formats=("pdf",), seed=41)]):
            (folder / f"converted{i}.ofd").write_bytes(pdf_to_ofd(pdf, scaled=i == 2))
            found.append(folder / f"converted{i}.ofd")
    if target == "md":  # the seeds hold markdown tables converted from PDF too
        found += sorted((ROOT / "corpus" / "seeds").glob("*.txt"))
    if target == "image":  # pages as a copier gives them; small, so that OCR runs often
        from indexer.ocr.copier import scan_pages

        from pillow_heif import register_heif_opener

        register_heif_opener()  # a phone's HEIC photo too, decoded by libheif
        pages = scan_pages(SCANNED_PDF, dpi=100)
        for fmt, page in zip(("PNG", "JPEG", "TIFF", "HEIF"), pages):
            page.convert("RGB").save(folder / f"page.{fmt.lower()}", fmt)
        found += sorted(p for p in folder.iterdir() if p.name.startswith("page."))
    if target == "doc":  # Word 97 files made from generated .docx by LibreOffice itself
        made = generate_corpus(2, folder / "generated", formats=("docx",), seed=41)
        subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", str(folder / "doc"),
                        *map(str, made)], check=True, capture_output=True, timeout=300)
        found += sorted((folder / "doc").glob("*.doc"))
    for i, path in enumerate(found):
        (folder / f"seed{i}").write_bytes(path.read_bytes())


def file_target(target: str, folder: Path):
    # the binary readers read the file itself, not bytes handed to them: each input is written
    name = folder / f"input.{INPUT_SUFFIX.get(target, target)}"

    def test_one_input(data: bytes) -> None:
        name.write_bytes(data)
        try:
            parse_file(name, CONFIG, data=data)
        except ReaderError as e:
            if "\n" in str(e):
                raise AssertionError(f"a reader error of more than one line: {e!r}") from None
    return test_one_input


def query_target(data: bytes) -> None:
    q = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(256)
    try:
        node = parse_query(q)
    except QuerySyntaxError as e:
        if not 1 <= e.position <= max(1, len(q)):
            raise AssertionError(f"column {e.position} outside the query {q!r}") from None
        return
    plan_to_query(compile_plan(node), SCHEMA)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in FILE_TARGETS + ("query",):
        sys.exit(f"usage: {argv[0]} {{{','.join(FILE_TARGETS)},query}} [libFuzzer options]")
    target, options = argv[1], argv[2:]
    corpus = Path(tempfile.mkdtemp(prefix=f"xxgk-fuzz-{target}-"))
    if target == "query":
        for i, q in enumerate(["信访 year:2020", 'type:"信访" OR -s3:公开', "applications>=10 (a OR b)"]):
            (corpus / f"seed{i}").write_text(q, encoding="utf-8")
        test_one_input = query_target
    else:
        seeds(target, corpus)
        test_one_input = file_target(target, Path(tempfile.mkdtemp(prefix=f"xxgk-fuzz-{target}-input-")))
    atheris.Setup([argv[0], *options, str(corpus)], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
