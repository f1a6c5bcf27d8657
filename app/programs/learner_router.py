"""The learner's view (signed link): JSON API and a small HTML page; links issued by issuers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.programs import clr_service, learners
from app.programs.schemas import LearnerLink, LearnerLinkCreate, LearnerView, VisibilityChange

router = APIRouter(tags=["learners"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
Token = Annotated[str, Query(min_length=10, max_length=4096)]

LABELS = {
    "en": {
        "title": "My credentials",
        "languages": "Language",
        "credentials": "Credentials",
        "name": "Credential",
        "state": "Status",
        "public": "Public page",
        "hide": "Hide",
        "show": "Show",
        "hidden": "hidden",
        "visible": "visible",
        "none": "No credentials yet.",
        "progress": "{counted} of {required} modules counted.",
        "awarded": "Program awarded.",
        "earned": "earned",
        "below": "earned, below the required result",
        "not_earned": "not yet earned",
        "download": "Download CLR (JSON)",
        "state_active": "valid",
        "state_revoked": "revoked",
        "state_suspended": "suspended",
        "state_expired": "expired",
    },
    "zh-CN": {
        "title": "我的证书",
        "languages": "语言",
        "credentials": "证书",
        "name": "证书",
        "state": "状态",
        "public": "公开页面",
        "hide": "隐藏",
        "show": "公开",
        "hidden": "已隐藏",
        "visible": "公开中",
        "none": "暂无证书。",
        "progress": "已计入 {counted} / {required} 个模块。",
        "awarded": "已获得项目证书。",
        "earned": "已获得",
        "below": "已获得，但成绩未达要求",
        "not_earned": "尚未获得",
        "download": "下载综合学习记录 (CLR, JSON)",
        "state_active": "有效",
        "state_revoked": "已撤销",
        "state_suspended": "已暂停",
        "state_expired": "已过期",
    },
}


@router.post(
    "/api/v1/learners/link", status_code=status.HTTP_201_CREATED, response_model=LearnerLink
)
def create_learner_link(
    data: LearnerLinkCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> LearnerLink:
    """A signed, expiring link for one of the issuer's learners."""
    return learners.create_link(session, context, principal.issuer_id, data)


@router.get("/api/v1/learner", response_model=LearnerView)
def get_learner_view(token: Token, session: SessionDep, context: ContextDep) -> LearnerView:
    """The learner's credentials and program progress."""
    learner = learners.learner_from_token(context, token)
    return learners.learner_view(session, context, learner)


@router.put("/api/v1/learner/credentials/{credential_id}/visibility", status_code=204)
def set_visibility(
    credential_id: uuid.UUID,
    data: VisibilityChange,
    token: Token,
    session: SessionDep,
    context: ContextDep,
) -> None:
    """Hide one of the learner's credentials from public view (its public URL then 404s)."""
    learner = learners.learner_from_token(context, token)
    learners.set_visibility(session, learner, credential_id, hidden=data.hidden)


@router.get("/api/v1/learner/programs/{program_id}/clr", response_class=JSONResponse)
def download_clr(
    program_id: uuid.UUID,
    token: Token,
    session: SessionDep,
    context: ContextDep,
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> JSONResponse:
    """The learner's signed CLR for one program, as a download."""
    learner = learners.learner_from_token(context, token)
    program = learners.learner_program(session, learner, program_id)
    document = clr_service.signed_clr(session, context, program, learner, language)
    return JSONResponse(
        document,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": f'attachment; filename="clr-{program_id}.json"'},
    )


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "zh-CN" if wanted.lower().startswith("zh") else "en"


@router.get("/learners/{token}", response_class=HTMLResponse, include_in_schema=False)
def learner_page(
    token: str, request: Request, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    """The learner's page (no cache: it is private to the link holder)."""
    learner = learners.learner_from_token(context, token)
    view = learners.learner_view(session, context, learner)
    lang = _lang(request)
    response = templates.TemplateResponse(
        request, "learner.html", {"view": view, "token": token, "lang": lang, "t": LABELS[lang]}
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/learners/{token}/credentials/{credential_id}/visibility", include_in_schema=False)
def learner_page_visibility(
    token: str,
    credential_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    hidden: Annotated[bool, Form()],
) -> RedirectResponse:
    """Form post from the page: hide or show, then back to the page."""
    learner = learners.learner_from_token(context, token)
    learners.set_visibility(session, learner, credential_id, hidden=hidden)
    return RedirectResponse(
        f"/learners/{token}?lang={_lang(request)}", status_code=status.HTTP_303_SEE_OTHER
    )
