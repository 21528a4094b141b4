"""Who is asking: bearer JWTs verified with PyJWT against the configured key, the roles they
grant, and the checks the resolvers make (`require_writer`, `can_see_actors`).

Public history needs no token. A token is verified on first use in a request: signature with
the one configured algorithm (a token naming another is refused, so `none` or an HMAC made
with a public key never pass), `exp`, `iss` and `aud` required, `sub` the actor recorded in
every event a write appends (never a value from the input). Roles, in the `roles` claim:
`reader` (what anyone may read), `writer` (the mutations), `auditor` (actor identities in
the audit and event views). A presented but invalid token is never downgraded to a write:
the mutation returns why (`auth.*`); a read goes on as an anonymous one.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from sco_registry.config import HMAC_ALGORITHMS, Settings
from sco_registry.domain.errors import RegistryError

if TYPE_CHECKING:
    from strawberry.types import Info

    from sco_registry.graphql.context import Context


class Role(enum.StrEnum):
    READER = "reader"
    WRITER = "writer"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified token's holder: `subject` (the `sub` claim: the actor of their writes)."""

    subject: str
    roles: frozenset[Role]
    token_id: str | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles


class AuthError(RegistryError):
    """The request may not do what it asked: no token, an invalid one, or a missing role."""

    code = "auth.unauthorized"


# Stable codes: clients branch on them.
MISSING_TOKEN = "auth.missing_token"
INVALID_TOKEN = "auth.invalid_token"
EXPIRED_TOKEN = "auth.expired_token"
FORBIDDEN = "auth.forbidden"
MALFORMED_HEADER = "auth.malformed_header"


class TokenVerifier:
    """Verifies bearer tokens against the settings' key, issuer, audience and algorithm."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self.key: str = (
            settings.signing_secret()
            if settings.jwt_algorithm in HMAC_ALGORITHMS
            else settings.jwt_public_key or ""
        )

    def verify(self, token: str) -> Principal:
        """The token's principal, or `AuthError` saying why not (expired, invalid)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the bearer token has expired", code=EXPIRED_TOKEN) from None
        except jwt.PyJWTError as e:
            # PyJWT's message names the failed check (signature, audience, a missing claim).
            raise AuthError(f"the bearer token is not valid: {e}", code=INVALID_TOKEN) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("the bearer token names no subject", code=INVALID_TOKEN)
        jti = claims.get("jti")
        return Principal(
            subject, _roles(claims.get("roles")), jti if isinstance(jti, str) else None
        )

    def from_header(self, value: str | None) -> Principal | None:
        """The principal of an `Authorization` header's bearer token; None without one."""
        if value is None or not value.strip():
            return None
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("expected `Authorization: Bearer <token>`", code=MALFORMED_HEADER)
        return self.verify(token.strip())


def _roles(raw: object) -> frozenset[Role]:
    """The known roles a `roles` claim names (a string or a list; others are ignored)."""
    names: Iterable[object] = (
        [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    )
    known = {r.value: r for r in Role}
    return frozenset(known[n] for n in names if isinstance(n, str) and n in known)


def issue_token(
    settings: Settings,
    *,
    subject: str,
    roles: Iterable[Role],
    ttl: dt.timedelta = dt.timedelta(hours=8),
    now: dt.datetime | None = None,
) -> str:
    """A signed token for `subject` with `roles` (the development token command's; tests').

    Only HMAC algorithms can sign here: an asymmetric setup's tokens come from its issuer."""
    if settings.jwt_algorithm not in HMAC_ALGORITHMS:
        raise AuthError(
            f"cannot sign with {settings.jwt_algorithm} here: only an HMAC algorithm's secret "
            "is configured to sign; tokens for a public key come from its issuer",
            code="auth.cannot_sign",
        )
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject,
        "roles": sorted(Role(r).value for r in roles),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm=settings.jwt_algorithm)


def can_see_actors(info: Info[Context, Any]) -> bool:
    """Whether the request may see who recorded events (actors in audit and event views):
    an auditor's token only. The query side calls this (or `Context.may_see_actors`, the
    same answer) for every actor it would show."""
    return info.context.may_see_actors()


def require_writer(info: Info[Context, Any]) -> Principal:
    """The writer behind the request, or `AuthError`: no token, an invalid or expired one,
    or one without the writer role. Checked before a mutation reads its input."""
    principal = info.context.principal()
    if principal is None:
        raise AuthError("writing needs a bearer token with the writer role", code=MISSING_TOKEN)
    if not principal.has(Role.WRITER):
        raise AuthError(
            f"{principal.subject!r} holds no writer role",
            code=FORBIDDEN,
            details={"roles": sorted(principal.roles)},
        )
    return principal
