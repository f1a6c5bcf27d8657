"""The pure parts of the pages: Markdown safety, the view of hostile JSON, banners, languages,
generated badge images."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from app.web import badge_image
from app.web.i18n import Translator, choose_locale, parse_accept_language
from app.web.markup import markdown
from app.web.panel import SimpleCheck, SimpleReport, banner_kind, build_panel
from app.web.view import credential_view, image_url

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "absent", "present"),
    [
        ("<script>x()</script>", "<script>", "&lt;script&gt;"),
        ("[a](javascript:alert(1))", 'href="javascript', "[a](javascript:alert(1))"),
        ("[a](https://ok.example)", "javascript", 'rel="nofollow noopener ugc"'),
        ("![pixel](https://tracker.example/p.gif)", "<img", "pixel"),
        ("# Big", "<h1>", "<h3>Big</h3>"),
        ("line one\nline two", "\n\n", "line one<br />"),
        ('<a href="x" onclick="y">', "<a href", "&lt;a href"),
    ],
)
def test_markdown_is_safe(source: str, absent: str, present: str) -> None:
    html = str(markdown(source))
    assert absent not in html
    assert present in html


def test_markdown_ignores_non_strings() -> None:
    assert str(markdown(None)) == ""
    assert str(markdown({"a": 1})) == ""


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"credentialSubject": "nope", "issuer": 7, "evidence": "x"},
        {"credentialSubject": {"achievement": [], "result": {"value": None}}, "validFrom": 3},
        {"credentialSubject": {"achievement": {"name": {"en": "x"}, "criteria": []}}},
        {"evidence": [None, 1, {"id": "javascript:alert(1)", "name": "e"}], "issuer": "did:x"},
    ],
)
def test_view_survives_malformed_documents(doc: dict[str, object]) -> None:
    view = credential_view(doc)
    assert view.name
    assert all(e.url is None for e in view.evidence)


def test_view_reads_results_dates_and_links() -> None:
    view = credential_view(
        {
            "id": "https://u.example/credentials/1",
            "issuer": {"id": "did:web:u.example", "name": "U", "url": "javascript:alert(1)"},
            "validFrom": "2025-03-12T10:00:00Z",
            "validUntil": "2027-03-12T10:00:00+08:00",
            "credentialSubject": {
                "result": [{"resultDescription": "urn:r1", "achievedLevel": "urn:l2"}],
                "achievement": {
                    "name": "Rust",
                    "image": {"id": "http://insecure.example/i.png"},
                    "resultDescription": [
                        {
                            "id": "urn:r1",
                            "name": "Level",
                            "rubricCriterionLevel": [{"id": "urn:l2", "name": "Proficient"}],
                        }
                    ],
                },
            },
        }
    )
    assert view.issuer.url is None  # javascript: dropped
    assert view.image is None  # http images are not embedded
    assert [(r.label, r.value) for r in view.results] == [("Level", "Proficient")]
    assert view.valid_from == datetime(2025, 3, 12, 10, tzinfo=UTC)
    assert view.valid_until == datetime(2027, 3, 12, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", True),
        ("data:image/svg+xml;base64,PHN2Zz4=", True),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("https://cdn.example/b.png", True),
        ("http://cdn.example/b.png", False),
        ("javascript:alert(1)", False),
    ],
)
def test_image_urls(value: str, kept: bool) -> None:
    assert (image_url(value) is not None) is kept


def report(**statuses: str) -> SimpleReport:
    checks = [SimpleCheck(k, v, "") for k, v in statuses.items()]
    return SimpleReport(verified=all(v == "valid" for v in statuses.values()), checks=checks)


ALL_VALID = {
    "format": "valid",
    "structure": "valid",
    "proof": "valid",
    "issuer_key": "valid",
    "revocation": "valid",
    "suspension": "valid",
    "validity": "valid",
}


@pytest.mark.parametrize(
    ("changes", "valid_from", "kind"),
    [
        ({}, None, "verified"),
        ({"proof": "invalid", "revocation": "invalid"}, None, "tampered"),
        ({"revocation": "invalid", "validity": "invalid"}, None, "revoked"),
        ({"suspension": "invalid", "validity": "invalid"}, None, "suspended"),
        ({"validity": "invalid"}, None, "expired"),
        ({"validity": "invalid"}, NOW + timedelta(days=1), "not_yet_valid"),
        ({"issuer_key": "invalid"}, None, "untrusted_key"),
        ({"revocation": "unknown"}, None, "unchecked"),
        ({"format": "invalid"}, None, "invalid"),
        ({"endorsements": "invalid"}, None, "invalid"),
    ],
)
def test_banner_severity(changes: dict[str, str], valid_from: datetime | None, kind: str) -> None:
    assert banner_kind(report(**{**ALL_VALID, **changes}), valid_from=valid_from, now=NOW) == kind


def test_unknown_is_amber_never_green() -> None:
    panel = build_panel(report(**{**ALL_VALID, "revocation": "unknown"}), valid_from=None, now=NOW)
    assert (panel.banner, panel.tone, panel.icon) == ("unchecked", "warn", "question")


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-GB,en;q=0.9", "en"),
        ("fr, de;q=0.5", None),
        ("en;q=0.1, zh-Hant;q=0.5", "zh-CN"),
        ("zh;q=0, en", "en"),
        ("en;q=abc, zh", "zh-CN"),
        ("", None),
    ],
)
def test_accept_language(header: str, locale: str | None) -> None:
    assert parse_accept_language(header) == locale


def test_query_beats_cookie_beats_header() -> None:
    assert choose_locale("en", "zh-CN", "zh") == "en"
    assert choose_locale("klingon", "zh-CN", "en") == "zh-CN"
    assert choose_locale(None, None, "fr") == "en"


def test_dates_read_naturally() -> None:
    day = datetime(2025, 3, 12, 9, 5, tzinfo=UTC)
    assert Translator("en").date(day) == "12 March 2025"
    assert Translator("zh-CN").date(day) == "2025年3月12日"
    assert Translator("zh-CN")("no.such.key") == "no.such.key"


def test_generated_svg_escapes_the_name() -> None:
    svg = badge_image.generated_svg('<script>alert("x")</script> & Co')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


@pytest.mark.parametrize("name", ["Data Analysis", "数据分析基础与实践证书"])
def test_generated_png_is_a_badge(name: str) -> None:
    image = Image.open(io.BytesIO(badge_image.generated_png(name)))
    assert image.size == (512, 512)
    assert image.format == "PNG"


def _text_area_colours(png: bytes) -> int:
    """Distinct colours where the name is drawn: 1 when blank, many with anti-aliased text."""
    area = (120, 250, 392, 340)
    return len(Image.open(io.BytesIO(png)).crop(area).getcolors(100_000) or [])


def test_png_without_any_cjk_font_leaves_out_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(badge_image, "CJK_FONTS", ())
    badge_image._font_path.cache_clear()
    badge_image._font.cache_clear()
    try:
        latin = badge_image.generated_png("Rust")
        chinese = badge_image.generated_png("数据分析")
    finally:
        badge_image._font_path.cache_clear()
        badge_image._font.cache_clear()
    assert _text_area_colours(latin) > 2
    assert _text_area_colours(chinese) == 1  # the medallion, no row of empty boxes


def test_data_uri_images_are_decoded() -> None:
    png = badge_image.generated_png("x")
    decoded = badge_image.decode_data_uri("data:image/png;base64," + base64.b64encode(png).decode())
    assert decoded == ("image/png", png)
    assert badge_image.decode_data_uri("data:text/plain,hi") is None


def test_only_own_credentials_keep_their_rendered_markdown() -> None:
    from app.web import markup

    markup._kept_markdown.cache_clear()
    doc = {
        "credentialSubject": {
            "achievement": {
                "name": "A",
                "description": "**bold** text",
                "criteria": {"narrative": "Do it"},
            }
        }
    }
    brought = credential_view(doc)  # /verify: what anyone brings is never kept
    assert markup._kept_markdown.cache_info().currsize == 0
    own = credential_view(doc, own=True)
    assert markup._kept_markdown.cache_info().currsize == 2
    assert own.description == brought.description == markdown("**bold** text")
    credential_view(
        {**doc, "credentialSubject": {"achievement": {"description": "x" * 4_001}}}, own=True
    )
    assert markup._kept_markdown.cache_info().currsize == 2  # a long text is rendered, not kept
