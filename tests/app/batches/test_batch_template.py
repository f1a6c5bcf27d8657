"""The downloadable template: its columns, CSV and XLSX forms that parse back, and CSV escaping."""

from __future__ import annotations

import io

import openpyxl
import pytest
from _batch_support import make_achievement

from app.batches.input import TEMPLATE_SHEET, read_table
from app.batches.rows import RowError, ValidRow, validate_rows
from app.batches.template import HELP_SHEET, csv_cell, template_columns, template_csv, template_xlsx

FILLED = {
    "email": "li.lei@example.cn",
    "name": "李雷",
    "did": "did:web:li.example",
    "language": "en",
    "validFrom": "2026-06-30",
    "validUntil": "2031-06-30T00:00:00+08:00",
    "creditsEarned": "3",
    "term": "2026 春季",
    "Grade": "Distinction",
    "Score": "91.5",
    "evidenceUrl": "https://example.cn/evidence/1",
    "evidenceNarrative": "期末项目：数据库设计",
    "rowKey": "2026001",
}


def test_columns_in_template_order_with_help(achievement):
    columns = template_columns(achievement)
    assert [c.name for c in columns] == list(FILLED)
    grade = columns[8]
    assert "RubricCriterionLevel" in grade.help_en
    assert "Pass, Merit, Distinction" in grade.help_en
    assert "Pass、Merit、Distinction" in grade.help_zh
    assert "0 to 100" in columns[9].help_en
    assert all(c.help_en and c.help_zh for c in columns)
    assert [c.name for c in columns if c.required] == ["email"]


def test_result_names_that_clash_with_fixed_columns_get_a_prefix():
    achievement = make_achievement(
        [
            {"id": "urn:x:1", "name": "term", "resultType": "Status"},
            {
                "id": "urn:x:2",
                "name": "Score",
                "resultType": "RawScore",
                "valueMin": "0",
                "valueMax": "40",
            },
            {"id": "urn:x:3", "name": "score", "resultType": "RawScore"},
        ]
    )
    names = [c.name for c in template_columns(achievement)]
    assert names[8:11] == ["result: term", "Score", "result: score"]
    assert "0 to 40" in template_columns(achievement)[9].help_en


def _validate(data: bytes, achievement, filename: str):
    from app.batches.input import BatchLimits

    table = read_table(
        data, filename=filename, content_type=None, encoding=None, limits=BatchLimits()
    )
    return list(
        validate_rows(table, achievement, base_url="https://badges.test", proof="data-integrity")
    )


def test_csv_template_round_trip(achievement):
    columns = template_columns(achievement)
    data = template_csv(columns)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 1
    filled = data + ",".join(FILLED[c.name] for c in columns).encode("utf-8") + b"\r\n"
    found = _validate(filled, achievement, "template.csv")
    assert [type(o) for o in found] == [ValidRow]
    assert found[0].row_key == "2026001"
    assert found[0].request.recipient.name == "李雷"


def test_xlsx_template_round_trip(achievement):
    columns = template_columns(achievement)
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx(columns)))
    assert book.sheetnames == [TEMPLATE_SHEET, HELP_SHEET]
    help_rows = list(book[HELP_SHEET].iter_rows(values_only=True))
    assert help_rows[1][0] == "email"
    assert "电子邮箱" in help_rows[1][3]
    assert len(help_rows) == len(columns) + 1
    sheet = book[TEMPLATE_SHEET]
    assert [cell.value for cell in sheet[1]] == [c.name for c in columns]
    sheet.append([FILLED[c.name] for c in columns])
    sheet.append([None] * len(columns))
    sheet.append(
        [FILLED[c.name].replace("li.lei", "han") if c.name == "email" else None for c in columns]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    found = _validate(buffer.getvalue(), achievement, "template.xlsx")
    assert not [o for o in found if isinstance(o, RowError)]
    assert [(o.number, o.row_key) for o in found] == [(2, "2026001"), (4, "4")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("ada@example.org", "ada@example.org"),
        ("https://badges.test/c/1", "https://badges.test/c/1"),
        ("", ""),
    ],
)
def test_csv_cell_defuses_formulas(value, expected):
    assert csv_cell(value) == expected
