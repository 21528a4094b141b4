"""`token` (a development bearer token) and `schema` (the GraphQL SDL)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from sco_registry.cli._base import EXIT_BROKEN, EXIT_OK, UsageError, add_command, atomic_output
from sco_registry.config import Settings
from sco_registry.domain.errors import RegistryError

_TTL = re.compile(r"([0-9]+)([smhd]?)")
_TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def add_parsers(sub: Any) -> None:
    token = add_command(
        sub, "token", _token, help="print a development bearer token for the API (development only)"
    )
    token.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["reader", "writer", "auditor"],
        help="a role the token grants (repeat for several)",
    )
    token.add_argument("--subject", required=True, help="who the token is for: the actor")
    token.add_argument("--ttl", default="8h", help="lifetime: seconds, or 30m, 8h, 2d (8h)")
    schema = add_command(
        sub,
        "schema",
        _schema,
        help="print the GraphQL schema (SDL), or write it to a file",
        description="The API's schema in GraphQL SDL, as schema.graphql holds it.",
    )
    how = schema.add_mutually_exclusive_group()
    how.add_argument("--out", help="write the SDL to this file instead of printing it")
    how.add_argument(
        "--check",
        metavar="FILE",
        help="compare FILE with the code's schema: exit 0 when equal, 1 when it differs",
    )


async def _token(settings: Settings, args: argparse.Namespace) -> int:
    """Print a signed token (stdout: the token alone, for `TOKEN=$(sco-registry token ...)`).
    Refused outside development: production tokens come from the deployment's issuer."""
    import datetime as dt

    from sco_registry.graphql.auth import Role, issue_token

    if settings.environment != "development":
        raise RegistryError(
            f"`token` issues development tokens only; SCO_REGISTRY_ENVIRONMENT is "
            f"{settings.environment!r}",
            code="auth.not_development",
        )
    match = _TTL.fullmatch(args.ttl.strip())
    seconds = int(match.group(1)) * _TTL_UNITS[match.group(2)] if match else 0
    if seconds <= 0:
        raise UsageError(f"--ttl {args.ttl!r}: expected a positive duration such as 3600, 30m, 8h")
    if not args.subject.strip():
        raise UsageError("--subject must not be blank")
    roles = [Role(r) for r in args.role]
    print(
        issue_token(settings, subject=args.subject, roles=roles, ttl=dt.timedelta(seconds=seconds))
    )
    return EXIT_OK


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RegistryError(f"cannot read {path}: {e}", code="schema.unreadable_file") from e


async def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.graphql.schema import sdl

    text = sdl()
    if args.check:
        path = Path(args.check)
        stored = _read(path)
        if stored == text:
            print(f"ok: {path} is the code's schema")
            return EXIT_OK
        print(
            f"DIFFERS: {path} is not the code's schema (write it: `sco-registry schema --out "
            f"{path}`)",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    if args.out:
        out = Path(args.out)
        with atomic_output(out) as f:
            f.write(text)
        print(f"wrote the schema to {out}")
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_OK
