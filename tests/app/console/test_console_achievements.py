"""Achievements in the console: create, list, edit → a new version once issued (the API shows
the same), badge image checks, previews, the alignment picker, roles, issuers and CSRF."""

from __future__ import annotations

import base64
import re
import struct
import uuid
import zlib
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from console_support import csrf_of, make_staff, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.core import images
from app.models import Achievement, AuditEvent, Credential


def png(extra: int = 0) -> bytes:
    """A valid 1×1 PNG, padded with a private ancillary chunk of ``extra`` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x0b\x57\xd0\xff")
    padding = chunk(b"prVt", b"\x00" * extra) if extra else b""
    return (
        images.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + padding
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


CLEAN_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'viewBox="0 0 100 100"><defs><linearGradient id="g"><stop offset="0" stop-color="#0b57d0"/>'
    b'</linearGradient></defs><circle cx="50" cy="50" r="45" fill="url(#g)"/>'
    b'<use xlink:href="#g"/><text x="50" y="55" text-anchor="middle">OB</text></svg>'
)


def _svg(inner: str, attrs: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f"{attrs}>{inner}</svg>"
    ).encode()


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


@pytest.fixture
def staff(app: FastAPI, issuer: IssuerHandle) -> tuple[TestClient, uuid.UUID]:
    email, user_id = make_staff(app, issuer_id=issuer.id, role="issuer")
    return signed_in(app, email), user_id


FORM: dict[str, str] = {
    "name": "Data Analysis with Python",
    "description": "Cleaning and **visualising** data with pandas.",
    "criteria_narrative": "Complete six labs and the final project.",
    "criteria_url": "",
    "achievement_type": "MicroCredential",
    "tags": "python, data，pandas",
    "credits": "3",
    "human_code": "DA-101",
    "field_of_study": "Data science",
    "in_language": "en",
    "image_caption": "",
    "rd-0-id": "",
    "rd-0-name": "Final grade",
    "rd-0-type": "LetterGrade",
    "rd-0-allowed": "C\nB\nA",
    "rd-0-levels": "",
    "rd-0-min": "",
    "rd-0-max": "",
    "rd-1-id": "",
    "rd-1-name": "Project rubric",
    "rd-1-type": "RubricCriterionLevel",
    "rd-1-allowed": "",
    "rd-1-levels": "Developing\nProficient\nExemplary",
    "rd-1-min": "",
    "rd-1-max": "",
    "rd-2-id": "",
    "rd-2-name": "",
    "rd-2-type": "",
    "rd-2-allowed": "",
    "rd-2-levels": "",
    "rd-2-min": "",
    "rd-2-max": "",
    "al-0-name": "Analyse data",
    "al-0-url": "https://esco.example/skill/analyse-data",
    "al-0-framework": "ESCO",
    "al-0-code": "S2.1",
    "al-0-type": "ceasn:Competency",
    "al-1-name": "",
    "al-1-url": "",
    "al-1-framework": "",
    "al-1-code": "",
    "al-1-type": "",
}


def _post(
    client: TestClient,
    issuer: IssuerHandle,
    data: dict[str, str],
    *,
    path: str = "new",
    image: tuple[str, bytes, str] | None = None,
    csrf: str | None = None,
) -> Any:
    page = f"/console/{issuer.id}/achievements/{path}"
    token = csrf if csrf is not None else csrf_of(client.get(page).text)
    files = {"image": image} if image else {"image": ("", b"", "application/octet-stream")}
    return client.post(
        page,
        data={**data, "csrf": token},
        files=files,
        headers={"Accept": "text/html"},
    )


def _lineage(response: Any) -> str:
    assert response.status_code == 303, response.text
    match = re.search(r"/achievements/([0-9a-f-]{36})\?notice=(\w+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def _api(client: TestClient, issuer: IssuerHandle, lineage: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/achievements/{lineage}", headers=issuer.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_list_and_edit_into_version_two_with_the_staff_member_as_actor(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    staff: tuple[TestClient, uuid.UUID],
) -> None:
    browser, user_id = staff
    created = _post(browser, issuer, FORM)
    lineage = _lineage(created)
    assert "notice=created" in created.headers["location"]

    api = _api(client, issuer, lineage)
    assert api["version"] == 1
    assert api["name"] == FORM["name"]
    assert api["achievementType"] == "MicroCredential"
    assert api["tags"] == ["python", "data", "pandas"]
    assert api["creditsAvailable"] == 3
    assert api["humanCode"] == "DA-101"
    assert api["fieldOfStudy"] == "Data science"
    assert api["inLanguage"] == "en"
    assert api["criteria"] == {"narrative": FORM["criteria_narrative"]}
    grade, rubric = api["resultDescription"]
    assert grade["allowedValue"] == ["C", "B", "A"]
    assert grade["id"].startswith("urn:uuid:")
    assert [level["name"] for level in rubric["rubricCriterionLevel"]] == [
        "Developing",
        "Proficient",
        "Exemplary",
    ]
    assert api["alignment"] == [
        {
            "targetName": "Analyse data",
            "targetUrl": "https://esco.example/skill/analyse-data",
            "targetFramework": "ESCO",
            "targetCode": "S2.1",
            "targetType": "ceasn:Competency",
        }
    ]

    listed = browser.get(f"/console/{issuer.id}/achievements")
    assert listed.status_code == 200
    row = re.search(rf'<tr data-achievement="{lineage}">.*?</tr>', listed.text, re.S)
    assert row, listed.text
    assert "Data Analysis with Python" in row.group(0)
    assert "Micro credential" in row.group(0)
    assert ">1<" in row.group(0)
    assert 'class="ca-tag">pandas<' in row.group(0)
    detail = browser.get(f"/console/{issuer.id}/achievements/{lineage}")
    assert detail.status_code == 200
    assert "Project rubric" in detail.text

    # before any credential: an edit changes version 1 in place
    edit_page = browser.get(f"/console/{issuer.id}/achievements/{lineage}/edit")
    assert edit_page.status_code == 200
    assert f'value="{grade["id"]}"' in edit_page.text  # ids travel with the rows
    in_place = _post(
        browser,
        issuer,
        {**FORM, "rd-0-id": grade["id"], "rd-1-id": rubric["id"], "credits": "4"},
        path=f"{lineage}/edit",
    )
    assert "notice=updated" in in_place.headers["location"]
    assert _api(client, issuer, lineage)["version"] == 1

    issue(client, issuer, lineage)  # version 1 is now frozen
    versioned = _post(
        browser,
        issuer,
        {
            **FORM,
            "name": "Data Analysis with Python II",
            "rd-0-id": grade["id"],
            "rd-1-id": rubric["id"],
            "rd-1-levels": "Developing\nProficient\nExemplary\nOutstanding",
            "tags": "python",
        },
        path=f"{lineage}/edit",
    )
    assert "notice=versioned" in versioned.headers["location"]
    api = _api(client, issuer, lineage)
    assert api["version"] == 2
    assert api["name"] == "Data Analysis with Python II"
    assert api["tags"] == ["python"]
    new_grade, new_rubric = api["resultDescription"]
    assert new_grade["id"] == grade["id"]  # results issued against version 1 still match
    old_levels = {lv["name"]: lv["id"] for lv in rubric["rubricCriterionLevel"]}
    new_levels = {lv["name"]: lv["id"] for lv in new_rubric["rubricCriterionLevel"]}
    assert {k: new_levels[k] for k in old_levels} == old_levels
    assert "Outstanding" in new_levels
    shown = browser.get(versioned.headers["location"])
    assert "Saved as version 2" in shown.text
    listed = browser.get(f"/console/{issuer.id}/achievements")
    assert listed.text.count(f'data-achievement="{lineage}"') == 1  # current versions only

    with app.state.sessionmaker() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == lineage, AuditEvent.actor == f"staff:{user_id}")
            .order_by(AuditEvent.created_at)
        ).all()
    assert actions == ["achievement.create", "achievement.update", "achievement.update"]


def test_validation_errors_are_shown_next_to_their_fields_with_the_values_kept(
    app: FastAPI, issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    before = _count(app, issuer)
    response = _post(
        browser,
        issuer,
        {
            **FORM,
            "name": "",
            "criteria_narrative": "",
            "credits": "lots",
            "in_language": "not a tag!",
            "rd-1-type": "",
            "al-0-url": "esco skill",
        },
    )
    assert response.status_code == 422
    page = response.text
    for field in ("name", "criteria_narrative", "credits", "in_language", "rd-1-type", "al-0-url"):
        assert f'id="e-{field}"' in page, field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', page), field
    assert 'role="alert"' in page
    assert "Cleaning and **visualising** data with pandas." in page  # kept as typed
    assert 'value="esco skill"' in page
    assert "Developing\nProficient\nExemplary</textarea>" in page
    assert _count(app, issuer) == before
    chinese = browser.post(
        f"/console/{issuer.id}/achievements/new?lang=zh-CN",
        data={**FORM, "name": "", "csrf": csrf_of(page)},
        files={"image": ("", b"", "application/octet-stream")},
    )
    assert chinese.status_code == 422
    assert "请填写此项。" in chinese.text


def _count(app: FastAPI, issuer: IssuerHandle) -> int:
    with app.state.sessionmaker() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Achievement)
                .where(Achievement.issuer_id == uuid.UUID(issuer.id))
            )
            or 0
        )


def test_preview_and_more_rows_do_not_save(
    app: FastAPI, issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    before = _count(app, issuer)
    preview = _post(
        browser, issuer, {**FORM, "action": "preview"}, image=("b.png", png(), "image/png")
    )
    assert preview.status_code == 200, preview.text
    assert 'class="ca-preview"' in preview.text
    assert "Example Learner" in preview.text
    assert '<img class="hero__image" src="data:image/png;base64,' in preview.text
    assert "Analyse data" in preview.text  # the alignment as the credential page shows it
    assert 'name="image_kept" value="data:image/png;base64,' in preview.text
    more = _post(browser, issuer, {**FORM, "action": "more_rd"})
    assert more.status_code == 200
    assert 'name="rd-4-name"' in more.text
    assert 'value="Project rubric"' in more.text
    assert _count(app, issuer) == before
    # the image checked at preview travels with the form and is saved with it
    kept = re.search(r'name="image_kept" value="([^"]+)"', preview.text)
    assert kept
    saved = _post(browser, issuer, {**FORM, "image_kept": kept.group(1)})
    lineage = _lineage(saved)
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(Achievement).where(Achievement.lineage_id == uuid.UUID(lineage))
        ).one()
        assert row.image
        assert row.image["id"] == kept.group(1)


def test_the_saved_achievement_previews_as_the_issuing_service_assembles_it(
    app: FastAPI, issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    lineage = _lineage(_post(browser, issuer, FORM, image=("b.svg", CLEAN_SVG, "image/svg+xml")))
    page = browser.get(f"/console/{issuer.id}/achievements/{lineage}/preview")
    assert page.status_code == 200
    assert "Data Analysis with Python" in page.text
    assert "data:image/svg+xml;base64," in page.text
    assert "Test University" in page.text  # the issuer's embedded profile
    assert "visualising</strong>" in page.text  # Markdown as the public page renders it
    with app.state.sessionmaker() as session:  # a dry run: nothing issued
        issued = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.issuer_id == uuid.UUID(issuer.id))
        )
    assert issued == 0


@pytest.mark.parametrize(
    ("name", "content", "kind", "accepted"),
    [
        ("badge.png", png(), "image/png", "data:image/png;base64,"),
        ("badge.svg", CLEAN_SVG, "image/svg+xml", "data:image/svg+xml;base64,"),
    ],
)
def test_png_and_clean_svg_are_stored_as_data_uris(
    client: TestClient,
    issuer: IssuerHandle,
    staff: tuple[TestClient, uuid.UUID],
    name: str,
    content: bytes,
    kind: str,
    accepted: str,
) -> None:
    browser, _ = staff
    lineage = _lineage(
        _post(
            browser, issuer, {**FORM, "image_caption": "A blue disc"}, image=(name, content, kind)
        )
    )
    image = _api(client, issuer, lineage)["image"]
    assert image["id"] == accepted + base64.b64encode(content).decode()
    assert image["caption"] == "A blue disc"
    # a credential issued now embeds it
    credential = issue(client, issuer, lineage)
    assert (
        credential["credential"]["credentialSubject"]["achievement"]["image"]["id"] == image["id"]
    )


SANITISED = [
    ("script", _svg('<script>alert(1)</script><circle r="4"/>'), b"alert"),
    (
        "external href",
        _svg('<image href="https://tracker.example/p.png" width="1" height="1"/>'),
        b"tracker.example",
    ),
    ("external xlink", _svg('<use xlink:href="https://evil.example/sprite.svg#a"/>'), b"evil"),
]


@pytest.mark.parametrize(("label", "content", "bad"), SANITISED, ids=[r[0] for r in SANITISED])
def test_svg_with_scripts_or_outside_references_is_stored_sanitised(
    client: TestClient,
    issuer: IssuerHandle,
    staff: tuple[TestClient, uuid.UUID],
    label: str,
    content: bytes,
    bad: bytes,
) -> None:
    browser, _ = staff
    lineage = _lineage(_post(browser, issuer, FORM, image=("b.svg", content, "image/svg+xml")))
    stored = _api(client, issuer, lineage)["image"]["id"]
    assert stored.startswith("data:image/svg+xml;base64,"), label
    clean = base64.b64decode(stored.split(",", 1)[1])
    assert bad not in clean
    assert b"<svg" in clean
    assert images.sanitize_svg(clean)[1] == frozenset()


def bomb_png() -> bytes:
    """A 12000 × 12000 1-bit PNG: a small file declaring 144 million pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 12_000, 12_000, 1, 0, 0, 0, 0)
    pixels = zlib.compress((b"\x00" * 1501) * 12_000, 9)
    return (
        images.PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


REFUSED = [
    ("too big", "big.png", png(images.MAX_IMAGE_BYTES), "image/png", "too_big"),
    ("pixel bomb", "bomb.png", bomb_png(), "image/png", "too_many_pixels"),
    ("png named svg", "badge.svg", png(), "image/svg+xml", "mismatch"),
    ("svg named png", "badge.png", CLEAN_SVG, "image/png", "mismatch"),
    ("text named png", "notes.png", b"just some text, not an image", "image/png", "type"),
    ("jpeg", "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg", "type"),
]


@pytest.mark.parametrize(
    ("label", "name", "content", "kind", "code"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_refused_images_are_shown_at_the_image_field_with_the_form_kept(
    app: FastAPI,
    issuer: IssuerHandle,
    staff: tuple[TestClient, uuid.UUID],
    label: str,
    name: str,
    content: bytes,
    kind: str,
    code: str,
) -> None:
    browser, _ = staff
    before = _count(app, issuer)
    response = _post(browser, issuer, FORM, image=(name, content, kind))
    assert response.status_code == 422, label
    assert 'id="e-image"' in response.text
    assert re.search(r'id="f-image"[^>]*aria-invalid="true"', response.text)
    messages = {
        "too_big": "larger than 256 KB",
        "mismatch": "does not match its content",
        "type": "Only PNG and SVG",
        "too_many_pixels": "at most 4096 × 4096",
    }
    assert messages[code] in response.text
    assert 'value="Data Analysis with Python"' in response.text
    assert "image_kept" not in response.text
    assert _count(app, issuer) == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "svg_entity",
        ),
        (
            b'<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd">'
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "svg_entity",
        ),
        (_svg("<circle"), "svg_invalid"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "type"),
        (b"", "empty"),
    ],
)
def test_svg_checks(content: bytes, code: str) -> None:
    with pytest.raises(images.ImageRefused) as refused:
        images.check_image(content, "badge.svg")
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (_svg('<circle r="4" onload="alert(1)"/>'), "svg_event"),
        (_svg('<rect width="1" height="1"/>', ' onclick="x()"'), "svg_event"),
        (_svg("<foreignObject><div>html</div></foreignObject>"), "svg_foreign"),
        (_svg("<style>@import url(https://evil.example/a.css);</style>"), "svg_external"),
        (_svg('<rect style="fill:url(https://evil.example/p.svg#f)"/>'), "svg_external"),
        (_svg('<rect fill="url(http://evil.example/#g)"/>'), "svg_external"),
        (
            b'<?xml-stylesheet href="https://evil.example/s.css"?>'
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "svg_external",
        ),
        (_svg('<a href="javascript:alert(1)"><text>x</text></a>'), "svg_external"),
        (_svg('<a><set attributeName="href" to="javascript:alert(1)"/></a>'), "svg_external"),
        (_svg('<image href="data:image/svg+xml;base64,PHN2Zy8+"/>'), "svg_external"),
    ],
)
def test_svg_dangers_are_removed_not_refused(content: bytes, code: str) -> None:
    """What could run or fetch is cut out (the rest kept); ``check_svg`` still names it."""
    with pytest.raises(images.ImageRefused) as refused:
        images.check_svg(content)
    assert refused.value.code == code
    clean = base64.b64decode(images.check_image(content, "badge.svg").split(",", 1)[1])
    assert images.sanitize_svg(clean)[1] == frozenset()
    for marker in (b"script", b"onload", b"onclick", b"foreignObject", b"evil.example"):
        assert marker not in clean
    assert b"javascript" not in clean.lower()
    assert b"svg+xml" not in clean


def test_svg_fragments_and_embedded_rasters_pass() -> None:
    raster = base64.b64encode(png()).decode()
    svg = _svg(f'<use href="#a"/><image href="data:image/png;base64,{raster}"/><g id="a"/>')
    assert images.check_image(svg, "badge.svg").startswith("data:image/svg+xml;base64,")
    assert images.recheck_data_uri(images.check_image(svg)) == images.check_image(svg)
    with pytest.raises(images.ImageRefused):
        images.recheck_data_uri("data:image/svg+xml;base64," + base64.b64encode(b"<svg").decode())


def test_the_alignment_picker_offers_targets_used_before(
    client: TestClient, issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    make_achievement(
        client,
        issuer,
        alignment=[
            {
                "targetName": "Translate technical texts",
                "targetUrl": "https://framework.example/t/1",
                "targetFramework": "NWAU Translation Competence Framework",
                "targetDescription": "Kept when the alignment is picked again",
            }
        ],
    )
    form = browser.get(f"/console/{issuer.id}/achievements/new")
    assert 'value="https://framework.example/t/1"' in form.text
    assert '<option value="NWAU Translation Competence Framework">' in form.text
    assert '<option value="ESCO">' in form.text  # the built-in suggestions
    picked = {
        **FORM,
        "al-0-name": "",
        "al-0-url": "",
        "al-0-framework": "",
        "al-0-code": "",
        "al-0-type": "",
        "al-0-known": "https://framework.example/t/1",
        "al-1-name": "Free entry",
        "al-1-url": "https://example.org/free",
        "al-1-framework": "My framework",
    }
    lineage = _lineage(_post(browser, issuer, picked))
    assert _api(client, issuer, lineage)["alignment"] == [
        {
            "targetName": "Translate technical texts",
            "targetUrl": "https://framework.example/t/1",
            "targetFramework": "NWAU Translation Competence Framework",
        },
        {
            "targetName": "Free entry",
            "targetUrl": "https://example.org/free",
            "targetFramework": "My framework",
        },
    ]


def test_a_viewer_reads_but_cannot_create_edit_or_issue(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    lineage = make_achievement(client, issuer)["id"]
    for role in ("viewer", "assessor"):
        email, _ = make_staff(app, issuer_id=issuer.id, role=role)
        browser = signed_in(app, email)
        base = f"/console/{issuer.id}"
        csrf = csrf_of(browser.get("/console/me").text)
        html = {"Accept": "text/html"}
        if role == "viewer":
            listed = browser.get(f"{base}/achievements")
            assert listed.status_code == 200
            assert f"{base}/achievements/new" not in listed.text
            detail = browser.get(f"{base}/achievements/{lineage}")
            assert detail.status_code == 200
            assert f"{lineage}/edit" not in detail.text
            assert browser.get(f"{base}/achievements/{lineage}/preview").status_code == 200
        else:
            assert browser.get(f"{base}/achievements").status_code == 403
        for path in (
            "achievements/new",
            f"achievements/{lineage}/edit",
            "issue",
            f"issue?achievement={lineage}",
        ):
            assert browser.get(f"{base}/{path}").status_code == 403, (role, path)
        for path in ("achievements/new", f"achievements/{lineage}/edit", "issue"):
            refused = browser.post(f"{base}/{path}", data={**FORM, "csrf": csrf}, headers=html)
            assert refused.status_code == 403, (role, path)
    assert _api(client, issuer, lineage)["version"] == 1


def test_staff_of_another_issuer_get_404(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str], issuer: IssuerHandle
) -> None:
    other = make_issuer(client, admin_headers)
    theirs = make_achievement(client, other)["id"]
    mine = make_achievement(client, issuer)["id"]
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    browser = signed_in(app, email)
    csrf = csrf_of(browser.get(f"/console/{issuer.id}/achievements").text)
    for path in (
        f"/console/{other.id}/achievements",
        f"/console/{other.id}/achievements/{theirs}",
        f"/console/{other.id}/issue",
        f"/console/{issuer.id}/achievements/{theirs}",  # their achievement under my issuer
        f"/console/{issuer.id}/achievements/{theirs}/edit",
        f"/console/{issuer.id}/achievements/{theirs}/preview",
    ):
        assert browser.get(path).status_code == 404, path
    for path in (f"/console/{other.id}/achievements/new", f"/console/{other.id}/issue"):
        assert browser.post(path, data={**FORM, "csrf": csrf}).status_code == 404, path
    edit = browser.post(
        f"/console/{issuer.id}/achievements/{theirs}/edit", data={**FORM, "csrf": csrf}
    )
    assert edit.status_code == 404
    assert _api(client, other, theirs)["version"] == 1
    assert browser.get(f"/console/{issuer.id}/achievements/{mine}").status_code == 200


def test_posts_need_the_sessions_csrf_token(
    app: FastAPI, issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    before = _count(app, issuer)
    for token in ("", "not-the-token"):
        response = _post(browser, issuer, FORM, csrf=token)
        assert response.status_code == 403
    other_email, _ = make_staff(app, issuer_id=issuer.id, role="issuer")
    other_token = csrf_of(signed_in(app, other_email).get("/console/me").text)
    assert _post(browser, issuer, FORM, csrf=other_token).status_code == 403
    assert _count(app, issuer) == before
    anonymous = TestClient(app, base_url="https://badges.test", follow_redirects=False)
    response = anonymous.post(f"/console/{issuer.id}/achievements/new", data=FORM)
    assert response.status_code in (303, 401)
    assert _count(app, issuer) == before


def test_an_error_in_a_row_after_a_blank_one_stays_at_its_row(
    issuer: IssuerHandle, staff: tuple[TestClient, uuid.UUID]
) -> None:
    browser, _ = staff
    blank_middle = {
        **FORM,
        "rd-1-name": "",
        "rd-1-type": "",
        "rd-1-levels": "",
        "rd-2-name": "Oral exam",
        "rd-2-type": "",
    }
    response = _post(browser, issuer, blank_middle)
    assert response.status_code == 422
    assert re.search(r'id="f-rd-2-type"[^>]*aria-invalid="true"', response.text)
    assert re.search(r'id="f-rd-2-name"[^>]*value="Oral exam"', response.text)
    assert 'id="e-rd-1-type"' not in response.text
    assert "Result 3 · Result type" in response.text  # the summary names the row
