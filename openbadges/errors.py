"""The one error tree of the library.

Every error carries a stable machine ``code`` (used in problem bodies and the CLI) and, where it
applies, the JSON ``path`` of the offending value (``$.credentialSubject.result[0].value``)::

    OpenBadgesError
    ├── ContextError            an @context URL that is not bundled, or a malformed context
    ├── UndefinedTermError      a property or type the contexts do not define (would not be signed)
    ├── LimitExceededError      hostile input: too large, too deep, too many blank nodes, too slow
    ├── CanonicalizationError   JSON-LD → RDF or RDFC-1.0 failed
    ├── KeyFormatError          a key, multikey, JWK or DID that cannot be parsed
    ├── SigningError            a proof could not be created
    ├── JwtError                a VC-JWT that is malformed or whose claims disagree
    ├── StatusListError         a status list that cannot be decoded or is too short
    ├── BakeError               an image that cannot be baked or unbaked
    ├── ResolutionError         a document (DID, profile, status list) that could not be fetched
    └── ModelError              a credential that does not fit the OB 3.0 model

The library raises these for bad input; verification never raises for a bad credential, it
reports (see :mod:`openbadges.verify`).
"""

from __future__ import annotations

from typing import TypeVar

E = TypeVar("E", bound=BaseException)


class OpenBadgesError(Exception):
    """Base class of every error raised by :mod:`openbadges`."""

    default_code = "openbadges_error"

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None) -> None:
        """Create the error.

        Args:
            message: a sentence a person can act on.
            code: a stable machine code; defaults to the class's ``default_code``.
            path: the JSON path of the offending value, when there is one.
        """
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.path = path

    def __str__(self) -> str:
        """Return the message, prefixed by the path when there is one."""
        return f"{self.path}: {self.message}" if self.path else self.message


class ContextError(OpenBadgesError):
    """An ``@context`` that is not bundled or cannot be processed."""

    default_code = "context_error"


class UndefinedTermError(OpenBadgesError):
    """A property or type that no context defines: it would silently fall out of the signature."""

    default_code = "undefined_term"


class LimitExceededError(OpenBadgesError):
    """Input beyond the configured bounds (size, depth, blank nodes, time)."""

    default_code = "limit_exceeded"


class CanonicalizationError(OpenBadgesError):
    """JSON-LD expansion, RDF conversion or RDFC-1.0 failed."""

    default_code = "canonicalization_error"


class KeyFormatError(OpenBadgesError):
    """A key, Multikey, JWK or DID that cannot be parsed or is of an unsupported kind."""

    default_code = "key_format_error"


class SigningError(OpenBadgesError):
    """A proof could not be created."""

    default_code = "signing_error"


class JwtError(OpenBadgesError):
    """A VC-JWT that is malformed, badly signed, or whose claims disagree with the credential."""

    default_code = "jwt_error"


class StatusListError(OpenBadgesError):
    """A status list that cannot be decoded, is too short, or an index out of range."""

    default_code = "status_list_error"


class BakeError(OpenBadgesError):
    """An image that cannot be baked or holds no (or more than one) credential."""

    default_code = "bake_error"


class ResolutionError(OpenBadgesError):
    """A remote document (DID document, profile, JWKS, status list) could not be obtained."""

    default_code = "resolution_error"


class ModelError(OpenBadgesError):
    """A document that does not fit the Open Badges 3.0 data model."""

    default_code = "model_error"


def find_in_chain(exc: BaseException, kind: type[E]) -> E | None:
    """The first error of type ``kind`` in ``exc`` or what it was raised from or while handling.

    Libraries wrap errors (pyld wraps ours in its own ``JsonLdError``; a handler may raise while
    a database error is being handled), so the error that says what went wrong can sit anywhere
    along ``__cause__``/``__context__``. The walk stops at a loop in the chain.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
