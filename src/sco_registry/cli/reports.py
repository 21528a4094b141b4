"""`norms`: where the recorded history met or departed from the declaration's norms."""

from __future__ import annotations

import argparse
from typing import Any

from sco_registry.cli._base import EXIT_OK, add_command
from sco_registry.config import Settings


def add_parsers(sub: Any) -> None:
    norms = add_command(
        sub,
        "norms",
        _norms,
        help="report where history met or departed from the declaration's norms",
    )
    norms.add_argument("--all", action="store_true", help="also list the norms that were met")


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
