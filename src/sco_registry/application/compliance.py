"""The declaration's norms straight from a store, without the read model: the compliance
model's own gathering (`projections/compliance.py`: `stream_facts`, `norm_facts`) over the
whole log, for callers that hold a bare store (the importer's tests, a scratch store). The
registry reads the findings from the model (`sco-registry norms`)."""

from __future__ import annotations

from collections import defaultdict

from sco_registry.domain import norms
from sco_registry.domain.folding import StoredEvent, stored_events
from sco_registry.projections.compliance import norm_facts, relevant, stream_facts
from sco_registry.store.base import EventStore


async def gather_norm_facts(store: EventStore) -> norms.NormFacts:
    streams: dict[str, list[StoredEvent]] = defaultdict(list)
    async for event in store.iter_all():
        if relevant(event.stream_id):
            streams[event.stream_id].extend(stored_events([event]))
    return norm_facts({s: stream_facts(s, events) for s, events in streams.items()})


async def check_norms(store: EventStore) -> list[norms.Finding]:
    """Each norm under its standing reading (`norms.evaluate`)."""
    return norms.evaluate(await gather_norm_facts(store))
