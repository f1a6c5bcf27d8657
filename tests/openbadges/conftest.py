"""Shared builders for the verifier tests: an issuer with a did:web and a signed credential.

Everything is signed for real with :mod:`openbadges.proofs.data_integrity` and served from an
:class:`~openbadges.resolver.InMemoryResolver`, so the tests exercise the same code paths as a
verification over the network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from verifier_builders import ISSUER_DID, NOW, Issuer, make_credential

__all__ = ["ISSUER_DID", "NOW", "Issuer", "make_credential"]


@pytest.fixture
def now() -> datetime:
    """The pinned clock of the verifier tests."""
    return NOW


@pytest.fixture
def new_issuer() -> Callable[..., Issuer]:
    """Build another issuer (``did=``, ``rsa=`` keyword arguments as :class:`Issuer`)."""
    return Issuer


@pytest.fixture
def unsigned() -> Callable[..., dict[str, Any]]:
    """Build an unsigned credential: ``unsigned(issuer_id, **member_overrides)``."""
    return make_credential


@pytest.fixture
def issuer() -> Issuer:
    """A fresh did:web issuer with one Ed25519 key."""
    return Issuer()


@pytest.fixture
def signed(issuer: Issuer) -> Callable[..., dict[str, Any]]:
    """Build and sign a credential of ``issuer``; keyword arguments override members."""

    def build(**overrides: Any) -> dict[str, Any]:
        return issuer.sign(make_credential(issuer.did, **overrides))

    return build
