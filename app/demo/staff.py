"""Demo staff: a program coordinator and a mentor who sign in to the staff console.

``badges serve --demo`` (``./dev serve``) makes two console accounts at the demo university on
its first start, each with a password generated then and printed once on the start-up banner
(to the terminal, never through logging; no password is written in the code):

- the **coordinator**, role ``issuer``: issues, revokes and suspends, edits achievements and
  programs, reads reports and the audit log; not the Users page, keys or settings (``owner``);
- the **mentor**, role ``assessor``, assigned the program's five modules: the membership's
  ``assigned_modules`` holds their achievement *lineage* ids as strings (the ids the API's
  ``achievementId`` takes), each module in both language versions (zh-CN, then en: a learner
  earns the version in their language).

Only in development (the only environment that may invent secrets). On a later start the
accounts exist: nothing is reset; the banner says how to set a new password
(``badges staff set-password``).
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.audit import service as audit
from app.console import passwords, repository
from app.core.config import Environment, Settings
from app.demo.program import MODULES
from app.models import Program, ProgramModule, StaffMembership, StaffUser

ACTOR = "demo"
SIGN_IN_PATH = "/console/sign-in"
ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo staff account."""

    label: str
    email: str
    display_name: str
    language: str
    role: str


COORDINATOR = DemoAccount(
    "demo coordinator", "coordinator@nwau.example.edu", "孙悦 Sun Yue", "zh-CN", "issuer"
)
MENTOR = DemoAccount(
    "demo mentor", "mentor@nwau.example.edu", "周岚博士 Dr. Zhou Lan", "en", "assessor"
)
ACCOUNTS = (COORDINATOR, MENTOR)


@dataclass(frozen=True, slots=True)
class StaffLine:
    """What the banner says of one account: its password when made now, else None."""

    account: DemoAccount
    password: str | None = field(repr=False)
    """Kept out of ``repr``: printed on the banner, never in a log line or a traceback."""


def new_password() -> str:
    """A generated password: 18 letters and digits (107 bits; nothing a terminal or a shell
    would take for an option or a quote when copied)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(18))


def module_lineages(session: Session, university_id: uuid.UUID, program_id: uuid.UUID) -> list[str]:
    """The program's module lineages in its order (the zh-CN versions), then the modules' other
    language versions (found by name at the university)."""
    by_name = {
        a.name: str(a.lineage_id)
        for a in achievements.list_achievements(session, university_id, limit=500)
    }
    ordered = session.scalars(
        select(ProgramModule.achievement_lineage_id)
        .where(ProgramModule.program_id == program_id)
        .order_by(ProgramModule.position)
    ).all()
    result = [str(lineage) for lineage in ordered]
    for _slug, en, zh, _code, _competencies in MODULES:
        for name in (zh, en):
            lineage = by_name.get(name)
            if lineage is not None and lineage not in result:
                result.append(lineage)
    return result


def load_staff_demo(session: Session, settings: Settings, program_id: uuid.UUID) -> list[StaffLine]:
    """Make the demo coordinator and mentor at the program's university when they do not
    exist (development only; commits); an existing account is left exactly as it is."""
    if settings.environment is not Environment.DEVELOPMENT:
        return []
    program = session.get(Program, program_id)
    if program is None:
        return []
    issuer_id = program.issuer_id
    lines: list[StaffLine] = []
    for account in ACCOUNTS:
        if repository.user_by_email(session, account.email) is not None:
            lines.append(StaffLine(account, None))
            continue
        password = new_password()
        user = StaffUser(
            id=uuid.uuid4(),
            email=account.email,
            display_name=account.display_name,
            password_hash=passwords.hash_password(password),
            language=account.language,
        )
        session.add(user)
        session.flush()
        assigned = (
            module_lineages(session, issuer_id, program_id) if account.role == "assessor" else None
        )
        session.add(
            StaffMembership(
                user_id=user.id, issuer_id=issuer_id, role=account.role, assigned_modules=assigned
            )
        )
        audit.record(
            session,
            actor=ACTOR,
            action="staff.member_added",
            subject_type="staff_user",
            subject_id=user.id,
            issuer_id=issuer_id,
            details={"role": account.role, "email": account.email, "demo": True},
        )
        lines.append(StaffLine(account, password))
    session.commit()
    return lines


def banner_lines(base_url: str, lines: list[StaffLine]) -> list[tuple[str, str]]:
    """The start-up banner's lines (label, text), each starting with the sign-in URL."""
    url = f"{base_url}{SIGN_IN_PATH}"
    shown: list[tuple[str, str]] = []
    for line in lines:
        account = line.account
        role = (
            "role issuer" if account.role == "issuer" else "role assessor of the program's modules"
        )
        if line.password is not None:
            text = f"{url} (as {account.email}, password {line.password}; {role})"
        else:
            text = (
                f"{url} (as {account.email}; password shown at the first start; "
                f"a new one: badges staff set-password --email {account.email})"
            )
        shown.append((account.label, text))
    return shown
