"""`schema.RequestPipeline` and its `Documents`: a repeated text is parsed and validated
once, per schema; what the cache keeps answers as a fresh parse and validation would
(errors included); the observers are told of every operation, after the masking."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from sco_registry.graphql import schema as schema_module
from sco_registry.graphql.schema import Documents, build_schema

HEAD = "{ head { position } }"


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"parse": 0, "validate": 0}
    parse, validate = schema_module.parse, schema_module.validate_document

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counted_validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return validate(*args, **kwargs)

    monkeypatch.setattr(schema_module, "parse", counted_parse)
    monkeypatch.setattr(schema_module, "validate_document", counted_validate)
    return calls


async def test_a_repeated_text_is_parsed_and_validated_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting(monkeypatch)
    schema = build_schema()
    for _ in range(3):
        result = await schema.execute("{ __typename }")
        assert result.errors is None and result.data == {"__typename": "Query"}
    assert calls == {"parse": 1, "validate": 1}
    # The control: another text is parsed and validated anew.
    await schema.execute("{ __typename __typename }")
    assert calls == {"parse": 2, "validate": 2}


async def test_cached_validation_errors_answer_every_time() -> None:
    schema = build_schema()
    answers = [await schema.execute("{ nope }") for _ in range(3)]
    for result in answers:
        assert result.data is None and result.errors
        assert result.errors[0].extensions == {"code": "graphql.invalid_request"}
        assert "Cannot query field 'nope'" in result.errors[0].message


async def test_limits_hold_for_a_repeated_text() -> None:
    schema = build_schema()
    deep = '{ body(id: "b") { ' + "parent { " * 10 + "id" + " }" * 10 + " } }"
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors and "exceeds maximum operation depth of 10" in str(result.errors)
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    for _ in range(2):
        result = await schema.execute(many)
        assert result.errors and "alias" in str(result.errors).lower()
    # The control: just inside both limits.
    inside = "{ " + " ".join(f"a{i}: __typename" for i in range(15)) + " }"
    assert (await schema.execute(inside)).errors is None


async def test_a_syntax_error_keeps_its_code_and_is_not_kept() -> None:
    schema = build_schema()
    for _ in range(2):
        result = await schema.execute("{ head { ")
        assert result.errors and result.errors[0].extensions == {"code": "graphql.syntax_error"}
    too_many = "{ " + "__typename " * 2100 + "}"
    result = await schema.execute(too_many)
    assert result.errors and "token" in result.errors[0].message.lower()


async def test_each_schema_validates_with_its_own_rules() -> None:
    """Introspection refused by one schema, answered by the other, whichever runs first."""
    query = "{ __schema { queryType { name } } }"
    off, on = build_schema(introspection=False), build_schema(introspection=True)
    for _ in range(2):
        assert (await off.execute(query)).errors
        assert (await on.execute(query)).errors is None
        assert (await off.execute(query)).errors


def test_documents_are_bounded() -> None:
    documents = Documents(rules=(), size=2)
    texts = ["{ a }", "{ b }", "{ c }"]
    entries = [documents.parsed(t) for t in texts]
    assert len(documents) == 2
    assert documents.parsed("{ c }") is entries[2]
    assert documents.parsed("{ a }") is not entries[0]  # evicted, parsed again
    assert documents.parsed("{ nope ") is None and len(documents) == 2


async def test_observers_see_each_operation_masked_even_when_it_raises() -> None:
    seen: list[tuple[Any, float]] = []

    def observe(ctx: ExecutionContext, elapsed: float) -> None:
        seen.append((ctx.result, elapsed))

    schema = build_schema(observers=[observe])
    await schema.execute("{ __typename }")
    await schema.execute("{ nope }")
    with pytest.raises(InvalidOperationTypeError):
        await schema.execute(
            'mutation { recordMeeting(input: {meetingId: "m", bodyId: "b", startDate: "2020", '
            'sources: []}, idempotencyKey: "k") { __typename } }',
            allowed_operation_types={OperationType.QUERY},
        )
    assert len(seen) == 3
    assert all(elapsed >= 0 for _, elapsed in seen)
    ok, refused, raised = (result for result, _ in seen)
    assert ok.errors is None
    assert refused.errors[0].extensions == {"code": "graphql.invalid_request"}  # masked
    assert raised is None
