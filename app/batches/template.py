"""The cohort template an issuer downloads: the columns an achievement takes, with help in
English and Chinese, as CSV (UTF-8 with BOM, so Excel shows Chinese right) or XLSX.

:func:`result_columns` is the one place that names a ResultDescription's column, so the
template and :mod:`app.batches.rows` always agree. :func:`csv_cell` guards exported CSVs
(``results.csv``) against formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.achievements.results import RESULT_STATUSES, result_descriptions
from app.batches.input import TEMPLATE_SHEET
from app.models import Achievement

HELP_SHEET = "Help - 说明"
"""The XLSX help sheet (Excel forbids ``/`` in a sheet name)."""


@dataclass(frozen=True)
class Column:
    """One template column and what to put in it."""

    name: str
    help_en: str
    help_zh: str
    required: bool = False
    """Whether the template asks for it in every row (``email``: unless ``did`` is given)."""


_BEFORE_RESULTS = (
    Column(
        "email",
        "The learner's email address (only its hash is in the credential). Required unless "
        "did is given.",
        "学习者的电子邮箱（证书中只含其哈希值）。未填写 did 时必填。",
        required=True,
    ),
    Column(
        "name",
        "The learner's name, shown on the learner's page (never in the signed credential).",
        "学习者姓名，显示在学习者页面（不写入签名的证书）。",
    ),
    Column(
        "did",
        "The learner's DID (did:method:…), instead of or besides the email.",
        "学习者的 DID（did:方法:…），可代替或补充电子邮箱。",
    ),
    Column(
        "language",
        "Language tag (BCP 47: en, zh-CN) of the achievement's version to issue; empty: the "
        "batch's language or the achievement's own.",
        "颁发所用成就版本的语言标签（BCP 47，如 en、zh-CN）；留空则用批次或成就本身的语言。",
    ),
    Column(
        "validFrom",
        "Start of validity: a date (2026-06-30, midnight UTC) or a date-time "
        "(2026-06-30T09:00:00+08:00; without an offset: UTC). Empty: when issued.",
        "生效时间：日期（2026-06-30，按 UTC 零点）或日期时间（2026-06-30T09:00:00+08:00；"
        "无时区时按 UTC）。留空为颁发时。",
    ),
    Column(
        "validUntil",
        "Expiry, in the same formats; must be after validFrom. Empty: never expires.",
        "失效时间，格式同上，须晚于生效时间。留空则永不失效。",
    ),
    Column(
        "creditsEarned",
        "Credits earned: a number such as 3 or 2.5.",
        "获得的学分：数字，如 3 或 2.5。",
    ),
    Column("term", "The term, e.g. 2026 Spring.", "学期，例如 2026 春季。"),
)

_AFTER_RESULTS = (
    Column(
        "evidenceUrl",
        "A link (http:// or https://) to evidence of the achievement.",
        "成就证据的链接（http:// 或 https://）。",
    ),
    Column(
        "evidenceNarrative",
        "A text describing the evidence (Markdown).",
        "证据说明文字（可用 Markdown）。",
    ),
    Column(
        "rowKey",
        "Your unique key for the row (e.g. the student number): a row is issued once per key, "
        "even when the file is uploaded again. Empty: the row number.",
        "本行的唯一键（如学号）：同一键只颁发一次，重复上传也不会重复颁发。留空则使用行号。",
    ),
)

BASE_COLUMNS = tuple(column.name for column in (*_BEFORE_RESULTS, *_AFTER_RESULTS))
"""The fixed column names, in template order (results go between ``term`` and ``evidenceUrl``)."""


def result_columns(achievement: Achievement) -> list[tuple[str, dict[str, Any]]]:
    """``(header, ResultDescription)`` per result the achievement records, in its order.

    The header is the description's ``name``; ``result: <name>`` when that name is already a
    fixed column or an earlier result's header (compared without case), so headers stay unique.
    """
    taken = {name.lower() for name in BASE_COLUMNS}
    found: list[tuple[str, dict[str, Any]]] = []
    for description in result_descriptions({"resultDescription": achievement.result_description}):
        header = str(description.get("name") or description.get("id") or "result").strip()
        if header.lower() in taken:
            header = f"result: {header}"
        suffix = 2
        while header.lower() in taken:
            header, suffix = f"{header} ({suffix})", suffix + 1
        taken.add(header.lower())
        found.append((header, description))
    return found


def template_columns(achievement: Achievement) -> list[Column]:
    """Every column a batch of ``achievement`` takes, in template order."""
    results = [
        Column(header, *_result_help(description))
        for header, description in result_columns(achievement)
    ]
    return [*_BEFORE_RESULTS, *results, *_AFTER_RESULTS]


def _result_help(description: Mapping[str, Any]) -> tuple[str, str]:
    """English and Chinese help for a result column: its type and what values it takes."""
    name = description.get("name") or ""
    result_type = description.get("resultType") or "Result"
    levels = [
        str(level.get("name") or level.get("id"))
        for level in description.get("rubricCriterionLevel") or []
        if isinstance(level, dict)
    ]
    allowed = [str(value) for value in description.get("allowedValue") or []]
    low, high = description.get("valueMin"), description.get("valueMax")
    if levels:
        en, zh = f"one of the levels {', '.join(levels)}", f"以下等级之一：{'、'.join(levels)}"
    elif allowed:
        en, zh = f"one of {', '.join(allowed)}", f"以下取值之一：{'、'.join(allowed)}"
    elif result_type == "Status":
        statuses = ", ".join(sorted(RESULT_STATUSES))
        en, zh = f"one of the statuses {statuses}", f"以下状态之一：{statuses}"
    elif low is not None or high is not None:
        span = f"{low if low is not None else '…'} to {high if high is not None else '…'}"
        en, zh = f"a number from {span}", f"数值，范围 {span.replace(' to ', ' 至 ')}"
    elif result_type == "Percent":
        en, zh = "a percentage from 0 to 100", "百分数，0 至 100"
    else:
        en, zh = "the result as text or a number", "结果（文字或数字）"
    return (
        f"Result '{name}' (resultType {result_type}): {en}. Empty: no result.",
        f"结果“{name}”（resultType {result_type}）：{zh}。留空则不记录该结果。",
    )


def template_csv(columns: list[Column]) -> bytes:
    """The header row as CSV, UTF-8 with a BOM (Excel reads BOM-less UTF-8 as the ANSI page)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(column.name for column in columns)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def template_xlsx(columns: list[Column]) -> bytes:
    """A workbook: the header row on sheet 1, each column's help (en, zh) on sheet 2."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    data = book.active
    assert data is not None  # a new Workbook always has one sheet
    data.title = TEMPLATE_SHEET
    data.append([column.name for column in columns])
    for position, column in enumerate(columns, start=1):
        cell = data.cell(row=1, column=position)
        cell.font = Font(bold=column.required)
        data.column_dimensions[get_column_letter(position)].width = max(14, len(column.name) + 4)
    data.freeze_panes = "A2"
    help_sheet = book.create_sheet(HELP_SHEET)
    help_sheet.append(["Column / 列", "Required / 必填", "Help", "说明"])
    for column in columns:
        required = "yes / 是" if column.required else ""
        help_sheet.append([column.name, required, column.help_en, column.help_zh])
    for letter, width in zip("ABCD", (22, 14, 70, 50), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` safe for a CSV cell a spreadsheet will open: a leading ``= + - @``, tab or CR
    (which Excel and LibreOffice would run as a formula) is neutralised by a leading ``'``."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
