"""Shared by the Service Consumer (Write) tests: the second instance acting as the host."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI


@dataclass
class Host:
    app: FastAPI
    base: str

    @property
    def api_root(self) -> str:
        return self.base + "/ims/ob/v3p0"
