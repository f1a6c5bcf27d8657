"""Read an uploaded cohort file (CSV or XLSX) or JSON rows into a streamed :class:`Table`.

Registrars export from Excel: CSV in UTF-8 (with or without BOM) or, on Chinese Windows,
GB18030/GBK; or the XLSX itself. Everything a client can get wrong here (a binary file, an
encoding we cannot read, an XLSX bomb, too many rows) is a :class:`BatchInputError` with a status
and a message that names the limit, the row or the column, never a 500.

Rows are *streamed*: :attr:`Table.rows` is an iterator that decodes and parses as it goes, so a
10,000-row file is never held as a list of rows next to its bytes. The row limit is enforced
while iterating (the excess is refused as soon as it is reached, not after parsing it all).
XLSX is opened by openpyxl in read-only mode, formulas as their text (never evaluated), and
only after :func:`_check_xlsx_archive` has looked at the zip's directory: entry count,
uncompressed sizes and compression ratios, the shared-strings part (which openpyxl loads whole)
and the number of sheets.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from app.core.config import Settings
from app.core.errors import AppError

TEMPLATE_SHEET = "Learners"
"""The data sheet's name in our XLSX template; read in preference to the first sheet."""

_CHUNK = 1 << 20
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)

_TITLES = {413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content"}
_CODES = {413: "payload_too_large", 415: "unsupported_media_type", 422: "unprocessable"}


class BatchInputError(AppError):
    """The upload cannot be read as a cohort table; ``row``/``column`` say where when known.

    It is an :class:`~app.core.errors.AppError`, so a router may let it propagate: the problem
    body's ``errors`` holds one ``{"row", "column", "message"}`` entry, as row errors do.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Literal[413, 415, 422] = 422,
        row: int | None = None,
        column: str | None = None,
        field: str | None = "file",
    ) -> None:
        entry: dict[str, Any] = {"message": message}
        if row is not None:
            entry["row"] = row
        if column is not None:
            entry["column"] = column
        super().__init__(message, field=field, errors=[entry])
        self.message = message
        self.status = status
        self.title = _TITLES[status]
        self.code = _CODES[status]
        self.row = row
        self.column = column


@dataclass(frozen=True)
class BatchLimits:
    """How much a batch upload may hold; the XLSX guards apply before openpyxl parses anything."""

    max_rows: int = 20_000
    max_bytes: int = 20 * 1024 * 1024
    max_zip_entries: int = 1_000
    max_uncompressed_bytes: int = 256 * 1024 * 1024
    max_compression_ratio: int = 100
    """Per zip entry larger than :attr:`ratio_floor_bytes` (small parts may compress better)."""
    ratio_floor_bytes: int = 1024 * 1024
    max_shared_strings_bytes: int = 64 * 1024 * 1024
    """openpyxl reads ``xl/sharedStrings.xml`` whole, even in read-only mode."""
    max_sheets: int = 32

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchLimits:
        """The limits configured by ``BADGES_BATCH_MAX_ROWS`` and ``BADGES_BATCH_MAX_BYTES``."""
        return cls(max_rows=settings.batch_max_rows, max_bytes=settings.batch_max_bytes)


@dataclass(frozen=True)
class RawRow:
    """One data row as text, keyed by header name (cells beyond the header are ``(column N)``)."""

    number: int
    """1-based row as the user sees it in the sheet (header = row 1, first data row = 2); for
    JSON rows, the 1-based position in the ``rows`` array."""
    values: dict[str, str]


@dataclass
class Table:
    """A parsed upload: its header now, its rows lazily (iterate :attr:`rows` once)."""

    header: list[str]
    rows: Iterator[RawRow]
    format: Literal["csv", "xlsx", "json"] = "csv"
    encoding: str | None = None
    """The text encoding a CSV was read with (``None`` for XLSX and JSON)."""
    header_row: int | None = 1
    """The row that names the columns (``None`` for JSON rows: each object names its own)."""


# --- entry points -------------------------------------------------------------------------


def read_table(
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    encoding: str | None,
    limits: BatchLimits,
) -> Table:
    """Parse an uploaded CSV or XLSX file; the header is checked now, rows as they are read.

    The format is decided by the content first (a zip is an XLSX, whatever its name), then by
    ``filename``/``content_type``. ``encoding`` overrides CSV encoding detection.

    Raises:
        BatchInputError: 413 too large, 415 not a CSV/XLSX (binary, undecodable, legacy
            ``.xls``), 422 empty, no header, duplicate header names.
    """
    if len(data) > limits.max_bytes:
        raise BatchInputError(
            f"The file is {len(data):,} bytes; a batch file may hold at most "
            f"{limits.max_bytes:,} bytes (BADGES_BATCH_MAX_BYTES). Split it into several batches.",
            status=413,
        )
    name = (filename or "").lower()
    kind = (content_type or "").split(";")[0].strip().lower()
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, limits)
    if data.startswith(_OLE_MAGIC):
        raise BatchInputError(
            "This is a legacy Excel .xls (or another OLE) file; save it as .xlsx or CSV.",
            status=415,
        )
    if name.endswith(_XLSX_SUFFIXES) or kind in _XLSX_TYPES:
        raise BatchInputError("The file is named as XLSX but is not an XLSX workbook.", status=415)
    if name.endswith(".json") or kind == "application/json":
        raise BatchInputError(
            "JSON is not read as a file upload: send the objects as the request's `rows`.",
            status=415,
        )
    return _read_csv(data, encoding, limits)


def rows_from_json(rows: list[dict[str, Any]], limits: BatchLimits) -> Table:
    """Rows given as JSON objects (``{"email": …, "name": …}``), checked like a file's.

    Values may be strings, numbers, booleans or null (read as empty); the header is every key in
    the order first seen. Row numbers are positions in ``rows``, from 1.
    """
    if len(rows) > limits.max_rows:
        raise BatchInputError(_too_many_rows(limits), status=413, field="rows")
    if not rows:
        raise BatchInputError("`rows` is empty: give at least one row.", field="rows")
    header: dict[str, None] = {}
    for position, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            raise BatchInputError("Each row must be a JSON object.", row=position, field="rows")
        header.update(dict.fromkeys(str(key).strip() for key in item))
    return Table(list(header), _json_rows(rows), format="json", header_row=None)


def _json_rows(rows: list[dict[str, Any]]) -> Iterator[RawRow]:
    """Yield each JSON object's values as text (rejecting nested objects and arrays)."""
    for position, item in enumerate(rows, start=1):
        values: dict[str, str] = {}
        for key, value in item.items():
            column = str(key).strip()
            if isinstance(value, dict | list):
                raise BatchInputError(
                    f"`{column}` must be text, a number or a boolean, not a JSON {type(value).__name__}.",
                    row=position,
                    column=column,
                    field="rows",
                )
            values[column] = _cell_text(value)
        if _is_empty(values.values()):
            continue
        yield RawRow(position, values)


# --- CSV ----------------------------------------------------------------------------------


def _read_csv(data: bytes, encoding: str | None, limits: BatchLimits) -> Table:
    """Pick the encoding and delimiter, read the header; the rows stream from the bytes."""
    chosen = _csv_encoding(data, encoding)
    if not chosen.startswith("utf-16"):
        _refuse_binary(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=chosen, newline="")
    sample = text.read(_SNIFF_BYTES)
    if not sample.strip():
        raise BatchInputError("The file is empty: it needs a header row and at least one row.")
    delimiter = _delimiter(sample)
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        first = next(reader, [])
    except csv.Error as exc:
        raise BatchInputError(f"Row 1 is not valid CSV: {exc}.", row=1) from None
    header = _header(first)
    shown = "utf-8" if chosen == "utf-8-sig" else chosen
    rows = _with_first_row(_csv_rows(reader, header, limits))
    return Table(header, rows, format="csv", encoding=shown)


def _csv_rows(
    reader: Iterator[list[str]], header: list[str], limits: BatchLimits
) -> Iterator[RawRow]:
    """Yield the data rows, numbered as the spreadsheet shows them (row 2 first)."""
    number, counted = 1, 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BatchInputError(f"Row {number} is not valid CSV: {exc}.", row=number) from None
        if _is_empty(record):
            continue
        counted += 1
        if counted > limits.max_rows:
            raise BatchInputError(_too_many_rows(limits), status=413, row=number)
        yield RawRow(number, _by_header(header, record))


def _csv_encoding(data: bytes, override: str | None) -> str:
    """The codec to read ``data`` with: the override, else a BOM, else UTF-8, else GB18030."""
    if override:
        try:
            codec = codecs.lookup(override.strip()).name
        except LookupError:
            raise BatchInputError(
                f"Unknown encoding {override!r}; use e.g. utf-8 or gb18030.", field="encoding"
            ) from None
        codec = "utf-8-sig" if codec == "utf-8" else codec
        if codec.startswith("utf-16") and codec != "utf-16":
            codec = "utf-16"
        if not _decodes(data, codec):
            raise BatchInputError(
                f"The file does not decode as {override}; leave `encoding` out to detect it.",
                status=415,
                field="encoding",
            )
        return codec
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _decodes(data, "utf-16"):
        return "utf-16"
    if _decodes(data, "utf-8"):
        return "utf-8-sig"
    _refuse_binary(data)
    if _decodes(data, "gb18030"):
        return "gb18030"
    raise BatchInputError(
        "The file's text encoding is not one we read: it is neither UTF-8 nor GB18030/GBK. "
        "Save it as 'CSV UTF-8' or pass `encoding`.",
        status=415,
        field="encoding",
    )


def _decodes(data: bytes, codec: str) -> bool:
    """True when all of ``data`` decodes with ``codec`` (in chunks: no full copy as text)."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(bytes(view[start : start + _CHUNK]))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_binary(data: bytes) -> None:
    """Refuse known binary formats and content with NULs or many control characters."""
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise BatchInputError(f"This is {what}, not a CSV or XLSX file.", status=415)
    head = data[:_SNIFF_BYTES]
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if b"\x00" in data or controls > max(8, len(head) // 100):
        raise BatchInputError(
            "This is a binary file, not a CSV or XLSX file (save the sheet as CSV or XLSX).",
            status=415,
        )


def _delimiter(sample: str) -> str:
    """Comma, or semicolon/tab when the header line splits into more columns with it."""
    line = sample.lstrip("\ufeff").splitlines()[0]
    best, widest = ",", 1
    for delimiter in _DELIMITERS:
        width = len(next(csv.reader([line], delimiter=delimiter), []))
        if width > widest:
            best, widest = delimiter, width
    return best


# --- XLSX ---------------------------------------------------------------------------------


def _read_xlsx(data: bytes, limits: BatchLimits) -> Table:
    """Guard the archive, open it read-only (formulas as text), read the header row."""
    _check_xlsx_archive(data, limits)
    from openpyxl import load_workbook  # only XLSX uploads pay for importing openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (data validation, styles); they do not matter.
            warnings.simplefilter("ignore")
            book = load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise BatchInputError(f"The XLSX workbook cannot be read: {exc}.", status=415) from None
    try:
        sheet = book[TEMPLATE_SHEET] if TEMPLATE_SHEET in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # read every cell, whatever size the file claims
        values = sheet.iter_rows(values_only=True)
        first = next(values, ())
    except Exception:
        book.close()
        raise
    if _is_empty(first):
        book.close()
        raise BatchInputError(
            "Row 1 of the sheet is empty: it must name the columns (the template's header).",
            row=1,
        )
    try:
        header = _header([_cell_text(value) for value in first])
    except BatchInputError:
        book.close()
        raise
    return Table(header, _with_first_row(_xlsx_rows(book, values, header, limits)), format="xlsx")


def _xlsx_rows(
    book: Any, values: Iterator[tuple[Any, ...]], header: list[str], limits: BatchLimits
) -> Iterator[RawRow]:
    """Yield the sheet's data rows as text; the workbook is closed when iteration ends."""
    counted = 0
    try:
        for number, cells in enumerate(values, start=2):
            texts = [_cell_text(value) for value in cells]
            if _is_empty(texts):
                continue
            counted += 1
            if counted > limits.max_rows:
                raise BatchInputError(_too_many_rows(limits), status=413, row=number)
            yield RawRow(number, _by_header(header, texts))
    finally:
        book.close()


def _check_xlsx_archive(data: bytes, limits: BatchLimits) -> None:
    """Refuse a zip that would cost too much to open, from its directory alone.

    A zip entry's declared size bounds what :mod:`zipfile` will inflate (it stops there and
    fails the CRC), so checking the directory is enough to bound the work openpyxl will do.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BatchInputError("The file is not a valid XLSX (zip) workbook.", status=415) from None
    with archive:
        entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        raise BatchInputError(
            f"The XLSX holds {len(entries):,} parts; at most {limits.max_zip_entries:,} are read.",
            status=413,
        )
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise BatchInputError(
            "The zip is not an XLSX workbook (no xl/workbook.xml); save the sheet as XLSX or CSV.",
            status=415,
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        raise BatchInputError(
            f"The XLSX unpacks to {total:,} bytes; at most {limits.max_uncompressed_bytes:,} "
            "are read. Split the sheet into several batches.",
            status=413,
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > limits.ratio_floor_bytes and ratio > limits.max_compression_ratio:
            raise BatchInputError(
                f"The XLSX part {entry.filename} is compressed {ratio:,.0f}:1 (at most "
                f"{limits.max_compression_ratio}:1 is read): it looks like a zip bomb.",
                status=413,
            )
        if "sharedstrings" in entry.filename.lower():  # openpyxl reads it whole
            if entry.file_size > limits.max_shared_strings_bytes:
                raise BatchInputError(
                    f"The XLSX shared strings take {entry.file_size:,} bytes; at most "
                    f"{limits.max_shared_strings_bytes:,} are read.",
                    status=413,
                )
    sheets = [
        name
        for name in names
        if name.startswith(("xl/worksheets/", "xl/chartsheets/"))
        and name.endswith(".xml")
        and "/_rels/" not in name
    ]
    if len(sheets) > limits.max_sheets:
        raise BatchInputError(
            f"The XLSX has {len(sheets)} sheets; at most {limits.max_sheets} are accepted "
            "(the data goes in the first sheet).",
        )


# --- shared -------------------------------------------------------------------------------


def _with_first_row(rows: Iterator[RawRow]) -> Iterator[RawRow]:
    """``rows``, after checking now that there is at least one (a header alone is refused)."""
    first = next(rows, None)
    if first is None:
        raise BatchInputError("The file has a header but no rows below it.", row=2)
    return itertools.chain([first], rows)


def _header(cells: Sequence[str]) -> list[str]:
    """Column names from row 1: trimmed, trailing blanks dropped, no blank or duplicate."""
    names = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise BatchInputError(
            "Row 1 is empty: it must name the columns (download the template for them).", row=1
        )
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            raise BatchInputError(
                f"Column {position} of row 1 has no name; every column needs a header.", row=1
            )
        if "@" in name or name.lower().startswith("did:"):
            raise BatchInputError(
                f"Row 1 must name the columns, but it holds data ({name!r}): the header row "
                "is missing (download the template for it).",
                row=1,
                column=name,
            )
        if name.lower() in seen:
            raise BatchInputError(f"Column {name!r} appears twice in row 1.", row=1, column=name)
        seen.add(name.lower())
    return names


def _by_header(header: list[str], cells: Sequence[str]) -> dict[str, str]:
    """Key a row's cells by column name; non-empty cells past the header keep their position."""
    values = dict(zip(header, cells, strict=False))
    for position in range(len(header), len(cells)):
        if cells[position].strip():
            values[f"(column {position + 1})"] = cells[position]
    return values


def _cell_text(value: Any) -> str:
    """A cell as text: formulas as written, whole numbers without ``.0``, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    text = getattr(value, "text", None)  # openpyxl ArrayFormula / DataTableFormula
    return text if isinstance(text, str) else str(value)


def _is_empty(cells: Any) -> bool:
    """True when no cell holds anything but whitespace."""
    return all(not (cell if isinstance(cell, str) else _cell_text(cell)).strip() for cell in cells)


def _too_many_rows(limits: BatchLimits) -> str:
    return (
        f"The batch has more than {limits.max_rows:,} rows (BADGES_BATCH_MAX_ROWS); "
        "split it into several batches."
    )
