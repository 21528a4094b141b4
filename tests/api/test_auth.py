"""Auth: which tokens may write (none, a bad signature, an expired one, a reader's, an
auditor's, a writer's), that a refused write appends nothing, that reads need no token,
that the settings refuse a default secret outside development, and who sees actors."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from sco_registry.config import DEVELOPMENT_JWT_SECRET, InvalidSetting, Settings, load_settings
from sco_registry.graphql.auth import (
    AuthError,
    Principal,
    Role,
    TokenVerifier,
    can_see_actors,
    issue_token,
)
from tests.api.conftest import Api
from tests.api.writes import bearer, mutate, token

INPUT = {"code": "TM", "name": "Turkmenistan"}


def _forged(claims: dict[str, Any], key: str = DEVELOPMENT_JWT_SECRET, alg: str = "HS256") -> str:
    # Made when the module is imported, used much later under xdist: a day, not minutes.
    soon = int(dt.datetime.now(dt.UTC).timestamp()) + 86_400
    base = {"sub": "mallory", "roles": ["writer"], "iss": "sco-registry",
            "aud": "sco-registry-api", "exp": soon}  # fmt: skip
    return jwt.encode({**base, **claims}, key, algorithm=alg)


REFUSED = [
    ("no token", {}, "auth.missing_token"),
    ("not bearer", {"authorization": "Basic abc"}, "auth.malformed_header"),
    ("bad signature", bearer(_forged({}, key="another-secret-another-secret-xx")),
     "auth.invalid_token"),
    ("expired", bearer(token(Role.WRITER, ttl=-120)), "auth.expired_token"),
    ("wrong audience", bearer(_forged({"aud": "elsewhere"})), "auth.invalid_token"),
    ("wrong issuer", bearer(_forged({"iss": "elsewhere"})), "auth.invalid_token"),
    ("no expiry", bearer(jwt.encode({"sub": "m", "roles": ["writer"], "iss": "sco-registry",
                                     "aud": "sco-registry-api"}, DEVELOPMENT_JWT_SECRET)),
     "auth.invalid_token"),
    ("alg none", bearer(jwt.encode({"sub": "m", "roles": ["writer"]}, None, algorithm="none")),
     "auth.invalid_token"),
    ("garbage", bearer("not.a.jwt"), "auth.invalid_token"),
    ("reader", bearer(token(Role.READER)), "auth.forbidden"),
    ("auditor", bearer(token(Role.AUDITOR)), "auth.forbidden"),
]  # fmt: skip


async def test_writes_refused_without_a_valid_writer_token_append_nothing(api: Api) -> None:
    head = (await api.query("{ head { position hash } }"))["data"]["head"]
    for what, headers, code in REFUSED:
        result = await mutate(api, "registerState", INPUT, headers=headers)
        assert result["__typename"] == "UnauthorizedError", (what, result)
        assert result["code"] == code, (what, result)
        # Reads stay public whatever token came with them.
        assert (await api.query("{ head { position hash } }", **headers))["data"]["head"] == head
    # The control: a writer's token, the same request, appends.
    written = await mutate(api, "registerState", INPUT, headers=bearer(token(Role.WRITER)))
    assert written["__typename"] == "MutationSuccess", written
    assert written["position"] == head["position"] + 1


def test_the_verifier_returns_the_subject_and_known_roles_only() -> None:
    verifier = TokenVerifier(Settings())
    principal = verifier.verify(_forged({"sub": "carol", "roles": ["auditor", "admin"]}))
    assert principal == Principal("carol", frozenset({Role.AUDITOR}), None)
    assert verifier.from_header(None) is None
    with pytest.raises(AuthError) as e:
        verifier.verify(_forged({"sub": "  "}))
    assert e.value.code == "auth.invalid_token"


def test_a_token_signed_with_another_configured_secret_is_refused() -> None:
    secret = "x" * 40
    production = Settings(environment="production", jwt_secret=secret)
    minted = issue_token(production, subject="ops", roles=[Role.WRITER])
    assert TokenVerifier(production).verify(minted).subject == "ops"
    with pytest.raises(AuthError):
        TokenVerifier(Settings()).verify(minted)  # the development secret: not the same key


@pytest.mark.parametrize(
    "env",
    [
        {"SCO_REGISTRY_ENVIRONMENT": "production"},
        {"SCO_REGISTRY_ENVIRONMENT": "test", "SCO_REGISTRY_JWT_SECRET": DEVELOPMENT_JWT_SECRET},
        {"SCO_REGISTRY_ENVIRONMENT": "production", "SCO_REGISTRY_JWT_SECRET": "short"},
        {"SCO_REGISTRY_JWT_ALGORITHM": "HS1"},
        {"SCO_REGISTRY_JWT_ALGORITHM": "RS256"},
    ],
)
def test_settings_refuse_a_default_or_missing_key_outside_development(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSetting) as e:
        load_settings()
    assert e.value.code == "config.invalid_setting"
    assert e.value.details["setting"].startswith("SCO_REGISTRY_JWT_")


def test_settings_accept_development_defaults_and_a_real_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().signing_secret() == DEVELOPMENT_JWT_SECRET  # the control
    monkeypatch.setenv("SCO_REGISTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("SCO_REGISTRY_JWT_SECRET", "s" * 32)
    assert load_settings().signing_secret() == "s" * 32


def _info(principal: Principal | None = None, error: AuthError | None = None) -> Any:
    """An `info` whose context is a real Context with its token check stubbed."""
    from sco_registry.graphql.context import Context

    context = Context.__new__(Context)

    def ask() -> Principal | None:
        if error is not None:
            raise error
        return principal

    context.principal = ask  # type: ignore[method-assign]
    return SimpleNamespace(context=context)


def test_only_auditors_see_actors() -> None:
    assert can_see_actors(_info(Principal("a", frozenset({Role.AUDITOR}))))
    assert not can_see_actors(_info(Principal("w", frozenset({Role.WRITER, Role.READER}))))
    assert not can_see_actors(_info(None))
    assert not can_see_actors(_info(error=AuthError("expired", code="auth.expired_token")))
