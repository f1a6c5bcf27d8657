"""Helpers of the webhook tests: the receiver's records and one pass of the outbox relay."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from app.outbox import service as outbox


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: records every request, answers the scripted statuses in turn
    (then ``default``)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default: int = 200
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def relay(app: FastAPI, **kwargs: Any) -> int:
    """One synchronous pass of the outbox relay of ``app`` (dispatch, then send what is due)."""
    return outbox.run_once(app.state.sessionmaker, app.state.context, **kwargs)
