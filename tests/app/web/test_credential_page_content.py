"""Issue 15: what a credential page shows — the issuer's brand, every signed detail in order,
the folded check panel, actions that fit the state, and everything in the page's language."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from web_support import MENTOR, Showcase, Site, issue_showcase, make_app, make_settings

from app.web import i18n
from app.web.credential_page import clear_caches

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def showcase(site: Site) -> Showcase:
    return issue_showcase(site.client)


def page(site: Site, credential_id: str, lang: str = "en") -> str:
    response = site.client.get(f"/credentials/{credential_id}?lang={lang}", headers=HTML)
    assert response.status_code == 200, response.text
    return str(response.text)


def _text(html: str) -> str:
    """The page's words in document order (tags dropped)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_header_carries_the_issuers_logo_name_and_colours(site: Site, showcase: Showcase) -> None:
    html = page(site, showcase.valid)
    header = html[html.index('<header class="site') : html.index("</header>")]
    assert "site--issuer" in header
    assert "Northern Lakes University" in header
    assert re.search(
        rf'<img class="brand__logo" src="/issuers/{showcase.issuer_id}/logo\?v=\w+"', header
    )
    sheet = re.search(rf'href="(/issuers/{showcase.issuer_id}/brand\.css\?v=\w+)"', html)
    assert sheet is not None
    css = site.client.get(sheet.group(1))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.text == ":root{--brand:#7a1f2b;--brand-fg:#ffffff;--brand-accent:#a8741a}\n"
    assert (
        site.client.get(sheet.group(1), headers={"If-None-Match": css.headers["etag"]}).status_code
        == 304
    )
    chinese = page(site, showcase.valid, "zh-CN")
    assert "北湖大学" in chinese[chinese.index('<header class="site') : chinese.index("</header>")]
    assert (
        '<span class="issuer"><a href="https://lakes.example.edu" rel="nofollow noopener">北湖大学</a>'
        in chinese
    )


def test_a_colour_change_shows_on_the_next_render(site: Site, showcase: Showcase) -> None:
    before = re.search(r"brand\.css\?v=(\w+)", page(site, showcase.valid))
    assert before is not None
    admin = {"Authorization": "Bearer " + "test-admin-token-" + "x" * 24}
    changed = site.client.patch(
        f"/api/v1/issuers/{showcase.issuer_id}", json={"accentColor": "#1d4ed8"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    try:
        clear_caches()  # the rendered page is kept for its minute; the brand itself is not
        after = re.search(r"brand\.css\?v=(\w+)", page(site, showcase.valid))
        assert after is not None
        assert after.group(1) != before.group(1)
    finally:
        site.client.patch(
            f"/api/v1/issuers/{showcase.issuer_id}", json={"accentColor": "#a8741a"}, headers=admin
        )


def test_every_signed_detail_is_shown_in_reading_order(site: Site, showcase: Showcase) -> None:
    words = _text(page(site, showcase.valid))
    order = [
        "Machine Translation Post-Editing",  # achievement
        "Awarded to Wang Mei",  # learner
        "Issued by Northern Lakes University",  # issuer
        "Issued",  # dates
        "Credits earned 2",
        "Field of study Translation Studies",
        "Code ITIC-102",
        "Results",
        "Project rubric Rubric level Exemplary Publication-ready output needing no revision.",
        "Final assessment Percent 92 / 100",
        "Evidence",
        "Post-editing portfolio",
        "Assessed by",
        MENTOR["name"],
        "Aligned to",
        "Translation competence PACTE-TC Competency framework item · PACTE",
        "Tags",
        "post-editing",
        "localisation",
    ]
    position = 0
    for phrase in order:
        found = words.find(phrase, position)
        assert found >= 0, f"{phrase!r} missing or out of order"
        position = found
    assert "Term Spring 2026" in words
    assert "MICRO" not in words  # the type is a translated word, not the enum's spelling
    assert '<p class="hero__type">Micro credential</p>' in page(site, showcase.valid)


def test_enums_dates_and_numbers_are_in_chinese(site: Site, showcase: Showcase) -> None:
    html = page(site, showcase.valid, "zh-CN")
    assert '<p class="hero__type">微证书</p>' in html
    assert '<span class="results__type">量规等级</span>' in html
    assert '<span class="results__type">百分比</span>' in html
    assert "能力框架条目" in html
    assert re.search(r"<time datetime=\"[^\"]+\">\d{4}年\d{1,2}月\d{1,2}日</time>", html)
    for english in ("Rubric level", "Percent", "Micro credential", "Competency framework item"):
        assert english not in html


def test_checks_fold_into_one_line_while_all_pass(site: Site, showcase: Showcase) -> None:
    html = page(site, showcase.valid)
    assert re.search(r'<details class="checks__passed" data-passed="8">', html)
    assert "All 8 checks passed" in html
    folded = html[html.index('<details class="checks__passed"') :]
    assert 'data-check="proof" data-status="valid"' in folded
    revoked = page(site, showcase.revoked)
    # the failing check stays open above the folded ones
    assert revoked.index('data-check="revocation" data-status="invalid"') < revoked.index(
        'class="checks__passed"'
    )
    assert "7 other checks passed" in revoked


@pytest.mark.parametrize("state", ["revoked", "suspended", "expired"])
def test_sharing_is_offered_only_while_the_credential_stands(
    site: Site, showcase: Showcase, state: str
) -> None:
    valid = page(site, showcase.valid)
    assert "button--linkedin" in valid
    assert 'id="permalink"' in valid
    assert f'href="/credentials/{showcase.valid}/certificate.pdf?lang=en"' in valid
    credential_id = getattr(showcase, state)
    html = page(site, credential_id)
    assert "button--linkedin" not in html
    assert 'id="permalink"' not in html
    assert "not offered for sharing" in html
    assert f'href="{site.base}/credentials/{credential_id}.json"' in html  # the signed file stays
    assert (f"/credentials/{credential_id}/certificate.pdf" in html) is (state == "expired")
    # the share route itself leads back to the page instead of LinkedIn
    shared = site.client.get(f"/credentials/{credential_id}/share/linkedin", follow_redirects=False)
    assert shared.status_code == 303
    assert shared.headers["location"].endswith(f"/credentials/{credential_id}")
    live = site.client.get(f"/credentials/{showcase.valid}/share/linkedin", follow_redirects=False)
    assert live.headers["location"].startswith("https://www.linkedin.com/profile/add?")


def test_revocation_reason_is_public_and_suspension_reason_is_not(
    site: Site, showcase: Showcase
) -> None:
    revoked = page(site, showcase.revoked)
    assert f"Reason given by the issuer: {showcase.reason}" in revoked
    assert "Revoked on" in revoked
    chinese = page(site, showcase.revoked, "zh-CN")
    assert f"颁发机构给出的原因：{showcase.reason}" in chinese
    suspended = page(site, showcase.suspended)
    assert showcase.private_reason not in suspended
    assert "Suspended on" in suspended


def test_linkedin_link_fills_every_field(site: Site, showcase: Showcase) -> None:
    target = site.client.get(
        f"/credentials/{showcase.valid}/share/linkedin", follow_redirects=False
    ).headers["location"]
    for field in (
        "name=Machine",
        "organizationName=Northern",
        "issueYear=",
        "issueMonth=",
        "certUrl=",
        f"certId={showcase.valid}",
    ):
        assert field in target


def test_service_name_is_configurable(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = make_settings(tmp_path_factory.mktemp("named"), "https://testserver")
    settings = settings.model_copy(update={"service_name": "Lakes Credentials"})
    app = make_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        home = client.get("/verify", headers=HTML).text
        assert '<a class="brand" href="/">Lakes Credentials</a>' in home
        assert "Lakes Credentials</title>" in home
    app.state.engine.dispose()
    assert i18n.Translator("en")("site.name") == "Open Badges"
    assert i18n.Translator("zh-CN", "Lakes Credentials")("site.name") == "Lakes Credentials"


def test_term_and_number_helpers() -> None:
    en, zh = i18n.Translator("en"), i18n.Translator("zh-CN")
    assert en.term("achievement_type", "Course") == "Course"
    assert zh.term("achievement_type", "Course") == "课程"
    assert zh.term("achievement_type", "ext:Capstone") == "Capstone"
    assert zh.term("result_status", "Completed") == "已完成"
    assert en.number("2.0") == "2"
    assert en.number(1234.5) == "1,234.5"
    assert en.number("x") == "x"


def test_an_altered_record_gets_no_certificate_and_no_sharing(site: Site) -> None:
    import json
    import uuid

    from sqlalchemy.orm import Session

    from app.models import Credential

    altered = issue_showcase(site.client).valid
    with Session(site.app.state.engine) as session:
        row = session.get(Credential, uuid.UUID(altered))
        assert row is not None
        document = json.loads(row.document)
        document["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
        row.document = json.dumps(document)
        session.commit()
    clear_caches()
    html = page(site, altered)
    assert 'data-banner="tampered"' in html
    assert "button--linkedin" not in html
    assert "certificate.pdf" not in html
    refused = site.client.get(f"/credentials/{altered}/certificate.pdf")
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/credential_not_verified")
    browser = site.client.get(
        f"/credentials/{altered}/certificate.pdf?lang=zh-CN", headers=HTML, follow_redirects=False
    )
    assert browser.status_code == 303
    assert browser.headers["location"] == f"/credentials/{altered}?lang=zh-CN"


@pytest.mark.parametrize("path", ["image.svg", "badge.svg"])
def test_svg_from_issuers_is_served_under_a_policy_that_runs_nothing(
    site: Site, showcase: Showcase, path: str
) -> None:
    response = site.client.get(f"/credentials/{showcase.valid}/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_claim_page_carries_the_brand_and_offers_linkedin_only_while_current(
    site: Site, showcase: Showcase
) -> None:
    def claim(credential_id: str) -> str:
        offer = site.client.post(
            f"/api/v1/credentials/{credential_id}/offers", headers=showcase.headers
        )
        assert offer.status_code == 201, offer.text
        path = "/claim/" + str(offer.json()["claimUrl"]).rsplit("/", 1)[1]
        response = site.client.get(path + "?lang=zh-CN", headers=HTML)
        assert response.status_code == 200, response.text
        return str(response.text)

    current = claim(showcase.valid)
    header = current[current.index('<header class="site') : current.index("</header>")]
    assert "site--issuer" in header
    assert "北湖大学" in header
    assert f"/issuers/{showcase.issuer_id}/brand.css?v=" in current
    assert "button--linkedin" in current
    assert "button--linkedin" not in claim(showcase.expired)
