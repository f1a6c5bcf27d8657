"""Achievements in the console: the form's fields ↔ the API's shapes, badge images, previews.

Nothing here writes a row: :mod:`app.achievements.service` creates and edits (an edit of an
issued version makes version n+1, as the API's PATCH), with the staff member's actor. This
module turns the posted form into the API's own :class:`AchievementCreate` /
:class:`AchievementUpdate` (so the API's validation applies, word for word) and maps the
validation errors back onto the form's fields.

Repeated rows (result descriptions, alignments) are plain form fields ``rd-<n>-<field>`` and
``al-<n>-<field>``; a blank row is ignored, so the page renders a few empty rows and an "add
rows" button re-renders it with more (no script).

Badge images are checked by content, never by name (:mod:`app.core.images`, shared with the
issuer's logo; its names are re-exported here): a PNG by its signature and header chunk,
an SVG by parsing it with defusedxml (no DTD, so no entities) and refusing anything that can run
or fetch: ``<script>``, ``on*`` attributes, ``<foreignObject>``, references that are not
``#fragment`` or a ``data:image/`` URI (``href``, ``xlink:href``, ``url(...)`` in styles,
``@import``, stylesheet processing instructions), and animations that set those. A file whose
name or declared type says one format while its content is another is refused too. The
accepted image is stored as a ``data:`` URI in the achievement's ``image``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate, AchievementUpdate
from app.core.context import AppContext
from app.core.urls import achievement_url
from app.issuers import service as issuers
from app.models import Achievement
from openbadges.model.enums import AchievementType, AlignmentTargetType, ResultType

FORM_MAX_BYTES = 1_200_000
"""The body limit of the achievement form: an image, its pending copy (base64) and the fields."""
MAX_ROWS = 40
"""Rows of one kind a form may post (the schema's own limit is higher; a person types these)."""
EMPTY_ROWS = 2
"""Blank rows rendered after the filled ones."""

ACHIEVEMENT_TYPES = tuple(member.value for member in AchievementType)
RESULT_TYPES = tuple(member.value for member in ResultType)
ALIGNMENT_TYPES = tuple(member.value for member in AlignmentTargetType)
LANGUAGES = ("en", "zh-CN")
"""Suggested values of the language field (any BCP 47 tag is accepted)."""

KNOWN_FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("ESCO", "https://esco.ec.europa.eu/"),
    ("O*NET-SOC", "https://www.onetcenter.org/taxonomy.html"),
    ("SFIA", "https://sfia-online.org/"),
    (
        "European Qualifications Framework (EQF)",
        "https://europass.europa.eu/en/europass-tools/european-qualifications-framework",
    ),
    ("DigComp 2.2", "https://joint-research-centre.ec.europa.eu/digcomp_en"),
    ("ACM/IEEE Computing Curricula", "https://www.acm.org/education/curricula-recommendations"),
    ("中华人民共和国职业分类大典", "https://www.mohrss.gov.cn/"),
)
"""Frameworks the alignment picker suggests besides those the issuer already uses."""

_ROW = re.compile(r"^(rd|al|ev)-(\d{1,3})-([a-z_]+)$")
_SPLIT_TAGS = re.compile(r"[,，、\n]+")
# --- the form ------------------------------------------------------------------------------


@dataclass
class FormState:
    """What the achievement form shows: values as typed, errors by field id."""

    values: dict[str, str] = field(default_factory=dict)
    results: list[dict[str, str]] = field(default_factory=list)
    alignments: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    """field id → (message key, technical detail)."""
    image: str | None = None
    """A newly uploaded image, checked, waiting to be saved (a data: URI)."""
    current_image: str | None = None
    """The image the achievement has now (edit form)."""

    def error(self, field_id: str, key: str, detail: str = "") -> None:
        self.errors.setdefault(field_id, (key, detail))


def _rows(form: Mapping[str, Any], prefix: str) -> list[dict[str, str]]:
    """Rows ``<prefix>-<n>-<field>`` in row order (at most :data:`MAX_ROWS`)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _ROW.match(key)
        if match is None or match.group(1) != prefix or not isinstance(value, str):
            continue
        index = int(match.group(2))
        if index < MAX_ROWS:
            found.setdefault(index, {})[match.group(3)] = value
    return [found[i] for i in sorted(found)]


def _blank(row: Mapping[str, str], ignore: Sequence[str] = ("id", "known")) -> bool:
    return not any(v.strip() for k, v in row.items() if k not in ignore)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _text(form: Mapping[str, Any], name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


SIMPLE_FIELDS = (
    "name",
    "description",
    "criteria_narrative",
    "criteria_url",
    "achievement_type",
    "tags",
    "credits",
    "human_code",
    "field_of_study",
    "in_language",
    "image_caption",
)


def state_from_form(form: Mapping[str, Any]) -> FormState:
    """The form as posted (values kept as typed)."""
    state = FormState(values={name: _text(form, name) for name in SIMPLE_FIELDS})
    state.values["image_remove"] = "1" if form.get("image_remove") else ""
    state.results = _rows(form, "rd")
    state.alignments = _rows(form, "al")
    return state


def state_from_row(row: Achievement) -> FormState:
    """The edit form of the current version."""
    criteria = row.criteria or {}
    image = row.image or {}
    state = FormState(
        values={
            "name": row.name,
            "description": row.description,
            "criteria_narrative": str(criteria.get("narrative") or ""),
            "criteria_url": str(criteria.get("id") or ""),
            "achievement_type": row.achievement_type or "",
            "tags": ", ".join(row.tags or []),
            "credits": number(row.credits_available),
            "human_code": row.human_code or "",
            "field_of_study": row.field_of_study or "",
            "in_language": row.in_language or "",
            "image_caption": str(image.get("caption") or ""),
            "image_remove": "",
        },
        current_image=str(image["id"]) if image.get("id") else None,
    )
    for rd in row.result_description or []:
        levels = [str(level.get("name", "")) for level in rd.get("rubricCriterionLevel") or []]
        state.results.append(
            {
                "id": str(rd.get("id") or ""),
                "name": str(rd.get("name") or ""),
                "type": str(rd.get("resultType") or ""),
                "allowed": "\n".join(str(v) for v in rd.get("allowedValue") or []),
                "levels": "\n".join(levels),
                "min": str(rd.get("valueMin") or ""),
                "max": str(rd.get("valueMax") or ""),
            }
        )
    for alignment in row.alignment or []:
        state.alignments.append(
            {
                "name": str(alignment.get("targetName") or ""),
                "url": str(alignment.get("targetUrl") or ""),
                "framework": str(alignment.get("targetFramework") or ""),
                "code": str(alignment.get("targetCode") or ""),
                "type": str(alignment.get("targetType") or ""),
            }
        )
    return state


def number(value: float | None) -> str:
    """Credits as typed: ``3`` rather than ``3.0``."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def padded(rows: list[dict[str, str]], extra: int = EMPTY_ROWS) -> list[dict[str, str]]:
    """The rows in their posted places (errors name rows by place), then blank rows until
    ``extra`` blank ones end the list (at most :data:`MAX_ROWS` in all)."""
    trailing = 0
    for row in reversed(rows):
        if not _blank(row):
            break
        trailing += 1
    return (list(rows) + [{} for _ in range(max(0, extra - trailing))])[:MAX_ROWS]


@dataclass(frozen=True, slots=True)
class KnownAlignment:
    """An alignment target used before by this issuer (the picker offers it again)."""

    key: str
    name: str
    url: str
    framework: str
    code: str
    type: str


def known_alignments(
    session: Session, issuer_id: uuid.UUID
) -> tuple[list[KnownAlignment], list[str]]:
    """The issuer's alignment targets (by URL) and every framework name the picker suggests."""
    targets: dict[str, KnownAlignment] = {}
    frameworks = [name for name, _ in KNOWN_FRAMEWORKS]
    for row in achievements.list_achievements(session, issuer_id, limit=200):
        for a in row.alignment or []:
            url = str(a.get("targetUrl") or "")
            if not url or url in targets:
                continue
            framework = str(a.get("targetFramework") or "")
            targets[url] = KnownAlignment(
                key=url,
                name=str(a.get("targetName") or ""),
                url=url,
                framework=framework,
                code=str(a.get("targetCode") or ""),
                type=str(a.get("targetType") or ""),
            )
            if framework and framework not in frameworks:
                frameworks.append(framework)
    ordered = sorted(targets.values(), key=lambda k: (k.framework.casefold(), k.name.casefold()))
    return ordered[:200], frameworks


def _result_descriptions(
    state: FormState, previous: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[int]]:
    """ResultDescriptions of the filled rows (and each one's row number, for errors).

    A row that was an existing description keeps its id (credentials' results point at it)
    and what the form does not show (``requiredValue``, a level's description or points)."""
    before = {str(rd.get("id")): rd for rd in previous if rd.get("id")}
    items: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, row in enumerate(state.results):
        if _blank(row):
            continue
        old = before.get(row.get("id", "").strip())
        item: dict[str, Any] = {}
        if old is not None:
            item.update({k: v for k, v in old.items() if k in ("requiredValue", "requiredLevel")})
            item["id"] = old["id"]
        item["name"] = row.get("name", "").strip()
        item["resultType"] = row.get("type", "").strip()
        allowed = _lines(row.get("allowed", ""))
        if allowed:
            item["allowedValue"] = allowed
        levels = _lines(row.get("levels", ""))
        if levels:
            old_levels = {
                str(lv.get("name")): lv for lv in (old or {}).get("rubricCriterionLevel") or []
            }
            item["rubricCriterionLevel"] = [
                {**old_levels[name], "name": name}
                if name in old_levels
                else {"id": f"urn:uuid:{uuid.uuid4()}", "name": name}
                for name in levels
            ]
            if item.get("requiredLevel") not in {lv["id"] for lv in item["rubricCriterionLevel"]}:
                item.pop("requiredLevel", None)
        for name, key in (("min", "valueMin"), ("max", "valueMax")):
            if row.get(name, "").strip():
                item[key] = row[name].strip()
        items.append(item)
        rows.append(index)
    return items, rows


def _alignments(
    state: FormState,
    known: Mapping[str, KnownAlignment],
    previous: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[int]]:
    """Alignments of the filled rows; a row that picked a known target and left the free
    fields blank takes the known target's fields."""
    descriptions = {
        str(a.get("targetUrl")): a.get("targetDescription")
        for a in previous
        if a.get("targetDescription")
    }
    items: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, row in enumerate(state.alignments):
        picked = known.get(row.get("known", ""))
        if picked is not None:
            for name in ("name", "url", "framework", "code", "type"):
                if not row.get(name, "").strip():
                    row[name] = getattr(picked, name)
            row["known"] = ""
        if _blank(row):
            continue
        item: dict[str, Any] = {
            "targetName": row.get("name", "").strip(),
            "targetUrl": row.get("url", "").strip(),
        }
        for name, key in (
            ("framework", "targetFramework"),
            ("code", "targetCode"),
            ("type", "targetType"),
        ):
            if row.get(name, "").strip():
                item[key] = row[name].strip()
        if descriptions.get(item["targetUrl"]):
            item["targetDescription"] = descriptions[item["targetUrl"]]
        items.append(item)
        rows.append(index)
    return items, rows


def tags_of(text: str) -> list[str]:
    """Tags typed with commas (or Chinese commas, or one per line), without repeats."""
    seen: list[str] = []
    for tag in _SPLIT_TAGS.split(text):
        tag = tag.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def payload(
    state: FormState,
    known: Mapping[str, KnownAlignment],
    previous: Achievement | None,
) -> tuple[dict[str, Any], list[int], list[int]]:
    """The API body the form means, and the row numbers of its results and alignments."""
    v = state.values
    criteria: dict[str, Any] = {}
    if v["criteria_narrative"].strip():
        criteria["narrative"] = v["criteria_narrative"]
    if v["criteria_url"].strip():
        criteria["id"] = v["criteria_url"].strip()
    results, result_rows = _result_descriptions(
        state, previous.result_description if previous else []
    )
    alignment, alignment_rows = _alignments(state, known, previous.alignment if previous else [])
    body: dict[str, Any] = {
        "name": v["name"],
        "description": v["description"],
        "criteria": criteria,
        "achievementType": v["achievement_type"].strip() or None,
        "tags": tags_of(v["tags"]),
        "creditsAvailable": v["credits"].strip() or None,
        "humanCode": v["human_code"].strip() or None,
        "fieldOfStudy": v["field_of_study"].strip() or None,
        "inLanguage": v["in_language"].strip() or None,
        "resultDescription": results,
        "alignment": alignment,
    }
    caption = v["image_caption"].strip() or None
    if state.image is not None:
        body["image"] = {"id": state.image, "caption": caption}
    elif v.get("image_remove"):
        body["image"] = None
    elif previous is not None and previous.image:
        if caption != (previous.image.get("caption") or None):
            body["image"] = {"id": previous.image["id"], "caption": caption}
    return body, result_rows, alignment_rows


_TOP_FIELDS = {
    "name": "name",
    "description": "description",
    "criteria": "criteria_narrative",
    "achievementType": "achievement_type",
    "tags": "tags",
    "creditsAvailable": "credits",
    "humanCode": "human_code",
    "fieldOfStudy": "field_of_study",
    "inLanguage": "in_language",
    "image": "image",
}
_RD_FIELDS = {
    "name": "name",
    "resultType": "type",
    "allowedValue": "allowed",
    "rubricCriterionLevel": "levels",
    "valueMin": "min",
    "valueMax": "max",
}
_AL_FIELDS = {
    "targetName": "name",
    "targetUrl": "url",
    "targetFramework": "framework",
    "targetCode": "code",
    "targetType": "type",
}


def _message_key(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in ("missing", "string_too_short", "too_short"):
        return "required"
    if kind == "string_too_long":
        return "too_long"
    if kind == "too_long":
        return "too_many"
    if kind.startswith("float") or kind in ("greater_than_equal", "less_than_equal"):
        return "number"
    return "invalid"


def field_of(loc: Sequence[Any], result_rows: Sequence[int], alignment_rows: Sequence[int]) -> str:
    """The form field of a validation error's location (by the API's member names)."""
    head = str(loc[0]) if loc else ""
    if head == "criteria":
        return "criteria_url" if len(loc) > 1 and loc[1] == "id" else "criteria_narrative"
    if head == "image":
        return "image_caption" if len(loc) > 1 and loc[1] == "caption" else "image"
    if head in ("resultDescription", "alignment") and len(loc) > 1 and isinstance(loc[1], int):
        rows, names, prefix = (
            (result_rows, _RD_FIELDS, "rd")
            if head == "resultDescription"
            else (alignment_rows, _AL_FIELDS, "al")
        )
        row = rows[loc[1]] if loc[1] < len(rows) else loc[1]
        member = str(loc[2]) if len(loc) > 2 else ""
        return f"{prefix}-{row}-{names.get(member, 'name')}"
    return _TOP_FIELDS.get(head, "name")


def validate(
    state: FormState,
    known: Mapping[str, KnownAlignment],
    previous: Achievement | None,
) -> AchievementCreate | AchievementUpdate | None:
    """The API model of the form, or None with ``state.errors`` filled in."""
    body, result_rows, alignment_rows = payload(state, known, previous)
    model = AchievementUpdate if previous is not None else AchievementCreate
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            field_id = field_of(error.get("loc", ()), result_rows, alignment_rows)
            key = _message_key(error)
            if field_id == "criteria_narrative" and key == "invalid":
                key = "criteria"
            state.error(field_id, key, str(error.get("msg", "")))
        return None
    if state.errors:
        return None
    return parsed


# --- previews ------------------------------------------------------------------------------


def _transient(issuer_id: uuid.UUID, data: AchievementCreate | AchievementUpdate) -> Achievement:
    """An achievement row of the form's values, never added to a session (a preview)."""
    dumped = data.model_dump(by_alias=True, exclude_none=True)
    for rd in dumped.get("resultDescription") or []:
        rd.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    return Achievement(
        id=uuid.uuid4(),
        lineage_id=uuid.uuid4(),
        version=1,
        is_current=True,
        issuer_id=issuer_id,
        name=dumped.get("name", ""),
        description=dumped.get("description", ""),
        achievement_type=dumped.get("achievementType"),
        criteria=dumped.get("criteria") or {},
        image=dumped.get("image"),
        alignment=dumped.get("alignment") or [],
        result_description=dumped.get("resultDescription") or [],
        credits_available=dumped.get("creditsAvailable"),
        in_language=dumped.get("inLanguage"),
        related=[],
        tags=dumped.get("tags") or [],
        human_code=dumped.get("humanCode"),
        field_of_study=dumped.get("fieldOfStudy"),
    )


def preview_document(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    data: AchievementCreate | AchievementUpdate,
) -> dict[str, Any]:
    """What a credential of the form's (unsaved) achievement would show: the issuer's
    embedded profile and the OB ``Achievement`` the service would embed (unsigned)."""
    row = _transient(issuer_id, data)
    base = context.settings.base_url
    document = achievements.achievement_document(base, row)
    document["id"] = achievement_url(base, row.lineage_id, row.version)
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuers.cached_embedded_profile(session, context, issuer_id),
        "validFrom": now.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": document},
    }
