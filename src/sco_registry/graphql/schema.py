"""The schema, built from the code; `make schema` writes it to `schema.graphql` (SDL), and
a test fails when that file is stale."""

from __future__ import annotations

from pathlib import Path

import strawberry

from sco_registry.graphql.errors import MaskUnexpectedErrors
from sco_registry.graphql.mutations import build_mutation
from sco_registry.graphql.queries import Query
from sco_registry.graphql.subscriptions import Subscription

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=build_mutation(),
        subscription=Subscription,
        extensions=[MaskUnexpectedErrors],
    )


def sdl() -> str:
    """The schema as SDL, as `schema.graphql` holds it."""
    return build_schema().as_str() + "\n"
