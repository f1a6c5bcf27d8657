"""Every mapped table, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.account import (
    AccountHiddenCredential,
    HostedCredential,
    LearnerAccount,
    LearnerEmail,
    LearnerSession,
    SignInToken,
)
from app.models.achievement import Achievement
from app.models.api_key import ApiKey
from app.models.audit_event import AuditEvent
from app.models.base import Base, utcnow
from app.models.batch import Batch, BatchRow
from app.models.credential import Credential
from app.models.endorsement import Endorsement
from app.models.issuer import Issuer
from app.models.mail import MailCounter
from app.models.oauth import OAuthClient, OAuthCode, OAuthToken
from app.models.ob_connection import (
    ObAuthorization,
    ObConnection,
    ObHostClient,
    ObPushRequest,
)
from app.models.offer import Offer
from app.models.outbox import Delivery, OutboxEvent
from app.models.program import Program, ProgramLearner, ProgramModule
from app.models.signing_key import SigningKey
from app.models.staff import (
    StaffInvitation,
    StaffMembership,
    StaffPasswordReset,
    StaffSession,
    StaffUser,
)
from app.models.status_allocation import StatusAllocation
from app.models.status_event import StatusEvent
from app.models.status_list import StatusList
from app.models.usage import UsageCount
from app.models.wallet import WalletAccessToken, WalletExchange, WalletGrant, WalletNonce
from app.models.webhook import WebhookEndpoint

__all__ = [
    "AccountHiddenCredential",
    "Achievement",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Batch",
    "BatchRow",
    "Credential",
    "Delivery",
    "Endorsement",
    "HostedCredential",
    "Issuer",
    "LearnerAccount",
    "LearnerEmail",
    "LearnerSession",
    "MailCounter",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "ObAuthorization",
    "ObConnection",
    "ObHostClient",
    "ObPushRequest",
    "Offer",
    "OutboxEvent",
    "Program",
    "ProgramLearner",
    "ProgramModule",
    "SignInToken",
    "SigningKey",
    "StaffInvitation",
    "StaffMembership",
    "StaffPasswordReset",
    "StaffSession",
    "StaffUser",
    "StatusAllocation",
    "StatusEvent",
    "StatusList",
    "UsageCount",
    "WalletAccessToken",
    "WalletExchange",
    "WalletGrant",
    "WalletNonce",
    "WebhookEndpoint",
    "utcnow",
]
