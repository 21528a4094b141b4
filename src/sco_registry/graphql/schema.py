"""The schema, built from the code; `make schema` writes it to `schema.graphql` (SDL), and
a test fails when that file is stale.

Limits (issue 9, section 8): query depth at most 10, aliases 15, tokens 2,000; the parser's
and the validator's results are cached (a repeated document is parsed and validated once).
The request body (256 KB) is limited in `app.py`, a page (100) in `pagination.py`."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from sco_registry.graphql.errors import MaskUnexpectedErrors
from sco_registry.graphql.mutations import build_mutation
from sco_registry.graphql.queries import Query
from sco_registry.graphql.subscriptions import Subscription

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
CACHE_SIZE = 1_000


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=build_mutation(),
        subscription=Subscription,
        # Factories: a fresh extension per request (the caches themselves are shared).
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            MaskUnexpectedErrors,
        ],
    )


def sdl() -> str:
    """The schema as SDL, as `schema.graphql` holds it."""
    return build_schema().as_str() + "\n"
