"""The verification panel's rows, rendered in Python (``app.web.check_rows``)."""

from __future__ import annotations

from app.web import check_rows
from app.web.check_rows import check_row
from app.web.i18n import Translator
from app.web.panel import CheckRow

EN, ZH = Translator("en"), Translator("zh-CN")


def test_a_passed_check_folds_its_detail_and_a_failed_one_shows_it() -> None:
    passed = check_row(
        CheckRow("proof", "valid", "check", "The proof (eddsa-rdfc-2022) verifies."), EN
    )
    failed = check_row(CheckRow("proof", "invalid", "cross", "The proof does not match."), EN)

    assert passed.startswith(
        '<li class="check check--valid" data-check="proof" data-status="valid">'
    )
    assert '<use href="#i-check">' in passed
    assert '<details class="check__more"><summary>' in passed
    assert "The proof (eddsa-rdfc-2022) verifies." in passed
    assert "<details" not in failed
    assert '<p class="check__detail"><span class="visually-hidden">' in failed
    assert passed.endswith("</div></li>")


def test_detail_text_is_escaped_whatever_it_holds() -> None:
    hostile = 'x" onmouseover="alert(1)" <script>alert(2)</script>'
    html = check_row(CheckRow("format", "invalid", "cross", hostile), EN)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'onmouseover="alert' not in html


def test_a_sentence_without_a_translation_is_marked_english_on_a_chinese_page() -> None:
    row = CheckRow("format", "valid", "check", "Something the table has never seen.")

    html = check_row(row, ZH)

    assert '<span lang="en">Something the table has never seen.</span>' in html
    assert check_row(row, EN).count('lang="en"') == 0  # English on an English page: no mark


def test_rows_are_kept_per_wording_but_long_details_are_not() -> None:
    check_rows._kept.cache_clear()
    short = CheckRow("schema", "valid", "check", "No schema is listed.")
    check_row(short, EN)
    check_row(short, EN)
    assert check_rows._kept.cache_info().hits == 1

    long = CheckRow("schema", "invalid", "cross", "y" * (check_rows.KEPT_DETAIL_CHARS + 1))
    check_row(long, EN)
    assert check_rows._kept.cache_info().currsize == 1


def test_a_row_of_a_new_detail_reuses_the_rows_head() -> None:
    """A credential's own rows (its status entries, its dates) differ in their detail only:
    the head of the row is made once per translator and check."""
    check_rows._head.cache_clear()
    first = check_row(CheckRow("revocation", "valid", "check", "Not revoked (entry 7)."), EN)
    second = check_row(CheckRow("revocation", "valid", "check", "Not revoked (entry 8)."), EN)
    assert check_rows._head.cache_info().hits == 1
    assert first.replace("entry 7", "entry 8") == second
