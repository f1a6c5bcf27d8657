"""The program section of a program award's page, and its public CLR download (issue 15, 4)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session
from web_support import MODULES, Issuer, ProgramData, Site, issue_program

from app.models import Credential
from app.web import i18n
from app.web.program_section import ProgramSection, program_section, rule_in_words
from app.web.templating import env
from openbadges import schemas

GRADE = "urn:uuid:6a2c7a8e-0000-4000-8000-0000000000a1"


@pytest.fixture(scope="module")
def program(site: Site) -> ProgramData:
    """Translation Technology: any 2 of 3 modules; modules 1 (en) and 2 (zh) earned."""
    return issue_program(site.client)


def _award_of(site: Site, data: ProgramData) -> str:
    view = site.client.get("/api/v1/learner", headers={"Authorization": f"Bearer {data.token}"})
    assert view.status_code == 200, view.text
    (entry,) = view.json()["programs"]
    assert entry["awarded"] is True
    return str(entry["programCredentialId"])


def _section(site: Site, credential_id: str, locale: str = "en") -> ProgramSection | None:
    with Session(site.app.state.engine) as session:
        row = session.get(Credential, uuid.UUID(credential_id))
        assert row is not None
        return program_section(session, row, locale)


def _render(section: ProgramSection, locale: str = "en") -> str:
    wrapper = env.from_string(
        '{% from "_program.html" import program_section %}{{ program_section(section, t) }}'
    )
    return wrapper.render(section=section, t=i18n.Translator(locale))


def _verify(issuer: Issuer, body: bytes) -> dict[str, Any]:
    response = issuer.client.post(
        "/api/v1/verify",
        content=body,
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _assert_clr_schema(document: dict[str, Any]) -> None:
    """The CLR 2.0 (derived) schema, as the suite applies it: the issuers here have suspension
    on, so each included credential lists two status entries, the one known departure from
    OB 3.0's [0..1] ``credentialStatus`` (tests/app/test_issued_schemas.py)."""
    errors = schemas.validate(document, "clr_credential")
    departure = re.compile(
        r"^\$\.credentialSubject\.verifiableCredential\[\d+\]\.credentialStatus$"
    )
    assert [str(e) for e in errors if not departure.match(e.path)] == []


def _today(locale: str) -> str:
    return i18n.Translator(locale).date(datetime.now(UTC))


# --- the standard bilingual program --------------------------------------------------------


def test_no_section_for_a_credential_that_is_no_award(site: Site, program: ProgramData) -> None:
    assert _section(site, site.ids.valid) is None
    assert _section(site, program.module_en) is None  # a module credential is no award


def test_award_lists_the_modules_with_the_learners_credentials(
    site: Site, program: ProgramData
) -> None:
    award = _award_of(site, program)
    section = _section(site, award, "en")
    assert section is not None
    assert section.name == "Translation Technology"
    assert [m.name for m in section.modules] == [en for en, _ in MODULES]
    assert [m.state for m in section.modules] == ["valid", "valid", "missing"]
    assert [m.url for m in section.modules] == [
        f"/credentials/{program.module_en}",
        f"/credentials/{program.module_zh}",
        None,
    ]
    assert all(m.issued is not None for m in section.modules[:2])
    assert section.modules[2].issued is None
    assert section.completed == 2
    assert section.rule == ["Any 2 of the 3 modules"]
    assert section.clr_url == f"/credentials/{award}/clr.json?lang=en"


def test_section_in_chinese(site: Site, program: ProgramData) -> None:
    section = _section(site, _award_of(site, program), "zh-CN")
    assert section is not None
    assert section.name == "翻译技术"
    assert section.language == "zh-CN"
    assert [m.name for m in section.modules] == [zh for _, zh in MODULES]
    assert section.rule == ["3 个模块中任意 2 个"]
    html = _render(section, "zh-CN")
    assert "已完成 3 个模块中的 2 个" in html
    assert "未获得" in html
    assert _today("zh-CN") in html


def test_queries_stay_few(site: Site, program: ProgramData) -> None:
    """No query for a credential that is no award; three for an award (cold page render)."""
    award = _award_of(site, program)
    engine = site.app.state.engine
    with Session(engine) as session:
        rows = {i: session.get(Credential, uuid.UUID(i)) for i in (site.ids.valid, award)}
        counted: list[str] = []

        def count(*args: Any) -> None:
            counted.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert program_section(session, rows[site.ids.valid], "en") is None
            assert counted == []
            assert program_section(session, rows[award], "en") is not None
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(counted) == 3, counted


def test_rendered_macro_is_an_accessible_table(site: Site, program: ProgramData) -> None:
    award = _award_of(site, program)
    section = _section(site, award, "en")
    assert section is not None
    html = _render(section)
    assert 'aria-labelledby="program-section-title"' in html
    assert '<h2 id="program-section-title"' in html
    assert html.count('<th scope="col">') == 4
    assert html.count('<th scope="row"') == 3
    assert f'<a href="/credentials/{program.module_en}">{MODULES[0][0]}</a>' in html
    assert re.findall(r'data-module-state="(\w+)"', html) == ["valid", "valid", "missing"]
    assert html.count(f'<time datetime="{datetime.now(UTC).date().isoformat()}">') == 2
    assert "Any 2 of the 3 modules" in html
    assert f'href="/credentials/{award}/clr.json?lang=en" download' in html
    assert 'class="program-' in html
    assert 'class="program"' not in html


def test_the_css_uses_only_prefixed_classes() -> None:
    from app.web import static

    css = re.sub(r"/\*.*?\*/", "", static.ASSETS["program.css"].body.decode(), flags=re.S)
    classes = set(re.findall(r"\.([a-zA-Z][\w-]*)", css))
    assert classes
    assert sorted(c for c in classes if not c.startswith("program-")) == []
    assert "var(--ok-bg)" in css


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_public_clr_download_verifies(site: Site, program: ProgramData, locale: str) -> None:
    award = _award_of(site, program)
    response = site.client.get(f"/credentials/{award}/clr.json", params={"lang": locale})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+ld+json")
    assert response.headers["content-disposition"] == f'attachment; filename="clr-{award}.json"'
    document = response.json()
    assert document["type"] == ["VerifiableCredential", "ClrCredential"]
    expected = {
        "en": "Translation Technology: Comprehensive Learner Record",
        "zh-CN": "翻译技术：综合学习记录",
    }
    assert document["name"] == expected[locale]
    included = document["credentialSubject"]["verifiableCredential"]
    assert len(included) == 3  # two modules and the award
    assert "partial" not in document
    _assert_clr_schema(document)
    report = _verify(Issuer(site.client), response.content)
    assert report["verified"] is True, report
    # the same bytes again within the minute (one signature per worker and state)
    again = site.client.get(f"/credentials/{award}/clr.json", params={"lang": locale})
    assert again.content == response.content


def test_clr_of_anything_but_an_award_is_404(site: Site, program: ProgramData) -> None:
    for credential in (site.ids.valid, program.module_en, "00000000-0000-4000-8000-000000000000"):
        response = site.client.get(f"/credentials/{credential}/clr.json")
        assert response.status_code == 404, (credential, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    bad = site.client.get("/credentials/not-a-uuid/clr.json")
    assert bad.status_code == 422
    assert "credential_id" in bad.text


# --- one learner's modules with results, hidden and revoked ---------------------------------


@dataclass
class Graded:
    issuer: Issuer
    program_id: str
    learner: str
    token: str
    modules: list[str]
    """The learner's module credentials, in program order."""
    other: str
    """Another learner's credential for module 1."""
    award: str


def _graded_program(site: Site, learner: str) -> Graded:
    """Three graded modules, rule "all"; the learner earns each with a grade (awarded)."""
    issuer = Issuer(site.client, {"en": "Harbour Institute", "zh-CN": "海港学院"})
    grade = [{"id": GRADE, "name": "Final grade", "resultType": "LetterGrade"}]
    lineages = [
        issuer.achievement(
            f"Module {n}", achievementType="MicroCredential", resultDescription=grade
        )
        for n in ("One", "Two", "Three")
    ]
    created = issuer.client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Harbour Skills", "zh-CN": "海港技能"},
            "description": {"en": "A program.", "zh-CN": "项目。"},
            "defaultLanguage": "en",
            "modules": lineages,
            "rule": {"kind": "all"},
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert created.status_code == 201, created.text
    program_id = created.json()["id"]

    def issue(lineage: str, email: str, value: str) -> str:
        body = {
            "achievementId": lineage,
            "recipient": {"email": email},
            "results": [{"resultDescription": GRADE, "value": value}],
        }
        made = issuer.client.post("/api/v1/credentials", json=body, headers=issuer.headers)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    other = issue(lineages[0], "someone.else@example.org", "C")
    modules = [issue(lineage, learner, v) for lineage, v in zip(lineages, "ABA", strict=True)]
    progress = issuer.client.get(
        f"/api/v1/programs/{program_id}/learners/{learner}", headers=issuer.headers
    ).json()
    assert progress["awarded"] is True, progress
    link = issuer.client.post(
        "/api/v1/learners/link", json={"email": learner}, headers=issuer.headers
    )
    assert link.status_code == 201, link.text
    return Graded(
        issuer=issuer,
        program_id=program_id,
        learner=learner,
        token=link.json()["token"],
        modules=modules,
        other=other,
        award=str(progress["programCredentialId"]),
    )


def _hide(site: Site, data: Graded, credential: str, hidden: bool = True) -> None:
    response = site.client.put(
        f"/api/v1/learner/credentials/{credential}/visibility",
        json={"hidden": hidden},
        headers={"Authorization": f"Bearer {data.token}"},
    )
    assert response.status_code == 204, response.text


def test_results_hidden_and_revoked_modules(site: Site) -> None:
    data = _graded_program(site, "mei.chen@example.org")
    section = _section(site, data.award)
    assert section is not None
    assert [m.result for m in section.modules] == [
        "Final grade: A",
        "Final grade: B",
        "Final grade: A",
    ]
    assert section.rule == ["All 3 modules"]
    assert data.other not in " ".join(m.url or "" for m in section.modules)

    _hide(site, data, data.modules[1])
    data.issuer.change(data.modules[2], "revoke")
    section = _section(site, data.award)
    assert section is not None
    first, hidden, revoked = section.modules
    assert (first.state, first.url, first.result) == (
        "valid",
        f"/credentials/{data.modules[0]}",
        "Final grade: A",
    )
    # hidden: completed, with nothing of the credential
    assert (hidden.state, hidden.url, hidden.issued, hidden.result) == ("hidden", None, None, None)
    assert revoked.state == "revoked"
    assert revoked.url == f"/credentials/{data.modules[2]}"
    assert revoked.issued is not None
    assert section.completed == 2
    html = _render(section)
    assert "Completed — not shared" in html
    assert "Revoked" in html
    assert data.modules[1] not in html
    zh = _render(_section(site, data.award, "zh-CN") or section, "zh-CN")
    assert "已完成（未公开）" in zh
    assert "已撤销" in zh

    # The CLR holds the award and the one shared, valid module only.
    response = site.client.get(f"/credentials/{data.award}/clr.json")
    assert response.status_code == 200, response.text
    document = response.json()
    ids = {
        c["id"].rsplit("/", 1)[-1] for c in document["credentialSubject"]["verifiableCredential"]
    }
    assert ids == {data.modules[0], data.award}
    _assert_clr_schema(document)
    assert _verify(data.issuer, response.content)["verified"] is True

    # Showing the module again is a new state: the next download includes it.
    _hide(site, data, data.modules[1], hidden=False)
    again = site.client.get(f"/credentials/{data.award}/clr.json").json()
    assert len(again["credentialSubject"]["verifiableCredential"]) == 3


def test_a_hidden_or_revoked_award_has_no_clr(site: Site) -> None:
    data = _graded_program(site, "ravi.iyer@example.org")
    url = f"/credentials/{data.award}/clr.json"
    assert site.client.get(url).status_code == 200
    _hide(site, data, data.award)
    assert site.client.get(url).status_code == 404
    _hide(site, data, data.award, hidden=False)
    assert site.client.get(url).status_code == 200
    data.issuer.change(data.award, "revoke")
    assert site.client.get(url).status_code == 404
    # the page itself still lists the modules of a revoked award
    section = _section(site, data.award)
    assert section is not None
    assert [m.state for m in section.modules] == ["valid"] * 3


# --- the rule in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "en", "zh"),
    [
        ({"kind": "all"}, ["All 4 modules"], ["全部 4 个模块"]),
        ({"kind": "n_of", "n": 3}, ["Any 3 of the 4 modules"], ["4 个模块中任意 3 个"]),
        (
            {"kind": "n_of", "n": 1, "among": ["m1", "m3"]},
            ["Any 1 of these 2 modules: Alpha, Gamma"],
            ["以下 2 个模块中任意 1 个：Alpha、Gamma"],
        ),
        (
            {
                "kind": "all",
                "minimumResult": {"resultDescription": "rd-1", "minimum": "lv-merit"},
            },
            ["All 4 modules", "Each module counts with a result of at least Merit in “Grade”."],
            ["全部 4 个模块", "模块需在“Grade”中达到 Merit 及以上方可计入。"],
        ),
        (
            {"kind": "all", "minimumResult": {"resultDescription": "rd-1"}},
            ["All 4 modules", "Each module counts with the required result in “Grade”."],
            ["全部 4 个模块", "模块需在“Grade”中达到要求方可计入。"],
        ),
    ],
    ids=["all", "n_of", "among", "minimum", "minimum-default"],
)
def test_rule_in_words(rule: dict[str, Any], en: list[str], zh: list[str]) -> None:
    modules = ["m1", "m2", "m3", "m4"]
    names = {"m1": "Alpha", "m2": "Beta", "m3": "Gamma", "m4": "Delta"}
    labels = {"rd-1": "Grade", "lv-merit": "Merit"}
    assert rule_in_words(rule, modules, names, labels, i18n.Translator("en")) == en
    assert rule_in_words(rule, modules, names, labels, i18n.Translator("zh-CN")) == zh


def test_single_module_rule() -> None:
    t = i18n.Translator("en")
    assert rule_in_words({"kind": "all"}, ["m1"], {}, {}, t) == ["The program's one module"]


def test_catalogues_define_the_same_program_keys() -> None:
    root = Path(i18n.__file__).parent
    en = json.loads((root / "program_page.en.json").read_text(encoding="utf-8"))
    zh = json.loads((root / "program_page.zh-CN.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert all(key.startswith("program.") for key in en)


# --- on the suite's own database (PostgreSQL when BADGES_TEST_DATABASE_URL is set) -----------


def test_section_and_clr_on_the_suite_database(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    """The same queries on the suite's database (SQLite, or PostgreSQL in CI)."""
    modules = [
        make_achievement(client, issuer, name=f"Part {n}", achievementType="Course")["id"]
        for n in (1, 2)
    ]
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Two Parts", "zh-CN": "两部分"},
            "description": {"en": "Program", "zh-CN": "项目"},
            "defaultLanguage": "en",
            "modules": modules,
            "achievement": {
                "achievementType": "LearningProgram",
                "criteria": {"narrative": "All."},
            },
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    learner = f"suite.{uuid.uuid4().hex[:8]}@example.org"
    issued = [
        issue(client, issuer, module, recipient={"email": learner})["id"] for module in modules
    ]
    progress = client.get(
        f"/api/v1/programs/{program.json()['id']}/learners/{learner}", headers=issuer.headers
    ).json()
    award = str(progress["programCredentialId"])
    with Session(app.state.engine) as session:
        row = session.get(Credential, uuid.UUID(award))
        section = program_section(session, row, "zh-CN")
        assert program_section(session, session.get(Credential, uuid.UUID(issued[0])), "en") is None
    assert section is not None
    assert section.name == "两部分"
    assert section.rule == ["全部 2 个模块"]
    assert [m.url for m in section.modules] == [f"/credentials/{i}" for i in issued]
    response = client.get(f"/credentials/{award}/clr.json")
    assert response.status_code == 200, response.text
    assert len(response.json()["credentialSubject"]["verifiableCredential"]) == 3
    verified = client.post(
        "/api/v1/verify",
        content=response.content,
        headers={**issuer.headers, "Content-Type": "application/json"},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True, verified.text
