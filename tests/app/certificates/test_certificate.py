"""``GET /credentials/{id}/certificate.pdf``: read back as a person and a phone would.

The PDF's text is extracted (pypdf) in both languages, its fonts inspected, and its page
rasterised (pypdfium2) so the QR code is decoded (zxing-cpp) as a phone scans a printout.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp
from certificate_support import LONG_ACHIEVEMENT, LONG_LEARNER, CertificateSite
from web_support import SHOTS

from app.certificates import fonts, layout, render

PDF = "application/pdf"


def fetch(site: CertificateSite, credential_id: str, lang: str, **headers: str) -> Any:
    site.client.cookies.clear()  # a language cookie from another test must not leak in
    return site.client.get(
        f"/credentials/{credential_id}/certificate.pdf", params={"lang": lang}, headers=headers
    )


def pdf_of(site: CertificateSite, credential_id: str, lang: str) -> bytes:
    response = fetch(site, credential_id, lang)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PDF
    return bytes(response.content)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def squashed(text: str) -> str:
    """The text without white space (letter-spaced headings extract with gaps)."""
    return re.sub(r"\s+", "", text)


def page_size(pdf: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return float(box.width), float(box.height)


def test_english_certificate_carries_the_award(site: CertificateSite) -> None:
    response = fetch(site, site.ids.valid, "en")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'inline; filename="certificate-{site.ids.valid}.pdf"'
    )
    assert response.headers["content-language"] == "en"
    assert response.headers["cache-control"] == "no-cache"
    assert round(page_size(response.content)[0]) == 842  # A4 landscape: 842 x 595 pt
    assert round(page_size(response.content)[1]) == 595
    text = text_of(response.content)
    for expected in (
        "Ada Lovelace",
        "Data Analysis with Python",
        "EXAMPLE UNIVERSITY",
        "This is to certify that",
        "Issued on",
        "12 March 2026",
        "Credits",
        "Final grade",
        "Verify at",
        "Credential ID",
        site.ids.valid,
    ):
        assert expected in text, (expected, text)
    assert re.search(r"Credits\s*5\s", text), text  # 5, not 5.0
    assert re.search(r"Final grade\s*A", text), text
    assert "CERTIFICATE" in squashed(text)


def test_chinese_certificate_is_in_chinese(site: CertificateSite) -> None:
    response = fetch(site, site.ids.valid, "zh-CN")
    assert response.headers["content-language"] == "zh-CN"
    text = squashed(text_of(response.content))
    for expected in ("证书", "兹证明", "示例大学", "颁发日期", "2026年3月12日", "验证网址"):
        assert expected in text, (expected, text)
    assert "学分5" in text
    assert "学分5.0" not in text
    assert "AdaLovelace" in text
    assert "DataAnalysiswithPython" in text
    assert "FinalgradeA" in text


def test_a_bilingual_achievement_is_named_in_the_page_language_first(
    site: CertificateSite,
) -> None:
    english = squashed(text_of(pdf_of(site, site.ids.bilingual, "en")))
    chinese = squashed(text_of(pdf_of(site, site.ids.bilingual, "zh-CN")))
    assert "李娜" in english
    assert "李娜" in chinese
    assert english.index("TerminologyManagement") < english.index("术语管理")
    assert chinese.index("术语管理") < chinese.index("TerminologyManagement")


def _font_files(pdf: bytes) -> dict[str, set[str]]:
    """Each font of the page: its base name and which embedded-font streams it has."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: dict[str, set[str]] = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptors = [font.get("/FontDescriptor")]
        for descendant in font.get("/DescendantFonts") or []:
            descriptors.append(descendant.get_object().get("/FontDescriptor"))
        streams = {
            key
            for descriptor in descriptors
            if descriptor is not None
            for key in ("/FontFile", "/FontFile2", "/FontFile3")
            if key in descriptor.get_object()
        }
        found[str(font["/BaseFont"])] = streams
    return found


def test_the_cjk_font_is_embedded(site: CertificateSite) -> None:
    if not fonts.cjk_font().embedded:
        pytest.skip("no TrueType CJK font on this machine (fonts-wqy-zenhei): CID fallback")
    for lang in ("zh-CN", "en"):  # the English one names the achievement's Chinese version
        pdf = pdf_of(site, site.ids.bilingual, lang)
        embedded = {name for name, streams in _font_files(pdf).items() if "/FontFile2" in streams}
        assert embedded, _font_files(pdf)
        # A subset (a tag before its name), far smaller than the 16 MB font file.
        assert all(re.match(r"^/[A-Z]{6}\+", name) for name in embedded), embedded
        assert len(pdf) < 400_000


def decode_qr(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_qr_code_scans_to_the_credential_page(site: CertificateSite, lang: str) -> None:
    pdf = pdf_of(site, site.ids.valid, lang)
    assert decode_qr(pdf) == [f"{site.base}/credentials/{site.ids.valid}"]
    assert f"{site.base}/credentials/" in text_of(pdf)


def test_an_expired_credential_says_so(site: CertificateSite) -> None:
    text = text_of(pdf_of(site, site.ids.expired, "en"))
    assert re.search(r"Expired on\s*2 November 2025", text), text
    chinese = squashed(text_of(pdf_of(site, site.ids.expired, "zh-CN")))
    assert "过期日期2025年11月2日" in chinese
    valid = text_of(pdf_of(site, site.ids.valid, "en"))
    assert "Valid until" in valid
    assert "Expired on" not in valid


@pytest.mark.parametrize("case", ["hidden", "unknown"])
def test_hidden_or_unknown_is_404(site: CertificateSite, case: str) -> None:
    credential_id = site.ids.hidden if case == "hidden" else "00000000-0000-4000-8000-000000000000"
    response = fetch(site, credential_id, "en")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fetch(site, credential_id, "en", accept="text/html").status_code == 404


@pytest.mark.parametrize(("case", "status"), [("revoked", 410), ("suspended", 409)])
def test_revoked_or_suspended_has_no_certificate(
    site: CertificateSite, case: str, status: int
) -> None:
    credential_id = getattr(site.ids, case)
    response = fetch(site, credential_id, "en")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(f"credential_{case}")
    # A browser following the page's link is sent to the page, whose banner says why.
    browser = site.client.get(
        f"/credentials/{credential_id}/certificate.pdf?lang=zh-CN",
        headers={"Accept": "text/html,application/xhtml+xml"},
        follow_redirects=False,
    )
    assert browser.status_code == 303
    assert browser.headers["location"] == f"/credentials/{credential_id}?lang=zh-CN"


def test_a_certificate_is_made_once_then_served_from_memory(
    site: CertificateSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fetch(site, site.ids.valid, "en")
    assert first.status_code == 200
    etag = first.headers["etag"]

    def refuse(_: object) -> bytes:
        raise AssertionError("drawn again instead of served from memory")

    monkeypatch.setattr(render, "draw", refuse)
    again = fetch(site, site.ids.valid, "en")
    assert (again.content, again.headers["etag"]) == (first.content, etag)
    assert fetch(site, site.ids.valid, "en", **{"If-None-Match": etag}).status_code == 304
    # Another language is another certificate (drawn: refused here).
    with pytest.raises(AssertionError, match="drawn again"):
        fetch(site, site.ids.valid, "zh-CN")


def test_the_same_content_gives_the_same_bytes(site: CertificateSite) -> None:
    """reportlab's invariant mode: every worker makes one ETag for one certificate."""
    first = pdf_of(site, site.ids.valid, "zh-CN")
    render.hot.certificates.clear()
    assert pdf_of(site, site.ids.valid, "zh-CN") == first


def test_long_names_are_fitted_not_overflowing(site: CertificateSite) -> None:
    pdf = pdf_of(site, site.ids.long, "en")
    text = squashed(text_of(pdf))
    assert squashed(LONG_LEARNER)[:40] in text
    assert squashed(LONG_ACHIEVEMENT)[:40] in text
    assert decode_qr(pdf) == [f"{site.base}/credentials/{site.ids.long}"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize(("size", "floor", "width", "lines"), [(34, 16, 620, 2), (24, 13, 640, 2)])
def test_fit_keeps_every_line_inside_its_box(
    locale: str, size: float, floor: float, width: float, lines: int
) -> None:
    for text in (LONG_LEARNER, LONG_ACHIEVEMENT, "数据分析与可视化高级研修" * 12, "x" * 400):
        style, fitted = layout.fit(
            text, fonts.SERIF_BOLD, locale, size=size, floor=floor, width=width, lines=lines
        )
        assert 1 <= len(fitted) <= lines
        assert floor <= style.size <= size
        for line in fitted:
            assert layout._width(line, style) <= width + 0.01, (line, style)
    style, fitted = layout.fit(
        "Ada Lovelace", fonts.SERIF_BOLD, "en", size=34, floor=16, width=620, lines=2
    )
    assert (style.size, fitted) == (34, ["Ada Lovelace"])


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_screenshot_of_a_certificate(site: CertificateSite, lang: str) -> None:
    """The certificate as a PNG in test-output/screenshots (the README shows it)."""
    pdf = pdf_of(site, site.ids.bilingual if lang == "zh-CN" else site.ids.valid, lang)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
    assert image.size == (1263, 893)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SHOTS / f"certificate-{lang}.png")


def test_without_a_cjk_font_chinese_falls_back_to_the_readers_song_face(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fresh machine without fonts-wqy-zenhei still makes a Chinese certificate."""
    monkeypatch.setattr(fonts, "CJK_CANDIDATES", ())
    fonts.cjk_font.cache_clear()
    try:
        content = layout.Certificate(
            locale="zh-CN",
            title="证书",
            heading="证书",
            subheading="CERTIFICATE OF ACHIEVEMENT",
            certify="兹证明",
            learner="张伟",
            completed="已顺利完成",
            achievement="数据分析基础",
            achievement_other=None,
            issuer="示例大学",
            facts=[layout.Fact("颁发日期", "2026年3月12日")],
            more_facts=None,
            verify_label="验证网址",
            page_url="https://badges.example/credentials/x",
            id_label="证书编号",
            credential_id="x",
        )
        pdf = layout.draw(content)
        assert fonts.cjk_font().name == fonts.CID_FALLBACK
        assert "no TrueType CJK font" in caplog.text
    finally:
        fonts.cjk_font.cache_clear()
    text = squashed(text_of(pdf))
    for expected in ("张伟", "数据分析基础", "示例大学", "2026年3月12日"):
        assert expected in text, (expected, text)
    assert "STSong-Light" in "".join(_font_files(pdf))
