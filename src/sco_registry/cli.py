"""The operator's command line, `sco-registry`: run, serve, migrate, import, verify,
export-events, norms, projections, token.

Exit codes (also in README.md):

* 0: success (`verify`: the chain is intact);
* 1: only `verify` (and `run`'s final check): the log's hash chain is broken, or its head
  differs from `--head`; and `projections verify`: a read model drifted from the log;
* 2: bad input or usage: arguments, flags, settings (`config.*`), files that cannot be read,
  an import rejected, a refused operation;
* 3: the environment: the database cannot be used as it is (`db.*`: not reachable, not an
  SQLite file, not migrated, at another schema revision); the command may succeed unchanged
  once that is fixed;
* 70: an unexpected error (a bug): `internal.unexpected`; 130: interrupted.

Every failure is one line on stderr, `error: [code] message`, with the error's stable code
(an import's report lists its problems one a line instead). No command prints a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.engine import make_url

from sco_registry.config import Settings, load_settings
from sco_registry.domain.errors import RegistryError
from sco_registry.store.chain import (
    ChainReport,
    ChainVerifier,
    averify_events,
    from_export_record,
    to_export_line,
)
from sco_registry.store.errors import DatabaseUnavailable

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_INVALID = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE
EXIT_INTERRUPTED = 130

_HASH = re.compile(r"[0-9a-f]{64}")


class UsageError(RegistryError):
    """The command line itself is wrong: an unknown flag, a missing argument."""

    code = "cli.usage"


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as `UsageError` (one line, exit 2) instead of
    printing the usage text and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _print_report(report: ChainReport, what: str) -> int:
    if report.ok:
        print(f"ok: {what}: {report.checked} events, chain intact, head {report.head_hash}")
        return EXIT_OK
    print(
        f"BROKEN: {what}: first broken position {report.broken_at}: {report.reason} "
        f"({report.checked} events verified before it)",
        file=sys.stderr,
    )
    return EXIT_BROKEN


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# What reading one line as an event can raise: bad JSON, missing or mistyped fields, numbers
# out of range (`int(1e999)`), values the envelope cannot hold, nesting too deep to parse.
_UNREADABLE_LINE = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    RecursionError,
    RegistryError,
)


def verify_file(path: Path, *, expected_head: str | None = None) -> ChainReport:
    """Verify an exported NDJSON file with no database. A line that cannot be read as an
    event breaks the chain at the position where that event was due. A file that cannot be
    opened, or is not UTF-8 text anywhere (so not an export as written: checked first, over
    the whole file), is a `RegistryError` (`verify.unreadable_file`, `verify.not_text`)."""
    verifier = ChainVerifier()
    try:
        f = path.open("rb")
    except OSError as e:
        raise RegistryError(
            f"cannot read {path}: {e.strerror or e}", code="verify.unreadable_file"
        ) from e
    with f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise RegistryError(
                    f"{path} is not an export of sco-registry: line {number} is not UTF-8 "
                    f"text ({e.reason} at byte {e.start} of the line)",
                    code="verify.not_text",
                ) from e
        f.seek(0)
        for raw in f:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=_reject_constant)
                if not isinstance(record, dict):
                    raise ValueError("an event line is a JSON object")
                ok = verifier.feed(from_export_record(record))
            except _UNREADABLE_LINE as e:
                reason = str(e) or e.__class__.__name__
                verifier.fail(verifier.expected_position, f"unreadable event line: {reason}")
                break
            if not ok:
                break
    return verifier.finish(expected_head=expected_head)


def _expected_head(text: str | None) -> str | None:
    if text is None:
        return None
    head = text.strip().lower()
    if not _HASH.fullmatch(head):
        raise RegistryError(
            f"--head {text!r} is not a head hash: 64 hexadecimal digits expected",
            code="verify.malformed_head",
        )
    return head


async def _migrate(settings: Settings) -> int:
    from sco_registry.db import migrate

    await migrate(settings.database_url)
    print(f"migrated: {_shown(settings.database_url)}")
    return EXIT_OK


async def _verify(settings: Settings, args: argparse.Namespace) -> int:
    head = _expected_head(args.head)
    if args.file:
        return _print_report(verify_file(Path(args.file), expected_head=head), args.file)
    from sco_registry.bootstrap import open_registry

    async with open_registry(settings) as registry:
        report = await averify_events(registry.store.iter_all(), expected_head=head)
    return _print_report(report, _shown(settings.database_url))


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry

    out = Path(args.out)
    tmp = out.with_name(out.name + ".partial")
    count = 0
    async with open_registry(settings) as registry:
        try:
            with tmp.open("w", encoding="utf-8") as f:
                async for event in registry.store.iter_all():
                    f.write(to_export_line(event))
                    f.write("\n")
                    count += 1
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(out)  # never leave a half-written export under the real name
        except BaseException:
            tmp.unlink(missing_ok=True)  # nor under the other one
            raise
    print(f"exported {count} events to {out}")
    return EXIT_OK


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from sco_registry.bootstrap import open_registry
    from sco_registry.importer.cli import run_import

    async with open_registry(settings) as registry:
        return await run_import(args, registry.store, scratch_store=registry.scratch_store)


async def _norms(settings: Settings, args: argparse.Namespace) -> int:
    """The declaration's norms over the recorded history: met, departed, not applicable,
    read from the compliance read model (caught up first; a stale one is refused). The
    findings under each norm's standing reading are listed as before; rotation's other
    readings follow, each finding naming its reading, with a count per reading."""
    from sco_registry.bootstrap import open_registry
    from sco_registry.domain.norms import READINGS
    from sco_registry.projections import compliance

    async with open_registry(settings) as registry:
        await registry.projections.catch_up(compliance.ComplianceProjection.name)
        found = await registry.projections.read(lambda conn: compliance.findings(conn))
    standing = [f for f in found if f.standing]
    others = [f for f in found if not f.standing]
    for f in standing + others:
        if not (args.all or f.outcome.value == "departed"):
            continue
        evidence = f" [{', '.join(f.evidence)}]" if f.evidence else ""
        reading = "" if f.standing else f"[{f.reading}]"
        print(
            f"{f.year} {f.body} {f.norm}{reading} ({f.article}): {f.outcome.value}: "
            f"{f.explanation}{evidence}"
        )
    departed = sum(1 for f in standing if f.outcome.value == "departed")
    print(f"{len(standing)} findings, {departed} departures from the declaration's norms")
    for (norm, reading), group in compliance.by_reading(others).items():
        gone = sum(1 for f in group if f.outcome.value == "departed")
        print(
            f"{norm} read as {reading!r} ({READINGS[(norm, reading)]}): "
            f"{len(group)} findings, {gone} departures"
        )
    return EXIT_OK


def _shown(url: str) -> str:
    """The URL as printed: never with its password."""
    return make_url(url).render_as_string(hide_password=True)


def _where(url: str) -> str:
    """The database as a person wants to see it: an SQLite file's absolute path."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return str(Path(url.removeprefix(prefix)).resolve())
    return url


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    """First start: create and migrate the database, load the bundled history into an empty
    log (never again after that), say where everything is, then serve the API (unless
    `--no-serve`)."""
    from sco_registry.bootstrap import open_registry
    from sco_registry.importer.bundled import bundled_files, load_bundled
    from sco_registry.importer.cli import ProgressBar, summary_line

    async with open_registry(settings, migrate_first=True) as registry:
        store = registry.store
        if await store.head_position() == 0:
            bar = ProgressBar(sys.stderr)
            try:
                summary = await load_bundled(
                    store, progress=bar, scratch_store=registry.scratch_store
                )
            finally:
                bar.close()
            for problem in summary.problems:
                print(problem, file=sys.stderr)
            names = ", ".join(p.name for p in bundled_files())
            print(f"loaded the bundled history ({names}): {summary_line(summary)}")
            if not summary.ok:
                return EXIT_INVALID
        else:
            print("the log already holds events: bundled history not loaded again")
        from sco_registry.projections.cli import start_up

        embedded = settings.database_url.startswith("sqlite")
        for line in await start_up(registry.projections, embedded=embedded):
            print(f"projections: {line}")
        head = await store.head_position()
        report = await averify_events(store.iter_all())
    print(f"database: {_where(settings.database_url)}")
    print(f"events: {head}; chain {'intact' if report.ok else 'BROKEN'}; head {report.head_hash}")
    if not report.ok:
        return EXIT_BROKEN
    if args.no_serve:
        return EXIT_OK
    return await _serve(settings, args)


async def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the API (uvicorn) on the configured, migrated database until interrupted
    (SIGINT or SIGTERM: a graceful shutdown, exit 0); prints the URL to open once listening."""
    import uvicorn

    from sco_registry.app import create_app
    from sco_registry.bootstrap import open_registry

    host = args.host if args.host is not None else settings.api_host
    port = args.port if args.port is not None else settings.api_port
    async with open_registry(settings) as registry:
        config = uvicorn.Config(
            create_app(registry), host=host, port=port, log_level="warning", access_log=False
        )
        server = _server(config)
        serving = asyncio.create_task(server.serve())
        # uvicorn sets a plain flag once it listens (no event to await): poll it.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()
            shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
            base = f"http://{shown}:{bound[1]}"
            print(f"serving: the timeline at {base}/ and GraphiQL at {base}/graphql (Ctrl-C stops)")
            sys.stdout.flush()
        await serving
        if not server.started:  # it never listened: the port is taken, say, or refused
            raise RegistryError(
                f"could not listen on {host}:{port} (see the message above)", code="serve.failed"
            )
    return EXIT_OK


def _server(config: Any) -> Any:
    """A uvicorn server that shuts down gracefully on SIGINT or SIGTERM and then returns
    (uvicorn's own re-raises the signal after its shutdown, so the process would die of it
    rather than exit 0)."""
    import signal

    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            loop = asyncio.get_running_loop()
            signals = (signal.SIGINT, signal.SIGTERM)
            for sig in signals:
                loop.add_signal_handler(sig, self._stop)
            try:
                yield
            finally:
                for sig in signals:
                    loop.remove_signal_handler(sig)

        def _stop(self) -> None:
            self.should_exit = True

    return Server(config)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sco-registry",
        description="Event-sourced registry of the Shanghai Cooperation Organization's history.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database schema")
    verify = sub.add_parser("verify", help="check the log's hash chain")
    verify.add_argument("--file", help="verify an exported NDJSON file instead of the database")
    verify.add_argument("--head", help="also require this head hash (kept elsewhere)")
    export = sub.add_parser("export-events", help="write the log as NDJSON, one event a line")
    export.add_argument("--out", required=True, help="file to write")
    from sco_registry.importer.cli import add_import_parser

    add_import_parser(sub)
    norms = sub.add_parser(
        "norms", help="report where history met or departed from the declaration's norms"
    )
    norms.add_argument("--all", action="store_true", help="also list the norms that were met")
    from sco_registry.projections.cli import add_projections_parser

    add_projections_parser(sub)
    run = sub.add_parser(
        "run",
        help="create and migrate the database, load the bundled history on first start, serve",
    )
    run.add_argument("--no-serve", action="store_true", help="prepare and report, do not serve")
    serve = sub.add_parser("serve", help="serve the GraphQL API (/graphql, /healthz, /readyz)")
    for p in (run, serve):
        p.add_argument("--host", help="address to listen on (default: SCO_REGISTRY_API_HOST)")
        p.add_argument(
            "--port", type=int, help="port to listen on (default: SCO_REGISTRY_API_PORT)"
        )
    token = sub.add_parser(
        "token", help="print a development bearer token for the API (development only)"
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
    return parser


_TTL = re.compile(r"([0-9]+)([smhd]?)")
_TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _token(settings: Settings, args: argparse.Namespace) -> int:
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


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        return await _migrate(settings)
    if args.command == "verify":
        return await _verify(settings, args)
    if args.command == "export-events":
        return await _export(settings, args)
    if args.command == "import":
        return await _import(settings, args)
    if args.command == "norms":
        return await _norms(settings, args)
    if args.command == "run":
        return await _run(settings, args)
    if args.command == "serve":
        return await _serve(settings, args)
    if args.command == "token":
        return _token(settings, args)
    if args.command == "projections":
        from sco_registry.bootstrap import open_registry
        from sco_registry.projections.cli import run_projections

        async with open_registry(settings) as registry:
            return await run_projections(args, registry.projections)
    raise AssertionError(f"unhandled command {args.command}")


def _fail(code: str, message: str, exit_code: int) -> int:
    one_line = " ".join(message.split())
    print(f"error: [{code}] {one_line}", file=sys.stderr)
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
        return asyncio.run(_dispatch(args, load_settings()))
    except DatabaseUnavailable as e:
        return _fail(e.code, e.message, EXIT_ENVIRONMENT)
    except RegistryError as e:
        return _fail(e.code, e.message, EXIT_INVALID)
    except OSError as e:  # a file named on the command line (to read or to write)
        return _fail("io.error", str(e), EXIT_INVALID)
    except KeyboardInterrupt:
        return _fail("cli.interrupted", "interrupted", EXIT_INTERRUPTED)
    except Exception as e:  # last resort: a bug; the known failures have codes above
        return _fail("internal.unexpected", f"{e.__class__.__name__}: {e}", EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
