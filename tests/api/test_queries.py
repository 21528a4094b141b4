"""Every root query over HTTP, on SQLite and PostgreSQL with the bundled history: filters,
ordering, nested fields, natural keys and `node(id)`, checked against the bundled facts."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api.conftest import Api


async def test_organizations_and_their_founding(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ organizations(first: 10) { totalCount nodes {
               id name foundedOn { text precision lower upper } foundedAt
               foundingDocument { id } foundingMembers { code }
               predecessor { id } successor { id } validPeriod { start { text } open }
               provenance { recordId confidence sources { title } events { id position } } } }
             sco: organization(id: "organization/sco") { name foundedOn { text }
               predecessor { id } foundingMembers { code } principles purposes
               validAt } }"""
    )
    orgs = data["organizations"]
    assert orgs["totalCount"] == 2
    five, sco = orgs["nodes"]
    assert five["id"] == "organization/shanghai-five" and five["successor"] == {
        "id": "organization/sco"
    }
    assert five["foundedOn"] == {
        "text": "1996-04-26",
        "precision": "DAY",
        "lower": "1996-04-26",
        "upper": "1996-04-26",
    }
    assert sco["predecessor"] == {"id": "organization/shanghai-five"}
    assert sco["foundedOn"]["text"] == "2001-06-15"
    assert [s["code"] for s in sco["foundingMembers"]] == ["CN", "KG", "KZ", "RU", "TJ", "UZ"]
    assert sco["provenance"]["recordId"] == "organization/sco"
    assert sco["provenance"]["confidence"] in {"high", "medium", "low"}
    assert sco["provenance"]["events"] and sco["provenance"]["sources"]
    assert data["sco"]["validAt"] is None  # no asOf asked


async def test_states_by_code_and_their_statuses(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ states(first: 100) { totalCount nodes { code name } }
             mn: state(code: "MN") { name
               observer: status(organization: "organization/sco", asOf: "2004-06-17") {
                 answer certain status }
               before: status(organization: "organization/sco", asOf: "2004-06-16") { answer }
               year: status(organization: "organization/sco", asOf: "2004") { answer }
               history(organization: "organization/sco") { status
                 validPeriod { start { text } end { text } } meeting { id } } }
             nowhere: state(code: "ZZ") { code } }"""
    )
    codes = [s["code"] for s in data["states"]["nodes"]]
    assert codes == sorted(codes) and {"CN", "MN", "IN", "PK"} <= set(codes)
    mn = data["mn"]
    assert mn["name"] == "Mongolia"
    assert mn["observer"] == [{"answer": "YES", "certain": True, "status": "OBSERVER"}]
    assert mn["before"] == []
    assert mn["year"] == [{"answer": "YES"}]  # at some time in 2004
    assert mn["history"][0]["status"] == "OBSERVER"
    assert mn["history"][0]["validPeriod"]["start"] == {"text": "2004-06-17"}
    assert data["nowhere"] is None


async def test_members_by_status_and_span(shared_api: Api) -> None:
    observers = await shared_api.data(
        """{ members(organization: "organization/sco", asOf: "2005-12-31", first: 10,
                     statuses: [OBSERVER]) { nodes { state { code } status } } }"""
    )
    codes = [n["state"]["code"] for n in observers["members"]["nodes"]]
    assert "MN" in codes and "IR" in codes
    throughout = await shared_api.data(
        """{ members(organization: "organization/sco", asOf: "2004", span: THROUGHOUT,
                     first: 10, statuses: [OBSERVER]) { nodes { state { code } answer } } }"""
    )
    # Mongolia became an observer in June 2004: at some time in 2004, not throughout it.
    assert "MN" not in [n["state"]["code"] for n in throughout["members"]["nodes"]]


async def test_membership_changes_filtered(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ all: membershipChanges(first: 100) { totalCount }
             uz: membershipChanges(first: 10, state: "UZ") { nodes { kind statusAfter
               date { text } period { organizationId } } }
             founding: membershipChanges(first: 10, organization: "organization/sco",
               statusAfter: FOUNDING_MEMBER) { totalCount }
             at2004: membershipChanges(first: 10, meeting: "meeting/heads_of_state/2004") {
               nodes { period { state { code } } } }
             y2005: membershipChanges(first: 10, dateFrom: "2005", dateTo: "2005") {
               nodes { date { text } } }
             kinds: membershipChanges(first: 10, kinds: ["ObserverStatusGranted"]) {
               totalCount nodes { kind } } }"""
    )
    assert data["all"]["totalCount"] == 20
    uz = data["uz"]["nodes"]
    assert [(c["date"]["text"], c["statusAfter"]) for c in uz] == [
        ("2001-06-14", "SHANGHAI_FIVE_PARTICIPANT"),
        ("2001-06-15", "FOUNDING_MEMBER"),
    ]
    assert data["founding"]["totalCount"] == 6
    assert [n["period"]["state"]["code"] for n in data["at2004"]["nodes"]] == ["MN"]
    assert data["y2005"]["nodes"] and all(
        n["date"]["text"].startswith("2005") for n in data["y2005"]["nodes"]
    )
    assert {n["kind"] for n in data["kinds"]["nodes"]} <= {"ObserverStatusGranted"}


async def test_bodies_with_status_name_seat_and_holders(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ bodies(first: 100) { totalCount }
             councils: bodies(first: 100, category: "council") { nodes { id category } }
             in2001: bodies(first: 100, statusOn: "2001-06-15") { nodes { id } }
             sec: body(id: "body/secretariat") { latestName organization { id }
               status(asOf: "2004-01-15") { answer period { status } }
               statusHistory { status validPeriod { start { text } } }
               nameHistory { name }
               holders(asOf: "2005-03-01") { answer certain term { person office } }
               officeHistory { person validPeriod { start { text } end { text } } }
               provenance { recordId sources { title } } } }"""
    )
    assert data["bodies"]["totalCount"] == 19
    assert data["councils"]["nodes"] and {b["category"] for b in data["councils"]["nodes"]} == {
        "council"
    }
    assert len(data["in2001"]["nodes"]) < 19  # the Secretariat was not established yet
    sec = data["sec"]
    assert sec["organization"] == {"id": "organization/sco"}
    zhang = [h for h in sec["holders"] if "Zhang" in h["term"]["person"]]
    assert zhang and zhang[0]["answer"] == "YES" and zhang[0]["certain"]
    assert any("Zhang" in t["person"] for t in sec["officeHistory"])
    assert sec["provenance"]["recordId"] == "body/secretariat"


async def test_office_holders_and_terms(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ perhaps: officeHolders(body: "body/secretariat", asOf: "2004-01-15", first: 10) {
               nodes { answer certain term { person validPeriod { start { text } } } } }
             none: officeHolders(body: "body/secretariat", asOf: "2003-12-31", first: 10) {
               totalCount }
             terms: officeTerms(body: "body/secretariat", first: 10) { totalCount
               nodes { id person body { id } } } }"""
    )
    (perhaps,) = [n for n in data["perhaps"]["nodes"] if "Zhang" in n["term"]["person"]]
    assert perhaps["answer"] == "PERHAPS" and perhaps["certain"] is False
    assert perhaps["term"]["validPeriod"]["start"] == {"text": "2004-01"}
    assert data["none"]["totalCount"] == 0
    terms = data["terms"]
    assert terms["totalCount"] >= 1 and terms["nodes"][0]["body"] == {"id": "body/secretariat"}


async def test_meetings_filters_order_and_nested(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ all: meetings(first: 100) { totalCount nodes { startDate { text } } }
             desc: meetings(first: 3, order: DATE_DESC) { nodes { id } }
             hs: meetings(first: 100, body: "body/heads_of_state_council", yearFrom: 2001,
                          yearTo: 2012) { totalCount nodes { ordinal hostState { code } } }
             ru: meetings(first: 100, hostState: "RU") { nodes { hostState { code } } }
             held: meetings(first: 100, status: "held") { totalCount }
             ordinal: meetings(first: 10, body: "body/heads_of_state_council", ordinal: 2) {
               nodes { id } }
             of: meetingOf(body: "body/heads_of_state_council", ordinal: 2) { id }
             on: meetingOf(body: "body/heads_of_state_council", date: "2002-06") { id } }"""
    )
    assert data["all"]["totalCount"] == 29
    days = [m["startDate"]["text"] for m in data["all"]["nodes"]]
    assert days == sorted(days)
    assert [m["id"] for m in data["desc"]["nodes"]] != []
    assert data["hs"]["totalCount"] == 12
    assert {m["hostState"]["code"] for m in data["ru"]["nodes"]} == {"RU"}
    assert data["held"]["totalCount"] <= 29
    assert data["of"] == {"id": "meeting/heads_of_state/2002"}
    assert data["ordinal"]["nodes"] == [data["of"]]
    assert data["on"] == {"id": "meeting/heads_of_state/2002"}
    last = await shared_api.data("{ meetings(first: 100) { nodes { id } } }")
    assert data["desc"]["nodes"] == list(reversed(last["meetings"]["nodes"]))[:3]


async def test_meeting_counts(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ body: meetingCounts(by: BODY) { key count }
             host: meetingCounts(by: HOST_STATE) { key count }
             year: meetingCounts(by: YEAR, body: "body/heads_of_state_council") { key count } }"""
    )
    assert sum(c["count"] for c in data["body"]) == 29
    assert sum(c["count"] for c in data["host"]) == 29
    assert {"key": "body/heads_of_state_council", "count": 12} in data["body"]
    assert {c["key"] for c in data["year"]} == {str(y) for y in range(2001, 2013)}


async def test_documents_filters_and_lifecycle(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ all: documents(first: 100) { totalCount }
             charters: documents(first: 10, category: "charter") { nodes { id } }
             at2002: documents(first: 10, meeting: "meeting/heads_of_state/2002") {
               nodes { id } }
             uz: documents(first: 100, party: "UZ", signedTo: "2001") { nodes { id parties } }
             y2002: documents(first: 100, signedFrom: "2002", signedTo: "2002") {
               nodes { signedOn { text } } }
             charter: document(id: "document/charter-2002") { title category
               signedOn { text } place meeting { id city } parties foundingParties
               ratifications { state date { text } } inForceOn { text } amendedBy amends { id }
               supersededBy { id } mandate drafts validPeriod { start { text } }
               provenance { sources { title } events { position } } } }"""
    )
    assert data["all"]["totalCount"] == 30
    assert "document/charter-2002" in [d["id"] for d in data["charters"]["nodes"]]
    assert [d["id"] for d in data["at2002"]["nodes"]] == [
        "document/charter-2002",
        "document/rats-agreement-2002",
    ]
    assert all("UZ" in d["parties"] for d in data["uz"]["nodes"]) and data["uz"]["nodes"]
    assert all(d["signedOn"]["text"].startswith("2002") for d in data["y2002"]["nodes"])
    charter = data["charter"]
    assert charter["meeting"] == {"id": "meeting/heads_of_state/2002", "city": "St. Petersburg"}
    assert charter["signedOn"] == {"text": "2002-06-07"}
    assert charter["provenance"]["events"]


async def test_mandates(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ all: mandates(first: 100) { totalCount nodes { id task by { id } to { id }
               document { id } dueDate { text } fulfilled validPeriod { start { text } } } }
             by: mandates(first: 100, by: "body/heads_of_state_council") { totalCount } }"""
    )
    assert data["all"]["totalCount"] == 6
    title = [m for m in data["all"]["nodes"] if m["id"].endswith("secretariat-head-title")]
    assert title[0]["dueDate"] == {"text": "2006"}
    assert title[0]["document"] == {"id": "document/astana-declaration-2005"}
    assert 0 < data["by"]["totalCount"] <= 6


async def _walk(shared_api: Api, field: str, args: str, selection: str) -> list[Any]:
    """Every node of a connection, page by page (3 a page)."""
    nodes: list[Any] = []
    after: str | None = None
    while True:
        data = await shared_api.data(
            f"query ($after: String) {{ {field}(first: 3, after: $after{args}) "
            f"{{ pageInfo {{ hasNextPage endCursor }} nodes {{ {selection} }} }} }}",
            {"after": after},
        )
        page = data[field]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_timeline_pages_in_valid_time_order(shared_api: Api) -> None:
    whole = await shared_api.data(
        '{ timeline(first: 100, from: "2002", to: "2002") { totalCount nodes { position } } }'
    )
    walked = await _walk(shared_api, "timeline", ', from: "2002", to: "2002"', "position")
    assert walked == whole["timeline"]["nodes"]
    assert whole["timeline"]["totalCount"] == len(walked)
    data = await shared_api.data(
        """{ timeline(first: 5, kinds: ["meeting"], entity: "meeting/heads_of_state/2002") {
               nodes { kind eventType entity recordId summary validPeriod { start { text } }
                 sources { title } confidence note recordTime { recordedFrom } } } }"""
    )
    (entry,) = data["timeline"]["nodes"]
    assert entry["kind"] == "meeting" and entry["validPeriod"]["start"] == {"text": "2002-06-07"}


async def test_audit_and_the_raw_event_log(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ audit(entity: "body/rats", first: 100) { totalCount nodes { position streamId
               type hash previousHash actor } }
             events(first: 100) { totalCount }
             typed: events(first: 100, type: "MeetingHeld") { totalCount nodes { type } }
             stream: events(first: 100, stream: "reference/states") { nodes { streamId } }
             range: events(first: 100, positionFrom: 10, positionTo: 19) { nodes { position } }
             since: events(first: 1, recordedFrom: "2000-01-01T00:00:00Z") { totalCount }
             none: events(first: 1, recordedTo: "2000-01-01T00:00:00Z") { totalCount }
             head { position hash } }"""
    )
    audit = data["audit"]["nodes"]
    assert audit and {e["streamId"] for e in audit} == {"body/rats"}
    assert all(e["actor"] is None for e in audit)  # no auditor role: no actor shown
    assert data["events"]["totalCount"] == data["head"]["position"]
    assert data["typed"]["totalCount"] == 29 and {e["type"] for e in data["typed"]["nodes"]} == {
        "MeetingHeld"
    }
    assert {e["streamId"] for e in data["stream"]["nodes"]} == {"reference/states"}
    assert [e["position"] for e in data["range"]["nodes"]] == list(range(10, 20))
    assert data["since"]["totalCount"] == data["head"]["position"]
    assert data["none"]["totalCount"] == 0
    walked = await _walk(shared_api, "events", ", positionTo: 20", "position hash previousHash")
    assert [e["position"] for e in walked] == list(range(1, 21))
    for before, after in itertools.pairwise(walked):
        assert after["previousHash"] == before["hash"]
    refused = await shared_api.query('{ events(first: 1, actor: "x") { totalCount } }')
    assert refused["errors"][0]["extensions"]["code"] == "auth.forbidden"


async def test_compliance_findings_filters(shared_api: Api) -> None:
    data = await shared_api.data(
        """{ all: complianceFindings(first: 100) { totalCount }
             y2003: complianceFindings(first: 100, year: 2003, rule: "rotation",
               body: "body/heads_of_state_council") { nodes { year rule reading standing
               outcome } }
             cycle: complianceFindings(first: 100, reading: "cycle") { nodes { reading } } }"""
    )
    assert data["all"]["totalCount"] > 4
    assert {(f["year"], f["rule"]) for f in data["y2003"]["nodes"]} == {(2003, "rotation")}
    assert any(f["standing"] and f["outcome"] == "departed" for f in data["y2003"]["nodes"])
    assert {f["reading"] for f in data["cycle"]["nodes"]} <= {"cycle"}


async def test_node_by_record_id(shared_api: Api) -> None:
    ids = {
        "organization/sco": "Organization",
        "body/rats": "Body",
        "meeting/heads_of_state/2002": "Meeting",
        "document/charter-2002": "Document",
        "mandate/2005-07-05/secretariat-head-title": "Mandate",
        "state/KZ": "State",
    }
    terms = await shared_api.data('{ officeTerms(body: "body/rats", first: 1) { nodes { id } } }')
    ids[terms["officeTerms"]["nodes"][0]["id"]] = "OfficeTerm"
    for node_id, typename in ids.items():
        data = await shared_api.data(
            "query ($id: ID!) { node(id: $id) { __typename "
            "... on Meeting { id } ... on Body { id } ... on Document { id } "
            "... on Organization { id } ... on Mandate { id } ... on OfficeTerm { id } "
            "... on State { code } } }",
            {"id": node_id},
        )
        assert data["node"]["__typename"] == typename, node_id
    missing = await shared_api.data('{ node(id: "meeting/nowhere/1900") { __typename } }')
    assert missing["node"] is None


async def test_provenance_of_meetings_and_documents_in_a_page(shared_api: Api) -> None:
    # A page's provenance reads its event ids and record time from the row only when
    # selected (`Provenance.raw_events`): the events and record time it gives are still the
    # entity's own, those its audit history lists.
    data = await shared_api.data(
        """{ meetings(first: 100, body: "body/heads_of_state_council") { nodes { id
               provenance { events { id position } recordTime { recordedFrom } }
               documents { id provenance { events { position } recordTime { recordedFrom } } }
             } } }"""
    )
    nodes = data["meetings"]["nodes"]
    summit = next(m for m in nodes if m["id"] == "meeting/heads_of_state/2002")
    audit = await shared_api.data(
        '{ audit(entity: "meeting/heads_of_state/2002", first: 100) { nodes { position id } } }'
    )
    expected = {(a["id"], a["position"]) for a in audit["audit"]["nodes"]}
    given = {(e["id"], e["position"]) for e in summit["provenance"]["events"]}
    assert given and given <= expected
    assert summit["provenance"]["recordTime"]["recordedFrom"]
    docs = [d for m in nodes for d in m["documents"]]
    assert docs and all(d["provenance"]["events"] for d in docs)
    assert all(d["provenance"]["recordTime"]["recordedFrom"] for d in docs)
