"""PostgreSQL: `sco_append_events`, one append in one statement (lock, idempotency key,
head, expected versions, chain hashes, insert, NOTIFY); nothing on SQLite.

The store used to spend four round trips on an append (BEGIN, the head query, the insert,
COMMIT), the last three under the append lock. Called in autocommit, this function is one
round trip, and the lock is held only while the server runs it. What it does is what
`SqlEventStore._append_in` did, in the same order (see store/sql.py for why each step):

1. `pg_advisory_xact_lock` (waiting). Every later statement of a VOLATILE plpgsql
   function under READ COMMITTED takes a fresh snapshot, so the head read after the lock
   sees every append committed before it (no stale head; the function refuses any other
   isolation level).
2. The idempotency key: recorded with the same fingerprint, the first append's result is
   returned (status 2) and nothing is written; with another fingerprint, status 3.
3. The head (last position and hash) and each stream's current version, checked against
   the expected versions (-1 any, -2 no stream, -3 stream exists, n exact): the first
   failing stream's index and version are returned (status 1), nothing written. Then an
   event id given twice in the append: status 4, nothing written (the client names it).
4. The chain: the hash definition does not change (chain version 1). The client sends each
   event's canonical envelope in three pieces, cut where the position and the stream
   version go (the only two fields the client cannot know before the lock); the server
   computes sha256(previous hash, "\\n", piece 1, position, piece 2, version, piece 3), the
   very bytes `chain.chain_hash` covers, since the envelope is canonical JSON with sorted
   keys and a position and a version are written as plain decimals. `convert_to(..., 'UTF8')`
   gives the UTF-8 bytes the hash is defined over; the function refuses a database whose
   encoding is not UTF8.
5. One INSERT of every row (unnest), the key's record, and NOTIFY with the new last
   position (delivered at COMMIT, dropped by a rollback).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = r"""
CREATE FUNCTION sco_append_events(
    p_lock bigint,
    p_channel text,
    p_key text,
    p_fingerprint text,
    p_streams text[],
    p_expected bigint[],
    p_counts integer[],
    p_event_ids uuid[],
    p_types text[],
    p_schema_versions integer[],
    p_data text[],
    p_metadata text[],
    p_valid_times text[],
    p_valid_from date[],
    p_valid_to date[],
    p_actors text[],
    p_sources text[],
    p_correlation_ids uuid[],
    p_causation_ids uuid[],
    p_recorded_at timestamptz,
    p_envelope_a text[],
    p_envelope_b text[],
    p_envelope_c text[],
    p_want_hashes boolean,
    OUT status integer,
    OUT failed_stream integer,
    OUT actual_version bigint,
    OUT first_position bigint,
    OUT last_position bigint,
    OUT stream_versions bigint[],
    OUT replayed_versions text,
    OUT hashes text[]
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_position bigint;
    v_prev text;
    v_current bigint;
    v_expected bigint;
    v_version bigint;
    v_streams integer := coalesce(array_length(p_streams, 1), 0);
    v_k integer := 0;
    v_positions bigint[] := '{}';
    v_versions bigint[] := '{}';
    v_stream_ids text[] := '{}';
    v_hashes text[] := '{}';
    v_used record;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'sco_append_events needs READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'sco_append_events needs a UTF8 database, not %',
            current_setting('server_encoding');
    END IF;
    PERFORM pg_advisory_xact_lock(p_lock);

    IF p_key IS NOT NULL THEN
        SELECT k.fingerprint, k.first_position, k.last_position, k.stream_versions::text AS sv
            INTO v_used FROM idempotency_keys k WHERE k.key = p_key;
        IF FOUND THEN
            status := CASE WHEN v_used.fingerprint = p_fingerprint THEN 2 ELSE 3 END;
            first_position := v_used.first_position;
            last_position := v_used.last_position;
            replayed_versions := v_used.sv;
            RETURN;
        END IF;
    END IF;

    SELECT e.position, e.hash INTO v_position, v_prev
        FROM events e ORDER BY e.position DESC LIMIT 1;
    IF NOT FOUND THEN
        v_position := 0;
        v_prev := repeat('0', 64);
    END IF;

    stream_versions := '{}';
    FOR i IN 1 .. v_streams LOOP
        SELECT coalesce(max(e.stream_version), 0) INTO v_current
            FROM events e WHERE e.stream_id = p_streams[i];
        v_expected := p_expected[i];
        IF NOT (v_expected = -1 OR v_expected = v_current
                OR (v_expected = -2 AND v_current = 0)
                OR (v_expected = -3 AND v_current > 0)) THEN
            status := 1;
            failed_stream := i - 1;
            actual_version := v_current;
            RETURN;
        END IF;
        stream_versions[i] := v_current;
    END LOOP;

    IF array_length(p_event_ids, 1) > 1 AND (
        SELECT count(DISTINCT x) FROM unnest(p_event_ids) AS x
    ) < array_length(p_event_ids, 1) THEN
        status := 4;
        RETURN;
    END IF;

    first_position := v_position + 1;
    FOR i IN 1 .. v_streams LOOP
        v_version := stream_versions[i];
        FOR j IN 1 .. p_counts[i] LOOP
            v_k := v_k + 1;
            v_position := v_position + 1;
            v_version := v_version + 1;
            v_prev := encode(sha256(convert_to(
                v_prev || E'\n' || p_envelope_a[v_k] || v_position::text
                || p_envelope_b[v_k] || v_version::text || p_envelope_c[v_k],
                'UTF8')), 'hex');
            v_positions[v_k] := v_position;
            v_versions[v_k] := v_version;
            v_stream_ids[v_k] := p_streams[i];
            v_hashes[v_k] := v_prev;
        END LOOP;
        stream_versions[i] := v_version;
    END LOOP;
    last_position := v_position;

    INSERT INTO events (
        position, event_id, stream_id, stream_version, event_type, schema_version, data,
        metadata, valid_time, valid_from, valid_to, recorded_at, actor, sources,
        correlation_id, causation_id, hash
    )
    SELECT u.position, u.event_id, u.stream_id, u.stream_version, u.event_type,
           u.schema_version, u.data::json, u.metadata::json, u.valid_time, u.valid_from,
           u.valid_to, p_recorded_at, u.actor, u.sources::json, u.correlation_id,
           u.causation_id, u.hash
    FROM unnest(
        v_positions, p_event_ids, v_stream_ids, v_versions, p_types, p_schema_versions,
        p_data, p_metadata, p_valid_times, p_valid_from, p_valid_to, p_actors, p_sources,
        p_correlation_ids, p_causation_ids, v_hashes
    ) AS u(
        position, event_id, stream_id, stream_version, event_type, schema_version, data,
        metadata, valid_time, valid_from, valid_to, actor, sources, correlation_id,
        causation_id, hash
    );

    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (
            key, fingerprint, first_position, last_position, stream_versions, recorded_at
        ) VALUES (
            p_key, p_fingerprint, first_position, last_position,
            (SELECT json_object_agg(s.stream_id, s.version)
                FROM unnest(p_streams, stream_versions) AS s(stream_id, version)),
            p_recorded_at
        );
    END IF;

    PERFORM pg_notify(p_channel, last_position::text);
    status := 0;
    IF p_want_hashes THEN
        hashes := v_hashes;
    END IF;
END;
$fn$
"""

SIGNATURE = (
    "sco_append_events(bigint, text, text, text, text[], bigint[], integer[], uuid[], text[], "
    "integer[], text[], text[], text[], date[], date[], text[], text[], uuid[], uuid[], "
    "timestamptz, text[], text[], text[], boolean)"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
