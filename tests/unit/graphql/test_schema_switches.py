"""Introspection and field suggestions: on in development, off elsewhere unless set."""

from __future__ import annotations

import pytest

from sco_registry.config import Settings
from sco_registry.graphql.schema import build_schema

INTROSPECT = "{ __schema { queryType { name } } }"
TYPO = "{ haed { position } }"  # `head`, misspelt


async def test_introspection_answers_when_on_and_is_refused_when_off() -> None:
    on = await build_schema(introspection=True).execute(INTROSPECT)
    assert on.errors is None and on.data == {"__schema": {"queryType": {"name": "Query"}}}
    off = await build_schema(introspection=False).execute(INTROSPECT)
    assert off.data is None and off.errors
    assert "introspection" in off.errors[0].message.lower()


async def test_field_suggestions_only_when_on() -> None:
    on = await build_schema(field_suggestions=True).execute(TYPO)
    assert on.errors and "Did you mean 'head'?" in on.errors[0].message
    off = await build_schema(field_suggestions=False).execute(TYPO)
    assert off.errors and "Cannot query field 'haed'" in off.errors[0].message
    assert "Did you mean" not in off.errors[0].message


@pytest.mark.parametrize(
    ("environment", "set_to", "expected"),
    [
        ("development", None, True),
        ("test", None, False),
        ("production", None, False),
        ("production", True, True),
        ("development", False, False),
    ],
)
def test_the_defaults_follow_the_environment(
    environment: str, set_to: bool | None, expected: bool
) -> None:
    secret = "s" * 40  # outside development a real secret is required
    settings = Settings(
        environment=environment,  # type: ignore[arg-type]
        jwt_secret=secret,  # type: ignore[arg-type]
        api_introspection=set_to,
        api_field_suggestions=set_to,
    )
    assert settings.api_introspection_enabled() is expected
    assert settings.api_field_suggestions_enabled() is expected
