"""The wallet links of an offer, from :mod:`app.wallets` when it is installed.

``app.wallets`` binds offers to holders through this package
(:func:`app.offers.service.bind_to_holder`), so this package imports it by name, at call time,
rather than with an import statement (which would make the two packages a cycle; the same
device as :func:`app.credentials.public_reads.web_module`). Without it, offers still carry
the claim page, its downloads and LinkedIn; the wallet buttons are left out.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Protocol

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import Offer

_MODULE = "app.wallets.service"


class WalletLinks(Protocol):
    """What ``app.wallets.service.wallet_links`` answers (read only)."""

    @property
    def oid4vci_offer_url(self) -> str: ...
    @property
    def lcw_url(self) -> str: ...
    @property
    def dcc_url(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def tx_code_sent(self) -> bool: ...


def _module() -> ModuleType | None:
    try:
        return importlib.import_module(_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.wallets", _MODULE):
            raise
        return None


def available() -> bool:
    """True when the wallet protocols are installed."""
    return _module() is not None


def wallet_links(session: Session, context: AppContext, offer: Offer) -> WalletLinks | None:
    """The wallet links of a live offer (the same on every call; nothing is written or sent:
    the wallet protocols mint their codes when a wallet comes), or None without them."""
    module = _module()
    if module is None:
        return None
    links: WalletLinks = module.wallet_links(session, context, offer)
    return links
