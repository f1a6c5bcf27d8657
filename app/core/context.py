"""The per-process service context handed to services: settings and the keystore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.keystore import Keystore


@dataclass(frozen=True, slots=True)
class AppContext:
    """What services need besides the session; built once at startup."""

    settings: Settings
    keystore: Keystore

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        """Build the context (opens the KEK; raises when it is missing)."""
        return cls(settings=settings, keystore=Keystore(settings.kek_bytes()))


def context_of(session: Session) -> AppContext:
    """The context a session was created with (see ``make_sessionmaker``)."""
    context = session.info.get("context")
    if not isinstance(context, AppContext):
        raise RuntimeError("this session was not created by the application's sessionmaker")
    return context


async def get_context(request: Request) -> AppContext:
    """The context stored on the application at startup (``async``: a plain function would cost
    a thread-pool hand-off per request for an attribute read)."""
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]
