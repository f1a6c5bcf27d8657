"""The ``revocation`` and ``suspension`` checks.

Two status mechanisms are read:

* ``BitstringStatusListEntry`` (W3C Bitstring Status List v1.0 §3.2 "Validate Algorithm"): the
  list credential is fetched through the resolver and verified like any credential (its proof,
  its key binding, its dates); its issuer must be the credential's issuer, or its key must be
  bound to the credential's issuer; its purpose must match; then the bit is read (length and
  range errors are reported by :func:`openbadges.status_list.read_status`).
* ``1EdTechRevocationList`` (1EdTech VCRL 1.0): the list document is fetched and searched for
  the credential id, under ``revokedCredential`` or the plural ``revokedCredentials``; a list
  with neither is ``unknown`` (:func:`openbadges.status_list.is_revoked_1edtech`). It is an
  unsigned document, which the detail says.

Policy: no status entry for a purpose gives ``valid`` with the sentence "publishes no …
status" (the check is always present, so a reader sees it was considered). Anything that
prevents reading the status — a fetch failure, a list that does not verify, an unknown
mechanism — gives ``unknown``: never ``valid``, never "revoked"
(w3c/vc-bitstring-status-list#39, transmute-industries/verifiable-data#232).

Specs:
    https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm
    https://www.imsglobal.org/spec/vcrl/v1p0/
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from openbadges.errors import OpenBadgesError
from openbadges.resolver import Resolver
from openbadges.status_list import is_revoked_1edtech, read_status
from openbadges.verification.keys import KeyPolicy
from openbadges.verification.proof import verifying_key
from openbadges.verification.report import Check, CheckStatus, VerificationReport
from openbadges.verification.structure import Expected, issuer_id_of

__all__ = ["StatusContext", "check_status"]

Purpose = Literal["revocation", "suspension"]
NestedVerifier = Callable[[dict[str, Any], Expected], VerificationReport]

_BITSTRING = "BitstringStatusListEntry"
_VCRL = "1EdTechRevocationList"
_PAST = {"revocation": "revoked", "suspension": "suspended"}


@dataclass(frozen=True, slots=True)
class StatusContext:
    """What a status check needs besides the credential.

    Attributes:
        resolver: fetches the status lists.
        verify_nested: verifies a fetched status list credential (``expected="status_list"``).
        policy: the key policy, to bind a list signed by another issuer.
    """

    resolver: Resolver
    verify_nested: NestedVerifier
    policy: KeyPolicy


def check_status(credential: dict[str, Any], purpose: Purpose, ctx: StatusContext) -> Check:
    """Run the ``revocation`` or ``suspension`` check (see the module docstring for the policy)."""
    entries = [e for e in _entries(credential) if _purpose_of(e) == purpose]
    if purpose == "revocation" and _references(credential):
        # A bare reference (a URL string, a number) instead of an entry object: the issuer
        # says the credential has a status, and nothing here can read it.
        return Check.make(
            purpose,
            "unknown",
            "The credentialStatus holds a reference instead of a status entry object, so the "
            "status could not be checked.",
        )
    if not entries:
        return Check.make(
            purpose, "valid", f"The issuer publishes no {purpose} status for this credential."
        )
    results = [_judge(entry, credential, purpose, ctx) for entry in entries]
    status: CheckStatus = "valid"
    if any(s == "invalid" for s, _ in results):
        status = "invalid"
    elif any(s == "unknown" for s, _ in results):
        status = "unknown"
    return Check.make(purpose, status, " ".join(d for _, d in results))


def _entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    value = credential.get("credentialStatus")
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _references(credential: dict[str, Any]) -> bool:
    value = credential.get("credentialStatus")
    items = value if isinstance(value, list) else [value]
    return any(item is not None and not isinstance(item, dict) for item in items)


def _purpose_of(entry: dict[str, Any]) -> str:
    if entry.get("type") == _VCRL:
        return "revocation"
    purpose = entry.get("statusPurpose")
    # An entry of a mechanism we cannot read still says something about revocation.
    return purpose if isinstance(purpose, str) else "revocation"


def _judge(
    entry: dict[str, Any], credential: dict[str, Any], purpose: Purpose, ctx: StatusContext
) -> tuple[CheckStatus, str]:
    kind = entry.get("type")
    try:
        if kind == _BITSTRING:
            return _judge_bitstring(entry, credential, purpose, ctx)
        if kind == _VCRL:
            return _judge_vcrl(entry, credential, ctx.resolver)
    except OpenBadgesError as exc:
        return "unknown", f"The {purpose} status could not be checked: {exc.message}"
    return (
        "unknown",
        f"The {purpose} status uses {kind!r}, a mechanism this verifier cannot read.",
    )


def _judge_bitstring(
    entry: dict[str, Any], credential: dict[str, Any], purpose: Purpose, ctx: StatusContext
) -> tuple[CheckStatus, str]:
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return "unknown", "The status entry names no status list address, so it was not checked."
    list_doc = ctx.resolver.fetch_json(url)
    trust_problem = _untrusted_list(list_doc, url, credential, ctx)
    if trust_problem:
        return "unknown", trust_problem
    purposes = _list_purposes(list_doc)
    if purpose not in purposes:
        return (
            "unknown",
            f"The status list at {url} is for {', '.join(purposes) or 'no purpose'}, not {purpose}.",
        )
    value = read_status(list_doc, _normalised(entry))
    index = entry.get("statusListIndex")
    if value:
        return (
            "invalid",
            f"The issuer has {_PAST[purpose]} this credential (status list {url}, entry {index}).",
        )
    return "valid", f"The credential is not {_PAST[purpose]} (status list {url}, entry {index})."


def _untrusted_list(
    list_doc: dict[str, Any], url: str, credential: dict[str, Any], ctx: StatusContext
) -> str | None:
    """Return why the list cannot be trusted, or ``None`` when it can."""
    report = ctx.verify_nested(list_doc, "status_list")
    if not report.verified:
        failing = next(c for c in report.checks if c.status != "valid")
        return f"The status list at {url} could not be trusted: {failing.title}: {failing.detail}"
    issuer, list_issuer = issuer_id_of(credential), issuer_id_of(list_doc)
    if issuer is not None and issuer == list_issuer:
        return None
    if issuer is not None and _signed_for(list_doc, issuer, ctx):
        return None
    return (
        f"The status list at {url} is issued by {list_issuer}, not by the credential's issuer "
        f"{issuer}, and its key is not one the credential's issuer publishes."
    )


def _signed_for(list_doc: dict[str, Any], issuer: str, ctx: StatusContext) -> bool:
    """Whether a proof of the list *verifies* with a key bound to ``issuer``.

    Naming the issuer's key in a proof is not enough: the signature itself must match, or any
    list host could borrow the issuer's key id next to a valid proof of its own.
    """
    proofs = list_doc.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        key = verifying_key(list_doc, proof, issuer, ctx.resolver, ctx.policy)
        if key is not None and key.binding == "valid":
            return True
    return False


def _list_purposes(list_doc: dict[str, Any]) -> list[str]:
    subject = list_doc.get("credentialSubject")
    value = subject.get("statusPurpose") if isinstance(subject, dict) else None
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _normalised(entry: dict[str, Any]) -> dict[str, Any]:
    """Accept an integer index as well as the spec's base-10 string (1EdTech fixtures use both)."""
    index = entry.get("statusListIndex")
    if isinstance(index, int) and not isinstance(index, bool):
        return {**entry, "statusListIndex": str(index)}
    return entry


def _judge_vcrl(
    entry: dict[str, Any], credential: dict[str, Any], resolver: Resolver
) -> tuple[CheckStatus, str]:
    url = entry.get("id")
    credential_id = credential.get("id")
    if not isinstance(url, str) or not isinstance(credential_id, str):
        return "unknown", "The revocation list entry or the credential has no id to look up."
    document = resolver.fetch_json(url)
    if is_revoked_1edtech(document, credential_id):
        return "invalid", f"The issuer has revoked this credential (revocation list {url})."
    return (
        "valid",
        f"The credential is not listed as revoked in the issuer's revocation list {url} "
        "(an unsigned document, trusted as served).",
    )
