"""CLRs on /verify, the learner page, and bilingual achievements on the credential page."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import MODULES, ProgramData, Site, issue_program

from app.web import i18n
from app.web.languages import languages_of
from app.web.panel import SimpleCheck, SimpleReport, build_panel
from app.web.view import credential_view, language_tag
from openbadges.verification.report import (
    CHECK_TITLES,
    Check,
    CheckStatus,
    IncludedReport,
    VerificationReport,
)


@pytest.fixture(scope="module")
def program(site: Site) -> ProgramData:
    return issue_program(site.client)


def _clr(site: Site, program: ProgramData, language: str = "en") -> dict[str, Any]:
    response = site.client.get(
        f"/api/v1/learner/programs/{program.program_id}/clr",
        params={"token": program.token, "language": language},
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _verify(site: Site, document: dict[str, Any], lang: str = "en") -> str:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    response = site.client.post(
        f"/verify?lang={lang}", files={"file": ("clr.json", body, "application/json")}
    )
    assert response.status_code == 200
    return str(response.text)


def _included(page: str) -> list[tuple[str, str]]:
    """``(status, name)`` of each included credential, in order."""
    items = re.findall(
        r'data-included="\d+" data-status="(\w+)">.*?<h3 class="included__name"[^>]*>([^<]*)</h3>',
        page,
        re.S,
    )
    return [(status, name) for status, name in items]


# --- CLR on /verify ------------------------------------------------------------------------


def test_learner_clr_verifies_and_lists_every_included_credential(
    site: Site, program: ProgramData
) -> None:
    page = _verify(site, _clr(site, program))
    assert 'data-banner="verified"' in page
    assert re.search(r'data-check="credentials" data-status="valid"', page)
    assert "Every credential in this record is genuine" in page
    # The program credential follows the language of the module that completed it (module 2,
    # earned in Chinese).
    assert sorted(_included(page)) == [
        ("valid", MODULES[0][0]),
        ("valid", MODULES[1][1]),
        ("valid", "翻译技术"),
    ]
    assert "This record bundles 3 credentials" in page


def test_clr_on_verify_in_chinese(site: Site, program: ProgramData) -> None:
    page = _verify(site, _clr(site, program, "zh-CN"), lang="zh-CN")
    assert "包含的证书" in page
    assert "此记录中的每份证书都真实有效。" in page
    assert [s for s, _ in _included(page)] == ["valid"] * 3


def test_tampered_clr_names_the_failing_credential(site: Site, program: ProgramData) -> None:
    document = _clr(site, program)
    tampered = copy.deepcopy(document)
    included = tampered["credentialSubject"]["verifiableCredential"]
    included[0]["name"] = included[0]["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    page = _verify(site, tampered)
    assert 'data-banner="tampered"' in page
    assert re.search(r'data-check="credentials" data-status="invalid"', page)
    rows = _included(page)
    assert rows[0] == ("invalid", "Brain Surgery")
    assert [s for s, _ in rows[1:]] == ["valid", "valid"]
    first = page[page.index('data-included="0"') : page.index('data-included="1"')]
    assert 'data-check="proof" data-status="invalid"' in first
    assert "This credential failed its own checks" in first


def test_issuer_clr_endpoint_gives_the_same_transcript(site: Site, program: ProgramData) -> None:
    learner = site.client.get("/api/v1/learner", params={"token": program.token}).json()
    assert len(learner["programs"]) == 1
    names = {c["name"] for c in learner["credentials"]}
    assert {MODULES[0][0], MODULES[1][1]} <= names
    assert {c["issuerName"] for c in learner["credentials"]} == {"Northwest Applied University"}


# --- panel and view units --------------------------------------------------------------------


def _report(verified: bool, **statuses: CheckStatus) -> VerificationReport:
    checks = [Check.make(i, statuses.get(i, "valid"), f"{i} detail") for i in ("format", "proof")]
    checks += [Check.make(i, s, f"{i} detail") for i, s in statuses.items() if i != "proof"]
    doc = {"name": "Child", "issuer": {"id": "https://x.example", "name": "X"}}
    return VerificationReport(verified=verified, credential=doc, format="json", checks=checks)


def test_included_rows_carry_each_verdict() -> None:
    children = [
        IncludedReport(0, "$.a[0]", "Good", _report(True)),
        IncludedReport(1, "$.a[1]", "Forged", _report(False, proof="invalid")),
        IncludedReport(2, "$.a[2]", None, _report(False, revocation="unknown")),
    ]
    parent = VerificationReport(
        verified=False,
        credential={},
        format="json",
        checks=[Check.make("credentials", "invalid", "…")],
        children=children,
    )
    panel = build_panel(parent, valid_from=None, now=datetime.now(UTC))
    assert [(r.verdict, r.banner, r.name) for r in panel.included] == [
        ("valid", "verified", "Good"),
        ("invalid", "tampered", "Forged"),
        ("unknown", "unchecked", None),
    ]
    assert [r.id for r in panel.included[1].failed] == ["proof"]
    assert [(r.id, r.status) for r in panel.included[2].failed] == [("revocation", "unknown")]
    assert panel.included[0].issuer == "X"
    simple = SimpleReport(verified=False, checks=[SimpleCheck("proof", "unknown", "")])
    assert build_panel(simple, valid_from=None).included == []


@pytest.mark.parametrize("locale", i18n.SUPPORTED)
def test_every_check_has_words_in_every_language(locale: str) -> None:
    messages = i18n.catalogue(locale)
    for check_id in CHECK_TITLES:
        for suffix in ("", ".valid", ".invalid", ".unknown"):
            assert f"check.{check_id}{suffix}" in messages, (locale, check_id, suffix)


def test_catalogues_have_the_same_keys() -> None:
    english = {k for k in i18n.catalogue("en") if not k.startswith("month.")}
    assert english == set(i18n.catalogue("zh-CN"))


@pytest.mark.parametrize(
    ("value", "kept"),
    [("en", True), ("zh-CN", True), ("zh-Hant-TW", True), ('en" onclick="x', False), (3, False)],
)
def test_language_tags_are_checked_before_use_in_lang(value: object, kept: bool) -> None:
    assert (language_tag(value) is not None) is kept


# --- bilingual credential page ---------------------------------------------------------------


def test_credential_page_names_the_other_language_version(site: Site, program: ProgramData) -> None:
    # A page in the other language leads with the issuer's version in that language (issue 15
    # item 7) and names the signed title beneath it.
    page = site.client.get(f"/credentials/{program.module_en}?lang=zh-CN").text
    assert f'<h1 class="hero__title" id="cred-title" lang="zh-CN">{MODULES[0][1]}</h1>' in page
    assert f'<span lang="en">{MODULES[0][0]}</span>' in page
    assert "签名时的名称" in page  # the hidden label says the subtitle is the signed title
    assert "已签名的证书为英文" in page
    assert '<span data-language="en">英文</span>' in page
    assert "另有简体中文版本" in page
    english = site.client.get(f"/credentials/{program.module_zh}?lang=en").text
    assert f'lang="en">{MODULES[1][0]}</h1>' in english
    assert f'<span lang="zh-CN">{MODULES[1][1]}</span>' in english
    assert "Also issued in English" in english
    # In its own language the page shows the signed title and names the other version.
    own = site.client.get(f"/credentials/{program.module_en}?lang=en").text
    assert f'<h1 class="hero__title" id="cred-title" lang="en">{MODULES[0][0]}</h1>' in own
    assert f'<span lang="zh-CN">{MODULES[0][1]}</span>' in own
    assert "Simplified Chinese title" in own


def test_related_version_of_another_issuer_is_not_named(site: Site, program: ProgramData) -> None:
    own = json.loads(site.client.get(f"/credentials/{program.module_en}.json").text)
    stranger = json.loads(site.client.get(f"/credentials/{site.ids.chinese}.json").text)
    t = i18n.Translator("en")
    with site.app.state.sessionmaker() as session:
        genuine = languages_of(session, site.base, credential_view(own), t)
        assert [(o.language, o.name) for o in genuine.others] == [("zh-CN", MODULES[0][1])]
        achievement = own["credentialSubject"]["achievement"]
        achievement["related"][0]["id"] = stranger["credentialSubject"]["achievement"]["id"]
        borrowed = languages_of(session, site.base, credential_view(own), t)
    assert [(o.language, o.label, o.name) for o in borrowed.others] == [
        ("zh-CN", "Simplified Chinese", None)
    ]


def test_page_without_language_shows_no_language_fact(site: Site) -> None:
    page = site.client.get(f"/credentials/{site.ids.valid}?lang=en").text
    assert "Also issued in" not in page
    assert '<dd class="languages">' not in page


# --- learner page ----------------------------------------------------------------------------


def _modules(page: str) -> list[tuple[str, str]]:
    """``(lang, name)`` of each module line of the program."""
    pattern = r'<span class="module__name" lang="([^"]+)">(?:<a href="[^"]+">)?([^<]+)'
    return [(lang, name) for lang, name in re.findall(pattern, page)]


def test_learner_page_uses_the_site_look_and_is_private(site: Site, program: ProgramData) -> None:
    response = site.client.get(f"/learners/{program.token}?lang=en")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "same-origin"  # none to other sites
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["content-language"] == "en"
    page = response.text
    assert '<html lang="en">' in page
    assert '<link rel="stylesheet" href="/static/app.css?v=' in page
    assert '<a class="skip" href="#main">' in page
    assert 'hreflang="zh-CN"' in page  # the language switch
    assert "<style" not in page
    assert 'name="robots" content="noindex, nofollow"' in page


def test_learner_page_shows_progress_rule_award_and_clr(site: Site, program: ProgramData) -> None:
    page = site.client.get(f"/learners/{program.token}?lang=en").text
    assert re.search(r'<progress id="progress-[^"]+" max="2" value="2">', page)
    assert "2 of 2 required modules completed" in page
    assert "Complete 2 of 3 modules." in page
    assert "Program completed: certificate awarded on" in page
    statuses = re.findall(r'class="module module--(\w+)"', page)
    assert statuses == ["counts", "counts", "missing"]
    assert _modules(page) == [("en", english) for english, _ in MODULES]
    # the CLR download goes by the page's cookie: no token anywhere in the page
    assert f'href="/api/v1/learner/programs/{program.program_id}/clr?language=en"' in page
    assert program.token not in page
    assert page.count('class="ccard ccard--ok"') == 3
    assert page.count("Issued by</dt><dd>Northwest Applied University") == 3


def test_learner_page_in_chinese_names_modules_in_chinese(site: Site, program: ProgramData) -> None:
    page = site.client.get(f"/learners/{program.token}?lang=zh-CN")
    text = page.text
    assert '<html lang="zh-CN">' in text
    assert "需完成 3 个模块中的 2 个。" in text
    assert _modules(text) == [("zh-CN", chinese) for _, chinese in MODULES]
    assert re.search(r'<h3 id="program-[^"]+" lang="zh-CN">翻译技术</h3>', text)
    assert "下载我的综合学习记录" in text


def test_hide_and_show_from_the_learner_page(site: Site, program: ProgramData) -> None:
    site.client.get(f"/learners/{program.token}?lang=en")  # the link sets the session cookie
    action = f"/learners/me/credentials/{program.module_en}/visibility?lang=en"
    hidden = site.client.post(action, data={"hidden": "true"}, follow_redirects=False)
    assert hidden.status_code == 303
    assert hidden.headers["location"] == f"/learners/me?lang=en#credential-{program.module_en}"
    try:
        page = site.client.get(f"/learners/{program.token}?lang=en").text
        card = page[page.index(f'id="credential-{program.module_en}"') :]
        card = card[: card.index("</li>")]
        assert "Hidden: the public page is withdrawn." in card
        assert f'href="{site.base}/credentials/{program.module_en}"' not in card
        assert 'name="hidden" value="false"' in card
        assert site.client.get(f"/credentials/{program.module_en}.json").status_code == 404
    finally:
        shown = site.client.post(action, data={"hidden": "false"}, follow_redirects=False)
    assert shown.status_code == 303
    assert site.client.get(f"/credentials/{program.module_en}.json").status_code == 200


def test_learner_page_needs_a_valid_link(site: Site, program: ProgramData) -> None:
    assert site.client.get(f"/learners/{program.token[:-3]}xyz").status_code == 401


def test_the_link_swaps_its_token_for_a_cookie_and_a_token_free_url(
    site: Site, program: ProgramData
) -> None:
    """Issue 9 item 2: after the first request the token is in no URL (log, history, bar)."""
    opened = site.client.get(f"/learners/{program.token}?lang=zh-CN", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/learners/me?lang=zh-CN"
    assert (opened.headers["cache-control"], opened.headers["referrer-policy"]) == (
        "no-store",
        "no-referrer",
    )
    cookies = opened.headers.get_list("set-cookie")
    assert sorted(c.split("; Path=")[1].split(";")[0] for c in cookies) == [
        "/api/v1/learner",
        "/learners",
    ]
    for cookie in cookies:
        assert program.token not in cookie  # a session token of its own, not the link's
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite=lax"} <= attributes
        max_age = int(next(a for a in attributes if a.startswith("max-age=")).split("=")[1])
        assert 0 < max_age <= 4 * 3600
    page = site.client.get("/learners/me?lang=zh-CN")
    assert page.status_code == 200
    assert "我的证书" in page.text
    assert program.token not in page.text
    clr = site.client.get(f"/api/v1/learner/programs/{program.program_id}/clr?language=en")
    assert clr.status_code == 200  # the page's download link, by the cookie
    assert clr.headers["cache-control"] == "no-store"
    bearer = {"Authorization": f"Bearer {program.token}"}
    fresh = TestClient(site.app, base_url=site.base)  # no cookie: 401, then bearer works
    assert fresh.get("/learners/me").status_code == 401
    assert fresh.get("/api/v1/learner").status_code == 401
    assert fresh.get("/api/v1/learner", headers=bearer).json()["learner"] == program.learner
    session_cookie = cookies[0].split(";")[0].split("=", 1)[1]
    as_link = fresh.get(f"/learners/{session_cookie}", follow_redirects=False)
    assert as_link.status_code == 401  # a session token is no link


def test_a_cookie_change_from_another_origin_is_refused(site: Site, program: ProgramData) -> None:
    site.client.get(f"/learners/{program.token}")
    action = f"/learners/me/credentials/{program.module_en}/visibility"
    foreign = {"Origin": "https://evil.testserver"}
    refused = site.client.post(action, data={"hidden": "true"}, headers=foreign)
    assert refused.status_code == 403
    api = f"/api/v1/learner/credentials/{program.module_en}/visibility"
    assert site.client.put(api, json={"hidden": True}, headers=foreign).status_code == 403
    assert site.client.get(f"/credentials/{program.module_en}.json").status_code == 200
    sibling = {"Sec-Fetch-Site": "same-site"}  # a sibling sub-domain's page: cookie sent
    assert site.client.post(action, data={"hidden": "true"}, headers=sibling).status_code == 403
    assert site.client.get(f"/credentials/{program.module_en}.json").status_code == 200
    same = site.client.put(api, json={"hidden": False}, headers={"Origin": site.base})
    assert same.status_code == 204
    # a same-origin form post under a no-referrer policy: Origin null, Sec-Fetch-Site same-origin
    page_form = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    shown = site.client.post(action, data={"hidden": "false"}, headers=page_form)
    assert shown.status_code == 200  # 303 back to the page, followed


def test_an_opaque_origin_without_fetch_metadata_is_refused(
    site: Site, program: ProgramData
) -> None:
    """``Origin: null`` is also what a sandboxed frame, a ``data:`` document, a cross-origin
    307 or a ``no-referrer`` page elsewhere sends, so on its own it proves nothing: a browser
    without Fetch Metadata (Safari before 16.4) on a sibling sub-domain's page would pass.
    The learner page's policy (``same-origin``) makes every browser send its real origin."""
    site.client.get(f"/learners/{program.token}")
    action = f"/learners/me/credentials/{program.module_en}/visibility"
    api = f"/api/v1/learner/credentials/{program.module_en}/visibility"
    opaque = {"Origin": "null"}
    assert site.client.post(action, data={"hidden": "true"}, headers=opaque).status_code == 403
    assert site.client.put(api, json={"hidden": True}, headers=opaque).status_code == 403
    sibling = {"Origin": "null", "Sec-Fetch-Site": "same-site"}
    assert site.client.post(action, data={"hidden": "true"}, headers=sibling).status_code == 403
    assert site.client.get(f"/credentials/{program.module_en}.json").status_code == 200
    page = site.client.get("/learners/me")
    assert page.headers["referrer-policy"] == "same-origin"  # no referrer leaves the site
    assert '<meta name="referrer" content="same-origin">' in page.text
    own = {"Origin": site.base}  # what the page's form sends under that policy
    shown = site.client.post(action, data={"hidden": "false"}, headers=own)
    assert shown.status_code == 200
