"""Rows to issue requests: field mapping, per-row/column errors, duplicates within the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from _batch_support import GRADE_ID, LEVELS, SCORE_ID, make_achievement

from app.batches.input import read_table, rows_from_json
from app.batches.rows import RowError, ValidRow, validate_rows

BASE_URL = "https://badges.test"


def outcomes(csv_text: str, achievement, limits, **kwargs):
    table = read_table(
        csv_text.encode("utf-8"),
        filename="c.csv",
        content_type="text/csv",
        encoding=None,
        limits=limits,
    )
    return list(
        validate_rows(table, achievement, base_url=BASE_URL, proof="data-integrity", **kwargs)
    )


def errors_of(found) -> list[tuple[int | None, str | None]]:
    return [(o.row, o.column) for o in found if isinstance(o, RowError)]


def test_a_full_row_becomes_the_issue_request(achievement, limits):
    found = outcomes(
        "email,name,did,language,validFrom,validUntil,creditsEarned,term,Grade,Score,"
        "evidenceUrl,evidenceNarrative,rowKey\r\n"
        "Li.Lei@Example.CN,李雷,did:web:li.example,zh-CN,2026-06-30,2030-06-30T12:00:00+08:00,"
        "2.5,2026 春季,merit,85,https://example.cn/e/1,期末项目,S-001\r\n",
        achievement,
        limits,
    )
    assert len(found) == 1
    row = found[0]
    assert isinstance(row, ValidRow)
    assert (row.number, row.row_key) == (2, "S-001")
    request = row.request
    assert request.achievement_id == achievement.lineage_id
    assert (request.recipient.email, request.recipient.name, request.recipient.did) == (
        "li.lei@example.cn",
        "李雷",
        "did:web:li.example",
    )
    assert request.language == "zh-CN"
    assert request.valid_from == datetime(2026, 6, 30, tzinfo=UTC)
    assert request.valid_until == datetime(2030, 6, 30, 4, tzinfo=UTC)
    assert (request.credits_earned, request.term, request.proof) == (
        2.5,
        "2026 春季",
        "data-integrity",
    )
    assert [r.model_dump(by_alias=True, exclude_none=True) for r in request.results] == [
        {"resultDescription": GRADE_ID, "achievedLevel": LEVELS[1]["id"]},
        {"resultDescription": SCORE_ID, "value": "85"},
    ]
    assert [(e.id, e.narrative) for e in request.evidence] == [
        ("https://example.cn/e/1", "期末项目")
    ]


def test_defaults_row_key_language_and_excel_dates(achievement, limits):
    found = outcomes(
        "email,validFrom\r\nada@example.org,2026/7/1\r\n",
        achievement,
        limits,
        default_language="en",
    )
    (row,) = found
    assert isinstance(row, ValidRow)
    assert row.row_key == "2"
    assert row.request.language == "en"
    assert row.request.valid_from == datetime(2026, 7, 1, tzinfo=UTC)
    assert row.request.results == []


def test_every_bad_cell_is_reported_by_row_and_column(achievement, limits):
    found = outcomes(
        "email,validFrom,validUntil,creditsEarned,Grade,Score,evidenceUrl\r\n"
        "not-an-email,2026-06-30,,,,,\r\n"
        "ada@example.org,30.06.2026,,,,,\r\n"
        'bob@example.org,,,lots,Excellent,140,=HYPERLINK("https://x.example")\r\n'
        "eve@example.org,2026-06-30,2026-06-01,,,,\r\n"
        "joe@example.org,,,,Pass,90,\r\n",
        achievement,
        limits,
    )
    assert errors_of(found) == [
        (2, "email"),
        (3, "validFrom"),
        (4, "creditsEarned"),
        (4, "Grade"),
        (4, "evidenceUrl"),
        (4, "Score"),
        (5, "validUntil"),
    ]
    messages = {(o.row, o.column): o.message for o in found if isinstance(o, RowError)}
    assert "Excellent" in messages[(4, "Grade")]
    assert "Pass, Merit, Distinction" in messages[(4, "Grade")]
    assert "30.06.2026" in messages[(3, "validFrom")]
    assert [o.number for o in found if isinstance(o, ValidRow)] == [6]


def test_result_rules_come_from_validate_results(achievement, limits):
    found = outcomes(
        "email,Score\r\nada@example.org,140\r\nbob@example.org,abc\r\n", achievement, limits
    )
    assert errors_of(found) == [(2, "Score"), (3, "Score")]
    assert "outside 0..100" in found[0].message


def test_allowed_values_and_status_results(limits):
    achievement = make_achievement(
        [
            {
                "id": "urn:x:letter",
                "name": "Letter",
                "resultType": "LetterGrade",
                "allowedValue": ["C", "B", "A"],
            },
            {"id": "urn:x:status", "name": "Outcome", "resultType": "Status"},
        ]
    )
    found = outcomes(
        "email,Letter,Outcome\r\na@example.org,A,completed\r\nb@example.org,E,\r\n",
        achievement,
        limits,
    )
    assert isinstance(found[0], ValidRow)
    assert [r.model_dump(by_alias=True, exclude_none=True) for r in found[0].request.results] == [
        {"resultDescription": "urn:x:letter", "value": "A"},
        {"resultDescription": "urn:x:status", "status": "Completed"},
    ]
    assert errors_of(found) == [(3, "Letter")]


def test_unknown_columns_and_a_header_without_recipient(achievement, limits):
    found = outcomes("nickname,Grade\r\nAda,Pass\r\n", achievement, limits)
    header_errors = [o for o in found if isinstance(o, RowError) and o.row == 1]
    assert [(e.column, e.message.split(";")[0]) for e in header_errors] == [
        ("nickname", "Unknown column 'nickname'"),
        (None, "The header needs an email or a did column."),
    ]
    assert "email, name, did" in header_errors[0].message
    assert errors_of(found)[-1] == (2, "email")


def test_header_names_ignore_case(achievement, limits):
    (row,) = outcomes(
        "Email,VALIDFROM,grade\r\nada@example.org,2026-06-30,Distinction\r\n", achievement, limits
    )
    assert isinstance(row, ValidRow)
    assert row.request.results[0].achieved_level == LEVELS[2]["id"]


def test_a_cell_outside_the_header(achievement, limits):
    found = outcomes("email\r\nada@example.org,stray\r\n", achievement, limits)
    assert errors_of(found) == [(2, "(column 2)")]


def test_duplicates_in_the_file_name_both_rows(achievement, limits):
    found = outcomes(
        "email,did,rowKey\r\n"
        "ada@example.org,,k1\r\n"
        "bob@example.org,did:web:bob.example,k2\r\n"
        "ADA@example.org,,k3\r\n"
        "carol@example.org,did:web:bob.example,k4\r\n"
        "dave@example.org,,k1\r\n"
        "erin@example.org,,\r\n"
        "fred@example.org,,7\r\n",
        achievement,
        limits,
    )
    messages = {(o.row, o.column): o.message for o in found if isinstance(o, RowError)}
    assert messages == {
        (4, "email"): "email ada@example.org is also the recipient of row 2.",
        (5, "did"): "did did:web:bob.example is also the recipient of row 3.",
        (6, "rowKey"): "rowKey 'k1' is also the key of row 2.",
        (8, "rowKey"): "rowKey '7' is also the key of row 7.",
    }
    assert [o.row_key for o in found if isinstance(o, ValidRow)] == ["k1", "k2", "7"]


def test_duplicate_recipients_may_be_allowed(achievement, limits):
    found = outcomes(
        "email\r\nada@example.org\r\nada@example.org\r\n",
        achievement,
        limits,
        allow_duplicate_recipients=True,
    )
    assert [o.row_key for o in found if isinstance(o, ValidRow)] == ["2", "3"]


def test_json_rows_are_validated_alike(achievement, limits):
    table = rows_from_json(
        [{"email": "ada@example.org", "Score": 85}, {"email": "bad", "nick": "x"}], limits
    )
    found = list(validate_rows(table, achievement, base_url=BASE_URL, proof="jwt"))
    assert errors_of(found) == [(None, "nick"), (2, "email")]
    assert isinstance(found[1], ValidRow)
    assert found[1].request.proof == "jwt"
    assert found[1].request.results[0].value == "85"


@pytest.mark.parametrize("value", ["1e400", "-1"])
def test_credits_out_of_range(value, achievement, limits):
    found = outcomes(f"email,creditsEarned\r\nada@example.org,{value}\r\n", achievement, limits)
    assert errors_of(found) == [(2, "creditsEarned")]


def test_row_keys_fit_the_idempotency_column(achievement, limits):
    found = outcomes(f"email,rowKey\r\nada@example.org,{'k' * 201}\r\n", achievement, limits)
    assert errors_of(found) == [(2, "rowKey")]
